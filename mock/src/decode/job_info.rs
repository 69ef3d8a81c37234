//! A jobInfo request body (XML, or JSON when the request says so) and the job headers, read
//! and checked: what a create-job or update-job request asks for.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::api_error::ApiError;
use crate::decode::request::Req;
use crate::decode::xml_tree;
use crate::formats::ContentType;
use crate::limits::MAX_CHUNK_SIZE;
use crate::model::job::{Concurrency, JobState, Operation, PkChunking};
use crate::schema::is_known_name;

/// Elements a client may never send (read-only fields of jobInfo).
const READ_ONLY: &[&str] = &[
    "id",
    "createdById",
    "createdDate",
    "systemModstamp",
    "numberBatchesQueued",
    "numberBatchesInProgress",
    "numberBatchesCompleted",
    "numberBatchesFailed",
    "numberBatchesTotal",
    "numberRecordsProcessed",
    "numberRetries",
    "apiVersion",
    "numberRecordsFailed",
    "totalProcessingTime",
    "apiActiveProcessingTime",
    "apexProcessingTime",
];

/// The fields of a jobInfo request body (`None` = explicit JSON `null`).
type JobFields = BTreeMap<String, Option<String>>;

/// Reads a jobInfo body: JSON only when the request says `application/json`, else XML.
fn read_job_fields(req: &Req, body: &[u8]) -> Result<JobFields, ApiError> {
    if req.content_type_is_json() {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid_job(format!("Unable to parse job: {e}")))?;
        let Value::Object(map) = value else {
            return Err(ApiError::invalid_job(
                "Unable to parse job: expected a JSON object",
            ));
        };
        map.into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(ApiError::invalid_job(format!(
                            "Unable to parse job: invalid value of {name}"
                        )));
                    }
                };
                Ok((name, value))
            })
            .collect()
    } else {
        let root = xml_tree::parse(body)
            .map_err(|e| ApiError::invalid_job(format!("Unable to parse job: {e}")))?;
        if root.name != "jobInfo" {
            return Err(ApiError::invalid_job(format!(
                "Unable to parse job: expected root element jobInfo, found {}",
                root.name
            )));
        }
        Ok(root
            .children
            .into_iter()
            .map(|child| {
                (
                    child.name,
                    (!child.nil).then(|| child.text.trim().to_owned()),
                )
            })
            .collect())
    }
}

/// A value that is present and not empty.
fn non_empty<'a>(fields: &'a JobFields, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(Option::as_deref)
        .filter(|v| !v.is_empty())
}

/// A create-job request, checked.
#[derive(Debug)]
pub(crate) struct JobSpec {
    pub operation: Operation,
    pub object: String,
    pub content_type: ContentType,
    pub external_id: Option<String>,
    pub concurrency: Concurrency,
    pub assignment_rule_id: Option<String>,
    pub pk_chunking: Option<PkChunking>,
    pub disable_batch_retry: bool,
    pub line_ending: Option<String>,
}

/// Reads and checks the body and headers of `POST /services/async/{version}/job`.
pub(crate) fn job_spec(req: &Req, body: &[u8], version: &str) -> Result<JobSpec, ApiError> {
    let fields = read_job_fields(req, body)?;
    if let Some(field) = READ_ONLY.iter().find(|f| fields.contains_key(**f)) {
        return Err(ApiError::invalid_job(format!(
            "{field} cannot be specified"
        )));
    }
    if fields.contains_key("state") {
        return Err(ApiError::invalid_job(
            "state cannot be specified when creating a job",
        ));
    }
    let operation = match non_empty(&fields, "operation") {
        None => return Err(ApiError::invalid_job("operation is required")),
        Some(op) => Operation::parse(op)
            .ok_or_else(|| ApiError::invalid_job(format!("Invalid operation: {op}")))?,
    };
    let object =
        non_empty(&fields, "object").ok_or_else(|| ApiError::invalid_job("object is required"))?;
    if !is_known_name(object) {
        return Err(ApiError::invalid_job(format!(
            "Unable to find object: {object}"
        )));
    }
    let content_type = match non_empty(&fields, "contentType") {
        None => ContentType::Xml,
        Some(ct) => ContentType::parse(ct)
            .ok_or_else(|| ApiError::invalid_job(format!("Invalid content type: {ct}")))?,
    };
    if content_type.is_zip() && version_below(version, 20.0) {
        return Err(ApiError::invalid_job(format!(
            "Content type {} requires API version 20.0 or later",
            content_type.name()
        )));
    }
    let external_id = non_empty(&fields, "externalIdFieldName").map(str::to_owned);
    match (operation, &external_id) {
        (Operation::Upsert, None) => {
            return Err(ApiError::invalid_job(
                "External ID Field Name is required for upsert",
            ));
        }
        (Operation::Upsert, Some(name)) if !is_known_name(name) => {
            return Err(ApiError::invalid_job(format!(
                "Invalid External ID field: {name}"
            )));
        }
        (op, Some(_)) if op != Operation::Upsert => {
            return Err(ApiError::invalid_job(
                "External ID Field Name is only valid for upsert",
            ));
        }
        _ => {}
    }
    let concurrency = match non_empty(&fields, "concurrencyMode") {
        None | Some("Parallel" | "0") => Concurrency::Parallel,
        Some("Serial" | "1") => Concurrency::Serial,
        Some(other) => {
            return Err(ApiError::invalid_job(format!(
                "Invalid concurrency mode: {other}"
            )));
        }
    };
    let pk_chunking = match req.header("sforce-enable-pkchunking") {
        Some(value) => parse_pk_chunking(value)?,
        None => None,
    };
    let disable_batch_retry = req
        .header("sforce-disable-batch-retry")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let line_ending = req.header("sforce-line-ending").map(str::to_owned);

    Ok(JobSpec {
        operation,
        object: object.to_owned(),
        content_type,
        external_id,
        concurrency,
        assignment_rule_id: non_empty(&fields, "assignmentRuleId").map(str::to_owned),
        pk_chunking,
        disable_batch_retry,
        line_ending,
    })
}

