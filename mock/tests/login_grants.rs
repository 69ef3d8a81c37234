//! The token endpoint's logins: the JWT bearer grant (an RS256 assertion verified with the
//! registered key, and its claims) and client credentials, each granted and refused as
//! Salesforce does, and counted by grant type.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use sfbulk_mock::{JWT_BEARER, MockConfig, MockServer};
use sha2::Sha256;

const APP_KEY: &str = include_str!("../../tests/fixtures/login/app-key-pkcs8.pem");
const APP_PUBLIC: &str = include_str!("../../tests/fixtures/login/app-key-public.pem");
const OTHER_KEY: &str = include_str!("../../tests/fixtures/login/other-key-pkcs8.pem");
const USER: &str = "loader@example.com";

fn post(mock: &MockServer, form: &str) -> (u16, serde_json::Value) {
    let url = format!("{}/services/oauth2/token", mock.url());
    let resp = match ureq::post(&url)
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string(form)
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    (
        status,
        serde_json::from_str(&resp.into_string().unwrap()).unwrap(),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assertion(key_pem: &str, header: &str, claims: &serde_json::Value) -> String {
    let key = SigningKey::<Sha256>::new(rsa::RsaPrivateKey::from_pkcs8_pem(key_pem).unwrap());
    let signed = format!(
        "{}.{}",
        BASE64URL.encode(header),
        BASE64URL.encode(claims.to_string())
    );
    let signature = key.sign(signed.as_bytes()).to_vec();
    format!("{signed}.{}", BASE64URL.encode(signature))
}

fn claims(mock: &MockServer) -> serde_json::Value {
    serde_json::json!({
        "iss": MockConfig::default().client_id,
        "sub": USER,
        "aud": mock.url(),
        "exp": now_secs() + 120,
    })
}

fn jwt_form(assertion: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", JWT_BEARER)
        .append_pair("assertion", assertion)
        .finish()
}

#[test]
fn a_jwt_assertion_signed_with_the_registered_key_is_granted() {
    let mock = MockServer::start(MockConfig::default());
    mock.register_jwt_key(APP_PUBLIC, &[USER]);
    let header = r#"{"alg":"RS256"}"#;
    let (status, body) = post(
        &mock,
        &jwt_form(&assertion(APP_KEY, header, &claims(&mock))),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token"], "00DMOCK!1");
    assert_eq!(body["instance_url"], mock.url());
    assert!(body.get("refresh_token").is_none());
    // `exp` as a numeric string (Salesforce's own example) is read too.
    let mut c = claims(&mock);
    c["exp"] = serde_json::Value::String((now_secs() + 60).to_string());
    let (status, _) = post(&mock, &jwt_form(&assertion(APP_KEY, header, &c)));
    assert_eq!(status, 200);
    let counters = mock.counters();
    assert_eq!(counters.token_grants_of(JWT_BEARER), 2);
    assert_eq!(counters.token_grants_of("refresh_token"), 0);
    assert_eq!(counters.token_grants(), 2);
}

#[test]
fn jwt_assertions_are_refused_with_salesforce_s_codes() {
    let mock = MockServer::start(MockConfig::default());
    let header = r#"{"alg":"RS256"}"#;
    // No key registered for the app yet.
    let good = assertion(APP_KEY, header, &claims(&mock));
    let (status, body) = post(&mock, &jwt_form(&good));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    mock.register_jwt_key(APP_PUBLIC, &[USER]);
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims(&mock);
        edit(&mut c);
        assertion(APP_KEY, header, &c)
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            assertion(OTHER_KEY, header, &claims(&mock)),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            with(&|c| c["iss"] = "someone-else".into()),
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            with(&|c| c["aud"] = "https://login.salesforce.com".into()),
            "invalid_grant",
            "audience is invalid",
        ),
        (
            with(&|c| c["exp"] = (now_secs() - 10).into()),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            with(&|c| c["exp"] = (now_secs() + 3600).into()),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            with(&|c| c["sub"] = "stranger@example.com".into()),
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
        (
            assertion(APP_KEY, r#"{"alg":"none"}"#, &claims(&mock)),
            "invalid_grant",
            "invalid assertion",
        ),
        ("not.a.jwt".into(), "invalid_grant", "invalid assertion"),
        (String::new(), "invalid_grant", "invalid assertion"),
    ];
    for (assertion, error, description) in &cases {
        let (status, body) = post(&mock, &jwt_form(assertion));
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            (body["error"].as_str(), body["error_description"].as_str()),
            (Some(*error), Some(*description))
        );
    }
    let counters = mock.counters();
    assert_eq!(counters.token_refusals_of(JWT_BEARER), cases.len() + 1);
    assert_eq!(counters.token_grants(), 0);
    assert!(mock.issued_access_tokens().is_empty());
}

#[test]
fn client_credentials_are_granted_and_refused_with_salesforce_s_codes() {
    let mock = MockServer::start(MockConfig::default());
    let form = |id: &str, secret: &str| {
        format!("grant_type=client_credentials&client_id={id}&client_secret={secret}")
    };
    let (status, body) = post(&mock, &form("mock-client-id", "mock-client-secret"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["instance_url"], mock.url());
    assert!(body.get("refresh_token").is_none());
    for (id, secret, error) in [
        ("mock-client-id", "wrong", "invalid_client"),
        ("wrong", "mock-client-secret", "invalid_client_id"),
    ] {
        let (status, body) = post(&mock, &form(id, secret));
        assert_eq!((status, body["error"].as_str()), (400, Some(error)));
    }
    mock.disable_client_credentials();
    let (_, body) = post(&mock, &form("mock-client-id", "mock-client-secret"));
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "no client credentials user enabled"
    );
    let counters = mock.counters();
    assert_eq!(counters.token_grants_of("client_credentials"), 1);
    assert_eq!(counters.token_refusals_of("client_credentials"), 3);
}
