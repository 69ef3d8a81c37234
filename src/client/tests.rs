//! Scripted-replay tests of the client core: every retry, renewal and reconcile path,
//! natively, with the exact exchanges each must make (no more, no fewer).

use std::rc::Rc;
use std::time::Duration;

use super::scripted::{Reply, Script};
use super::*;
use crate::error::Error;
use crate::model::{ContentType, JobRequest, JobStateChange, Operation};
use crate::protocol::BatchContent;

const HOST: &str = "https://na1.example.com";
const BASE: &str = "https://na1.example.com/services/async/59.0";
const RENEWED_BASE: &str = "https://na2.example.com/services/async/59.0";
const TOKEN_URL: &str = "https://login.example.com/services/oauth2/token";
const JOB: &str = "7500M0000000001QAA";
const B1: &str = "7510M0000000001QAA";
const B2: &str = "7510M0000000002QAA";
const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";

fn config() -> Config {
    Config {
        api_version: "59.0".into(),
        access_token: "00D!old-token".into(),
        api_url: HOST.into(),
        ..Config::default()
    }
}

/// A config whose whole jobs have one transfer in flight (a load's batches answered one
/// by one, in the order they are posted).
fn sequential() -> Config {
    Config {
        concurrency: Some(1),
        ..config()
    }
}

fn with_refresh(mut c: Config) -> Config {
    c.token_endpoint_hostname = Some("https://login.example.com".into());
    c.refresh_token = Some("refresh-secret".into());
    c.client_id = Some("client-id".into());
    c.client_secret = Some("client-secret".into());
    c
}

fn client(cfg: &Config) -> (Rc<Script>, Client) {
    let script = Rc::new(Script::new());
    let settings = Settings::new(cfg).expect("valid config");
    let c = Client::new(settings, script.clone(), Rc::new(State::new()));
    (script, c)
}

fn xml(status: u16, body: String) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", "application/xml".into())],
        body: body.into_bytes(),
    }
}

fn job_xml(state: &str, ct: &str, op: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS}"><id>{JOB}</id><operation>{op}</operation><object>Account</object><state>{state}</state><contentType>{ct}</contentType></jobInfo>"#
    )
}

fn batch_fields(id: &str, state: &str, processed: u32) -> String {
    format!(
        "<id>{id}</id><jobId>{JOB}</jobId><state>{state}</state><numberRecordsProcessed>{processed}</numberRecordsProcessed><numberRecordsFailed>0</numberRecordsFailed>"
    )
}

fn batch_xml(id: &str, state: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><batchInfo xmlns="{NS}">{}</batchInfo>"#,
        batch_fields(id, state, 0)
    )
}

fn list_xml(batches: &[(&str, &str)]) -> String {
    let items: String = batches
        .iter()
        .map(|(id, st)| format!("<batchInfo>{}</batchInfo>", batch_fields(id, st, 0)))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><batchInfoList xmlns="{NS}">{items}</batchInfoList>"#
    )
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><error xmlns="{NS}"><exceptionCode>{code}</exceptionCode><exceptionMessage>{message}</exceptionMessage></error>"#
    )
}

fn status(code: u16, headers: Vec<(&'static str, String)>) -> Reply {
    Reply::Full {
        status: code,
        headers,
        body: b"unavailable".to_vec(),
    }
}

fn grant(token: &str) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: format!(
            r#"{{"access_token":"{token}","instance_url":"https://na2.example.com","token_type":"Bearer"}}"#
        )
        .into_bytes(),
    }
}

fn reset(maybe_sent: bool) -> Reply {
    Reply::Fail {
        error: Error::Transport("waiting for the reply: connection reset".into()),
        maybe_sent,
    }
}

fn session_header(seen: &scripted::Seen) -> String {
    seen.headers["x-sfdc-session"].to_str().unwrap().to_string()
}

fn job_url() -> String {
    format!("{BASE}/job/{JOB}")
}

fn batch_url(b: &str) -> String {
    format!("{BASE}/job/{JOB}/batch/{b}")
}

// ---- retries of idempotent requests ----

#[test]
fn a_get_answered_503_with_retry_after_waits_that_long_and_is_sent_again() {
    let (script, c) = client(&config());
    script.expect(
        "GET",
        job_url(),
        status(503, vec![("retry-after", "3".into())]),
    );
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    let job = c.get_job(JOB).unwrap();
    assert_eq!(job.id, JOB);
    assert_eq!(script.sleeps(), vec![Duration::from_secs(3)]);
    script.done();
}

#[test]
fn a_get_answered_429_is_retried_after_the_backoff() {
    let (script, c) = client(&config());
    script.expect("GET", job_url(), status(429, vec![]));
    script.expect("GET", job_url(), status(429, vec![]));
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    c.get_job(JOB).unwrap();
    let sleeps = script.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[1] > sleeps[0], "the backoff grows: {sleeps:?}");
}

#[test]
fn a_get_whose_connection_resets_is_sent_again() {
    let (script, c) = client(&config());
    script.expect("GET", batch_url(B1), reset(true));
    script.expect("GET", batch_url(B1), xml(200, batch_xml(B1, "Completed")));
    assert_eq!(c.get_batch(JOB, B1).unwrap().id, B1);
    assert_eq!(script.sleeps().len(), 1);
}

#[test]
fn a_get_whose_body_is_cut_short_is_sent_again() {
    let (script, c) = client(&config());
    let body = batch_xml(B1, "Completed").into_bytes();
    script.expect(
        "GET",
        batch_url(B1),
        Reply::CutShort {
            status: 200,
            headers: vec![("content-type", "application/xml".into())],
            body: body.clone(),
            after: body.len() / 2,
        },
    );
    script.expect("GET", batch_url(B1), xml(200, batch_xml(B1, "Completed")));
    assert_eq!(c.get_batch(JOB, B1).unwrap().id, B1);
}

#[test]
fn a_timeout_on_a_get_is_retried_and_the_timeouts_reach_the_transport() {
    let mut cfg = config();
    cfg.first_byte_ms = Some(1_500);
    let (script, c) = client(&cfg);
    script.expect(
        "GET",
        job_url(),
        Reply::Fail {
            error: Error::Timeout("waiting for the reply: no reply in time".into()),
            maybe_sent: true,
        },
    );
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    c.get_job(JOB).unwrap();
    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.timeouts.first_byte_ms == 1_500));
    assert_eq!(seen[0].timeouts.connect_ms, 30_000);
}

