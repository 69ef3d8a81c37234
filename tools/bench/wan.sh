#!/usr/bin/env bash
# Bulk API 1.0 and 2.0 whole jobs side by side, on plain loopback AND over the mock's simulated
# WAN (issue 15): sfbulk, the peers' own Bulk API code and curl moving the same bytes, against
# one mock Salesforce (`mock_server`) per workload, in one run.
#
#   cargo build --release -p sfbulk-cli -p sfbulk-mock --bins --examples
#   bash tools/bench/wan.sh          # the summary (Markdown) on stdout, raw data in $OUT
#
# The WAN is the mock's own (`--wan-rtt-ms RTT_MS --wan-bandwidth BANDWIDTH --wan-connect-rtts
# CONNECT_RTTS`, docs/mock.md): every request pays a round trip, every connection its
# bandwidth, every new connection its set-up round trips. Defaults: 50 ms, 8,000,000 B/s per
# connection and direction, 2 round trips (TCP + TLS 1.3).
#
# Workloads (every client must return every row; checked after each run):
#   insert    insert INSERT_ROWS Accounts (`Acme N`, `row, N "q"`: a quoted comma and quote in
#             every record) with every result, in batches of 10,000:
#               sfbulk `load` (results joined to the input), simple-salesforce `bulk.Account.insert`
#               (JSON, 10 batches), curl (10 pre-split CSV batches: create, POST them, close,
#               poll, GET the 10 results; `curl-4`: the POSTs and GETs on 4 connections).
#               jsforce and salesforce-bulk send one batch of 100,000 records, which Salesforce
#               (and the mock) refuse: not run.
#   q8, q8-gzip    `SELECT Id, Name FROM Account` of QUERY_ROWS rows in 8 result files, plain
#             (the mock never compresses) or gzip (the mock compresses when asked):
#               sfbulk `query --output`, salesforce-bulk, simple-salesforce (JSON), jsforce,
#               tap-salesforce, curl (create, add, close, poll, result ids, the files on one
#               kept-alive connection; `curl-4`: `--parallel --parallel-max 4`; gzip:
#               `--compressed`)
#   q20, q20-gzip  the same in 20 result files
#   pk20      PK chunking, chunkSize = QUERY_ROWS / 20: 20 chunk batches of one file each
#               (sfbulk `--pk-chunking`, salesforce-bulk `--mode pk`, curl)
#   q10m, q10m-gzip  the query of BIG_ROWS rows in 8 files, plain or gzip (loopback only;
#             sfbulk, tap-salesforce, curl). The mock holds ~1.5 KB per row: skipped, and said
#             so, when MemAvailable stays below 1.6 KB per row plus 2 GB for MEM_WAIT seconds.
#   v2-query  Bulk 2.0 query of QUERY_ROWS rows, pages of 100,000 (jsforce: one page, it fails
#             on several, jsforce#1546): sfbulk `--bulk-api 2`, simple-salesforce, jsforce,
#             curl (tools/bench/curl_v2.sh)
#   v2-ingest Bulk 2.0 insert of INSERT_ROWS rows with every result: the same clients
#
# Each client run is its own process under rusage.py (GNU time's figures to the ms; CPU =
# user+sys of it and its children, peak RSS of the largest), RUNS times, rounds interleaved,
# after one untimed warm-up of every client (the compiled component's cache, Python's
# bytecode). Around each run the harness reads the
# mock's `/__mock/stats` on its direct (unshaped) URL: requests, connections (over the WAN: the
# connections opened, the most open at once, bytes each way); after it, it forgets the mock's
# jobs (`DELETE /__mock/jobs`, a query job holds all its rows). Floors and ratios:
# wan_report.py.
#
# Settings (environment):
#   RUNS=3 NETS="loopback wan" WORKLOADS="insert q8 q8-gzip q20 q20-gzip pk20 v2-query v2-ingest q10m q10m-gzip"
#   CLIENTS="sfbulk salesforce-bulk simple-salesforce jsforce tap-salesforce curl curl-4"
#   RTT_MS=50 BANDWIDTH=8000000 CONNECT_RTTS=2
#   INSERT_ROWS=100000 QUERY_ROWS=1000000 BIG_ROWS=10000000 (0: skip q10m) MEM_WAIT=600
#   SFBULK_CONCURRENCY (when set: passed to sfbulk as --concurrency, if it has the option)
#   OUT=target/tmp/bench-wan (emptied first)  PEERS_WORK_DIR=~/.cache/sfbulk-peers-v2
#   SFBULK, MOCK (default: the release builds under CARGO_TARGET_DIR or target/)
#   LOAD_GATE= (e.g. 1.5: before each timed run wait, up to GATE_MAX=900 s, for load1 below it)
# Needs bash, curl, python3 (venv), node and npm. Results: $OUT/results.tsv (one line
# per run), $OUT/summary.md (what is printed), each run's output under $OUT/runs/. Exits
# non-zero when any counted run failed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
RUNS="${RUNS:-3}"
NETS="${NETS:-loopback wan}"
WORKLOADS="${WORKLOADS:-insert q8 q8-gzip q20 q20-gzip pk20 v2-query v2-ingest q10m q10m-gzip}"
CLIENTS="${CLIENTS:-sfbulk salesforce-bulk simple-salesforce jsforce tap-salesforce curl curl-4}"
RTT_MS="${RTT_MS:-50}"
BANDWIDTH="${BANDWIDTH:-8000000}"
CONNECT_RTTS="${CONNECT_RTTS:-2}"
INSERT_ROWS="${INSERT_ROWS:-100000}"
QUERY_ROWS="${QUERY_ROWS:-1000000}"
BIG_ROWS="${BIG_ROWS:-10000000}"
MEM_WAIT="${MEM_WAIT:-600}"
OUT="${OUT:-$TARGET/tmp/bench-wan}"
LOAD_GATE="${LOAD_GATE:-}"
GATE_MAX="${GATE_MAX:-900}"
TOKEN="00DFAKE!SESSIONTOKEN" # the peer session id a stand-alone mock accepts
SOQL="SELECT Id, Name FROM Account"
BATCH_ROWS=10000
SFBULK="${SFBULK:-$TARGET/release/sfbulk}"
MOCK="${MOCK:-$TARGET/release/examples/mock_server}"
# GNU time's figures (`time -f '%U %S %e %M'`), to the millisecond: rusage.py (GNU time
# prints hundredths, which moves a ratio of ~0.08 s to ~0.4 s by up to 6 %).
TIME="python3 $HERE/rusage.py"

