//! Scripted-replay tests of the Bulk API 2.0 client core: the exact exchanges of every
//! commit-point, renewal, paging and join path.

use std::rc::Rc;

use super::scripted::{Reply, Script};
use super::*;
use crate::error::Error;
use crate::model::Operation;
use crate::model::v2::{ColumnDelimiter, IngestRequest, JobState};
use crate::protocol::v2::JobKind;

const HOST: &str = "https://na1.example.com";
const JOBS: &str = "https://na1.example.com/services/data/v59.0/jobs";
const J1: &str = "7500M0000000001QAA";
const J2: &str = "7500M0000000002QAA";
const J3: &str = "7500M0000000003QAA";

fn client() -> (Rc<Script>, Client) {
    client_with(None)
}

/// A client with `config.concurrency` set (absent: the default, 4).
fn client_with(concurrency: Option<u32>) -> (Rc<Script>, Client) {
    let cfg = Config {
        concurrency,
        api_version: "59.0".into(),
        access_token: "00D!token".into(),
        api_url: HOST.into(),
        token_endpoint_hostname: Some("https://login.example.com".into()),
        refresh_token: Some("refresh".into()),
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        ..Config::default()
    };
    let script = Rc::new(Script::new());
    let c = Client::new(
        Settings::new(&cfg).unwrap(),
        script.clone(),
        Rc::new(State::new()),
    );
    (script, c)
}

fn json(status: u16, body: String) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.into_bytes(),
    }
}

fn job(id: &str, state: &str, extra: &str) -> Reply {
    json(
        200,
        format!(
            r#"{{"id":"{id}","operation":"insert","object":"Account","state":"{state}","apiVersion":59.0{extra}}}"#
        ),
    )
}

fn empty(status: u16) -> Reply {
    Reply::Full {
        status,
        headers: vec![],
        body: Vec::new(),
    }
}

fn csv(body: &str) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("content-type", "text/csv".into())],
        body: body.as_bytes().to_vec(),
    }
}

fn page(body: &str, locator: &str, rows: u64) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![
            ("content-type", "text/csv".into()),
            ("sforce-locator", locator.into()),
            ("sforce-numberofrecords", rows.to_string()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

fn lost() -> Reply {
    Reply::Fail {
        error: Error::Transport("waiting for the reply: connection reset".into()),
        maybe_sent: true,
    }
}

fn load(c: &Client, max_upload: u64) -> IngestLoad {
    IngestLoad::start(
        c.clone(),
        IngestRequest::new(Operation::Insert, "Account"),
        Some(max_upload),
    )
    .unwrap()
}

fn expect_job(script: &Script, id: &str) {
    script.expect("POST", format!("{JOBS}/ingest"), job(id, "Open", ""));
}

fn expect_upload_and_close(script: &Script, id: &str) {
    script.expect("PUT", format!("{JOBS}/ingest/{id}/batches"), empty(201));
    script.expect(
        "PATCH",
        format!("{JOBS}/ingest/{id}"),
        job(id, "UploadComplete", ""),
    );
}

/// J1's upload loses its reply: J1 is aborted, and J2 gets the rows.
fn expect_lost_upload_then_new_job(script: &Script) {
    expect_job(script, J1);
    script.expect("PUT", format!("{JOBS}/ingest/{J1}/batches"), lost());
    script.expect(
        "PATCH",
        format!("{JOBS}/ingest/{J1}"),
        job(J1, "Aborted", ""),
    );
    expect_job(script, J2);
    expect_upload_and_close(script, J2);
}

#[test]
fn a_load_declares_lf_and_splits_into_jobs_without_cutting_a_record() {
    let (script, c) = client();
    // The second record holds a line break; each upload starts with the header.
    let input = "Name,Note\r\na,\"x\r\ny\"\r\nb,z\r\nc,w\r\n";
    let l = load(&c, 24);
    expect_job(&script, J1);
    expect_upload_and_close(&script, J1);
    expect_job(&script, J2);
    expect_upload_and_close(&script, J2);
    let mut jobs = l.write(input.as_bytes()).unwrap();
    jobs.extend(l.finish().unwrap());
    let seen = script.seen();
    let create: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(create["lineEnding"], "LF");
    assert_eq!(create["contentType"], "CSV");
    assert_eq!(seen[1].headers["authorization"], "Bearer 00D!token");
    let uploads: Vec<String> = seen
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| String::from_utf8(s.body.clone()).unwrap())
        .collect();
    assert_eq!(uploads.concat().matches("Name,Note\n").count(), 2);
    assert!(uploads[0].contains("a,\"x\r\ny\"\n"), "{uploads:?}");
    assert!(uploads.iter().all(|u| u.len() <= 24));
    let records: u64 = jobs.iter().map(|j| j.records).sum();
    assert_eq!(records, 3);
    assert_eq!(jobs[1].first_record, jobs[0].records);
    let closes: Vec<_> = seen.iter().filter(|s| s.method == "PATCH").collect();
    assert!(
        closes
            .iter()
            .all(|s| s.body == br#"{"state":"UploadComplete"}"#)
    );
}

#[test]
fn a_lost_upload_reply_aborts_that_job_and_sends_the_rows_to_a_new_one() {
    let (script, c) = client();
    let l = load(&c, 1_000_000);
    expect_lost_upload_then_new_job(&script);
    l.write(b"Name\na\nb\n").unwrap();
    let jobs = l.finish().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].job_id.as_str(), jobs[0].records), (J2, 2));
    let seen = script.seen();
    assert_eq!(seen[2].body, br#"{"state":"Aborted"}"#);
    let puts: Vec<_> = seen.iter().filter(|s| s.method == "PUT").collect();
    assert_eq!(puts.len(), 2, "one upload per job");
    assert_eq!(puts[0].body, puts[1].body);
}

