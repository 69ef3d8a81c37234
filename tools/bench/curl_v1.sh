#!/usr/bin/env bash
# The curl reference of tools/bench/wan.sh: the fewest Bulk API 1.0 requests a whole job needs,
# by curl, nothing parsed beyond ids and states (bash builtins). Control requests are one curl
# process each; the transfers (batches, result lists, result files) are one curl process for
# all of them: kept alive on one connection, or with --parallel N on up to N connections.
#
#   curl_v1.sh query BASE TOKEN SOQL OUTDIR [--gzip] [--parallel N] [--pk CHUNK_SIZE]
#     create a CSV query job (PK chunking with chunkSize=CHUNK_SIZE), add the SOQL batch, close
#     the job, poll every 50 ms (the batch; with --pk the job's batch list) until Completed,
#     GET the result id list(s), then every result file into OUTDIR/file-N.csv (--gzip:
#     `--compressed`, the files written inflated)
#   curl_v1.sh insert BASE TOKEN OUTDIR [--parallel N] BATCH_FILE...
#     create a CSV insert job, POST every BATCH_FILE (each a CSV with its header), close the
#     job, poll the batch list every 50 ms until every batch is Completed, GET every batch's
#     results into OUTDIR/result-N.csv
#
# OUTDIR/sizes gets one line per batch or file: `up|down BYTES` (bodies as on the wire, gzip
# compressed when it was), which wan_report.py uses for the link floors. Exits non-zero when a request fails or a batch fails.
set -u
VERSION="${SF_API_VERSION:-62.0}"
mode="$1" base="$2" token="$3"
shift 3
api="$base/services/async/$VERSION"
session="X-SFDC-Session: $token"
NS="http://www.force.com/2009/06/asyncapi/dataload"
c() { curl -sS --fail "$@"; }
tag() { # XML TAG → the first value
  local re="<$2>([^<]*)</$2>"
  [[ $1 =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
}
tags() { # XML TAG → every value, one a line
  local rest="$1" re="<$2>([^<]*)</$2>(.*)"
  while [[ $rest =~ $re ]]; do
    printf '%s\n' "${BASH_REMATCH[1]}"
    rest="${BASH_REMATCH[2]}"
  done
}
create_job() { # OPERATION [HEADER…]
  local op="$1"
  shift
  c -H "$session" -H 'Content-Type: application/xml; charset=UTF-8' "$@" -X POST "$api/job" \
    -d "<?xml version=\"1.0\" encoding=\"UTF-8\"?><jobInfo xmlns=\"$NS\"><operation>$op</operation><object>Account</object><contentType>CSV</contentType></jobInfo>"
}
close_job() { # JOB
  c -o /dev/null -H "$session" -H 'Content-Type: application/xml; charset=UTF-8' -X POST "$api/job/$1" \
    -d "<?xml version=\"1.0\" encoding=\"UTF-8\"?><jobInfo xmlns=\"$NS\"><state>Closed</state></jobInfo>"
}
# transfer up|down SEGMENT…: one curl process for many transfers, each SEGMENT a string of
# curl words for one URL (split on tabs), joined by --next; appends each body size to sizes.
transfer() {
  local kind="$1" seg words args=()
  shift
  for seg in "$@"; do
    IFS=$'\t' read -r -a words <<<"$seg"
    [ ${#args[@]} -gt 0 ] && args+=(--next)
    args+=(-sS --fail -H "$session" -w "$kind %{size_${kind}load}\n" "${words[@]}")
  done
  curl -sS --no-progress-meter "${PAR[@]}" "${args[@]}" >>"$out/sizes" || return 1
}
PAR=()
parallel_opts() { [ "$1" -gt 1 ] && PAR=(--parallel --parallel-immediate --parallel-max "$1"); }
T=$'\t'

case "$mode" in
query)
  soql="$1" out="$2"
  shift 2
  gzip="" pk="" par=1
  while [ $# -gt 0 ]; do
    case "$1" in
    --gzip) gzip="--compressed$T" ;;
    --parallel) par="$2" && shift ;;
    --pk) pk="$2" && shift ;;
    esac
    shift
  done
  parallel_opts "$par"
  hdr=()
  [ -n "$pk" ] && hdr=(-H "Sforce-Enable-PKChunking: chunkSize=$pk")
  job=$(tag "$(create_job query "${hdr[@]}")" id) || exit 1
  [ -n "$job" ] || { echo "no job id" >&2 && exit 1; }
  batch=$(tag "$(c -H "$session" -H 'Content-Type: text/csv; charset=UTF-8' -X POST "$api/job/$job/batch" -d "$soql")" id) || exit 1
  close_job "$job" || exit 1
  if [ -z "$pk" ]; then
    while :; do
      state=$(tag "$(c -H "$session" "$api/job/$job/batch/$batch")" state) || exit 1
      case "$state" in Completed) break ;; Failed | NotProcessed) echo "batch $state" >&2 && exit 1 ;; esac
      sleep 0.05
    done
    batches=("$batch")
  else
    while :; do
      list=$(c -H "$session" "$api/job/$job/batch") || exit 1
      states=$(tags "$list" state)
      if ! grep -qvE '^(Completed|NotProcessed)$' <<<"$states" && grep -q '^NotProcessed$' <<<"$states"; then break; fi
      grep -q '^Failed$' <<<"$states" && echo "a chunk batch failed" >&2 && exit 1
      sleep 0.05
    done
    # the chunk batches: every batch but the original
    mapfile -t batches < <(tags "$list" id | grep -vx "$batch")
  fi
  # the result id lists, then the files
  segs=()
  for b in "${batches[@]}"; do segs+=("$api/job/$job/batch/$b/result${T}-o${T}$out/list-$b.xml"); done
  transfer down "${segs[@]}" || exit 1
  : >"$out/sizes" # the floor counts the files' bytes only
  segs=()
  n=0
  for b in "${batches[@]}"; do
    for r in $(tags "$(cat "$out/list-$b.xml")" result); do
      segs+=("${gzip}$api/job/$job/batch/$b/result/$r${T}-o${T}$out/file-$n.csv")
      n=$((n + 1))
    done
  done
  transfer down "${segs[@]}" || exit 1
  rm -f "$out"/list-*.xml
  echo "job=$job files=$n"
  ;;
