//! The peers' own Bulk API 2.0 clients (simple-salesforce `bulk2`, jsforce `bulk2`) against
//! the mock: `tools/peers/run_v2.sh` installs their pinned versions and runs each scenario;
//! every one must pass. Without python3, node or npm the test is skipped with a message,
//! except under CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sfbulk_mock::{MockConfig, MockServer, Route};

const SCENARIOS: [&str; 6] = [
    "simple-salesforce-ingest-failed-row",
    "simple-salesforce-upsert",
    "simple-salesforce-delete",
    "simple-salesforce-query-multipage",
    "jsforce-ingest-failed-row",
    "jsforce-query-onepage",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("mock/ is inside the repository")
        .to_path_buf()
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_peers_bulk2_clients_complete_against_the_mock() {
    let missing: Vec<&str> = ["bash", "python3", "node", "npm"]
        .into_iter()
        .filter(|p| !runs(p))
        .collect();
    if !missing.is_empty() {
        let why = format!("{} not installed on this machine", missing.join(", "));
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run the peers' Bulk 2.0 clients, but {why}"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_peers_bulk2_clients_complete_against_the_mock: {why}"
        );
        return;
    }
    let mock = MockServer::start(MockConfig {
        processing_delay: Duration::from_millis(20),
        ..MockConfig::standalone()
    });
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peers-v2");
    let out = Command::new("bash")
        .arg(repo().join("tools/peers/run_v2.sh"))
        .arg(mock.url())
        .arg(&work)
        .output()
        .expect("run tools/peers/run_v2.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for scenario in SCENARIOS {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("PASS {scenario}:"))),
            "{scenario} did not pass:\n{report}"
        );
    }
    assert!(
        stdout.lines().any(|l| l == "6 passed, 0 failed"),
        "{report}"
    );
    assert!(stdout.contains("jsforce#1546"), "{report}");
    assert!(out.status.success(), "{report}");
    // The scenarios went through the 2.0 endpoints of this mock.
    let counters = mock.counters();
    assert!(counters.v2_uploads_stored() >= 6, "{counters:?}");
    assert!(
        counters.served("GET", Route::QueryResults) >= 6,
        "{counters:?}"
    );
    assert!(
        counters.served("GET", Route::FailedResults) >= 2,
        "{counters:?}"
    );
}
