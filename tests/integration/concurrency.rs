//! Concurrent transfers (`config.concurrency`): a query's result files are opened ahead of
//! the one being read — up to `concurrency` at once, each on its own kept-alive connection —
//! and written in order; a load's batches are posted up to `concurrency` at once; the host's
//! connection cap (`--concurrency` + 1) holds.

use std::time::Duration;

use crate::common::{self, *};
use sfbulk_cli::whole_jobs as jobs;
use sfbulk_mock::WanLink;

/// 80,000 accounts in result files of 10,000 rows: 8 files of ~0.3 MB, over `wan` when
/// given.
fn eight_file_mock(wan: Option<WanLink>) -> MockServer {
    let mock = MockServer::start(MockConfig {
        processing_delay: Duration::from_millis(20),
        seed_accounts: 80_000,
        // Plain bodies: a gzip file of ~50 KB would be in the host's buffers at once.
        gzip_replies: wan.is_none(),
        wan,
        ..MockConfig::default()
    });
    mock.set_result_file_rows(10_000);
    mock
}

/// Runs the whole query through the component with `concurrency`, on a network capped at
/// `cap` connections per host; returns the CSV and the network's figures.
async fn query(concurrency: Option<u32>, cap: Option<usize>) -> (MockServer, Vec<u8>, NetStats) {
    query_over(None, concurrency, cap).await
}

/// An instance on a network of its own, with at most `cap` connections per host.
async fn capped(cap: Option<usize>) -> (Network, Instance) {
    let network = Network::new(&NetConfig {
        max_connections_per_host: cap,
        ..NetConfig::default()
    })
    .expect("network");
    let inst = Runtime::shared()
        .instantiate_with(&network)
        .await
        .expect("instantiate");
    (network, inst)
}

