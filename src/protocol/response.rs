//! Replies judged: status, Salesforce error documents, the expired-session signal, gzip
//! bodies, and the parsers that turn a reply into a domain type or an error by stage.

use std::borrow::Cow;

use http::Response;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap};

use crate::error::Error;
use crate::model::{BatchInfo, BatchResults, IngestOutcomes, JobInfo};
use crate::wire::{self, DocFormat};

use super::limits::{MAX_CONTROL_BYTES, MAX_FILE_BYTES};

/// Whether a reply's body is gzip (`Content-Encoding: gzip`): the one place that decides it,
/// for whole bodies and streamed ones.
pub fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"))
}

fn content_type_of(resp: &Response<Vec<u8>>) -> Option<&str> {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The reply body, gunzipped when `Content-Encoding: gzip` (at most [`MAX_FILE_BYTES`]).
pub fn decoded_body(resp: &Response<Vec<u8>>) -> Result<Cow<'_, [u8]>, Error> {
    if !is_gzip(resp.headers()) {
        return Ok(Cow::Borrowed(resp.body()));
    }
    // Bounded: a small reply must not inflate into gigabytes before any limit is checked.
    let out = crate::gzip::gunzip_at_most(resp.body(), MAX_FILE_BYTES).map_err(|e| {
        Error::unexpected(
            resp.status().as_u16(),
            content_type_of(resp),
            format!("gzip body cannot be decoded: {e}"),
            &[],
        )
    })?;
    Ok(Cow::Owned(out))
}

/// Whether a reply is an expired-session signal: Bulk API 1.0's HTTP 400 with
/// `exceptionCode` `InvalidSessionId` (XML or JSON body), or 2.0's (REST's) HTTP 401 with
/// `errorCode` `INVALID_SESSION_ID`.
pub fn is_session_expired(resp: &Response<Vec<u8>>) -> bool {
    let want = match resp.status().as_u16() {
        400 => "InvalidSessionId",
        401 => "INVALID_SESSION_ID",
        _ => return false,
    };
    let Ok(body) = decoded_body(resp) else {
        return false;
    };
    let fmt = wire::detect_format(content_type_of(resp), &body);
    matches!(wire::parse_error(&body, fmt), Some((code, _)) if code == want)
}

/// Checks a reply's status. 2xx passes and yields the (decoded) body; anything else
/// becomes `Api`, `SessionExpired` or `UnexpectedResponse`.
pub fn success_body(resp: &Response<Vec<u8>>) -> Result<Cow<'_, [u8]>, Error> {
    let status = resp.status().as_u16();
    let body = decoded_body(resp)?;
    if resp.status().is_success() {
        return Ok(body);
    }
    let fmt = wire::detect_format(content_type_of(resp), &body);
    match wire::parse_error(&body, fmt) {
        Some((code, message)) if code == "InvalidSessionId" || code == "INVALID_SESSION_ID" => {
            Err(Error::SessionExpired(message))
        }
        Some((code, message)) => Err(Error::Api {
            status,
            code,
            message,
        }),
        None => Err(Error::unexpected(
            status,
            content_type_of(resp),
            format!("expected a success status or a salesforce error document, got http {status}"),
            &body,
        )),
    }
}

/// A control reply's body (status checked, at most [`MAX_CONTROL_BYTES`]) and its format.
/// Not generic: [`parse_doc`]'s copies share it.
fn control_body<'r>(
    resp: &'r Response<Vec<u8>>,
    what: &str,
) -> Result<(Cow<'r, [u8]>, DocFormat), Error> {
    let body = success_body(resp)?;
    let ct = content_type_of(resp);
    if body.len() > MAX_CONTROL_BYTES {
        return Err(Error::unexpected(
            resp.status().as_u16(),
            ct,
            format!(
                "{what} of {} bytes is larger than the {MAX_CONTROL_BYTES}-byte limit",
                body.len()
            ),
            &body,
        ));
    }
    let fmt = wire::detect_format(ct, &body);
    Ok((body, fmt))
}

/// The error of a reply whose body does not parse: `{what}: {detail}`, with the reply's
/// status, content type and body excerpt.
pub(crate) fn doc_error(
    resp: &Response<Vec<u8>>,
    what: &str,
    detail: String,
    body: &[u8],
) -> Error {
    Error::unexpected(
        resp.status().as_u16(),
        content_type_of(resp),
        format!("{what}: {detail}"),
        body,
    )
}

fn parse_doc<T>(
    resp: &Response<Vec<u8>>,
    what: &str,
    parse: impl FnOnce(&[u8], DocFormat) -> Result<T, String>,
) -> Result<T, Error> {
    let (body, fmt) = control_body(resp, what)?;
    parse(&body, fmt).map_err(|detail| doc_error(resp, what, detail, &body))
}

/// Parses a jobInfo reply (create, update, get).
pub fn parse_job_info(resp: &Response<Vec<u8>>) -> Result<JobInfo, Error> {
    let job = parse_doc(resp, "job info", wire::parse_job_info)?;
    if job.id.is_empty() {
        return Err(Error::unexpected(
            resp.status().as_u16(),
            content_type_of(resp),
            "job info has no id",
            resp.body(),
        ));
    }
    Ok(job)
}

/// Parses a batchInfo reply (add, get).
pub fn parse_batch_info(resp: &Response<Vec<u8>>) -> Result<BatchInfo, Error> {
    let batch = parse_doc(resp, "batch info", wire::parse_batch_info)?;
    if batch.id.is_empty() {
        return Err(Error::unexpected(
            resp.status().as_u16(),
            content_type_of(resp),
            "batch info has no id",
            resp.body(),
        ));
    }
    Ok(batch)
}

/// Parses a batchInfoList reply; always a list.
pub fn parse_batch_list(resp: &Response<Vec<u8>>) -> Result<Vec<BatchInfo>, Error> {
    parse_doc(resp, "batch info list", wire::parse_batch_list)
}

/// Parses batch results: ingest results (CSV, XML, JSON) or query result ids.
pub fn parse_batch_results(resp: &Response<Vec<u8>>) -> Result<BatchResults, Error> {
    let body = success_body(resp)?;
    wire::parse_batch_results(&body, content_type_of(resp))
        .map_err(|detail| doc_error(resp, "batch results", detail, &body))
}

/// Parses an ingest batch's results as a join reads them; `None` for query result ids.
pub fn parse_batch_outcomes(resp: &Response<Vec<u8>>) -> Result<Option<IngestOutcomes>, Error> {
    let body = success_body(resp)?;
    wire::parse_batch_outcomes(&body, content_type_of(resp))
        .map_err(|detail| doc_error(resp, "batch results", detail, &body))
}

/// A reply whose body is returned as is (batch request, query result file).
pub fn parse_bytes(resp: Response<Vec<u8>>) -> Result<Vec<u8>, Error> {
    match success_body(&resp)? {
        Cow::Owned(v) => Ok(v),
        Cow::Borrowed(_) => Ok(resp.into_body()),
    }
}
