//! Sans-IO request builders and response parsers over `http` types.
//!
//! Every operation is a pair: a builder that validates its input and returns an
//! `http::Request<Vec<u8>>` (nothing is sent when it fails), and a parser that turns an
//! `http::Response<Vec<u8>>` into a domain type or an [`Error`] by stage.

use std::borrow::Cow;
use std::fmt;

use http::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue,
};
use http::{Method, Request, Response};

use crate::error::Error;
use crate::model::{
    BatchInfo, BatchResults, ContentType, JobInfo, JobRequest, JobStateChange, Operation,
    RecordFormat, RecordSet,
};
use crate::wire::{self, DocFormat};

/// Most records Salesforce accepts in one batch.
pub const MAX_BATCH_RECORDS: usize = 10_000;
/// Most bytes Salesforce accepts in one batch (10 MB; also under the 10,000,000-character limit).
pub const MAX_BATCH_BYTES: usize = 10_000_000;
/// Largest PK chunk size Salesforce accepts.
pub const MAX_PK_CHUNK_SIZE: u32 = 250_000;
/// The header that carries the session.
pub const SESSION_HEADER: HeaderName = HeaderName::from_static("x-sfdc-session");
// Header names are constants: naming them by string would pull http's run-time name parser
// into the component (~12 KB).
const CALL_OPTIONS_HEADER: HeaderName = HeaderName::from_static("sforce-call-options");
const PK_CHUNKING_HEADER: HeaderName = HeaderName::from_static("sforce-enable-pkchunking");
const BATCH_RETRY_HEADER: HeaderName = HeaderName::from_static("sforce-disable-batch-retry");
const LINE_ENDING_HEADER: HeaderName = HeaderName::from_static("sforce-line-ending");
/// Largest reply body read for control documents and error bodies (8 MiB).
pub const MAX_CONTROL_BYTES: usize = 8 << 20;
/// Identifies this client in Salesforce's logs (`Sforce-Call-Options`).
pub const CALL_OPTIONS: &str = concat!("client=sfbulk/", env!("CARGO_PKG_VERSION"));

/// Where and as whom requests are sent: the Bulk API base and the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    authority: String,
    prefix: String,
    base_path: String,
    token: String,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url())
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Endpoint {
    /// Validates the instance URL, the API version and the token.
    ///
    /// `api_url` must be `https://host[:port][/prefix]`; `http://` is accepted only for
    /// loopback hosts. `api_version` is digits with an optional `.digit` (`59`, `59.0`).
    pub fn new(api_url: &str, api_version: &str, token: &str) -> Result<Self, Error> {
        let (https, authority, prefix) = parse_base_url(api_url, "api-url")?;
        let version = normalize_version(api_version)?;
        validate_token(token)?;
        Ok(Endpoint {
            https,
            authority,
            base_path: format!("{prefix}/services/async/{version}"),
            prefix,
            token: token.to_string(),
        })
    }

    /// The Bulk API base URL, e.g. `https://host/services/async/59.0` (no secret).
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.base_path)
    }

    /// The instance URL, e.g. `https://host` (no secret).
    pub fn instance_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.prefix)
    }

    /// The session token.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let scheme = if self.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{}{path}", self.authority, self.base_path);
        let mut session = HeaderValue::from_str(&self.token)
            .map_err(|_| Error::invalid("access token is not a valid header value"))?;
        session.set_sensitive(true);
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(SESSION_HEADER, session)
            .header(CALL_OPTIONS_HEADER, HeaderValue::from_static(CALL_OPTIONS))
            .header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        builder
            .body(body)
            .map_err(|e| Error::invalid(format!("cannot build request: {e}")))
    }
}

