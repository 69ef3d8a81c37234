#!/usr/bin/env bash
# Bulk API 2.0 benchmarks, side by side in one run: sfbulk, simple-salesforce `bulk2`, jsforce
# `bulk2` and curl moving the same bytes, against one mock Salesforce on 127.0.0.1.
#
#   cargo build --release -p sfbulk-cli -p sfbulk-mock --bins --examples
#   bash tools/bench/v2.sh            # the summary (Markdown) on stdout, raw data in $OUT
#
# Workloads (every client gets the same input and must return every row):
#   ingest  insert INGEST_ROWS Accounts from one CSV (LF, a quoted comma and quote in every
#           record) and read every result:
#             sfbulk `load --bulk-api 2 --results` (one results file joined to the input)
#             simple-salesforce `bulk2.Account.insert(csv_file=…)` + its 3 result files to disk
#             jsforce `bulk2.loadAndWaitForResults` (its 3 results parsed into records)
#             curl: create, PUT the file, close, poll, GET the 3 result files (curl_v2.sh)
#           the npm package (sfbulk-npm) and the Python package (sfbulk-py): `load` of the file
#             with `results` (one results file joined to the input), tools/bench/pkg_*.
#   query   `SELECT Id, Name FROM Account` on a mock seeded with QUERY_ROWS accounts (run before
#           the ingests add theirs), to disk:
#             sfbulk `query --bulk-api 2 --output` (pages of 100,000, its default)
#             simple-salesforce `bulk2.Account.download(…, max_records=100000)`
#             jsforce `bulk2.query(…).stream()` piped to a file: one page, since jsforce fails
#               on results of several pages (jsforce#1546), so the mock's default page size is
#               QUERY_ROWS
#             curl: create, poll, GET the pages of 100,000 by locator (curl_v2.sh)
#             sfbulk-npm, sfbulk-py: the packages' `query(soql, file)` (pages of 100,000)
#   big     the same query with BIG_ROWS rows: sfbulk, and curl for scale, on a second mock
#           (memory stays flat: compare sfbulk's peak RSS with the query workload's). That mock
#           holds ~1.5 KB per row (15 GB at its peak for 10M): skipped, and said so, when
#           MemAvailable stays below 1.6 KB per row plus 2 GB for MEM_WAIT seconds.
#
# Each client run is its own process under rusage.py (GNU time's `-f '%U %S %e %M'` to the
# ms; CPU = user+sys of the process and its children, peak RSS of the largest), RUNS times,
# rounds interleaved (sfbulk, simple-salesforce, jsforce, curl, then again), after one untimed warm-up
# round (the compiled component's cache, Python's bytecode, disk caches). After each run the output is
# checked: exit status 0 and exactly the expected rows (results: successful + failed +
# unprocessed = rows sent; query: data lines, with one header per file); a run that fails that
# is reported as failed, not timed. load1 (/proc/loadavg) is recorded before every run and the
# mock's own CPU around it. The mock answers at once (`--delay-ms 0`), so wall time is client
# work, mock work and polling cadence, not waiting.
#
# Settings (environment):
#   RUNS=3 INGEST_ROWS=100000 QUERY_ROWS=1000000 BIG_ROWS=10000000 (0: skip big)
#   WORKLOADS="query ingest big"   CLIENTS="sfbulk simple-salesforce jsforce curl"
#     (also sfbulk-npm and sfbulk-py: the packages, installed by `cargo test -p sfbulk-tests
#     --test integration packages_` into PKG_NPM_DIR=$TARGET/tmp/packages/npm-user and
#     PKG_PY=$TARGET/tmp/packages/py-user/venv/bin/python)
#   OUT=target/tmp/bench-v2 (scratch and results; emptied first)
#   PEERS_WORK_DIR=~/.cache/sfbulk-peers-v2 (the peers' installs, shared with run_v2.sh)
#   LOAD_GATE=  (e.g. 1.5: before each timed run wait, up to GATE_MAX=900 s, for load1 below it)
#   MEM_WAIT=900 (seconds to wait for the big mock's memory before skipping it)
#   CARGO_TARGET_DIR (where the release build is; default target/)
# Needs bash, curl, python3 (venv), node and npm.
# The results: $OUT/results.tsv (one line per run), $OUT/summary.md (what is printed), each
# run's stdout/stderr under $OUT/runs/. Exits non-zero when any run failed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
RUNS="${RUNS:-3}"
INGEST_ROWS="${INGEST_ROWS:-100000}"
QUERY_ROWS="${QUERY_ROWS:-1000000}"
BIG_ROWS="${BIG_ROWS:-10000000}"
WORKLOADS="${WORKLOADS:-query ingest big}"
CLIENTS="${CLIENTS:-sfbulk simple-salesforce jsforce curl}"
OUT="${OUT:-$TARGET/tmp/bench-v2}"
LOAD_GATE="${LOAD_GATE:-}"
GATE_MAX="${GATE_MAX:-900}"
MEM_WAIT="${MEM_WAIT:-900}"
TOKEN="00DFAKE!SESSIONTOKEN" # the peer session id a stand-alone mock accepts
MAX_RECORDS=100000
SOQL="SELECT Id, Name FROM Account" # the seeded accounts only: the query round runs first
SFBULK="$TARGET/release/sfbulk"
MOCK="$TARGET/release/examples/mock_server"
# GNU time's figures (`time -f '%U %S %e %M'`), to the millisecond: rusage.py (GNU time
# prints hundredths, which moves a ratio of ~0.08 s to ~0.4 s by up to 6 %).
TIME="python3 $HERE/rusage.py"

