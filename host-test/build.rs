//! Builds the connector component (the root crate) for wasm32-wasip2 in its own target
//! directory (a nested cargo on the outer target dir can deadlock; toolchain.md §4) and
//! exports its path as `SFBULK_WASM`.

use std::path::PathBuf;
use std::process::Command;

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
    let wasm = target_dir.join("wasm32-wasip2/component/sfbulk.wasm");
    let deps = std::fs::read_to_string(wasm.with_extension("d")).expect("guest dep-info");
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
    println!("cargo:rustc-env=SFBULK_WASM={}", wasm.display());
}
