//! Whole jobs through the component: split loads, results joined to the input, every
//! result file of every (chunk) batch, waits that end at their deadline.

use std::time::Duration;

use crate::common::*;
use sfbulk_cli::whole_jobs::{self as jobs, LoadArgs, Progress, QueryArgs};

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sfbulk-whole-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 25,000 contacts; rows 1,000, 7,777, 12,345, 20,001 and 24,999 (1-based) lack LastName.
fn nasty_csv() -> (String, Vec<usize>) {
    let bad = vec![1000, 7777, 12345, 20001, 24999];
    let mut s = String::from("\u{feff}FirstName,LastName,Description\r\n");
    for i in 1..=25_000usize {
        let last = if bad.contains(&i) {
            String::new()
        } else {
            format!("Nguyễn {i}")
        };
        let desc = match i % 4 {
            0 => format!("\"comma, and \"\"quote\"\" {i}\""),
            1 => format!("\"line\nbreak {i}\""),
            2 => format!("\"crlf\r\nbreak {i}\""),
            _ => format!("plain {i} ✓"),
        };
        s.push_str(&format!("Zoë {i},{last},{desc}\r\n"));
    }
    (s, bad)
}

#[tokio::test(flavor = "multi_thread")]
async fn load_25000_rows_three_batches_results_in_input_order() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let (text, bad) = nasty_csv();
    let input = tmp("contacts.csv");
    std::fs::write(&input, &text).unwrap();
    let results = tmp("contacts.results.csv");
    let args = LoadArgs {
        request: job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        input: &input,
        batch_size: None,
        results: results.clone(),
        wait: jobs::default_wait(Some(Duration::from_secs(60))),
    };
    let summary = jobs::load(&mut inst, &cfg, args, &Progress::quiet())
        .await
        .unwrap();
    assert_eq!(summary.batches.len(), 3, "10,000 + 10,000 + 5,000");
    assert_eq!(summary.records, 25_000);
    assert_eq!(summary.succeeded, 24_995);
    assert_eq!(summary.failed, 5);
    assert_eq!(mock.record_count("Contact"), 24_995);
    let sizes: Vec<u64> = {
        let mut v = Vec::new();
        for id in &summary.batches {
            v.push(
                ok(inst.get_batch_status(&cfg, &summary.job_id, id).await).number_records_processed,
            );
        }
        v
    };
    assert_eq!(sizes, vec![10_000, 10_000, 5_000]);

    // The results file: the input columns + sf__ columns, one row per input row, in order.
    let mut input_rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out_rdr = csv::Reader::from_path(&results).unwrap();
    assert_eq!(
        out_rdr.headers().unwrap(),
        vec![
            "FirstName",
            "LastName",
            "Description",
            "sf__Id",
            "sf__Success",
            "sf__Created",
            "sf__Error"
        ]
    );
    let mut n = 0;
    for (i, (inp, out)) in input_rdr.records().zip(out_rdr.records()).enumerate() {
        let (inp, out) = (inp.unwrap(), out.unwrap());
        assert_eq!(
            &out.iter().take(3).collect::<Vec<_>>(),
            &inp.iter().collect::<Vec<_>>(),
            "row {}",
            i + 1
        );
        let failed = bad.contains(&(i + 1));
        assert_eq!(
            out.get(4),
            Some(if failed { "false" } else { "true" }),
            "row {}",
            i + 1
        );
        if failed {
            assert!(
                out.get(6).unwrap().starts_with("REQUIRED_FIELD_MISSING"),
                "{:?}",
                out.get(6)
            );
            assert_eq!(out.get(3), Some(""));
        } else {
            assert!(out.get(3).unwrap().starts_with("003"));
        }
        n += 1;
    }
    assert_eq!(n, 25_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_over_several_result_files_has_one_header() {
    let mock = mock();
    mock.set_result_file_rows(250);
    mock.insert_records(
        "Account",
        (0..1000)
            .map(|i| vec![("Name".to_string(), format!("Name, \"{i:04}\""))])
            .collect(),
    );
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let output = tmp("accounts.csv");
    let args = QueryArgs {
        request: jobs::query_request("Account", false),
        soql: "SELECT Id, Name FROM Account ORDER BY Name",
        output: &output,
        wait: jobs::default_wait(Some(Duration::from_secs(30))),
    };
    let summary = jobs::query(&mut inst, &cfg, args, &Progress::quiet())
        .await
        .unwrap();
    assert_eq!(summary.records, 1000);
    let job_batches = ok(inst.list_batches(&cfg, &summary.job_id).await);
    let BatchResults::Query(ids) = ok(inst
        .get_batch_results(&cfg, &summary.job_id, &job_batches[0].id)
        .await)
    else {
        panic!("query batch");
    };
    assert!(ids.len() >= 3, "{} result files", ids.len());
    let mut rdr = csv::Reader::from_path(&output).unwrap();
    assert_eq!(rdr.headers().unwrap(), vec!["Id", "Name"]);
    let names: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_string()).collect();
    let expected: Vec<String> = (0..1000).map(|i| format!("Name, \"{i:04}\"")).collect();
    assert_eq!(
        names, expected,
        "every row once, in order, no header as data"
    );
    assert_eq!(
        ok(inst.get_job(&cfg, &summary.job_id).await).state,
        JobState::Closed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pk_chunked_query_with_empty_chunks() {
    let mock = mock();
    mock.insert_records(
        "Account",
        (0..600)
            .map(|i| {
                vec![
                    ("Name".to_string(), format!("A{i:03}")),
                    (
                        "Rating".to_string(),
                        if (100..500).contains(&i) {
                            "Cold"
                        } else {
                            "Hot"
                        }
                        .to_string(),
                    ),
                ]
            })
            .collect(),
    );
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let output = tmp("pk.csv");
    let mut request = jobs::query_request("Account", false);
    request.pk_chunking = Some(PkChunking {
        chunk_size: Some(100),
        start_row: None,
        parent: None,
    });
    let args = QueryArgs {
        request,
        soql: "SELECT Id, Name FROM Account WHERE Rating = 'Hot'",
        output: &output,
        wait: jobs::default_wait(Some(Duration::from_secs(30))),
    };
    let summary = jobs::query(&mut inst, &cfg, args, &Progress::quiet())
        .await
        .unwrap();
    assert_eq!(summary.records, 200);
    let batches = ok(inst.list_batches(&cfg, &summary.job_id).await);
    assert_eq!(batches.len(), 7, "the parent and 6 chunks");
    assert_eq!(batches[0].state, BatchState::NotProcessed);
    assert_eq!(summary.batches, 6);
    let mut rdr = csv::Reader::from_path(&output).unwrap();
    assert_eq!(rdr.headers().unwrap(), vec!["Id", "Name"]);
    let mut names: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_string()).collect();
    names.sort();
    let mut expected: Vec<String> = (0..100)
        .chain(500..600)
        .map(|i| format!("A{i:03}"))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_at_its_deadline_reports_still_running_and_touches_nothing() {
    let mock = mock();
    mock.set_processing_delay(Duration::from_secs(30));
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
        )
        .await);
    let b1 = ok(inst.add_batch(&cfg, &job.id, &csv("Name\nA\n")).await);
    let b2 = ok(inst.add_batch(&cfg, &job.id, &csv("Name\nB\n")).await);
    mock.clear_requests();
    let options = WaitOptions {
        first_interval_ms: Some(20),
        max_interval_ms: Some(50),
        timeout_ms: Some(300),
    };
    let e = err(inst
        .wait_for_batches(&cfg, &job.id, &[], Some(&options))
        .await);
    assert_eq!(e.kind, ErrorKind::StillRunning, "{e:?}");
    // The message names the job and both batches still running.
    assert!(
        e.message.starts_with(&format!(
            "still running: job {} has 2 batches not finished (",
            job.id
        )),
        "{e:?}"
    );
    assert!(
        e.message.contains(&b1.id) && e.message.contains(&b2.id),
        "{e:?}"
    );
    assert!(
        mock.requests().iter().all(|r| r.method == "GET"),
        "the wait only reads"
    );
    assert_eq!(
        ok(inst.get_job(&cfg, &job.id).await).state,
        JobState::Open,
        "not closed, not aborted"
    );
}

