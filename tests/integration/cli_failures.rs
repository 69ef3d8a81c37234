//! Failure paths of `load` and `query` (Bulk API 1.0) once their job exists: the job is
//! never left `Open` when it can be settled — closed when batches were sent (they are
//! processed), aborted otherwise — and stderr names it with its state.
//!
//! Faults are aimed at one request: the replies before it are delayed one by one, and a
//! thread arms the fault while the last of them waits ([`after_delays`]).

use std::time::Duration;

use crate::cli_util::*;
use crate::common::*;

#[test]
fn a_load_whose_first_batch_is_refused_aborts_its_job_and_names_it() {
    let mock = mock();
    let dir = TempDir::new("abort");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(100, &[])).unwrap();
    // Create job (delayed), then the first add-batch refused.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| after_delays(&mock, 1, |m| m.fail_next(1, 400, None)));
        insert_accounts(&mock, &file, &[])
    });
    run.expect(1);
    assert!(run.stdout.is_empty());
    let job = jobs_touched(&mock, 0).remove(0);
    assert!(
        run.stderr
            .starts_with("load: unexpected response (http 400)"),
        "{}",
        run.stderr
    );
    // The job is aborted (by the component, or by the command when the component
    // did not), and the line ends with its state as read after the failure.
    let settled = [
        format!("; job {job} is Aborted\n"),
        format!("; job {job} is Aborted (0 batches sent before the failure)\n"),
    ];
    assert!(
        settled.iter().any(|end| run.stderr.ends_with(end.as_str())),
        "{}",
        run.stderr
    );
    assert_eq!(ok_json(&mock, &["get-job", &job])["state"], "Aborted");
    assert_eq!(dir.names(), vec!["accounts.csv"], "no results file");
}

#[test]
fn a_load_failing_after_a_batch_was_accepted_closes_its_job_so_the_batch_is_processed() {
    let mock = mock();
    let dir = TempDir::new("close");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(250, &[])).unwrap();
    // Create job, the first add-batch (both delayed), then the second add-batch refused.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            after_delays(&mock, 1, delay_one);
            after_delays(&mock, 2, |m| m.fail_next(1, 400, None));
        });
        insert_accounts(
            &mock,
            &file,
            &[
                "--batch-size",
                "100",
                // One batch at a time: the fault hits the second batch's POST.
                "--concurrency",
                "1",
            ],
        )
    });
    run.expect(1);
    let job = jobs_touched(&mock, 0).remove(0);
    // The job is closed (by the component, or by the command when the component
    // did not), and the line ends with its state as read after the failure.
    let settled = [
        format!("; job {job} is Closed\n"),
        format!("; job {job} is Closed (1 batches sent before the failure)\n"),
    ];
    assert!(
        settled.iter().any(|end| run.stderr.ends_with(end.as_str())),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(ok_json(&mock, &["get-job", &job])["state"], "Closed");
    let batches = ok_json(&mock, &["list-batches", &job]);
    assert_eq!(batches.as_array().unwrap().len(), 1, "{batches}");
    wait_all(&mock, &job);
    assert_eq!(
        mock.record_count("Account"),
        100,
        "the accepted batch was processed"
    );
}

/// Waits until every batch of `job` is final.
fn wait_all(mock: &MockServer, job: &str) {
    for _ in 0..500 {
        let batches = ok_json(mock, &["list-batches", job]);
        if batches.as_array().unwrap().iter().all(|b| {
            ["Completed", "Failed", "NotProcessed"].contains(&b["state"].as_str().unwrap())
        }) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("batches of {job} never finished");
}

#[test]
fn a_load_whose_session_cannot_be_renewed_names_the_job_it_could_not_settle() {
    let mock = mock();
    let dir = TempDir::new("refused");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(10, &[])).unwrap();
    let url = mock.url();
    // Create job, then the session expires (and cannot be renewed) while the first
    // add-batch waits.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            after_delays(&mock, 1, delay_one);
            after_delays(&mock, 2, |m| {
                m.expire_access_token(&token());
                m.revoke_refresh_token("mock-refresh-token");
            });
        });
        insert_accounts(
            &mock,
            &file,
            &[
                "--refresh-token",
                "mock-refresh-token",
                "--client-id",
                "mock-client-id",
                "--client-secret",
                "mock-client-secret",
                "--token-endpoint",
                &url,
            ],
        )
    });
    run.expect(1);
    let job = jobs_touched(&mock, 0).remove(0);
    assert!(
        run.stderr
            .starts_with("load: token request refused: invalid_grant"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("job {job}: its state could not be read")),
        "names the job it could not settle: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("mock-refresh-token") && !run.stderr.contains(&token()));
}

#[test]
fn a_query_whose_batch_fails_closes_its_job_and_names_it() {
    let mock = mock();
    let dir = TempDir::new("query-fail");
    let out = dir.file("out.csv");
    let run = sfbulk(
        &mock,
        &[
            "query",
            "--soql",
            "SELECT BogusField FROM Account",
            "--output",
            &out,
        ],
    );
    run.expect(1);
    let job = jobs_touched(&mock, 0).remove(0);
    assert!(
        run.stderr.starts_with("query: InvalidBatch: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("job {job} is Closed")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("query --job-id {job} --output {out}")),
        "{}",
        run.stderr
    );
    assert_eq!(ok_json(&mock, &["get-job", &job])["state"], "Closed");
    assert!(dir.names().is_empty(), "no output, no partial file");
}

#[test]
fn a_load_whose_waiting_fails_names_its_closed_job_and_how_to_join_it_later() {
    let mock = mock();
    mock.set_processing_delay(Duration::from_secs(600));
    let dir = TempDir::new("wait-fail");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(10, &[])).unwrap();
    // Create job, add-batch, close (each delayed), then every poll breaks until the
    // retries give up.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            after_delays(&mock, 1, delay_one);
            after_delays(&mock, 2, delay_one);
            after_delays(&mock, 3, |m| m.reset_next(5));
        });
        insert_accounts(&mock, &file, &[])
    });
    run.expect(1);
    let job = jobs_touched(&mock, 0).remove(0);
    assert!(
        run.stderr.starts_with("load: transport error"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("job {job} is Closed")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("load --job-id {job} --file {file}")),
        "{}",
        run.stderr
    );
    assert_eq!(ok_json(&mock, &["get-job", &job])["state"], "Closed");
}
