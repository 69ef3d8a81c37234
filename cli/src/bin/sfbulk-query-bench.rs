//! Memory and throughput of `sfbulk query` against the mock, next to curl downloading the
//! same result files. Run with
//! `cargo build --release -p sfbulk-cli --bins && target/release/sfbulk-query-bench [ROWS…]`
//! (default 100000 1000000).
//!
//! For each row count it starts `sfbulk mock-server` seeded with that many accounts
//! (100,000 rows per result file), runs `sfbulk query` as a child process and reads its
//! peak RSS and wall time from `wait4`, then downloads the same result files with
//! `curl` (plain, and `--compressed` like sfbulk's `Accept-Encoding: gzip`) for the ratio.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

struct Usage {
    wall_s: f64,
    max_rss_mb: f64,
    ok: bool,
}

/// Waits for `child` with `wait4`, returning its wall time and peak RSS.
fn wait_usage(mut child: Child, start: Instant) -> Usage {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data, written by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_s = start.elapsed().as_secs_f64();
    let _ = child.try_wait();
    Usage {
        wall_s,
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        ok: rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().expect("bin dir").join(name)
}

fn main() {
    let rows: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![100_000, 1_000_000]
        } else {
            args
        }
    };
    let sfbulk = sibling("sfbulk");
    let token = sfbulk_mock::PEER_SESSION_TOKEN;
    let dir = std::env::temp_dir().join(format!("sfbulk-qbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "| rows | sfbulk query wall (s) | rows/s | peak RSS (MB) | curl plain (s) | curl --compressed (s) | sfbulk / curl --compressed | output bytes |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in rows {
        let mut server = Command::new(&sfbulk)
            .args([
                "mock-server",
                "--port",
                "0",
                "--seed-accounts",
                &n.to_string(),
                "--result-file-rows",
                "100000",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the mock");
        let mut line = String::new();
        BufReader::new(server.stdout.take().expect("mock stdout"))
            .read_line(&mut line)
            .expect("mock banner");
        let url = line.trim().rsplit(' ').next().expect("url").to_string();
        let output = dir.join(format!("accounts-{n}.csv"));
        let start = Instant::now();
        let child = Command::new(&sfbulk)
            .args([
                "--api-url",
                &url,
                "--access-token",
                token,
                "query",
                "--soql",
                "SELECT Id, Name FROM Account",
                "--output",
            ])
            .arg(&output)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run sfbulk query");
        let q = wait_usage(child, start);
        assert!(q.ok, "sfbulk query failed for {n} rows");
        let bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
        let lines = count_lines(&output);
        assert_eq!(lines, n as u64 + 1, "header + {n} rows");
        let files = result_urls(&url, token, n);
        let plain = curl_all(&files, token, false, &dir);
        let gz = curl_all(&files, token, true, &dir);
        println!(
            "| {n} | {:.2} | {:.0} | {:.1} | {:.2} | {:.2} | {:.2} | {bytes} |",
            q.wall_s,
            n as f64 / q.wall_s,
            q.max_rss_mb,
            plain,
            gz,
            q.wall_s / gz
        );
        let _ = server.kill();
        let _ = server.wait();
        let _ = std::fs::remove_file(&output);
    }
}

fn count_lines(path: &Path) -> u64 {
    let f = std::fs::File::open(path).expect("output");
    BufReader::new(f).split(b'\n').count() as u64
}

/// Runs a second query job the same way and returns its result file URLs (for curl).
fn result_urls(url: &str, token: &str, rows: usize) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let cfg = host_test::config(url, token);
        let mut inst = host_test::Runtime::shared()
            .instantiate()
            .await
            .expect("instance");
        let job = inst
            .create_job(
                &cfg,
                &sfbulk_cli::whole_jobs::query_request("Account", false),
            )
            .await
            .expect("trap")
            .expect("create-job");
        let batch = inst
            .add_batch(
                &cfg,
                &job.id,
                &host_test::BatchContent::Query("SELECT Id, Name FROM Account".into()),
            )
            .await
            .expect("trap")
            .expect("add-batch");
        inst.wait_for_batches(&cfg, &job.id, &[], None)
            .await
            .expect("trap")
            .expect("wait");
        let ids = match inst
            .get_batch_results(&cfg, &job.id, &batch.id)
            .await
            .expect("trap")
            .expect("results")
        {
            host_test::BatchResults::Query(ids) => ids,
            host_test::BatchResults::Ingest(_) => Vec::new(),
        };
        assert_eq!(ids.len(), rows.div_ceil(100_000));
        ids.iter()
            .map(|r| {
                format!(
                    "{url}/services/async/59.0/job/{}/batch/{}/result/{r}",
                    job.id, batch.id
                )
            })
            .collect()
    })
}

/// Downloads every file with curl, one after another; returns the wall time.
fn curl_all(urls: &[String], token: &str, compressed: bool, dir: &Path) -> f64 {
    let start = Instant::now();
    for (i, u) in urls.iter().enumerate() {
        let out = dir.join(format!("curl-{i}"));
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "-o"])
            .arg(&out)
            .args(["-H", &format!("X-SFDC-Session: {token}")]);
        if compressed {
            cmd.arg("--compressed");
        }
        let status = cmd.arg(u).status().expect("run curl");
        assert!(status.success(), "curl {u}");
        let _ = std::fs::remove_file(out);
    }
    start.elapsed().as_secs_f64()
}