async fn query_over(
    wan: Option<WanLink>,
    concurrency: Option<u32>,
    cap: Option<usize>,
) -> (MockServer, Vec<u8>, NetStats) {
    let mock = eight_file_mock(wan);
    let cfg = Config {
        concurrency,
        ..common::cfg(&mock)
    };
    let (network, mut inst) = capped(cap).await;
    let job = ok(inst
        .create_job(&cfg, &jobs::query_request("Account", false))
        .await);
    ok(inst
        .add_batch(
            &cfg,
            &job.id,
            &BatchContent::Query("SELECT Id, Name FROM Account".into()),
        )
        .await);
    let stream = ok(inst.open_query_stream(&cfg, &job.id, &[], None).await);
    let mut out = Vec::new();
    loop {
        let chunk = ok(inst.stream_read(&stream, 64 * 1024).await);
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    (mock, out, network.stats())
}

fn check_csv(out: &[u8]) {
    let text = String::from_utf8(out.to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 80_001, "one header and every row");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("\"Id\"")).count(),
        1,
        "one header"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn four_result_files_transfer_at_once_in_order_within_the_connection_cap() {
    let (mock, out, stats) = query(Some(4), Some(5)).await;
    check_csv(&out);
    // The same rows, in the same order, as one file at a time.
    let (_, one_at_a_time, _) = query(Some(1), Some(2)).await;
    assert_eq!(out, one_at_a_time, "written in order");
    // On loopback the pump drains a file opened ahead as fast as the next one is opened;
    // at least two are in flight at once (the WAN test holds four).
    assert!(stats.most_in_flight >= 2, "files opened ahead: {stats:?}");
    assert!(stats.most_open <= 5, "at most concurrency + 1: {stats:?}");
    assert_eq!(stats.connections, mock.connections());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_one_reads_one_file_at_a_time() {
    let (_, out, stats) = query(Some(1), None).await;
    check_csv(&out);
    assert_eq!(stats.most_in_flight, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cap_holds_when_the_component_asks_for_more() {
    let (mock, out, stats) = query(Some(8), Some(3)).await;
    check_csv(&out);
    assert!(stats.most_open <= 3, "{stats:?}");
    assert!(
        mock.connections() <= 3,
        "the server saw {}",
        mock.connections()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrency_out_of_range_is_refused_before_anything_is_sent() {
    let mock = common::mock();
    let mut inst = instance().await;
    for bad in [0, 65] {
        let cfg = Config {
            concurrency: Some(bad),
            ..common::cfg(&mock)
        };
        let e = err(inst.get_job(&cfg, "7500M0000000001QAA").await);
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(e.message.contains("concurrency must be 1 to 64"), "{e:?}");
    }
    assert_eq!(mock.request_count(), 0);
}

/// Over a slow link (2 MB/s per connection) a file opened ahead cannot be drained before the
/// next one opens: four files transfer at once, on four connections, and the bytes still
/// come out in order.
#[tokio::test(flavor = "multi_thread")]
async fn over_a_slow_link_four_files_transfer_at_once() {
    let link = WanLink {
        rtt: Duration::from_millis(10),
        bandwidth: Some(2_000_000),
        connect_rtts: 1,
    };
    let (mock, out, stats) = query_over(Some(link), Some(4), Some(5)).await;
    check_csv(&out);
    assert!(stats.most_in_flight >= 4, "{stats:?}");
    assert!(stats.most_open >= 4 && stats.most_open <= 5, "{stats:?}");
    let wan = mock.wan_stats().expect("a wan link");
    assert!(wan.peak_open >= 4 && wan.peak_open <= 5, "{wan:?}");
}

/// Loads 6,000 accounts in batches of 1,000 (~0.1 MB each) with `concurrency`, over a slow
/// link (20 ms round trips, 2 MB/s per connection), on at most `concurrency` + 1 connections;
/// returns the mock, the batches sent and the network's figures.
async fn load_over_a_slow_link(concurrency: u32) -> (MockServer, Vec<BatchRef>, NetStats) {
    let mock = MockServer::start(MockConfig {
        wan: Some(WanLink {
            rtt: Duration::from_millis(20),
            bandwidth: Some(2_000_000),
            connect_rtts: 1,
        }),
        ..MockConfig::default()
    });
    let cfg = Config {
        concurrency: Some(concurrency),
        ..common::cfg(&mock)
    };
    let (network, mut inst) = capped(Some(concurrency as usize + 1)).await;
    let mut input = String::from("Name,Description\n");
    for i in 1..=6_000 {
        input.push_str(&format!("Acct {i},\"{}, {i}\"\n", "d".repeat(80)));
    }
    let split = SplitOptions {
        max_records: Some(1_000),
        max_bytes: None,
    };
    let load = ok(inst
        .start_csv_load(
            &cfg,
            &job_request(Operation::Insert, "Account", None),
            Some(&split),
        )
        .await);
    let mut sent = Vec::new();
    for piece in input.as_bytes().chunks(64 * 1024) {
        sent.extend(ok(inst.load_write(&load, piece).await));
    }
    sent.extend(ok(inst.load_finish(&load).await));
    (mock, sent, network.stats())
}

/// A load's batches go out four at a time: each batch is posted before the replies of the
/// ones before it are taken; every batch is made once and known by the records it holds.
#[tokio::test(flavor = "multi_thread")]
async fn a_loads_batches_are_posted_up_to_concurrency_at_once() {
    let (mock, sent, stats) = load_over_a_slow_link(4).await;
    assert!(
        stats.most_in_flight >= 3,
        "batches in flight together: {stats:?}"
    );
    assert!(stats.most_open <= 5, "{stats:?}");
    let firsts: Vec<u64> = sent.iter().map(|b| b.first_record).collect();
    assert_eq!(
        firsts,
        [0, 1_000, 2_000, 3_000, 4_000, 5_000],
        "in input order"
    );
    assert_eq!(mock.counters().batches_stored(), 6, "each batch made once");
    // Whatever order they were made in, each batch holds the records the load says.
    let mut inst = instance().await;
    let cfg = common::cfg(&mock);
    let job = mock
        .requests()
        .iter()
        .find_map(|r| r.path.strip_suffix("/batch").map(str::to_string))
        .and_then(|p| p.rsplit('/').next().map(str::to_string))
        .expect("a batch post");
    for b in &sent {
        let body = ok(inst.get_batch_request(&cfg, &job, &b.batch_id).await);
        let first = format!("Name,Description\nAcct {},", b.first_record + 1);
        assert!(body.starts_with(first.as_bytes()), "batch {}", b.batch_id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_with_concurrency_one_posts_one_batch_at_a_time() {
    let (mock, sent, stats) = load_over_a_slow_link(1).await;
    assert_eq!(stats.most_in_flight, 1, "{stats:?}");
    assert_eq!(sent.len(), 6);
    assert_eq!(mock.counters().batches_stored(), 6);
}

/// Runs `sfbulk args…` with the first reply (the create-job's) held back 3 s; returns the
/// run and (connections, requests) the mock had while that reply was held, once the
/// connections reached `expected` (or 10 s passed).
fn while_the_job_is_made(
    mock: &MockServer,
    args: &[&str],
    expected: usize,
) -> (crate::cli_util::Run, (usize, usize)) {
    mock.delay_next(1, Duration::from_secs(3));
    std::thread::scope(|s| {
        let run = s.spawn(|| crate::cli_util::sfbulk(mock, args));
        // The create-job request has arrived and waits for its reply: nothing else can
        // have been sent.
        let started = std::time::Instant::now();
        while mock.request_count() == 0 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        while mock.connections() < expected && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let seen = (mock.connections(), mock.request_count());
        (run.join().unwrap(), seen)
    })
}

/// `sfbulk load` of three batches opens its three connections before the job exists: while
/// the create-job reply is held back, the mock has accepted all three, and the load then
/// runs on them alone. A load of one batch opens one.
#[test]
fn a_cli_load_opens_its_batches_connections_while_the_job_is_made() {
    use crate::cli_util::{TempDir, accounts, insert_accounts, insert_args};
    let mock = common::mock();
    let dir = TempDir::new("ahead");
    let file = dir.file("accounts.csv");
    std::fs::write(&file, accounts(250, &[])).unwrap();
    let load = insert_args(&file, &["--batch-size", "100"]);
    let (run, seen) = while_the_job_is_made(&mock, &load, 3);
    run.expect(0);
    assert_eq!(
        seen,
        (3, 1),
        "(connections, requests) while the job was being made"
    );
    assert_eq!(
        mock.connections(),
        3,
        "the batches and results went over those three"
    );

    let mock = common::mock();
    std::fs::write(&file, accounts(100, &[])).unwrap();
    insert_accounts(&mock, &file, &["--batch-size", "100"]).expect(0);
    assert_eq!(mock.connections(), 1, "one batch, one connection");
}

/// `sfbulk query` (1.0 and 2.0) opens `--concurrency` connections before the job exists
/// (how many files or pages it will have is known only once it ran); `--concurrency 1`
/// opens one.
#[test]
fn a_cli_query_opens_concurrency_connections_while_the_job_is_made() {
    use crate::cli_util::TempDir;
    let dir = TempDir::new("ahead-query");
    let out = dir.file("accounts.csv");
    for api in ["1", "2"] {
        let mock = common::mock();
        mock.insert_records(
            "Account",
            vec![vec![("Name".to_string(), "Ahead".to_string())]],
        );
        let query = [
            "query",
            "--bulk-api",
            api,
            "--soql",
            "SELECT Id, Name FROM Account",
            "--output",
            &out,
        ];
        let (run, seen) = while_the_job_is_made(&mock, &query, 4);
        run.expect(0);
        assert_eq!(seen, (4, 1), "bulk api {api}: (connections, requests)");

        let mock = common::mock();
        mock.insert_records(
            "Account",
            vec![vec![("Name".to_string(), "Ahead".to_string())]],
        );
        let mut one = query.to_vec();
        one.extend(["--concurrency", "1"]);
        crate::cli_util::sfbulk(&mock, &one).expect(0);
        assert_eq!(mock.connections(), 1, "bulk api {api}, --concurrency 1");
    }
}
