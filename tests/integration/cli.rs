//! The `sfbulk` command line (run in-process) against the mock: the contract of
//! `shared/cli-contract.md` — JSON on stdout, exit codes 0/1/2, one stderr line.

use std::time::Duration;

use crate::common::*;
use sfbulk_cli as cli;

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

fn sfbulk(mock: &MockServer, args: &[&str]) -> Run {
    let url = mock.url();
    let token = token();
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    argv.extend([
        "--api-url".into(),
        url.into(),
        "--access-token".into(),
        token.into(),
    ]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, &cli::Env::from_process(), &mut out, &mut err);
    Run {
        code,
        stdout: out,
        stderr: String::from_utf8(err).unwrap(),
    }
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

    let dir = std::env::temp_dir().join(format!("sfbulk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contacts.csv");
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
    let out = std::env::temp_dir().join(format!("sfbulk-q-{}.csv", std::process::id()));
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

#[test]
fn zip_upload_through_the_cli_defaults_to_insert() {
    let mock = mock();
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
    assert_eq!(job["operation"], "insert");
    assert_eq!(job["contentType"], "ZIP_CSV");
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
    assert_eq!(mock.request_count(), before, "nothing sent for bad input");

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(
        vec![
            "sfbulk".into(),
            "get-job".into(),
            "750000000000000AAA".into(),
            "--api-url".into(),
            mock.url().into(),
        ],
        &cli::Env::from_process(),
        &mut out,
        &mut err,
    );
    if std::env::var_os("SF_ACCESS_TOKEN").is_none() {
        assert_eq!(code, 2, "missing token is a usage error");
    }
}
