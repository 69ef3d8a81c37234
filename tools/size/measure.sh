#!/usr/bin/env bash
# Size of the component, and where it goes.
#   tools/size/measure.sh        (needs `cargo install twiggy --locked` for the breakdown)
# Prints the shipped size (component profile) and a per-crate breakdown of the code of a
# names-kept build of the same profile.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO_TARGET_DIR=target/size-real cargo build -q --profile component --target wasm32-wasip2 -p sfbulk --lib
echo "component: $(stat -c %s target/size-real/wasm32-wasip2/component/sfbulk.wasm) bytes"
CARGO_PROFILE_COMPONENT_STRIP=debuginfo CARGO_TARGET_DIR=target/size-names \
    cargo build -q --profile component --target wasm32-wasip2 -p sfbulk --lib
python3 tools/size/core_module.py target/size-names/wasm32-wasip2/component/sfbulk.wasm target/size-names/core.wasm >/dev/null
if command -v twiggy >/dev/null; then
    python3 tools/size/crates.py target/size-names/core.wasm
    echo "details: twiggy top -n 40 target/size-names/core.wasm; twiggy dominators …"
else
    echo "install twiggy (cargo install twiggy --locked) for the breakdown"
fi