#[test]
fn a_timeout_with_retries_off_is_the_timeout_error() {
    let mut cfg = config();
    cfg.max_attempts = Some(1);
    let (script, c) = client(&cfg);
    script.expect(
        "GET",
        job_url(),
        Reply::Fail {
            error: Error::Timeout("waiting for the reply: no reply in time".into()),
            maybe_sent: true,
        },
    );
    assert!(matches!(c.get_job(JOB), Err(Error::Timeout(_))));
    assert!(script.sleeps().is_empty());
}

#[test]
fn retries_give_up_after_max_attempts_with_the_last_reply() {
    let mut cfg = config();
    cfg.max_attempts = Some(3);
    let (script, c) = client(&cfg);
    for _ in 0..3 {
        script.expect("GET", job_url(), status(503, vec![]));
    }
    match c.get_job(JOB) {
        Err(Error::UnexpectedResponse { status, .. }) => assert_eq!(status, 503),
        other => panic!("expected the 503 as unexpected-response, got {other:?}"),
    }
    assert_eq!(script.sleeps().len(), 2);
}

#[test]
fn retries_stop_when_the_next_wait_would_pass_max_total() {
    let mut cfg = config();
    cfg.max_total_ms = Some(5_000);
    let (script, c) = client(&cfg);
    // Retry-After 4 s fits; a second one would end at 8 s > 5 s.
    script.expect(
        "GET",
        job_url(),
        status(503, vec![("retry-after", "4".into())]),
    );
    script.expect(
        "GET",
        job_url(),
        status(503, vec![("retry-after", "4".into())]),
    );
    assert!(c.get_job(JOB).is_err());
    assert_eq!(script.sleeps(), vec![Duration::from_secs(4)]);
}

#[test]
fn close_and_abort_are_retried_like_gets() {
    let (script, c) = client(&config());
    script.expect("POST", job_url(), status(503, vec![]));
    script.expect(
        "POST",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "insert")),
    );
    c.update_job(JOB, JobStateChange::Closed).unwrap();
    let seen = script.seen();
    assert_eq!(seen[0].body, seen[1].body);
}

// ---- requests that are never replayed blindly ----

#[test]
fn create_job_refused_before_processing_is_sent_again() {
    let (script, c) = client(&config());
    let url = format!("{BASE}/job");
    script.expect("POST", url.clone(), reset(false));
    script.expect("POST", url.clone(), status(503, vec![]));
    script.expect("POST", url, xml(201, job_xml("Open", "CSV", "insert")));
    let mut req = JobRequest::new(Operation::Insert, "Account");
    req.content_type = Some(ContentType::Csv);
    assert_eq!(c.create_job(&req).unwrap().id, JOB);
    let seen = script.seen();
    assert!(seen.windows(2).all(|w| w[0].body == w[1].body));
}

#[test]
fn create_job_whose_reply_is_lost_is_not_replayed() {
    let (script, c) = client(&config());
    script.expect("POST", format!("{BASE}/job"), reset(true));
    let req = JobRequest::new(Operation::Insert, "Account");
    match c.create_job(&req) {
        Err(Error::OutcomeUnknown(m)) => {
            assert!(
                m.starts_with("create-job for Account: the request was sent"),
                "{m}"
            )
        }
        other => panic!("expected outcome-unknown, got {other:?}"),
    }
    assert_eq!(script.seen().len(), 1);
}

#[test]
fn add_batch_answered_500_is_outcome_unknown_naming_the_job() {
    let (script, c) = client(&config());
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    script.expect(
        "POST",
        format!("{BASE}/job/{JOB}/batch"),
        status(500, vec![]),
    );
    let content = BatchContent::Raw {
        media_type: "text/csv".into(),
        data: b"Name\nx\n".to_vec(),
    };
    match c.add_batch(JOB, content) {
        Err(Error::OutcomeUnknown(m)) => {
            assert!(m.contains(&format!("add-batch to job {JOB}")), "{m}");
            assert!(m.contains("http 500"), "{m}");
        }
        other => panic!("expected outcome-unknown, got {other:?}"),
    }
}

#[test]
fn add_batch_answered_429_is_sent_again() {
    let (script, c) = client(&config());
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    let url = format!("{BASE}/job/{JOB}/batch");
    script.expect(
        "POST",
        url.clone(),
        status(429, vec![("retry-after", "1".into())]),
    );
    script.expect("POST", url, xml(201, batch_xml(B1, "Queued")));
    let content = BatchContent::Raw {
        media_type: "text/csv".into(),
        data: b"Name\nx\n".to_vec(),
    };
    assert_eq!(c.add_batch(JOB, content).unwrap().id, B1);
}

// ---- sessions ----

#[test]
fn an_expired_session_is_renewed_once_and_the_same_bytes_are_replayed() {
    let (script, c) = client(&with_refresh(config()));
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    let url = format!("{BASE}/job/{JOB}/batch");
    script.expect(
        "POST",
        url,
        xml(400, error_xml("InvalidSessionId", "expired")),
    );
    script.expect("POST", TOKEN_URL, grant("00D!new-token"));
    script.expect(
        "POST",
        format!("{RENEWED_BASE}/job/{JOB}/batch"),
        xml(201, batch_xml(B1, "Queued")),
    );
    let content = BatchContent::Raw {
        media_type: "text/csv".into(),
        data: b"Name\nx\n".to_vec(),
    };
    assert_eq!(c.add_batch(JOB, content).unwrap().id, B1);
    let seen = script.seen();
    assert_eq!(seen[1].body, seen[3].body, "the same bytes replayed");
    assert!(seen[3].uri.starts_with(RENEWED_BASE), "{}", seen[3].uri);
    assert_eq!(session_header(&seen[1]), "00D!old-token");
    assert_eq!(session_header(&seen[3]), "00D!new-token");
    let form = String::from_utf8(seen[2].body.clone()).unwrap();
    assert!(form.starts_with("grant_type=refresh_token&refresh_token=refresh-secret"));
    // The next call uses the renewed session without asking again.
    script.expect(
        "GET",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(200, job_xml("Open", "CSV", "insert")),
    );
    c.get_job(JOB).unwrap();
    assert!(script.sleeps().is_empty());
}

#[test]
fn a_session_still_refused_after_renewal_is_session_expired_and_nothing_more_is_sent() {
    let (script, c) = client(&with_refresh(config()));
    script.expect(
        "GET",
        job_url(),
        xml(400, error_xml("InvalidSessionId", "expired")),
    );
    script.expect("POST", TOKEN_URL, grant("00D!new-token"));
    script.expect(
        "GET",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(400, error_xml("InvalidSessionId", "still expired")),
    );
    assert!(matches!(c.get_job(JOB), Err(Error::SessionExpired(_))));
}

