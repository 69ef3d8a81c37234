//! HTTP plumbing: accept loop, request logging, injected faults, reply compression, and the
//! mock's own endpoints (`admin`).

use std::io::{self, Write as _};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::admin;
use crate::counters::FaultKind;
use crate::decode::request::{Req, accepts_gzip, decode_body};
use crate::limits::{MAX_BATCH_BYTES, V2_MAX_UPLOAD_BYTES};
use crate::reply_body::ReplyBody;
use crate::router;
use crate::shared::{LoggedRequest, Shared};

/// Largest request body read from the wire: a Bulk 2.0 upload a little over its limit (so it
/// is refused with the service's error, not cut off).
const MAX_WIRE_BYTES: usize = V2_MAX_UPLOAD_BYTES + 1024 * 1024;

/// Accepts connections until `shutdown` fires (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
    accepting: Arc<crate::tls::Listener>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let shared = Arc::clone(&shared);
                let accepting = Arc::clone(&accepting);
                tokio::spawn(async move {
                    // Counted, and over TLS after the handshake.
                    let Some(stream) = accepting.accept(stream).await else { return };
                    let service = service_fn(move |req| {
                        handle(Arc::clone(&shared), Arc::clone(&accepting), req)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Answers one request. An `Err` makes hyper drop the connection without a response.
async fn handle(
    shared: Arc<Shared>,
    accepting: Arc<crate::tls::Listener>,
    request: Request<Incoming>,
) -> Result<Response<ReplyBody>, io::Error> {
    if request.uri().path().starts_with(admin::PREFIX) {
        let uri = request.uri();
        return Ok(admin::reply(
            &shared,
            &accepting,
            request.method(),
            uri.path(),
            uri.query(),
        ));
    }
    let (parts, body) = request.into_parts();
    let (raw, too_large) = match Limited::new(body, MAX_WIRE_BYTES).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(err) if err.is::<LengthLimitError>() => (Bytes::new(), true),
        Err(err) => return Err(io::Error::other(err)),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    shared.log().push(LoggedRequest {
        method: parts.method.as_str().to_owned(),
        path,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect(),
        body: raw.to_vec(),
    });

    if too_large {
        return Ok(plain_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
            None,
        ));
    }
    let fault = shared.take_fault(&raw);
    if let Some(delay) = fault.delay {
        shared.fired(FaultKind::Delay);
        tokio::time::sleep(delay).await;
    }
    if fault.hang {
        shared.fired(FaultKind::Hang);
        // Never answered: the connection stays open until the client gives up or the mock
        // stops.
        std::future::pending::<()>().await;
    }
    if fault.reset {
        shared.fired(FaultKind::Reset);
        return Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ));
    }
    if let Some((status, retry_after)) = fault.status {
        shared.fired(FaultKind::Status);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let text = status.canonical_reason().unwrap_or("injected failure");
        return Ok(plain_response(status, text, retry_after));
    }

    let gzip_reply = shared.gzip_replies && accepts_gzip(&parts.headers);
    let req = Req {
        body: decode_body(&parts.headers, &raw, body_limit(parts.uri.path())),
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
    };
    let reply = {
        let shared = Arc::clone(&shared);
        tokio::task::spawn_blocking(move || {
            let answer = |state: &mut _, now| router::dispatch(state, &req, now);
            if router::needs_nothing_due(&req) {
                shared.with_state_as_is(answer)
            } else {
                shared.with_state(answer)
            }
        })
        .await
        .map_err(io::Error::other)?
    };
    // What came due (a batch just added, with no processing delay) runs now, in the
    // background, one batch at a time, as Salesforce processes it after answering: not when
    // the next request arrives, which would then wait for it (a 10,000-record batch is ~20 ms
    // of the mock's time). What a request sees is the same either way: `with_state` finishes
    // everything due before it looks.
    {
        let shared = Arc::clone(&shared);
        tokio::task::spawn_blocking(move || shared.run_due());
    }

    if fault.reset_after {
        shared.fired(FaultKind::ResetAfterProcessing);
        return Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected connection reset after processing",
        ));
    }
    let mut body = reply.body;
    let mut response = Response::builder().status(reply.status);
    if let Some(headers) = response.headers_mut() {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type),
        );
        for (name, value) in reply.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if gzip_reply
            && !body.is_empty()
            && let Some(compressed) = gzip(&body)
        {
            body = compressed;
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
    }
    let body = if fault.truncate && body.len() > 1 {
        shared.fired(FaultKind::Truncate);
        ReplyBody::cut_short(&body)
    } else {
        ReplyBody::whole(body)
    };
    response.body(body).map_err(io::Error::other)
}

/// How far a gzip request body may inflate: a Bulk 2.0 upload up to its limit, anything else
/// up to the Bulk 1.0 batch limit (one byte more, enough to refuse it; no gzip bomb).
fn body_limit(path: &str) -> usize {
    if path.starts_with("/services/data/") {
        V2_MAX_UPLOAD_BYTES + 1
    } else {
        MAX_BATCH_BYTES + 1
    }
}

/// A plain-text answer (injected faults, oversized bodies).
fn plain_response(
    status: StatusCode,
    text: &'static str,
    retry_after: Option<u32>,
) -> Response<ReplyBody> {
    let mut response = Response::new(ReplyBody::whole(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    if let Some(secs) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}
