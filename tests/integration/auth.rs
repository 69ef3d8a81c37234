//! Sessions that never die: renewal on InvalidSessionId and by interval, typed refresh
//! failures, the CLI's session cache, and no secret in any output.

use crate::common::*;
use sfbulk_cli as cli;

const REFRESH: &str = "mock-refresh-token";
const CLIENT_ID: &str = "mock-client-id";
const SECRET: &str = "mock-client-secret";

/// A config with refresh credentials pointing at the mock's token endpoint.
fn refreshing(mock: &MockServer) -> Config {
    let mut c = cfg(mock);
    c.refresh_token = Some(REFRESH.into());
    c.client_id = Some(CLIENT_ID.into());
    c.client_secret = Some(SECRET.into());
    c.token_endpoint_hostname = Some(mock.url());
    c
}

fn paths(mock: &MockServer) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_session_one_token_request_then_one_replay_with_the_same_body() {
    let mock = mock();
    let cfg = refreshing(&mock);
    let mut inst = instance().await;
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        )
        .await);
    mock.expire_access_token(&token());
    mock.clear_requests();

    let body = "LastName\nCurie\n";
    let batch = ok(inst.add_batch(&cfg, &job.id, &csv(body)).await);
    assert_eq!(mock.token_requests(), 1);
    let log = mock.requests();
    let seen = paths(&mock);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].starts_with("POST ") && seen[0].ends_with("/batch"));
    assert_eq!(seen[1], "POST /services/oauth2/token");
    assert!(seen[2].starts_with("POST ") && seen[2].ends_with("/batch"));
    assert_eq!(
        log[0].body, log[2].body,
        "the replay carries the same bytes"
    );
    assert_eq!(log[0].header("x-sfdc-session"), Some(token().as_str()));
    let fresh = mock.issued_access_tokens()[0].clone();
    assert_eq!(log[2].header("x-sfdc-session"), Some(fresh.as_str()));
    assert_eq!(
        ok(inst.list_batches(&cfg, &job.id).await).len(),
        1,
        "no duplicate batch"
    );
    assert_eq!(batch.job_id, job.id);

    // The renewed session is kept: the next call uses it directly.
    mock.clear_requests();
    ok(inst.get_job(&cfg, &job.id).await);
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(mock.token_requests(), 1);
    let session = inst.get_session(&cfg).await.unwrap().expect("a session");
    assert_eq!(session.access_token, fresh);
    assert_eq!(session.instance_url, mock.url());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_invalid_session_after_renewal_is_session_expired() {
    let mock = mock();
    let cfg = refreshing(&mock);
    let mut inst = instance().await;
    mock.expire_access_token(&token());
    // The mock mints 00DMOCK!1 first: expire it before it is minted.
    mock.expire_access_token("00DMOCK!1");
    let e = err(inst.get_job(&cfg, "750000000000000AAA").await);
    assert!(e.kind == ErrorKind::SessionExpired, "{e:?}");
    assert_eq!(mock.token_requests(), 1, "exactly one token request");
    assert_eq!(mock.requests().len(), 3, "{:?}", paths(&mock));
}

