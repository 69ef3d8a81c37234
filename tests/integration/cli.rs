//! The `sfbulk` command line (run in-process) against the mock: the contract of
//! `docs/cli.md` — JSON on stdout, exit codes 0/1/2, one stderr line.
//!
//! Every run is hermetic. The CLI reads its environment only from the [`cli::Env`] it is
//! given, never from this process, so a run sees exactly the variables its test names —
//! none of the developer's `SF_*`/`SFBULK_*` — and each run keeps its session cache in a
//! temporary folder of its own (`SFBULK_CACHE_DIR`), never in `~/.cache/sfbulk`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::*;
use sfbulk_cli as cli;

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sfbulk-cli-test-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not json ({e}): {}",
                String::from_utf8_lossy(&self.stdout)
            )
        })
    }
}

/// Runs `sfbulk args…` in-process with exactly the environment `env`.
fn run_in(env: &cli::Env, args: &[&str]) -> Run {
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, env, &mut out, &mut err);
    Run {
        code,
        stdout: out,
        stderr: String::from_utf8(err).unwrap(),
    }
}

/// Runs `sfbulk args… --api-url <mock> --access-token <token>` with no environment but a
/// session cache folder of its own.
fn sfbulk(mock: &MockServer, args: &[&str]) -> Run {
    let cache = TempDir::new("cache");
    let env = cli::Env::empty().with("SFBULK_CACHE_DIR", cache.path());
    let url = mock.url();
    let token = token();
    let mut all = args.to_vec();
    all.extend(["--api-url", &url, "--access-token", &token]);
    run_in(&env, &all)
}

fn ok_json(mock: &MockServer, args: &[&str]) -> serde_json::Value {
    let run = sfbulk(mock, args);
    assert_eq!(run.code, 0, "sfbulk {args:?} failed: {}", run.stderr);
    run.json()
}

fn wait(mock: &MockServer, job: &str, batch: &str) -> serde_json::Value {
    for _ in 0..500 {
        let info = ok_json(mock, &["get-batch-status", job, batch]);
        if ["Completed", "Failed", "NotProcessed"].contains(&info["state"].as_str().unwrap()) {
            return info;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("batch {batch} never finished");
}

#[test]
fn ingest_flow_through_the_cli() {
    let mock = mock();
    let job = ok_json(
        &mock,
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--content-type",
            "CSV",
        ],
    );
    let keys: Vec<&str> = job
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "concurrencyMode",
        "contentType",
        "numberBatchesQueued",
        "numberBatchesInProgress",
        "numberBatchesCompleted",
        "numberBatchesFailed",
        "numberBatchesTotal",
        "numberRecordsProcessed",
        "numberRetries",
        "apiVersion",
        "numberRecordsFailed",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
    ] {
        assert!(keys.contains(&key), "jobInfo lacks {key}: {keys:?}");
    }
    assert!(!keys.contains(&"externalIdFieldName"), "only when set");
    assert_eq!(job["state"], "Open");
    assert!(job["numberBatchesTotal"].is_u64(), "counts are numbers");
    let job_id = job["id"].as_str().unwrap().to_string();

    let dir = TempDir::new("ingest");
    let file = dir.path().join("contacts.csv");
    let body = "FirstName,LastName\nAda,Lovelace\nBob,\n";
    std::fs::write(&file, body).unwrap();
    let batch = ok_json(
        &mock,
        &["add-batch", &job_id, "--file", file.to_str().unwrap()],
    );
    let batch_id = batch["id"].as_str().unwrap().to_string();
    assert_eq!(batch["jobId"], job_id.as_str());

    let list = ok_json(&mock, &["list-batches", &job_id]);
    assert!(list.is_array());
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "an array also for one batch"
    );

    let raw = sfbulk(&mock, &["get-batch-request", &job_id, &batch_id]);
    assert_eq!(raw.code, 0);
    assert_eq!(
        raw.stdout,
        body.as_bytes(),
        "exact stored bytes, no newline added"
    );

    let closed = ok_json(&mock, &["update-job", &job_id, "--state", "Closed"]);
    assert_eq!(closed["state"], "Closed");
    wait(&mock, &job_id, &batch_id);
    let results = ok_json(&mock, &["get-batch-results", &job_id, &batch_id]);
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[1]["success"], false);
    assert_eq!(
        results[1]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(results[1]["errors"][0]["fields"][0], "LastName");
}

