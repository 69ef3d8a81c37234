//! Concurrent transfers (`config.concurrency`): a query's result files are opened ahead of
//! the one being read — up to `concurrency` at once, each on its own kept-alive connection —
//! and written in order; the host's connection cap (`--concurrency` + 1) holds.

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
    let network = Network::new(&NetConfig {
        max_connections_per_host: cap,
        ..NetConfig::default()
    })
    .expect("network");
    let mut inst = Runtime::shared()
        .instantiate_with(&network)
        .await
        .expect("instantiate");
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