#[tokio::test(flavor = "multi_thread")]
async fn interval_time_renews_before_the_next_call() {
    let mock = mock();
    let mut cfg = refreshing(&mock);
    // A minute: no test run is that slow between two calls, and no sleeping is needed to
    // pass it: the session's age is set instead.
    cfg.interval_time = Some(60_000);
    let mut inst = instance().await;
    ok(inst.init(&cfg).await);
    // Any reply will do (InvalidJob): what matters is which token it carried.
    let _ = inst.list_batches(&cfg, "750000000000000AAA").await.unwrap();
    assert_eq!(mock.token_requests(), 0, "token still fresh");
    // The same session, obtained two intervals ago.
    let mut session = inst.get_session(&cfg).await.unwrap().expect("a session");
    session.obtained_at_ms -= 120_000;
    ok(inst.set_session(&cfg, &session).await);
    mock.clear_requests();
    let _ = inst.get_job(&cfg, "750000000000000AAA").await.unwrap();
    assert_eq!(mock.token_requests(), 1, "renewed by interval");
    let log = mock.requests();
    assert_eq!(log[0].path, "/services/oauth2/token", "renewal comes first");
    assert_eq!(log[1].header("x-sfdc-session"), Some("00DMOCK!1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_failure_is_a_typed_auth_error_and_nothing_else_is_sent() {
    let mock = mock();
    let mut cfg = refreshing(&mock);
    cfg.refresh_token = Some("revoked-refresh-token".into());
    let mut inst = instance().await;
    mock.expire_access_token(&token());
    let e = err(inst.get_job(&cfg, "750000000000000AAA").await);
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("invalid_grant"));
    let seen = paths(&mock);
    assert_eq!(
        seen.len(),
        2,
        "the refused call and the token request only: {seen:?}"
    );
    assert_eq!(seen[1], "POST /services/oauth2/token");
    let text = format!("{e:?}");
    assert!(
        !text.contains("revoked-refresh-token") && !text.contains(SECRET),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_errors_never_trigger_a_refresh() {
    let mock = mock();
    let cfg = refreshing(&mock);
    let mut inst = instance().await;
    let e = err(inst.get_job(&cfg, "750000000000000AAA").await);
    assert_eq!(api_code(&e), "InvalidJob");
    assert_eq!(mock.token_requests(), 0);
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_shared_by_registry_path_and_can_be_seeded() {
    let mock = mock();
    let mut a = refreshing(&mock);
    a.registry_path = Some("connectors/SalesforceBulk".into());
    let mut inst = instance().await;
    mock.expire_access_token(&token());
    let e = err(inst.get_job(&a, "750000000000000AAA").await);
    assert_eq!(api_code(&e), "InvalidJob", "renewed, then replayed");
    assert_eq!(mock.token_requests(), 1);
    // Another call with the same key shares the renewed token.
    let same_key = a.clone();
    let _ = inst
        .list_batches(&same_key, "750000000000000AAA")
        .await
        .unwrap();
    assert_eq!(mock.token_requests(), 1);

    // A new instance seeded with the session uses it without a token request.
    let session = inst.get_session(&a).await.unwrap().expect("session");
    let mut other = instance().await;
    ok(other.set_session(&a, &session).await);
    let before = mock.requests().len();
    let e = err(other.get_job(&a, "750000000000000AAA").await);
    assert_eq!(api_code(&e), "InvalidJob", "the seeded token is accepted");
    assert_eq!(mock.token_requests(), 1);
    assert_eq!(
        mock.requests()[before].header("x-sfdc-session"),
        Some(session.access_token.as_str())
    );
}

struct Run {
    code: i32,
    out: String,
}

fn sfbulk(args: &[String]) -> Run {
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, &cli::Env::empty(), &mut out, &mut err);
    out.extend_from_slice(b"\n---stderr---\n");
    out.extend_from_slice(&err);
    Run {
        code,
        out: String::from_utf8_lossy(&out).into_owned(),
    }
}

#[test]
fn cli_runs_share_a_renewed_token_through_the_cache_and_print_no_secret() {
    let mock = mock();
    let cache = std::env::temp_dir().join(format!("sfbulk-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let base = |refresh: &str, registry: &str| -> Vec<String> {
        [
            "--api-url",
            &mock.url(),
            "--access-token",
            &token(),
            "--refresh-token",
            refresh,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            SECRET,
            "--token-endpoint",
            &mock.url(),
            "--registry-path",
            registry,
            "--cache-dir",
            cache.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let with = |mut v: Vec<String>, extra: &[&str]| {
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let mut outputs = Vec::new();

    let job = sfbulk(&with(
        base(REFRESH, "reg/a"),
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--content-type",
            "CSV",
        ],
    ));
    assert_eq!(job.code, 0, "{}", job.out);
    let job_id =
        serde_json::from_str::<serde_json::Value>(job.out.split("\n---stderr---").next().unwrap())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    outputs.push(job.out);

    // Run 1: the token is expired, the CLI renews it and caches the new one.
    mock.expire_access_token(&token());
    let run1 = sfbulk(&with(base(REFRESH, "reg/a"), &["get-job", &job_id]));
    assert_eq!(run1.code, 0, "{}", run1.out);
    assert_eq!(mock.token_requests(), 1);
    let file = cache.join("sessions.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "cache file mode {mode:o}");
    }
    outputs.push(run1.out);

    // Run 2, same registry path: reuses the cached token, no token request.
    let run2 = sfbulk(&with(base(REFRESH, "reg/a"), &["get-job", &job_id]));
    assert_eq!(run2.code, 0, "{}", run2.out);
    assert_eq!(
        mock.token_requests(),
        1,
        "the second run reused the cached token"
    );
    outputs.push(run2.out);

    // Failure paths: a revoked refresh token under another key, a Salesforce error.
    let bad = sfbulk(&with(base("revoked", "reg/b"), &["get-job", &job_id]));
    assert_eq!(bad.code, 1, "{}", bad.out);
    assert!(bad.out.contains("invalid_grant"), "{}", bad.out);
    outputs.push(bad.out);
    let invalid = sfbulk(&with(
        base(REFRESH, "reg/a"),
        &["get-job", "750000000000000AAA"],
    ));
    assert_eq!(invalid.code, 1);
    outputs.push(invalid.out);
    let usage = sfbulk(&with(base(REFRESH, "reg/a"), &["get-job", "../x"]));
    assert_eq!(usage.code, 2);
    outputs.push(usage.out);
    let help = sfbulk(&["--help".to_string()]);
    outputs.push(help.out);

    let mut secrets = vec![token(), REFRESH.to_string(), SECRET.to_string()];
    secrets.extend(mock.issued_access_tokens());
    for out in &outputs {
        for s in &secrets {
            assert!(!out.contains(s.as_str()), "secret {s:?} in output:\n{out}");
        }
    }
    let _ = std::fs::remove_dir_all(&cache);
}