/// Splits and checks a base URL: `(https, authority, path prefix without trailing '/')`.
pub fn parse_base_url(url: &str, what: &str) -> Result<(bool, String, String), Error> {
    let uri: http::Uri = url.trim().parse().map_err(|_| {
        Error::invalid(format!(
            "{what} is not a url: expected https://host, got {url:?}"
        ))
    })?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(Error::invalid(format!(
                "{what} must start with https:// (got {url:?})"
            )));
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| Error::invalid(format!("{what} has no host: {url:?}")))?;
    if authority.as_str().contains('@') {
        return Err(Error::invalid(format!("{what} must not carry user info")));
    }
    if !https && !is_loopback(authority.host()) {
        return Err(Error::invalid(format!(
            "{what} uses http:// for non-loopback host {:?}; only https:// is allowed there",
            authority.host()
        )));
    }
    if uri.query().is_some() {
        return Err(Error::invalid(format!(
            "{what} must not have a query string"
        )));
    }
    let prefix = uri.path().trim_end_matches('/').to_string();
    Ok((https, authority.as_str().to_string(), prefix))
}

/// Whether a host name is a loopback address (127.0.0.0/8, `localhost`, `[::1]`).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if host == "::1" {
        return true;
    }
    // 127.0.0.0/8 as a dotted quad (std's full IP parser costs ~3 KB in the component).
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets[0] == "127"
        && octets
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u8>().is_ok())
}

fn normalize_version(v: &str) -> Result<String, Error> {
    let v = v.trim();
    let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if digits(major, 3) && digits(minor, 1) {
        Ok(format!("{major}.{minor}"))
    } else {
        Err(Error::invalid(format!(
            "api-version must look like 59.0, got {v:?}"
        )))
    }
}

fn validate_token(token: &str) -> Result<(), Error> {
    if token.is_empty() {
        return Err(Error::invalid("access token is empty"));
    }
    if token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(Error::invalid(
            "access token contains spaces or non-printable characters",
        ));
    }
    Ok(())
}

/// Checks a Salesforce id: 15 or 18 ASCII letters and digits.
pub fn validate_id(what: &str, id: &str) -> Result<(), Error> {
    if (id.len() == 15 || id.len() == 18) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        let shown: String = id.chars().take(40).collect();
        Err(Error::invalid(format!(
            "{what} must be 15 or 18 letters and digits, got {shown:?}"
        )))
    }
}

/// Checks an sObject or field API name (`Contact`, `My_Obj__c`, `ns__Obj__c`).
pub fn validate_name(what: &str, name: &str) -> Result<(), Error> {
    let mut bytes = name.bytes();
    let ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 255;
    if ok {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).collect();
        Err(Error::invalid(format!(
            "{what} must be an API name like Contact or My_Object__c, got {shown:?}"
        )))
    }
}

/// `POST /job`. JSON for JSON and ZIP_JSON jobs, XML otherwise.
pub fn create_job(ep: &Endpoint, req: &JobRequest) -> Result<Request<Vec<u8>>, Error> {
    if !req.operation.is_known() {
        return Err(Error::invalid(format!(
            "unknown operation {:?}: expected insert, update, upsert, delete, hardDelete, query or queryAll",
            req.operation.as_str()
        )));
    }
    validate_name("object", &req.object)?;
    if let Some(ct) = &req.content_type
        && !ct.is_known()
    {
        return Err(Error::invalid(format!(
            "unknown content type {:?}: expected XML, CSV, JSON, ZIP_XML, ZIP_CSV or ZIP_JSON",
            ct.as_str()
        )));
    }
    if let Some(cm) = &req.concurrency_mode
        && !cm.is_known()
    {
        return Err(Error::invalid(format!(
            "unknown concurrency mode {:?}: expected Parallel or Serial",
            cm.as_str()
        )));
    }
    let ext = req
        .external_id_field_name
        .as_deref()
        .filter(|s| !s.is_empty());
    match (&req.operation, ext) {
        (Operation::Upsert, None) => {
            return Err(Error::invalid("upsert needs an external id field name"));
        }
        (Operation::Upsert, Some(f)) => validate_name("external id field name", f)?,
        (op, Some(_)) => {
            return Err(Error::invalid(format!(
                "an external id field name is only for upsert, not {op}"
            )));
        }
        _ => {}
    }
    if let Some(rule) = &req.assignment_rule_id {
        validate_id("assignment rule id", rule)?;
    }
    let pk_header = match &req.pk_chunking {
        None => None,
        Some(_) if !req.operation.is_query() => {
            return Err(Error::invalid(format!(
                "pk chunking is only for query and queryAll jobs, not {}",
                req.operation
            )));
        }
        Some(pk) => Some(pk_chunking_header(pk)?),
    };
    if req.operation.is_query() && req.content_type.as_ref().is_some_and(ContentType::is_zip) {
        return Err(Error::invalid("query jobs cannot use a zip content type"));
    }
    let fmt = if req.content_type.as_ref().is_some_and(ContentType::is_json) {
        DocFormat::Json
    } else {
        DocFormat::Xml
    };
    let body = wire::write_job_request(req, fmt).map_err(Error::InvalidInput)?;
    let mut http_req = ep.request(Method::POST, "/job", Some(doc_media_type(fmt)), body)?;
    let headers = http_req.headers_mut();
    if let Some(v) = pk_header {
        headers.insert(
            PK_CHUNKING_HEADER,
            HeaderValue::from_str(&v).map_err(|_| Error::invalid("bad pk chunking option"))?,
        );
    }
    if req.disable_batch_retry {
        headers.insert(BATCH_RETRY_HEADER, HeaderValue::from_static("TRUE"));
    }
    if let Some(le) = req.line_ending {
        headers.insert(LINE_ENDING_HEADER, HeaderValue::from_static(le.as_str()));
    }
    Ok(http_req)
}

