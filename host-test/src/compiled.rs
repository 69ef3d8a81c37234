//! The compiled component kept on disk between runs, so that a command starts without
//! compiling it (~1 s of Cranelift on two cores) or unpacking it.
//!
//! wasmtime's own cache did this before, at a cost paid by every run: a SHA-256 of the
//! component (~28 M instructions for 0.5 MB) and zstd to unpack the artifact (~15 M), then
//! a copy into memory. Here the key is a cheap 64-bit hash of the component's bytes and the
//! engine's compatibility hash (wasmtime's version and settings), and the artifact is
//! mapped from its file as wasmtime maps any precompiled one.
//!
//! Where: `$XDG_CACHE_HOME/sfbulk/compiled`, else `$HOME/.cache/sfbulk/compiled`; none (the
//! component compiled every time) when neither is set or the folder cannot be written.
//! Files are written whole under a temporary name and renamed into place, so a reader never
//! sees half of one; the four most recently used are kept.

use std::hash::{BuildHasher as _, Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Artifacts kept (other builds of the component, other wasmtime settings).
const KEEP: usize = 4;

/// The seed of the cache's key (any fixed value: the key only has to be the same run to
/// run for the same bytes and engine).
const KEY_SEED: u64 = 0x7366_6275_6c6b;

/// The component at `path`, compiled, from the folder when it holds it.
pub(crate) fn load(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    let bytes = std::fs::read(path)
        .map_err(|e| wasmtime::Error::msg(format!("cannot read {}: {e}", path.display())))?;
    let Some(dir) = folder() else {
        return Component::new(engine, &bytes);
    };
    let file = dir.join(format!("sfbulk-{:016x}.cwasm", key(engine, &bytes)));
    // SAFETY: the file is one this function wrote (whole, renamed into place) for this
    // engine's compatibility hash; wasmtime checks its header and settings again and
    // refuses an artifact of another version or configuration.
    if let Ok(component) = unsafe { Component::deserialize_file(engine, &file) } {
        touch(&file);
        return Ok(component);
    }
    let artifact = engine.precompile_component(&bytes)?;
    store(&dir, &file, &artifact);
    // SAFETY: made by this engine a moment ago.
    unsafe { Component::deserialize(engine, &artifact) }
}

/// The cache folder, when the environment names one.
fn folder() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("sfbulk").join("compiled"))
}

/// The artifact's name: the component's bytes and the engine's compatibility hash.
fn key(engine: &Engine, bytes: &[u8]) -> u64 {
    let mut h = foldhash::quality::FixedState::with_seed(KEY_SEED).build_hasher();
    bytes.hash(&mut h);
    engine.precompile_compatibility_hash().hash(&mut h);
    h.finish()
}

/// Writes `artifact` to `file` (whole, then renamed) and drops all but the newest [`KEEP`]
/// artifacts. Failures only mean no cache.
fn store(dir: &Path, file: &Path, artifact: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("sfbulk"),
        std::process::id()
    ));
    if std::fs::write(&tmp, artifact).is_err() || std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut artifacts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("sfbulk-") && name.ends_with(".cwasm")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    artifacts.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, old) in artifacts.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
}

/// Marks an artifact used now (its modification time), so that it is among the kept ones.
fn touch(file: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(file) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second load maps the artifact the first wrote; another component gets another
    /// file; only the newest `KEEP` stay.
    #[test]
    fn an_artifact_is_written_once_and_used_again() {
        let dir = std::env::temp_dir().join(format!("sfbulk-compiled-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let engine = Engine::default();
        // An empty component with a custom section `x` holding `n`: another component each.
        let component = |n: u8| [b"\0asm\x0d\x00\x01\x00".as_slice(), &[0, 3, 1, b'x', n]].concat();
        let mut files = Vec::new();
        for n in 0..(KEEP as u8 + 2) {
            let bytes = component(n);
            let file = dir.join(format!("sfbulk-{:016x}.cwasm", key(&engine, &bytes)));
            assert!(!file.exists());
            let artifact = engine.precompile_component(&bytes).unwrap();
            store(&dir, &file, &artifact);
            let loaded = unsafe { Component::deserialize_file(&engine, &file) };
            assert!(loaded.is_ok(), "{n}");
            files.push(file);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let left: Vec<bool> = files.iter().map(|f| f.exists()).collect();
        assert_eq!(
            left,
            [false, false, true, true, true, true],
            "the newest {KEEP} kept"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
