//! The refresh-token grant: checks the request's parameters against the mock's client and
//! tokens, mints an access token and signs the answer as Salesforce does.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::model::State;
use crate::model::auth::{Grant, Refusal};

const fn refusal(error: &'static str, description: &'static str) -> Refusal {
    Refusal { error, description }
}

/// Grants an access token for a refresh token, or says why not; counts either.
pub(crate) fn grant(
    state: &mut State,
    params: &HashMap<String, String>,
    now: SystemTime,
) -> Result<Grant, Refusal> {
    let result = check_and_mint(state, params, now);
    state.counters.note_token(result.is_ok());
    result
}

fn check_and_mint(
    state: &mut State,
    params: &HashMap<String, String>,
    now: SystemTime,
) -> Result<Grant, Refusal> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if param("grant_type") != "refresh_token" {
        return Err(refusal(
            "unsupported_grant_type",
            "grant type not supported",
        ));
    }
    if param("client_id") != state.auth.client_id {
        return Err(refusal("invalid_client_id", "client identifier invalid"));
    }
    if param("client_secret") != state.auth.client_secret {
        return Err(refusal("invalid_client", "invalid client credentials"));
    }
    if !state.auth.accepts_refresh(param("refresh_token")) {
        return Err(refusal("invalid_grant", "expired access/refresh token"));
    }
    let access_token = state.auth.mint();
    let issued_at = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let id = format!("{}/id/{}/{}", state.base_url, state.org_id, state.user_id);
    let signature = sign(&state.auth.client_secret, &id, &issued_at);
    Ok(Grant {
        access_token,
        signature,
        instance_url: state.base_url.clone(),
        id,
        issued_at,
    })
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
