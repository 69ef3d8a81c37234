//! Scripted-replay tests of the logins: the JWT bearer and client-credentials grants (and the
//! refresh grant without an access token), each run first and run again when the session
//! expires mid-call; refused grants; the credential precedence; no secret in any `Debug`
//! or error.

use std::rc::Rc;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;

use super::scripted::{Reply, Script, Seen, WALL_ORIGIN_MS};
use super::*;
use crate::error::Error;
use crate::model::v2::JobState;
use crate::protocol::v2::JobKind;
use crate::protocol::{self, Login};

const KEY_PKCS8: &str = include_str!("../../tests/fixtures/login/app-key-pkcs8.pem");
const KEY_PKCS1: &str = include_str!("../../tests/fixtures/login/app-key-pkcs1.pem");
const KEY_PUBLIC: &str = include_str!("../../tests/fixtures/login/app-key-public.pem");
/// The assertion `openssl dgst -sha256 -sign` made for [`golden_claims`] (fixtures README).
const GOLDEN_ASSERTION: &str = include_str!("../../tests/fixtures/login/app-key-assertion.jwt");

const LOGIN_HOST: &str = "https://login.example.com";
const MY_DOMAIN: &str = "https://acme.my.salesforce.com";
const TOKEN_URL: &str = "https://login.example.com/services/oauth2/token";
const MY_DOMAIN_TOKEN_URL: &str = "https://acme.my.salesforce.com/services/oauth2/token";
const GRANTED: &str = "https://na2.example.com";
const BASE: &str = "https://na2.example.com/services/async/59.0";
const JOB: &str = "7500M0000000001QAA";
const NS: &str = "http://www.force.com/2009/06/asyncapi/dataload";
const CLIENT_ID: &str = "3MVG9-test-client";
const USER: &str = "loader@example.com";
const SECRET: &str = "cc-secret-value";

fn base() -> Config {
    Config {
        api_version: "59.0".into(),
        ..Config::default()
    }
}

fn jwt_config() -> Config {
    Config {
        token_endpoint_hostname: Some(LOGIN_HOST.into()),
        client_id: Some(CLIENT_ID.into()),
        username: Some(USER.into()),
        jwt_private_key: Some(KEY_PKCS8.into()),
        ..base()
    }
}

fn cc_config() -> Config {
    Config {
        token_endpoint_hostname: Some(MY_DOMAIN.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(SECRET.into()),
        ..base()
    }
}

fn client(cfg: &Config) -> (Rc<Script>, Client) {
    let script = Rc::new(Script::new());
    let settings = Settings::new(cfg).expect("valid config");
    let c = Client::new(settings, script.clone(), Rc::new(State::new()));
    (script, c)
}

fn grant(token: &str) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: format!(
            r#"{{"access_token":"{token}","instance_url":"{GRANTED}","id":"{GRANTED}/id/00D/005","token_type":"Bearer","scope":"api","issued_at":"{WALL_ORIGIN_MS}"}}"#
        )
        .into_bytes(),
    }
}

fn refused(status: u16, error: &str, description: &str) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", "application/json;charset=UTF-8".into())],
        body: format!(r#"{{"error":"{error}","error_description":"{description}"}}"#).into_bytes(),
    }
}

fn job_xml() -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("content-type", "application/xml".into())],
        body: format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS}"><id>{JOB}</id><operation>insert</operation><object>Account</object><state>Open</state><contentType>CSV</contentType></jobInfo>"#
        )
        .into_bytes(),
    }
}

fn expired() -> Reply {
    Reply::Full {
        status: 400,
        headers: vec![("content-type", "application/xml".into())],
        body: format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><error xmlns="{NS}"><exceptionCode>InvalidSessionId</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>"#
        )
        .into_bytes(),
    }
}

fn job_url() -> String {
    format!("{BASE}/job/{JOB}")
}