/// A malformed record reaching the component's `csv-load` (a host that streams, with no
/// first pass) is refused before its batch is sent, and the job is aborted: the only
/// request after it is the abort.
#[tokio::test(flavor = "multi_thread")]
async fn csv_load_refuses_bad_input_before_sending_it_and_aborts_its_job() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let load = ok(inst
        .start_csv_load(&cfg, &job_request(Operation::Insert, "Account", None), None)
        .await);
    let job = inst.load_job_id(&load).await.unwrap();
    let before = mock.request_count();
    let e = err(inst.load_write(&load, b"Name,Phone\nA,1\nB\n").await);
    assert!(
        e.kind == ErrorKind::InvalidInput
            && e.message.contains("field")
            && e.message.contains(&job),
        "{e:?}"
    );
    let after: Vec<_> = mock.requests()[before..].to_vec();
    assert_eq!(after.len(), 1, "only the abort: {after:?}");
    assert!(
        after[0].path.ends_with(&format!("/job/{job}")),
        "{}",
        after[0].path
    );
    assert_eq!(ok(inst.get_job(&cfg, &job).await).state, JobState::Aborted);
    assert_eq!(mock.counters().batches_stored(), 0, "no batch sent");

    let before = mock.request_count();
    let e = err(inst
        .start_csv_load(
            &cfg,
            &job_request(Operation::Insert, "Account", Some(ContentType::Json)),
            None,
        )
        .await);
    assert!(e.kind == ErrorKind::InvalidInput);
    assert_eq!(mock.request_count(), before, "nothing sent");
    let load2 = ok(inst
        .start_csv_load(&cfg, &job_request(Operation::Insert, "Account", None), None)
        .await);
    let before = mock.request_count();
    let e = err(inst.load_write(&load2, b"Name\n\xff\xfe\n").await);
    assert!(
        e.kind == ErrorKind::InvalidInput
            && (e.message.contains("utf-8") || e.message.contains("UTF-8")),
        "{e:?}"
    );
    assert_eq!(mock.request_count(), before + 1, "only the abort");
    assert_eq!(mock.counters().batches_stored(), 0, "no batch sent");
}

