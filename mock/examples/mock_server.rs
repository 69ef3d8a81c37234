//! Serves the mock Salesforce until killed:
//!
//! ```text
//! cargo run -p sfbulk-mock --example mock_server -- --port 8765 [--seed-accounts 1000] \
//!     [--delay-ms 50] [--query-timeout-first N] [--v2-page-rows N] [--result-file-rows N] \
//!     [--no-gzip] [--wan-rtt-ms MS] [--wan-bandwidth BYTES_PER_S] [--wan-connect-rtts N]
//! ```
//!
//! `--query-timeout-first N` fails the first N plain query batches with `QUERY_TIMEOUT` (the
//! trigger of tap-salesforce's PK-chunking fallback). `--v2-page-rows N` is the Bulk 2.0 query
//! page size when a request gives no `maxRecords` (default 100000). `--result-file-rows N` is
//! the most rows in one Bulk 1.0 query result file (default 100000). `--no-gzip` never
//! compresses a reply, even when asked to.
//!
//! `--wan-rtt-ms`, `--wan-bandwidth` and `--wan-connect-rtts` put a simulated WAN in front of
//! the mock (any of them turns it on; the others default to 0 ms, no cap and 0 round trips):
//! see `sfbulk_mock::WanLink`. The second line printed then names the mock without it, where
//! `GET /__mock/stats` reads the connections and bytes the WAN carried.
//!
//! It accepts `00DMOCK!mock-access-token` and the fixed `00DFAKE!SESSIONTOKEN` other Bulk API
//! clients may be run with.

use std::process::ExitCode;
use std::time::Duration;

use sfbulk_mock::{MockConfig, WanLink, serve_forever_with};

fn main() -> ExitCode {
    let mut cfg = MockConfig::standalone();
    let mut port = 0u16;
    let mut query_timeouts = 0usize;
    // The WAN's knobs: any of them puts one in front.
    let (mut rtt_ms, mut bandwidth, mut connect_rtts) = (None::<u64>, None::<u64>, None::<u32>);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--no-gzip" {
            cfg.gzip_replies = false;
            continue;
        }
        let value = args.next();
        let parsed = match (flag.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v.parse().map(|v| port = v).is_ok(),
            ("--seed-accounts", Some(v)) => v.parse().map(|v| cfg.seed_accounts = v).is_ok(),
            ("--delay-ms", Some(v)) => v
                .parse()
                .map(|v| cfg.processing_delay = Duration::from_millis(v))
                .is_ok(),
            ("--query-timeout-first", Some(v)) => v.parse().map(|v| query_timeouts = v).is_ok(),
            ("--v2-page-rows", Some(v)) => v.parse().map(|v| cfg.v2_page_rows = v).is_ok(),
            ("--result-file-rows", Some(v)) => v
                .parse::<usize>()
                .map(|v| cfg.result_file_rows = v.max(1))
                .is_ok(),
            ("--wan-rtt-ms", Some(v)) => v.parse().map(|v| rtt_ms = Some(v)).is_ok(),
            ("--wan-bandwidth", Some(v)) => v.parse().map(|v| bandwidth = Some(v)).is_ok(),
            ("--wan-connect-rtts", Some(v)) => v.parse().map(|v| connect_rtts = Some(v)).is_ok(),
            _ => false,
        };
        if !parsed {
            eprintln!(
                "usage: mock_server [--port N] [--seed-accounts N] [--delay-ms N] \
                 [--query-timeout-first N] [--v2-page-rows N] [--result-file-rows N] \
                 [--no-gzip] [--wan-rtt-ms MS] [--wan-bandwidth BYTES_PER_S] \
                 [--wan-connect-rtts N] (bad argument: {flag})"
            );
            return ExitCode::from(2);
        }
    }
    if rtt_ms.is_some() || bandwidth.is_some() || connect_rtts.is_some() {
        cfg.wan = Some(WanLink {
            rtt: Duration::from_millis(rtt_ms.unwrap_or(0)),
            bandwidth,
            connect_rtts: connect_rtts.unwrap_or(0),
        });
    }
    match serve_forever_with(cfg, port, |server| {
        server.query_timeout_next(query_timeouts)
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock_server: cannot serve on port {port}: {err}");
            ExitCode::FAILURE
        }
    }
}
