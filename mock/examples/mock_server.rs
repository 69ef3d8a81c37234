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
    keep_freed_memory();
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

/// One malloc arena (glibc) that keeps what is freed, for reuse by the next query, unless
/// `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` says otherwise.
///
/// A query's result is a few large buffers (1,000,000 rows of `SELECT Id, Name`: 56 MB of
/// values in a 64 MB string, 12 MB of ends), made on a blocking thread while the state lock is
/// held. By default each is a fresh `mmap` (over the mmap threshold, which glibc raises to
/// 32 MB at most, or over the 64 MB a thread's arena may hold), unmapped when the job is
/// forgotten: every such query faulted in and zeroed ~16,600 pages again. With one arena (the
/// main heap, no such cap), no mmap under 1 GiB and no trimming under 2 GiB, the next query
/// reuses those pages: no faults, that first status poll ~155 -> ~140 ms of CPU, the whole
/// query (8 runs) ~0.205 -> ~0.185 s of mock CPU and ~0.275 -> ~0.255 s of wall, and peak RSS
/// stays put from one query to the next (it grew ~10 MB a query).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none()
        && std::env::var_os("GLIBC_TUNABLES").is_none()
    {
        // SAFETY: called first in `main`, before any other thread exists; it only sets
        // parameters of the allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        }
    }
}
