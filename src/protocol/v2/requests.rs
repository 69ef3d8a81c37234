//! Bulk API 2.0 request builders: each checks its input and builds the request; nothing is
//! sent when it fails.

use bytes::Bytes;
use http::{Method, Request};

use crate::error::Error;
use crate::model::Operation;
use crate::model::v2::{IngestRequest, JobState, QueryRequest, ResultKind};
use crate::wire::v2 as wire;

use crate::protocol::endpoint::Endpoint;
use crate::protocol::ids::{external_id_field, validate_id, validate_name};
use crate::protocol::limits::{MAX_QUERY_PAGE_RECORDS, MAX_UPLOAD_BYTES};

const JSON: &str = "application/json";
const CSV: &str = "text/csv";

/// Ingest or query: which half of the API a job belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// `/jobs/ingest`.
    Ingest,
    /// `/jobs/query`.
    Query,
}

impl JobKind {
    fn path(self) -> &'static str {
        match self {
            Self::Ingest => "/ingest",
            Self::Query => "/query",
        }
    }
}

/// `POST /jobs/ingest`.
pub fn create_ingest_job(ep: &Endpoint, req: &IngestRequest) -> Result<Request<Vec<u8>>, Error> {
    match req.operation {
        Operation::Insert
        | Operation::Update
        | Operation::Upsert
        | Operation::Delete
        | Operation::HardDelete => {}
        ref other => {
            return Err(Error::invalid(format!(
                "an ingest job is insert, update, upsert, delete or hardDelete, not {}",
                other.as_str()
            )));
        }
    }
    validate_name("object", &req.object)?;
    let ext = external_id_field(&req.operation, req.external_id_field_name.as_deref())?;
    if let Some(rule) = &req.assignment_rule_id {
        validate_id("assignment rule id", rule)?;
    }
    let mut req = req.clone();
    req.external_id_field_name = ext.map(str::to_string);
    ep.jobs_request(
        Method::POST,
        "/ingest",
        Some(JSON),
        JSON,
        wire::write_ingest_request(&req),
    )
}

/// `PUT /jobs/ingest/{id}/batches`: the job's one upload.
pub fn upload_job_data(
    ep: &Endpoint,
    job_id: &str,
    data: Vec<Bytes>,
) -> Result<Request<Vec<Bytes>>, Error> {
    validate_id("job id", job_id)?;
    // The pieces are checked one by one: each holds whole records (`crate::split`), so no
    // character is cut between two.
    if data.iter().all(|p| p.iter().all(u8::is_ascii_whitespace)) {
        return Err(Error::invalid("the upload is empty"));
    }
    let len: usize = data.iter().map(Bytes::len).sum();
    if len > MAX_UPLOAD_BYTES {
        return Err(Error::invalid(format!(
            "a bulk 2.0 job takes at most {MAX_UPLOAD_BYTES} bytes, got {len}"
        )));
    }
    if data.iter().any(|p| std::str::from_utf8(p).is_err()) {
        return Err(Error::invalid("the upload is not utf-8"));
    }
    // The body is shared with the caller (and its next attempt), never copied.
    let head = ep.jobs_request(
        Method::PUT,
        &format!("/ingest/{job_id}/batches"),
        Some(CSV),
        JSON,
        Vec::new(),
    )?;
    Ok(head.map(|_| data))
}

/// `PATCH /jobs/{kind}/{id}` with a new state: `UploadComplete` (ingest) or `Aborted`.
pub fn set_job_state(
    ep: &Endpoint,
    kind: JobKind,
    job_id: &str,
    state: &JobState,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    match (kind, state) {
        (JobKind::Ingest, JobState::UploadComplete) | (_, JobState::Aborted) => {}
        (_, other) => {
            return Err(Error::invalid(format!(
                "a {} job can be set to {}, not {}",
                if kind == JobKind::Ingest {
                    "ingest"
                } else {
                    "query"
                },
                if kind == JobKind::Ingest {
                    "UploadComplete or Aborted"
                } else {
                    "Aborted"
                },
                other.as_str()
            )));
        }
    }
    ep.jobs_request(
        Method::PATCH,
        &format!("{}/{job_id}", kind.path()),
        Some(JSON),
        JSON,
        wire::write_state(state),
    )
}

