//! Single-file downloads never leave half a file: with `--output` the file appears only
//! when complete (written beside it, then renamed; an older file at that path stays as it
//! was on failure), and on stdout nothing is written until the body is complete.

use std::time::Duration;

use crate::cli_util::*;
use crate::common::*;

/// A finished CSV query job of `rows` accounts: (job, batch, result id).
fn finished_query(mock: &MockServer, rows: usize) -> (String, String, String) {
    mock.insert_records(
        "Account",
        (0..rows)
            .map(|i| {
                vec![
                    ("Name".to_string(), format!("Name {i}")),
                    ("Description".to_string(), "x".repeat(200)),
                ]
            })
            .collect(),
    );
    let job = ok_json(
        mock,
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
    let job = job["id"].as_str().unwrap().to_string();
    let batch = ok_json(
        mock,
        &[
            "add-batch",
            &job,
            "--query",
            "SELECT Id, Name, Description FROM Account",
        ],
    );
    let batch = batch["id"].as_str().unwrap().to_string();
    for _ in 0..500 {
        let info = ok_json(mock, &["get-batch-status", &job, &batch]);
        if info["state"] == "Completed" {
            let ids = ok_json(mock, &["get-batch-results", &job, &batch]);
            let rid = ids[0].as_str().unwrap().to_string();
            return (job, batch, rid);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("query batch never completed");
}

#[test]
fn a_download_that_fails_leaves_no_file_and_prints_nothing() {
    let mock = mock();
    let (job, batch, rid) = finished_query(&mock, 2_000);
    let dir = TempDir::new("dl-fail");
    let out = dir.file("result.csv");
    std::fs::write(&out, "an older file\n").unwrap();

    // Every attempt broken: the retries give up.
    mock.reset_next(5);
    let run = sfbulk(
        &mock,
        &[
            "get-bulk-query-results",
            &job,
            &batch,
            &rid,
            "--output",
            &out,
        ],
    );
    run.expect(1);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "an older file\n",
        "the target is untouched"
    );
    assert_eq!(dir.names(), vec!["result.csv"], "no partial file left");

    mock.reset_next(5);
    let run = sfbulk(&mock, &["get-bulk-query-results", &job, &batch, &rid]);
    run.expect(1);
    assert!(run.stdout.is_empty(), "nothing on stdout");
    assert!(
        run.stderr.starts_with("get-bulk-query-results: "),
        "{}",
        run.stderr
    );

    // And whole when nothing breaks: the file and stdout hold the same bytes.
    let run = sfbulk(
        &mock,
        &[
            "get-bulk-query-results",
            &job,
            &batch,
            &rid,
            "--output",
            &out,
        ],
    );
    run.expect(0);
    assert!(run.stdout.is_empty());
    let direct = sfbulk(&mock, &["get-bulk-query-results", &job, &batch, &rid]);
    direct.expect(0);
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, direct.stdout);
    assert_eq!(written.iter().filter(|b| **b == b'\n').count(), 2_001);
    assert_eq!(dir.names(), vec!["result.csv"]);
}

/// The component's `result-reader` resumes a cut-short body (the core's
/// `open_query_result_resuming`), as the whole-body `get-bulk-query-results` does.
#[test]
fn a_result_body_cut_short_once_still_downloads_byte_for_byte() {
    let mock = mock();
    let (job, batch, rid) = finished_query(&mock, 3_000);
    let whole = sfbulk(&mock, &["get-bulk-query-results", &job, &batch, &rid]);
    whole.expect(0);
    let dir = TempDir::new("dl-cut");
    let out = dir.file("result.csv");
    for to_file in [true, false] {
        let fired = mock.counters().fired(sfbulk_mock::FaultKind::Truncate);
        mock.truncate_next(1);
        let run = if to_file {
            sfbulk(
                &mock,
                &[
                    "get-bulk-query-results",
                    &job,
                    &batch,
                    &rid,
                    "--output",
                    &out,
                ],
            )
        } else {
            sfbulk(&mock, &["get-bulk-query-results", &job, &batch, &rid])
        };
        run.expect(0);
        assert_eq!(
            mock.counters().fired(sfbulk_mock::FaultKind::Truncate),
            fired + 1,
            "the cut fired"
        );
        let got = if to_file {
            std::fs::read(&out).unwrap()
        } else {
            run.stdout
        };
        assert_eq!(got, whole.stdout, "byte for byte (to a file: {to_file})");
    }
}

#[test]
fn batch_results_and_requests_go_to_their_output_file_when_complete() {
    let mock = mock();
    let dir = TempDir::new("dl-batch");
    let job = ok_json(
        &mock,
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--content-type",
            "CSV",
        ],
    );
    let job = job["id"].as_str().unwrap().to_string();
    let file = dir.file("in.csv");
    let body = "Name\nA\n\nB\n";
    std::fs::write(&file, body).unwrap();
    let batch = ok_json(&mock, &["add-batch", &job, "--file", &file]);
    let batch = batch["id"].as_str().unwrap().to_string();
    ok_json(&mock, &["update-job", &job, "--state", "Closed"]);
    wait_batch_done(&mock, &job, &batch);

    let req = dir.file("request.csv");
    sfbulk(
        &mock,
        &["get-batch-request", &job, &batch, "--output", &req],
    )
    .expect(0);
    assert_eq!(std::fs::read_to_string(&req).unwrap(), body);

    let res = dir.file("results.json");
    let run = sfbulk(
        &mock,
        &["get-batch-results", &job, &batch, "--output", &res],
    );
    run.expect(0);
    assert!(run.stdout.is_empty());
    let direct = sfbulk(&mock, &["get-batch-results", &job, &batch]);
    assert_eq!(std::fs::read(&res).unwrap(), direct.stdout);
    let parsed: serde_json::Value = serde_json::from_slice(&direct.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);

    // A failure leaves the older files as they were.
    mock.reset_next(5);
    sfbulk(
        &mock,
        &["get-batch-results", &job, &batch, "--output", &res],
    )
    .expect(1);
    assert_eq!(std::fs::read(&res).unwrap(), direct.stdout);
    let mut names = dir.names();
    names.sort();
    assert_eq!(names, vec!["in.csv", "request.csv", "results.json"]);
}

fn wait_batch_done(mock: &MockServer, job: &str, batch: &str) {
    for _ in 0..500 {
        let info = ok_json(mock, &["get-batch-status", job, batch]);
        if ["Completed", "Failed", "NotProcessed"].contains(&info["state"].as_str().unwrap()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("batch {batch} never finished");
}