#[test]
fn query_flow_writes_result_files_byte_for_byte() {
    let mock = mock();
    mock.insert_records(
        "Account",
        (0..5)
            .map(|i| vec![("Name".to_string(), format!("Name {i}"))])
            .collect(),
    );
    let job = ok_json(
        &mock,
        &[
            "create-job",
            "--operation",
            "query",
            "--object",
            "Account",
            "--content-type",
            "CSV",
        ],
    );
    let job_id = job["id"].as_str().unwrap().to_string();
    let batch = ok_json(
        &mock,
        &[
            "add-batch",
            &job_id,
            "--query",
            "SELECT Id, Name FROM Account",
        ],
    );
    let batch_id = batch["id"].as_str().unwrap().to_string();
    wait(&mock, &job_id, &batch_id);
    let ids = ok_json(&mock, &["get-batch-results", &job_id, &batch_id]);
    let rid = ids[0].as_str().unwrap().to_string();
    let dir = TempDir::new("query");
    let out = dir.path().join("result.csv");
    let run = sfbulk(
        &mock,
        &[
            "get-bulk-query-results",
            &job_id,
            &batch_id,
            &rid,
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read(&out).unwrap();
    let direct = sfbulk(&mock, &["get-bulk-query-results", &job_id, &batch_id, &rid]);
    assert_eq!(direct.stdout, written);
    assert_eq!(
        written.iter().filter(|b| **b == b'\n').count(),
        6,
        "header + 5 rows"
    );
}

/// A zip of `entries` (deflated), as a user would build it.
fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn zip_upload_through_the_cli_sends_the_zip_and_the_mock_stores_its_attachment() {
    let mock = mock();
    let parent =
        mock.insert_records("Account", vec![vec![("Name".into(), "Parent".into())]])[0].clone();
    let job = ok_json(
        &mock,
        &[
            "create-job-to-upload-batch-file",
            "--object",
            "Attachment",
            "--content-type",
            "ZIP_CSV",
        ],
    );
    assert_eq!(job["operation"], "insert", "the default operation");
    assert_eq!(job["contentType"], "ZIP_CSV");
    let job_id = job["id"].as_str().unwrap().to_string();

    let manifest = format!("Name,ParentId,Body\nhello.txt,{parent},#files/hello.txt\n");
    let zip = make_zip(&[
        ("request.txt", manifest.as_bytes()),
        ("files/hello.txt", b"hello world"),
    ]);
    let dir = TempDir::new("zip");
    let file = dir.path().join("attachments.zip");
    std::fs::write(&file, &zip).unwrap();
    let before = mock.request_count();
    let batch = ok_json(
        &mock,
        &[
            "upload-batch-file",
            &job_id,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(batch["jobId"], job_id.as_str());
    let batch_id = batch["id"].as_str().unwrap().to_string();

    // What went over the wire: one POST of the zip's bytes, unchanged, as zip/csv.
    let sent: Vec<_> = mock.requests()[before..]
        .iter()
        .filter(|r| r.method == "POST")
        .cloned()
        .collect();
    assert_eq!(sent.len(), 1, "one upload: {sent:?}");
    assert!(
        sent[0].path.ends_with(&format!("/job/{job_id}/batch")),
        "{}",
        sent[0].path
    );
    assert_eq!(sent[0].header("content-type"), Some("zip/csv"));
    assert_eq!(sent[0].body, zip, "the zip's bytes, unchanged");

    // What the mock stored: the batch body byte for byte, and the attachment record.
    let stored = sfbulk(&mock, &["get-batch-request", &job_id, &batch_id]);
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    assert_eq!(stored.stdout, zip);
    let done = wait(&mock, &job_id, &batch_id);
    assert_eq!(done["state"], "Completed", "{done}");
    let results = ok_json(&mock, &["get-batch-results", &job_id, &batch_id]);
    assert_eq!(results.as_array().unwrap().len(), 1, "{results}");
    assert_eq!(results[0]["success"], true, "{results}");
    let attachments = mock.records("Attachment");
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    let a = &attachments[0];
    assert_eq!(a.get("Name").map(String::as_str), Some("hello.txt"));
    assert_eq!(a.get("ParentId"), Some(&parent));
    assert_eq!(
        a.get("BodyLength").map(String::as_str),
        Some("11"),
        "the body is the zip's files/hello.txt: {a:?}"
    );
    assert_eq!(
        a.get("Id"),
        results[0]["id"].as_str().map(str::to_string).as_ref()
    );
}

#[test]
fn errors_exit_codes_and_one_stderr_line() {
    let mock = mock();
    let run = sfbulk(&mock, &["get-job", "750000000000000AAA"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("get-job: InvalidJob: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);

    let before = mock.request_count();
    let run = sfbulk(&mock, &["get-job", "../../x"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("get-job: invalid input: "),
        "{}",
        run.stderr
    );
    let run = sfbulk(
        &mock,
        &[
            "create-job",
            "--operation",
            "explode",
            "--object",
            "Account",
        ],
    );
    assert_eq!(run.code, 2);
    let run = sfbulk(&mock, &["no-such-command"]);
    assert_eq!(run.code, 2);

    // Without a token (and no environment at all): a usage error, nothing sent.
    let run = run_in(
        &cli::Env::empty(),
        &["get-job", "750000000000000AAA", "--api-url", &mock.url()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "get-job: missing --access-token (or SF_ACCESS_TOKEN)\n"
    );
    assert_eq!(mock.request_count(), before, "nothing sent for bad input");
}

#[test]
fn the_environment_is_the_one_given_and_a_flag_wins_over_it() {
    let mock = mock();
    let url = mock.url();
    let env = cli::Env::empty()
        .with("SF_API_URL", &url)
        .with("SF_ACCESS_TOKEN", token());

    // Connection from the environment only: the call reaches the mock with that token.
    let before = mock.request_count();
    let run = run_in(&env, &["get-job", "750000000000000AAA"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("get-job: InvalidJob: "),
        "{}",
        run.stderr
    );
    let requests = mock.requests();
    assert_eq!(requests.len(), before + 1);
    assert_eq!(
        requests[before].header("x-sfdc-session"),
        Some(token().as_str())
    );

    // A flag wins over its variable, before or after the command.
    let bad = env
        .clone()
        .with("SF_API_URL", "https://unreachable.invalid");
    for args in [
        &["get-job", "750000000000000AAA", "--api-url", &url][..],
        &["--api-url", &url, "get-job", "750000000000000AAA"][..],
    ] {
        let run = run_in(&bad, args);
        assert!(
            run.stderr.starts_with("get-job: InvalidJob: "),
            "{args:?}: {}",
            run.stderr
        );
    }

    // Variables are checked like flags (exit 2, clap's message).
    let run = run_in(
        &env.clone().with("SF_INTERVAL_TIME", "soon"),
        &["get-job", "750000000000000AAA"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: invalid value 'soon' for '--interval-time <INTERVAL_TIME>'"),
        "{}",
        run.stderr
    );

    // An environment without the connection: usage errors naming flag and variable.
    let run = run_in(&cli::Env::empty(), &["get-job", "750000000000000AAA"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "get-job: missing --api-url (or SF_API_URL)\n");

    // Help names each variable, never its value.
    let run = run_in(&env, &["get-job", "--help"]);
    assert_eq!(run.code, 0);
    let help = String::from_utf8(run.stdout).unwrap();
    assert!(help.contains("[env: SF_API_URL]"), "{help}");
    assert!(help.contains("[env: SF_ACCESS_TOKEN]"), "{help}");
    assert!(!help.contains(&url) && !help.contains(&token()), "{help}");
}

#[test]
fn the_default_session_cache_folder_comes_from_the_given_environment() {
    // A renewed token is cached under $XDG_CACHE_HOME/sfbulk, else $HOME/.cache/sfbulk,
    // of the environment the run is given.
    for var in ["XDG_CACHE_HOME", "HOME"] {
        let mock = mock();
        let root = TempDir::new("home");
        let url = mock.url();
        let token = token();
        mock.expire_access_token(&token);
        let run = run_in(
            &cli::Env::empty().with(var, root.path()),
            &[
                "get-job",
                "750000000000000AAA",
                "--api-url",
                &url,
                "--access-token",
                &token,
                "--refresh-token",
                "mock-refresh-token",
                "--client-id",
                "mock-client-id",
                "--client-secret",
                "mock-client-secret",
                "--token-endpoint",
                &url,
                "--registry-path",
                "reg/cli",
            ],
        );
        assert!(
            run.stderr.starts_with("get-job: InvalidJob: "),
            "{var}: {}",
            run.stderr
        );
        assert_eq!(mock.token_requests(), 1, "{var}: renewed once");
        let file = match var {
            "HOME" => root.path().join(".cache/sfbulk/sessions.json"),
            _ => root.path().join("sfbulk/sessions.json"),
        };
        let cached = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{var}: no cache at {}: {e}", file.display()));
        assert!(cached.contains("reg/cli"), "{cached}");
    }
}