/// `GET /jobs/{kind}/{id}`.
pub fn get_job(ep: &Endpoint, kind: JobKind, job_id: &str) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.jobs_request(
        Method::GET,
        &format!("{}/{job_id}", kind.path()),
        None,
        JSON,
        Vec::new(),
    )
}

/// `DELETE /jobs/{kind}/{id}`.
pub fn delete_job(ep: &Endpoint, kind: JobKind, job_id: &str) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.jobs_request(
        Method::DELETE,
        &format!("{}/{job_id}", kind.path()),
        None,
        JSON,
        Vec::new(),
    )
}

/// `GET /jobs/{kind}`, or the next page at the `nextRecordsUrl` a listing gave.
pub fn list_jobs(
    ep: &Endpoint,
    kind: JobKind,
    next_records_url: Option<&str>,
) -> Result<Request<Vec<u8>>, Error> {
    match next_records_url {
        Some(next) => ep.server_path_request(next, JSON),
        None => ep.jobs_request(Method::GET, kind.path(), None, JSON, Vec::new()),
    }
}

/// `GET /jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords`, at the API
/// version the job was made with.
pub fn get_ingest_results(
    ep: &Endpoint,
    job_id: &str,
    which: ResultKind,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    ep.jobs_request(
        Method::GET,
        &format!("/ingest/{job_id}/{}", which.path()),
        None,
        CSV,
        Vec::new(),
    )
}

/// `POST /jobs/query`.
pub fn create_query_job(ep: &Endpoint, req: &QueryRequest) -> Result<Request<Vec<u8>>, Error> {
    if !req.operation.is_query() {
        return Err(Error::invalid(format!(
            "a query job is query or queryAll, not {}",
            req.operation.as_str()
        )));
    }
    let query = req.query.trim();
    if query.is_empty() {
        return Err(Error::invalid("the query is empty"));
    }
    let mut req = req.clone();
    req.query = query.to_string();
    ep.jobs_request(
        Method::POST,
        "/query",
        Some(JSON),
        JSON,
        wire::write_query_request(&req),
    )
}

/// `GET /jobs/query/{id}/results?locator=L&maxRecords=N`, at the job's API version.
pub fn get_query_results(
    ep: &Endpoint,
    job_id: &str,
    locator: Option<&str>,
    max_records: Option<u32>,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(l) = locator {
        if l.is_empty() || l == "null" || l.len() > 1024 {
            return Err(Error::invalid(format!(
                "a locator is the non-empty text salesforce gave, got {:?}",
                l.chars().take(40).collect::<String>()
            )));
        }
        query.append_pair("locator", l);
    }
    if let Some(n) = max_records {
        if n == 0 || n > MAX_QUERY_PAGE_RECORDS {
            return Err(Error::invalid(format!(
                "max records per page must be 1 to {MAX_QUERY_PAGE_RECORDS}, got {n}"
            )));
        }
        query.append_pair("maxRecords", &n.to_string());
    }
    let query = query.finish();
    let path = if query.is_empty() {
        format!("/query/{job_id}/results")
    } else {
        format!("/query/{job_id}/results?{query}")
    };
    ep.jobs_request(Method::GET, &path, None, CSV, Vec::new())
}

/// `GET /jobs/query/{id}/resultPages` (v58+), or its next set.
pub fn get_result_pages(
    ep: &Endpoint,
    job_id: &str,
    next_records_url: Option<&str>,
) -> Result<Request<Vec<u8>>, Error> {
    validate_id("job id", job_id)?;
    match next_records_url {
        Some(next) => ep.server_path_request(next, JSON),
        None => ep.jobs_request(
            Method::GET,
            &format!("/query/{job_id}/resultPages"),
            None,
            JSON,
            Vec::new(),
        ),
    }
}
