#!/usr/bin/env bash
# The curl floor of tools/bench/v2.sh: the same Bulk API 2.0 requests the clients send, by curl,
# with nothing parsed beyond the job id, its state and the locator (bash builtins, no other
# processes). One curl process per request, except the three result files (one process).
#
#   curl_v2.sh ingest BASE TOKEN OBJECT FILE OUTDIR
#     create an insert job (CSV, COMMA, LF), PUT FILE (streamed: `-T`), close it
#     (UploadComplete), poll it every 50 ms until JobComplete, GET successfulResults,
#     failedResults and unprocessedrecords into OUTDIR/{successful,failed,unprocessed}.csv
#   curl_v2.sh query BASE TOKEN SOQL MAX_RECORDS OUTDIR
#     create a query job, poll it every 50 ms until JobComplete, then GET its results page by
#     page (maxRecords=MAX_RECORDS, following Sforce-Locator until `null`) into
#     OUTDIR/page-N.csv
#
# Exits non-zero when a request fails or the job ends Failed or Aborted.
set -u
VERSION="${SF_API_VERSION:-62.0}"
mode="$1" base="$2" token="$3"
api="$base/services/data/v$VERSION/jobs"
auth="Authorization: Bearer $token"
c() { curl -sS --fail "$@"; }

# The value of "key" in a flat JSON reply.
json_field() { # JSON KEY
  local re="\"$2\"[[:space:]]*:[[:space:]]*\"([^\"]*)\""
  [[ $1 =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
}
wait_complete() { # URL
  local info state
  while :; do
    info=$(c -H "$auth" "$1") || return 1
    state=$(json_field "$info" state)
    case "$state" in
    JobComplete) return 0 ;;
    Failed | Aborted) echo "job ended $state: $info" >&2 && return 1 ;;
    esac
    sleep 0.05
  done
}

case "$mode" in
ingest)
  object="$4" file="$5" out="$6"
  info=$(c -H "$auth" -H 'Content-Type: application/json' -X POST "$api/ingest" \
    -d "{\"object\":\"$object\",\"operation\":\"insert\",\"contentType\":\"CSV\",\"columnDelimiter\":\"COMMA\",\"lineEnding\":\"LF\"}") || exit 1
  id=$(json_field "$info" id)
  [ -n "$id" ] || { echo "no job id in: $info" >&2 && exit 1; }
  c -o /dev/null -H "$auth" -H 'Content-Type: text/csv' -T "$file" "$api/ingest/$id/batches" || exit 1
  c -o /dev/null -H "$auth" -H 'Content-Type: application/json' -X PATCH \
    -d '{"state":"UploadComplete"}' "$api/ingest/$id" || exit 1
  wait_complete "$api/ingest/$id" || exit 1
  c -H "$auth" -o "$out/successful.csv" "$api/ingest/$id/successfulResults" \
    -o "$out/failed.csv" "$api/ingest/$id/failedResults" \
    -o "$out/unprocessed.csv" "$api/ingest/$id/unprocessedrecords" || exit 1
  echo "job=$id"
  ;;
query)
  soql="$4" max="$5" out="$6"
  body="{\"operation\":\"query\",\"query\":\"${soql//\"/\\\"}\"}"
  info=$(c -H "$auth" -H 'Content-Type: application/json' -X POST "$api/query" -d "$body") || exit 1
  id=$(json_field "$info" id)
  [ -n "$id" ] || { echo "no job id in: $info" >&2 && exit 1; }
  wait_complete "$api/query/$id" || exit 1
  locator="" page=0
  while :; do
    url="$api/query/$id/results?maxRecords=$max"
    [ -n "$locator" ] && url="$url&locator=$locator"
    c -H "$auth" -D "$out/headers-$page" -o "$out/page-$page.csv" "$url" || exit 1
    locator=""
    while IFS= read -r line; do
      line="${line%$'\r'}"
      case "${line,,}" in sforce-locator:*) locator="${line#*:}" && locator="${locator# }" ;; esac
    done <"$out/headers-$page"
    page=$((page + 1))
    [ -n "$locator" ] || { echo "page $page has no Sforce-Locator" >&2 && exit 1; }
    [ "$locator" = null ] && break
  done
  echo "job=$id pages=$page"
  ;;
*)
  echo "usage: curl_v2.sh ingest|query …" >&2
  exit 2
  ;;
esac
