//! The command line's logins (run in-process, hermetic: only the variables each test names):
//! `--jwt-key-file`, client credentials and `--target-org` with a stand-in `sf` on the
//! `PATH` (and without one, and one that fails); the credential precedence; no key, secret,
//! assertion or token in any output.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sfbulk_cli as cli;
use sfbulk_mock::{JWT_BEARER, Route};

use super::login_grants::{APP_KEY, CLIENT_ID, SECRET, USER, jwt_mock};
use crate::common::*;

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sfbulk-login-test-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `sfbulk args…` with exactly `env` plus a session cache folder of its own.
fn run(env: cli::Env, args: &[&str]) -> Run {
    let cache = TempDir::new("cache");
    let env = env.with("SFBULK_CACHE_DIR", cache.path());
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, &env, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

const CREATE_JOB: [&str; 7] = [
    "create-job",
    "--operation",
    "insert",
    "--object",
    "Contact",
    "--content-type",
    "CSV",
];

fn with(first: &[&str], then: &[&str]) -> Vec<String> {
    first.iter().chain(then).map(|s| s.to_string()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Asserts that none of the secrets shows in the run's output.
#[track_caller]
fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret:?} shown: {} / {}",
            run.stdout,
            run.stderr
        );
    }
}

/// A line of the key's base64 (what a leaked key would show).
fn key_line() -> &'static str {
    APP_KEY.lines().nth(3).unwrap()
}

/// A stand-in `sf`: records its arguments in `args.txt` beside it, prints `stdout` and
/// exits with `code`.
fn stand_in_sf(dir: &Path, stdout: &str, code: i32) {
    let script = dir.join("sf");
    let out = dir.join("out.json");
    std::fs::write(&out, stdout).unwrap();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" > '{}'\nwhile IFS= read -r line || [ -n \"$line\" ]; do printf '%s\\n' \"$line\"; done < '{}'\nexit {code}\n",
            dir.join("args.txt").display(),
            out.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn jwt_key_file_logs_in_without_an_access_token_or_api_url_and_shows_no_secret() {
    let mock = jwt_mock();
    let dir = TempDir::new("jwt");
    let key = dir.path().join("server.key");
    std::fs::write(&key, APP_KEY).unwrap();
    let url = mock.url();
    let env = cli::Env::empty()
        .with("SF_JWT_KEY_FILE", &key)
        .with("SF_USERNAME", USER);
    let args = with(
        &["--client-id", CLIENT_ID, "--token-endpoint", &url],
        &CREATE_JOB,
    );
    let created = run(env, &strs(&args));
    assert_eq!(created.code, 0, "{}", created.stderr);
    let job: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    assert_eq!(job["state"], "Open");
    let counters = mock.counters();
    assert_eq!(counters.token_grants_of(JWT_BEARER), 1);
    let assertion = mock.requests()[0].body.clone();
    let assertion = String::from_utf8_lossy(&assertion);
    let signature = assertion.rsplit('.').next().unwrap();
    assert_no_secret(&created, &[key_line(), signature, "00DMOCK!1"]);

    // A refused login: exit 1, the OAuth code on stderr, nothing else sent.
    mock.clear_requests();
    let stranger = cli::Env::empty()
        .with("SF_JWT_KEY_FILE", &key)
        .with("SF_USERNAME", "stranger@example.com");
    let refused = run(stranger, &strs(&args));
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr,
        "create-job: token request refused: invalid_grant: user hasn't approved this consumer\n"
    );
    assert_eq!(mock.request_count(), 1, "only the token request");

    // A key file that is not there: exit 2, before anything is sent.
    let missing = run(
        cli::Env::empty()
            .with("SF_JWT_KEY_FILE", dir.path().join("nope.key"))
            .with("SF_USERNAME", USER),
        &strs(&args),
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .starts_with("create-job: cannot read --jwt-key-file "),
        "{}",
        missing.stderr
    );
    assert_eq!(mock.request_count(), 1);
}

#[test]
fn client_credentials_log_in_at_the_my_domain_and_need_one() {
    let mock = mock();
    let url = mock.url();
    let args = with(
        &[
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            SECRET,
            "--token-endpoint",
            &url,
        ],
        &CREATE_JOB,
    );
    let created = run(cli::Env::empty(), &strs(&args));
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(mock.counters().token_grants_of("client_credentials"), 1);
    assert_no_secret(&created, &[SECRET, "00DMOCK!1"]);

    let no_domain = run(
        cli::Env::empty()
            .with("SF_CLIENT_ID", CLIENT_ID)
            .with("SF_CLIENT_SECRET", SECRET),
        &CREATE_JOB,
    );
    assert_eq!(no_domain.code, 2);
    assert!(
        no_domain.stderr.contains("needs your org's My Domain"),
        "{}",
        no_domain.stderr
    );
    assert_no_secret(&no_domain, &[SECRET]);

    let wrong = run(
        cli::Env::empty(),
        &strs(&with(
            &[
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                "wrong-secret",
                "--token-endpoint",
                &url,
            ],
            &CREATE_JOB,
        )),
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong
            .stderr
            .contains("token request refused: invalid_client:"),
        "{}",
        wrong.stderr
    );
    assert_eq!(
        mock.counters().served("POST", Route::Jobs),
        1,
        "only the first job"
    );
}