die() { echo "wan.sh: $*" >&2 && exit 2; }
[ -x "$MOCK" ] || die "no release mock in $TARGET (cargo build --release -p sfbulk-mock --examples)"
if [[ " $CLIENTS " == *" sfbulk "* ]]; then
  [ -x "$SFBULK" ] || die "no release sfbulk in $TARGET (cargo build --release -p sfbulk-cli --bins)"
fi
"$MOCK" --wan-rtt-ms x 2>&1 | grep -q -- --wan-rtt-ms || die "this mock_server has no simulated WAN"
$TIME -f '%U %S %e %M' -o /dev/null true || die "python3 cannot run tools/bench/rusage.py"
for tool in curl python3 node npm; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
rm -rf "$OUT" && mkdir -p "$OUT/runs" "$OUT/data" || die "cannot make $OUT"
OUT="$(cd "$OUT" && pwd)"
RESULTS="$OUT/results.tsv"
printf 'net\tworkload\tclient\trun\tload1\tuser_s\tsys_s\twall_s\tmax_rss_kb\texit\trows\texpected\tmock_cpu_s\trequests\tconnections\tpeak_open\tbytes_up\tbytes_down\tnote\n' >"$RESULTS"

# ---- the peers -----------------------------------------------------------------------------
# shellcheck source=../peers/install_v2.sh
. "$REPO/tools/peers/install_v2.sh"
# shellcheck source=../peers/install_v1.sh
. "$REPO/tools/peers/install_v1.sh"
PEERS="${PEERS_WORK_DIR:-$HOME/.cache/sfbulk-peers-v2}"
peers_v2_install "$PEERS" >&2
peers_v1_install "$PEERS" >&2 # PY1 (salesforce-bulk, simple-salesforce), TAPPY (tap-salesforce)
P="$REPO/tools/peers"