fn pk_chunking_header(pk: &crate::model::PkChunking) -> Result<String, Error> {
    let mut parts = Vec::new();
    if let Some(n) = pk.chunk_size {
        if n == 0 || n > MAX_PK_CHUNK_SIZE {
            return Err(Error::invalid(format!(
                "pk chunk size must be 1 to {MAX_PK_CHUNK_SIZE}, got {n}"
            )));
        }
        parts.push(format!("chunkSize={n}"));
    }
    if let Some(id) = &pk.start_row {
        validate_id("pk chunking start row", id)?;
        parts.push(format!("startRow={id}"));
    }
    if let Some(p) = &pk.parent {
        validate_name("pk chunking parent", p)?;
        parts.push(format!("parent={p}"));
    }
    Ok(if parts.is_empty() {
        "TRUE".to_string()
    } else {
        parts.join("; ")
    })
}

fn doc_media_type(fmt: DocFormat) -> &'static str {
    match fmt {
        DocFormat::Json => "application/json",
        DocFormat::Xml => "application/xml; charset=UTF-8",
    }
}

/// `POST /job/{id}` with only the new state.
pub fn update_job(
    ep: &Endpoint,
    job_id: &str,
    state: JobStateChange,
    fmt: DocFormat,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    let body = wire::write_state_change(state, fmt);
    ep.request(
        Method::POST,
        &format!("/job/{job_id}"),
        Some(doc_media_type(fmt)),
        body,
    )
}

/// `GET /job/{id}`.
pub fn get_job(ep: &Endpoint, job_id: &str) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.request(Method::GET, &format!("/job/{job_id}"), None, Vec::new())
}

/// `GET /job/{id}/batch`.
pub fn list_batches(ep: &Endpoint, job_id: &str) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.request(
        Method::GET,
        &format!("/job/{job_id}/batch"),
        None,
        Vec::new(),
    )
}

/// `GET /job/{id}/batch/{batch}` plus `suffix` (``, `/request`, `/result`).
fn batch_get(
    ep: &Endpoint,
    job_id: &str,
    batch_id: &str,
    suffix: &str,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    validate_id("batch id", batch_id)?;
    ep.request(
        Method::GET,
        &format!("/job/{job_id}/batch/{batch_id}{suffix}"),
        None,
        Vec::new(),
    )
}

/// `GET /job/{id}/batch/{batch}`.
pub fn get_batch(ep: &Endpoint, job_id: &str, batch_id: &str) -> Result<Request<Vec<u8>>, Error> {
    batch_get(ep, job_id, batch_id, "")
}

