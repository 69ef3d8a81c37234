#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from tests/fixtures (each fixture prefixed
# with the format-selector byte the target reads first) plus a few hand-written CSV inputs.
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
echo "seeded: $(ls "$corpus" | wc -l) targets, $(find "$corpus" -type f | wc -l) files"
