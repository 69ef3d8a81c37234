#!/usr/bin/env bash
# Fuzzes the targets one after the other (one process each: the machine has 2 shared cores)
# and prints one line per target: executions, seconds, crashes, corpus size.
#
#   fuzz/run.sh [seconds per target] [target…]      (default: 120 s, every target)
#   SPLIT_SECONDS=600 fuzz/run.sh 150               (the CSV targets get their own budget)
#   RUNS=10000000 fuzz/run.sh 0 split               (a number of executions instead of a time)
#
# Build flags: no sanitizer (the fuzzed code has no `unsafe`; debug assertions and overflow
# checks stay on, cargo-fuzz's default). The targets that build csv-core readers (split, join,
# join_v2, count_csv_records, parse_batch_results), `gunzip` and `limits` drop compare
# tracing: it made csv-core's reader construction (a DFA build per input) cost 6x the run, and
# flate2's reference decoding (byte by byte through the header) most of gunzip's.
# Per target: a dictionary (fuzz/dicts/), -max_len (CSV targets 8 KiB; gunzip 20,000 bytes,
# enough to inflate past the 16 MiB guard), and `limits` a longer timeout and more memory
# (its inputs are generated up to 32 MiB).
# Crashes land in fuzz/artifacts/<target>/; logs in fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse_job_info parse_batch_info parse_batch_list parse_error parse_batch_results
             count_csv_records check_attachment_zip split join
             gunzip join_v2 parse_v2 limits)
fi
fuzz/seed.sh >/dev/null
mkdir -p fuzz/logs
printf '%-22s %12s %8s %8s %8s\n' target executions seconds crashes corpus
for t in "${targets[@]}"; do
    flags=(-s none)
    budget="$seconds"
    opts=(-timeout=10 -rss_limit_mb=2048)
    case "$t" in
        split|join|join_v2|count_csv_records)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            budget="${SPLIT_SECONDS:-$seconds}"
            opts+=(-dict=fuzz/dicts/csv.dict -max_len=8192)
            ;;
        parse_batch_results)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            opts+=(-dict=fuzz/dicts/control.dict)
            ;;
        parse_job_info|parse_batch_info|parse_batch_list|parse_error)
            opts+=(-dict=fuzz/dicts/control.dict)
            ;;
        parse_v2)
            opts+=(-dict=fuzz/dicts/v2.dict)
            ;;
        gunzip)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            budget="${SPLIT_SECONDS:-$seconds}"
            opts+=(-max_len=20000)
            ;;
        limits)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            opts=(-timeout=120 -rss_limit_mb=4096)
            ;;
    esac
    if [ -n "${RUNS:-}" ]; then
        opts+=(-runs="$RUNS")
    else
        opts+=(-max_total_time="$budget")
    fi
    before=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    start=$(date +%s)
    cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" -- \
        "${opts[@]}" -print_final_stats=1 >"fuzz/logs/$t.log" 2>&1
    status=$?
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    after=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    printf '%-22s %12s %8s %8s %8s%s\n' "$t" "${execs:-?}" "$((end - start))" "$((after - before))" \
        "$(find "fuzz/corpus/$t" -type f | wc -l)" "$([ $status -ne 0 ] && echo "  (exit $status)")"
done
