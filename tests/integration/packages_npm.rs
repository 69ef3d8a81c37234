//! The npm package (`packages/npm/`), installed the way a user installs it: `npm pack` of a copy
//! of the package (its `prepack` builds it: jco transpiles the shipped component, the types are
//! generated from the WIT, tsc compiles), the tarball installed into a fresh project with
//! TypeScript, `packages/npm/examples/*.ts` type-checked there with `tsc --noEmit` (strict) and
//! run against the mock in this process. The reports are checked against what the mock stored.
//!
//! Everything lands in `target/tmp/packages/` once per input: the package's npm dependencies
//! per lock file, the tarball per source + component + WIT, the user project per tarball.
//! Skipped, with a message, only when `node` or `npm` is missing, and then only outside CI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;
use serde_json::Value;

/// TypeScript and Node's types in the user project: the versions the package builds with.
const USER_DEV_DEPS: [&str; 2] = ["typescript@5.9.3", "@types/node@20.19.43"];
/// The packed tarball's name (`name-version.tgz` of packages/npm/package.json).
const TARBALL: &str = "sfbulk-0.1.0.tgz";

/// `target/tmp/packages/`.
pub fn packages_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packages");
    fs::create_dir_all(&dir).expect("create target/tmp/packages");
    dir
}

/// A hash of the files under `dir` (names and bytes, sorted), skipping folders named in `skip`.
pub fn tree_hash(dir: &Path, skip: &[&str]) -> String {
    fn walk(dir: &Path, base: &Path, skip: &[&str], out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let rel = p
                .strip_prefix(base)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if skip
                .iter()
                .any(|s| rel == *s || p.file_name().is_some_and(|n| n == *s))
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, base, skip, out);
            } else {
                out.push((rel, file_hash(&p)));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, skip, &mut files);
    let joined: String = files.iter().map(|(n, h)| format!("{n}={h};")).collect();
    // Hashed in memory: the tests of this binary run in parallel in one process.
    bytes_hash(joined.as_bytes())
}

/// Copies the files of `from` into `to` (folders named in `skip` left out).
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    fs::create_dir_all(to).expect("create the copy");
    for e in fs::read_dir(from).expect("read the source folder") {
        let p = e.expect("dir entry").path();
        let name = p.file_name().expect("a name");
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        if p.is_dir() {
            copy_tree(&p, &to.join(name), skip);
        } else {
            fs::copy(&p, to.join(name)).expect("copy a file");
        }
    }
}

/// What never belongs to the package's sources.
const BUILD_OUTPUT: [&str; 5] = ["node_modules", "dist", "gen", "out", ".stamp"];

/// `npm ci` of the package's pinned dependencies (jco, preview2-shim, TypeScript), once per lock.
fn npm_deps(npm: &Path) -> PathBuf {
    let pkg = repo().join("packages/npm");
    let dir = packages_dir().join("npm-deps");
    let key = format!(
        "{}+{}",
        file_hash(&pkg.join("package.json")),
        file_hash(&pkg.join("package-lock.json"))
    );
    once(&dir, &key, |dir| {
        for f in ["package.json", "package-lock.json"] {
            fs::copy(pkg.join(f), dir.join(f)).expect("copy the npm manifest");
        }
        let out = run(
            Command::new(npm)
                .args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--ignore-scripts",
                ])
                .current_dir(dir),
            Duration::from_secs(600),
        )
        .success("npm ci (packages/npm/package-lock.json)");
        eprintln!("npm ci of packages/npm took {:?}", out.elapsed);
    });
    dir.join("node_modules")
}

