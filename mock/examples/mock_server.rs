//! Serves the mock Salesforce until killed:
//!
//! ```text
//! cargo run -p sfbulk-mock --example mock_server -- --port 8765 [--seed-accounts 1000] \
//!     [--delay-ms 50] [--query-timeout-first N] [--v2-page-rows N]
//! ```
//!
//! `--query-timeout-first N` fails the first N plain query batches with `QUERY_TIMEOUT` (the
//! trigger of tap-salesforce's PK-chunking fallback). `--v2-page-rows N` is the Bulk 2.0 query
//! page size when a request gives no `maxRecords` (default 100000).
//!
//! It accepts `00DMOCK!mock-access-token` and the fixed `00DFAKE!SESSIONTOKEN` other Bulk API
//! clients may be run with.

use std::process::ExitCode;
use std::time::Duration;

use sfbulk_mock::{MockConfig, serve_forever_with};

fn main() -> ExitCode {
    let mut cfg = MockConfig::standalone();
    let mut port = 0u16;
    let mut query_timeouts = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
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
            _ => false,
        };
        if !parsed {
            eprintln!(
                "usage: mock_server [--port N] [--seed-accounts N] [--delay-ms N] \
                 [--query-timeout-first N] [--v2-page-rows N] (bad argument: {flag})"
            );
            return ExitCode::from(2);
        }
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
