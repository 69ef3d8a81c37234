//! Helpers of the command-line tests of whole jobs (`cli_*`, `v2_*`): hermetic in-process
//! runs of `sfbulk` (as `cli.rs` does: exactly the environment given, a session cache
//! folder of its own), temporary folders, and what a run left on the mock.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sfbulk_cli as cli;
use sfbulk_mock::MockServer;

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sfbulk-jobs-test-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `name` inside the folder, as a string (for arguments).
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    /// The names of the files in the folder, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not json ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.stdout),
                self.stderr
            )
        })
    }

    /// Asserts the exit code, showing stderr otherwise.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            code,
            "exit code; stderr: {}\nstdout: {}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }
}

/// Runs `sfbulk args…` in-process with exactly the environment `env`.
pub fn run_in(env: &cli::Env, args: &[&str]) -> Run {
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, env, &mut out, &mut err);
    Run {
        code,
        stdout: out,
        stderr: String::from_utf8(err).unwrap(),
    }
}

/// Runs `sfbulk args… --api-url <mock> --access-token <token>` with no environment but a
/// session cache folder and a temporary folder of its own.
pub fn sfbulk(mock: &MockServer, args: &[&str]) -> Run {
    let cache = TempDir::new("cache");
    let tmp = TempDir::new("tmp");
    let env = cli::Env::empty()
        .with("SFBULK_CACHE_DIR", cache.path())
        .with("TMPDIR", tmp.path());
    let url = mock.url();
    let token = crate::common::token();
    let mut all = args.to_vec();
    all.extend(["--api-url", &url, "--access-token", &token]);
    run_in(&env, &all)
}

/// The arguments `load --operation insert --object Account --file FILE`, then `extra`.
pub fn insert_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "load",
        "--operation",
        "insert",
        "--object",
        "Account",
        "--file",
        file,
    ];
    args.extend_from_slice(extra);
    args
}

/// `sfbulk load --operation insert --object Account --file FILE`, then `extra`.
pub fn insert_accounts(mock: &MockServer, file: &str, extra: &[&str]) -> Run {
    sfbulk(mock, &insert_args(file, extra))
}

/// Runs a command that must succeed; its stdout as JSON.
#[track_caller]
pub fn ok_json(mock: &MockServer, args: &[&str]) -> serde_json::Value {
    let run = sfbulk(mock, args);
    run.expect(0);
    run.json()
}

/// The job ids (15 or 18 characters after `/job/` or `/jobs/ingest|query/`) the requests
/// since `from` touched, in order of first appearance.
pub fn jobs_touched(mock: &MockServer, from: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &mock.requests()[from..] {
        let path = r.path.split('?').next().unwrap_or("");
        let parts: Vec<&str> = path.split('/').collect();
        for w in parts.windows(2) {
            if matches!(w[0], "job" | "ingest" | "query")
                && (w[1].len() == 15 || w[1].len() == 18)
                && w[1].bytes().all(|b| b.is_ascii_alphanumeric())
                && !out.iter().any(|j| j == w[1])
            {
                out.push(w[1].to_string());
            }
        }
    }
    out
}

/// Waits (up to 10 s) until the mock has started `n` delayed replies (`delay_next`), then
/// calls `arm`. Run it on its own thread while the command runs. A request takes its faults
/// when it arrives, before its delay; so while the `n`th delayed request waits, a fault
/// armed now hits the request after it (a status fault, a reset), and state changed now
/// (an expired token) is seen by the delayed request itself once it is processed.
pub fn after_delays(mock: &MockServer, n: usize, arm: impl FnOnce(&MockServer)) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if mock.counters().fired(sfbulk_mock::FaultKind::Delay) >= n {
            arm(mock);
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the {n}th delayed reply never came");
}

/// Delays the next reply by 400 ms (to aim a fault with [`after_delays`]).
pub fn delay_one(mock: &MockServer) {
    mock.delay_next(1, Duration::from_millis(400));
}

/// A CSV of `n` accounts: `Name,Description` with quoted commas and a line break in every
/// 10th description; row `bad` (1-based), if any, has no Name (a per-record failure).
pub fn accounts(n: usize, bad: &[usize]) -> String {
    let mut s = String::from("Name,Description\n");
    for i in 1..=n {
        let name = if bad.contains(&i) {
            String::new()
        } else {
            format!("Acct {i}")
        };
        if i % 10 == 0 {
            s.push_str(&format!("{name},\"two\nlines, {i}\"\n"));
        } else {
            s.push_str(&format!("{name},\"d, {i}\"\n"));
        }
    }
    s
}

/// The rows of a CSV file (header first).
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}
