//! Bulk API 2.0 query jobs on the mock, over HTTP: create, locator pages (each with its
//! header, `Sforce-Locator` ending in `null`, `Sforce-NumberOfRecords`), the version rule,
//! gzip, `resultPages` in both shapes, abort and delete rules.

mod v2_client;

use std::io::Read as _;
use std::time::Duration;

use serde_json::json;
use sfbulk_mock::{MockConfig, ResultPagesShape, Route};
use v2_client::{Client, Resp, lines};

/// A finished query job over `n` seeded accounts.
fn finished_query(n: usize, soql: &str) -> (Client, String) {
    let client = Client::fast();
    client.seed_accounts(n);
    let job = client.create_query(soql);
    assert_eq!(client.wait("query", &job)["state"], "JobComplete");
    (client, job)
}

fn page(client: &Client, job: &str, query: &str) -> Resp {
    let resp = client.get(&format!("query/{job}/results{query}"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp
}

#[test]
fn create_answers_upload_complete_with_the_object_of_the_soql() {
    let client = Client::fast();
    let resp = client.post_json(
        "query",
        &json!({"operation": "query", "query": "SELECT Id, Name FROM Account"}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let job = resp.json();
    assert_eq!(job["state"], "UploadComplete");
    assert_eq!(job["object"], "Account");
    assert_eq!(job["operation"], "query");
    assert_eq!(job["apiVersion"], 62.0);
    assert_eq!(job["columnDelimiter"], "COMMA");
    assert!(job.get("jobType").is_none(), "{job}");
}

#[test]
fn pages_honour_max_records_each_with_its_header_and_the_last_locator_is_null() {
    let (client, job) = finished_query(7, "SELECT Id, Name FROM Account");
    let mut locator = String::new();
    let mut names = Vec::new();
    let mut counts = Vec::new();
    loop {
        let query = if locator.is_empty() {
            "?maxRecords=3".to_owned()
        } else {
            format!("?locator={locator}&maxRecords=3")
        };
        let resp = page(&client, &job, &query);
        let text = resp.text();
        let rows = lines(&text);
        assert_eq!(rows[0], r#""Id","Name""#, "every page has the header");
        let n: usize = resp
            .header("Sforce-NumberOfRecords")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(n, rows.len() - 1);
        counts.push(n);
        names.extend(
            rows[1..]
                .iter()
                .map(|r| r.split(',').nth(1).unwrap().to_owned()),
        );
        locator = resp.header("Sforce-Locator").unwrap().to_owned();
        if locator == "null" {
            break;
        }
    }
    assert_eq!(counts, [3, 3, 1]);
    let expected: Vec<String> = (1..=7).map(|i| format!("\"Acct {i:03}\"")).collect();
    assert_eq!(names, expected);
    assert_eq!(client.wait("query", &job)["numberRecordsProcessed"], 7);
}

#[test]
fn without_max_records_the_server_default_page_size_applies() {
    let (client, job) = finished_query(5, "SELECT Id FROM Account");
    client.mock.set_v2_page_rows(2);
    let first = page(&client, &job, "");
    assert_eq!(first.header("Sforce-NumberOfRecords"), Some("2"));
    assert_ne!(first.header("Sforce-Locator"), Some("null"));
    client.mock.set_v2_page_rows(100);
    let all = page(&client, &job, "");
    assert_eq!(all.header("Sforce-NumberOfRecords"), Some("5"));
    assert_eq!(all.header("Sforce-Locator"), Some("null"));
}

#[test]
fn a_locator_fetches_the_same_page_again() {
    let (client, job) = finished_query(5, "SELECT Id, Name FROM Account");
    let first = page(&client, &job, "?maxRecords=2");
    let locator = first.header("Sforce-Locator").unwrap().to_owned();
    let again = page(&client, &job, &format!("?locator={locator}&maxRecords=2"));
    let once_more = page(&client, &job, &format!("?locator={locator}&maxRecords=2"));
    assert_eq!(again.body, once_more.body);
    assert_ne!(again.body, first.body);
    let bad = client.get(&format!("query/{job}/results?locator=not-a-locator"));
    assert_eq!(bad.error().1, "INVALID_QUERY_LOCATOR");
}

#[test]
fn results_with_another_api_version_are_a_409() {
    let (mut client, job) = finished_query(1, "SELECT Id FROM Account");
    client.version = "61.0".into();
    let resp = client.get(&format!("query/{job}/results"));
    let (status, code, message) = resp.error();
    assert_eq!((status, code.as_str()), (409, "INVALIDVERSION"));
    assert!(message.contains("62.0"), "{message}");
    let pages = client.get(&format!("query/{job}/resultPages"));
    assert_eq!(pages.status, 409);
}

#[test]
fn pages_are_gzipped_when_asked() {
    let (client, job) = finished_query(3, "SELECT Id, Name FROM Account");
    let plain = page(&client, &job, "");
    let zipped = client.send(
        "GET",
        &client.path(&format!("query/{job}/results")),
        &[
            ("Authorization", "Bearer 00DMOCK!mock-access-token"),
            ("Accept-Encoding", "gzip"),
        ],
        b"",
    );
    assert_eq!(zipped.header("Content-Encoding"), Some("gzip"));
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&zipped.body[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain.body);
    assert_eq!(zipped.header("Sforce-NumberOfRecords"), Some("3"));
}

#[test]
fn the_job_dialect_shapes_the_result_pages() {
    let client = Client::fast();
    client.seed_accounts(2);
    let resp = client.post_json(
        "query",
        &json!({"operation": "query", "query": "SELECT Id, Name FROM Account",
                "columnDelimiter": "TAB", "lineEnding": "CRLF"}),
    );
    let job = resp.json()["id"].as_str().unwrap().to_owned();
    client.wait("query", &job);
    let text = page(&client, &job, "").text();
    assert!(text.starts_with("\"Id\"\t\"Name\"\r\n\"001"), "{text}");
    assert!(text.ends_with("\t\"Acct 002\"\r\n"), "{text}");
}

#[test]
fn query_all_also_returns_deleted_rows() {
    let client = Client::fast();
    let ids = client.seed_accounts(3);
    let delete = client.ingest(
        json!({"object": "Account", "operation": "delete"}),
        format!("Id\n{}\n", ids[0]).as_bytes(),
    );
    client.wait("ingest", &delete);
    let count = |operation: &str| {
        let resp = client.post_json(
            "query",
            &json!({"operation": operation, "query": "SELECT Id FROM Account"}),
        );
        let job = resp.json()["id"].as_str().unwrap().to_owned();
        client.wait("query", &job)["numberRecordsProcessed"].as_u64()
    };
    assert_eq!(count("query"), Some(2));
    assert_eq!(count("queryAll"), Some(3));
}

#[test]
fn a_bad_query_is_refused_at_create() {
    let client = Client::fast();
    let create = |soql: &str| {
        client
            .post_json("query", &json!({"operation": "query", "query": soql}))
            .error()
    };
    assert_eq!(create("SELECT FROM").1, "MALFORMED_QUERY");
    assert_eq!(create("SELECT Id FROM Bogus__c").1, "INVALIDENTITY");
    assert_eq!(create("SELECT Bogus FROM Account").1, "INVALID_FIELD");
    assert_eq!(client.mock.counters().v2_jobs_created(), 0);
}

#[test]
fn results_before_job_complete_are_refused() {
    let client = Client::frozen();
    let job = client.create_query("SELECT Id FROM Account");
    let early = client.get(&format!("query/{job}/results"));
    assert_eq!(early.error().1, "INVALIDJOBSTATE");
    client.mock.advance_clock(Duration::from_secs(3601));
    assert_eq!(
        page(&client, &job, "").header("Sforce-NumberOfRecords"),
        Some("0")
    );
}

#[test]
fn an_empty_result_is_a_header_and_a_null_locator() {
    let (client, job) = finished_query(0, "SELECT Id, Name FROM Account");
    let resp = page(&client, &job, "");
    assert_eq!(resp.text(), "\"Id\",\"Name\"\n");
    assert_eq!(resp.header("Sforce-Locator"), Some("null"));
}

/// Every row of a job through its `resultPages` links (documented or observed shape).
fn rows_through_result_pages(client: &Client, job: &str, link_key: (&str, &str)) -> usize {
    let mut url = client.path(&format!("query/{job}/resultPages?maxRecords=2"));
    let auth = [("Authorization", "Bearer 00DMOCK!mock-access-token")];
    let prefix = format!("/services/data/v{}", client.version);
    let mut rows = 0;
    let mut answers = 0;
    loop {
        let resp = client.send("GET", &url, &auth, b"");
        assert_eq!(resp.status, 200, "{}", resp.text());
        answers += 1;
        let doc = resp.json();
        let links = doc[link_key.0].as_array().expect("a list of pages");
        assert!(links.len() <= 5);
        for link in links {
            let mut link = link[link_key.1].as_str().unwrap().to_owned();
            if !link.starts_with("/services/") {
                link = format!("{prefix}{link}");
            }
            let page = client.send("GET", &link, &auth, b"");
            let n: usize = page
                .header("Sforce-NumberOfRecords")
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(lines(&page.text()).len(), n + 1);
            rows += n;
        }
        match doc["nextRecordsUrl"].as_str() {
            None => {
                assert_eq!(doc["done"], true);
                break;
            }
            Some(next) if next.starts_with("/services/") => url = next.to_owned(),
            Some(next) => url = format!("{prefix}{next}"),
        }
    }
    assert_eq!(answers, 2, "13 rows in pages of 2: 7 pages, 5 + 2 links");
    rows
}

#[test]
fn result_pages_in_the_documented_shape_cover_every_row() {
    let (client, job) = finished_query(13, "SELECT Id FROM Account");
    let rows = rows_through_result_pages(&client, &job, ("resultPages", "resultUrl"));
    assert_eq!(rows, 13);
    assert_eq!(
        client
            .mock
            .counters()
            .served("GET", Route::QueryResultPages),
        2
    );
}

#[test]
fn result_pages_in_the_observed_shape_have_links_below_the_version() {
    let (client, job) = finished_query(13, "SELECT Id FROM Account");
    client.mock.set_v2_result_pages(ResultPagesShape::Observed);
    let doc = client.get(&format!("query/{job}/resultPages")).json();
    let link = doc["resultChunks"][0]["resultLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("/jobs/query/{job}/results?locator=")),
        "{link}"
    );
    assert_eq!(
        rows_through_result_pages(&client, &job, ("resultChunks", "resultLink")),
        13
    );
}

#[test]
fn result_pages_are_a_404_when_off_or_before_58() {
    let (mut client, job) = finished_query(1, "SELECT Id FROM Account");
    client.mock.set_v2_result_pages(ResultPagesShape::Off);
    assert_eq!(
        client.get(&format!("query/{job}/resultPages")).error().1,
        "NOT_FOUND"
    );
    client
        .mock
        .set_v2_result_pages(ResultPagesShape::Documented);
    client.version = "57.0".into();
    assert_eq!(client.get(&format!("query/{job}/resultPages")).status, 404);
}

#[test]
fn abort_and_delete_follow_the_query_state_rules() {
    let client = Client::new(MockConfig {
        processing_delay: Duration::from_secs(3600),
        ..MockConfig::default()
    });
    let running = client.create_query("SELECT Id FROM Account");
    let not_terminated = client.v2("DELETE", &format!("query/{running}"), "", b"");
    assert_eq!(
        not_terminated.error(),
        (
            400,
            "API_ERROR".into(),
            "Error encountered when deleting the job because the job is not terminated".into()
        )
    );
    let aborted = client.patch_state("query", &running, "Aborted");
    assert_eq!(aborted.json()["state"], "Aborted");
    let done = client.create_query("SELECT Id FROM Account");
    client.mock.advance_clock(Duration::from_secs(3601));
    let refused = client.patch_state("query", &done, "Aborted");
    assert_eq!(
        refused.error(),
        (
            400,
            "INVALIDJOBSTATE".into(),
            "Aborting already Completed Job not allowed".into()
        )
    );
    for job in [&running, &done] {
        let deleted = client.v2("DELETE", &format!("query/{job}"), "", b"");
        assert_eq!(deleted.status, 204);
        assert_eq!(client.get(&format!("query/{job}")).status, 404);
    }
    let counters = client.mock.counters();
    assert_eq!(
        (
            counters.v2_jobs_created(),
            counters.v2_jobs_aborted(),
            counters.v2_jobs_deleted()
        ),
        (2, 1, 2)
    );
}

#[test]
fn the_query_listing_shows_query_jobs_only() {
    let client = Client::fast();
    client.create_query("SELECT Id FROM Account");
    client.create_ingest(json!({"object": "Account", "operation": "insert"}));
    let list = client.get("query").json();
    let records = list["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["jobType"], "V2Query");
    assert_eq!(list["done"], true);
}
