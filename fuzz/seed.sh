#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from tests/fixtures (each fixture prefixed
# with the format-selector byte the target reads first) plus a few hand-written CSV inputs and
# gzip bodies made from them.
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
PY
for f in "$gz"/*; do
    n="$(basename "$f")"
    seed gunzip "$n" '\x00' "$f"       # fed whole, read 1 byte at a time
    seed gunzip "5-$n" '\x45' "$f"     # pieces of 1..6 bytes, reads of 7
    seed gunzip "31-$n" '\x9f' "$f"    # pieces of 1..32 bytes, reads of 4093
    seed gunzip "63-$n" '\xff' "$f"    # pieces of 1..64 bytes, reads of 100000
done
echo "seeded: $(ls "$corpus" | wc -l) targets, $(find "$corpus" -type f | wc -l) files"
