//! What a batch is made of, checked against its job before anything is sent: media type,
//! record and byte limits, CSV validity, zip attachments, queries.

use bytes::Bytes;

use crate::error::Error;
use crate::model::{ContentType, Operation, RecordFormat, RecordSet};
use crate::wire;

use super::limits::{MAX_BATCH_BYTES, MAX_BATCH_RECORDS};

/// A batch body ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchBody {
    /// The Content-Type to send.
    pub media_type: String,
    /// The bytes, shared by every request that sends them (a batch is never copied to be
    /// sent, or sent again).
    pub data: Bytes,
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
                data: Bytes::copy_from_slice(soql.as_bytes()),
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
                data: data.into(),
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
            BatchBody {
                media_type,
                data: data.into(),
            }
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

/// An attachment job needs a zip content type (ZIP_CSV, ZIP_XML or ZIP_JSON).
pub fn require_zip_job(content_type: Option<&ContentType>) -> Result<(), Error> {
    if content_type.is_some_and(ContentType::is_zip) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "an attachment job needs content type ZIP_CSV, ZIP_XML or ZIP_JSON, got {}",
        content_type.map(ContentType::as_str).unwrap_or("none")
    )))
}

/// The body of an attachment batch: a zip for a job of zip content type `job_type`.
pub fn zip_batch_body(zip: Vec<u8>, job_type: &ContentType) -> Result<BatchBody, Error> {
    let media = job_type
        .batch_media_type()
        .filter(|_| job_type.is_zip())
        .ok_or_else(|| {
            Error::invalid(format!(
                "upload-batch-file needs a ZIP_CSV, ZIP_XML or ZIP_JSON job, got {}",
                job_type.as_str()
            ))
        })?;
    let raw = BatchContent::Raw {
        media_type: media.to_string(),
        data: zip,
    };
    batch_body(raw, job_type, None)
}