#[test]
fn an_upload_of_several_blocks_goes_out_whole_to_each_job_it_is_sent_to() {
    let (script, c) = client();
    let l = load(&c, 100_000_000);
    let mut input = b"Name,Note\n".to_vec();
    for i in 0..200_000 {
        input.extend_from_slice(format!("n{i},\"a, \"\"b\"\"\"\n").as_bytes());
    }
    assert!(input.len() > 2 * super::ingest_v2::UPLOAD_BLOCK);
    expect_lost_upload_then_new_job(&script);
    for piece in input.chunks(256 * 1024) {
        assert!(l.write(piece).unwrap().is_empty());
    }
    let jobs = l.finish().unwrap();
    assert_eq!((jobs[0].job_id.as_str(), jobs[0].records), (J2, 200_000));
    let puts: Vec<_> = script
        .seen()
        .into_iter()
        .filter(|s| s.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2);
    assert!(puts[0].body == input && puts[1].body == input);
}

#[test]
fn a_lost_close_is_settled_by_reading_the_job() {
    let (script, c) = client();
    let l = load(&c, 1_000_000);
    expect_job(&script, J1);
    script.expect("PUT", format!("{JOBS}/ingest/{J1}/batches"), empty(201));
    script.expect("PATCH", format!("{JOBS}/ingest/{J1}"), lost());
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}"),
        job(J1, "InProgress", ""),
    );
    l.write(b"Name\na\n").unwrap();
    assert_eq!(l.finish().unwrap().len(), 1);
    // Nothing was closed twice and nothing resent after UploadComplete.
    assert_eq!(
        script.seen().iter().filter(|s| s.method == "PATCH").count(),
        1
    );
}

#[test]
fn a_refused_upload_aborts_the_job_and_names_the_error() {
    let (script, c) = client();
    let l = load(&c, 1_000_000);
    expect_job(&script, J1);
    script.expect(
        "PUT",
        format!("{JOBS}/ingest/{J1}/batches"),
        json(
            400,
            r#"[{"errorCode":"INVALIDJOBSTATE","message":"Found multiple contents for job"}]"#
                .into(),
        ),
    );
    script.expect(
        "PATCH",
        format!("{JOBS}/ingest/{J1}"),
        job(J1, "Aborted", ""),
    );
    l.write(b"Name\na\n").unwrap();
    match l.finish() {
        Err(Error::Api { code, message, .. }) => {
            assert_eq!(code, "INVALIDJOBSTATE");
            assert!(
                message.ends_with(&format!(" (job {J1}: Aborted)")),
                "{message}"
            );
        }
        other => panic!("expected the api error, got {other:?}"),
    }
}

