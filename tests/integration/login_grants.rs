//! The logins through the real component against the mock: the JWT bearer and
//! client-credentials grants run first (no access token, no api-url), run again when the
//! session expires in the middle of a job (counted by the mock per grant type, every record
//! stored once), and a refused grant is the `auth` error with nothing else sent.

use sfbulk_mock::{FaultKind, JWT_BEARER, Route};

use crate::common::*;

pub const APP_KEY: &str = include_str!("../fixtures/login/app-key-pkcs8.pem");
pub const APP_KEY_PKCS1: &str = include_str!("../fixtures/login/app-key-pkcs1.pem");
pub const APP_PUBLIC: &str = include_str!("../fixtures/login/app-key-public.pem");
pub const USER: &str = "loader@example.com";
pub const CLIENT_ID: &str = "mock-client-id";
pub const SECRET: &str = "mock-client-secret";

const RECORDS: usize = 2_500;

/// A mock whose connected app accepts the test app key for [`USER`].
pub fn jwt_mock() -> MockServer {
    let mock = mock();
    mock.register_jwt_key(APP_PUBLIC, &[USER]);
    mock
}

fn jwt(mock: &MockServer) -> Config {
    host_test::jwt_config(&mock.url(), CLIENT_ID, USER, APP_KEY)
}

fn client_credentials(mock: &MockServer) -> Config {
    host_test::client_credentials_config(&mock.url(), CLIENT_ID, SECRET)
}

fn contacts() -> Vec<u8> {
    let mut s = String::from("LastName,Email\n");
    for i in 1..=RECORDS {
        s.push_str(&format!("Person {i},p{i}@example.com\n"));
    }
    s.into_bytes()
}

/// A whole load of [`RECORDS`] contacts in batches of 1,000 with `cfg`; `midway` runs once
/// the job exists and its first batch is sent. Returns each row's `sf__Success`.
async fn load(cfg: &Config, midway: impl FnOnce(&str)) -> Result<Vec<String>, Error> {
    let mut inst = instance().await;
    let input = contacts();
    let split = SplitOptions {
        max_records: Some(1_000),
        max_bytes: None,
    };
    let req = job_request(Operation::Insert, "Contact", None);
    let load = inst
        .start_csv_load(cfg, &req, Some(&split))
        .await
        .unwrap()?;
    let job = inst.load_job_id(&load).await.unwrap();
    let (first, rest) = input.split_at(input.len() / 3);
    let mut refs = inst.load_write(&load, first).await.unwrap()?;
    midway(&job);
    refs.extend(inst.load_write(&load, rest).await.unwrap()?);
    refs.extend(inst.load_finish(&load).await.unwrap()?);
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    let wait = WaitOptions {
        first_interval_ms: Some(20),
        max_interval_ms: Some(200),
        timeout_ms: Some(30_000),
    };
    inst.wait_for_batches(cfg, &job, &ids, Some(&wait))
        .await
        .unwrap()?;
    let join = inst.open_result_join(cfg, &job, &refs).await.unwrap()?;
    let mut out = inst.join_push(&join, &input).await.unwrap()?;
    out.extend(inst.join_finish(&join).await.unwrap()?);
    let mut rdr = csv::Reader::from_reader(out.as_slice());
    Ok(rdr.records().map(|r| r.unwrap()[3].to_string()).collect())
}