#[test]
fn a_refused_refresh_is_the_auth_error_and_nothing_more_is_sent() {
    let (script, c) = client(&with_refresh(config()));
    script.expect(
        "GET",
        job_url(),
        xml(400, error_xml("InvalidSessionId", "expired")),
    );
    script.expect(
        "POST",
        TOKEN_URL,
        Reply::Full {
            status: 400,
            headers: vec![("content-type", "application/json".into())],
            body:
                br#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#
                    .to_vec(),
        },
    );
    match c.get_job(JOB) {
        Err(Error::Auth { error, .. }) => assert_eq!(error, "invalid_grant"),
        other => panic!("expected auth, got {other:?}"),
    }
}

#[test]
fn without_refresh_credentials_an_expired_session_is_session_expired() {
    let (script, c) = client(&config());
    script.expect(
        "GET",
        job_url(),
        xml(400, error_xml("InvalidSessionId", "expired")),
    );
    assert!(matches!(c.get_job(JOB), Err(Error::SessionExpired(_))));
}

#[test]
fn another_400_never_triggers_a_refresh() {
    let (script, c) = client(&with_refresh(config()));
    script.expect(
        "GET",
        job_url(),
        xml(400, error_xml("InvalidJob", "no such job")),
    );
    match c.get_job(JOB) {
        Err(Error::Api { code, status, .. }) => {
            assert_eq!((code.as_str(), status), ("InvalidJob", 400))
        }
        other => panic!("expected api, got {other:?}"),
    }
}

#[test]
fn a_token_older_than_the_interval_is_renewed_before_the_call() {
    let mut cfg = with_refresh(config());
    cfg.interval_time = Some(60_000);
    let (script, c) = client(&cfg);
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    c.get_job(JOB).unwrap();
    script.advance(Duration::from_secs(61));
    script.expect("POST", TOKEN_URL, grant("00D!new-token"));
    script.expect(
        "GET",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(200, job_xml("Open", "CSV", "insert")),
    );
    c.get_job(JOB).unwrap();
}

#[test]
fn sessions_are_shared_by_key_and_a_new_token_in_the_config_wins() {
    let state = Rc::new(State::new());
    let script = Rc::new(Script::new());
    let mut cfg = with_refresh(config());
    cfg.registry_path = Some("reg/a".into());
    let make =
        |cfg: &Config| Client::new(Settings::new(cfg).unwrap(), script.clone(), state.clone());
    let first = make(&cfg);
    script.expect(
        "GET",
        job_url(),
        xml(400, error_xml("InvalidSessionId", "expired")),
    );
    script.expect("POST", TOKEN_URL, grant("00D!new-token"));
    script.expect(
        "GET",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(200, job_xml("Open", "CSV", "insert")),
    );
    first.get_job(JOB).unwrap();
    // Another client with the same config: the renewed session.
    script.expect(
        "GET",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(200, job_xml("Open", "CSV", "insert")),
    );
    make(&cfg).get_job(JOB).unwrap();
    // A config with another token starts a new session.
    cfg.access_token = "00D!given-token".into();
    script.expect("GET", job_url(), xml(200, job_xml("Open", "CSV", "insert")));
    make(&cfg).get_job(JOB).unwrap();
    assert_eq!(session_header(&script.seen()[4]), "00D!given-token");
}

#[test]
fn an_invalid_config_is_refused_before_anything_is_sent() {
    let mut cfg = config();
    cfg.api_url = "http://example.com".into();
    match Settings::new(&cfg) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("only https:// is allowed"), "{m}"),
        other => panic!("expected invalid-input, got {:?}", other.map(|_| ())),
    }
}

// ---- whole jobs ----

fn start_load(script: &Script, c: &Client, max_records: u32) -> CsvLoad {
    script.expect(
        "POST",
        format!("{BASE}/job"),
        xml(201, job_xml("Open", "CSV", "insert")),
    );
    let req = JobRequest::new(Operation::Insert, "Account");
    let opts = SplitOptions {
        max_records: Some(max_records),
        max_bytes: None,
    };
    CsvLoad::start(c.clone(), req, opts).unwrap()
}

#[test]
fn a_lost_batch_reply_is_reconciled_by_adopting_the_batch_salesforce_made() {
    let (script, c) = client(&sequential());
    let load = start_load(&script, &c, 2);
    let batch_post = format!("{BASE}/job/{JOB}/batch");
    script.expect(
        "POST",
        batch_post.clone(),
        xml(201, batch_xml(B1, "Queued")),
    );
    script.expect("POST", batch_post, reset(true));
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[(B1, "Queued"), (B2, "Queued")])),
    );
    // Only the batch this load does not know yet is read back.
    script.expect(
        "GET",
        format!("{}/request", batch_url(B2)),
        csv(b"Name\nc\nd\n"),
    );
    let sent = load.write(b"Name\na\nb\nc\nd\n").unwrap();
    let ids: Vec<&str> = sent.iter().map(|b| b.batch_id.as_str()).collect();
    assert_eq!(ids, [B1, B2]);
    assert_eq!((sent[1].first_record, sent[1].records), (2, 2));
    script.expect(
        "POST",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "insert")),
    );
    assert!(load.finish().unwrap().is_empty());
    let posts = script.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(
        posts, 4,
        "create, two batch posts, close: nothing posted twice"
    );
}

#[test]
fn a_lost_batch_reply_whose_batch_was_never_made_is_sent_again() {
    let (script, c) = client(&config());
    let load = start_load(&script, &c, 10);
    let batch_post = format!("{BASE}/job/{JOB}/batch");
    script.expect("POST", batch_post.clone(), reset(true));
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[])),
    );
    script.expect("POST", batch_post, xml(201, batch_xml(B1, "Queued")));
    script.expect(
        "POST",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "insert")),
    );
    load.write(b"Name\na\n").unwrap();
    let sent = load.finish().unwrap();
    assert_eq!(sent.len(), 1);
    let seen = script.seen();
    assert_eq!(seen[1].body, seen[3].body);
    assert_eq!(seen[1].body, b"Name\na\n");
}

