//! The Python package (`packages/python/`), installed the way a user installs it: `pip wheel`
//! of a copy of the package (setup.py generates the typed layer from the WIT and adds the
//! shipped component; setuptools pinned in pyproject.toml), the wheel installed into a fresh
//! venv (with its pinned wasmtime), `mypy --strict` on the installed package and on
//! `packages/python/examples/example.py`, and the example run against the mock in this process;
//! its report is checked against what the mock stored.
//!
//! Lands in `target/tmp/packages/` once per input: the wheel per source + component + WIT, the
//! venv per wheel. Skipped, with a message, only when `python3` is missing, and then only
//! outside CI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;
use crate::packages_npm::{copy_tree, packages_dir, tree_hash};
use serde_json::Value;

/// The type checker the test runs (`mypy --strict`), installed into the user's venv.
const MYPY: &str = "mypy==1.18.2";
const WHEEL: &str = "sfbulk-0.1.0-py3-none-any.whl";
const SKIP: [&str; 7] = [
    "build",
    "dist",
    "__pycache__",
    ".mypy_cache",
    "sfbulk.egg-info",
    ".stamp",
    "work",
];

/// `pip wheel` of a copy of packages/python: the wheel.
fn wheel(python: &Path) -> PathBuf {
    let pkg = repo().join("packages/python");
    let dir = packages_dir().join("py-wheel");
    let key = format!(
        "{}+{}+{}",
        tree_hash(&pkg, &SKIP),
        file_hash(Path::new(SFBULK_WASM)),
        file_hash(&repo().join("wit/world.wit"))
    );
    once(&dir, &key, |dir| {
        let src = dir.join("src");
        copy_tree(&pkg, &src, &SKIP);
        let out = run(
            Command::new(python)
                .args([
                    "-m",
                    "pip",
                    "wheel",
                    "--no-deps",
                    "--disable-pip-version-check",
                    "-q",
                    "-w",
                ])
                .arg(dir)
                .arg(&src)
                .env("SFBULK_WASM", SFBULK_WASM)
                .env("SFBULK_WIT", repo().join("wit/world.wit"))
                .env("PIP_ROOT_USER_ACTION", "ignore"),
            Duration::from_secs(300),
        )
        .success("pip wheel (packages/python)");
        eprintln!("pip wheel took {:?}", out.elapsed);
    });
    let wheel = dir.join(WHEEL);
    assert!(wheel.is_file(), "pip wheel made no {}", wheel.display());
    wheel
}

/// A fresh venv that installed the wheel (and mypy); returns its python.
fn venv(python: &Path, wheel: &Path) -> PathBuf {
    let dir = packages_dir().join("py-user");
    once(&dir, &file_hash(wheel), |dir| {
        run(
            Command::new(python)
                .args(["-m", "venv"])
                .arg(dir.join("venv")),
            Duration::from_secs(120),
        )
        .success("python3 -m venv");
        let out = run(
            Command::new(dir.join("venv/bin/python"))
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
                .arg(wheel)
                .arg(MYPY)
                .env("PIP_ROOT_USER_ACTION", "ignore"),
            Duration::from_secs(600),
        )
        .success("pip install of the wheel into a fresh venv");
        eprintln!("pip install of the wheel took {:?}", out.elapsed);
    });
    dir.join("venv/bin/python")
}

#[test]
fn python_package_installs_typechecks_and_runs_against_the_mock() {
    let test = "python_package_installs_typechecks_and_runs_against_the_mock";
    let Some(python) = python3() else {
        skip_outside_ci(test, "python3 is not installed on this machine");
        return;
    };
    let started = Instant::now();
    let wheel = wheel(&python);
    let py = venv(&python, &wheel);
    let example = repo().join("packages/python/examples/example.py");
    let work = packages_dir().join("py-user/work");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create the work folder");

    // mypy --strict on the package as installed, and on the example using it.
    for target in [
        vec!["-p".into(), "sfbulk".into()],
        vec![example.to_string_lossy().into_owned()],
    ] {
        let mypy = run(
            Command::new(&py)
                .args(["-m", "mypy", "--strict", "--no-incremental"])
                .args(&target)
                .current_dir(&work),
            Duration::from_secs(300),
        )
        .success(&format!("mypy --strict {}", target.join(" ")));
        assert!(
            mypy.stdout.contains("Success: no issues found"),
            "{}",
            mypy.stdout
        );
    }
    // The pinned wasmtime takes bytes through the package's fast path (sfbulk/_fastbytes.py).
    run(
        Command::new(&py).args([
            "-c",
            "import sfbulk._runtime as r; assert r.FAST_BYTES, 'no fast path'",
        ]),
        Duration::from_secs(60),
    )
    .success("the list<u8> fast path is installed");
    let setup = started.elapsed();

    let mock = mock();
    let out = run(
        Command::new(&py)
            .arg(&example)
            .arg(&work)
            .current_dir(&work)
            .env("SF_API_URL", mock.url())
            .env("SF_ACCESS_TOKEN", token())
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(180),
    )
    .success("python example.py (the installed wheel)");
    eprintln!(
        "python package: setup and mypy {setup:?}, example.py {:?}",
        out.elapsed
    );
    assert!(!out.stdout.contains(&token()) && !out.stderr.contains(&token()));
    let report: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("example.py printed no JSON report ({e}): {}", out.stdout));

    let loaded = &report["loaded"];
    assert_eq!(loaded["bulk_api"], 2);
    assert_eq!(
        (loaded["records"].as_u64(), loaded["succeeded"].as_u64()),
        (Some(2500), Some(2499))
    );
    assert_eq!(
        (loaded["failed"].as_u64(), loaded["unprocessed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        report["stages"],
        serde_json::json!(["done", "join", "upload"])
    );
    assert_eq!(report["resultLines"], 1 + 2 * 2499 + 1);

    let stored = mock.records("Contact");
    assert_eq!(stored.len(), 2499 + 3);
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
    assert!(stored.iter().any(|r| r["LastName"] == "Hopper"));
    assert_eq!(report["streamed"]["bulk_api"], 1);
    assert_eq!(report["streamed"]["succeeded"], 3);

    assert_eq!(report["queried"]["records"], stored.len());
    assert_eq!(report["rows"], stored.len());
    assert_eq!(report["zola7"], true);
    assert_eq!(report["state"], "job-complete");
    assert_eq!(report["processed"], 2500);
    assert_eq!(report["apiError"]["case"], "api");
    assert_eq!(report["apiError"]["code"], "InvalidJob");
    assert_eq!(report["invalid"], "invalid-input");

    let counters = mock.counters();
    assert_eq!(counters.v2_uploads_stored(), 1);
    assert_eq!(
        counters.v2_jobs_created(),
        2,
        "the ingest job and the query job"
    );
}
