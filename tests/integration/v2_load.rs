//! `sfbulk load --bulk-api 2` through the component against the mock's Bulk API 2.0: jobs
//! cut by `--max-job-bytes` without splitting a record, a lost upload reply (one abort, one
//! new job, every row stored once), results joined in input order from shuffled result
//! files, the input's dialect declared, failed jobs shown with their `errorMessage`.

use std::path::Path;

use sfbulk_mock::FaultKind;

use crate::cli_util::*;
use crate::common::*;

fn load2(mock: &MockServer, file: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "load",
        "--bulk-api",
        "2",
        "--operation",
        "insert",
        "--object",
        "Account",
        "--file",
        file,
    ];
    args.extend_from_slice(extra);
    sfbulk(mock, &args)
}

/// Every job the mock knows, as `v2 ingest list` shows them.
fn ingest_jobs(mock: &MockServer) -> Vec<serde_json::Value> {
    let list = ok_json(mock, &["v2", "ingest", "list"]);
    list.as_array()
        .unwrap()
        .iter()
        .filter(|j| j["jobType"] == "V2Ingest")
        .cloned()
        .collect()
}

/// The uploads the mock received since `from`: (job id, body).
fn uploads(mock: &MockServer, from: usize) -> Vec<(String, Vec<u8>)> {
    mock.requests()[from..]
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/batches"))
        .map(|r| {
            let parts: Vec<&str> = r.path.split('/').collect();
            (parts[parts.len() - 2].to_string(), r.body.clone())
        })
        .collect()
}

#[test]
fn a_lost_upload_reply_aborts_that_job_and_loads_its_rows_once_in_a_new_one() {
    let mock = mock();
    let dir = TempDir::new("v2-lost");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(3_000, &[])).unwrap();
    // The create's reply is delayed; meanwhile the upload's reply is set to be lost after
    // the mock stored it.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| after_delays(&mock, 1, |m| m.reset_after_processing_next(1)));
        load2(&mock, &file, &[])
    });
    run.expect(0);
    let counters = mock.counters();
    assert_eq!(
        counters.fired(FaultKind::ResetAfterProcessing),
        1,
        "the reply was lost"
    );
    assert_eq!(counters.v2_jobs_created(), 2, "one new job");
    assert_eq!(counters.v2_jobs_aborted(), 1, "one abort");
    assert_eq!(
        counters.v2_uploads_stored(),
        2,
        "the lost upload and the new one"
    );
    let sent = uploads(&mock, 0);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].1, sent[1].1, "the same rows, to the new job");
    assert_ne!(sent[0].0, sent[1].0);
    let summary = run.json();
    assert_eq!(
        summary["jobIds"],
        serde_json::json!([sent[1].0]),
        "the job that loaded rows"
    );
    assert_eq!(summary["records"], 3_000);
    assert_eq!(summary["succeeded"], 3_000);
    // Every row stored exactly once.
    let names: std::collections::BTreeSet<String> = mock
        .records("Account")
        .iter()
        .filter_map(|r| r.get("Name").cloned())
        .filter(|n| n.starts_with("Acct "))
        .collect();
    assert_eq!(names.len(), 3_000);
    assert_eq!(
        mock.records("Account")
            .iter()
            .filter(|r| r.get("Name").is_some_and(|n| n.starts_with("Acct ")))
            .count(),
        3_000,
        "no row twice"
    );
    let states: Vec<String> = ingest_jobs(&mock)
        .iter()
        .map(|j| j["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        states.iter().filter(|s| *s == "Aborted").count(),
        1,
        "{states:?}"
    );
    assert!(!states.contains(&"Open".to_string()), "{states:?}");
}

#[test]
fn a_forced_multi_job_load_never_splits_a_quoted_multi_line_value() {
    let mock = mock();
    let dir = TempDir::new("v2-multi");
    let file = dir.file("accounts.csv");
    // Records of 17 bytes; record 5 (20 bytes) holds a quoted value with two line breaks
    // and is the one that would cross the first job's limit.
    let mut text = String::from("Name,Description\n"); // 17 bytes
    for i in 1..=12 {
        if i == 5 {
            text.push_str("Acct 05,\"a\nb\r\nc, d\"\n");
        } else {
            text.push_str(&format!("Acct {i:02},plain {i:02}\n"));
        }
    }
    std::fs::write(&file, &text).unwrap();
    // Header 17 + 4 × 17 = 85 fit in 100 bytes; with record 5, 105 do not. Job 2: the
    // header, records 5 to 8 (88 bytes); job 3: records 9 to 12.
    let run = load2(&mock, &file, &["--max-job-bytes", "100"]);
    run.expect(0);
    let sent = uploads(&mock, 0);
    assert_eq!(sent.len(), 3, "{sent:?}");
    let mut all_records = Vec::new();
    for (job, body) in &sent {
        assert!(body.len() <= 100, "job {job}: {} bytes", body.len());
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body.as_slice());
        let rows: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            rows[0],
            ["Name", "Description"],
            "job {job} starts with the header"
        );
        all_records.extend(rows[1..].iter().cloned());
    }
    assert_eq!(all_records.len(), 12);
    assert_eq!(
        all_records[4],
        ["Acct 05", "a\nb\r\nc, d"],
        "whole, in one job"
    );
    assert!(
        sent[1]
            .1
            .starts_with(b"Name,Description\nAcct 05,\"a\nb\r\nc, d\"\nAcct 06,"),
        "record 5 opens the second job: {:?}",
        String::from_utf8_lossy(&sent[1].1)
    );
    let summary = run.json();
    assert_eq!(summary["jobIds"].as_array().unwrap().len(), 3);
    assert_eq!(summary["records"], 12);
    let results = dir.file("accounts.csv.results.csv");
    let rows = csv_rows(Path::new(&results));
    assert_eq!(rows.len(), 13);
    assert_eq!(
        rows[5][0..2],
        ["Acct 05", "a\nb\r\nc, d"],
        "the input's bytes"
    );
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], format!("Acct {:02}", i + 1), "input order");
        assert_eq!(row[3], "true");
    }
}

