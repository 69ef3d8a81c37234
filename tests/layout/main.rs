//! The layout rules of the repository, checked on its sources:
//! - no module imports another in a loop (within `src/`, the host, the mock and the CLI);
//! - no two source files of a crate share a file name with different meanings is left to
//!   review; this checks the loops, which review misses.
//!
//! A module is a file. `A` imports `B` when `A` names a path (`crate::x::y`, `super::y`,
//! `self::y`) that resolves to `B`'s file. A `mod.rs` (or `lib.rs`) naming its own
//! descendants is structure, not an import; test modules (`#[cfg(test)] mod tests` at the
//! end of a file, and files only compiled for tests) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// Every `.rs` file below `dir`, as its module path (`["protocol", "requests"]`).
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("below src");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The source without its trailing test module.
fn non_test_source(text: &str) -> &str {
    let mut at = text.len();
    let lines: Vec<(usize, &str)> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .scan(0, |start, end| {
            let line = (*start, &text[*start..end]);
            *start = end;
            Some(line)
        })
        .collect();
    for w in lines.windows(2) {
        if w[0].1.trim() == "#[cfg(test)]" && w[1].1.trim_start().contains("mod tests") {
            at = w[0].0;
            break;
        }
    }
    &text[..at]
}

/// Module paths a file names: `crate::a::b…`, `super::a…`, `self::a…`.
fn named_paths(me: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for prefix in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(prefix) {
            let start = from + i;
            from = start + prefix.len();
            if start > 0
                && (bytes[start - 1].is_ascii_alphanumeric()
                    || matches!(bytes[start - 1], b'_' | b':' | b'$'))
            {
                continue;
            }
            // Skip comments: a `//` earlier on the same line.
            let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
            if text[line_start..start].contains("//") {
                continue;
            }
            let mut rest = &text[from..];
            let mut ups = usize::from(prefix == "super::");
            while let Some(r) = rest.strip_prefix("super::") {
                rest = r;
                ups += 1;
            }
            let (tail, after) = path_segments(rest);
            // `self::` and `super::` are relative to the module a file is; a mod.rs is its
            // directory's module.
            let mut base: Vec<String> = match prefix {
                "crate::" => Vec::new(),
                _ => me[..me.len().saturating_sub(ups)].to_vec(),
            };
            base.extend(tail);
            match after.strip_prefix('{') {
                // `use super::{a, b::C}`: each item is a path of its own.
                Some(group) => {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for item in group.split(',') {
                        let (more, _) = path_segments(item.trim());
                        let mut path = base.clone();
                        path.extend(more);
                        out.push(path);
                    }
                }
                None => out.push(base),
            }
        }
    }
    out
}

/// The `a::b::c` segments at the start of `text`, and what follows them.
fn path_segments(text: &str) -> (Vec<String>, &str) {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let segs = text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (segs, &text[end..])
}

/// The file a path resolves to: its longest prefix that is a module.
fn resolve<'a>(
    mods: &'a BTreeMap<Vec<String>, PathBuf>,
    path: &[String],
) -> Option<&'a Vec<String>> {
    (0..=path.len())
        .rev()
        .find_map(|n| mods.get_key_value(&path[..n]).map(|(k, _)| k))
}

fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mods = modules(src);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (me, file) in &mods {
        let text = fs::read_to_string(file).expect("read a source file");
        for path in named_paths(me, non_test_source(&text)) {
            let Some(to) = resolve(&mods, &path) else {
                continue;
            };
            // A module naming itself, or one of its own descendants, is not an import.
            if to == me || to.starts_with(me) {
                continue;
            }
            edges.entry(me.clone()).or_default().insert(to.clone());
        }
    }
    // Tarjan-free: a depth-first search for back edges, reporting each loop once.
    let mut found = BTreeSet::new();
    for start in mods.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    let mut loop_ = trail.clone();
                    let min = loop_.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                    loop_.rotate_left(min);
                    found.insert(loop_);
                } else if !trail.contains(next) && next > start {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    found
        .into_iter()
        .map(|l| l.iter().map(|m| m.join("::")).collect())
        .collect()
}

fn assert_no_loops(crate_src: &str) {
    let src = repo().join(crate_src);
    assert!(src.is_dir(), "{} is not a directory", src.display());
    let loops = cycles(&src);
    assert!(
        loops.is_empty(),
        "modules of {crate_src} that import each other in a loop: {loops:#?}"
    );
}

#[test]
fn the_component_crate_has_no_import_loops() {
    assert_no_loops("src");
}

#[test]
fn the_host_crate_has_no_import_loops() {
    assert_no_loops("host-test/src");
}

#[test]
fn the_mock_has_no_import_loops() {
    assert_no_loops("mock/src");
}

#[test]
fn the_command_line_has_no_import_loops() {
    assert_no_loops("cli/src");
}

#[test]
fn the_checker_finds_a_loop() {
    let dir = std::env::temp_dir().join(format!("sfbulk-layout-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("w")).unwrap();
    fs::write(dir.join("lib.rs"), "mod w;\n").unwrap();
    fs::write(
        dir.join("w/mod.rs"),
        "mod a;\nmod b;\nmod c;\npub use a::X;\n",
    )
    .unwrap();
    fs::write(dir.join("w/a.rs"), "use super::b::Y;\npub struct X;\n").unwrap();
    fs::write(dir.join("w/b.rs"), "use crate::w::c;\npub struct Y;\n").unwrap();
    fs::write(
        dir.join("w/c.rs"),
        "// super::b is a comment\nuse super::a::X;\n#[cfg(test)]\nmod tests {\n    use super::super::b;\n}\n",
    )
    .unwrap();
    assert_eq!(cycles(&dir), vec![vec!["w::a", "w::b", "w::c"]]);
    fs::write(dir.join("w/c.rs"), "pub fn f() {}\n").unwrap();
    assert!(cycles(&dir).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}