#[test]
fn a_malformed_record_is_refused_by_the_load_naming_the_record() {
    let (script, c) = client(&config());
    let load = start_load(&script, &c, 10);
    expect_state_change(&script, "Aborted");
    match load.write(b"Name,Phone\na,1\nb\n") {
        Err(Error::InvalidInput(m)) => {
            assert!(m.contains("record 2"), "{m}");
            assert!(
                m.ends_with(&format!(
                    "; job {JOB} was aborted: no records had been sent"
                )),
                "{m}"
            );
        }
        other => panic!("expected invalid-input, got {other:?}"),
    }
    assert_last_post_is(&script, "Aborted");
}

// ---- a load that fails after its job exists: nothing left Open ----

/// Expects `POST job/{JOB}` (update-job) answered with the job in `state`.
fn expect_state_change(script: &Script, state: &str) {
    script.expect("POST", job_url(), xml(200, job_xml(state, "CSV", "insert")));
}

/// The last request was update-job to `state`.
fn assert_last_post_is(script: &Script, state: &str) {
    let seen = script.seen();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.uri.as_str()),
        ("POST", job_url().as_str())
    );
    let body = String::from_utf8(last.body.clone()).unwrap();
    assert!(body.contains(&format!("<state>{state}</state>")), "{body}");
}

fn batch_post() -> String {
    format!("{BASE}/job/{JOB}/batch")
}