/// The load's checks: every row succeeded and was stored once; the first minted token
/// expired midway, so the mock saw two grants of `grant_type` and nothing else (the batches
/// in flight with the expired token are each refused once, and share the one renewal).
fn assert_renewed_midway(mock: &MockServer, rows: &[String], grant_type: &str) {
    assert_eq!(rows.len(), RECORDS);
    assert!(rows.iter().all(|s| s == "true"), "every row loaded");
    assert_eq!(
        mock.record_count("Contact"),
        RECORDS,
        "none lost or doubled"
    );
    let counters = mock.counters();
    assert_eq!(counters.batches_stored(), 3, "each batch stored once");
    let refused = counters.fired(FaultKind::ExpiredSession);
    assert!((1..=3).contains(&refused), "refused {refused} requests");
    assert_eq!(
        counters.token_grants_of(grant_type),
        2,
        "one login, one renewal"
    );
    assert_eq!(counters.token_grants(), 2, "no other grant");
    assert_eq!(counters.token_refusals(), 0);
    assert_eq!(mock.issued_access_tokens(), ["00DMOCK!1", "00DMOCK!2"]);
    // After the renewal every request carries the second token, but for batches sent with
    // the first one before the renewal that arrive after it (another connection): those are
    // among the refused.
    let log = mock.requests();
    let renewal = log
        .iter()
        .rposition(|r| r.path == "/services/oauth2/token")
        .unwrap();
    let late: Vec<_> = log[renewal + 1..]
        .iter()
        .filter(|r| r.header("x-sfdc-session") != Some("00DMOCK!2"))
        .collect();
    assert!(
        late.len() < refused && late.iter().all(|r| r.path.ends_with("/batch")),
        "the new session is used from then on: {:?}",
        late.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_login_loads_a_whole_job_and_logs_in_again_when_the_session_expires_midway() {
    let mock = jwt_mock();
    let cfg = jwt(&mock);
    let rows = load(&cfg, |_| mock.expire_access_token("00DMOCK!1"))
        .await
        .unwrap_or_else(|e| panic!("JWT load: {e:?}"));
    assert_renewed_midway(&mock, &rows, JWT_BEARER);
    let first = &mock.requests()[0];
    assert_eq!(
        first.path, "/services/oauth2/token",
        "the login comes first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_login_loads_a_whole_job_and_logs_in_again_when_the_session_expires_midway()
 {
    let mock = mock();
    let cfg = client_credentials(&mock);
    let rows = load(&cfg, |_| mock.expire_access_token("00DMOCK!1"))
        .await
        .unwrap_or_else(|e| panic!("client-credentials load: {e:?}"));
    assert_renewed_midway(&mock, &rows, "client_credentials");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pkcs1_key_logs_in_too_and_the_session_is_kept_for_the_next_calls() {
    let mock = jwt_mock();
    let cfg = host_test::jwt_config(&mock.url(), CLIENT_ID, USER, APP_KEY_PKCS1);
    let mut inst = instance().await;
    let base = ok(inst.init(&cfg).await);
    assert_eq!(base, format!("{}/services/async/59.0", mock.url()));
    let job = ok(inst
        .create_job(
            &cfg,
            &job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        )
        .await);
    ok(inst.get_job(&cfg, &job.id).await);
    assert_eq!(mock.counters().token_grants_of(JWT_BEARER), 1, "one login");
    let session = inst.get_session(&cfg).await.unwrap().expect("a session");
    assert_eq!(session.instance_url, mock.url());
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_logins_are_the_auth_error_with_the_oauth_code_and_nothing_else_is_sent() {
    let mock = jwt_mock();
    let stranger = host_test::jwt_config(&mock.url(), CLIENT_ID, "stranger@example.com", APP_KEY);
    let wrong_app = host_test::jwt_config(&mock.url(), "another-app", USER, APP_KEY);
    let wrong_secret = host_test::client_credentials_config(&mock.url(), CLIENT_ID, "nope");
    let cases = [
        (stranger, "invalid_grant"),
        (wrong_app, "invalid_client_id"),
        (wrong_secret, "invalid_client"),
    ];
    for (cfg, code) in &cases {
        let mut inst = instance().await;
        let e = err(inst
            .create_job(
                cfg,
                &job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
            )
            .await);
        assert_eq!(e.kind, ErrorKind::Auth, "expected auth {code}, got {e:?}");
        assert_eq!(e.code.as_deref(), Some(*code));
    }
    let counters = mock.counters();
    assert_eq!(counters.token_refusals(), cases.len());
    assert_eq!(
        counters.served("POST", Route::Jobs),
        0,
        "no job request sent"
    );
    assert_eq!(mock.request_count(), cases.len(), "only the token requests");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_without_a_my_domain_and_bad_keys_are_invalid_input_before_sending() {
    let mock = jwt_mock();
    let mut no_domain = client_credentials(&mock);
    no_domain.token_endpoint_hostname = None;
    let mut public_key = jwt(&mock);
    public_key.jwt_private_key = Some(APP_PUBLIC.into());
    let mut inst = instance().await;
    for cfg in [&no_domain, &public_key] {
        let e = err(inst.init(cfg).await);
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(!e.message.contains("MII"), "no key text in {}", e.message);
    }
    assert_eq!(mock.request_count(), 0);
}
