#!/usr/bin/env bash
# Run the peers' own Bulk API 2.0 clients against a Salesforce at BASE_URL (the sfbulk mock:
# `cargo run -p sfbulk-mock --example mock_server -- --port PORT`, which seeds 1000 accounts
# and accepts the session id the drivers send). Each scenario must end as it should: that is
# how we know the mock speaks Bulk 2.0 as the peers expect it.
#
#   bash tools/peers/run_v2.sh BASE_URL [WORK_DIR]
#
# WORK_DIR (default: $PEERS_WORK_DIR, else ~/.cache/sfbulk-peers-v2) gets a venv with
# simple-salesforce 1.12.10 (requirements-v2.txt, every package pinned) and jsforce 3.10.16
# (npm ci from package-lock.json here); they are installed once and again when the pins
# change. Needs python3 (with venv), node and npm. Prints one PASS/FAIL line per scenario,
# then `N passed, N failed`; exits 0 only when every scenario passed.
set -u
BASE="${1:?usage: run_v2.sh BASE_URL [WORK_DIR]}"
WORK="${2:-${PEERS_WORK_DIR:-$HOME/.cache/sfbulk-peers-v2}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$WORK/out"
WORK="$(cd "$WORK" && pwd)"

# shellcheck source=install_v2.sh
. "$HERE/install_v2.sh"
peers_v2_install "$WORK"

pass=0
fail=0
run() { # name command...
  local name="$1"
  shift
  local out="$WORK/out/$name.out"
  if timeout 120 "$@" --base "$BASE" >"$out" 2>&1; then
    pass=$((pass + 1))
    echo "PASS $name: $(tail -n 1 "$out" | cut -c1-160)"
  else
    fail=$((fail + 1))
    echo "FAIL $name (see $out): $(tail -n 1 "$out" | cut -c1-160)"
  fi
}

run simple-salesforce-ingest-failed-row "$PY" "$HERE/peer_simple_salesforce_v2.py" --scenario ingest-failed-row
run simple-salesforce-upsert "$PY" "$HERE/peer_simple_salesforce_v2.py" --scenario upsert
run simple-salesforce-delete "$PY" "$HERE/peer_simple_salesforce_v2.py" --scenario delete
run simple-salesforce-query-multipage "$PY" "$HERE/peer_simple_salesforce_v2.py" --scenario query-multipage
run jsforce-ingest-failed-row node "$HERE/peer_jsforce_v2.js" --scenario ingest-failed-row
run jsforce-query-onepage node "$HERE/peer_jsforce_v2.js" --scenario query-onepage
echo "NOTE jsforce-query-multipage: not run; jsforce 3.10.16 fails on Bulk 2.0 query results of several pages against any server (ERR_STREAM_WRITE_AFTER_END, jsforce#1546)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
