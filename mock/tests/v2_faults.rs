//! Bulk API 2.0 on the mock: authentication (Bearer and OAuth, 401 JSON errors, renewal by
//! the refresh-token grant), the routes counted, and every 2.0 fault knob as it goes on the
//! wire, each counted as fired.

mod v2_client;

use std::time::Duration;

use serde_json::json;
use sfbulk_mock::{ChunkFault, FaultKind, Route};
use v2_client::{Client, TOKEN, lines, raw_request};

fn insert_account() -> serde_json::Value {
    json!({"object": "Account", "operation": "insert"})
}

#[test]
fn bearer_and_oauth_schemes_are_accepted_and_other_headers_refused() {
    let client = Client::fast();
    let path = client.path("ingest");
    for auth in [format!("Bearer {TOKEN}"), format!("OAuth {TOKEN}")] {
        let resp = client.send("GET", &path, &[("Authorization", auth.as_str())], b"");
        assert_eq!(resp.status, 200, "{auth}: {}", resp.text());
    }
    let none = client.send("GET", &path, &[("X-SFDC-Session", TOKEN)], b"");
    assert_eq!(
        none.error(),
        (
            401,
            "INVALID_AUTH_HEADER".into(),
            "INVALID_HEADER_TYPE".into()
        )
    );
    let unknown = client.send("GET", &path, &[("Authorization", "Bearer nope")], b"");
    assert_eq!(unknown.error().1, "INVALID_SESSION_ID");
}

#[test]
fn an_expired_session_is_a_401_json_error_and_a_refreshed_token_works() {
    let mut client = Client::fast();
    client.mock.expire_access_token(TOKEN);
    let expired = client.get("ingest");
    assert_eq!(
        expired.error(),
        (
            401,
            "INVALID_SESSION_ID".into(),
            "Session expired or invalid".into()
        )
    );
    assert_eq!(expired.content_type, "application/json");
    let grant = client.send(
        "POST",
        "/services/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"grant_type=refresh_token&client_id=mock-client-id&client_secret=mock-client-secret&refresh_token=mock-refresh-token",
    );
    assert_eq!(grant.status, 200, "{}", grant.text());
    client.token = grant.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(client.get("ingest").status, 200);
    let counters = client.mock.counters();
    assert_eq!(counters.fired(FaultKind::ExpiredSession), 1);
    assert_eq!(counters.token_grants(), 1);
}

#[test]
fn requests_are_counted_per_route_and_answer_limit_info() {
    let client = Client::fast();
    let job = client.ingest(insert_account(), b"Name\nA\n");
    client.wait("ingest", &job);
    let resp = client.results(&job, "successfulResults");
    assert!(resp.contains("\"true\""));
    let query = client.create_query("SELECT Id FROM Account");
    client.wait("query", &query);
    let page = client.get(&format!("query/{query}/results"));
    assert!(
        page.header("Sforce-Limit-Info")
            .unwrap()
            .starts_with("api-usage=")
    );
    let counters = client.mock.counters();
    assert_eq!(counters.served("POST", Route::IngestJobs), 1);
    assert_eq!(counters.served("PUT", Route::IngestUpload), 1);
    assert_eq!(counters.served("PATCH", Route::IngestJob), 1);
    assert!(counters.served("GET", Route::IngestJob) >= 1);
    assert_eq!(counters.served("GET", Route::SuccessfulResults), 1);
    assert_eq!(counters.served("POST", Route::QueryJobs), 1);
    assert_eq!(counters.served("GET", Route::QueryResults), 1);
    assert_eq!(counters.v2_uploads_stored(), 1);
    assert_eq!(counters.v2_jobs_created(), 2);
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let client = Client::fast();
    let job = client.create_ingest(insert_account());
    assert_eq!(client.get("elsewhere").error().1, "NOT_FOUND");
    assert_eq!(
        client.get(&format!("ingest/{job}/nothing")).error().1,
        "NOT_FOUND"
    );
    let put = client.v2("PUT", &format!("ingest/{job}"), "application/json", b"{}");
    assert_eq!(put.error().0, 405);
    assert_eq!(put.error().1, "METHOD_NOT_ALLOWED");
    assert_eq!(client.mock.counters().served("GET", Route::Other), 2);
}

#[test]
fn the_nth_request_gets_429_with_retry_after() {
    let client = Client::fast();
    client.mock.fail_nth_request(2, 429, Some(3));
    assert_eq!(client.get("ingest").status, 200);
    let second = client.get("ingest");
    assert_eq!(second.status, 429);
    assert_eq!(second.header("Retry-After"), Some("3"));
    assert_eq!(client.get("ingest").status, 200);
    let counters = client.mock.counters();
    assert_eq!(
        (
            counters.injected(FaultKind::Status),
            counters.fired(FaultKind::Status)
        ),
        (1, 1)
    );
}

#[test]
fn request_limit_exceeded_is_a_403_json_error() {
    let client = Client::fast();
    client.mock.limit_exceeded_next(1);
    assert_eq!(
        client.get("query").error(),
        (
            403,
            "REQUEST_LIMIT_EXCEEDED".into(),
            "TotalRequests Limit exceeded.".into()
        )
    );
    assert_eq!(client.get("query").status, 200);
    assert_eq!(client.mock.counters().fired(FaultKind::LimitExceeded), 1);
}