/// Reads the body of `POST …/job/{id}`: only a `state`, `Closed` or `Aborted`.
pub(crate) fn requested_state(req: &Req, body: &[u8]) -> Result<JobState, ApiError> {
    let fields = read_job_fields(req, body)?;
    if let Some(other) = fields.keys().find(|name| *name != "state") {
        return Err(ApiError::invalid_job(format!(
            "{other} cannot be specified when updating a job"
        )));
    }
    let requested = non_empty(&fields, "state").unwrap_or_default();
    match requested {
        "Closed" => Ok(JobState::Closed),
        "Aborted" => Ok(JobState::Aborted),
        other => Err(ApiError::invalid_job_state(format!(
            "Invalid job state: '{other}'; a job can only be Closed or Aborted"
        ))),
    }
}

fn version_below(version: &str, limit: f64) -> bool {
    version.parse::<f64>().is_ok_and(|v| v < limit)
}

/// `Sforce-Enable-PKChunking`: `TRUE`, `FALSE`, or `;`-separated `chunkSize=N`, `startRow=ID`,
/// `parent=Object` (a bare `true` among them is allowed, and a trailing `;`).
pub(crate) fn parse_pk_chunking(value: &str) -> Result<Option<PkChunking>, ApiError> {
    let mut options = PkChunking {
        chunk_size: 100_000,
        start_row: None,
        parent: None,
    };
    let mut enabled = None;
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = part.split_once('=') else {
            match part.to_ascii_lowercase().as_str() {
                "true" => enabled = Some(true),
                "false" => enabled = Some(false),
                _ => return Err(pk_error(part)),
            }
            continue;
        };
        let val = val.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "chunksize" => {
                let size = val.parse::<usize>().map_err(|_| pk_error(part))?;
                if size == 0 || size > MAX_CHUNK_SIZE {
                    return Err(ApiError::invalid_job(format!(
                        "chunkSize must be between 1 and {MAX_CHUNK_SIZE}: {val}"
                    )));
                }
                options.chunk_size = size;
            }
            "startrow" if !val.is_empty() => options.start_row = Some(val.to_owned()),
            "parent" if !val.is_empty() => options.parent = Some(val.to_owned()),
            _ => return Err(pk_error(part)),
        }
        enabled.get_or_insert(true);
    }
    Ok(match enabled {
        Some(true) => Some(options),
        _ => None,
    })
}

fn pk_error(part: &str) -> ApiError {
    ApiError::invalid_job(format!("Invalid Sforce-Enable-PKChunking option: {part}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pk_header_forms() {
        assert_eq!(parse_pk_chunking("FALSE").unwrap(), None);
        assert_eq!(
            parse_pk_chunking("TRUE").unwrap().unwrap().chunk_size,
            100_000
        );
        assert_eq!(
            parse_pk_chunking("chunkSize=2000;")
                .unwrap()
                .unwrap()
                .chunk_size,
            2000
        );
        let o = parse_pk_chunking("true; chunkSize=100000; parent=Account; startRow=001x")
            .unwrap()
            .unwrap();
        assert_eq!(o.parent.as_deref(), Some("Account"));
        assert_eq!(o.start_row.as_deref(), Some("001x"));
        assert!(parse_pk_chunking("chunkSize=0").is_err());
        assert!(parse_pk_chunking("chunkSize=abc").is_err());
        assert!(parse_pk_chunking("colour=blue").is_err());
    }
}