/// The case for hosts that stream into `csv-load`: 11,500 good records (about
/// 2.4 MB, fed in 64 KiB pieces) then one with 5 fields under a 3-field header. The batch of
/// 10,000 already sent stays; the job is aborted; the error says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_record_far_into_a_streamed_load_aborts_the_job_and_says_what_was_sent() {
    let mock = mock();
    // One batch in flight at a time: each batch is answered before `write` returns.
    let cfg = Config {
        concurrency: Some(1),
        ..cfg(&mock)
    };
    let mut inst = instance().await;
    let load = ok(inst
        .start_csv_load(&cfg, &job_request(Operation::Insert, "Account", None), None)
        .await);
    let job_id = inst.load_job_id(&load).await.unwrap();
    let mut input = b"Name,Description,Phone\n".to_vec();
    for i in 0..11_500 {
        input.extend(format!("n{i},\"{}, {i}\",555-{i:04}\n", "x".repeat(180)).bytes());
    }
    input.extend(b"bad,a,b,c,d\nafter,x,y\n");
    let mut sent = Vec::new();
    let mut failure = None;
    for piece in input.chunks(64 * 1024) {
        match inst.load_write(&load, piece).await.unwrap() {
            Ok(refs) => sent.extend(refs),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let Some(Error {
        kind: ErrorKind::InvalidInput,
        message: m,
        ..
    }) = failure
    else {
        panic!("expected invalid-input, got {failure:?}");
    };
    assert_eq!(
        m,
        format!(
            "invalid input: record 11501 has 5 fields, the header has 3; job {job_id} was aborted: 10000 \
             records in 1 batch (input records 1-10000) had been sent before, nothing after"
        )
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(
        ok(inst.get_job(&cfg, &job_id).await).state,
        JobState::Aborted,
        "nothing left Open"
    );
    assert_eq!(
        mock.counters().batches_stored(),
        1,
        "the batch sent before, nothing after"
    );
    // The load is over: finishing returns the same error and sends nothing.
    let before = mock.request_count();
    let again = err(inst.load_finish(&load).await);
    assert!(
        again.kind == ErrorKind::InvalidInput && {
            let e = &again.message;
            *e == m
        },
        "{again:?}"
    );
    assert_eq!(mock.request_count(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_query_batch_is_an_api_error_with_its_state_message() {
    let mock = mock();
    let cfg = cfg(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(&cfg, &jobs::query_request("Account", false))
        .await);
    ok(inst
        .add_batch(
            &cfg,
            &job.id,
            &BatchContent::Query("SELECT BogusField FROM Account".into()),
        )
        .await);
    let stream = ok(inst.open_query_stream(&cfg, &job.id, &[], None).await);
    let e = err(inst.stream_read(&stream, 1 << 16).await);
    match e {
        Error {
            kind: ErrorKind::Api,
            code: Some(code),
            message,
            ..
        } => {
            assert_eq!(code, "InvalidBatch");
            assert!(message.contains(&job.id), "{message}");
        }
        other => panic!("expected an api error, got {other:?}"),
    }
}