/// `npm pack` of a copy of packages/npm (its prepack builds dist/): the tarball.
pub fn npm_tarball(npm: &Path) -> PathBuf {
    let pkg = repo().join("packages/npm");
    let deps = npm_deps(npm);
    let dir = packages_dir().join("npm-pack");
    let key = format!(
        "{}+{}+{}",
        tree_hash(&pkg, &BUILD_OUTPUT),
        file_hash(Path::new(SFBULK_WASM)),
        file_hash(&repo().join("wit/world.wit"))
    );
    once(&dir, &key, |dir| {
        let src = dir.join("src");
        copy_tree(&pkg, &src, &BUILD_OUTPUT);
        std::os::unix::fs::symlink(&deps, src.join("node_modules")).expect("link node_modules");
        let out = run(
            Command::new(npm)
                .args(["pack", "--loglevel=error", "--pack-destination"])
                .arg(dir)
                .current_dir(&src)
                .env("SFBULK_WASM", SFBULK_WASM)
                .env("SFBULK_WIT", repo().join("wit/world.wit")),
            Duration::from_secs(300),
        )
        .success("npm pack (packages/npm)");
        eprintln!("npm pack (build included) took {:?}", out.elapsed);
    });
    let tarball = dir.join(TARBALL);
    assert!(tarball.is_file(), "npm pack made no {}", tarball.display());
    tarball
}

/// A fresh project that installed the tarball and TypeScript, with the examples in it.
fn user_project(npm: &Path, tarball: &Path) -> PathBuf {
    let dir = packages_dir().join("npm-user");
    once(&dir, &file_hash(tarball), |dir| {
        fs::write(
            dir.join("package.json"),
            r#"{ "name": "sfbulk-user", "private": true, "type": "module" }"#,
        )
        .expect("write package.json");
        let out = run(
            Command::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .arg(tarball)
                .args(USER_DEV_DEPS)
                .current_dir(dir),
            Duration::from_secs(600),
        )
        .success("npm install of the packed tarball");
        eprintln!("npm install of the tarball took {:?}", out.elapsed);
    });
    // The examples and a strict tsconfig, every run (they are not part of the tarball).
    fs::write(
        dir.join("tsconfig.json"),
        r#"{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "types": ["node"], "strict": true, "outDir": "out"
  },
  "include": ["*.ts"]
}
"#,
    )
    .expect("write tsconfig.json");
    for e in fs::read_dir(repo().join("packages/npm/examples")).expect("read examples/") {
        let p = e.expect("entry").path();
        fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy an example");
    }
    dir
}

/// Installs (once), type-checks (`tsc --noEmit`) and compiles the examples; returns the project.
fn compiled_examples(node: &Path, npm: &Path) -> PathBuf {
    let tarball = npm_tarball(npm);
    let project = user_project(npm, &tarball);
    let tsc = project.join("node_modules/typescript/bin/tsc");
    let check = run(
        Command::new(node)
            .arg(&tsc)
            .args(["--noEmit", "-p", "."])
            .current_dir(&project),
        Duration::from_secs(180),
    )
    .success("tsc --noEmit of packages/npm/examples against the installed package");
    run(
        Command::new(node)
            .arg(&tsc)
            .args(["-p", "."])
            .current_dir(&project),
        Duration::from_secs(180),
    )
    .success("tsc of packages/npm/examples");
    eprintln!("tsc --noEmit took {:?}", check.elapsed);
    project
}

fn run_example(node: &Path, project: &Path, script: &str, mock: &MockServer) -> Value {
    let work = project.join(format!("work-{script}"));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create the work folder");
    let out = run(
        Command::new(node)
            .arg(project.join("out").join(format!("{script}.js")))
            .arg(&work)
            .current_dir(project)
            .env("SF_API_URL", mock.url())
            .env("SF_ACCESS_TOKEN", token()),
        Duration::from_secs(120),
    )
    .success(&format!("node {script}.js"));
    eprintln!("{script}.js took {:?}", out.elapsed);
    assert!(
        !out.stdout.contains(&token()) && !out.stderr.contains(&token()),
        "the access token appeared in the output"
    );
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("{script}.js printed no JSON report ({e}): {}", out.stdout))
}

fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (which("node"), which("npm")) {
        (Some(node), Some(npm)) => Some((node, npm)),
        _ => {
            skip_outside_ci(test, "node or npm is not installed on this machine");
            None
        }
    }
}

