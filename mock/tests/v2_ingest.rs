//! Bulk API 2.0 ingest jobs on the mock, over HTTP: create, the one upload, close, the
//! processing over the mock's clock, the three result files, abort and delete rules, listing.

mod v2_client;

use std::time::Duration;

use serde_json::json;
use sfbulk_mock::{MockConfig, Route};
use v2_client::{Client, lines};

fn insert_account() -> serde_json::Value {
    json!({"object": "Account", "operation": "insert"})
}

#[test]
fn create_answers_open_with_a_relative_content_url_and_the_defaults() {
    let client = Client::fast();
    let resp = client.post_json("ingest", &insert_account());
    assert_eq!(resp.status, 200, "{}", resp.text());
    let job = resp.json();
    let id = job["id"].as_str().unwrap();
    assert!(id.starts_with("750") && id.len() == 18, "{id}");
    assert_eq!(job["state"], "Open");
    assert_eq!(
        job["contentUrl"],
        format!("services/data/v62.0/jobs/ingest/{id}/batches")
    );
    assert_eq!(job["columnDelimiter"], "COMMA");
    assert_eq!(job["lineEnding"], "LF");
    assert_eq!(job["contentType"], "CSV");
    assert_eq!(job["concurrencyMode"], "Parallel");
    assert!(
        job["apiVersion"].is_f64() && job["apiVersion"] == 62.0,
        "{job}"
    );
    let date = job["createdDate"].as_str().unwrap();
    assert!(
        date.ends_with(".000+0000") || date.ends_with("+0000"),
        "{date}"
    );
    assert_eq!(date.len(), "2018-12-18T22:51:36.000+0000".len(), "{date}");
    assert!(job.get("numberRecordsProcessed").is_none(), "{job}");
}

#[test]
fn the_upload_is_201_empty_and_a_second_one_is_refused() {
    let client = Client::fast();
    let job = client.create_ingest(insert_account());
    let first = client.upload(&job, b"Name\nA\n");
    assert_eq!((first.status, first.body.len()), (201, 0));
    let second = client.upload(&job, b"Name\nB\n");
    let (status, code, message) = second.error();
    assert_eq!(status, 400);
    assert_eq!(code, "BULK_API_ERROR");
    assert!(
        message.contains("Found multiple contents for job"),
        "{message}"
    );
    assert_eq!(client.mock.counters().uploads_stored(&job), 1);
}

#[test]
fn an_upload_to_a_job_that_is_not_open_is_invalidjobstate() {
    let client = Client::fast();
    let job = client.ingest(insert_account(), b"Name\nA\n");
    let late = client.upload(&job, b"Name\nB\n");
    let (status, code, _) = late.error();
    assert_eq!((status, code.as_str()), (400, "INVALIDJOBSTATE"));
    assert_eq!(client.mock.counters().uploads_stored(&job), 1);
}

