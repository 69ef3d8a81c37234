//! The mock's own endpoints under `/__mock/`, for benchmarks that run clients in other
//! processes. Not Salesforce resources: they are neither logged nor counted.
//!
//! `GET /__mock/stats`: what the mock did so far.
//!
//! ```json
//! {"requests":14,"connections":15,"wan":{"connections":14,"open":0,"peak_open":1,"bytes_up":3579,"bytes_down":50895065}}
//! ```
//!
//! `requests`: requests logged (every one but these); `connections`: connections the server
//! accepted (this one included; behind a WAN, one per WAN connection plus those made to the
//! direct URL); `wan`: [`crate::WanStats`], or `null` without a WAN. `?reset` makes
//! `peak_open` start again from the connections open now, after this answer's figures.
//!
//! `DELETE /__mock/jobs`: forgets every job (Bulk 1.0 with its batches and results, Bulk 2.0)
//! and the request log, so that a long benchmark does not hold every query's rows; the
//! records stay. Answers `{"forgotten_jobs":N}`.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::reply_body::ReplyBody;
use crate::shared::Shared;
use crate::tls::Listener;

/// Where the mock's own endpoints are.
pub(crate) const PREFIX: &str = "/__mock/";

/// Answers a request under [`PREFIX`]: `query` is the URL's query string.
pub(crate) fn reply(
    shared: &Shared,
    listener: &Listener,
    method: &http::Method,
    path: &str,
    query: Option<&str>,
) -> Response<ReplyBody> {
    match (method.as_str(), &path[PREFIX.len()..]) {
        ("GET", "stats") => json(StatusCode::OK, &stats(shared, listener, query)),
        ("DELETE", "jobs") => {
            let forgotten = shared.with_state(|state, _| {
                let n = state.jobs.len() + state.v2_jobs.len();
                state.jobs.clear();
                state.batches.clear();
                state.v2_jobs.clear();
                n
            });
            shared.log().clear();
            json(
                StatusCode::OK,
                &serde_json::json!({ "forgotten_jobs": forgotten }),
            )
        }
        _ => json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({ "error": "expected GET /__mock/stats or DELETE /__mock/jobs" }),
        ),
    }
}

/// The stats document; `query` `reset` restarts the WAN's peak.
fn stats(shared: &Shared, listener: &Listener, query: Option<&str>) -> serde_json::Value {
    let wan = shared.wan.as_ref().map(|counters| {
        let s = counters.snapshot();
        serde_json::json!({
            "connections": s.connections,
            "open": s.open,
            "peak_open": s.peak_open,
            "bytes_up": s.bytes_up,
            "bytes_down": s.bytes_down,
        })
    });
    let has = |name: &str| query.is_some_and(|q| q.split('&').any(|p| p == name));
    let mut doc = serde_json::json!({
        "requests": shared.log().len(),
        "connections": listener.connections.load(std::sync::atomic::Ordering::Relaxed),
        "wan": wan,
    });
    if has("log") {
        // `?log`: every request so far, as "METHOD path" (what a client asked for, in order).
        let log = shared.log();
        doc["log"] = log
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
    }
    if has("reset")
        && let Some(counters) = &shared.wan
    {
        counters.reset_peak();
    }
    doc
}

fn json(status: StatusCode, doc: &serde_json::Value) -> Response<ReplyBody> {
    let mut response = Response::new(ReplyBody::whole(Bytes::from(doc.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
