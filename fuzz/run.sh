#!/usr/bin/env bash
# Fuzzes the targets one after the other (one process each: the machine has 2 shared cores)
# and prints one line per target: executions, seconds, crashes, corpus size.
#
#   fuzz/run.sh [seconds per target] [target…]      (default: 120 s, every target)
#   SPLIT_SECONDS=600 fuzz/run.sh 150               (split and join get their own budget)
#
# Build flags: no sanitizer (the fuzzed code has no `unsafe`; debug assertions and overflow
# checks stay on, cargo-fuzz's default). `split` and `join` also drop compare tracing: it
# made csv-core's reader construction (a DFA build, twice per input) cost 6x the run.
# Crashes land in fuzz/artifacts/<target>/; logs in fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse_job_info parse_batch_info parse_batch_list parse_error parse_batch_results
             count_csv_records check_attachment_zip split join
             gunzip)
fi
fuzz/seed.sh >/dev/null
mkdir -p fuzz/logs
printf '%-22s %12s %8s %8s %8s\n' target executions seconds crashes corpus
for t in "${targets[@]}"; do
    flags=(-s none)
    budget="$seconds"
    case "$t" in
        split|join)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            budget="${SPLIT_SECONDS:-$seconds}"
            ;;
    esac
    before=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    start=$(date +%s)
    cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$budget" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"fuzz/logs/$t.log" 2>&1
    status=$?
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    after=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    printf '%-22s %12s %8s %8s %8s%s\n' "$t" "${execs:-?}" "$((end - start))" "$((after - before))" \
        "$(find "fuzz/corpus/$t" -type f | wc -l)" "$([ $status -ne 0 ] && echo "  (exit $status)")"
done
