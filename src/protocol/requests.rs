//! Request builders: each validates its input and returns an `http::Request<Vec<u8>>`
//! (nothing is sent when it fails).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request};

use crate::error::Error;
use crate::model::{ContentType, JobRequest, JobStateChange};
use crate::wire::{self, DocFormat};

use super::batch_body::BatchBody;
use super::endpoint::Endpoint;
use super::ids::{external_id_field, validate_id, validate_name};
use super::limits::MAX_PK_CHUNK_SIZE;

const PK_CHUNKING_HEADER: HeaderName = HeaderName::from_static("sforce-enable-pkchunking");
const BATCH_RETRY_HEADER: HeaderName = HeaderName::from_static("sforce-disable-batch-retry");
const LINE_ENDING_HEADER: HeaderName = HeaderName::from_static("sforce-line-ending");

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
    external_id_field(&req.operation, req.external_id_field_name.as_deref())?;
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

/// `POST /job/{id}/batch` with a body from [`batch_body`] (its bytes shared, not copied).
pub fn add_batch(ep: &Endpoint, job_id: &str, body: &BatchBody) -> Result<Request<Bytes>, Error> {
    validate_id("job id", job_id)?;
    let request = ep.request(
        Method::POST,
        &format!("/job/{job_id}/batch"),
        Some(&body.media_type),
        Vec::new(),
    )?;
    Ok(request.map(|_| body.data.clone()))
}

/// The format to write a job's control documents in.
pub fn doc_format(job_type: Option<&ContentType>) -> DocFormat {
    if job_type.is_some_and(ContentType::is_json) {
        DocFormat::Json
    } else {
        DocFormat::Xml
    }
}