/// The form fields of a token request, in order.
fn form(seen: &Seen) -> Vec<(String, String)> {
    assert_eq!(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    form_urlencoded::parse(&seen.body).into_owned().collect()
}

/// The claims of an assertion whose RS256 signature the app's public key verifies.
fn verified_claims(assertion: &str) -> serde_json::Value {
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3, "header.claims.signature");
    let header = Base64UrlUnpadded::decode_vec(parts[0]).unwrap();
    assert_eq!(header, br#"{"alg":"RS256"}"#);
    let signature = Base64UrlUnpadded::decode_vec(parts[2]).unwrap();
    let key = VerifyingKey::<Sha256>::from_public_key_pem(KEY_PUBLIC).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    key.verify(
        signed.as_bytes(),
        &Signature::try_from(signature.as_slice()).unwrap(),
    )
    .expect("the signature verifies with the app's public key");
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap()
}

/// Checks a JWT bearer token request made at `now_ms`: the grant type, and an assertion
/// for the app and user at the token host, expiring within three minutes.
fn assert_jwt_request(seen: &Seen, aud: &str, now_ms: u64) {
    let fields = form(seen);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["grant_type", "assertion"], "nothing else is sent");
    assert_eq!(fields[0].1, "urn:ietf:params:oauth:grant-type:jwt-bearer");
    let claims = verified_claims(&fields[1].1);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], USER);
    assert_eq!(claims["aud"], aud);
    let exp = claims["exp"].as_u64().expect("exp is a number");
    let now = now_ms / 1000;
    assert!(
        exp > now && exp <= now + 180,
        "exp {exp} within 3 min of {now}"
    );
}

fn golden_claims() -> protocol::jwt::Claims<'static> {
    protocol::jwt::Claims {
        iss: CLIENT_ID,
        sub: USER,
        aud: "https://login.salesforce.com",
        exp: 1_767_225_720,
    }
}

#[test]
fn the_assertion_is_byte_for_byte_what_openssl_signs_for_a_pkcs8_or_pkcs1_key() {
    for pem in [KEY_PKCS8, KEY_PKCS1] {
        let key = protocol::JwtKey::from_pem(pem).unwrap();
        let assertion = protocol::jwt::assertion(&key, &golden_claims()).unwrap();
        assert_eq!(assertion, GOLDEN_ASSERTION.trim());
    }
    assert_eq!(
        protocol::JwtKey::from_pem(KEY_PKCS8).unwrap(),
        protocol::JwtKey::from_pem(KEY_PKCS1).unwrap(),
        "the same key in both encodings"
    );
}

