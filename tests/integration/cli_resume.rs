//! Deadlines and resuming, Bulk API 1.0: `--timeout` exits 4 naming the job and the batches
//! still running and leaves them alone; `load --job-id` then joins the results without
//! sending anything, `query --job-id` continues the query job.

use std::time::Duration;

use crate::cli_util::*;
use crate::common::*;

/// `sfbulk load --job-id JOB --file FILE`, then `extra`.
fn resume(mock: &MockServer, job: &str, file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["load", "--job-id", job, "--file", file];
    args.extend_from_slice(extra);
    sfbulk(mock, &args)
}

/// Joined results in input order (`Acct N` in row N): the records numbered in `failed`
/// failed, every other one was saved.
fn assert_joined(rows: &[Vec<String>], failed: &[usize]) {
    for (i, row) in rows[1..].iter().enumerate() {
        let n = i + 1;
        if failed.contains(&n) {
            assert_eq!(row[3], "false", "row {n}: {row:?}");
        } else {
            assert_eq!(row[0], format!("Acct {n}"), "in input order");
            assert_eq!(row[3], "true", "row {n}: {row:?}");
        }
    }
}

#[test]
fn load_timeout_exits_4_and_job_id_then_joins_the_results_sending_nothing() {
    let mock = mock();
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("resume-load");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(2_500, &[7, 2_001])).unwrap();
    let results = dir.file("accounts.csv.results.csv");
    let run = insert_accounts(&mock, &file, &["--batch-size", "1000", "--timeout", "1"]);
    run.expect(4);
    assert!(run.stdout.is_empty(), "nothing on stdout");
    let jobs = jobs_touched(&mock, 0);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert!(
        run.stderr.starts_with(&format!(
            "load: still running: job {job} has 3 batches not finished ("
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was aborted"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("load --job-id {job} --file {file}")),
        "says how to resume: {}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!std::path::Path::new(&results).exists(), "no results yet");
    assert_eq!(dir.names(), vec!["accounts.csv"], "no partial file left");
    // Left alone: closed by the load (all batches sent), nothing aborted.
    let info = ok_json(&mock, &["get-job", job]);
    assert_eq!(info["state"], "Closed");
    for b in ok_json(&mock, &["list-batches", job]).as_array().unwrap() {
        assert!(
            ["Queued", "InProgress"].contains(&b["state"].as_str().unwrap()),
            "{b}"
        );
    }

    // The batches finish; the join sends nothing.
    mock.advance_clock(Duration::from_secs(1_200));
    let before = mock.request_count();
    let run = resume(&mock, job, &file, &["--batch-size", "1000"]);
    run.expect(3);
    let summary = run.json();
    assert_eq!(summary["jobId"], job.as_str());
    assert_eq!(summary["records"], 2_500);
    assert_eq!(summary["succeeded"], 2_498);
    assert_eq!(summary["failed"], 2);
    assert!(
        mock.requests()[before..].iter().all(|r| r.method == "GET"),
        "the resume only reads"
    );
    let rows = csv_rows(std::path::Path::new(&results));
    assert_eq!(rows.len(), 2_501);
    assert_eq!(
        rows[0],
        [
            "Name",
            "Description",
            "sf__Id",
            "sf__Success",
            "sf__Created",
            "sf__Error"
        ]
    );
    assert_joined(&rows, &[7, 2_001]);
    assert_eq!(mock.record_count("Account"), 2_498);

    // Another file than the one loaded: refused, nothing joined.
    let other = dir.file("other.csv");
    std::fs::write(&other, accounts(2_400, &[])).unwrap();
    let run = resume(&mock, job, &other, &["--batch-size", "1000"]);
    run.expect(2);
    assert!(
        run.stderr.contains(&format!(
            "of job {job} holds records that are not a batch of {other} cut into batches of 1000 records"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn job_id_pairs_batches_made_out_of_input_order_with_the_file_by_their_content() {
    let mock = mock();
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("resume-order");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(250, &[7, 201])).unwrap();
    // The first batch's POST (the one holding record 1) is held back 400 ms, whenever it
    // arrives: the load posts its three batches at once (concurrency 4, on connections
    // opened ahead), so Salesforce makes the second and third first.
    mock.delay_request_holding(b"\nAcct 1,", Duration::from_millis(400));
    let run = insert_accounts(&mock, &file, &["--batch-size", "100", "--timeout", "1"]);
    run.expect(4);
    assert_eq!(mock.counters().fired(sfbulk_mock::FaultKind::Delay), 1);
    let job = jobs_touched(&mock, 0).remove(0);
    // By creation (ids are given out in that order), the first batch holds records 101-200
    // or 201-250, not 1-100.
    let mut made: Vec<String> = ok_json(&mock, &["list-batches", &job])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    made.sort();
    assert_eq!(made.len(), 3);
    let first_made = sfbulk(&mock, &["get-batch-request", &job, &made[0]]);
    first_made.expect(0);
    let first_made = String::from_utf8(first_made.stdout).unwrap();
    assert!(
        !first_made.starts_with("Name,Description\nAcct 1,"),
        "the batches were made in input order: {}",
        &first_made[..40]
    );

    mock.advance_clock(Duration::from_secs(1_200));
    let results = dir.file("joined.csv");
    let run = resume(
        &mock,
        &job,
        &file,
        &["--batch-size", "100", "--results", &results],
    );
    run.expect(3);
    assert_eq!(run.json()["records"], 250);
    assert_eq!(run.json()["failed"], 2);
    // Paired by creation order, the failures of records 7 and 201 would land elsewhere.
    let rows = csv_rows(std::path::Path::new(&results));
    assert_eq!(rows.len(), 251);
    assert_joined(&rows, &[7, 201]);
}

#[test]
fn query_timeout_exits_4_and_job_id_then_continues_the_job() {
    let mock = mock();
    mock.insert_records(
        "Account",
        (0..50)
            .map(|i| vec![("Name".to_string(), format!("Q {i}"))])
            .collect(),
    );
    let total = mock.record_count("Account");
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("resume-query");
    let out = dir.file("accounts.csv");
    let run = sfbulk(
        &mock,
        &[
            "query",
            "--soql",
            "SELECT Id, Name FROM Account",
            "--output",
            &out,
            "--timeout",
            "1",
        ],
    );
    run.expect(4);
    let jobs = jobs_touched(&mock, 0);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert!(
        run.stderr.starts_with(&format!(
            "query: still running: job {job} has 1 batches not finished ("
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("query --job-id {job} --output {out}")),
        "{}",
        run.stderr
    );
    assert!(dir.names().is_empty(), "no output, no partial file");
    // The job was closed right after its batch was added (nothing left for after the
    // download), before the first poll, and left so.
    let log = mock.requests();
    let close = log
        .iter()
        .position(|r| r.method == "POST" && r.path.ends_with(&format!("/job/{job}")))
        .expect("a close");
    let first_poll = log.iter().position(|r| r.method == "GET").expect("a poll");
    assert!(close < first_poll, "{close} {first_poll}");
    assert!(
        run.stderr
            .contains(&format!("job {job} is Closed, left as it is")),
        "{}",
        run.stderr
    );
    let batches = ok_json(&mock, &["list-batches", job]);
    assert_ne!(batches[0]["state"], "NotProcessed", "not aborted");

    mock.advance_clock(Duration::from_secs(1_200));
    let before = mock.request_count();
    let run = sfbulk(&mock, &["query", "--job-id", job, "--output", &out]);
    run.expect(0);
    assert_eq!(run.json()["jobId"], job.as_str());
    assert_eq!(run.json()["records"], total as u64);
    let rows = csv_rows(std::path::Path::new(&out));
    assert_eq!(rows.len(), total + 1, "one header, every row");
    assert!(
        mock.requests()[before..]
            .iter()
            .all(|r| r.method == "GET" || r.path.ends_with(&format!("/job/{job}"))),
        "reads, and closes the job at the end"
    );
    assert_eq!(ok_json(&mock, &["get-job", job])["state"], "Closed");
}

/// Batches that failed as a whole report no record counts: `load --job-id` cuts the file
/// again with the load's `--batch-size` to know which records each holds.
#[test]
fn job_id_cuts_the_file_again_when_batches_failed_as_a_whole() {
    let mock = mock();
    let dir = TempDir::new("resume-cut");
    let file = dir.file("accounts.csv");
    // The mock fails every batch of a file with an unknown column.
    let mut text = String::from("Name,Bogus__c\n");
    for i in 1..=250 {
        text.push_str(&format!("Acct {i},x\n"));
    }
    std::fs::write(&file, &text).unwrap();
    let run = insert_accounts(&mock, &file, &["--batch-size", "100"]);
    run.expect(3);
    assert_eq!(run.json()["failed"], 250);
    let job = jobs_touched(&mock, 0).remove(0);
    let batches = ok_json(&mock, &["list-batches", &job]);
    assert_eq!(batches.as_array().unwrap().len(), 3);
    assert!(
        batches
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["state"] == "Failed"),
        "{batches}"
    );

    let results = dir.file("again.csv");
    let run = resume(
        &mock,
        &job,
        &file,
        &["--batch-size", "100", "--results", &results],
    );
    run.expect(3);
    assert_eq!(run.json()["records"], 250);
    assert_eq!(run.json()["failed"], 250);
    let rows = csv_rows(std::path::Path::new(&results));
    assert_eq!(rows.len(), 251);
    assert_eq!(rows[250][0], "Acct 250", "in input order");
    assert!(rows[1..].iter().all(|r| r[3] == "false"));

    // Without the load's batch size the file cuts into one batch, which is none of the three.
    let run = resume(&mock, &job, &file, &[]);
    run.expect(2);
    assert!(
        run.stderr.contains(&format!(
            "of job {job} holds records that are not a batch of {file} cut into batches of 10000 records: give the file it was loaded from (and the --batch-size the load used)"
        )),
        "{}",
        run.stderr
    );
}