/// `GET /job/{id}/batch/{batch}/request`.
pub fn get_batch_request(
    ep: &Endpoint,
    job_id: &str,
    batch_id: &str,
) -> Result<Request<Vec<u8>>, Error> {
    batch_get(ep, job_id, batch_id, "/request")
}

/// `GET /job/{id}/batch/{batch}/result`.
pub fn get_batch_results(
    ep: &Endpoint,
    job_id: &str,
    batch_id: &str,
) -> Result<Request<Vec<u8>>, Error> {
    batch_get(ep, job_id, batch_id, "/result")
}

/// `GET /job/{id}/batch/{batch}/result/{result}`.
pub fn get_query_result(
    ep: &Endpoint,
    job_id: &str,
    batch_id: &str,
    result_id: &str,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("result id", result_id)?;
    batch_get(ep, job_id, batch_id, &format!("/result/{result_id}"))
}

/// A batch body ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchBody {
    /// The Content-Type to send.
    pub media_type: String,
    /// The bytes.
    pub data: Vec<u8>,
}

/// What a batch is made of, before it is checked against the job.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchContent {
    /// Bytes with their media type.
    Raw {
        /// e.g. `text/csv; charset=UTF-8`.
        media_type: String,
        /// The body.
        data: Vec<u8>,
    },
    /// Typed records, written in the job's format.
    Records(RecordSet),
    /// A SOQL statement.
    Query(String),
}

/// The media type without parameters, lower-cased.
pub fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Turns batch content into the body to send for a job of `job_type` (and `operation`),
/// refusing what Salesforce would refuse or misread.
pub fn batch_body(
    content: BatchContent,
    job_type: &ContentType,
    operation: Option<&Operation>,
) -> Result<BatchBody, Error> {
    let expected = job_type.batch_media_type().ok_or_else(|| {
        Error::invalid(format!(
            "the job has an unknown content type {:?}",
            job_type.as_str()
        ))
    })?;
    let is_query_job = operation.is_some_and(Operation::is_query);
    let body = match content {
        BatchContent::Query(soql) => {
            if job_type.is_zip() {
                return Err(Error::invalid("a query cannot be sent to a zip job"));
            }
            if operation.is_some_and(|op| !op.is_query()) {
                return Err(Error::invalid(format!(
                    "a query batch needs a query or queryAll job, this job is {}",
                    operation.map(Operation::as_str).unwrap_or("?")
                )));
            }
            let soql = soql.trim();
            if soql.is_empty() {
                return Err(Error::invalid("the query is empty"));
            }
            BatchBody {
                media_type: expected.to_string(),
                data: soql.as_bytes().to_vec(),
            }
        }
        BatchContent::Records(set) => {
            if is_query_job {
                return Err(Error::invalid(
                    "records cannot be added to a query job; send a query",
                ));
            }
            if job_type.is_zip() {
                return Err(Error::invalid(
                    "records cannot be added to a zip job; upload a zip with upload-batch-file",
                ));
            }
            if set.rows.is_empty() {
                return Err(Error::invalid("the batch has no records"));
            }
            if set.rows.len() > MAX_BATCH_RECORDS {
                return Err(Error::invalid(format!(
                    "a batch holds at most {MAX_BATCH_RECORDS} records, got {}",
                    set.rows.len()
                )));
            }
            let fmt = job_type.record_format().unwrap_or(RecordFormat::Csv);
            let data = wire::write_records(&set, fmt).map_err(Error::InvalidInput)?;
            BatchBody {
                media_type: fmt.media_type().to_string(),
                data,
            }
        }
        BatchContent::Raw { media_type, data } => {
            let got = essence(&media_type);
            if got != expected {
                return Err(Error::invalid(format!(
                    "batch media type {got:?} does not match the job's content type {} (expected {expected:?})",
                    job_type.as_str()
                )));
            }
            if data.iter().all(u8::is_ascii_whitespace) {
                return Err(Error::invalid("the batch body is empty"));
            }
            if job_type.is_zip() {
                wire::check_attachment_zip(&data)
                    .map_err(|e| Error::invalid(format!("not a usable attachment zip: {e}")))?;
            } else if *job_type == ContentType::Csv && !is_query_job {
                let n = wire::count_csv_records(&data)
                    .map_err(|e| Error::invalid(format!("the csv batch is not valid: {e}")))?;
                if n > MAX_BATCH_RECORDS {
                    return Err(Error::invalid(format!(
                        "a batch holds at most {MAX_BATCH_RECORDS} records, got {n}"
                    )));
                }
            }
            BatchBody { media_type, data }
        }
    };
    if body.data.len() > MAX_BATCH_BYTES {
        return Err(Error::invalid(format!(
            "a batch holds at most {MAX_BATCH_BYTES} bytes, got {}",
            body.data.len()
        )));
    }
    Ok(body)
}

