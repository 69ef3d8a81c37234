//! The shipped component's size: at most 512 KiB with Bulk API 1.0, 2.0 and the logins
//! (`BENCHMARKS.md`, "Component size"). Only the optimized component counts; without
//! wasm-opt the build ships it unoptimized, and this test is skipped — except in CI, where it
//! fails.

use host_test::{SFBULK_WASM, SHIPPED_OPTIMIZED};

use crate::hosts_util::in_ci;

/// 512 KiB.
const MAX_SHIPPED_BYTES: u64 = 512 * 1024;

#[test]
fn the_shipped_component_is_at_most_512_kib() {
    if !SHIPPED_OPTIMIZED {
        assert!(
            !in_ci(),
            "{SFBULK_WASM} was not optimized (wasm-opt missing: `npm ci --prefix tools/wasm-opt`)"
        );
        eprintln!("skipped: {SFBULK_WASM} was not optimized by wasm-opt");
        return;
    }
    let bytes = std::fs::metadata(SFBULK_WASM)
        .expect("the shipped component")
        .len();
    assert!(
        bytes <= MAX_SHIPPED_BYTES,
        "the shipped component is {bytes} bytes, more than {MAX_SHIPPED_BYTES}"
    );
}