PKG_NPM_DIR="${PKG_NPM_DIR:-$TARGET/tmp/packages/npm-user}"
PKG_PY="${PKG_PY:-$TARGET/tmp/packages/py-user/venv/bin/python}"

die() { echo "v2.sh: $*" >&2 && exit 2; }
[ -x "$MOCK" ] || die "no release mock in $TARGET (cargo build --release -p sfbulk-mock --examples)"
if [[ " $CLIENTS " == *" sfbulk "* ]]; then
  [ -x "$SFBULK" ] || die "no release build in $TARGET (cargo build --release -p sfbulk-cli -p sfbulk-mock --bins --examples)"
fi
if [[ " $CLIENTS " == *" sfbulk-npm "* ]]; then
  [ -f "$PKG_NPM_DIR/node_modules/sfbulk/package.json" ] || die "no npm package installed in $PKG_NPM_DIR (cargo test -p sfbulk-tests --test integration packages_npm)"
fi
if [[ " $CLIENTS " == *" sfbulk-py "* ]]; then
  [ -x "$PKG_PY" ] || die "no Python package installed at $PKG_PY (cargo test -p sfbulk-tests --test integration packages_python)"
fi
$TIME -f '%U %S %e %M' -o /dev/null true || die "python3 cannot run tools/bench/rusage.py"
for tool in curl python3 node npm; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
rm -rf "$OUT" && mkdir -p "$OUT/runs" || die "cannot make $OUT"
OUT="$(cd "$OUT" && pwd)"
RESULTS="$OUT/results.tsv"
printf 'workload\tclient\trun\tload1\tuser_s\tsys_s\twall_s\tmax_rss_kb\texit\trows\texpected\tmock_cpu_s\tnote\n' >"$RESULTS"

# shellcheck source=../peers/install_v2.sh
. "$REPO/tools/peers/install_v2.sh"
PEERS="${PEERS_WORK_DIR:-$HOME/.cache/sfbulk-peers-v2}"
peers_v2_install "$PEERS" >&2
SSF=("$PY" "$REPO/tools/peers/peer_simple_salesforce_v2.py")
JSF=(node "$REPO/tools/peers/peer_jsforce_v2.js")

# Does this sfbulk have Bulk 2.0 whole jobs? (Without them its rows say "missing".)
SFBULK_V2=yes
[ -x "$SFBULK" ] || SFBULK_V2=no
"$SFBULK" load --help 2>/dev/null | grep -q -- '--bulk-api' || SFBULK_V2=no
"$SFBULK" query --help 2>/dev/null | grep -q -- '--bulk-api' || SFBULK_V2=no

