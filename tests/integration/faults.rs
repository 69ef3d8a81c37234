//! The fault matrix: a whole load of 25,000 records and a query over several result files,
//! each with one fault injected by the mock after the job exists. Every record must be
//! accounted for exactly once (no loss, no duplicate), or the run fails with a clear error.
//! Each test also checks, with the mock's counters, that its fault actually fired.

use std::time::Duration;

use sfbulk_mock::{FaultKind, Route};

use crate::common::*;

const RECORDS: usize = 25_000;

/// Batches of the load: 25,000 records, at most 10,000 per batch.
const LOAD_BATCHES: usize = 3;

/// 25,000 accounts; every 5,000th has no Name (a per-record failure).
fn accounts_csv() -> Vec<u8> {
    let mut s = String::from("Name,Description\n");
    for i in 1..=RECORDS {
        let name = if i % 5000 == 0 {
            String::new()
        } else {
            format!("Acct {i}")
        };
        s.push_str(&format!("{name},\"d, {i}\"\n"));
    }
    s.into_bytes()
}

/// A config with short timeouts and fast retries, and refresh credentials.
fn fast_cfg(mock: &MockServer) -> Config {
    let mut c = cfg(mock);
    c.timeouts = Some(Timeouts {
        connect_ms: Some(2_000),
        first_byte_ms: Some(1_000),
        between_bytes_ms: Some(1_000),
    });
    c.retry = Some(RetryPolicy {
        max_attempts: Some(5),
        first_delay_ms: Some(20),
        max_delay_ms: Some(1_500),
        max_total_ms: Some(20_000),
    });
    c.refresh_token = Some("mock-refresh-token".into());
    c.client_id = Some("mock-client-id".into());
    c.client_secret = Some("mock-client-secret".into());
    c.token_endpoint_hostname = Some(mock.url());
    c
}

/// Loads the CSV with the component, calling `fault` once the job exists. Returns the
/// joined results file's rows (sf__Success per row) or the error.
async fn load_with(
    mock: &MockServer,
    fault: impl FnOnce(&MockServer, &str),
) -> Result<Vec<String>, Error> {
    let cfg = fast_cfg(mock);
    let mut inst = instance().await;
    let input = accounts_csv();
    let load = inst
        .start_csv_load(&cfg, &job_request(Operation::Insert, "Account", None), None)
        .await
        .unwrap()?;
    let job = inst.load_job_id(&load).await.unwrap();
    fault(mock, &job);
    let mut refs = Vec::new();
    for chunk in input.chunks(300_000) {
        refs.extend(inst.load_write(&load, chunk).await.unwrap()?);
    }
    refs.extend(inst.load_finish(&load).await.unwrap()?);
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    let wait = WaitOptions {
        first_interval_ms: Some(20),
        max_interval_ms: Some(200),
        timeout_ms: Some(30_000),
    };
    inst.wait_for_batches(&cfg, &job, &ids, Some(&wait))
        .await
        .unwrap()?;
    let join = inst.open_result_join(&cfg, &job, &refs).await.unwrap()?;
    let mut out = Vec::new();
    for chunk in input.chunks(300_000) {
        out.extend(inst.join_push(&join, chunk).await.unwrap()?);
    }
    out.extend(inst.join_finish(&join).await.unwrap()?);
    let mut rdr = csv::Reader::from_reader(out.as_slice());
    Ok(rdr.records().map(|r| r.unwrap()[3].to_string()).collect())
}

fn assert_loaded_once(mock: &MockServer, rows: &[String], what: &str) {
    assert_eq!(rows.len(), RECORDS, "{what}: one result per input row");
    let failed = rows.iter().filter(|s| *s == "false").count();
    assert_eq!(failed, 5, "{what}: the five rows without a Name");
    assert_eq!(
        mock.record_count("Account"),
        RECORDS - 5,
        "{what}: no record lost or duplicated"
    );
}

/// Asserts that the mock injected `fired` faults of `kind`, every one it was armed with.
#[track_caller]
fn assert_fired(mock: &MockServer, kind: FaultKind, fired: usize, what: &str) {
    let counters = mock.counters();
    assert_eq!(counters.fired(kind), fired, "{what}: {kind:?} fired");
    assert_eq!(
        counters.injected(kind),
        counters.fired(kind),
        "{what}: every {kind:?} armed fired"
    );
}

