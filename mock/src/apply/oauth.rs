//! The token endpoint's grants: refresh token, JWT bearer (an RS256 assertion verified with
//! the connected app's registered public key, and its claims: `iss`, `sub`, `aud`, `exp`)
//! and client credentials. Each checks the request's parameters against the mock's
//! connected app, mints an access token and signs the answer as Salesforce does; a refusal
//! carries Salesforce's OAuth error code.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac as _};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use sha2::Sha256;

use crate::counters::JWT_BEARER;
use crate::model::State;
use crate::model::auth::{Grant, Refusal};

/// How far ahead an assertion's `exp` may be (Salesforce: three minutes), plus clock skew.
const MAX_ASSERTION_AHEAD: Duration = Duration::from_secs(3 * 60 + 30);

const fn refusal(error: &'static str, description: &'static str) -> Refusal {
    Refusal { error, description }
}

/// Grants an access token, or says why not; counts either, by grant type.
pub(crate) fn grant(
    state: &mut State,
    params: &HashMap<String, String>,
    now: SystemTime,
) -> Result<Grant, Refusal> {
    let grant_type = params.get("grant_type").map(String::as_str).unwrap_or("");
    let checked = match grant_type {
        "refresh_token" => check_refresh(state, params),
        JWT_BEARER => check_jwt(state, params, now),
        "client_credentials" => check_client_credentials(state, params),
        _ => Err(refusal(
            "unsupported_grant_type",
            "grant type not supported",
        )),
    };
    let result = checked.map(|()| mint(state, now));
    state.counters.note_token(grant_type, result.is_ok());
    result
}

fn check_refresh(state: &State, params: &HashMap<String, String>) -> Result<(), Refusal> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    check_client(state, param("client_id"), param("client_secret"))?;
    if !state.auth.accepts_refresh(param("refresh_token")) {
        return Err(refusal("invalid_grant", "expired access/refresh token"));
    }
    Ok(())
}

fn check_client(state: &State, client_id: &str, client_secret: &str) -> Result<(), Refusal> {
    if client_id != state.auth.client_id {
        return Err(refusal("invalid_client_id", "client identifier invalid"));
    }
    if client_secret != state.auth.client_secret {
        return Err(refusal("invalid_client", "invalid client credentials"));
    }
    Ok(())
}

/// Client credentials: the consumer key and secret, for an app that runs the flow.
fn check_client_credentials(
    state: &State,
    params: &HashMap<String, String>,
) -> Result<(), Refusal> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    check_client(state, param("client_id"), param("client_secret"))?;
    if state.auth.client_credentials_off {
        return Err(refusal(
            "invalid_grant",
            "no client credentials user enabled",
        ));
    }
    Ok(())
}

/// The JWT bearer grant: the assertion's header, signature (RS256 with the registered key)
/// and claims (`iss` the client id, `sub` a pre-authorized user, `aud` this server's
/// origin, `exp` in the future but at most three minutes ahead, by the mock's clock).
fn check_jwt(
    state: &State,
    params: &HashMap<String, String>,
    now: SystemTime,
) -> Result<(), Refusal> {
    let invalid = refusal("invalid_grant", "invalid assertion");
    let assertion = params.get("assertion").map(String::as_str).unwrap_or("");
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(invalid);
    };
    let json = |part: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&BASE64URL.decode(part).ok()?).ok()
    };
    let (Some(head), Some(claims_doc)) = (json(header), json(claims)) else {
        return Err(invalid);
    };
    if head["alg"] != "RS256" {
        return Err(invalid);
    }
    let text = |name: &str| claims_doc[name].as_str().unwrap_or("").to_owned();
    if text("iss") != state.auth.client_id {
        return Err(refusal("invalid_client_id", "client identifier invalid"));
    }
    let verified = state.auth.jwt_key.as_ref().is_some_and(|key| {
        let signed = format!("{header}.{claims}");
        BASE64URL
            .decode(signature)
            .ok()
            .and_then(|sig| Signature::try_from(sig.as_slice()).ok())
            .is_some_and(|sig| {
                VerifyingKey::<Sha256>::new(key.clone())
                    .verify(signed.as_bytes(), &sig)
                    .is_ok()
            })
    });
    if !verified {
        return Err(invalid);
    }
    if text("aud") != state.base_url {
        return Err(refusal("invalid_grant", "audience is invalid"));
    }
    let exp = claims_doc["exp"]
        .as_u64()
        .or_else(|| claims_doc["exp"].as_str().and_then(|s| s.parse().ok()))
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
    match exp {
        Some(exp) if exp > now && exp <= now + MAX_ASSERTION_AHEAD => {}
        _ => return Err(invalid),
    }
    if !state.auth.jwt_users.contains(&text("sub")) {
        return Err(refusal(
            "invalid_grant",
            "user hasn't approved this consumer",
        ));
    }
    Ok(())
}

/// A new access token, answered as Salesforce does.
fn mint(state: &mut State, now: SystemTime) -> Grant {
    let access_token = state.auth.mint();
    let issued_at = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let id = format!("{}/id/{}/{}", state.base_url, state.org_id, state.user_id);
    let signature = sign(&state.auth.client_secret, &id, &issued_at);
    Grant {
        access_token,
        signature,
        instance_url: state.base_url.clone(),
        id,
        issued_at,
    }
}

/// Base64 HMAC-SHA256 of `id + issued_at` keyed with the client secret, as Salesforce signs.
fn sign(secret: &str, id: &str, issued_at: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(id.as_bytes());
            mac.update(issued_at.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
