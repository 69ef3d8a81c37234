#!/usr/bin/env bash
# Fuzzes the targets one after the other (one process each, under `nice -n 19`: the machine
# has 2 shared cores) and prints one line per target: executions, seconds, crashes, corpus
# files and bytes, and the -max_len used.
#
#   fuzz/run.sh [seconds per target] [target…]      (default: 120 s, every target)
#   SPLIT_SECONDS=600 fuzz/run.sh 150               (split, join, join_v2, count_csv_records
#                                                    and gunzip get their own budget)
#   RUNS=10000000 fuzz/run.sh 0 split               (a number of executions instead of a time;
#                                                    with MAX_SECONDS set, every target stops at
#                                                    whichever comes first; LIMITS_SECONDS, the
#                                                    same for `limits_real` alone)
#   NICE=10 fuzz/run.sh …                            (the niceness, 19 unless set)
#
# Every target is built first (`cargo fuzz build`), then its binary is run directly: the
# seconds are fuzzing only, and editing the sources while a campaign runs changes nothing
# in it (this script excepted: bash reads it as it goes).
#
# Build flags: no sanitizer (the fuzzed code's `unsafe`: the scan's 16-byte vector load of a
# `&[u8; 16]`, in bounds by its type, and `hot::out::put`'s fixed-size copies, each length
# tested exhaustively in hot/src/out.rs; debug assertions and overflow
# checks stay on, cargo-fuzz's default). The targets that build csv-core readers (split, join,
# join_v2, count_csv_records, parse_batch_results), `gunzip` and `limits` drop compare
# tracing (--no-trace-compares, built in fuzz/target-fast): it made csv-core's reader
# construction cost 6x the run, and flate2's reference decoding (byte by byte through the
# header) most of gunzip's.
# Per target: a dictionary (fuzz/dicts/) and -max_len (1.0 and 2.0 documents and batch
# results 8 KiB: room for 129 nested JSON arrays and 65 XML elements, the depth guards; zip
# 4 KiB; CSV targets
# 8 KiB, join_v2 4 KiB (dozens of records in jobs of 1-8; each input is read three times and
# joined twice against results made up for it); gunzip 4 KiB, 40x what inflates past its
# largest bomb guard, see fuzz/src/lib.rs);
# `limits` generates its own inputs around every large-input guard at small limits
# (256 bytes - 65 KiB) from a few bytes (-max_len 4 KiB); `limits_real` the same at the real
# limits, up to 32 MiB, with a longer timeout and more memory.
# Crashes land in fuzz/artifacts/<target>/; logs in fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse_job_info parse_batch_info parse_batch_list parse_error parse_batch_results
             count_csv_records check_attachment_zip split join
             gunzip join_v2 parse_v2 limits limits_real)
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"

# Sets flags (cargo fuzz build), dir (its target dir), opts (libFuzzer) and budget for $1.
configure() {
    flags=(-s none)
    dir=fuzz/target
    budget="$seconds"
    opts=(-timeout=10 -rss_limit_mb=2048)
    case "$1" in
        split|join|count_csv_records)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            budget="${SPLIT_SECONDS:-$seconds}"
            opts+=(-dict=fuzz/dicts/csv.dict -max_len=8192)
            ;;
        join_v2)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            budget="${SPLIT_SECONDS:-$seconds}"
            opts+=(-dict=fuzz/dicts/csv.dict -max_len=4096)
            ;;
        parse_batch_results)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            opts+=(-dict=fuzz/dicts/control.dict -max_len=8192)
            ;;
        parse_job_info|parse_batch_info|parse_batch_list|parse_error)
            opts+=(-dict=fuzz/dicts/control.dict -max_len=8192)
            ;;
        parse_v2)
            opts+=(-dict=fuzz/dicts/v2.dict -max_len=8192)
            ;;
        check_attachment_zip)
            opts+=(-max_len=4096)
            ;;
        gunzip)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            budget="${SPLIT_SECONDS:-$seconds}"
            opts+=(-max_len=4096)
            ;;
        limits)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            opts+=(-max_len=4096)
            ;;
        limits_real)
            flags+=(--no-trace-compares --target-dir fuzz/target-fast)
            dir=fuzz/target-fast
            opts=(-timeout=120 -rss_limit_mb=4096 -max_len=4096)
            ;;
    esac
}

fuzz/seed.sh >/dev/null
for t in "${targets[@]}"; do
    configure "$t"
    cargo +nightly fuzz build "${flags[@]}" "$t" >/dev/null 2>&1 ||
        { echo "building $t failed: cargo +nightly fuzz build ${flags[*]} $t" >&2; exit 1; }
done
mkdir -p fuzz/logs
printf '%-22s %12s %8s %8s %8s %11s %8s\n' target executions seconds crashes corpus bytes max_len
for t in "${targets[@]}"; do
    configure "$t"
    if [ -n "${RUNS:-}" ]; then
        opts+=(-runs="$RUNS")
        if [ "$t" = limits_real ] && [ -n "${LIMITS_SECONDS:-}" ]; then
            opts+=(-max_total_time="$LIMITS_SECONDS")
        elif [ -n "${MAX_SECONDS:-}" ]; then
            opts+=(-max_total_time="$MAX_SECONDS")
        fi
    else
        opts+=(-max_total_time="$budget")
    fi
    mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
    before=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    start=$(date +%s)
    nice -n "${NICE:-19}" "$dir/$triple/release/$t" -artifact_prefix="fuzz/artifacts/$t/" \
        "${opts[@]}" -print_final_stats=1 "fuzz/corpus/$t" >"fuzz/logs/$t.log" 2>&1
    status=$?
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    after=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    max_len=$(printf '%s\n' "${opts[@]}" | sed -n 's/^-max_len=//p')
    printf '%-22s %12s %8s %8s %8s %11s %8s%s\n' "$t" "${execs:-?}" "$((end - start))" \
        "$((after - before))" "$(find "fuzz/corpus/$t" -type f | wc -l)" \
        "$(find "fuzz/corpus/$t" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')" "${max_len:-default}" \
        "$([ $status -ne 0 ] && echo "  (exit $status)")"
done