#[test]
fn npm_package_installs_typechecks_and_runs_against_the_mock() {
    let Some((node, npm)) = tools("npm_package_installs_typechecks_and_runs_against_the_mock")
    else {
        return;
    };
    let started = Instant::now();
    let project = compiled_examples(&node, &npm);
    let setup = started.elapsed();
    let mock = mock();
    let report = run_example(&node, &project, "example", &mock);
    eprintln!(
        "npm package: setup {setup:?}, whole test {:?}",
        started.elapsed()
    );

    // The 2.0 load: 2,500 rows, one refused, every result joined to its row.
    let loaded = &report["loaded"];
    assert_eq!(loaded["bulkApi"], 2);
    assert_eq!(loaded["records"], 2500);
    assert_eq!(loaded["succeeded"], 2499);
    assert_eq!(loaded["failed"], 1);
    assert_eq!(loaded["unprocessed"], 0);
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        stages.contains(&"upload") && stages.contains(&"done"),
        "{stages:?}"
    );
    // Header + 2,499 rows of two lines each (the description holds a line break) + the refused one.
    assert_eq!(report["resultLines"], 1 + 2 * 2499 + 1);

    // The mock stored exactly the rows the results name, and the streamed ones.
    let stored = mock.records("Contact");
    assert_eq!(
        stored.len(),
        2499 + 3,
        "the 2.0 load's rows and the 1.0 stream's"
    );
    let stored_ids: std::collections::HashSet<&str> =
        stored.iter().map(|r| r["Id"].as_str()).collect();
    let result_ids = report["resultIds"].as_array().expect("resultIds");
    assert_eq!(result_ids.len(), 2499);
    assert!(
        result_ids
            .iter()
            .all(|id| stored_ids.contains(id.as_str().unwrap_or("")))
    );
    assert!(
        stored
            .iter()
            .any(|r| r["LastName"] == "Zola, \"7\"" && r["Description"] == "line one\nline two")
    );
    assert!(stored.iter().any(|r| r["FirstName"] == "Émile 2500"));
    assert!(stored.iter().any(|r| r["LastName"] == "Turing"));
    let streamed = &report["streamed"];
    assert_eq!(streamed["bulkApi"], 1);
    assert_eq!(
        (streamed["records"].as_u64(), streamed["succeeded"].as_u64()),
        (Some(3), Some(3))
    );

    // The queries returned every stored row, through a file (2.0) and as chunks (1.0).
    assert_eq!(report["queried"]["records"], stored.len());
    assert_eq!(report["chunkRows"], stored.len());

    // The typed operation and the errors by case.
    assert_eq!(report["state"], "job-complete");
    assert_eq!(report["processed"], 2500);
    assert_eq!(report["apiError"]["case"], "api");
    assert_eq!(report["apiError"]["code"], "InvalidJob");
    assert_eq!(report["invalid"], "invalid-input");

    // What reached the mock: one 2.0 ingest job, its one upload, nothing for the refused upsert.
    let counters = mock.counters();
    assert_eq!(counters.v2_uploads_stored(), 1);
    assert_eq!(
        counters.v2_jobs_created(),
        2,
        "the ingest job and the query job"
    );
}

#[test]
fn npm_package_does_not_block_the_event_loop() {
    let Some((node, npm)) = tools("npm_package_does_not_block_the_event_loop") else {
        return;
    };
    let project = compiled_examples(&node, &npm);
    let mock = mock();
    let report = run_example(&node, &project, "nonblocking", &mock);
    eprintln!("nonblocking: {report}");

    let load = &report["load"];
    assert_eq!(load["value"]["records"], 50_000);
    assert_eq!(load["value"]["succeeded"], 50_000);
    assert_eq!(mock.records("Contact").len(), 50_000);
    let ms = load["ms"].as_f64().expect("ms");
    let ticks = load["ticks"].as_f64().expect("ticks");
    let gap = load["maxGapMs"].as_f64().expect("maxGapMs");
    // A 10 ms timer fired at least a third as often as it could, never held up for 250 ms.
    assert!(
        ticks >= ms / 10.0 / 3.0,
        "the timer fired {ticks} times in {ms} ms"
    );
    assert!(
        gap < 250.0,
        "the event loop was blocked for {gap} ms during the load"
    );
    // The control: a 300 ms block of the thread shows up as such a gap.
    assert!(
        report["control"]["maxGapMs"].as_f64().expect("control") >= 250.0,
        "{report}"
    );
}
