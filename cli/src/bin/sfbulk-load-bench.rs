//! What `load`'s first pass (the whole file checked before anything is sent) costs next to
//! the load itself. Run with
//! `cargo build --release -p sfbulk-cli --bins && target/release/sfbulk-load-bench [ROWS…]`
//! (default 100000 1000000).
//!
//! For each row count it writes a CSV of accounts (quoted values, a comma and a line break
//! in every tenth), measures the CPU time of `validate::check_file` in this process (median
//! of 5, file in the page cache), then runs `sfbulk load` (Bulk API 1.0, then 2.0) as a
//! child process against `sfbulk mock-server` and reads its CPU time (user + system) from
//! `wait4`. The load's figure includes its own first pass.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sfbulk_cli::validate::{self, Rules};

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().expect("bin dir").join(name)
}

fn cpu(r: &libc::rusage) -> Duration {
    let t = |v: libc::timeval| Duration::new(v.tv_sec as u64, v.tv_usec as u32 * 1000);
    t(r.ru_utime) + t(r.ru_stime)
}

/// This process's CPU time so far.
fn self_cpu() -> Duration {
    // SAFETY: rusage is plain old data, written by getrusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu(&usage)
}

/// Waits for `child` with `wait4`: its CPU time, wall time and exit code.
fn wait_usage(mut child: Child, start: Instant) -> (Duration, f64, i32) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data, written by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    let _ = child.try_wait();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (cpu(&usage), wall, code)
}

fn write_accounts(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("input file"));
    writeln!(out, "Name,Description,Phone").unwrap();
    for i in 1..=n {
        if i % 10 == 0 {
            writeln!(out, "\"Acct {i}\",\"likes \"\"quotes\"\", commas,\nand lines\",555-{i:07}")
                .unwrap();
        } else {
            writeln!(out, "Acct {i},plain description {i},555-{i:07}").unwrap();
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
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
    let dir = std::env::temp_dir().join(format!("sfbulk-lbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "| API | rows | input bytes | first pass CPU (ms) | first pass MB/s | whole `load` CPU (ms) | first pass / load |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for n in rows {
        let input = dir.join(format!("accounts-{n}.csv"));
        write_accounts(&input, n);
        let bytes = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
        for api in ["1", "2"] {
            let rules = if api == "1" {
                Rules::bulk1()
            } else {
                Rules::bulk2(100_000_000)
            };
            let mut times = Vec::new();
            for _ in 0..5 {
                let before = self_cpu();
                let checked = validate::check_file(&input, rules).expect("a good file");
                times.push(self_cpu() - before);
                assert_eq!(checked.records, n as u64);
            }
            let pass = median(times);

            let mut server = Command::new(&sfbulk)
                .args(["mock-server", "--port", "0", "--seed-accounts", "0"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the mock");
            let mut line = String::new();
            BufReader::new(server.stdout.take().expect("mock stdout"))
                .read_line(&mut line)
                .expect("mock banner");
            let url = line.trim().rsplit(' ').next().expect("url").to_string();
            let results = dir.join("results.csv");
            let start = Instant::now();
            let child = Command::new(&sfbulk)
                .args(["--api-url", &url, "--access-token", token, "load", "--bulk-api", api])
                .args(["--operation", "insert", "--object", "Account", "--file"])
                .arg(&input)
                .arg("--results")
                .arg(&results)
                .stdout(Stdio::null())
                .spawn()
                .expect("run sfbulk load");
            let (load, _wall, code) = wait_usage(child, start);
            assert_eq!(code, 0, "sfbulk load --bulk-api {api} failed for {n} rows");
            let _ = server.kill();
            let _ = server.wait();
            println!(
                "| {api}.0 | {n} | {bytes} | {:.1} | {:.0} | {:.0} | {:.1} % |",
                pass.as_secs_f64() * 1e3,
                bytes as f64 / 1e6 / pass.as_secs_f64(),
                load.as_secs_f64() * 1e3,
                100.0 * pass.as_secs_f64() / load.as_secs_f64()
            );
            let _ = std::fs::remove_file(&results);
        }
        let _ = std::fs::remove_file(&input);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
