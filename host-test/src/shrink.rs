//! Turns the component cargo builds into the one we ship: the main core module is run
//! through Binaryen's `wasm-opt -Oz` and the `component-name` custom section (debug names
//! of the component's instances and functions) is dropped. Everything else — the WIT type
//! information, the canonical lifts and lowers, the small shim modules — is copied byte for
//! byte, so the optimized module must keep its imports and exports, which `wasm-opt` does.
//!
//! Used by the build script (`#[path]`-included) and by the size bench. Plain byte
//! surgery on the component's top-level sections; no dependencies.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The component model's binary preamble (magic + layer 1, version 0xd).
const COMPONENT_PREAMBLE: [u8; 8] = [0, b'a', b's', b'm', 0x0d, 0, 0x01, 0];
const CUSTOM: u8 = 0;
const CORE_MODULE: u8 = 1;

/// One top-level section: its id and where its payload lies.
struct Section {
    id: u8,
    start: usize,
    end: usize,
}

fn read_leb(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let b = *bytes
            .get(*at)
            .ok_or_else(|| "expected a leb128 number, found the end of the file".to_string())?;
        *at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 28 {
            return Err("expected a leb128 u32, found a longer number".into());
        }
    }
}

fn write_leb(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sections(component: &[u8]) -> Result<Vec<Section>, String> {
    if component.get(..8) != Some(&COMPONENT_PREAMBLE[..]) {
        return Err("expected a component (\\0asm, version 0xd, layer 1)".into());
    }
    let mut at = 8;
    let mut out = Vec::new();
    while at < component.len() {
        let id = component[at];
        at += 1;
        let len = read_leb(component, &mut at)?;
        let end = at
            .checked_add(len)
            .filter(|&e| e <= component.len())
            .ok_or_else(|| format!("section {id} runs past the end of the file"))?;
        out.push(Section { id, start: at, end });
        at = end;
    }
    Ok(out)
}

fn custom_name(payload: &[u8]) -> Option<&str> {
    let mut at = 0;
    let len = read_leb(payload, &mut at).ok()?;
    std::str::from_utf8(payload.get(at..at + len)?).ok()
}

/// Index of the largest core module among `all` (the program; the others are small shims).
fn main_index(all: &[Section]) -> Option<usize> {
    (0..all.len())
        .filter(|&i| all[i].id == CORE_MODULE)
        .max_by_key(|&i| all[i].end - all[i].start)
}

/// The largest core module of a component.
pub fn main_module(component: &[u8]) -> Result<&[u8], String> {
    let all = sections(component)?;
    let s = main_index(&all)
        .map(|i| &all[i])
        .ok_or("expected a core module in the component, found none")?;
    Ok(&component[s.start..s.end])
}

/// A core-module optimizer: the module's bytes in, the optimized module's bytes out.
pub type Optimize<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>, String>;

/// The component with its main core module replaced by `optimize(module)` (when given)
/// and without its `component-name` section.
pub fn rewrite(component: &[u8], optimize: Option<Optimize<'_>>) -> Result<Vec<u8>, String> {
    let all = sections(component)?;
    let main = main_index(&all);
    let mut out = COMPONENT_PREAMBLE.to_vec();
    for (i, s) in all.iter().enumerate() {
        let payload = &component[s.start..s.end];
        if s.id == CUSTOM && custom_name(payload) == Some("component-name") {
            continue;
        }
        let replaced;
        let payload = match optimize {
            Some(opt) if Some(i) == main => {
                replaced = opt(payload)?;
                &replaced[..]
            }
            _ => payload,
        };
        out.push(s.id);
        write_leb(&mut out, payload.len());
        out.extend_from_slice(payload);
    }
    Ok(out)
}

/// The `wasm-opt` to use: `$SFBULK_WASM_OPT`, else the one `npm ci --prefix tools/wasm-opt`
/// installs (Binaryen pinned by its lock file), else `wasm-opt` on the PATH.
pub fn find_wasm_opt(repo: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SFBULK_WASM_OPT") {
        return Some(PathBuf::from(p));
    }
    let pinned = repo.join("tools/wasm-opt/node_modules/.bin/wasm-opt");
    if pinned.exists() {
        return Some(pinned);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("wasm-opt"))
        .find(|p| p.is_file())
}

/// Runs `wasm-opt -Oz` on a core module (with the wasm features rustc's wasm32-wasip2
/// target enables, and simd128, which `.cargo/config.toml` enables), through files in
/// `scratch`.
pub fn wasm_opt(wasm_opt: &Path, module: &[u8], scratch: &Path) -> Result<Vec<u8>, String> {
    let input = scratch.join("main-module.wasm");
    let output = scratch.join("main-module.opt.wasm");
    std::fs::write(&input, module).map_err(|e| format!("writing {}: {e}", input.display()))?;
    let out = Command::new(wasm_opt)
        .arg("-Oz")
        .args([
            "--enable-bulk-memory",
            "--enable-bulk-memory-opt",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-multivalue",
            "--enable-reference-types",
            "--enable-call-indirect-overlong",
            "--enable-simd",
        ])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .map_err(|e| format!("running {}: {e}", wasm_opt.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            wasm_opt.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::read(&output).map_err(|e| format!("reading {}: {e}", output.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![id];
        write_leb(&mut v, payload.len());
        v.extend_from_slice(payload);
        v
    }

    fn custom(name: &str, body: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        write_leb(&mut p, name.len());
        p.extend_from_slice(name.as_bytes());
        p.extend_from_slice(body);
        section(CUSTOM, &p)
    }

    #[test]
    fn replaces_the_largest_module_and_drops_component_names() {
        let big = vec![7u8; 300]; // a 2-byte leb size
        let mut c = COMPONENT_PREAMBLE.to_vec();
        c.extend(section(CORE_MODULE, b"shim"));
        c.extend(section(CORE_MODULE, &big));
        c.extend(section(7, b"types"));
        c.extend(custom("component-name", b"names"));
        c.extend(custom("producers", b"p"));
        assert_eq!(main_module(&c).unwrap(), &big[..]);
        let opt = |m: &[u8]| -> Result<Vec<u8>, String> { Ok(m[..2].to_vec()) };
        let out = rewrite(&c, Some(&opt)).unwrap();
        let mut want = COMPONENT_PREAMBLE.to_vec();
        want.extend(section(CORE_MODULE, b"shim"));
        want.extend(section(CORE_MODULE, &[7, 7]));
        want.extend(section(7, b"types"));
        want.extend(custom("producers", b"p"));
        assert_eq!(out, want);
        // Without an optimizer only the names go.
        assert_eq!(
            rewrite(&c, None).unwrap().len(),
            c.len() - custom("component-name", b"names").len()
        );
    }

    #[test]
    fn refuses_what_is_not_a_component() {
        assert!(rewrite(b"\0asm\x01\0\0\0", None).is_err());
        let mut cut = COMPONENT_PREAMBLE.to_vec();
        cut.extend([CORE_MODULE, 0x10, 1, 2]);
        assert!(rewrite(&cut, None).is_err());
    }
}
