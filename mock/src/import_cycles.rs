//! The modules of this crate import each other without a loop: every `crate::…` path in a
//! module's code (outside comments and its `tests` module) is an edge to the module it
//! names, and the graph of those edges has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name (`decode/request`, `model` for `model/mod.rs`) → its source.
fn modules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let entries = std::fs::read_dir(dir).expect("read the source directory");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name")
            .to_owned();
        if path.is_dir() {
            modules(&path, &format!("{prefix}{stem}/"), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = match stem.as_str() {
                "mod" => prefix.trim_end_matches('/').to_owned(),
                "lib" => "crate".to_owned(),
                _ => format!("{prefix}{stem}"),
            };
            let source = std::fs::read_to_string(&path).expect("read a source file");
            out.insert(name, source);
        }
    }
}

/// The code of a module: without comment lines and without its `#[cfg(test)] mod tests`.
fn code(source: &str) -> String {
    let source = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest module prefix of `segments`, or the crate root (an item of `lib.rs`).
fn resolve(segments: &[&str], modules: &BTreeMap<String, String>) -> String {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("/"))
        .find(|name| modules.contains_key(name))
        .unwrap_or_else(|| "crate".to_owned())
}

/// Every module each module imports through `crate::` paths (also inside `use crate::{a, b}`
/// groups and `use crate::a::{b, c}` lists, one level deep).
fn edges(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (name, source) in modules {
        let code = code(source);
        let mut targets = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                .collect();
            let (prefix, group) = match path.split_once('{') {
                Some((prefix, _)) => {
                    let end = rest.find('}').unwrap_or(rest.len());
                    (prefix, Some(&rest[prefix.len() + 1..end]))
                }
                None => (path.as_str(), None),
            };
            let base: Vec<&str> = prefix.split("::").filter(|s| !s.is_empty()).collect();
            match group {
                None => {
                    targets.insert(resolve(&base, modules));
                }
                Some(items) => {
                    for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        let first = item.split("::").next().unwrap_or_default();
                        let mut segments = base.clone();
                        if first != "self" {
                            segments.push(first);
                        }
                        targets.insert(resolve(&segments, modules));
                    }
                }
            }
        }
        targets.remove(name);
        edges.insert(name.clone(), targets);
    }
    edges
}

/// A cycle through the graph, if there is one (depth-first search with colours).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn no_module_imports_itself_through_others() {
    let mut found = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut found,
    );
    found.remove("import_cycles");
    assert!(
        found.len() > 20,
        "the modules were found: {:?}",
        found.keys()
    );
    let edges = edges(&found);
    assert!(
        edges["router"].contains("endpoints/job_resource"),
        "the edges were read: {edges:?}"
    );
    assert_eq!(find_cycle(&edges), None, "an import cycle");
}

#[test]
fn a_loop_is_found() {
    let modules = BTreeMap::from([
        ("a".to_owned(), "use crate::b::X;".to_owned()),
        ("b".to_owned(), "use crate::{c::Y, d};".to_owned()),
        ("c".to_owned(), "fn f() { crate::a::g() }".to_owned()),
        ("d".to_owned(), "// crate::a in a comment\n".to_owned()),
    ]);
    let edges = edges(&modules);
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert!(edges["d"].is_empty());
}