/// `POST /job/{id}/batch` with a body from [`batch_body`].
pub fn add_batch(ep: &Endpoint, job_id: &str, body: BatchBody) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.request(
        Method::POST,
        &format!("/job/{job_id}/batch"),
        Some(&body.media_type),
        body.data,
    )
}

fn content_type_of(resp: &Response<Vec<u8>>) -> Option<&str> {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The reply body, gunzipped when `Content-Encoding: gzip`.
pub fn decoded_body(resp: &Response<Vec<u8>>) -> Result<Cow<'_, [u8]>, Error> {
    let gzip = resp
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(Cow::Borrowed(resp.body()));
    }
    let out = crate::gzip::gunzip(resp.body()).map_err(|e| {
        Error::unexpected(
            resp.status().as_u16(),
            content_type_of(resp),
            format!("gzip body cannot be decoded: {e}"),
            &[],
        )
    })?;
    Ok(Cow::Owned(out))
}

/// Whether a reply is Bulk API 1.0's expired-session signal: HTTP 400 with
/// `exceptionCode` `InvalidSessionId` (XML or JSON body).
pub fn is_session_expired(resp: &Response<Vec<u8>>) -> bool {
    if resp.status().as_u16() != 400 {
        return false;
    }
    let Ok(body) = decoded_body(resp) else {
        return false;
    };
    let fmt = wire::detect_format(content_type_of(resp), &body);
    matches!(wire::parse_error(&body, fmt), Some((code, _)) if code == "InvalidSessionId")
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
        Some((code, message)) if code == "InvalidSessionId" => Err(Error::SessionExpired(message)),
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

fn parse_doc<T>(
    resp: &Response<Vec<u8>>,
    what: &str,
    parse: impl FnOnce(&[u8], DocFormat) -> Result<T, String>,
) -> Result<T, Error> {
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
    parse(&body, fmt).map_err(|detail| {
        Error::unexpected(
            resp.status().as_u16(),
            ct,
            format!("{what}: {detail}"),
            &body,
        )
    })
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
    let ct = content_type_of(resp);
    wire::parse_batch_results(&body, ct).map_err(|detail| {
        Error::unexpected(
            resp.status().as_u16(),
            ct,
            format!("batch results: {detail}"),
            &body,
        )
    })
}

/// A reply whose body is returned as is (batch request, query result file).
pub fn parse_bytes(resp: Response<Vec<u8>>) -> Result<Vec<u8>, Error> {
    match success_body(&resp)? {
        Cow::Owned(v) => Ok(v),
        Cow::Borrowed(_) => Ok(resp.into_body()),
    }
}

/// The format to write a job's control documents in.
pub fn doc_format(job_type: Option<&ContentType>) -> DocFormat {
    if job_type.is_some_and(ContentType::is_json) {
        DocFormat::Json
    } else {
        DocFormat::Xml
    }
}

/// The default OAuth token host.
pub const DEFAULT_TOKEN_HOST: &str = "https://login.salesforce.com";

/// Refresh-token credentials. `Debug` redacts the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshCredentials {
    /// Token host, e.g. `https://login.salesforce.com`.
    pub token_host: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Connected app consumer key.
    pub client_id: String,
    /// Connected app consumer secret.
    pub client_secret: String,
}

