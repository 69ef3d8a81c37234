//! Deadlines, resuming and failure paths of Bulk API 2.0 whole jobs: `--timeout` exits 4
//! naming every job still running and leaves them alone; `--job-id` then finishes the
//! work sending nothing (load) or only reading (query); a failing load leaves no `Open` job
//! and names the jobs it closed.

use std::path::Path;
use std::time::Duration;

use crate::cli_util::*;
use crate::common::*;

fn states(mock: &MockServer, kind: &str) -> Vec<(String, String)> {
    let list = ok_json(mock, &["v2", kind, "list"]);
    list.as_array()
        .unwrap()
        .iter()
        .filter(|j| j["jobType"] != "Classic")
        .map(|j| {
            (
                j["id"].as_str().unwrap().to_string(),
                j["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn load_timeout_exits_4_naming_every_job_and_job_id_then_joins_sending_nothing() {
    let mock = mock();
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("v2-resume-load");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(1_000, &[9])).unwrap();
    let run = sfbulk(
        &mock,
        &[
            "load",
            "--bulk-api",
            "2",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--file",
            &file,
            "--max-job-bytes",
            "6000",
            "--timeout",
            "1",
        ],
    );
    run.expect(4);
    assert!(run.stdout.is_empty());
    let jobs: Vec<String> = states(&mock, "ingest")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(jobs.len() >= 2, "several jobs: {jobs:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "load: still running: {n} of {n} jobs not finished (",
            n = jobs.len()
        )),
        "{}",
        run.stderr
    );
    for j in &jobs {
        assert!(run.stderr.contains(j.as_str()), "names {j}: {}", run.stderr);
    }
    assert!(run.stderr.contains("nothing was aborted"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1);
    for (id, state) in states(&mock, "ingest") {
        assert!(
            ["UploadComplete", "InProgress"].contains(&state.as_str()),
            "{id} {state}"
        );
    }
    assert_eq!(
        dir.names(),
        vec!["accounts.csv"],
        "no results, no partial file"
    );

    // The resume line names every job, in input order.
    let flags: Vec<String> = jobs.iter().map(|j| format!("--job-id {j}")).collect();
    assert!(run.stderr.contains(&flags.join(" ")), "{}", run.stderr);
    mock.advance_clock(Duration::from_secs(1_200));
    let before = mock.request_count();
    let mut args = vec!["load", "--bulk-api", "2", "--file", &file];
    for j in &jobs {
        args.extend(["--job-id", j.as_str()]);
    }
    let run = sfbulk(&mock, &args);
    run.expect(3);
    assert!(
        mock.requests()[before..].iter().all(|r| r.method == "GET"),
        "the resume only reads"
    );
    let summary = run.json();
    assert_eq!(summary["jobIds"], serde_json::json!(jobs));
    assert_eq!(summary["records"], 1_000);
    assert_eq!(summary["failed"], 1);
    let rows = csv_rows(&dir.path().join("accounts.csv.results.csv"));
    assert_eq!(rows.len(), 1_001);
    for (i, row) in rows[1..].iter().enumerate() {
        let n = i + 1;
        assert_eq!(row[3], if n == 9 { "false" } else { "true" }, "row {n}");
        if n != 9 {
            assert_eq!(row[0], format!("Acct {n}"));
        }
    }

    // The jobs in another order: refused by the join's own checks (records do not match).
    let mut args = vec!["load", "--bulk-api", "2", "--file", &file];
    for j in jobs.iter().rev() {
        args.extend(["--job-id", j.as_str()]);
    }
    let run = sfbulk(&mock, &args);
    assert_ne!(run.code, 0, "{}", run.stderr);
}

#[test]
fn query_timeout_exits_4_and_job_id_then_continues_the_job() {
    let mock = mock();
    mock.insert_records(
        "Account",
        (0..120)
            .map(|i| vec![("Name".to_string(), format!("Q {i}"))])
            .collect(),
    );
    let total = mock.record_count("Account");
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("v2-resume-query");
    let out = dir.file("out.csv");
    let run = sfbulk(
        &mock,
        &[
            "query",
            "--bulk-api",
            "2",
            "--soql",
            "SELECT Id, Name FROM Account",
            "--output",
            &out,
            "--timeout",
            "1",
        ],
    );
    run.expect(4);
    let jobs = states(&mock, "query");
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0].0;
    assert_eq!(
        run.stderr,
        format!(
            "query: still running: query job {job} is not finished; nothing was aborted; continue it with `sfbulk query --bulk-api 2 --job-id {job} --output {out}`\n"
        )
    );
    assert!(dir.names().is_empty());
    assert_ne!(jobs[0].1, "Aborted");

    mock.advance_clock(Duration::from_secs(1_200));
    let before = mock.request_count();
    let run = sfbulk(
        &mock,
        &[
            "query",
            "--bulk-api",
            "2",
            "--job-id",
            job,
            "--output",
            &out,
            "--max-records",
            "50",
        ],
    );
    run.expect(0);
    assert_eq!(run.json()["records"], total as u64);
    assert!(mock.requests()[before..].iter().all(|r| r.method == "GET"));
    let rows = csv_rows(Path::new(&out));
    assert_eq!(rows.len(), total + 1);
    assert_eq!(rows[0], ["Id", "Name"]);
}

#[test]
fn a_load_failing_at_its_second_upload_leaves_no_open_job_and_names_the_closed_one() {
    let mock = mock();
    let dir = TempDir::new("v2-fail");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(400, &[])).unwrap();
    // Job 1: create, upload, close (each delayed); job 2: create (delayed), then its upload
    // is refused.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            for n in 1..=3 {
                after_delays(&mock, n, delay_one);
            }
            after_delays(&mock, 4, |m| m.fail_next(1, 400, None));
        });
        sfbulk(
            &mock,
            &[
                "load",
                "--bulk-api",
                "2",
                "--operation",
                "insert",
                "--object",
                "Account",
                "--file",
                &file,
                "--max-job-bytes",
                "6000",
            ],
        )
    });
    run.expect(1);
    let jobs = states(&mock, "ingest");
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(
        jobs.iter().all(|(_, s)| s != "Open"),
        "no Open job left: {jobs:?}"
    );
    assert_eq!(
        jobs.iter().filter(|(_, s)| s == "Aborted").count(),
        1,
        "the job whose upload failed was aborted: {jobs:?}"
    );
    let first = jobs.iter().find(|(_, s)| s != "Aborted").unwrap();
    assert!(
        run.stderr.contains(&format!(
            "jobs closed before the failure, with the input's first "
        )) && run.stderr.contains(&format!("{} (", first.0)),
        "names the job it closed: {}",
        run.stderr
    );
    assert_eq!(dir.names(), vec!["accounts.csv"], "no results file");
}