#[test]
fn target_org_takes_the_session_from_a_stand_in_sf_on_the_path() {
    let mock = mock();
    let bin = TempDir::new("sf");
    let display = serde_json::json!({
        "status": 0,
        "result": {
            "id": "00D000000000001AAA",
            "accessToken": token(),
            "instanceUrl": mock.url(),
            "username": USER,
            "alias": "my-org",
        },
        "warnings": [],
    });
    stand_in_sf(bin.path(), &display.to_string(), 0);
    let env = || cli::Env::empty().with("PATH", bin.path());
    let created = run(
        env(),
        &strs(&with(&["--target-org", "my-org"], &CREATE_JOB)),
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let args = std::fs::read_to_string(bin.path().join("args.txt")).unwrap();
    assert_eq!(args.trim(), "org display --target-org my-org --json");
    let log = mock.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].header("x-sfdc-session"), Some(token().as_str()));
    assert_no_secret(&created, &[&token()]);

    // From the variable too; an access token given wins and `sf` is not run.
    std::fs::remove_file(bin.path().join("args.txt")).unwrap();
    let url = mock.url();
    let first = run(
        env().with("SF_TARGET_ORG", "my-org"),
        &strs(&with(
            &["--access-token", &token(), "--api-url", &url],
            &CREATE_JOB,
        )),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!bin.path().join("args.txt").exists(), "sf was not run");
}

#[test]
fn target_org_without_sf_or_with_a_failing_sf_says_so() {
    let mock = mock();
    let empty = TempDir::new("no-sf");
    let missing = run(
        cli::Env::empty().with("PATH", empty.path()),
        &strs(&with(&["--target-org", "my-org"], &CREATE_JOB)),
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .starts_with("create-job: Salesforce CLI (sf) not found"),
        "{}",
        missing.stderr
    );
    let no_path = run(
        cli::Env::empty().with("SF_TARGET_ORG", "my-org"),
        &CREATE_JOB,
    );
    assert_eq!(no_path.code, 2, "{}", no_path.stderr);

    let bin = TempDir::new("sf-fails");
    let error = serde_json::json!({
        "status": 1,
        "name": "NamedOrgNotFoundError",
        "message": "No authorization information found for nope.",
        "exitCode": 1,
        "context": "OrgDisplayCommand",
    });
    stand_in_sf(bin.path(), &error.to_string(), 1);
    let failed = run(
        cli::Env::empty().with("PATH", bin.path()),
        &strs(&with(&["--target-org", "nope"], &CREATE_JOB)),
    );
    assert_eq!(failed.code, 1);
    assert_eq!(
        failed.stderr,
        "create-job: --target-org nope: NamedOrgNotFoundError: No authorization information found for nope.\n"
    );
    // A login without a token: `sf` answers, but not with a session.
    stand_in_sf(bin.path(), r#"{"status":0,"result":{"username":"x"}}"#, 0);
    let empty_result = run(
        cli::Env::empty().with("PATH", bin.path()),
        &strs(&with(&["--target-org", "nope"], &CREATE_JOB)),
    );
    assert_eq!(empty_result.code, 1);
    assert!(
        empty_result.stderr.contains("gave no accessToken"),
        "{}",
        empty_result.stderr
    );
    assert_eq!(mock.request_count(), 0, "nothing sent");
}

#[test]
fn the_first_matching_credentials_win() {
    let mock = jwt_mock();
    let dir = TempDir::new("precedence");
    let key = dir.path().join("server.key");
    std::fs::write(&key, APP_KEY).unwrap();
    let url = mock.url();
    // A JWT key, username, client id and secret: the JWT login, not client credentials.
    let both = run(
        cli::Env::empty()
            .with("SF_JWT_KEY_FILE", &key)
            .with("SF_USERNAME", USER)
            .with("SF_CLIENT_ID", CLIENT_ID)
            .with("SF_CLIENT_SECRET", SECRET)
            .with("SF_TOKEN_ENDPOINT", &url),
        &CREATE_JOB,
    );
    assert_eq!(both.code, 0, "{}", both.stderr);
    let counters = mock.counters();
    assert_eq!(counters.token_grants_of(JWT_BEARER), 1);
    assert_eq!(counters.token_grants_of("client_credentials"), 0);
    // An access token with a JWT key: the token, no login at all.
    let token_first = run(
        cli::Env::empty()
            .with("SF_JWT_KEY_FILE", &key)
            .with("SF_USERNAME", USER)
            .with("SF_CLIENT_ID", CLIENT_ID)
            .with("SF_TOKEN_ENDPOINT", &url)
            .with("SF_ACCESS_TOKEN", token())
            .with("SF_API_URL", &url),
        &CREATE_JOB,
    );
    assert_eq!(token_first.code, 0, "{}", token_first.stderr);
    assert_eq!(mock.counters().token_grants(), 1, "no second login");
    // A key without a username: said so.
    let half = run(
        cli::Env::empty()
            .with("SF_JWT_KEY_FILE", &key)
            .with("SF_CLIENT_ID", CLIENT_ID),
        &CREATE_JOB,
    );
    assert_eq!(half.code, 2);
    assert!(
        half.stderr.contains("--jwt-key-file needs --username"),
        "{}",
        half.stderr
    );
}
