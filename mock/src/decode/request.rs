//! A request as the endpoints see it: method, path, headers and the body after
//! `Content-Encoding` decoding, plus the per-request facts they share.

use std::io::Read as _;
use std::time::SystemTime;

use http::Method;
use http::header::{self, CONTENT_TYPE, HeaderMap};

/// A request as the handlers see it (body already de-chunked and content-decoded).
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Path without the query string.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The decoded body, or why `Content-Encoding` could not be decoded.
    pub body: Result<Vec<u8>, String>,
}

impl Req {
    /// First value of a header, if it is valid text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request's Content-Type says JSON (`application/json`, with any parameters).
    pub(crate) fn content_type_is_json(&self) -> bool {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
    }
}

/// Per-request facts shared by the handlers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub now: SystemTime,
    /// `X-PrettyPrint: 1`: indent JSON answers.
    pub pretty: bool,
}

/// The request body after `Content-Encoding` decoding (inflated to at most `limit` bytes), or
/// why it could not be decoded.
pub(crate) fn decode_body(
    headers: &HeaderMap,
    raw: &[u8],
    limit: usize,
) -> Result<Vec<u8>, String> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "" | "identity" => Ok(raw.to_vec()),
        "gzip" | "x-gzip" => {
            let mut out = Vec::new();
            let limit = u64::try_from(limit).unwrap_or(u64::MAX);
            flate2::read::MultiGzDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|err| format!("invalid gzip request body: {err}"))?;
            Ok(out)
        }
        other => Err(format!("unsupported content encoding: {other}")),
    }
}

/// Whether `Accept-Encoding` lists gzip with a non-zero quality.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let zero_quality = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip"))
                && !zero_quality
        })
}
