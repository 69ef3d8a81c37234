//! `POST /services/oauth2/token` (refresh-token grant) and `GET /services/data/vXX.X/limits`.

use std::collections::{BTreeMap, HashMap};
use std::time::UNIX_EPOCH;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac as _};
use http::{Method, StatusCode};
use serde::Serialize;
use sha2::Sha256;

use super::model::State;
use super::router::{Ctx, Req};
use super::wire::Reply;

const TOKEN_MEDIA: &str = "application/json;charset=UTF-8";

/// Daily allocations reported by `/limits`.
const DAILY_API_REQUESTS: u64 = 15_000;
const DAILY_BULK_BATCHES: u64 = 15_000;

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    signature: String,
    scope: &'static str,
    instance_url: String,
    id: String,
    token_type: &'static str,
    issued_at: String,
}

#[derive(Serialize)]
struct TokenError {
    error: &'static str,
    error_description: &'static str,
}

fn token_error(error: &'static str, error_description: &'static str) -> Reply {
    let mut reply = Reply::json(
        StatusCode::BAD_REQUEST,
        &TokenError {
            error,
            error_description,
        },
        false,
    );
    reply.content_type = TOKEN_MEDIA;
    reply
}

/// The token endpoint: parameters from the form body and/or the query string, client
/// credentials also from HTTP Basic auth.
pub(crate) fn token(state: &mut State, req: &Req, ctx: &Ctx) -> Reply {
    if req.method != Method::POST {
        return token_error("invalid_request", "must use HTTP POST");
    }
    state.auth.token_requests += 1;
    let mut params: HashMap<String, String> = HashMap::new();
    let body = req.body.as_deref().unwrap_or_default();
    let sources = [req.query.as_deref().unwrap_or_default().as_bytes(), body];
    for source in sources {
        for (key, value) in form_urlencoded::parse(source) {
            params.insert(key.into_owned(), value.into_owned());
        }
    }
    if let Some((id, secret)) = basic_credentials(req) {
        params.entry("client_id".into()).or_insert(id);
        params.entry("client_secret".into()).or_insert(secret);
    }
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if param("grant_type") != "refresh_token" {
        return token_error("unsupported_grant_type", "grant type not supported");
    }
    if param("client_id") != state.auth.client_id {
        return token_error("invalid_client_id", "client identifier invalid");
    }
    if param("client_secret") != state.auth.client_secret {
        return token_error("invalid_client", "invalid client credentials");
    }
    if !state.auth.accepts_refresh(param("refresh_token")) {
        return token_error("invalid_grant", "expired access/refresh token");
    }
    let access_token = state.auth.mint();
    let issued_at = ctx
        .now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let id = format!("{}/id/{}/{}", state.base_url, state.org_id, state.user_id);
    let signature = sign(&state.auth.client_secret, &id, &issued_at);
    let mut reply = Reply::json(
        StatusCode::OK,
        &TokenResponse {
            access_token,
            signature,
            scope: "refresh_token api",
            instance_url: state.base_url.clone(),
            id,
            token_type: "Bearer",
            issued_at,
        },
        false,
    );
    reply.content_type = TOKEN_MEDIA;
    reply
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

fn basic_credentials(req: &Req) -> Option<(String, String)> {
    let value = req.header("authorization")?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASE64.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[derive(Serialize)]
struct Limit {
    #[serde(rename = "Max")]
    max: u64,
    #[serde(rename = "Remaining")]
    remaining: u64,
}

#[derive(Serialize)]
struct RestError {
    message: &'static str,
    #[serde(rename = "errorCode")]
    error_code: &'static str,
}

/// `GET /services/data/vXX.X/limits` (token as `Authorization: Bearer` or `X-SFDC-Session`).
pub(crate) fn limits(state: &State, req: &Req, ctx: &Ctx) -> Reply {
    let token = req
        .header("authorization")
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .or_else(|| req.header("x-sfdc-session"));
    if !token.is_some_and(|t| state.auth.accepts(t)) {
        return Reply::json(
            StatusCode::UNAUTHORIZED,
            &[RestError {
                message: "Session expired or invalid",
                error_code: "INVALID_SESSION_ID",
            }],
            ctx.pretty,
        );
    }
    let limits = BTreeMap::from([
        (
            "DailyApiRequests",
            Limit {
                max: DAILY_API_REQUESTS,
                remaining: DAILY_API_REQUESTS.saturating_sub(state.api_requests),
            },
        ),
        (
            "DailyBulkApiBatches",
            Limit {
                max: DAILY_BULK_BATCHES,
                remaining: DAILY_BULK_BATCHES.saturating_sub(state.batches_created),
            },
        ),
        (
            "DailyBulkV2QueryJobs",
            Limit {
                max: 10_000,
                remaining: 10_000,
            },
        ),
        (
            "DailyBulkV2QueryFileStorageMB",
            Limit {
                max: 976_562,
                remaining: 976_562,
            },
        ),
    ]);
    Reply::json(StatusCode::OK, &limits, ctx.pretty)
}

/// The REST-style 404 for paths the mock does not serve.
pub(crate) fn not_found(ctx: &Ctx) -> Reply {
    Reply::json(
        StatusCode::NOT_FOUND,
        &[RestError {
            message: "The requested resource does not exist",
            error_code: "NOT_FOUND",
        }],
        ctx.pretty,
    )
}