#[test]
fn bad_input_is_refused_before_any_job_exists() {
    let (script, c) = client();
    let mut req = IngestRequest::new(Operation::Upsert, "Account");
    assert!(matches!(
        IngestLoad::start(c.clone(), req.clone(), None),
        Err(Error::InvalidInput(_))
    ));
    req.external_id_field_name = Some("Ext__c".into());
    req.column_delimiter = Some(ColumnDelimiter::Pipe);
    let l = IngestLoad::start(c, req, None).unwrap();
    // A record with more fields than the header (by the pipe delimiter), in the first upload.
    assert!(matches!(
        l.write(b"Name|Ext__c\na|1|2\n"),
        Err(Error::InvalidInput(_))
    ));
    assert!(script.seen().is_empty());
}

#[test]
fn an_expired_session_is_renewed_on_401_and_the_request_replayed() {
    let (script, c) = client();
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}"),
        json(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#.into(),
        ),
    );
    script.expect(
        "POST",
        "https://login.example.com/services/oauth2/token",
        json(
            200,
            r#"{"access_token":"00D!new","instance_url":"https://na2.example.com"}"#.into(),
        ),
    );
    script.expect(
        "GET",
        format!("https://na2.example.com/services/data/v59.0/jobs/ingest/{J1}"),
        job(J1, "JobComplete", ""),
    );
    let j = c.get_job_v2(JobKind::Ingest, J1).unwrap();
    assert_eq!(j.state, Some(JobState::JobComplete));
    assert_eq!(script.seen()[2].headers["authorization"], "Bearer 00D!new");
}

#[test]
fn results_are_joined_in_input_order_from_shuffled_files_at_the_job_version() {
    let (script, c) = client();
    let refs = vec![
        IngestJobRef {
            job_id: J1.into(),
            first_record: 0,
            records: 2,
        },
        IngestJobRef {
            job_id: J2.into(),
            first_record: 2,
            records: 2,
        },
    ];
    let join = IngestJoin::open(c, refs, ColumnDelimiter::Comma).unwrap();
    let v58 = "https://na1.example.com/services/data/v58.0/jobs";
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}"),
        json(
            200,
            format!(r#"{{"id":"{J1}","state":"JobComplete","apiVersion":58.0}}"#),
        ),
    );
    script.expect(
        "GET",
        format!("{v58}/ingest/{J1}/successfulResults"),
        csv("\"sf__Id\",\"sf__Created\",Name\n\"001B\",\"true\",b\n\"001A\",\"true\",a\n"),
    );
    script.expect(
        "GET",
        format!("{v58}/ingest/{J1}/failedResults"),
        csv("\"sf__Id\",\"sf__Error\",Name\n"),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}"),
        job(J2, "Failed", r#","errorMessage":"InvalidBatch : x""#),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}/successfulResults"),
        csv("\"sf__Id\",\"sf__Created\",Name\n"),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}/failedResults"),
        csv("\"sf__Id\",\"sf__Error\",Name\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\n"),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}/unprocessedrecords"),
        csv("Name\nd\n"),
    );
    let mut out = join.push(b"Name\na\nb\n\"\"\nd\n").unwrap();
    out.extend(join.finish().unwrap());
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "a,001A,true,true,");
    assert_eq!(lines[2], "b,001B,true,true,");
    assert!(
        // A comma-separated record is written as it came: the empty value stays quoted.
        lines[3].starts_with("\"\",,false,false,REQUIRED_FIELD_MISSING"),
        "{text}"
    );
    assert_eq!(lines[4], "d,,false,false,UNPROCESSED");
    assert_eq!(join.counts(), (4, 2, 1, 1));
}

