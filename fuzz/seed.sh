#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from tests/fixtures (each fixture prefixed
# with the format-selector byte the target reads first) plus a few hand-written CSV inputs,
# gzip bodies made from them, Bulk 2.0 documents, and `limits` inputs at every guard.
# Idempotent; existing corpus entries are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../tests/fixtures"
corpus="$here/corpus"

seed() { # seed <target> <name> <prefix-bytes (printf format)> <file>
    mkdir -p "$corpus/$1"
    { printf "$3"; cat "$4"; } > "$corpus/$1/seed-$2"
}

for f in "$fixtures"/*.xml "$fixtures"/*.json; do
    n="$(basename "$f")"
    for t in parse_job_info parse_batch_info parse_batch_list parse_error; do
        seed "$t" "$n" '\x00' "$f"   # XML
        seed "$t" "$n" '\x01' "$f"   # JSON
    done
done
for f in "$fixtures"/*.xml "$fixtures"/*.json "$fixtures"/*.csv; do
    n="$(basename "$f")"
    for sel in 0 1 2 3; do          # none, text/csv, application/xml, application/json
        seed parse_batch_results "$sel-$n" "\\x0$sel" "$f"
    done
done
seed check_attachment_zip attachments.zip '' "$fixtures/attachments.zip"

csv="$(mktemp -d)"
trap 'rm -rf "$csv"' EXIT
printf 'Id,Success,Created,Error\n' > "$csv/empty.csv"
printf '\xef\xbb\xbfName,Description\r\n"Acme, Inc.","say ""hi"""\r\n\r\nZ\xc3\xbcrich,"l1\nl2\r\nl3"\nlast,x' > "$csv/tricky.csv"
printf 'a,b,c\n1,2,3\n4,5\n' > "$csv/short-row.csv"
printf 'a\r1\r\r2\r"3\r"\r' > "$csv/cr.csv"
printf 'h1,h2\n"unterminated,x\n' > "$csv/open-quote.csv"
cp "$fixtures/ingest-results.csv" "$csv/"
for f in "$csv"/*.csv; do
    n="$(basename "$f")"
    seed count_csv_records "$n" '' "$f"
    seed split "$n" '\x03\x10\x10\x05' "$f"      # 4 records, 68 bytes, 68 chars, chunks ≤ 6
    seed split "big-$n" '\x0f\xff\xff\x00' "$f"  # 16 records, 1024 bytes/chars, one chunk
    seed join "$n" '\x02\x14\x14\x07\x09' "$f"
    seed join "big-$n" '\x0f\xff\xff\x00\x01' "$f"
done
# gzip bodies, deterministic (mtime 0): CSV/JSON fixtures at levels 0 (stored), 1, 9, one
# with a file name, one with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC),
# one with bytes after the member, an empty one and a long repetitive one.
gz="$csv/gz"
mkdir -p "$gz"
python3 - "$fixtures" "$csv" "$gz" <<'PY'
import gzip, io, struct, sys, zlib
fixtures, csv, out = sys.argv[1:]
def read(path):
    with open(path, "rb") as f:
        return f.read()
def put(name, data):
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)
results = read(f"{fixtures}/ingest-results.csv")
for level in (0, 1, 9):
    put(f"ingest-results-{level}.csv.gz", gzip.compress(results, level, mtime=0))
put("batch-info.json.gz", gzip.compress(read(f"{fixtures}/batch-info.json"), mtime=0))
put("tricky.csv.gz", gzip.compress(read(f"{csv}/tricky.csv"), mtime=0))
put("empty.gz", gzip.compress(b"", mtime=0))
put("repeated.csv.gz", gzip.compress(results * 200, 9, mtime=0))
buf = io.BytesIO()
with gzip.GzipFile("results.csv", "wb", fileobj=buf, mtime=0) as f:
    f.write(results)
put("named.csv.gz", buf.getvalue())
put("trailing.gz", gzip.compress(b"abc", mtime=0) + gzip.compress(b"def", mtime=0) + b"junk")
body = gzip.compress(b"Id,Name\n001000000000001AAA,Acme\n", mtime=0)
header = bytes([0x1F, 0x8B, 8, 0x1E, 0, 0, 0, 0, 0, 255]) + b"\x03\x00abc" + b"name.csv\0comment\0"
put("all-fields.gz", header + struct.pack("<H", zlib.crc32(header) & 0xFFFF) + body[10:])
# Bombs for the target's guards (33,000 to 100,000 decoded bytes, see GUNZIP_LIMITS): zeros
# one past the smallest guard, and past the largest.
put("bomb-33001.gz", gzip.compress(bytes(33_001), 9, mtime=0))
put("bomb-100001.gz", gzip.compress(bytes(100_001), 9, mtime=0))
PY
for f in "$gz"/*; do
    n="$(basename "$f")"
    seed gunzip "$n" '\x00' "$f"       # fed whole, read 1 byte at a time (guard 33,000)
    seed gunzip "5-$n" '\x45' "$f"     # pieces of 1..6 bytes, reads of 7 (guard 40,000)
    seed gunzip "31-$n" '\x9f' "$f"    # pieces of 1..32 bytes, reads of 4093 (guard 65,536)
    seed gunzip "62-$n" '\xfe' "$f"    # pieces of 1..63 bytes, reads of 100000 (guard 100,000)
done
# Bulk API 2.0: CSV inputs in four dialects joined with made-up results (params: delimiter and
# style, chunking, seed, records per job and 1-3 jobs: 2, 2 and 3 here), and the 2.0 JSON documents.
printf 'Name|Description\n"Acme|Inc"|"say ""hi"""\nZ\xc3\xbcrich|"l1\nl2"\nAcme|x\nAcme|x\n' > "$csv/pipe.csv"
printf 'Name\tPhone\r\na\t1\r\n\t\r\n"b\tc"\t2\r\n' > "$csv/tab.csv"
printf 'a;b\n1;2\n"3;"\n' > "$csv/semicolon.csv"
printf 'Name\n""\nx\nx\n""\n' > "$csv/single-column.csv"
for f in "$csv"/*.csv; do
    n="$(basename "$f")"
    for d in 0 1 2 3; do                # , | tab ;
        seed join_v2 "$d-$n" "\\x0$d\\x07\\x01\\x0b" "$f"
        seed join_v2 "quoted-$d-$n" "\\x0$((d + 4))\\x00\\x02\\x17" "$f"
        for dmg in 4 5 6; do             # a result row left out, twice, a value changed
            seed join_v2 "damaged-$dmg-$d-$n" "\\x$(printf %02x $((dmg * 32 + 8 + d)))\\x05\\x03\\x19" "$f"
        done
    done
done
v2="$(mktemp -d)"
printf '%s' '{"id":"7505e000000001AAA","operation":"insert","object":"Account","state":"Open","apiVersion":59,"contentUrl":"services/data/v59.0/jobs/ingest/7505e000000001AAA/batches","numberRecordsProcessed":12,"numberRecordsFailed":2.0,"errorMessage":"ClientInputError : LineEnding is invalid"}' > "$v2/job.json"
printf '%s' '{"done":false,"records":[{"id":"7505e000000001AAA","state":"JobComplete","apiVersion":"59.0"},{"id":"7505e000000002AAA","state":"Aborted"}],"nextRecordsUrl":"/services/data/v59.0/jobs/ingest?queryLocator=01gD"}' > "$v2/list.json"
printf '%s' '{"resultPages":[{"resultUrl":"/services/data/v59.0/jobs/query/750/results?locator=MTAw"},{"resultUrl":"/services/data/v59.0/jobs/query/750/results"}],"nextRecordsUrl":"/services/data/v59.0/jobs/query/750/resultpages?locator=x","done":false}' > "$v2/pages.json"
printf '%s' '{"resultChunks":[{"resultLink":"/jobs/query/750/results?locator=QQ%3D%3D&maxRecords=5"}],"nextRecordsUrl":null,"done":true}' > "$v2/chunks.json"
printf '%s' '/services/data/v59.0/jobs/query/750R0000000zzzzIAA/results?maxRecords=100&locator=MTAwMDA%3D' > "$v2/url.txt"
printf '%s' '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]' > "$v2/error.json"
for f in "$v2"/*; do
    n="$(basename "$f")"
    for sel in 0 1 2 3; do
        seed parse_v2 "$sel-$n" "\\x0$sel" "$f"
    done
done
rm -rf "$v2"

# limits_real: [guard, offset] then the guard's parameters; offsets 0 (at the limit), +1, -1.
# limits: the same with a scale byte after the offset (00: the smallest limits, ff: the
# largest, see fuzz/src/limits.rs).
seed_limits() { # seed_limits <name> <guard> <offset> <params (printf format)> <file>
    seed limits_real "$1-$3" "\\x$2\\x$3$4" "$5"
    for scale in 00 ff; do
        seed limits "$1-$3-$scale" "\\x$2\\x$3\\x$scale$4" "$5"
    done
}
for off in 00 01 ff; do
    # Control documents: pick (function, format), middle from 1/4 to 3/4.
    seed_limits doc-list 00 $off '\x04\x40\xc0' "$fixtures/batch-info-list-many.xml"
    seed_limits doc-list-json 00 $off '\x05\x40\xc0' "$fixtures/batch-info-list.json"
    seed_limits doc-job 00 $off '\x00\x00\x00' "$fixtures/job-info-create.xml"
    seed_limits doc-error 00 $off '\x07\x80\x80' "$fixtures/error-invalid-job.json"
    # Batch results: CSV, XML, JSON.
    seed_limits results-csv 01 $off '\x00\x40\xff' "$fixtures/ingest-results.csv"
    seed_limits results-xml 01 $off '\x01\x40\xc0' "$fixtures/ingest-results.xml"
    seed_limits results-json 01 $off '\x02\x10\xf0' "$fixtures/ingest-results.json"
    # Gzip names and comments.
    for which in 0 1 2 3; do
        seed_limits "gzip-field-$which" 02 $off "\\x0$which" "$csv/tricky.csv"
    done
    # Bombs.
    seed_limits bomb 03 $off '\x00\xff' "$fixtures/ingest-results.csv"
    # Records per batch; bytes per batch in records or in one record; (limits only) the
    # character limit binding.
    seed_limits records 04 $off '\x05' "$csv/tricky.csv"
    seed_limits batch-bytes 05 $off '\x00\x00\xff' "$fixtures/ingest-results.csv"
    seed_limits record-bytes 83 $off '\x00\x00\xff' "$fixtures/ingest-results.csv"
    for scale in 00 ff; do
        seed limits "batch-chars-$off-$scale" "\\x47\\x$off\\x$scale\\x00\\x00\\xff" "$fixtures/ingest-results.csv"
        seed limits "record-chars-$off-$scale" "\\xc5\\x$off\\x$scale\\x00\\x00\\xff" "$fixtures/ingest-results.csv"
    done
done

echo "seeded: $(ls "$corpus" | wc -l) targets, $(find "$corpus" -type f | wc -l) files"
