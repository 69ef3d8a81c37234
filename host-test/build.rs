//! Builds the connector component (the root crate) for wasm32-wasip2 in its own target
//! directory (a nested cargo on the outer target dir can deadlock; docs/toolchain.md §4), makes
//! the shipped component from it (`src/shrink.rs`: `wasm-opt -Oz` on its core module, debug
//! names dropped) as `target/guest/sfbulk.wasm`, and exports that path as `SFBULK_WASM`.

use std::path::PathBuf;
use std::process::Command;

#[path = "src/shrink.rs"]
#[allow(dead_code)]
mod shrink;

fn main() {
    println!("cargo:rerun-if-env-changed=SFBULK_WASM_OVERRIDE");
    if let Some(p) = std::env::var_os("SFBULK_WASM_OVERRIDE") {
        println!("cargo:rustc-env=SFBULK_WASM={}", PathBuf::from(p).display());
        return;
    }
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("workspace root").to_path_buf();
    // One guest build for every profile of the host: keep it beside the workspace target.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guest");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--profile",
            "component",
            "--target",
            "wasm32-wasip2",
            "-p",
            "sfbulk",
            "--lib",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_MAKEFLAGS")
        .status()
        .expect("spawn cargo for the guest build");
    assert!(
        status.success(),
        "building the sfbulk component for wasm32-wasip2 failed"
    );
    let built = target_dir.join("wasm32-wasip2/component/sfbulk.wasm");
    let deps = std::fs::read_to_string(built.with_extension("d")).expect("guest dep-info");
    for line in deps.lines() {
        if let Some((_, files)) = line.split_once(": ") {
            for f in files.split_whitespace() {
                println!("cargo:rerun-if-changed={f}");
            }
        }
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.toml").display()
    );
    // A wasm-opt installed later (`npm ci --prefix tools/wasm-opt`) is picked up. Not PATH:
    // it differs between cargo invocations (rustup, IDEs) and would rebuild host-test each time.
    println!("cargo:rerun-if-env-changed=SFBULK_WASM_OPT");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("tools/wasm-opt").display()
    );
    let shipped = target_dir.join("sfbulk.wasm");
    let (component, optimized) = ship(
        &root,
        &std::fs::read(&built).expect("read the built component"),
    );
    std::fs::write(&shipped, component).expect("write target/guest/sfbulk.wasm");
    println!("cargo:rustc-env=SFBULK_WASM={}", shipped.display());
    // Whether it went through wasm-opt (`SHIPPED_OPTIMIZED`: its size is the shipped size).
    println!(
        "cargo:rustc-env=SFBULK_WASM_OPTIMIZED={}",
        u8::from(optimized)
    );
    println!(
        "cargo:rustc-env=SFBULK_GUEST_TARGET={}",
        target_dir.display()
    );
}

/// The shipped component: optimized by wasm-opt when there is one that works (checked by
/// validating the result), otherwise the built one without its debug names, with a warning.
/// The bool: whether wasm-opt optimized it.
fn ship(root: &std::path::Path, built: &[u8]) -> (Vec<u8>, bool) {
    let plain = || shrink::rewrite(built, None).expect("the built component is well formed");
    let Some(wasm_opt) = shrink::find_wasm_opt(root) else {
        println!(
            "cargo:warning=wasm-opt not found: the component is not size-optimized \
             (run `npm ci --prefix tools/wasm-opt`, or set SFBULK_WASM_OPT)"
        );
        return (plain(), false);
    };
    let scratch = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let opt = |m: &[u8]| shrink::wasm_opt(&wasm_opt, m, &scratch);
    let checked = shrink::rewrite(built, Some(&opt)).and_then(|c| {
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&c)
            .map_err(|e| format!("the optimized component does not validate: {e}"))?;
        Ok(c)
    });
    match checked {
        Ok(c) => (c, true),
        Err(e) => {
            println!("cargo:warning=component not size-optimized: {e}");
            (plain(), false)
        }
    }
}