#[test]
fn a_malformed_record_far_into_a_streamed_load_aborts_the_job_and_says_what_was_sent() {
    // The issue's case: 11,500 good records (about 2.4 MB) then a record with 5 fields under
    // a 3-field header, streamed in 64 KiB pieces with Salesforce's batch limits.
    let (script, c) = client(&sequential());
    script.expect(
        "POST",
        format!("{BASE}/job"),
        xml(201, job_xml("Open", "CSV", "insert")),
    );
    let req = JobRequest::new(Operation::Insert, "Account");
    let load = CsvLoad::start(c.clone(), req, SplitOptions::default()).unwrap();
    let mut input = b"Name,Description,Phone\n".to_vec();
    let filler = "x".repeat(180);
    for i in 0..11_500 {
        input.extend(format!("n{i},\"{filler}, {i}\",555-{i:04}\n").bytes());
    }
    assert!(input.len() > 2_300_000, "{}", input.len());
    input.extend(b"bad,a,b,c,d\nafter,x,y\n");
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    expect_state_change(&script, "Aborted");
    let mut sent = Vec::new();
    let mut failure = None;
    for piece in input.chunks(64 * 1024) {
        match load.write(piece) {
            Ok(refs) => sent.extend(refs),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let Some(Error::InvalidInput(m)) = failure else {
        panic!("expected invalid-input, got {failure:?}");
    };
    assert_eq!(
        m,
        format!(
            "record 11501 has 5 fields, the header has 3; job {JOB} was aborted: 10000 records \
             in 1 batch (input records 1-10000) had been sent before, nothing after"
        )
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(load.batches(), sent);
    assert_last_post_is(&script, "Aborted");
    // The load is over: the same error, and nothing more is sent (the script is done).
    assert_eq!(
        load.write(b"more,x,y\n"),
        Err(Error::InvalidInput(m.clone()))
    );
    assert_eq!(load.finish(), Err(Error::InvalidInput(m)));
    assert_eq!(script.seen().len(), 3, "create, one batch, abort");
    drop(load);
    assert_eq!(
        script.seen().len(),
        3,
        "a failed load sends nothing when dropped"
    );
}

#[test]
fn a_malformed_last_record_found_by_finish_aborts_the_job() {
    let (script, c) = client(&sequential());
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    let sent = load.write(b"Name\na\nb\n\"open quote").unwrap();
    assert_eq!(sent.len(), 1);
    expect_state_change(&script, "Aborted");
    match load.finish() {
        Err(Error::InvalidInput(m)) => {
            assert!(m.contains("record 3"), "{m}");
            assert!(
                m.ends_with(&format!(
                    "; job {JOB} was aborted: 2 records in 1 batch (input records 1-2) had been \
                     sent before, nothing after"
                )),
                "{m}"
            );
        }
        other => panic!("expected invalid-input, got {other:?}"),
    }
    assert_last_post_is(&script, "Aborted");
}

#[test]
fn a_batch_refused_after_others_were_accepted_closes_the_job_keeping_them() {
    let (script, c) = client(&sequential());
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    script.expect(
        "POST",
        batch_post(),
        xml(400, error_xml("InvalidBatch", "Records not processed")),
    );
    expect_state_change(&script, "Closed");
    let err = load.write(b"Name\na\nb\nc\nd\ne\n").unwrap_err();
    match &err {
        Error::Api { code, message, .. } => {
            assert_eq!(code, "InvalidBatch");
            assert_eq!(
                message,
                &format!(
                    "Records not processed; job {JOB} was closed with the 2 records in 1 batch \
                     (input records 1-2) already sent, which salesforce processes; the rest of \
                     the input was not sent"
                )
            );
        }
        other => panic!("expected api, got {other:?}"),
    }
    assert_last_post_is(&script, "Closed");
    // The accepted batch is still known to the caller, to read its results.
    let refs = load.batches();
    assert_eq!(refs.len(), 1);
    assert_eq!((refs[0].batch_id.as_str(), refs[0].records), (B1, 2));
    assert_eq!(load.finish(), Err(err));
    assert_eq!(script.seen().len(), 4, "create, two batch posts, close");
}

const B3: &str = "7510M0000000003QAA";
const B4: &str = "7510M0000000004QAA";

/// A load whose batches are posted up to three at a time.
fn three_at_once() -> (Rc<Script>, Client) {
    client(&Config {
        concurrency: Some(3),
        ..config()
    })
}

#[test]
fn a_load_posts_up_to_concurrency_batches_before_taking_their_replies() {
    let (script, c) = three_at_once();
    let load = start_load(&script, &c, 2);
    for b in [B1, B2, B3, B4] {
        script.expect("POST", batch_post(), xml(201, batch_xml(b, "Queued")));
    }
    // Three full batches: the third is posted before the first one's reply is taken.
    let sent = load.write(b"Name\na\nb\nc\nd\ne\nf\ng\n").unwrap();
    assert_eq!(script.seen().len(), 4, "create and three batch posts");
    assert_eq!(script.taken(), [1], "only the first reply was taken");
    assert_eq!(sent.len(), 1);
    expect_state_change(&script, "Closed");
    let rest = load.finish().unwrap();
    assert_eq!(
        script.taken(),
        [1, 2, 3, 4],
        "replies taken in the order posted"
    );
    assert_last_post_is(&script, "Closed");
    let all: Vec<(&str, u64, u32)> = sent
        .iter()
        .chain(&rest)
        .map(|b| (b.batch_id.as_str(), b.first_record, b.records))
        .collect();
    assert_eq!(all, [(B1, 0, 2), (B2, 2, 2), (B3, 4, 2), (B4, 6, 1)]);
    assert_eq!(load.batches(), [sent, rest].concat());
}

#[test]
fn a_lost_reply_among_batches_in_flight_is_looked_for_after_the_others_answer() {
    let (script, c) = three_at_once();
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    script.expect("POST", batch_post(), reset(true));
    script.expect("POST", batch_post(), xml(201, batch_xml(B3, "Queued")));
    // The third batch answered before the job is looked through: only the second one is
    // unknown to the load, and only its request is read back (though the third was made
    // first, as batches in flight together may be).
    script.expect(
        "GET",
        batch_post(),
        xml(
            200,
            list_xml(&[(B1, "Queued"), (B3, "Queued"), (B2, "Queued")]),
        ),
    );
    script.expect(
        "GET",
        format!("{}/request", batch_url(B2)),
        csv(b"Name\nc\nd\n"),
    );
    expect_state_change(&script, "Closed");
    let mut sent = load.write(b"Name\na\nb\nc\nd\ne\nf\n").unwrap();
    sent.extend(load.finish().unwrap());
    let ids: Vec<(&str, u64)> = sent
        .iter()
        .map(|b| (b.batch_id.as_str(), b.first_record))
        .collect();
    assert_eq!(ids, [(B1, 0), (B2, 2), (B3, 4)]);
    assert_eq!(load.batches(), sent);
    assert_eq!(script.taken(), [1, 2, 3]);
}

#[test]
fn a_batch_refused_between_batches_accepted_closes_the_job_naming_the_records_sent() {
    let (script, c) = three_at_once();
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    script.expect(
        "POST",
        batch_post(),
        xml(400, error_xml("InvalidBatch", "Records not processed")),
    );
    script.expect("POST", batch_post(), xml(201, batch_xml(B3, "Queued")));
    expect_state_change(&script, "Closed");
    load.write(b"Name\na\nb\nc\nd\ne\nf\n").unwrap();
    match load.finish() {
        Err(Error::Api { code, message, .. }) => {
            assert_eq!(code, "InvalidBatch");
            assert_eq!(
                message,
                format!(
                    "Records not processed; job {JOB} was closed with the 4 records in 2 \
                     batches (input records 1-2, 5-6) already sent, which salesforce \
                     processes; the rest of the input was not sent"
                )
            );
        }
        other => panic!("expected api, got {other:?}"),
    }
    assert_last_post_is(&script, "Closed");
    let kept = load.batches();
    let kept: Vec<(&str, u64)> = kept
        .iter()
        .map(|b| (b.batch_id.as_str(), b.first_record))
        .collect();
    assert_eq!(kept, [(B1, 0), (B3, 4)]);
}

#[test]
fn batches_in_flight_refused_for_an_expired_session_renew_it_once() {
    let (script, c) = client(&with_refresh(Config {
        concurrency: Some(3),
        ..config()
    }));
    let load = start_load(&script, &c, 2);
    let expired = || xml(400, error_xml("InvalidSessionId", "expired"));
    // Both batches went out with the old token before either reply was taken.
    script.expect("POST", batch_post(), expired());
    script.expect("POST", batch_post(), expired());
    script.expect("POST", TOKEN_URL, grant("00D!new-token"));
    let renewed_post = format!("{RENEWED_BASE}/job/{JOB}/batch");
    script.expect(
        "POST",
        renewed_post.clone(),
        xml(201, batch_xml(B1, "Queued")),
    );
    // The second one is sent again with the token the first one's renewal got.
    script.expect("POST", renewed_post, xml(201, batch_xml(B2, "Queued")));
    script.expect(
        "POST",
        format!("{RENEWED_BASE}/job/{JOB}"),
        xml(200, job_xml("Closed", "CSV", "insert")),
    );
    let mut sent = load.write(b"Name\na\nb\nc\nd\n").unwrap();
    sent.extend(load.finish().unwrap());
    let ids: Vec<&str> = sent.iter().map(|b| b.batch_id.as_str()).collect();
    assert_eq!(ids, [B1, B2]);
    let tokens = script.seen().iter().filter(|s| s.uri == TOKEN_URL).count();
    assert_eq!(tokens, 1, "one token request");
}

#[test]
fn a_first_batch_refused_aborts_the_job() {
    let (script, c) = client(&sequential());
    let load = start_load(&script, &c, 2);
    script.expect(
        "POST",
        batch_post(),
        xml(400, error_xml("InvalidBatch", "Field name not found : Nme")),
    );
    expect_state_change(&script, "Aborted");
    match load.write(b"Nme\na\nb\n") {
        Err(Error::Api { message, .. }) => assert!(
            message.ends_with(&format!(
                "; job {JOB} was aborted: no records had been sent"
            )),
            "{message}"
        ),
        other => panic!("expected api, got {other:?}"),
    }
    assert_last_post_is(&script, "Aborted");
}

#[test]
fn a_batch_whose_outcome_stays_unknown_closes_the_job_and_says_it_may_be_in_it() {
    let mut cfg = sequential();
    cfg.max_attempts = Some(1);
    let (script, c) = client(&cfg);
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    script.expect("POST", batch_post(), reset(true));
    // Finding out fails too: the outcome stays unknown.
    script.expect("GET", batch_post(), status(503, vec![]));
    expect_state_change(&script, "Closed");
    match load.write(b"Name\na\nb\nc\nd\n") {
        Err(Error::OutcomeUnknown(m)) => {
            assert!(
                m.starts_with(&format!("add-batch to job {JOB}: the request was sent")),
                "{m}"
            );
            assert!(
                m.contains("looking through the job's batches to find out failed too"),
                "{m}"
            );
            assert!(
                m.contains(&format!(
                    "job {JOB} was closed with the 2 records in 1 batch"
                )),
                "{m}"
            );
            assert!(
                m.ends_with(
                    "(the batch whose outcome is unknown, records 3-4, may be in the job too)"
                ),
                "{m}"
            );
        }
        other => panic!("expected outcome-unknown, got {other:?}"),
    }
    assert_last_post_is(&script, "Closed");
}

#[test]
fn an_abort_that_fails_too_is_said_and_the_job_named() {
    let mut cfg = config();
    cfg.max_attempts = Some(1);
    let (script, c) = client(&cfg);
    let load = start_load(&script, &c, 2);
    script.expect("POST", job_url(), status(503, vec![]));
    match load.write(b"Name,Phone\na\n") {
        Err(Error::InvalidInput(m)) => assert!(
            m.contains(&format!(
                "; job {JOB} could not be aborted (unexpected response (http 503"
            )) && m.ends_with("and may still be Open: no records had been sent"),
            "{m}"
        ),
        other => panic!("expected invalid-input, got {other:?}"),
    }
}

#[test]
fn a_close_that_fails_at_finish_says_the_job_may_still_be_open() {
    let mut cfg = config();
    cfg.max_attempts = Some(1);
    let (script, c) = client(&cfg);
    let load = start_load(&script, &c, 10);
    load.write(b"Name\na\n").unwrap();
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    script.expect("POST", job_url(), reset(true));
    match load.finish() {
        Err(Error::Transport(m)) => assert!(
            m.ends_with(&format!(
                "; closing job {JOB} failed: all the input was sent (1 record in 1 batch (input \
                 records 1-1)), the job may still be Open (its batches are processed all the same)"
            )),
            "{m}"
        ),
        other => panic!("expected transport, got {other:?}"),
    }
    // Nothing more is tried: not even when dropped.
    drop(load);
    assert_eq!(script.seen().len(), 3);
}

#[test]
fn a_load_dropped_before_finish_aborts_its_job() {
    let (script, c) = client(&config());
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    load.write(b"Name\na\nb\nc\n").unwrap();
    expect_state_change(&script, "Aborted");
    drop(load);
    assert_last_post_is(&script, "Aborted");
    // A finished load is not touched when dropped.
    let (script, c) = client(&config());
    let load = start_load(&script, &c, 2);
    script.expect("POST", batch_post(), xml(201, batch_xml(B1, "Queued")));
    expect_state_change(&script, "Closed");
    load.write(b"Name\na\n").unwrap();
    load.finish().unwrap();
    assert!(matches!(load.write(b"b\n"), Err(Error::InvalidInput(m)) if m.contains("finished")));
    drop(load);
    assert_eq!(script.seen().len(), 3);
}

#[test]
fn a_wait_at_its_deadline_reports_still_running_and_touches_nothing() {
    let (script, c) = client(&config());
    let list = format!("{BASE}/job/{JOB}/batch");
    // A first poll, a wait cut to the deadline, a last poll.
    for _ in 0..2 {
        script.expect(
            "GET",
            list.clone(),
            xml(200, list_xml(&[(B1, "Completed"), (B2, "InProgress")])),
        );
    }
    let poll = WaitOptions {
        first_interval_ms: Some(1_000),
        max_interval_ms: Some(1_000),
        timeout_ms: Some(300),
    }
    .policy();
    match c.wait_for_batches(JOB, &[], poll) {
        Err(Error::StillRunning { job_id, pending }) => {
            assert_eq!(job_id, JOB);
            assert_eq!(pending, [B2]);
        }
        other => panic!("expected still-running, got {other:?}"),
    }
    assert!(script.seen().iter().all(|s| s.method == "GET"));
}

fn csv(body: &[u8]) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("content-type", "text/csv".into())],
        body: body.to_vec(),
    }
}