#[test]
fn a_page_can_be_cut_mid_body() {
    let client = Client::fast();
    client.seed_accounts(50);
    let job = client.create_query("SELECT Id, Name FROM Account");
    client.wait("query", &job);
    client.mock.truncate_next(1);
    let raw = raw_request(
        client.mock.port(),
        "GET",
        &client.path(&format!("query/{job}/results")),
        b"",
    );
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    assert!(head.contains("sforce-numberofrecords: 50"), "{head}");
    let whole = client.get(&format!("query/{job}/results")).body.len();
    assert_eq!(body.len(), whole / 2);
    assert_eq!(client.mock.counters().fired(FaultKind::Truncate), 1);
}

#[test]
fn a_short_page_sends_fewer_rows_than_it_announces_once() {
    let client = Client::fast();
    client.seed_accounts(5);
    let job = client.create_query("SELECT Id FROM Account");
    client.wait("query", &job);
    client.mock.short_page_next(1);
    let short = client.get(&format!("query/{job}/results?maxRecords=3"));
    assert_eq!(short.header("Sforce-NumberOfRecords"), Some("3"));
    assert_eq!(lines(&short.text()).len(), 1 + 2);
    let again = client.get(&format!("query/{job}/results?maxRecords=3"));
    assert_eq!(lines(&again.text()).len(), 1 + 3);
    assert_eq!(
        short.header("Sforce-Locator"),
        again.header("Sforce-Locator")
    );
    assert_eq!(client.mock.counters().fired(FaultKind::ShortPage), 1);
}

#[test]
fn a_lost_upload_reply_still_stores_the_upload() {
    let client = Client::fast();
    let job = client.create_ingest(insert_account());
    client.mock.reset_after_processing_next(1);
    let raw = raw_request(
        client.mock.port(),
        "PUT",
        &client.path(&format!("ingest/{job}/batches")),
        b"Name\nA\n",
    );
    assert!(
        raw.is_empty(),
        "no reply: {}",
        String::from_utf8_lossy(&raw)
    );
    let retry = client.upload(&job, b"Name\nA\n");
    assert!(retry.error().2.contains("Found multiple contents for job"));
    let counters = client.mock.counters();
    assert_eq!(counters.uploads_stored(&job), 1);
    assert_eq!(counters.fired(FaultKind::ResetAfterProcessing), 1);
}

#[test]
fn a_slow_job_answers_in_progress_for_n_polls() {
    let client = Client::fast();
    client.mock.slow_v2_jobs(3);
    let job = client.ingest(insert_account(), b"Name\nA\n");
    std::thread::sleep(Duration::from_millis(50));
    let states: Vec<String> = (0..4)
        .map(|_| {
            client.get(&format!("ingest/{job}")).json()["state"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        states,
        ["InProgress", "InProgress", "InProgress", "JobComplete"]
    );
    assert_eq!(client.mock.counters().fired(FaultKind::SlowJobPoll), 3);
}

#[test]
fn failed_jobs_with_and_without_an_error_message() {
    let client = Client::fast();
    client.mock.shuffle_v2_results(None);
    client
        .mock
        .fail_next_v2_jobs(1, Some("InvalidBatch : something broke"));
    client.mock.fail_next_v2_jobs(1, None);
    let with = client.ingest(insert_account(), b"Name\nA\nB\n");
    let info = client.wait("ingest", &with);
    assert_eq!(info["state"], "Failed");
    assert_eq!(info["errorMessage"], "InvalidBatch : something broke");
    assert_eq!(client.results(&with, "unprocessedrecords"), "Name\nA\nB\n");
    let without = client.create_query("SELECT Id FROM Account");
    let info = client.wait("query", &without);
    assert_eq!(info["state"], "Failed");
    assert!(info.get("errorMessage").is_none(), "{info}");
    let counters = client.mock.counters();
    assert_eq!(
        (
            counters.injected(FaultKind::JobFailure),
            counters.fired(FaultKind::JobFailure)
        ),
        (2, 2)
    );
    assert_eq!(client.mock.record_count("Account"), 0);
}

#[test]
fn a_failing_chunk_fails_its_records_or_the_job() {
    let client = Client::fast();
    let csv: String = std::iter::once("Name\n".to_owned())
        .chain((0..450).map(|i| format!("R{i}\n")))
        .collect();
    client.mock.fail_next_v2_chunks(1, ChunkFault::RecordsFail);
    let job = client.ingest(insert_account(), csv.as_bytes());
    let info = client.wait("ingest", &job);
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsFailed"], 200);
    let failed = client.results(&job, "failedResults");
    assert!(
        failed.contains("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--")
    );
    client.mock.fail_next_v2_chunks(1, ChunkFault::JobFails);
    let job = client.ingest(insert_account(), csv.as_bytes());
    let info = client.wait("ingest", &job);
    assert_eq!(info["state"], "Failed");
    assert!(
        info["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("TooManyLockFailure : ")
    );
    assert_eq!(
        lines(&client.results(&job, "unprocessedrecords")).len(),
        1 + 450
    );
    assert_eq!(client.mock.counters().fired(FaultKind::ChunkFailure), 2);
}

#[test]
fn an_upload_over_the_limit_is_refused() {
    let client = Client::fast();
    client.mock.set_v2_max_upload_bytes(10);
    let job = client.create_ingest(insert_account());
    let resp = client.upload(&job, b"Name\nA long name\n");
    assert_eq!(resp.error().1, "LIMIT_EXCEEDED");
    assert_eq!(client.mock.counters().uploads_stored(&job), 0);
    assert_eq!(client.upload(&job, b"Name\nA\n").status, 201);
}
