#!/usr/bin/env bash
# Size of the component, and where it goes.
#   tools/size/measure.sh        (the breakdown needs `cargo install twiggy --locked` and
#                                 `npm ci --prefix tools/wasm-opt`)
# Prints the size cargo builds (component profile), the shipped size (target/guest/sfbulk.wasm,
# made by any workspace build: wasm-opt -Oz, names dropped; see host-test/src/shrink.rs), and a
# per-crate breakdown of the code of a names-kept build of the same profile after wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO_TARGET_DIR=target/size-real cargo build -q --profile component --target wasm32-wasip2 -p sfbulk --lib
echo "built by cargo: $(stat -c %s target/size-real/wasm32-wasip2/component/sfbulk.wasm) bytes"
if [ -f target/guest/sfbulk.wasm ]; then
    echo "shipped (target/guest/sfbulk.wasm, from the last workspace build): $(stat -c %s target/guest/sfbulk.wasm) bytes"
fi
CARGO_PROFILE_COMPONENT_STRIP=debuginfo CARGO_TARGET_DIR=target/size-names \
    cargo build -q --profile component --target wasm32-wasip2 -p sfbulk --lib
python3 tools/size/core_module.py target/size-names/wasm32-wasip2/component/sfbulk.wasm target/size-names/core.wasm >/dev/null
core=target/size-names/core.wasm
wasm_opt=tools/wasm-opt/node_modules/.bin/wasm-opt
if [ -x "$wasm_opt" ]; then
    "$wasm_opt" -Oz -g --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types \
        --enable-call-indirect-overlong --enable-simd "$core" -o target/size-names/core.opt.wasm
    core=target/size-names/core.opt.wasm
fi
if command -v twiggy >/dev/null; then
    echo "breakdown of $core (names kept):"
    python3 tools/size/crates.py "$core"
    echo "details: twiggy top -n 40 $core; twiggy dominators …"
else
    echo "install twiggy (cargo install twiggy --locked) for the breakdown"
fi