#[test]
fn results_come_back_in_input_order_from_shuffled_files_in_the_inputs_dialect() {
    let mock = mock();
    mock.shuffle_v2_results(Some(7));
    let dir = TempDir::new("v2-join");
    let file = dir.file("accounts.csv");
    // Semicolons, CRLF, a BOM; rows 3 and 8 lack a Name; rows 5 and 6 are identical.
    let mut text = String::from("\u{feff}Name;Description\r\n");
    for i in 1..=10 {
        let name = match i {
            3 | 8 => String::new(),
            5 | 6 => "Twin".to_string(),
            _ => format!("Acct {i}"),
        };
        let desc = if i == 6 {
            "same".to_string()
        } else if i == 5 {
            "same".into()
        } else {
            format!("\"x; {i}\"")
        };
        text.push_str(&format!("{name};{desc}\r\n"));
    }
    std::fs::write(&file, &text).unwrap();
    let results = dir.file("out.csv");
    let run = load2(&mock, &file, &["--results", &results]);
    run.expect(3);
    let summary = run.json();
    assert_eq!(summary["records"], 10);
    assert_eq!(summary["succeeded"], 8);
    assert_eq!(summary["failed"], 2);
    assert_eq!(summary["unprocessed"], 0);
    assert!(
        run.stderr.ends_with(&format!(
            "load: 2 failed and 0 unprocessed of 10 records; see {results}\n"
        )),
        "{}",
        run.stderr
    );
    // Declared on the job: the delimiter and line ending of the input.
    let create = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/jobs/ingest"))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(body["columnDelimiter"], "SEMICOLON");
    assert_eq!(body["lineEnding"], "CRLF");
    // The results file: comma, LF, input order.
    let raw = std::fs::read_to_string(&results).unwrap();
    assert!(
        !raw.contains('\r')
            && raw.starts_with("Name,Description,sf__Id,sf__Success,sf__Created,sf__Error\n"),
        "{raw}"
    );
    let rows = csv_rows(Path::new(&results));
    assert_eq!(rows.len(), 11);
    for (i, row) in rows[1..].iter().enumerate() {
        let n = i + 1;
        match n {
            3 | 8 => {
                assert_eq!(row[0], "", "row {n}");
                assert_eq!(row[3], "false", "row {n}");
                assert!(
                    row[5].contains("REQUIRED_FIELD_MISSING"),
                    "row {n}: {row:?}"
                );
            }
            5 | 6 => assert_eq!(
                (row[0].as_str(), row[3].as_str()),
                ("Twin", "true"),
                "row {n}"
            ),
            _ => {
                assert_eq!(row[0], format!("Acct {n}"), "row {n}");
                assert_eq!(row[1], format!("x; {n}"));
                assert_eq!(row[3], "true");
                assert!(row[2].starts_with("001"), "an Account id: {row:?}");
            }
        }
    }
    let ids: std::collections::BTreeSet<&String> = rows[1..]
        .iter()
        .filter(|r| r[3] == "true")
        .map(|r| &r[2])
        .collect();
    assert_eq!(ids.len(), 8, "each saved row its own id");
}

#[test]
fn a_failed_job_counts_its_rows_unprocessed_and_shows_its_error_message() {
    let mock = mock();
    mock.fail_next_v2_jobs(1, Some("ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"));
    let dir = TempDir::new("v2-failed");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(50, &[])).unwrap();
    let run = load2(&mock, &file, &[]);
    run.expect(3);
    let summary = run.json();
    assert_eq!(summary["records"], 50);
    assert_eq!(summary["unprocessed"], 50);
    assert_eq!(summary["succeeded"], 0);
    let job = summary["jobIds"][0].as_str().unwrap();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "load: job {job} ended Failed: ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
        )
    );
    assert!(
        lines[1].starts_with("load: 0 failed and 50 unprocessed of 50 records"),
        "{}",
        run.stderr
    );
    let rows = csv_rows(&dir.path().join("accounts.csv.results.csv"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[3] == "false" && r[5] == "UNPROCESSED"),
        "{:?}",
        &rows[1]
    );
}