#[test]
fn results_are_joined_to_the_input_in_order() {
    let (script, c) = client(&config());
    let refs = vec![
        BatchRef {
            batch_id: B1.into(),
            first_record: 0,
            records: 2,
        },
        BatchRef {
            batch_id: B2.into(),
            first_record: 2,
            records: 1,
        },
    ];
    let join = ResultJoin::open(c, JOB.into(), refs).unwrap();
    // One list for every batch's state; the second batch's results are opened while the
    // first's are read.
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[(B1, "Completed"), (B2, "Completed")])),
    );
    script.expect(
        "GET",
        format!("{}/result", batch_url(B1)),
        csv(b"\"Id\",\"Success\",\"Created\",\"Error\"\n\"001000000000001AAA\",\"true\",\"true\",\"\"\n\"\",\"false\",\"false\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\"\n"),
    );
    script.expect(
        "GET",
        format!("{}/result", batch_url(B2)),
        csv(b"\"Id\",\"Success\",\"Created\",\"Error\"\n\"001000000000003AAA\",\"true\",\"true\",\"\"\n"),
    );
    let mut out = join.push(b"Name\na\n\"\"\nc\n").unwrap();
    out.extend(join.finish().unwrap());
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("a,001000000000001AAA,true"), "{text}");
    assert!(lines[2].contains("REQUIRED_FIELD_MISSING"), "{text}");
    assert!(lines[3].starts_with("c,001000000000003AAA"), "{text}");
    assert_eq!(
        join.counts(),
        JoinCounts {
            records: 3,
            succeeded: 2,
            failed: 1
        }
    );
}

#[test]
fn a_join_right_after_waiting_does_not_list_the_batches_again() {
    let (script, c) = client(&config());
    // Waiting found the batch final: the join takes its state from that list.
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[(B1, "Completed")])),
    );
    c.wait_for_batches(JOB, &[], WaitOptions::default().policy())
        .unwrap();
    let refs = vec![BatchRef {
        batch_id: B1.into(),
        first_record: 0,
        records: 1,
    }];
    let join = ResultJoin::open(c.clone(), JOB.into(), refs.clone()).unwrap();
    let results = b"\"Id\",\"Success\",\"Created\",\"Error\"\n\"001000000000001AAA\",\"true\",\"true\",\"\"\n";
    script.expect("GET", format!("{}/result", batch_url(B1)), csv(results));
    let mut out = join.push(b"Name\na\n").unwrap();
    out.extend(join.finish().unwrap());
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("a,001000000000001AAA,true")
    );
    // Taken once: a second join of the job lists its batches.
    let join = ResultJoin::open(c, JOB.into(), refs).unwrap();
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[(B1, "Completed")])),
    );
    script.expect("GET", format!("{}/result", batch_url(B1)), csv(results));
    join.push(b"Name\na\n").unwrap();
    join.finish().unwrap();
}