#[test]
fn a_missing_required_field_fails_its_row_and_the_others_load() {
    let client = Client::fast();
    client.mock.shuffle_v2_results(None);
    let csv = b"Name,Description\nAcme,\"one, \"\"quoted\"\"\"\n,nameless\nGlobex,plain\n";
    let job = client.ingest(insert_account(), csv);
    let info = client.wait("ingest", &job);
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 1);
    let ok = client.results(&job, "successfulResults");
    let ok = lines(&ok);
    assert_eq!(ok[0], r#""sf__Id","sf__Created",Name,Description"#);
    assert!(
        ok[1].ends_with(r#","true",Acme,"one, ""quoted""""#),
        "{}",
        ok[1]
    );
    assert!(ok[1].starts_with("\"001"), "{}", ok[1]);
    assert!(ok[2].ends_with(r#","true",Globex,plain"#), "{}", ok[2]);
    let failed = client.results(&job, "failedResults");
    assert_eq!(
        failed,
        "\"sf__Id\",\"sf__Error\",Name,Description\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",,nameless\n"
    );
    assert_eq!(
        client.results(&job, "unprocessedrecords"),
        "Name,Description\n"
    );
    assert_eq!(client.mock.record_count("Account"), 2);
}

#[test]
fn failed_results_before_api_53_have_no_sf_id() {
    let mut client = Client::fast();
    client.version = "52.0".into();
    let job = client.ingest(insert_account(), b"Name\n\n\"\"\n");
    client.wait("ingest", &job);
    let failed = client.results(&job, "failedResults");
    assert!(failed.starts_with("\"sf__Error\",Name\n"), "{failed}");
}

#[test]
fn result_rows_are_shuffled_the_same_way_on_every_run() {
    let csv: String = std::iter::once("Name\n".to_owned())
        .chain((0..40).map(|i| format!("Row {i:02}\n")))
        .collect();
    let run = |seed: Option<u64>| {
        let client = Client::new(MockConfig {
            processing_delay: Duration::from_millis(10),
            v2_shuffle_seed: seed,
            ..MockConfig::default()
        });
        let job = client.ingest(insert_account(), csv.as_bytes());
        client.wait("ingest", &job);
        let text = client.results(&job, "successfulResults");
        lines(&text)[1..]
            .iter()
            .map(|l| l.rsplit(',').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let in_order: Vec<String> = (0..40).map(|i| format!("Row {i:02}")).collect();
    assert_eq!(run(None), in_order);
    let shuffled = run(Some(7));
    assert_ne!(shuffled, in_order);
    assert_eq!(shuffled, run(Some(7)), "the same seed, the same order");
    let mut sorted = shuffled.clone();
    sorted.sort();
    assert_eq!(sorted, in_order, "every row exactly once");
}

#[test]
fn result_paths_match_in_any_case_and_with_a_trailing_slash() {
    let client = Client::fast();
    let job = client.ingest(insert_account(), b"Name\nA\n");
    client.wait("ingest", &job);
    for file in [
        "successfulResults/",
        "SUCCESSFULRESULTS",
        "failedresults/",
        "unprocessedRecords",
        "unprocessedrecords/",
    ] {
        let resp = client.get(&format!("ingest/{job}/{file}"));
        assert_eq!(resp.status, 200, "{file}: {}", resp.text());
        assert_eq!(resp.content_type, "text/csv");
    }
    let counters = client.mock.counters();
    assert_eq!(counters.served("GET", Route::SuccessfulResults), 2);
    assert_eq!(counters.served("GET", Route::FailedResults), 1);
    assert_eq!(counters.served("GET", Route::UnprocessedRecords), 2);
}

#[test]
fn a_job_moves_through_its_states_with_the_clock_and_counts_while_in_progress() {
    let client = Client::new(MockConfig {
        processing_delay: Duration::from_secs(300),
        ..MockConfig::default()
    });
    let csv: String = std::iter::once("Name\n".to_owned())
        .chain((0..25_000).map(|i| format!("R{i}\n")))
        .collect();
    let job = client.ingest(insert_account(), csv.as_bytes());
    let state = |c: &Client| c.get(&format!("ingest/{job}")).json();
    assert_eq!(state(&client)["state"], "UploadComplete");
    assert_eq!(state(&client)["numberRecordsProcessed"], 0);
    // 25,000 records: three internal batches, due at 1/3, 2/3 and 3/3 of the 200 s after
    // the 100 s in the queue.
    client.mock.advance_clock(Duration::from_secs(101));
    assert_eq!(state(&client)["state"], "InProgress");
    client.mock.advance_clock(Duration::from_secs(70));
    let info = state(&client);
    assert_eq!(
        (
            info["state"].as_str(),
            info["numberRecordsProcessed"].as_u64()
        ),
        (Some("InProgress"), Some(10_000))
    );
    client.mock.advance_clock(Duration::from_secs(130));
    let info = state(&client);
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 25_000);
    assert_eq!(client.mock.record_count("Account"), 25_000);
}

#[test]
fn a_line_ending_mismatch_fails_the_job_and_leaves_every_row_unprocessed() {
    let client = Client::fast();
    client.mock.shuffle_v2_results(None);
    let crlf_data = b"Name\r\nA\r\nB\r\n";
    let job = client.ingest(insert_account(), crlf_data);
    let info = client.wait("ingest", &job);
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    );
    assert_eq!(info["numberRecordsProcessed"], 0);
    let unprocessed = client.results(&job, "unprocessedrecords");
    assert_eq!(unprocessed.as_bytes(), crlf_data, "the rows as uploaded");
    let crlf_job = client.ingest(
        json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"}),
        b"Name\nA\n",
    );
    let info = client.wait("ingest", &crlf_job);
    assert_eq!(
        info["errorMessage"],
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF"
    );
    assert_eq!(client.mock.record_count("Account"), 0);
}

#[test]
fn a_wrong_delimiter_fails_the_job_with_the_header_as_one_field_name() {
    let client = Client::fast();
    let job = client.ingest(insert_account(), b"Name|Description\nA|x\n");
    let info = client.wait("ingest", &job);
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Field name not found : Name|Description"
    );
    assert_eq!(
        client.results(&job, "unprocessedrecords"),
        "Name|Description\nA|x\n"
    );
}

#[test]
fn every_delimiter_and_crlf_are_honoured() {
    let client = Client::fast();
    let delimiters = [
        ("BACKQUOTE", '`'),
        ("CARET", '^'),
        ("COMMA", ','),
        ("PIPE", '|'),
        ("SEMICOLON", ';'),
        ("TAB", '\t'),
    ];
    for (name, d) in delimiters {
        let csv = format!("Name{d}Description\r\nAcme {name}{d}\"a{d}b\r\nc\"\r\n");
        let job = client.ingest(
            json!({"object": "Account", "operation": "insert",
                   "columnDelimiter": name, "lineEnding": "CRLF"}),
            csv.as_bytes(),
        );
        let info = client.wait("ingest", &job);
        assert_eq!(info["state"], "JobComplete", "{name}: {info}");
        assert_eq!(info["columnDelimiter"], name);
        assert_eq!(info["numberRecordsFailed"], 0, "{name}");
    }
    let records = client.mock.records("Account");
    assert_eq!(records.len(), 6);
    assert!(
        records
            .iter()
            .all(|r| r["Description"].contains("\r\n") && r["Name"].starts_with("Acme ")),
        "{records:?}"
    );
}

#[test]
fn results_follow_the_job_dialect_when_the_knob_says_so() {
    let client = Client::fast();
    client.mock.set_v2_results_in_job_dialect(true);
    let job = client.ingest(
        json!({"object": "Account", "operation": "insert",
               "columnDelimiter": "PIPE", "lineEnding": "CRLF"}),
        b"Name\r\nA\r\n",
    );
    client.wait("ingest", &job);
    let ok = client.results(&job, "successfulResults");
    assert!(
        ok.starts_with("\"sf__Id\"|\"sf__Created\"|Name\r\n"),
        "{ok}"
    );
}

#[test]
fn upsert_by_external_id_creates_and_updates() {
    let client = Client::fast();
    client.mock.insert_records(
        "Account",
        vec![vec![
            ("Name".into(), "Old".into()),
            ("Ext__c".into(), "K1".into()),
        ]],
    );
    let job = client.ingest(
        json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Ext__c"}),
        b"Ext__c,Name\nK1,Renamed\nK2,New\n",
    );
    let info = client.wait("ingest", &job);
    assert_eq!(info["externalIdFieldName"], "Ext__c");
    assert_eq!(info["numberRecordsFailed"], 0);
    let ok = client.results(&job, "successfulResults");
    assert!(ok.contains(r#","false",K1,Renamed"#), "{ok}");
    assert!(ok.contains(r#","true",K2,New"#), "{ok}");
    let names: Vec<String> = client
        .mock
        .records("Account")
        .iter()
        .map(|r| r["Name"].clone())
        .collect();
    assert_eq!(names, ["Renamed", "New"]);
}

#[test]
fn delete_and_hard_delete_by_id() {
    let client = Client::fast();
    let ids = client.seed_accounts(3);
    let job = client.ingest(
        json!({"object": "Account", "operation": "delete"}),
        format!("Id\n{}\n001000000000000AAA\n", ids[0]).as_bytes(),
    );
    let info = client.wait("ingest", &job);
    assert_eq!(
        (
            info["numberRecordsProcessed"].as_u64(),
            info["numberRecordsFailed"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let failed = client.results(&job, "failedResults");
    assert!(
        failed.contains("\"001000000000000AAA\",\"INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--\",001000000000000AAA"),
        "sf__Id of a failed delete is its Id: {failed}"
    );
    let hard = client.ingest(
        json!({"object": "Account", "operation": "hardDelete"}),
        format!("Id\n{}\n", ids[1]).as_bytes(),
    );
    assert_eq!(client.wait("ingest", &hard)["numberRecordsFailed"], 0);
    assert_eq!(client.mock.record_count("Account"), 1);
}

#[test]
fn abort_is_refused_once_the_job_is_complete() {
    let client = Client::fast();
    let open = client.create_ingest(insert_account());
    let aborted = client.patch_state("ingest", &open, "Aborted");
    assert_eq!(aborted.status, 200);
    assert_eq!(aborted.json()["state"], "Aborted");
    let done = client.ingest(insert_account(), b"Name\nA\n");
    client.wait("ingest", &done);
    let refused = client.patch_state("ingest", &done, "Aborted");
    assert_eq!(
        refused.error(),
        (
            400,
            "INVALIDJOBSTATE".into(),
            "Aborting already Completed Job not allowed".into()
        )
    );
    let again = client.patch_state("ingest", &done, "UploadComplete");
    assert_eq!(again.error().1, "INVALIDJOBSTATE");
    assert_eq!(client.mock.counters().v2_jobs_aborted(), 1);
}

#[test]
fn aborting_an_open_job_leaves_its_upload_unprocessed() {
    let client = Client::fast();
    client.mock.shuffle_v2_results(None);
    let job = client.create_ingest(insert_account());
    assert_eq!(client.upload(&job, b"Name\nA\nB\n").status, 201);
    assert_eq!(client.patch_state("ingest", &job, "Aborted").status, 200);
    assert_eq!(client.results(&job, "unprocessedrecords"), "Name\nA\nB\n");
    assert_eq!(
        client.results(&job, "successfulResults"),
        "\"sf__Id\",\"sf__Created\",Name\n"
    );
    assert_eq!(client.mock.record_count("Account"), 0);
}

#[test]
fn aborting_mid_job_leaves_the_rest_unprocessed() {
    let client = Client::new(MockConfig {
        processing_delay: Duration::from_secs(300),
        v2_shuffle_seed: None,
        ..MockConfig::default()
    });
    let csv: String = std::iter::once("Name\n".to_owned())
        .chain((0..25_000).map(|i| format!("R{i}\n")))
        .collect();
    let job = client.ingest(insert_account(), csv.as_bytes());
    client.mock.advance_clock(Duration::from_secs(170));
    let aborted = client.patch_state("ingest", &job, "Aborted");
    assert_eq!(aborted.json()["state"], "Aborted");
    assert_eq!(aborted.json()["numberRecordsProcessed"], 10_000);
    let unprocessed = client.results(&job, "unprocessedrecords");
    let rows = lines(&unprocessed);
    assert_eq!(rows.len(), 1 + 15_000);
    assert_eq!((rows[0], rows[1]), ("Name", "R10000"));
    assert_eq!(client.mock.record_count("Account"), 10_000);
}

#[test]
fn delete_only_a_job_that_is_not_running_then_it_is_gone() {
    let client = Client::fast();
    let open = client.create_ingest(insert_account());
    let refused = client.v2("DELETE", &format!("ingest/{open}"), "", b"");
    assert_eq!(
        refused.error(),
        (
            400,
            "API_ERROR".into(),
            "Error encountered when deleting the job because the job is not terminated".into()
        )
    );
    let done = client.ingest(insert_account(), b"Name\nA\n");
    client.wait("ingest", &done);
    let deleted = client.v2("DELETE", &format!("ingest/{done}"), "", b"");
    assert_eq!((deleted.status, deleted.body.len()), (204, 0));
    let gone = client.get(&format!("ingest/{done}"));
    assert_eq!(
        gone.error(),
        (
            404,
            "NOT_FOUND".into(),
            "The requested resource does not exist".into()
        )
    );
    assert_eq!(client.mock.counters().v2_jobs_deleted(), 1);
}

#[test]
fn the_listing_pages_by_1000_with_a_query_locator_and_shows_bulk_1_jobs() {
    let client = Client::fast();
    for _ in 0..1_001 {
        client.create_ingest(insert_account());
    }
    let classic = client.send(
        "POST",
        "/services/async/62.0/job",
        &[
            ("X-SFDC-Session", v2_client::TOKEN),
            ("Content-Type", "application/json"),
        ],
        br#"{"operation":"insert","object":"Account","contentType":"CSV"}"#,
    );
    assert_eq!(classic.status, 201, "{}", classic.text());
    let first = client.get("ingest").json();
    assert_eq!(first["done"], false);
    assert_eq!(first["records"].as_array().unwrap().len(), 1_000);
    let next = first["nextRecordsUrl"].as_str().unwrap();
    assert!(
        next.starts_with("/services/data/v62.0/jobs/ingest?queryLocator="),
        "{next}"
    );
    let second = client
        .send(
            "GET",
            next,
            &[("Authorization", "Bearer 00DMOCK!mock-access-token")],
            b"",
        )
        .json();
    assert_eq!(second["done"], true);
    assert!(second["nextRecordsUrl"].is_null());
    let records = second["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["jobType"], "Classic");
    assert_eq!(records[0]["jobType"], "V2Ingest");
    let only_classic = client.get("ingest?jobType=Classic").json();
    assert_eq!(only_classic["records"].as_array().unwrap().len(), 1);
}
