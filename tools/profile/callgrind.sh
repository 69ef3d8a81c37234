#!/usr/bin/env bash
# Instruction counts of one sfbulk command, with the component's functions named:
#   tools/profile/callgrind.sh OUT -- sfbulk-args…      (e.g. … --api-url … load --bulk-api 2 …)
# Builds a names-kept component the way the shipped one is made (component profile, then
# wasm-opt -Oz, here with -g), puts it in place of target/guest/sfbulk.wasm for the run (the
# shipped one is put back), runs target/release/sfbulk under valgrind --tool=callgrind twice
# (the first run compiles the component for valgrind's CPU features into the compile cache,
# host-test/src/compiled.rs)
# with SFBULK_PERFMAP=1 (wasmtime's perf map names the compiled functions), and prints the
# instructions per function: `wasm:` the component's, `native:` the host's (the release
# binary is stripped: its own code is one line). Needs valgrind and
# `npm ci --prefix tools/wasm-opt`. Instruction counts are reproducible on a loaded machine.
set -euo pipefail
OUT="$1"; shift; [ "${1:-}" = "--" ] && shift
cd "$(dirname "$0")/../.."
REPO="$PWD"
CARGO_PROFILE_COMPONENT_STRIP=debuginfo CARGO_TARGET_DIR=target/size-names \
  cargo build -q --profile component --target wasm32-wasip2 -p sfbulk --lib
mkdir -p "$OUT"
python3 tools/size/core_module.py target/size-names/wasm32-wasip2/component/sfbulk.wasm "$OUT/core.wasm" >/dev/null
tools/wasm-opt/node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory --enable-bulk-memory-opt \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  --enable-reference-types --enable-call-indirect-overlong --enable-simd "$OUT/core.wasm" -o "$OUT/core.g.wasm"
python3 tools/profile/swapcore.py target/size-names/wasm32-wasip2/component/sfbulk.wasm "$OUT/core.g.wasm" "$OUT/names.wasm" >/dev/null
cp target/guest/sfbulk.wasm "$OUT/shipped.wasm"
trap 'cp "$OUT/shipped.wasm" "$REPO/target/guest/sfbulk.wasm"' EXIT
cp "$OUT/names.wasm" target/guest/sfbulk.wasm
for run in warm profile; do
  rm -f "$OUT"/perf.map
  SFBULK_PERFMAP=1 valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$OUT/callgrind.out.%p" \
    target/release/sfbulk "$@" >"$OUT/$run.stdout" 2>"$OUT/$run.stderr"
  pid=$(grep -o '==[0-9]*==' "$OUT/$run.stderr" | head -n 1 | tr -d =)
  mv "/tmp/perf-$pid.map" "$OUT/perf.map"
  mv "$OUT/callgrind.out.$pid" "$OUT/callgrind.$run.out"
done
python3 tools/profile/attrib.py "$OUT/callgrind.profile.out" "$OUT/perf.map" 40