#[test]
fn a_query_stream_resumes_a_file_cut_short_and_writes_one_header() {
    let (script, c) = client(&config());
    script.expect(
        "GET",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "query")),
    );
    let stream = QueryStream::open(c, JOB.into(), vec![], WaitOptions::default().policy()).unwrap();
    let list = format!("{BASE}/job/{JOB}/batch");
    script.expect("GET", list, xml(200, list_xml(&[(B1, "Completed")])));
    let results = |ids: &[&str]| {
        let items: String = ids
            .iter()
            .map(|r| format!("<result>{r}</result>"))
            .collect();
        xml(
            200,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="{NS}">{items}</result-list>"#
            ),
        )
    };
    script.expect(
        "GET",
        format!("{}/result", batch_url(B1)),
        results(&["7520M0000000001QAA", "7520M0000000002QAA"]),
    );
    let file1 = b"\"Id\",\"Name\"\n\"1\",\"a\"\n\"2\",\"b\nb\"\n".to_vec();
    let r1 = format!("{}/result/7520M0000000001QAA", batch_url(B1));
    script.expect(
        "GET",
        r1.clone(),
        Reply::CutShort {
            status: 200,
            headers: vec![],
            body: file1.clone(),
            after: 20,
        },
    );
    // The second file is opened ahead while the first is read (concurrency 4); the first,
    // cut short, is opened again after it.
    script.expect(
        "GET",
        format!("{}/result/7520M0000000002QAA", batch_url(B1)),
        csv(b"\"Id\",\"Name\"\n\"3\",\"c\"\n"),
    );
    script.expect("GET", r1, csv(&file1));
    let mut out = Vec::new();
    loop {
        let chunk = stream.read(7).unwrap();
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    assert_eq!(
        out,
        b"\"Id\",\"Name\"\n\"1\",\"a\"\n\"2\",\"b\nb\"\n\"3\",\"c\"\n"
    );
    let pos = stream.position();
    assert_eq!((pos.rows, pos.done_batch_ids), (3, vec![B1.to_string()]));
}

#[test]
fn a_gzip_result_file_is_decoded_as_it_streams() {
    use std::io::Write;
    let (script, c) = client(&config());
    let plain = b"\"Id\"\n\"1\"\n".repeat(1000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    let gz = enc.finish().unwrap();
    let rid = "7520M0000000001QAA";
    script.expect(
        "GET",
        format!("{}/result/{rid}", batch_url(B1)),
        Reply::Full {
            status: 200,
            headers: vec![("content-encoding", "gzip".into())],
            body: gz,
        },
    );
    let mut reader = c.open_query_result(JOB, B1, rid).unwrap();
    let mut out = Vec::new();
    loop {
        let chunk = reader.read_chunk(333).unwrap();
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    assert_eq!(out, plain);
}

#[test]
fn an_error_reply_to_a_result_file_is_the_salesforce_error() {
    let (script, c) = client(&config());
    let rid = "7520M0000000001QAA";
    script.expect(
        "GET",
        format!("{}/result/{rid}", batch_url(B1)),
        xml(400, error_xml("InvalidBatch", "no such batch")),
    );
    match c.open_query_result(JOB, B1, rid) {
        Err(Error::Api { code, .. }) => assert_eq!(code, "InvalidBatch"),
        Err(other) => panic!("expected api, got {other:?}"),
        Ok(_) => panic!("expected api, got a reader"),
    }
}

// ---- every result GET resumes a body cut short ----

const R1: &str = "7520M0000000001QAA";

fn result_url() -> String {
    format!("{}/result/{R1}", batch_url(B1))
}

fn cut(body: &[u8], after: usize, headers: Vec<(&'static str, String)>) -> Reply {
    Reply::CutShort {
        status: 200,
        headers,
        body: body.to_vec(),
        after,
    }
}

/// A result file of about 50 KB with quoted values, CRLFs and non-ASCII.
fn result_file() -> Vec<u8> {
    let mut f = b"\"Id\",\"Name\"\n".to_vec();
    for i in 0..1000 {
        f.extend(format!("\"001{i:015}\",\"Zürich, \"\"{i}\"\"\r\nline\"\n").bytes());
    }
    f
}

#[test]
fn a_query_result_cut_short_is_resumed_and_comes_out_byte_identical() {
    let file = result_file();
    for after in [0, 1, 17, file.len() / 2, file.len() - 1] {
        let (script, c) = client(&config());
        script.expect("GET", result_url(), cut(&file, after, vec![]));
        script.expect("GET", result_url(), csv(&file));
        assert_eq!(
            c.query_result(JOB, B1, R1).unwrap(),
            file,
            "cut after {after}"
        );
        assert_eq!(script.seen().len(), 2);
        assert!(script.sleeps().is_empty(), "reopened at once");
    }
}

#[test]
fn a_query_result_cut_short_three_times_is_resumed_each_time_from_where_it_broke() {
    let file = result_file();
    let (script, c) = client(&config());
    // Each opening breaks further on; a break while skipping (the third) counts too.
    script.expect("GET", result_url(), cut(&file, 10_000, vec![]));
    script.expect("GET", result_url(), cut(&file, 30_000, vec![]));
    script.expect("GET", result_url(), cut(&file, 20_000, vec![]));
    script.expect("GET", result_url(), csv(&file));
    assert_eq!(c.query_result(JOB, B1, R1).unwrap(), file);
}

#[test]
fn a_gzip_query_result_cut_short_is_resumed_on_the_decoded_bytes() {
    use std::io::Write;
    let file = result_file();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&file).unwrap();
    let gz = enc.finish().unwrap();
    let gzip = || vec![("content-encoding", "gzip".to_string())];
    let (script, c) = client(&config());
    script.expect("GET", result_url(), cut(&gz, gz.len() / 2, gzip()));
    script.expect(
        "GET",
        result_url(),
        Reply::Full {
            status: 200,
            headers: gzip(),
            body: gz.clone(),
        },
    );
    assert_eq!(c.query_result(JOB, B1, R1).unwrap(), file);
}

#[test]
fn a_result_shorter_when_read_again_is_an_error() {
    let file = result_file();
    let (script, c) = client(&config());
    script.expect("GET", result_url(), cut(&file, 30_000, vec![]));
    script.expect("GET", result_url(), csv(&file[..20_000]));
    match c.query_result(JOB, B1, R1) {
        Err(Error::UnexpectedResponse { status, detail, .. }) => {
            assert_eq!(status, 200);
            assert_eq!(
                detail,
                format!(
                    "result {R1} of batch {B1} is shorter when read again: 20000 bytes, 30000 \
                     were read before"
                )
            );
        }
        other => panic!("expected unexpected-response, got {other:?}"),
    }
}

#[test]
fn a_result_that_keeps_breaking_is_opened_again_three_times_then_the_transport_error() {
    let file = result_file();
    let (script, c) = client(&config());
    for _ in 0..1 + resume::MAX_REOPEN {
        script.expect("GET", result_url(), cut(&file, 100, vec![]));
    }
    match c.query_result(JOB, B1, R1) {
        Err(Error::Transport(m)) => assert_eq!(
            m,
            format!(
                "reading the reply body: connection reset (scripted) (result {R1} of batch {B1}: \
                 100 bytes read, opened again 3 times, no more)"
            )
        ),
        other => panic!("expected transport, got {other:?}"),
    }
    assert_eq!(script.seen().len(), 4);
}

#[test]
fn with_retries_off_a_result_cut_short_is_not_opened_again() {
    let mut cfg = config();
    cfg.max_attempts = Some(1);
    let (script, c) = client(&cfg);
    script.expect("GET", result_url(), cut(&result_file(), 100, vec![]));
    assert!(
        matches!(c.query_result(JOB, B1, R1), Err(Error::Transport(m)) if m.ends_with("opened again 0 times, no more)"))
    );
    assert_eq!(script.seen().len(), 1);
}

#[test]
fn batch_results_and_batch_requests_cut_short_are_resumed() {
    let results = b"\"Id\",\"Success\",\"Created\",\"Error\"\n\"001000000000001AAA\",\"true\",\"true\",\"\"\n\"\",\"false\",\"false\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\"\n";
    let (script, c) = client(&config());
    let ct = || vec![("content-type", "text/csv".to_string())];
    script.expect(
        "GET",
        format!("{}/result", batch_url(B1)),
        cut(results, 40, ct()),
    );
    script.expect("GET", format!("{}/result", batch_url(B1)), csv(results));
    let whole = {
        let (script, c) = client(&config());
        script.expect("GET", format!("{}/result", batch_url(B1)), csv(results));
        c.batch_results(JOB, B1).unwrap()
    };
    assert_eq!(c.batch_results(JOB, B1).unwrap(), whole);
    let crate::model::BatchResults::Ingest(rows) = &whole else {
        panic!("expected ingest results, got {whole:?}");
    };
    assert_eq!(rows.len(), 2);

    let request = result_file();
    let url = format!("{}/request", batch_url(B1));
    script.expect("GET", url.clone(), cut(&request, 12_345, ct()));
    script.expect("GET", url, csv(&request));
    assert_eq!(c.batch_request(JOB, B1).unwrap(), request);
}

#[test]
fn a_query_stream_that_keeps_breaking_gives_up_with_the_transport_error() {
    let (script, c) = client(&config());
    script.expect(
        "GET",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "query")),
    );
    let stream = QueryStream::open(c, JOB.into(), vec![], WaitOptions::default().policy()).unwrap();
    script.expect(
        "GET",
        format!("{BASE}/job/{JOB}/batch"),
        xml(200, list_xml(&[(B1, "Completed")])),
    );
    script.expect(
        "GET",
        format!("{}/result", batch_url(B1)),
        xml(
            200,
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="{NS}"><result>{R1}</result></result-list>"#),
        ),
    );
    let file = result_file();
    for _ in 0..1 + resume::MAX_REOPEN {
        script.expect("GET", result_url(), cut(&file, 5_000, vec![]));
    }
    let mut out = Vec::new();
    let err = loop {
        match stream.read(1024) {
            Ok(chunk) if chunk.is_empty() => panic!("the stream ended"),
            Ok(chunk) => out.extend(chunk),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::Transport(m) if m.contains("opened again 3 times")));
    assert!(file.starts_with(&out));
}