# ---- the mock ------------------------------------------------------------------------------
MOCK_PID=""
BASE=""
stop_mock() {
  if [ -n "$MOCK_PID" ]; then
    echo "mock $BASE: peak RSS $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$MOCK_PID/status")" |
      tee -a "$OUT/mock-memory.txt" >&2
    kill "$MOCK_PID" 2>/dev/null
    wait "$MOCK_PID" 2>/dev/null
    MOCK_PID=""
  fi
}
trap stop_mock EXIT
start_mock() { # SEED PAGE_ROWS
  stop_mock
  : >"$OUT/mock.out" # emptied before the new mock starts: the last one's banner is not its
  "$MOCK" --port 0 --seed-accounts "$1" --v2-page-rows "$2" --delay-ms 0 >"$OUT/mock.out" 2>&1 &
  MOCK_PID=$!
  local i
  for ((i = 0; i < 3000; i++)); do # seeding 10M rows takes a while
    BASE=$(sed -n 's/^mock salesforce listening on //p' "$OUT/mock.out")
    [ -n "$BASE" ] && break
    kill -0 "$MOCK_PID" 2>/dev/null || die "the mock did not start: $(cat "$OUT/mock.out")"
    sleep 0.2
  done
  [ -n "$BASE" ] || die "the mock did not start within 600 s"
  echo "mock: $BASE, $1 accounts, pages of $2 by default (pid $MOCK_PID)" >&2
}
# Deletes the mock's finished jobs (between runs, untimed): a query job holds all its rows.
clean_jobs() {
  local kind id api="$BASE/services/data/v62.0/jobs"
  for kind in query ingest; do
    for id in $(curl -sS -H "Authorization: Bearer $TOKEN" "$api/$kind" |
      grep -o '"id" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'); do
      curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" "$api/$kind/$id"
    done
  done
}
TICK=$(getconf CLK_TCK)
mock_ticks() { # utime + stime of the mock, in clock ticks
  local stat
  read -r -a stat <"/proc/$MOCK_PID/stat" && echo $((stat[13] + stat[14]))
}