#[test]
fn jwt_login_runs_first_and_the_calls_use_the_granted_instance() {
    let mut cfg = jwt_config();
    // Optional, and replaced by the grant's instance_url.
    cfg.api_url = "https://na1.example.com".into();
    let (script, c) = client(&cfg);
    script.expect("POST", TOKEN_URL, grant("00D!jwt-1"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    let seen = script.seen();
    assert_jwt_request(&seen[0], LOGIN_HOST, WALL_ORIGIN_MS);
    assert_eq!(seen[1].headers["x-sfdc-session"], "00D!jwt-1");

    // The session is kept: no second login for the next call.
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    assert_eq!(c.session().unwrap().0, "00D!jwt-1");
}

#[test]
fn jwt_login_runs_again_when_the_session_expires_mid_call_and_the_request_is_replayed() {
    let (script, c) = client(&jwt_config());
    script.expect("POST", TOKEN_URL, grant("00D!jwt-1"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();

    script.advance(Duration::from_secs(3600));
    script.expect("GET", job_url(), expired());
    script.expect("POST", TOKEN_URL, grant("00D!jwt-2"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    let seen = script.seen();
    assert_eq!(seen.len(), 5);
    // A new assertion, dated now (an hour later), not the first one again.
    assert_jwt_request(&seen[3], LOGIN_HOST, WALL_ORIGIN_MS + 3_600_000);
    assert_ne!(form(&seen[0])[1].1, form(&seen[3])[1].1);
    assert_eq!(seen[4].headers["x-sfdc-session"], "00D!jwt-2");
}

#[test]
fn jwt_login_renews_a_bulk_2_session_on_401() {
    let (script, c) = client(&jwt_config());
    let jobs = "https://na2.example.com/services/data/v59.0/jobs";
    script.expect("POST", TOKEN_URL, grant("00D!jwt-1"));
    script.expect(
        "GET",
        format!("{jobs}/ingest/{JOB}"),
        Reply::Full {
            status: 401,
            headers: vec![("content-type", "application/json".into())],
            body: br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
                .to_vec(),
        },
    );
    script.expect("POST", TOKEN_URL, grant("00D!jwt-2"));
    script.expect(
        "GET",
        format!("{jobs}/ingest/{JOB}"),
        Reply::Full {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: format!(
                r#"{{"id":"{JOB}","operation":"insert","object":"Account","state":"JobComplete","apiVersion":59.0}}"#
            )
            .into_bytes(),
        },
    );
    let job = c.get_job_v2(JobKind::Ingest, JOB).unwrap();
    assert_eq!(job.state, Some(JobState::JobComplete));
    assert_eq!(
        script.seen()[3].headers["authorization"],
        "Bearer 00D!jwt-2"
    );
}

#[test]
fn client_credentials_login_sends_the_id_and_secret_to_my_domain_and_runs_again_on_expiry() {
    let (script, c) = client(&cc_config());
    script.expect("POST", MY_DOMAIN_TOKEN_URL, grant("00D!cc-1"));
    script.expect("GET", job_url(), job_xml());
    script.expect("GET", job_url(), expired());
    script.expect("POST", MY_DOMAIN_TOKEN_URL, grant("00D!cc-2"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    c.get_job(JOB).unwrap();
    let seen = script.seen();
    let expected = [
        ("grant_type".to_string(), "client_credentials".to_string()),
        ("client_id".to_string(), CLIENT_ID.to_string()),
        ("client_secret".to_string(), SECRET.to_string()),
    ];
    assert_eq!(form(&seen[0]), expected);
    assert_eq!(form(&seen[3]), expected);
    assert_eq!(seen[4].headers["x-sfdc-session"], "00D!cc-2");
}

#[test]
fn refresh_grant_runs_first_without_an_access_token() {
    let cfg = Config {
        token_endpoint_hostname: Some(LOGIN_HOST.into()),
        refresh_token: Some("refresh-secret".into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(SECRET.into()),
        ..base()
    };
    let (script, c) = client(&cfg);
    script.expect("POST", TOKEN_URL, grant("00D!refreshed"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    let fields = form(&script.seen()[0]);
    assert_eq!(fields[0], ("grant_type".into(), "refresh_token".into()));
}

#[test]
fn a_refused_first_login_is_the_auth_error_with_the_oauth_code_and_nothing_else_is_sent() {
    let cases = [
        (
            jwt_config(),
            TOKEN_URL,
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
        (
            jwt_config(),
            TOKEN_URL,
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            cc_config(),
            MY_DOMAIN_TOKEN_URL,
            "invalid_client",
            "invalid client credentials",
        ),
        (
            cc_config(),
            MY_DOMAIN_TOKEN_URL,
            "invalid_grant",
            "no client credentials user enabled",
        ),
    ];
    for (cfg, url, code, description) in cases {
        let (script, c) = client(&cfg);
        script.expect("POST", url, refused(400, code, description));
        match c.get_job(JOB) {
            Err(Error::Auth {
                error,
                description: d,
            }) => {
                assert_eq!((error.as_str(), d.as_str()), (code, description));
            }
            other => panic!("expected auth, got {other:?}"),
        }
        assert_eq!(script.seen().len(), 1, "only the token request");
        assert!(c.session().is_none(), "no session is made up");
    }
}

#[test]
fn a_refused_renewal_mid_call_is_the_auth_error_and_the_request_is_not_replayed() {
    let (script, c) = client(&jwt_config());
    script.expect("POST", TOKEN_URL, grant("00D!jwt-1"));
    script.expect("GET", job_url(), expired());
    script.expect(
        "POST",
        TOKEN_URL,
        refused(400, "invalid_grant", "invalid assertion"),
    );
    match c.get_job(JOB) {
        Err(Error::Auth { error, .. }) => assert_eq!(error, "invalid_grant"),
        other => panic!("expected auth, got {other:?}"),
    }
    assert_eq!(script.seen().len(), 3);
}

#[test]
fn a_session_older_than_the_interval_runs_the_jwt_login_again_before_the_call() {
    let mut cfg = jwt_config();
    cfg.interval_time = Some(60_000);
    let (script, c) = client(&cfg);
    script.expect("POST", TOKEN_URL, grant("00D!jwt-1"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
    script.advance(Duration::from_secs(61));
    script.expect("POST", TOKEN_URL, grant("00D!jwt-2"));
    script.expect("GET", job_url(), job_xml());
    c.get_job(JOB).unwrap();
}

#[test]
fn credentials_precedence_first_match_wins_and_the_rest_is_ignored() {
    let everything = Config {
        access_token: "00D!given".into(),
        api_url: "https://na1.example.com".into(),
        token_endpoint_hostname: Some(MY_DOMAIN.into()),
        refresh_token: Some("refresh-secret".into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(SECRET.into()),
        username: Some(USER.into()),
        jwt_private_key: Some(KEY_PKCS8.into()),
        ..base()
    };
    let kind = |cfg: &Config| {
        let s = Settings::new(cfg).unwrap();
        let login = match s.login {
            None => "none",
            Some(Login::Refresh(_)) => "refresh",
            Some(Login::JwtBearer(_)) => "jwt",
            Some(Login::ClientCredentials(_)) => "client-credentials",
        };
        (s.configured.is_some(), login)
    };
    // 1. An access token, renewed by the refresh credentials when all three are given.
    assert_eq!(kind(&everything), (true, "refresh"));
    let no_refresh = Config {
        refresh_token: None,
        ..everything.clone()
    };
    assert_eq!(kind(&no_refresh), (true, "none"), "not renewed by a JWT");
    // 2. Without an access token: the JWT bearer grant.
    let no_token = Config {
        access_token: String::new(),
        ..everything.clone()
    };
    assert_eq!(kind(&no_token), (false, "jwt"));
    // … which needs a username: then 3. the refresh grant first.
    let no_user = Config {
        username: None,
        ..no_token.clone()
    };
    assert_eq!(kind(&no_user), (false, "refresh"));
    // 4. A client id and secret alone: client credentials.
    let cc = Config {
        refresh_token: None,
        ..no_user.clone()
    };
    assert_eq!(kind(&cc), (false, "client-credentials"));
    // Nothing usable: refused before anything is sent.
    let none = Config {
        client_secret: None,
        ..cc.clone()
    };
    match Settings::new(&none) {
        Err(Error::InvalidInput(m)) => assert!(m.starts_with("access token is empty"), "{m}"),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[test]
fn client_credentials_need_a_my_domain_token_endpoint() {
    for host in [
        None,
        Some("https://login.salesforce.com"),
        Some("https://TEST.salesforce.com/"),
    ] {
        let cfg = Config {
            token_endpoint_hostname: host.map(str::to_string),
            ..cc_config()
        };
        match Settings::new(&cfg) {
            Err(Error::InvalidInput(m)) => assert!(m.contains("My Domain"), "{m}"),
            other => panic!("{host:?}: expected invalid input, got {other:?}"),
        }
    }
}

#[test]
fn a_bad_key_or_bad_url_is_refused_before_anything_is_sent() {
    let public = KEY_PUBLIC;
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let damaged = KEY_PKCS8.replacen("MII", "MIJ", 1);
    let cases: [(&str, &str); 5] = [
        (public, "is a PUBLIC KEY, not an RSA private key"),
        (encrypted, "is encrypted"),
        ("secret-looking garbage", "is not PEM text"),
        (&damaged, "PKCS#8 PEM but not a readable RSA private key"),
        (
            "-----BEGIN SECRET STUFF-----\nabc\n",
            "is not an RSA private key",
        ),
    ];
    for (pem, message) in cases {
        let cfg = Config {
            jwt_private_key: Some(pem.into()),
            ..jwt_config()
        };
        match Settings::new(&cfg) {
            Err(Error::InvalidInput(m)) => {
                assert!(m.contains(message), "{m}");
                assert!(!m.contains("MI") && !m.contains("garbage") && !m.contains("SECRET"));
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }
    let bad_url = Config {
        api_url: "http://example.com".into(),
        ..jwt_config()
    };
    assert!(matches!(
        Settings::new(&bad_url),
        Err(Error::InvalidInput(_))
    ));
    let bad_version = Config {
        api_version: "v59".into(),
        ..jwt_config()
    };
    assert!(matches!(
        Settings::new(&bad_version),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn jwt_sessions_are_kept_per_user() {
    let other = Config {
        username: Some("other@example.com".into()),
        ..jwt_config()
    };
    assert_ne!(
        Settings::new(&jwt_config()).unwrap().key,
        Settings::new(&other).unwrap().key
    );
}

#[test]
fn no_key_secret_or_assertion_in_any_debug_output() {
    let mut cfg = jwt_config();
    cfg.client_secret = Some(SECRET.into());
    cfg.refresh_token = Some("refresh-secret".into());
    cfg.access_token = String::new();
    let settings = Settings::new(&cfg).unwrap();
    let cc = Settings::new(&cc_config()).unwrap();
    let assertion = protocol::jwt::assertion(
        &protocol::JwtKey::from_pem(KEY_PKCS8).unwrap(),
        &golden_claims(),
    )
    .unwrap();
    let req = settings
        .login
        .as_ref()
        .unwrap()
        .token_request(WALL_ORIGIN_MS)
        .unwrap();
    let shown = format!(
        "{settings:?} {cc:?} {cfg:?} {:?} {:?}",
        req.headers(),
        req.uri()
    );
    let key_body: String = KEY_PKCS8.lines().nth(1).unwrap().chars().take(24).collect();
    for secret in [
        SECRET,
        "refresh-secret",
        key_body.as_str(),
        &assertion[assertion.len() - 40..],
    ] {
        assert!(!shown.contains(secret), "{secret:?} shown in {shown}");
    }
    assert!(shown.contains(USER) && shown.contains(CLIENT_ID));
}