/// A result-id list reply of a query batch.
fn query_results_xml(ids: &[&str]) -> Reply {
    let items: String = ids
        .iter()
        .map(|r| format!("<result>{r}</result>"))
        .collect();
    xml(
        200,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="{NS}">{items}</result-list>"#
        ),
    )
}

/// A PK-chunked query: one list of the batches per poll (not one per chunk batch), every
/// finished batch's files read in the order of the list, one header in all; with
/// concurrency 2 the next file is opened while the one before it is read.
#[test]
fn a_query_stream_lists_the_batches_once_per_poll_and_opens_files_ahead() {
    const B0: &str = "7510M0000000000QAA";
    const B3: &str = "7510M0000000003QAA";
    let (script, c) = client(&Config {
        concurrency: Some(2),
        ..config()
    });
    script.expect(
        "GET",
        job_url(),
        xml(200, job_xml("Closed", "CSV", "query")),
    );
    let stream = QueryStream::open(c, JOB.into(), vec![], WaitOptions::default().policy()).unwrap();
    let list = format!("{BASE}/job/{JOB}/batch");
    let file = |n: u32| format!("\"Id\"\n\"{n}\"\n").into_bytes();
    let rid = |n: u32| format!("7520M000000000{n}QAA");
    let url = |b: &str, n: u32| format!("{}/result/{}", batch_url(b), rid(n));
    // The job's batches: the parent not processed, two chunks done, the third in `third`.
    let listed = |third: &str| {
        xml(
            200,
            list_xml(&[
                (B0, "NotProcessed"),
                (B1, "Completed"),
                (B2, "Completed"),
                (B3, third),
            ]),
        )
    };
    // 1. One list: the parent is not processed, two chunks are done, one runs.
    script.expect("GET", list.clone(), listed("InProgress"));
    script.expect(
        "GET",
        format!("{}/result", batch_url(B1)),
        query_results_xml(&[&rid(1), &rid(2)]),
    );
    script.expect(
        "GET",
        format!("{}/result", batch_url(B2)),
        query_results_xml(&[&rid(3)]),
    );
    // 2. Two files open at once, in order.
    script.expect("GET", url(B1, 1), csv(&file(1)));
    script.expect("GET", url(B1, 2), csv(&file(2)));
    script.expect("GET", url(B2, 3), csv(&file(3)));
    // 3. Nothing queued, a batch running: one list per poll until it is done.
    script.expect("GET", list.clone(), listed("InProgress"));
    script.expect("GET", list, listed("Completed"));
    script.expect(
        "GET",
        format!("{}/result", batch_url(B3)),
        query_results_xml(&[&rid(4)]),
    );
    script.expect("GET", url(B3, 4), csv(&file(4)));
    let mut out = Vec::new();
    loop {
        let chunk = stream.read(5).unwrap();
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    assert_eq!(out, b"\"Id\"\n\"1\"\n\"2\"\n\"3\"\n\"4\"\n");
    // The two result lists were asked for together: when the first one's reply was taken,
    // the second had been sent.
    assert_eq!(script.seen_when_taken(2), Some(4));
    let pos = stream.position();
    assert_eq!(pos.rows, 4);
    assert_eq!(pos.done_batch_ids, [B0, B1, B2, B3]);
    assert_eq!(script.sleeps().len(), 1, "one wait between the two lists");
}