/// The join of job J1 alone, holding the first `records` records of a comma-separated input.
fn join_of_j1(c: Client, records: u64) -> IngestJoin {
    let refs = vec![IngestJobRef {
        job_id: J1.into(),
        first_record: 0,
        records,
    }];
    IngestJoin::open(c, refs, ColumnDelimiter::Comma).unwrap()
}

#[test]
fn a_job_just_waited_for_is_joined_without_reading_it_again() {
    let (script, c) = client();
    let v58 = "https://na1.example.com/services/data/v58.0/jobs";
    let finished = format!(r#"{{"id":"{J1}","state":"JobComplete","apiVersion":58.0}}"#);
    script.expect("GET", format!("{JOBS}/ingest/{J1}"), json(200, finished));
    let poll = crate::backoff::PollPolicy::default();
    c.wait_for_jobs(JobKind::Ingest, &[J1.into()], poll)
        .unwrap();
    let join = join_of_j1(c, 1);
    // The results at the job's own version, with no GET of the job first.
    script.expect(
        "GET",
        format!("{v58}/ingest/{J1}/successfulResults"),
        csv("\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",a\n"),
    );
    script.expect(
        "GET",
        format!("{v58}/ingest/{J1}/failedResults"),
        csv("\"sf__Id\",\"sf__Error\",Name\n"),
    );
    let mut out = join.push(b"Name\na\n").unwrap();
    out.extend(join.finish().unwrap());
    assert_eq!(
        String::from_utf8(out).unwrap().lines().nth(1),
        Some("a,001A,true,true,")
    );
    assert_eq!(script.seen().len(), 3);
}

/// A job's result files are asked for at once (within `config.concurrency`), then read in
/// order: a successful file cut short is resumed after the failed one was asked for (with
/// concurrency 1, before it), and the rows come out the same.
#[test]
fn a_jobs_result_files_are_asked_for_at_once_and_read_in_order() {
    let ok = "\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",a\n\"001B\",\"true\",b\n";
    let none_failed = "\"sf__Id\",\"sf__Error\",Name\n";
    for (concurrency, failed_asked_first) in [(None, true), (Some(1), false)] {
        let (script, c) = client_with(concurrency);
        let join = join_of_j1(c, 2);
        let success = format!("{JOBS}/ingest/{J1}/successfulResults");
        let failed = format!("{JOBS}/ingest/{J1}/failedResults");
        script.expect(
            "GET",
            format!("{JOBS}/ingest/{J1}"),
            job(J1, "JobComplete", ""),
        );
        script.expect(
            "GET",
            success.clone(),
            Reply::CutShort {
                status: 200,
                headers: vec![("content-type", "text/csv".into())],
                body: ok.as_bytes().to_vec(),
                after: 40,
            },
        );
        if failed_asked_first {
            script.expect("GET", failed.clone(), csv(none_failed));
            script.expect("GET", success.clone(), csv(ok));
        } else {
            script.expect("GET", success.clone(), csv(ok));
            script.expect("GET", failed.clone(), csv(none_failed));
        }
        let mut out = join.push(b"Name\na\nb\n").unwrap();
        out.extend(join.finish().unwrap());
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out.lines().skip(1).collect::<Vec<_>>(),
            ["a,001A,true,true,", "b,001B,true,true,"],
            "{concurrency:?}"
        );
        assert_eq!(script.seen().len(), 4, "{concurrency:?}");
    }
}

#[test]
fn a_job_whose_results_do_not_add_up_is_an_error() {
    let (script, c) = client();
    let join = join_of_j1(c, 2);
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}"),
        job(J1, "JobComplete", ""),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}/successfulResults"),
        csv("\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",a\n"),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}/failedResults"),
        csv("\"sf__Id\",\"sf__Error\",Name\n"),
    );
    match join.push(b"Name\na\nb\n") {
        Err(Error::UnexpectedResponse { detail, .. }) => {
            assert!(
                detail.contains(
                    "1 successful + 0 failed + 0 unprocessed results for 2 uploaded records"
                ),
                "{detail}"
            )
        }
        other => panic!("expected the count error, got {other:?}"),
    }
}

