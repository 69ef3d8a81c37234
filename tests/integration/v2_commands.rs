//! The Bulk API 2.0 low-level commands (`sfbulk v2 ingest …`, `sfbulk v2 query …`) against
//! the mock: Salesforce's JSON on stdout, bytes unchanged, `<command>: <errorCode>: …` on
//! stderr.

use std::path::Path;
use std::time::Duration;

use crate::cli_util::*;
use crate::common::*;

fn wait_state(mock: &MockServer, kind: &str, job: &str, want: &str) -> serde_json::Value {
    for _ in 0..500 {
        let info = ok_json(mock, &["v2", kind, "get", job]);
        if info["state"] == want {
            return info;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("job {job} never reached {want}");
}

#[test]
fn an_ingest_job_step_by_step() {
    let mock = mock();
    let dir = TempDir::new("v2-ingest-cmds");
    let job = ok_json(
        &mock,
        &[
            "v2",
            "ingest",
            "create",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--column-delimiter",
            "PIPE",
            "--line-ending",
            "CRLF",
        ],
    );
    assert_eq!(job["state"], "Open");
    assert_eq!(job["columnDelimiter"], "PIPE");
    assert_eq!(job["lineEnding"], "CRLF");
    assert_eq!(job["object"], "Account");
    assert!(job["apiVersion"].is_number(), "{job}");
    let id = job["id"].as_str().unwrap().to_string();

    let file = dir.file("in.csv");
    let body = "Name|Description\r\nA|x\r\n|no name\r\n";
    std::fs::write(&file, body).unwrap();
    let up = ok_json(&mock, &["v2", "ingest", "upload", &id, "--file", &file]);
    assert_eq!(up, serde_json::json!({ "jobId": id, "bytes": body.len() }));
    let put = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.body, body.as_bytes(), "the bytes unchanged");

    // A second upload is refused by Salesforce (and the mock).
    let again = sfbulk(&mock, &["v2", "ingest", "upload", &id, "--file", &file]);
    again.expect(1);
    assert!(
        again.stderr.starts_with("v2 ingest upload: "),
        "{}",
        again.stderr
    );

    let closed = ok_json(&mock, &["v2", "ingest", "close", &id]);
    assert_eq!(closed["state"], "UploadComplete");
    let done = wait_state(&mock, "ingest", &id, "JobComplete");
    assert_eq!(done["numberRecordsProcessed"], 2);
    assert_eq!(done["numberRecordsFailed"], 1);

    let ok_file = dir.file("ok.csv");
    let run = sfbulk(
        &mock,
        &[
            "v2",
            "ingest",
            "results",
            &id,
            "--kind",
            "successful",
            "--output",
            &ok_file,
        ],
    );
    run.expect(0);
    assert!(run.stdout.is_empty());
    let direct = sfbulk(
        &mock,
        &["v2", "ingest", "results", &id, "--kind", "successful"],
    );
    direct.expect(0);
    assert_eq!(
        std::fs::read(&ok_file).unwrap(),
        direct.stdout,
        "byte for byte"
    );
    assert!(String::from_utf8_lossy(&direct.stdout).starts_with("\"sf__Id\""));
    let failed = sfbulk(&mock, &["v2", "ingest", "results", &id, "--kind", "failed"]);
    failed.expect(0);
    assert!(String::from_utf8_lossy(&failed.stdout).contains("REQUIRED_FIELD_MISSING"));
    let bad_kind = sfbulk(&mock, &["v2", "ingest", "results", &id, "--kind", "bogus"]);
    bad_kind.expect(2);

    let list = ok_json(&mock, &["v2", "ingest", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id.as_str()),
        "{list}"
    );
    let run = sfbulk(&mock, &["v2", "ingest", "delete", &id]);
    run.expect(0);
    assert!(run.stdout.is_empty(), "nothing on stdout");
    let gone = sfbulk(&mock, &["v2", "ingest", "get", &id]);
    gone.expect(1);
    assert!(gone.stdout.is_empty());
    assert!(
        gone.stderr.starts_with("v2 ingest get: NOT_FOUND: "),
        "{}",
        gone.stderr
    );
    assert_eq!(gone.stderr.lines().count(), 1);
}

#[test]
fn an_aborted_ingest_job_and_the_words_of_the_commands() {
    let mock = mock();
    let job = ok_json(
        &mock,
        &[
            "v2",
            "ingest",
            "create",
            "--operation",
            "upsert",
            "--object",
            "Account",
            "--external-id-field-name",
            "Ext_Id__c",
        ],
    );
    assert_eq!(job["externalIdFieldName"], "Ext_Id__c");
    let id = job["id"].as_str().unwrap();
    assert_eq!(
        ok_json(&mock, &["v2", "ingest", "abort", id])["state"],
        "Aborted"
    );
    let before = mock.request_count();
    for args in [
        &[
            "v2",
            "ingest",
            "create",
            "--operation",
            "query",
            "--object",
            "Account",
        ][..],
        &[
            "v2",
            "ingest",
            "create",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--column-delimiter",
            "SPACE",
        ][..],
        &[
            "v2",
            "ingest",
            "create",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--line-ending",
            "CR",
        ][..],
        &[
            "v2",
            "query",
            "create",
            "--soql",
            "SELECT Id FROM Account",
            "--line-ending",
            "CR",
        ][..],
    ] {
        let run = sfbulk(&mock, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    assert_eq!(mock.request_count(), before, "nothing sent");
}

#[test]
fn a_query_job_page_by_page() {
    let mock = mock();
    mock.insert_records(
        "Account",
        (0..25)
            .map(|i| vec![("Name".to_string(), format!("P {i}"))])
            .collect(),
    );
    let total = mock.record_count("Account");
    let dir = TempDir::new("v2-query-cmds");
    let job = ok_json(
        &mock,
        &[
            "v2",
            "query",
            "create",
            "--soql",
            "SELECT Id, Name FROM Account",
            "--column-delimiter",
            "TAB",
        ],
    );
    let id = job["id"].as_str().unwrap().to_string();
    wait_state(&mock, "query", &id, "JobComplete");
    let mut locator: Option<String> = None;
    let mut rows = 0u64;
    let mut pages = 0;
    loop {
        let out = dir.file(&format!("page{pages}.csv"));
        let mut args = vec![
            "v2",
            "query",
            "results",
            &id,
            "--max-records",
            "10",
            "--output",
            &out,
        ];
        let loc;
        if let Some(l) = &locator {
            loc = l.clone();
            args.extend(["--locator", &loc]);
        }
        let page = ok_json(&mock, &args);
        pages += 1;
        let n = page["numberOfRecords"].as_u64().unwrap();
        rows += n;
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.starts_with("\"Id\"\t\"Name\"") || text.starts_with("Id\tName"),
            "{text}"
        );
        assert_eq!(
            text.lines().count() as u64,
            n + 1,
            "its own header and {n} rows"
        );
        match page["locator"].as_str() {
            Some(l) => locator = Some(l.to_string()),
            None => {
                assert!(page["locator"].is_null());
                break;
            }
        }
    }
    assert_eq!(rows, total as u64);
    assert_eq!(pages, total.div_ceil(10));
    let list = ok_json(&mock, &["v2", "query", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id.as_str())
    );
    let run = sfbulk(&mock, &["v2", "query", "delete", &id]);
    run.expect(0);
    assert!(run.stdout.is_empty());
    let gone = sfbulk(&mock, &["v2", "query", "get", &id]);
    assert!(
        gone.stderr.starts_with("v2 query get: NOT_FOUND: "),
        "{}",
        gone.stderr
    );

    // Abort a running query job.
    mock.set_processing_delay(Duration::from_secs(600));
    let job = ok_json(
        &mock,
        &[
            "v2",
            "query",
            "create",
            "--soql",
            "SELECT Id FROM Account",
            "--query-all",
        ],
    );
    assert_eq!(job["operation"], "queryAll");
    let id = job["id"].as_str().unwrap();
    assert_eq!(
        ok_json(&mock, &["v2", "query", "abort", id])["state"],
        "Aborted"
    );
    // A page written only when complete: an unreadable page leaves no file.
    let out = dir.file("never.csv");
    let run = sfbulk(&mock, &["v2", "query", "results", id, "--output", &out]);
    run.expect(1);
    assert!(
        run.stderr.starts_with("v2 query results: "),
        "{}",
        run.stderr
    );
    assert!(!Path::new(&out).exists());
}
