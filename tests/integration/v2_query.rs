//! `sfbulk query --bulk-api 2` through the component against the mock: pages followed by
//! locator into one CSV with one header; a page cut short, or short of rows, is fetched
//! again by the same locator; a failed query job is named with its state; pages transfer
//! concurrently (`--concurrency`) and come out in order.

use std::path::Path;
use std::time::Duration;

use sfbulk_mock::{FaultKind, MockConfig, WanLink};

use crate::cli_util::*;
use crate::common::*;

/// A mock whose query jobs are complete at once (so the requests of a query come in a
/// known order: create, one get, then the pages), holding `n` accounts.
fn instant_mock(n: usize) -> MockServer {
    let mock = MockServer::start(MockConfig {
        processing_delay: Duration::ZERO,
        ..MockConfig::default()
    });
    mock.insert_records(
        "Account",
        (0..n)
            .map(|i| vec![("Name".to_string(), format!("Acct {i:05}, \"q\"\nline"))])
            .collect(),
    );
    mock
}

fn pages_fetched(mock: &MockServer) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/results"))
        .map(|r| r.path.clone())
        .collect()
}

/// `sfbulk query --bulk-api 2` of the accounts' ids and names into `out`, with `extra`
/// options.
fn query_accounts(mock: &MockServer, out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "query",
        "--bulk-api",
        "2",
        "--soql",
        "SELECT Id, Name FROM Account",
        "--output",
        out,
    ];
    args.extend(extra);
    sfbulk(mock, &args)
}

#[test]
fn a_query_of_three_pages_with_one_cut_short_writes_every_row_once() {
    let n = 2_500;
    let mock = instant_mock(n);
    let total = mock.record_count("Account");
    let dir = TempDir::new("v2-pages");
    let out = dir.file("out.csv");
    // create (delayed), get job (delayed), page 1 (delayed), then page 2 cut mid-body.
    delay_one(&mock);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            after_delays(&mock, 1, delay_one);
            after_delays(&mock, 2, delay_one);
            after_delays(&mock, 3, |m| m.truncate_next(1));
        });
        query_accounts(&mock, &out, &["--max-records", "1000"])
    });
    run.expect(0);
    assert_eq!(
        mock.counters().fired(FaultKind::Truncate),
        1,
        "the cut fired"
    );
    // The pages after the first are opened ahead (`--concurrency` 4): the second is
    // fetched again when its turn comes, after the third was opened.
    let pages = pages_fetched(&mock);
    assert_eq!(
        pages.len(),
        4,
        "three pages, the second fetched twice: {pages:#?}"
    );
    assert_eq!(pages[1], pages[3], "again by the same locator: {pages:#?}");
    assert_ne!(pages[1], pages[2], "{pages:#?}");
    assert_eq!(run.json()["records"], total as u64);
    let rows = csv_rows(Path::new(&out));
    assert_eq!(rows.len(), total + 1, "one header, every row once");
    assert_eq!(rows[0], ["Id", "Name"]);
    let ids: std::collections::BTreeSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), total, "no row twice");
    assert!(
        rows.iter().any(|r| r[1] == "Acct 00007, \"q\"\nline"),
        "values whole"
    );
}

#[test]
fn a_page_short_of_rows_is_fetched_again_and_the_total_checked() {
    let mock = instant_mock(1_500);
    let total = mock.record_count("Account");
    mock.short_page_next(1);
    let dir = TempDir::new("v2-short");
    let out = dir.file("out.csv");
    let run = query_accounts(&mock, &out, &["--max-records", "1000"]);
    run.expect(0);
    assert_eq!(mock.counters().fired(FaultKind::ShortPage), 1);
    assert_eq!(
        pages_fetched(&mock).len(),
        3,
        "the short page again, then the last"
    );
    assert_eq!(csv_rows(Path::new(&out)).len(), total + 1);
}

#[test]
fn a_failed_query_job_is_named_with_its_state_and_leaves_no_file() {
    let mock = instant_mock(10);
    mock.fail_next_v2_jobs(1, Some("InvalidBatch : something went wrong"));
    let dir = TempDir::new("v2-qfail");
    let out = dir.file("out.csv");
    let run = sfbulk(
        &mock,
        &[
            "query",
            "--bulk-api",
            "2",
            "--soql",
            "SELECT Id FROM Account",
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
        run.stderr.contains("something went wrong"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("query job {job} is Failed")),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("continue it"),
        "a failed job cannot be continued"
    );
    assert!(dir.names().is_empty(), "no output, no partial file");
}

/// 80,000 accounts in pages of 10,000 over a slow link (2 MB/s per connection): with
/// `--concurrency 4` four pages transfer at once, each on its own connection, and the file
/// is the same, byte for byte, as one page at a time.
#[test]
fn pages_transfer_at_once_over_a_slow_link_and_come_out_in_order() {
    let run_with = |concurrency: &str| {
        let mock = MockServer::start(MockConfig {
            processing_delay: Duration::ZERO,
            seed_accounts: 80_000,
            gzip_replies: false,
            wan: Some(WanLink {
                rtt: Duration::from_millis(10),
                bandwidth: Some(2_000_000),
                connect_rtts: 1,
            }),
            ..MockConfig::default()
        });
        let dir = TempDir::new("v2-concurrent");
        let out = dir.file("out.csv");
        let run = query_accounts(
            &mock,
            &out,
            &["--max-records", "10000", "--concurrency", concurrency],
        );
        run.expect(0);
        assert_eq!(pages_fetched(&mock).len(), 8, "each page once");
        let wan = mock.wan_stats().expect("a wan link");
        (std::fs::read(&out).expect("the output"), wan)
    };
    let (four, wan) = run_with("4");
    assert!(wan.peak_open >= 4 && wan.peak_open <= 5, "{wan:?}");
    let (one, wan) = run_with("1");
    assert!(wan.peak_open <= 2, "one page at a time: {wan:?}");
    assert_eq!(four, one, "written in order");
    let text = String::from_utf8(four).expect("utf-8");
    assert_eq!(text.lines().count(), 80_001, "one header and every row");
}