fn read_all(s: &QueryStreamV2) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    loop {
        let chunk = s.read(5)?;
        if chunk.is_empty() {
            return Ok(out);
        }
        out.extend(chunk);
    }
}

fn query_job(rows: u64) -> Reply {
    json(
        200,
        format!(
            r#"{{"id":"{J3}","operation":"query","state":"JobComplete","apiVersion":59.0,"numberRecordsProcessed":{rows}}}"#
        ),
    )
}

/// Three pages of two rows: the second cut short, the third one row short of its header.
/// One page at a time, each page is fetched again as it is read; with pages opened ahead,
/// the second and third are opened (their heads read) before the first is read, and each
/// is fetched again when its turn comes.
fn three_pages_one_cut_short_one_short_of_rows(concurrency: u32) {
    let (script, c) = client_with(Some(concurrency));
    let s =
        QueryStreamV2::open(c, J3.into(), None, WaitOptions::default().policy(), Some(2)).unwrap();
    let results = format!("{JOBS}/query/{J3}/results");
    script.expect(
        "GET",
        format!("{JOBS}/query/{J3}"),
        json(
            200,
            format!(r#"{{"id":"{J3}","state":"InProgress","apiVersion":59.0}}"#),
        ),
    );
    script.expect("GET", format!("{JOBS}/query/{J3}"), query_job(5));
    script.expect(
        "GET",
        format!("{results}?maxRecords=2"),
        page("\"Id\"\n\"1\"\n\"2\"\n", "TDE", 2),
    );
    // Page 2: the connection breaks mid-page, then the same locator is read again.
    let p2 = "\"Id\"\n\"3\"\n\"4\"\n";
    let cut = || Reply::CutShort {
        status: 200,
        headers: vec![
            ("sforce-locator", "TDI".into()),
            ("sforce-numberofrecords", "2".into()),
        ],
        body: p2.as_bytes().to_vec(),
        after: 8,
    };
    // Page 3: a complete body one row short of what the header says, then whole.
    let short = || page("\"Id\"\n", "null", 1);
    let p2_again = || page(p2, "TDI", 2);
    let p3_whole = || page("\"Id\"\n\"5\"\n", "null", 1);
    let (tde, tdi) = (
        format!("{results}?locator=TDE&maxRecords=2"),
        format!("{results}?locator=TDI&maxRecords=2"),
    );
    if concurrency == 1 {
        script.expect("GET", &tde, cut());
        script.expect("GET", &tde, p2_again());
        script.expect("GET", &tdi, short());
        script.expect("GET", &tdi, p3_whole());
    } else {
        script.expect("GET", &tde, cut());
        script.expect("GET", &tdi, short());
        script.expect("GET", &tde, p2_again());
        script.expect("GET", &tdi, p3_whole());
    }
    let out = read_all(&s).unwrap();
    assert_eq!(out, b"\"Id\"\n\"1\"\n\"2\"\n\"3\"\n\"4\"\n\"5\"\n");
    let pos = s.position();
    assert!(pos.done);
    assert_eq!((pos.rows, pos.bytes), (5, out.len() as u64));
    assert_eq!(script.sleeps().len(), 1, "one poll wait");
}

#[test]
fn a_query_of_three_pages_with_one_cut_short_and_one_short_of_rows_comes_out_whole() {
    three_pages_one_cut_short_one_short_of_rows(1);
}

#[test]
fn pages_opened_ahead_are_fetched_again_in_their_turn_and_come_out_whole() {
    three_pages_one_cut_short_one_short_of_rows(4);
    three_pages_one_cut_short_one_short_of_rows(2);
}

#[test]
fn a_position_taken_between_pages_starts_at_the_next_page_after_it() {
    let (script, c) = client_with(Some(1));
    let s =
        QueryStreamV2::open(c, J3.into(), None, WaitOptions::default().policy(), Some(2)).unwrap();
    let results = format!("{JOBS}/query/{J3}/results");
    script.expect("GET", format!("{JOBS}/query/{J3}"), query_job(3));
    script.expect(
        "GET",
        format!("{results}?maxRecords=2"),
        page("\"Id\"\n\"1\"\n\"2\"", "TDE", 2),
    );
    let mut out = Vec::new();
    // Read until the first page is complete: its last line has no line end, so the read
    // that finds the page's end returns one (and nothing of the next page).
    while !out.ends_with(b"\"2\"\n") {
        out.extend(s.read(5).unwrap());
    }
    let pos = s.position();
    assert_eq!(pos.locator.as_deref(), Some("TDE"));
    assert_eq!((pos.rows, pos.bytes), (2, out.len() as u64));
    script.expect(
        "GET",
        format!("{results}?locator=TDE&maxRecords=2"),
        page("\"Id\"\n\"3\"\n", "null", 1),
    );
    out.extend(read_all(&s).unwrap());
    assert_eq!(out, b"\"Id\"\n\"1\"\n\"2\"\n\"3\"\n");
}

#[test]
fn a_query_short_of_the_jobs_total_is_an_error() {
    let (script, c) = client();
    let s = QueryStreamV2::open(c, J3.into(), None, WaitOptions::default().policy(), None).unwrap();
    script.expect("GET", format!("{JOBS}/query/{J3}"), query_job(3));
    script.expect(
        "GET",
        format!("{JOBS}/query/{J3}/results?maxRecords=100000"),
        page("\"Id\"\n\"1\"\n\"2\"\n", "null", 2),
    );
    match read_all(&s) {
        Err(Error::UnexpectedResponse { detail, .. }) => {
            assert!(
                detail.contains("2 rows read, the job says numberRecordsProcessed 3"),
                "{detail}"
            )
        }
        other => panic!("expected the total error, got {other:?}"),
    }
}

#[test]
fn a_query_resumes_from_a_locator_without_a_second_header() {
    let (script, c) = client();
    let s = QueryStreamV2::open(
        c,
        J3.into(),
        Some("TDI".into()),
        WaitOptions::default().policy(),
        Some(2),
    )
    .unwrap();
    script.expect("GET", format!("{JOBS}/query/{J3}"), query_job(5));
    script.expect(
        "GET",
        format!("{JOBS}/query/{J3}/results?locator=TDI&maxRecords=2"),
        page("\"Id\"\n\"5\"\n", "null", 1),
    );
    assert_eq!(read_all(&s).unwrap(), b"\"5\"\n");
}

#[test]
fn a_failed_query_job_is_its_error_message() {
    let (script, c) = client();
    let s = QueryStreamV2::open(c, J3.into(), None, WaitOptions::default().policy(), None).unwrap();
    script.expect(
        "GET",
        format!("{JOBS}/query/{J3}"),
        json(
            200,
            format!(
                r#"{{"id":"{J3}","state":"Failed","errorMessage":"InvalidBatch : bad field"}}"#
            ),
        ),
    );
    match read_all(&s) {
        Err(Error::Api { code, message, .. }) => {
            assert_eq!(code, "InvalidBatch");
            assert!(
                message.contains("ended Failed: InvalidBatch : bad field"),
                "{message}"
            );
        }
        other => panic!("expected the job's error, got {other:?}"),
    }
}

#[test]
fn waiting_for_jobs_at_the_deadline_is_still_running_and_aborts_nothing() {
    let (script, c) = client();
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J1}"),
        job(J1, "JobComplete", ""),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}"),
        job(J2, "InProgress", ""),
    );
    script.expect(
        "GET",
        format!("{JOBS}/ingest/{J2}"),
        job(J2, "InProgress", ""),
    );
    let poll = WaitOptions {
        first_interval_ms: Some(100),
        max_interval_ms: Some(100),
        timeout_ms: Some(50),
    }
    .policy();
    match c.wait_for_jobs(JobKind::Ingest, &[J1.into(), J2.into()], poll) {
        Err(Error::StillRunning { pending, .. }) => assert_eq!(pending, [J2]),
        other => panic!("expected still-running, got {other:?}"),
    }
    assert!(script.seen().iter().all(|s| s.method == "GET"));
}