impl fmt::Debug for RefreshCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshCredentials")
            .field("token_host", &self.token_host)
            .field("refresh_token", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// A new access token from the token endpoint. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The new access token.
    pub access_token: String,
    /// The instance URL the API host switches to.
    pub instance_url: String,
    /// `issued_at` in epoch milliseconds, when sent.
    pub issued_at_ms: Option<u64>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .field("issued_at_ms", &self.issued_at_ms)
            .finish()
    }
}

/// `POST {token_host}/services/oauth2/token` with a `grant_type=refresh_token` form body.
pub fn token_request(creds: &RefreshCredentials) -> Result<Request<Vec<u8>>, Error> {
    let (https, authority, prefix) = parse_base_url(&creds.token_host, "token endpoint")?;
    for (what, v) in [
        ("refresh token", &creds.refresh_token),
        ("client id", &creds.client_id),
        ("client secret", &creds.client_secret),
    ] {
        if v.is_empty() {
            return Err(Error::invalid(format!("{what} is empty")));
        }
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", &creds.refresh_token)
        .append_pair("client_id", &creds.client_id)
        .append_pair("client_secret", &creds.client_secret)
        .finish()
        .into_bytes();
    let scheme = if https { "https" } else { "http" };
    Request::builder()
        .method(Method::POST)
        .uri(format!(
            "{scheme}://{authority}{prefix}/services/oauth2/token"
        ))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .body(body)
        .map_err(|e| Error::invalid(format!("cannot build token request: {e}")))
}

/// The fields of a token endpoint reply that matter.
struct TokenReply {
    access_token: Option<String>,
    instance_url: Option<String>,
    issued_at: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenReply {
    fn parse(body: &[u8]) -> Option<Self> {
        let [
            access_token,
            instance_url,
            issued_at,
            error,
            error_description,
        ] = wire::json_string_fields(
            body,
            [
                "access_token",
                "instance_url",
                "issued_at",
                "error",
                "error_description",
            ],
        )?;
        Some(TokenReply {
            access_token,
            instance_url,
            issued_at,
            error,
            error_description,
        })
    }
}

/// Parses the token endpoint's reply: a grant, or `Error::Auth` with the OAuth error code.
/// Nothing of the reply body is copied into an error except the OAuth code and description.
pub fn parse_token_response(resp: &Response<Vec<u8>>) -> Result<TokenGrant, Error> {
    let status = resp.status().as_u16();
    let body = decoded_body(resp)?;
    let reply = TokenReply::parse(&body);
    match reply {
        Some(TokenReply {
            access_token: Some(token),
            instance_url: Some(url),
            issued_at,
            ..
        }) if resp.status().is_success() && !token.is_empty() => {
            parse_base_url(&url, "instance_url").map_err(|_| Error::Auth {
                error: "invalid_instance_url".into(),
                description: "the token endpoint returned an instance_url that is not https".into(),
            })?;
            Ok(TokenGrant {
                access_token: token,
                instance_url: url,
                issued_at_ms: issued_at.and_then(|s| s.parse().ok()),
            })
        }
        Some(TokenReply {
            error: Some(error),
            error_description,
            ..
        }) => Err(Error::Auth {
            error,
            description: error_description.unwrap_or_default(),
        }),
        // Never echo a body that may hold a token.
        _ => Err(Error::Auth {
            error: format!("http_{status}"),
            description: "the token endpoint's reply has no access_token and no error".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts_match_std_for_the_forms_urls_carry() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "128.0.0.1",
            "127.0.0",
            "127.0.0.256",
            "127.0.0.1.5",
            "127..0.1",
            "10.0.0.1",
            "example.com",
            "127.0.0.1.example.com",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
        // Agrees with std wherever std can parse the host.
        for host in [
            "127.0.0.1",
            "127.255.255.255",
            "126.0.0.1",
            "0.0.0.0",
            "::1",
        ] {
            let std = host.parse::<std::net::IpAddr>().unwrap().is_loopback();
            assert_eq!(is_loopback(host), std, "{host}");
        }
    }
}