insert)
  out="$1" par=1
  shift
  if [ "${1:-}" = --parallel ]; then par="$2" && shift 2; fi
  parallel_opts "$par"
  job=$(tag "$(create_job insert)" id) || exit 1
  [ -n "$job" ] || { echo "no job id" >&2 && exit 1; }
  segs=()
  n=0
  for f in "$@"; do
    segs+=("-H${T}Content-Type: text/csv; charset=UTF-8${T}--data-binary${T}@$f${T}$api/job/$job/batch${T}-o${T}$out/batch-$n.xml")
    n=$((n + 1))
  done
  : >"$out/sizes"
  transfer up "${segs[@]}" || exit 1
  close_job "$job" || exit 1
  while :; do
    list=$(c -H "$session" "$api/job/$job/batch") || exit 1
    states=$(tags "$list" state)
    grep -qvx Completed <<<"$states" || break
    grep -qE '^(Failed|NotProcessed)$' <<<"$states" && echo "a batch failed" >&2 && exit 1
    sleep 0.05
  done
  segs=()
  for ((i = 0; i < n; i++)); do
    b=$(tag "$(cat "$out/batch-$i.xml")" id)
    segs+=("$api/job/$job/batch/$b/result${T}-o${T}$out/result-$i.csv")
  done
  transfer down "${segs[@]}" || exit 1
  rm -f "$out"/batch-*.xml
  echo "job=$job batches=$n"
  ;;
*)
  echo "usage: curl_v1.sh query|insert …" >&2
  exit 2
  ;;
esac