# ---- one timed run -------------------------------------------------------------------------
lines() { # data lines of CSV files (header excluded; no value of ours spans lines)
  local f n total=0
  for f in "$@"; do
    [ -f "$f" ] || continue
    n=$(wc -l <"$f")
    [ "$n" -gt 0 ] && total=$((total + n - 1))
  done
  echo "$total"
}
gate() {
  [ -n "$LOAD_GATE" ] || return 0
  local waited=0
  while awk -v g="$LOAD_GATE" '{ exit !($1 >= g) }' /proc/loadavg && [ "$waited" -lt "$GATE_MAX" ]; do
    sleep 10
    waited=$((waited + 10))
  done
}
# run WORKLOAD CLIENT RUN EXPECTED: runs the client's command for the workload (cmd_*), checks
# its output (rows_*), appends a line to results.tsv.
FAILED=0
run() {
  local workload="$1" client="$2" n="$3" expected="$4"
  local dir="$OUT/runs/$workload-$client-$n"
  rm -rf "$dir" && mkdir -p "$dir/out"
  if [ "$client" = sfbulk ] && [ "$SFBULK_V2" = no ]; then
    printf '%s\t%s\t%s\t\t\t\t\t\t\t\t%s\t\tmissing: this sfbulk has no --bulk-api 2\n' \
      "$workload" "$client" "$n" "$expected" >>"$RESULTS"
    return
  fi
  local cmd
  cmd=$(command_of "$workload" "$client" "$dir/out" "$expected")
  gate
  local load1 m0 m1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  m0=$(mock_ticks)
  (cd "$dir" && eval "exec timeout 1800 $TIME -f '%U %S %e %M' -o '$dir/time' $cmd" \
    >"$dir/stdout" 2>"$dir/stderr")
  local rc=$?
  m1=$(mock_ticks)
  local user sys wall rss
  read -r user sys wall rss < <(tail -n 1 "$dir/time")
  local rows note=""
  rows=$(rows_of "$workload" "$client" "$dir")
  if [ "$rc" -ne 0 ]; then
    note="exit $rc: $(tail -n 1 "$dir/stderr" | cut -c1-200)"
  elif [ "$rows" != "$expected" ]; then
    note="rows $rows, expected $expected"
  fi
  [ -n "$note" ] && [ "$n" -gt 0 ] && FAILED=$((FAILED + 1))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$client" "$n" \
    "$load1" "$user" "$sys" "$wall" "$rss" "$rc" "$rows" "$expected" \
    "$(awk -v t=$((m1 - m0)) -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz }')" "$note" >>"$RESULTS"
  echo "$workload $client run $n: cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s, wall $wall s, rss $((rss / 1024)) MB, rows $rows/$expected, load1 $load1 ${note:+FAILED: $note}" >&2
  # keep the logs, not the data
  rm -rf "$dir/out"
  clean_jobs
}
q() { printf '%q' "$1"; }
command_of() { # WORKLOAD CLIENT OUTDIR → the command line (shell words)
  local out="$3"
  case "$1 $2" in
  "ingest sfbulk")
    echo "env SFBULK_CACHE_DIR=$(q "$OUT/sfcache") $(q "$SFBULK") --api-url $(q "$BASE") --access-token $(q "$TOKEN")" \
      "load --bulk-api 2 --operation insert --object Account --file $(q "$OUT/ingest.csv") --results $(q "$out/results.csv")"
    ;;
  "ingest simple-salesforce")
    echo "$(q "${SSF[0]}") $(q "${SSF[1]}") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/ingest.csv") --out $(q "$out")"
    ;;
  "ingest jsforce")
    echo "$(q "${JSF[0]}") $(q "${JSF[1]}") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/ingest.csv")"
    ;;
  "ingest curl")
    echo "bash $(q "$HERE/curl_v2.sh") ingest $(q "$BASE") $(q "$TOKEN") Account $(q "$OUT/ingest.csv") $(q "$out")"
    ;;
  "query sfbulk" | "big sfbulk")
    echo "env SFBULK_CACHE_DIR=$(q "$OUT/sfcache") $(q "$SFBULK") --api-url $(q "$BASE") --access-token $(q "$TOKEN")" \
      "query --bulk-api 2 --soql $(q "$SOQL") --output $(q "$out/accounts.csv")"
    ;;
  "query simple-salesforce")
    echo "$(q "${SSF[0]}") $(q "${SSF[1]}") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --max-records $MAX_RECORDS --out $(q "$out")"
    ;;
  "query jsforce")
    echo "$(q "${JSF[0]}") $(q "${JSF[1]}") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --out $(q "$out/accounts.csv")"
    ;;
  "ingest sfbulk-npm")
    echo "node $(q "$HERE/pkg_npm.mjs") --dir $(q "$PKG_NPM_DIR") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/ingest.csv") --out $(q "$out")"
    ;;
  "ingest sfbulk-py")
    echo "$(q "$PKG_PY") $(q "$HERE/pkg_py.py") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/ingest.csv") --out $(q "$out")"
    ;;
  "query sfbulk-npm")
    echo "node $(q "$HERE/pkg_npm.mjs") --dir $(q "$PKG_NPM_DIR") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --out $(q "$out/accounts.csv")"
    ;;
  "query sfbulk-py")
    echo "$(q "$PKG_PY") $(q "$HERE/pkg_py.py") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --out $(q "$out/accounts.csv")"
    ;;
  "query curl" | "big curl")
    echo "bash $(q "$HERE/curl_v2.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") $MAX_RECORDS $(q "$out")"
    ;;
  esac
}
rows_of() { # WORKLOAD CLIENT DIR → the rows the client returned
  local out="$3/out"
  case "$1 $2" in
  "ingest jsforce")
    # successful=A failed=B unprocessed=C: the lengths of the arrays jsforce returned
    awk -F'[ =]' '/^successful=/ { s = $2 + $4 + $6 } END { print s + 0 }' "$3/stdout"
    ;;
  "query sfbulk" | "big sfbulk" | "query jsforce" | "query sfbulk-npm" | "query sfbulk-py")
    # one file with one header: the data lines, and 0 if the header shows up more than once
    local headers
    headers=$(grep -c '^"Id","Name"$' "$out/accounts.csv" 2>/dev/null)
    if [ "${headers:-0}" -gt 1 ]; then echo "0 ($headers headers)"; else lines "$out/accounts.csv"; fi
    ;;
  *) lines "$out"/*.csv ;;
  esac
}

# ---- the runs ------------------------------------------------------------------------------
# round WORKLOAD EXPECTED CLIENTS…: run 0 (warm-up, not counted), then RUNS interleaved rounds
round() {
  local workload="$1" expected="$2" n client
  shift 2
  for ((n = 0; n <= RUNS; n++)); do
    for client in "$@"; do
      # A fresh mock for every ingest run (untimed): it keeps every record inserted, and the
      # memory they hold made the next runs dearer (see tools/bench/wan.sh, `round`).
      [ "$workload" = ingest ] && start_mock 1000 "$QUERY_ROWS"
      run "$workload" "$client" "$n" "$expected"
    done
  done
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
  echo "sfbulk: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (modified)'), component $(stat -c %s "$TARGET/guest/sfbulk.wasm" 2>/dev/null) bytes, Bulk 2.0 whole jobs: $SFBULK_V2"
  echo "peers: simple-salesforce $("$PY" -c 'import importlib.metadata as m; print(m.version("simple-salesforce"))' 2>/dev/null) (Python $("$PY" -c 'import sys; print(sys.version.split()[0])')), jsforce $(node -p 'require("jsforce/package.json").version' 2>/dev/null) (node $(node --version)), $(curl --version | head -n 1 | cut -d' ' -f1-2)"
} >"$OUT/machine.txt"

if [[ " $WORKLOADS " == *" query "* || " $WORKLOADS " == *" ingest "* ]]; then
  # Query first: the ingests add Accounts, which the query would return.
  start_mock "$QUERY_ROWS" "$QUERY_ROWS"
  if [[ " $WORKLOADS " == *" query "* ]]; then
    # shellcheck disable=SC2086
    round query "$QUERY_ROWS" $CLIENTS
  fi
  if [[ " $WORKLOADS " == *" ingest "* ]]; then
    awk -v n="$INGEST_ROWS" 'BEGIN {
      print "Name,Description"
      for (i = 1; i <= n; i++) printf "Bench Account %d,\"row, %d \"\"q\"\"\"\n", i, i
    }' >"$OUT/ingest.csv"
    # shellcheck disable=SC2086
    round ingest "$INGEST_ROWS" $CLIENTS
  fi
fi
if [[ " $WORKLOADS " == *" big "* ]] && [ "$BIG_ROWS" -gt 0 ]; then
  big_clients=()
  for client in $CLIENTS; do
    case "$client" in sfbulk | curl) big_clients+=("$client") ;; esac
  done
  # The mock keeps every seeded record (~1.2 KB each) and a query job's rows (~0.15 KB each):
  # 15 GB at its peak for 10M rows. Skip rather than push a shared machine out of memory.
  stop_mock
  need_kb=$((BIG_ROWS * 16 / 10 + 2 * 1048576))
  avail_kb=0
  for ((waited = 0; ; waited += 30)); do
    avail_kb=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
    [ "$avail_kb" -ge "$need_kb" ] || [ "$waited" -ge "$MEM_WAIT" ] && break
    echo "big: waiting for $((need_kb / 1048576)) GB of memory ($((avail_kb / 1048576)) GB available)" >&2
    sleep 30
  done
  if [ "$avail_kb" -lt "$need_kb" ]; then
    for client in "${big_clients[@]}"; do
      printf '%s\t%s\t1\t\t\t\t\t\t\t\t%s\t\tskipped: the mock needs ~%d GB for %d rows, %d GB available\n' \
        big "$client" "$BIG_ROWS" $((need_kb / 1048576)) "$BIG_ROWS" $((avail_kb / 1048576)) >>"$RESULTS"
    done
  else
    start_mock "$BIG_ROWS" "$MAX_RECORDS"
    round big "$BIG_ROWS" "${big_clients[@]}"
  fi
fi
stop_mock

python3 "$HERE/v2_report.py" "$OUT" | tee "$OUT/summary.md"
[ "$FAILED" -eq 0 ]
