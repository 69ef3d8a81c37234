//! The JSON answers outside the Bulk API: the token endpoint's grant and errors, `/limits`,
//! and REST-style errors (expired session, unknown path).

use std::collections::BTreeMap;

use http::StatusCode;
use serde::Serialize;

use crate::limits::{DAILY_API_REQUESTS, DAILY_BULK_BATCHES};
use crate::model::auth::{Grant, Refusal};
use crate::render::reply::Reply;

const TOKEN_MEDIA: &str = "application/json;charset=UTF-8";

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    signature: &'a str,
    scope: &'static str,
    instance_url: &'a str,
    id: &'a str,
    token_type: &'static str,
    issued_at: &'a str,
}

#[derive(Serialize)]
struct TokenError {
    error: &'static str,
    error_description: &'static str,
}

/// `200` with the granted token.
pub(crate) fn token_granted(grant: &Grant) -> Reply {
    let mut reply = Reply::json(
        StatusCode::OK,
        &TokenResponse {
            access_token: &grant.access_token,
            signature: &grant.signature,
            scope: "refresh_token api",
            instance_url: &grant.instance_url,
            id: &grant.id,
            token_type: "Bearer",
            issued_at: &grant.issued_at,
        },
        false,
    );
    reply.content_type = TOKEN_MEDIA;
    reply
}

/// `400` with an OAuth error.
pub(crate) fn token_refused(refusal: Refusal) -> Reply {
    let mut reply = Reply::json(
        StatusCode::BAD_REQUEST,
        &TokenError {
            error: refusal.error,
            error_description: refusal.description,
        },
        false,
    );
    reply.content_type = TOKEN_MEDIA;
    reply
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

/// The `/limits` document, given the API requests and Bulk API batches used so far.
pub(crate) fn limits(api_requests: u64, batches_created: u64, pretty: bool) -> Reply {
    let limits = BTreeMap::from([
        (
            "DailyApiRequests",
            Limit {
                max: DAILY_API_REQUESTS,
                remaining: DAILY_API_REQUESTS.saturating_sub(api_requests),
            },
        ),
        (
            "DailyBulkApiBatches",
            Limit {
                max: DAILY_BULK_BATCHES,
                remaining: DAILY_BULK_BATCHES.saturating_sub(batches_created),
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
    Reply::json(StatusCode::OK, &limits, pretty)
}

/// `401` for a REST request without a valid session.
pub(crate) fn invalid_session(pretty: bool) -> Reply {
    Reply::json(
        StatusCode::UNAUTHORIZED,
        &[RestError {
            message: "Session expired or invalid",
            error_code: "INVALID_SESSION_ID",
        }],
        pretty,
    )
}

/// The REST-style 404 for paths the mock does not serve.
pub(crate) fn not_found(pretty: bool) -> Reply {
    Reply::json(
        StatusCode::NOT_FOUND,
        &[RestError {
            message: "The requested resource does not exist",
            error_code: "NOT_FOUND",
        }],
        pretty,
    )
}