# sfbulk's transfer concurrency, once it has the option (SFBULK_CONCURRENCY).
SFBULK_OPTS=()
if [ -n "${SFBULK_CONCURRENCY:-}" ] && [ -x "$SFBULK" ]; then
  if "$SFBULK" --help 2>&1 | grep -q -- '--concurrency'; then
    SFBULK_OPTS=(--concurrency "$SFBULK_CONCURRENCY")
  else
    echo "wan.sh: SFBULK_CONCURRENCY is set but this sfbulk has no --concurrency: not passed" >&2
  fi
fi

# ---- the mock ------------------------------------------------------------------------------
MOCK_PID="" BASE="" DIRECT=""
stop_mock() {
  if [ -n "$MOCK_PID" ]; then
    echo "mock $BASE: peak RSS $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$MOCK_PID/status")" >&2
    kill "$MOCK_PID" 2>/dev/null
    wait "$MOCK_PID" 2>/dev/null
    MOCK_PID=""
  fi
}
trap stop_mock EXIT
start_mock() { # NET SEED FILE_ROWS GZIP(yes|no)
  stop_mock
  local args=(--port 0 --seed-accounts "$2" --delay-ms 0 --result-file-rows "$3" --v2-page-rows "$QUERY_ROWS")
  [ "$4" = no ] && args+=(--no-gzip)
  [ "$1" = wan ] && args+=(--wan-rtt-ms "$RTT_MS" --wan-bandwidth "$BANDWIDTH" --wan-connect-rtts "$CONNECT_RTTS")
  # Emptied here, before the new mock starts: the last mock's banner must not be read for its.
  : >"$OUT/mock.out"
  "$MOCK" "${args[@]}" >"$OUT/mock.out" 2>&1 &
  MOCK_PID=$!
  BASE=""
  local i
  for ((i = 0; i < 3000; i++)); do # seeding 10M rows takes a while
    BASE=$(sed -n 's/^mock salesforce listening on //p' "$OUT/mock.out")
    [ -n "$BASE" ] && break
    kill -0 "$MOCK_PID" 2>/dev/null || die "the mock did not start: $(cat "$OUT/mock.out")"
    sleep 0.2
  done
  [ -n "$BASE" ] || die "the mock did not start within 600 s"
  sleep 0.1
  DIRECT=$(sed -n 's/^simulated WAN: .*; the mock without it: //p' "$OUT/mock.out")
  [ -n "$DIRECT" ] || DIRECT="$BASE"
  echo "mock ($1): $BASE, $2 accounts, $3 rows per result file, gzip $4 (pid $MOCK_PID)" >&2
}
TICK=$(getconf CLK_TCK)
mock_ticks() { # utime + stime of the mock (and its WAN), in clock ticks
  local stat
  read -r -a stat <"/proc/$MOCK_PID/stat" && echo $((stat[13] + stat[14]))
}
mock_stats() { curl -sS --max-time 10 "$DIRECT/__mock/stats$1"; }

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
one_csv() { # FILE: its data lines when it has exactly one header, else why not
  local headers
  headers=$(grep -c '^"Id","Name"$' "$1" 2>/dev/null)
  if [ "${headers:-0}" -gt 1 ]; then echo "0 ($headers headers)"; else lines "$1"; fi
}
gate() {
  [ -n "$LOAD_GATE" ] || return 0
  local waited=0
  while awk -v g="$LOAD_GATE" '{ exit !($1 >= g) }' /proc/loadavg && [ "$waited" -lt "$GATE_MAX" ]; do
    sleep 10
    waited=$((waited + 10))
  done
}
FAILED=0
run() { # NET WORKLOAD CLIENT RUN EXPECTED
  local net="$1" workload="$2" client="$3" n="$4" expected="$5"
  local dir="$OUT/runs/$net-$workload-$client-$n"
  rm -rf "$dir" && mkdir -p "$dir/out"
  local cmd
  cmd=$(command_of "$workload" "$client" "$dir/out")
  gate
  local load1 m0 m1
  mock_stats '?reset' >"$dir/stats-before.json"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  m0=$(mock_ticks)
  (cd "$dir" && eval "exec timeout 1800 $TIME -f '%U %S %e %M' -o '$dir/time' $cmd" \
    >"$dir/stdout" 2>"$dir/stderr")
  local rc=$?
  m1=$(mock_ticks)
  sleep 0.3 # the WAN's last closes
  mock_stats "" >"$dir/stats-after.json"
  local user sys wall rss
  read -r user sys wall rss < <(tail -n 1 "$dir/time")
  local rows note="" net_figures
  rows=$(rows_of "$workload" "$client" "$dir")
  if [ "$rc" -ne 0 ]; then
    note="exit $rc: $(tail -n 1 "$dir/stderr" | cut -c1-200)"
  elif [ "$rows" != "$expected" ]; then
    note="rows $rows, expected $expected"
  fi
  [ -n "$note" ] && [ "$n" -gt 0 ] && FAILED=$((FAILED + 1))
  net_figures=$(python3 "$HERE/wan_stats.py" "$dir/stats-before.json" "$dir/stats-after.json")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$net" "$workload" "$client" "$n" \
    "$load1" "$user" "$sys" "$wall" "$rss" "$rc" "$rows" "$expected" \
    "$(awk -v t=$((m1 - m0)) -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz }')" "$net_figures" "$note" >>"$RESULTS"
  echo "$net $workload $client run $n: cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s, wall $wall s, rss $((rss / 1024)) MB, rows $rows/$expected, net $(tr '\t' ' ' <<<"$net_figures"), load1 $load1 ${note:+FAILED: $note}" >&2
  # keep the logs and curl's transfer sizes (the floors), not the data
  if [ "$client" = curl ] && [ ! -f "$dir/out/sizes" ]; then # curl_v2.sh
    case "$workload" in
    v2-ingest)
      echo "up $(stat -c %s "$OUT/data/insert.csv")"
      for f in successful failed unprocessed; do echo "down $(stat -c %s "$dir/out/$f.csv")"; done
      ;;
    v2-query) for f in "$dir"/out/page-*.csv; do echo "down $(stat -c %s "$f")"; done ;;
    esac >"$dir/out/sizes" 2>/dev/null
  fi
  [ -f "$dir/out/sizes" ] && mv "$dir/out/sizes" "$dir/sizes"
  rm -rf "$dir/out"
  forget_jobs
}
# The mock forgets its jobs (a query job holds all its rows).
forget_jobs() { curl -sS -o /dev/null -X DELETE "$DIRECT/__mock/jobs"; }
q() { printf '%q' "$1"; }
SF() { echo "env SFBULK_CACHE_DIR=$(q "$OUT/sfcache") $(q "$SFBULK") --api-url $(q "$BASE") --access-token $(q "$TOKEN") ${SFBULK_OPTS[*]:-}"; }
command_of() { # WORKLOAD CLIENT OUTDIR → the command line (shell words)
  local out="$3" gz=""
  case "$1" in *-gzip) gz=--gzip ;; esac
  case "$1 $2" in
  "insert sfbulk") echo "$(SF) load --operation insert --object Account --file $(q "$OUT/data/insert.csv") --results $(q "$out/results.csv")" ;;
  "insert simple-salesforce") echo "$(q "$PY1") $(q "$P/peer_simple_salesforce.py") --base $(q "$BASE") --mode ingest --n $INSERT_ROWS" ;;
  "insert curl") echo "bash $(q "$HERE/curl_v1.sh") insert $(q "$BASE") $(q "$TOKEN") $(q "$out") $(q "$OUT")/data/batch-*.csv" ;;
  "insert curl-4") echo "bash $(q "$HERE/curl_v1.sh") insert $(q "$BASE") $(q "$TOKEN") $(q "$out") --parallel 4 $(q "$OUT")/data/batch-*.csv" ;;
  q*" sfbulk") echo "$(SF) query --soql $(q "$SOQL") --output $(q "$out/accounts.csv")" ;;
  "pk20 sfbulk") echo "$(SF) query --soql $(q "$SOQL") --pk-chunking chunkSize=$((QUERY_ROWS / 20)) --output $(q "$out/accounts.csv")" ;;
  q*" salesforce-bulk") echo "$(q "$PY1") $(q "$P/peer_salesforce_bulk.py") --base $(q "$BASE") --mode query" ;;
  "pk20 salesforce-bulk") echo "$(q "$PY1") $(q "$P/peer_salesforce_bulk.py") --base $(q "$BASE") --mode pk --chunk-size $((QUERY_ROWS / 20))" ;;
  q*" simple-salesforce") echo "$(q "$PY1") $(q "$P/peer_simple_salesforce.py") --base $(q "$BASE") --mode query --wait 0.05" ;;
  q*" jsforce") echo "node $(q "$P/peer_jsforce.js") --base $(q "$BASE") --mode query" ;;
  q*" tap-salesforce") echo "$(q "$TAPPY") $(q "$P/peer_tap_salesforce.py") --base $(q "$BASE")" ;;
  q*" curl") echo "bash $(q "$HERE/curl_v1.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") $(q "$out") $gz" ;;
  q*" curl-4") echo "bash $(q "$HERE/curl_v1.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") $(q "$out") $gz --parallel 4" ;;
  "pk20 curl") echo "bash $(q "$HERE/curl_v1.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") $(q "$out") --pk $((QUERY_ROWS / 20))" ;;
  "pk20 curl-4") echo "bash $(q "$HERE/curl_v1.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") $(q "$out") --pk $((QUERY_ROWS / 20)) --parallel 4" ;;
  "v2-ingest sfbulk") echo "$(SF) load --bulk-api 2 --operation insert --object Account --file $(q "$OUT/data/insert.csv") --results $(q "$out/results.csv")" ;;
  "v2-ingest simple-salesforce") echo "$(q "$PY") $(q "$P/peer_simple_salesforce_v2.py") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/data/insert.csv") --out $(q "$out")" ;;
  "v2-ingest jsforce") echo "node $(q "$P/peer_jsforce_v2.js") --base $(q "$BASE") --scenario bench-ingest --file $(q "$OUT/data/insert.csv")" ;;
  "v2-ingest curl") echo "bash $(q "$HERE/curl_v2.sh") ingest $(q "$BASE") $(q "$TOKEN") Account $(q "$OUT/data/insert.csv") $(q "$out")" ;;
  "v2-query sfbulk") echo "$(SF) query --bulk-api 2 --soql $(q "$SOQL") --output $(q "$out/accounts.csv")" ;;
  "v2-query simple-salesforce") echo "$(q "$PY") $(q "$P/peer_simple_salesforce_v2.py") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --max-records 100000 --out $(q "$out")" ;;
  "v2-query jsforce") echo "node $(q "$P/peer_jsforce_v2.js") --base $(q "$BASE") --scenario bench-query --soql $(q "$SOQL") --out $(q "$out/accounts.csv")" ;;
  "v2-query curl") echo "bash $(q "$HERE/curl_v2.sh") query $(q "$BASE") $(q "$TOKEN") $(q "$SOQL") 100000 $(q "$out")" ;;
  esac
}
rows_of() { # WORKLOAD CLIENT DIR → the rows the client returned
  local out="$3/out"
  case "$1 $2" in
  "insert simple-salesforce") grep -oE 'ok=[0-9]+' "$3/stdout" | tail -n 1 | cut -d= -f2 ;;
  *" salesforce-bulk" | q*" simple-salesforce" | q*" jsforce" | *" tap-salesforce")
    grep -oE 'rows=[0-9]+' "$3/stdout" | tail -n 1 | cut -d= -f2
    ;;
  "v2-ingest jsforce") awk -F'[ =]' '/^successful=/ { s = $2 + $4 + $6 } END { print s + 0 }' "$3/stdout" ;;
  *" sfbulk" | "v2-query jsforce")
    if [ -f "$out/accounts.csv" ]; then one_csv "$out/accounts.csv"; else lines "$out"/*.csv; fi
    ;;
  *) lines "$out"/*.csv ;;
  esac
}
# Which clients run a workload (of CLIENTS, in their order).
clients_of() {
  local c want
  case "$1" in
  insert) want="sfbulk simple-salesforce curl curl-4" ;;
  q8 | q8-gzip | q20 | q20-gzip) want="sfbulk salesforce-bulk simple-salesforce jsforce tap-salesforce curl curl-4" ;;
  pk20) want="sfbulk salesforce-bulk curl curl-4" ;;
  q10m | q10m-gzip) want="sfbulk tap-salesforce curl curl-4" ;;
  v2-*) want="sfbulk simple-salesforce jsforce curl" ;;
  esac
  for c in $CLIENTS; do [[ " $want " == *" $c "* ]] && printf '%s ' "$c"; done
}
# round NET WORKLOAD EXPECTED: RUNS interleaved rounds of the workload's clients. An ingest
# run gets a fresh mock (1,000 accounts, untimed): the mock keeps every record inserted, and
# a few hundred MB of them held on this machine made the next runs' page faults dearer
# (sfbulk's CPU +50 % beside a mock grown by 10 inserts; BENCHMARKS.md, ninth session).
round() {
  local n client
  for ((n = 1; n <= RUNS; n++)); do
    for client in $(clients_of "$2"); do
      case "$2" in insert | v2-ingest) start_mock "$1" 1000 1000 no ;; esac
      run "$1" "$2" "$client" "$n" "$3"
    done
  done
}

# ---- the runs ------------------------------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
  echo "sfbulk: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (modified)'), component $(stat -c %s "$TARGET/guest/sfbulk.wasm" 2>/dev/null) bytes${SFBULK_OPTS[*]:+, ${SFBULK_OPTS[*]}}"
  echo "peers: salesforce-bulk $("$PY1" -c 'import importlib.metadata as m; print(m.version("salesforce-bulk"))' 2>/dev/null), simple-salesforce $("$PY1" -c 'import importlib.metadata as m; print(m.version("simple-salesforce"))' 2>/dev/null) (Python $("$PY1" -c 'import sys; print(sys.version.split()[0])')), tap-salesforce $("$TAPPY" -c 'import importlib.metadata as m; print(m.version("tap-salesforce"))' 2>/dev/null), jsforce $(node -p 'require("jsforce/package.json").version' 2>/dev/null) (node $(node --version)), $(curl --version | head -n 1 | cut -d' ' -f1-2)"
  echo "link: rtt $RTT_MS ms, $BANDWIDTH B/s per connection and direction, $CONNECT_RTTS RTT per new connection"
} >"$OUT/machine.txt"

# The insert input (the peers generate the same records) and its batches for curl.
awk -v n="$INSERT_ROWS" 'BEGIN {
  print "Name,Description"
  for (i = 0; i < n; i++) printf "Acme %d,\"row, %d \"\"q\"\"\"\n", i, i
}' >"$OUT/data/insert.csv"
tail -n +2 "$OUT/data/insert.csv" | split -l "$BATCH_ROWS" -d -a 3 - "$OUT/data/rows-"
for f in "$OUT"/data/rows-*; do
  { head -n 1 "$OUT/data/insert.csv" && cat "$f"; } >"$OUT/data/batch-${f##*rows-}.csv" && rm "$f"
done

# Warm-up, untimed: every client once against a small mock.
start_mock loopback 1000 1000 yes
for client in $CLIENTS; do
  case "$client" in curl*) continue ;; esac
  for workload in q8 v2-query; do
    [[ " $(clients_of $workload) " == *" $client "* ]] || continue
    cmd=$(command_of "$workload" "$client" "$OUT/warm")
    mkdir -p "$OUT/warm" && (eval "$cmd" >"$OUT/warm/$client.out" 2>&1) && rm -rf "$OUT/warm"/*.csv
  done
done
rm -rf "$OUT/warm"

for net in $NETS; do
  # One mock per kind of result file; the ingests after the queries (they add Accounts).
  for spec in "plain 8" "gzip 8" "plain 20" "gzip 20"; do
    set -- $spec
    gz=$([ "$1" = gzip ] && echo yes || echo no) files=$2
    todo=()
    for w in $WORKLOADS; do
      case "$w $1 $files" in
      "q8 plain 8" | "q8-gzip gzip 8" | "q20 plain 20" | "q20-gzip gzip 20" | "pk20 plain 8" | \
        "v2-query plain 8" | "insert plain 8" | "v2-ingest plain 8") todo+=("$w") ;;
      esac
    done
    [ ${#todo[@]} -gt 0 ] || continue
    start_mock "$net" "$QUERY_ROWS" $((QUERY_ROWS / files)) "$gz"
    for w in q8 q8-gzip q20 q20-gzip pk20 v2-query insert v2-ingest; do
      [[ " ${todo[*]} " == *" $w "* ]] || continue
      case "$w" in insert | v2-ingest) expected=$INSERT_ROWS ;; *) expected=$QUERY_ROWS ;; esac
      round "$net" "$w" "$expected"
    done
  done
  for big in q10m q10m-gzip; do
    [ "$net" = loopback ] && [[ " $WORKLOADS " == *" $big "* ]] && [ "$BIG_ROWS" -gt 0 ] || continue
    stop_mock
    need_kb=$((BIG_ROWS * 16 / 10 + 2 * 1048576))
    for ((waited = 0; ; waited += 30)); do
      avail_kb=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
      [ "$avail_kb" -ge "$need_kb" ] || [ "$waited" -ge "$MEM_WAIT" ] && break
      echo "$big: waiting for $((need_kb / 1048576)) GB of memory ($((avail_kb / 1048576)) GB available)" >&2
      sleep 30
    done
    if [ "$avail_kb" -lt "$need_kb" ]; then
      for client in $(clients_of "$big"); do
        printf '%s\t%s\t%s\t1\t\t\t\t\t\t\t\t%s\t\t\t\t\t\t\tskipped: the mock needs ~%d GB for %d rows, %d GB available\n' \
          "$net" "$big" "$client" "$BIG_ROWS" $((need_kb / 1048576)) "$BIG_ROWS" $((avail_kb / 1048576)) >>"$RESULTS"
      done
    else
      start_mock "$net" "$BIG_ROWS" $((BIG_ROWS / 8)) "$([ "$big" = q10m-gzip ] && echo yes || echo no)"
      # One query first, untimed: the mock's first job of 10M rows takes its memory from the
      # system (~2x the CPU of the next ones, whose rows reuse it), which would fall on
      # whichever client ran first.
      warm=$(clients_of "$big") && warm=${warm%% *}
      if [ -n "$warm" ]; then
        mkdir -p "$OUT/warm" && (eval "$(command_of "$big" "$warm" "$OUT/warm")" >/dev/null 2>&1)
        rm -rf "$OUT/warm" && forget_jobs
      fi
      round "$net" "$big" "$BIG_ROWS"
    fi
  done
done
stop_mock

python3 "$HERE/wan_report.py" "$OUT" | tee "$OUT/summary.md"
[ "$FAILED" -eq 0 ]