/// A load with one fault: accounted once, the fault fired `fired` times, and each of the
/// load's batches stored exactly once (nothing sent twice).
macro_rules! load_fault {
    ($name:ident, $what:literal, |$m:ident| $fault:expr, $kind:expr, $fired:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            let mock = mock();
            let rows = load_with(&mock, |$m, _job| $fault)
                .await
                .unwrap_or_else(|e| panic!("{}: {e:?}", $what));
            assert_loaded_once(&mock, &rows, $what);
            assert_fired(&mock, $kind, $fired, $what);
            assert_eq!(
                mock.counters().batches_stored(),
                LOAD_BATCHES,
                "{}: each batch stored once",
                $what
            );
        }
    };
}

load_fault!(
    load_survives_503_with_retry_after,
    "503 + Retry-After",
    |m| m.fail_next(2, 503, Some(1)),
    FaultKind::Status,
    2
);
load_fault!(
    load_survives_429_with_retry_after,
    "429 + Retry-After",
    |m| m.fail_next(2, 429, Some(1)),
    FaultKind::Status,
    2
);
load_fault!(
    load_survives_reset_before_processing,
    "reset before processing (batch POST)",
    |m| m.reset_next(1),
    FaultKind::Reset,
    1
);
load_fault!(
    load_survives_reset_after_processing,
    "reply lost after the batch was made",
    |m| m.reset_after_processing_next(1),
    FaultKind::ResetAfterProcessing,
    1
);
load_fault!(
    load_survives_slow_reply_past_timeout,
    "a reply slower than the timeout",
    |m| m.delay_next(1, Duration::from_millis(2_500)),
    FaultKind::Delay,
    1
);
/// `InvalidSessionId` mid-job; RELIABILITY.md promises exactly one token request, after which
/// each refused request (every batch in flight with the old token, up to the default
/// concurrency of 4) is replayed once and the job goes on with the new token.
#[tokio::test(flavor = "multi_thread")]
async fn load_survives_expired_session_mid_job() {
    let mock = mock();
    let rows = load_with(&mock, |m, _| m.expire_access_token(&token()))
        .await
        .unwrap_or_else(|e| panic!("InvalidSessionId mid-job: {e:?}"));
    assert_loaded_once(&mock, &rows, "InvalidSessionId mid-job");
    // One token expired; every request in flight with it was refused.
    let counters = mock.counters();
    assert_eq!(counters.injected(FaultKind::ExpiredSession), 1);
    let refused = counters.fired(FaultKind::ExpiredSession);
    assert!(
        (1..=4).contains(&refused),
        "InvalidSessionId mid-job: refused {refused} requests, expected 1 to the 4 in flight"
    );
    let counters = mock.counters();
    assert_eq!(
        counters.batches_stored(),
        LOAD_BATCHES,
        "each batch stored once"
    );
    assert_eq!(counters.token_grants(), 1, "one token granted");
    assert_eq!(counters.token_refusals(), 0);
    assert_eq!(mock.token_requests(), 1, "exactly one token request");
    let fresh = mock.issued_access_tokens();
    assert_eq!(fresh.len(), 1);
    let log = mock.requests();
    let token_at = log
        .iter()
        .position(|r| r.path.starts_with("/services/oauth2/token"))
        .expect("the token request");
    // Batches sent with the old token before the renewal may arrive after it (on another
    // connection): they are among the refused; every other request carries the new token.
    let late: Vec<_> = log[token_at + 1..]
        .iter()
        .filter(|r| r.header("x-sfdc-session") != Some(fresh[0].as_str()))
        .collect();
    assert!(
        late.len() < refused && late.iter().all(|r| r.path.ends_with("/batch")),
        "every request after the renewal carries the new token: {:?}",
        late.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn load_survives_a_body_cut_short_on_results() {
    let mock = mock();
    let cfg = fast_cfg(&mock);
    let rows = load_with(&mock, |_, _| {}).await.unwrap();
    assert_loaded_once(&mock, &rows, "baseline");
    // Cut the next replies short: result reads are retried.
    let mut inst = instance().await;
    let batches = {
        let job = mock
            .requests()
            .iter()
            .find(|r| r.path.ends_with("/batch"))
            .map(|r| r.path.clone())
            .unwrap();
        job.trim_end_matches("/batch")
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let list = ok(inst.list_batches(&cfg, &batches).await);
    mock.truncate_next(2);
    let BatchResults::Ingest(rows) = ok(inst.get_batch_results(&cfg, &batches, &list[0].id).await)
    else {
        panic!("ingest results");
    };
    assert_eq!(rows.len(), 10_000);
    assert_fired(&mock, FaultKind::Truncate, 2, "results cut short twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_batch_accounts_for_its_rows_as_failed() {
    let mock = mock();
    let cfg = fast_cfg(&mock);
    let mut inst = instance().await;
    let load = ok(inst
        .start_csv_load(
            &cfg,
            &job_request(Operation::Insert, "Account", None),
            Some(&SplitOptions {
                max_records: Some(2),
                max_bytes: None,
            }),
        )
        .await);
    let job = inst.load_job_id(&load).await.unwrap();
    // A header the mock does not know fails every batch as a whole.
    let input = b"Name,BogusField\nA,1\nB,2\nC,3\n";
    let mut refs = ok(inst.load_write(&load, input).await);
    refs.extend(ok(inst.load_finish(&load).await));
    assert_eq!(refs.len(), 2);
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    let done = ok(inst.wait_for_batches(&cfg, &job, &ids, None).await);
    assert!(done.iter().all(|b| b.state == BatchState::Failed));
    let join = ok(inst.open_result_join(&cfg, &job, &refs).await);
    let mut out = ok(inst.join_push(&join, input).await);
    out.extend(ok(inst.join_finish(&join).await));
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.contains(",false,false,") && l.contains("InvalidBatch")),
        "{text}"
    );
    let counts = inst.join_counts(&join).await.unwrap();
    assert_eq!((counts.records, counts.succeeded, counts.failed), (3, 0, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_job_whose_reply_is_lost_is_not_replayed() {
    let mock = mock();
    let cfg = fast_cfg(&mock);
    let mut inst = instance().await;
    mock.reset_after_processing_next(1);
    let e = err(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    assert!(
        e.kind == ErrorKind::OutcomeUnknown && e.message.contains("create-job"),
        "{e:?}"
    );
    let posts = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "sent once, never replayed");
    assert_fired(
        &mock,
        FaultKind::ResetAfterProcessing,
        1,
        "create-job reply lost",
    );
    assert_eq!(
        mock.counters().served("POST", Route::Jobs),
        1,
        "the job was made, once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn add_batch_whose_reply_is_lost_says_so_with_the_job() {
    let mock = mock();
    let cfg = fast_cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    mock.reset_after_processing_next(1);
    let e = err(inst.add_batch(&cfg, &job.id, &csv("Name\nA\n")).await);
    assert!(
        e.kind == ErrorKind::OutcomeUnknown && e.message.contains(&job.id),
        "{e:?}"
    );
    assert_eq!(
        ok(inst.list_batches(&cfg, &job.id).await).len(),
        1,
        "made once, not replayed"
    );
    assert_fired(
        &mock,
        FaultKind::ResetAfterProcessing,
        1,
        "add-batch reply lost",
    );
    assert_eq!(mock.counters().batches_stored(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_give_up_with_a_clear_error() {
    let mock = mock();
    let mut cfg = fast_cfg(&mock);
    cfg.retry = Some(RetryPolicy {
        max_attempts: Some(3),
        first_delay_ms: Some(10),
        max_delay_ms: Some(20),
        max_total_ms: Some(5_000),
    });
    let mut inst = instance().await;
    mock.fail_next(10, 503, None);
    let e = err(inst.get_job(&cfg, "750000000000000AAA").await);
    assert!(
        e.kind == ErrorKind::UnexpectedResponse && e.http_status == Some(503),
        "{e:?}"
    );
    assert_eq!(mock.request_count(), 3, "three attempts");
    assert_eq!(mock.counters().fired(FaultKind::Status), 3);
    assert_eq!(mock.counters().injected(FaultKind::Status), 10);
}

/// Queries 25,000 accounts over 5 result files with a fault injected after the batch.
async fn query_with(fault: impl FnOnce(&MockServer)) -> (MockServer, Vec<u8>) {
    let mock = mock();
    mock.set_result_file_rows(5_000);
    mock.insert_records(
        "Account",
        (0..RECORDS)
            .map(|i| vec![("Name".to_string(), format!("N{i:05}"))])
            .collect(),
    );
    let cfg = fast_cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Query, "Account", Some(ContentType::Csv)),
        )
        .await);
    ok(inst
        .add_batch(
            &cfg,
            &job.id,
            &BatchContent::Query("SELECT Name FROM Account ORDER BY Name".into()),
        )
        .await);
    let wait = WaitOptions {
        first_interval_ms: Some(20),
        max_interval_ms: Some(200),
        timeout_ms: Some(30_000),
    };
    ok(inst.wait_for_batches(&cfg, &job.id, &[], Some(&wait)).await);
    fault(&mock);
    let stream = ok(inst
        .open_query_stream(&cfg, &job.id, &[], Some(&wait))
        .await);
    let mut out = Vec::new();
    loop {
        let chunk = ok(inst.stream_read(&stream, 64 * 1024).await);
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    let pos = inst.stream_position(&stream).await.unwrap();
    assert_eq!(pos.rows, RECORDS as u64);
    (mock, out)
}

fn assert_all_rows_once(out: &[u8], what: &str) {
    let mut rdr = csv::Reader::from_reader(out);
    assert_eq!(rdr.headers().unwrap(), vec!["Name"], "{what}");
    let names: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    let expected: Vec<String> = (0..RECORDS).map(|i| format!("N{i:05}")).collect();
    assert_eq!(names.len(), expected.len(), "{what}");
    assert!(
        names == expected,
        "{what}: rows lost, duplicated or reordered"
    );
}

/// A query with one fault: every row once, in order, and the fault fired `fired` times.
macro_rules! query_fault {
    ($name:ident, $what:literal, |$m:ident| $fault:expr, $kind:expr, $fired:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            let (mock, out) = query_with(|$m| $fault).await;
            assert_all_rows_once(&out, $what);
            assert_fired(&mock, $kind, $fired, $what);
        }
    };
}

query_fault!(
    query_survives_503_with_retry_after,
    "503 + Retry-After",
    |m| m.fail_next(3, 503, Some(1)),
    FaultKind::Status,
    3
);
query_fault!(
    query_survives_429_with_retry_after,
    "429 + Retry-After",
    |m| m.fail_next(2, 429, Some(1)),
    FaultKind::Status,
    2
);
query_fault!(
    query_survives_reset,
    "reset",
    |m| m.reset_next(2),
    FaultKind::Reset,
    2
);
query_fault!(
    query_survives_reset_after_processing,
    "reset after processing",
    |m| m.reset_after_processing_next(2),
    FaultKind::ResetAfterProcessing,
    2
);
query_fault!(
    query_survives_a_body_cut_short,
    "body cut short",
    |m| m.truncate_next(3),
    FaultKind::Truncate,
    3
);
query_fault!(
    query_survives_a_slow_reply_past_timeout,
    "slow reply",
    |m| m.delay_next(1, Duration::from_millis(2_500)),
    FaultKind::Delay,
    1
);

#[tokio::test(flavor = "multi_thread")]
async fn query_survives_an_expired_session() {
    let (mock, out) = query_with(|m| m.expire_access_token(&token())).await;
    assert_all_rows_once(&out, "session expired");
    assert_fired(&mock, FaultKind::ExpiredSession, 1, "session expired");
    assert_eq!(mock.token_requests(), 1, "exactly one token request");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_slower_than_the_first_byte_timeout_is_the_timeout_error() {
    let mock = mock();
    let mut cfg = fast_cfg(&mock);
    cfg.timeouts = Some(Timeouts {
        connect_ms: None,
        first_byte_ms: Some(300),
        between_bytes_ms: None,
    });
    cfg.retry = Some(RetryPolicy {
        max_attempts: Some(1),
        first_delay_ms: None,
        max_delay_ms: None,
        max_total_ms: None,
    });
    let mut inst = instance().await;
    // No reply ever comes: a timeout error can only come from the client's own timeout.
    mock.hang_next(1);
    let call = tokio::time::timeout(
        Duration::from_secs(60),
        inst.get_job(&cfg, "750000000000000AAA"),
    )
    .await
    .expect("the call gave up at its first-byte timeout");
    let e = err(call);
    assert!(e.kind == ErrorKind::Timeout, "{e:?}");
    assert_fired(&mock, FaultKind::Hang, 1, "a request never answered");
    assert_eq!(mock.request_count(), 1, "retries off: one attempt");
}
