//! Node host: the release component transpiled by jco and driven from Node through
//! `@bytecodealliance/preview2-shim`, against the mock running in THIS process (so not on
//! Node's main thread, which the shim's synchronous wasi:http blocks: docs/toolchain.md G9).
//!
//! `js/drive.mjs` asserts every step itself (ingest job, CSV batch, wait, results, query job,
//! result file whole and streamed through the `result-reader` resource, errors thrown as
//! `ComponentError` with the WIT variant in `.payload`) and prints a JSON report; this test
//! checks that report against what the mock itself saw and stored.
//!
//! npm packages are pinned by `js/package-lock.json` and installed once (`npm ci`) into
//! `target/tmp/hosts/node/`. Skipped, with a message, only when `node` or `npm` is missing, and
//! then only outside CI (with `CI=true` a missing tool fails the test).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;
use serde_json::Value;

/// `npm ci` of `js/` into `target/tmp/hosts/node/`, once per lock file; returns that folder.
fn node_modules(npm: &Path) -> PathBuf {
    let js = repo().join("js");
    let dir = hosts_dir().join("node");
    let key = file_hash(&js.join("package-lock.json"));
    once(&dir, &key, |dir| {
        for f in ["package.json", "package-lock.json"] {
            fs::copy(js.join(f), dir.join(f)).expect("copy the npm manifest");
        }
        let out = run(
            Command::new(npm)
                .args(["ci", "--include=dev", "--no-audit", "--no-fund"])
                .args(["--loglevel=error", "--ignore-scripts"])
                .current_dir(dir),
            Duration::from_secs(600),
        )
        .success("npm ci (js/package-lock.json)");
        eprintln!("npm ci took {:?}", out.elapsed);
    });
    dir
}

/// `jco transpile` of the release component, redone only when the component changed.
fn transpile(node: &Path, dir: &Path) -> PathBuf {
    let wasm = Path::new(SFBULK_WASM);
    let out = dir.join("out");
    once(&out, &file_hash(wasm), |out| {
        let jco = dir.join("node_modules/.bin/jco");
        let run = run(
            Command::new(node)
                .arg(jco)
                .arg("transpile")
                .arg(wasm)
                .arg("-o")
                .arg(out.join("sfbulk"))
                .arg("--quiet"),
            Duration::from_secs(120),
        )
        .success("jco transpile");
        eprintln!("jco transpile took {:?}", run.elapsed);
    });
    out.join("sfbulk/sfbulk.js")
}

#[test]
fn node_jco_drives_the_component_against_the_mock() {
    let (Some(node), Some(npm)) = (which("node"), which("npm")) else {
        skip_outside_ci(
            "node_jco_drives_the_component_against_the_mock",
            "node or npm is not installed on this machine",
        );
        return;
    };
    let started = Instant::now();
    let dir = node_modules(&npm);
    let module = transpile(&node, &dir);
    let setup = started.elapsed();

    let mock = mock();
    let token = token();
    let out = run(
        Command::new(&node)
            .arg(repo().join("js/drive.mjs"))
            .arg(&module)
            .arg(mock.url())
            .arg(&token),
        Duration::from_secs(60),
    )
    .success("node js/drive.mjs");
    eprintln!(
        "node: setup {setup:?}, drive.mjs {:?}; {}",
        out.elapsed,
        out.stdout.trim()
    );
    let report: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("drive.mjs printed no JSON report ({e}): {}", out.stdout));

    // init went nowhere and named the mock's Bulk API base.
    assert_eq!(
        report["init"],
        format!("{}/services/async/59.0", mock.url())
    );

    // The ids Node got back are the rows the mock stored.
    let stored: Vec<String> = mock
        .records("Contact")
        .iter()
        .map(|r| r["Id"].clone())
        .collect();
    assert_eq!(stored.len(), 2, "two of three rows inserted");
    let ids = &report["ingest"]["ids"];
    assert_eq!(ids[0], stored[0].as_str());
    assert_eq!(ids[1], Value::Null);
    assert_eq!(ids[2], stored[1].as_str());
    assert_eq!(report["ingest"]["errors"][1][0], "REQUIRED_FIELD_MISSING");

    // The query result file holds exactly those rows.
    let file = report["query"]["file"].as_str().expect("query file");
    for id in &stored {
        assert!(file.contains(id.as_str()), "{id} missing from {file}");
    }

    // Errors crossed into JS as thrown errors carrying the error record.
    let errors = &report["errors"];
    assert_eq!(errors["unknownJob"]["kind"], "api");
    assert_eq!(errors["unknownJob"]["code"], "InvalidJob");
    assert_eq!(errors["badId"]["kind"], "invalid-input");
    assert_eq!(errors["expired"]["kind"], "session-expired");
    assert_eq!(errors["refused"]["kind"], "transport");

    // What reached the mock: the shim's wasi:http sent the session header and the bodies.
    let requests = mock.requests();
    let job_posts = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/services/async/59.0/job")
        .count();
    assert_eq!(
        job_posts, 3,
        "three create-job calls, no more (upsert refused locally)"
    );
    // The 200 KB batch (beyond the shim's pre-send buffer) arrived whole.
    let big_rows = report["bigBatch"]["rows"].as_u64().expect("bigBatch.rows");
    assert!(report["bigBatch"]["bytes"].as_u64() > Some(150_000));
    assert_eq!(mock.records("Account").len() as u64, big_rows);
    let batch_post = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/batch"))
        .expect("the CSV batch reached the mock");
    assert_eq!(
        batch_post.body,
        "FirstName,LastName\nAda,Lovelace\nNo,\nÉmile,Zola\n".as_bytes()
    );
    assert!(
        batch_post
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.header("x-sfdc-session") == Some(token.as_str()))
            .count()
            >= 10
    );
    assert!(
        requests
            .iter()
            .any(|r| r.header("x-sfdc-session") == Some("wrong-token")),
        "the expired-session case reached the mock"
    );
}
