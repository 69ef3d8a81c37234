//! Many whole jobs at once in one host process (issue 15): memory per instance in flight and
//! throughput. Run with
//! `cargo build --release -p sfbulk-cli --bins && target/release/sfbulk-jobs-bench [--rows N]
//! [--mode query|load] [JOBS…]` (default: query, 10,000 rows a job, 1 10 100 jobs).
//!
//! It starts `sfbulk mock-server` (a sibling binary, its own process, so its memory is not
//! counted) seeded with ROWS accounts and no processing delay, compiles the component once on
//! one wasmtime engine, runs one untimed job, then for each JOBS: that many instances, each on
//! its own tokio task and sharing one pooled network, each running a whole job at the same
//! time — `query` (SOQL of ROWS rows into a CSV file) or `load` (an insert of ROWS rows from a
//! CSV file, results joined) — and prints the wall time, rows per second, and the process's
//! peak RSS during the round (sampled every 2 ms) against its RSS before.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use host_test::{Config, ContentType, Network, Operation, Runtime, WaitOptions};
use sfbulk_cli::whole_jobs::{LoadArgs, Progress, QueryArgs, load, query, query_request};

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().expect("bin dir").join(name)
}

/// This process's resident set, in KiB.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The highest RSS seen since the last `reset`, sampled on a thread of its own.
struct Peak {
    max_kb: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Peak {
    fn start() -> Peak {
        let max_kb = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (Arc::clone(&max_kb), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                m.fetch_max(rss_kb(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Peak { max_kb, stop }
    }

    fn reset(&self) {
        self.max_kb.store(rss_kb(), Ordering::Relaxed);
    }

    fn mb(&self) -> f64 {
        self.max_kb.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for Peak {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Query,
    Load,
}

fn wait() -> WaitOptions {
    WaitOptions {
        first_interval_ms: Some(20),
        max_interval_ms: Some(200),
        timeout_ms: None,
    }
}

/// One whole job on a new instance; returns the rows it moved.
async fn job(mode: Mode, network: Network, cfg: Config, dir: PathBuf, n: usize) -> u64 {
    let mut inst = Runtime::shared()
        .instantiate_with(&network)
        .await
        .expect("instantiate");
    match mode {
        Mode::Query => {
            let output = dir.join(format!("query-{n}.csv"));
            let args = QueryArgs {
                request: query_request("Account", false),
                soql: "SELECT Id, Name FROM Account",
                output: &output,
                wait: wait(),
            };
            let summary = match query(&mut inst, &cfg, args, &Progress::quiet()).await {
                Ok(s) => s,
                Err(e) => panic!("query {n} failed: {e:?}"),
            };
            let _ = std::fs::remove_file(output);
            summary.records
        }
        Mode::Load => {
            let results = dir.join(format!("load-{n}.results.csv"));
            let args = LoadArgs {
                request: host_test::job_request(
                    Operation::Insert,
                    "Account",
                    Some(ContentType::Csv),
                ),
                input: &dir.join("input.csv"),
                batch_size: None,
                results: results.clone(),
                wait: wait(),
            };
            let summary = match load(&mut inst, &cfg, args, &Progress::quiet()).await {
                Ok(s) => s,
                Err(e) => panic!("load {n} failed: {e:?}"),
            };
            assert_eq!(summary.failed, 0, "load {n}: failed records");
            let _ = std::fs::remove_file(results);
            summary.records
        }
    }
}

fn write_input(path: &Path, rows: usize) {
    let mut csv = String::from("Name,Description\n");
    for i in 0..rows {
        csv.push_str(&format!("Acme {i},\"row, {i} \"\"q\"\"\"\n"));
    }
    std::fs::write(path, csv).expect("write the input");
}

#[tokio::main]
async fn main() {
    let mut rows = 10_000usize;
    let mut mode = Mode::Query;
    let mut rounds = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => rows = args.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--mode" => {
                mode = match args.next().as_deref() {
                    Some("query") => Mode::Query,
                    Some("load") => Mode::Load,
                    other => panic!("expected --mode query or load, got {other:?}"),
                }
            }
            n => rounds.push(n.parse::<usize>().expect("a number of jobs")),
        }
    }
    if rounds.is_empty() {
        rounds = vec![1, 10, 100];
    }
    let seed = if mode == Mode::Query { rows } else { 0 };
    let mut server = Command::new(sibling("sfbulk"))
        .args(["mock-server", "--port", "0", "--delay-ms", "0"])
        .args(["--seed-accounts", &seed.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the mock");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("mock stdout"))
        .read_line(&mut line)
        .expect("mock banner");
    let url = line.trim().rsplit(' ').next().expect("url").to_string();
    let cfg = host_test::config(&url, sfbulk_mock::PEER_SESSION_TOKEN);
    let dir = std::env::temp_dir().join(format!("sfbulk-jobs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    if mode == Mode::Load {
        write_input(&dir.join("input.csv"), rows);
    }
    let network = Network::from_env().expect("network");

    // Compile (or load from the cache) and warm up: one job, untimed.
    let _ = Runtime::shared();
    job(mode, network.clone(), cfg.clone(), dir.clone(), 0).await;
    let peak = Peak::start();
    let kind = if mode == Mode::Query { "query" } else { "load" };
    println!(
        "{kind} of {rows} rows a job, one engine, one network, each job its own instance and tokio task"
    );
    println!();
    println!(
        "| jobs at once | wall s | rows/s | RSS before MB | peak RSS MB | growth MB | growth per job MB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for n in rounds {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss_kb() as f64 / 1024.0;
        peak.reset();
        let start = Instant::now();
        let tasks: Vec<_> = (1..=n)
            .map(|i| tokio::spawn(job(mode, network.clone(), cfg.clone(), dir.clone(), i)))
            .collect();
        let mut moved = 0u64;
        for task in tasks {
            moved += task.await.expect("a job task");
        }
        let wall = start.elapsed().as_secs_f64();
        assert_eq!(moved, (rows * n) as u64, "every row of every job");
        let top = peak.mb();
        println!(
            "| {n} | {wall:.2} | {:.0} | {before:.1} | {top:.1} | {:.1} | {:.2} |",
            moved as f64 / wall,
            top - before,
            (top - before) / n as f64
        );
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
