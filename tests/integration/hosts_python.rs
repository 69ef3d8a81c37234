//! Python host: wasmtime's Python embedding (PyPI `wasmtime`, installed once into
//! `target/tmp/hosts/`) instantiates the release component with WASIp2 + wasi:http
//! (`Linker.add_wasip2()`, `Linker.add_wasi_http()`) and runs
//! `examples/python-host/sfbulk_host.py`: the same smoke scenario as the Node test, against
//! the mock in this process. The script asserts each step and prints a JSON report, checked
//! here against the mock. Skipped, with a message, only when `python3` is missing, and then
//! only outside CI (with `CI=true` a missing tool fails the test).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;
use serde_json::Value;

#[test]
fn python_wasmtime_embedding_runs_the_component_against_the_mock() {
    let test = "python_wasmtime_embedding_runs_the_component_against_the_mock";
    let Some(python) = python3() else {
        skip_outside_ci(test, "python3 is not installed on this machine");
        return;
    };
    let started = Instant::now();
    let site = pip_install(&python, WASMTIME_PY, "wasmtime-py");
    let setup = started.elapsed();

    let mock = mock();
    let out = run(
        Command::new(&python)
            .arg(repo().join("examples/python-host/sfbulk_host.py"))
            .arg(SFBULK_WASM)
            .arg(mock.url())
            .arg(token())
            .env("PYTHONPATH", &site)
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(120),
    )
    .success("python3 examples/python-host/sfbulk_host.py");
    eprintln!(
        "python ({WASMTIME_PY}): setup {setup:?}, script {:?}; {}",
        out.elapsed,
        out.stdout.trim()
    );
    let report: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {}", out.stdout));

    assert_eq!(
        report["init"],
        format!("{}/services/async/59.0", mock.url())
    );
    let stored: Vec<String> = mock
        .records("Contact")
        .iter()
        .map(|r| r["Id"].clone())
        .collect();
    assert_eq!(stored.len(), 2);
    assert_eq!(report["ingest"]["ids"][0], stored[0].as_str());
    assert_eq!(report["ingest"]["ids"][1], Value::Null);
    assert_eq!(report["ingest"]["ids"][2], stored[1].as_str());
    assert_eq!(report["ingest"]["errors"][1][0], "REQUIRED_FIELD_MISSING");
    let file = report["query"]["file"].as_str().expect("query file");
    assert!(stored.iter().all(|id| file.contains(id.as_str())), "{file}");
    assert_eq!(report["errors"]["unknownJob"]["kind"], "api");
    assert_eq!(report["errors"]["unknownJob"]["code"], "InvalidJob");
    assert_eq!(report["errors"]["badId"]["kind"], "invalid-input");
    assert_eq!(report["errors"]["expired"]["kind"], "session-expired");
    assert_eq!(report["errors"]["refused"]["kind"], "transport");

    let requests = mock.requests();
    let batch = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/batch"))
        .expect("the CSV batch reached the mock");
    assert_eq!(
        batch.body,
        "FirstName,LastName\nAda,Lovelace\nNo,\nÉmile,Zola\n".as_bytes()
    );
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/services/async/59.0/job")
            .count(),
        2
    );
}
