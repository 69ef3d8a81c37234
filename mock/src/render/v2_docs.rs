//! The JSON documents of Bulk API 2.0: job info (ingest, query and Bulk 1.0 jobs in a
//! listing), job listings, `resultPages` in both shapes, and the REST error array.

use std::time::SystemTime;

use http::StatusCode;
use serde::Serialize;

use crate::dates::format_date;
use crate::formats::Format;
use crate::model::job::Job;
use crate::model::v2job::{V2Job, V2Kind, V2State};
use crate::render::reply::Reply;
use crate::rest_error::RestError;

/// How much of a job's info an answer carries: a create answer leaves out `jobType` and the
/// counters, as the documented examples do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Created,
    Full,
}

/// A job's info, in the documented field order; unset optional fields are omitted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobInfo {
    id: String,
    operation: &'static str,
    object: String,
    created_by_id: String,
    created_date: String,
    system_modstamp: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id_field_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment_rule_id: Option<String>,
    concurrency_mode: &'static str,
    content_type: &'static str,
    api_version: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_ending: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column_delimiter: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_records_processed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_records_failed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_processing_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_active_processing_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    apex_processing_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_pk_chunking_supported: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

/// The info of a 2.0 job at `now`.
pub(crate) fn job_info(job: &V2Job, detail: Detail, now: SystemTime) -> JobInfo {
    let state = job.state(now);
    let full = detail == Detail::Full;
    let ingest = job.kind == V2Kind::Ingest;
    let counted = full && state != V2State::Open;
    let millis = job.processing_millis(now);
    JobInfo {
        id: job.id.clone(),
        operation: job.operation.name(),
        object: job.object.clone(),
        created_by_id: job.created_by.clone(),
        created_date: format_date(job.created, Format::Json),
        system_modstamp: format_date(job.modified, Format::Json),
        state: state.name(),
        external_id_field_name: job.external_id.clone(),
        assignment_rule_id: job.assignment_rule_id.clone(),
        concurrency_mode: "Parallel",
        content_type: "CSV",
        api_version: job.api_version.parse().unwrap_or(0.0),
        job_type: full.then_some(job.kind.job_type()),
        content_url: (state == V2State::Open).then(|| {
            format!(
                "services/data/v{}/jobs/ingest/{}/batches",
                job.api_version, job.id
            )
        }),
        line_ending: Some(job.dialect.line_ending.name()),
        column_delimiter: Some(job.dialect.delimiter.name()),
        number_records_processed: counted.then_some(job.processed),
        number_records_failed: (counted && ingest).then_some(job.failed),
        retries: counted.then_some(0),
        total_processing_time: counted.then_some(millis),
        api_active_processing_time: (counted && ingest).then_some(millis),
        apex_processing_time: (counted && ingest).then_some(0),
        is_pk_chunking_supported: (counted && !ingest).then_some(true),
        error_message: job.error_message.clone().filter(|_| full),
    }
}

/// A Bulk 1.0 job as a listing shows it (`jobType: Classic`).
pub(crate) fn classic_job_info(job: &Job) -> JobInfo {
    JobInfo {
        id: job.id.clone(),
        operation: job.operation.name(),
        object: job.object.clone(),
        created_by_id: job.created_by.clone(),
        created_date: format_date(job.created, Format::Json),
        system_modstamp: format_date(job.modified, Format::Json),
        state: job.state.name(),
        external_id_field_name: job.external_id.clone(),
        assignment_rule_id: job.assignment_rule_id.clone(),
        concurrency_mode: job.concurrency.name(),
        content_type: job.content_type.name(),
        api_version: job.api_version.parse().unwrap_or(0.0),
        job_type: Some("Classic"),
        content_url: None,
        line_ending: None,
        column_delimiter: None,
        number_records_processed: None,
        number_records_failed: None,
        retries: None,
        total_processing_time: None,
        api_active_processing_time: None,
        apex_processing_time: None,
        is_pk_chunking_supported: None,
        error_message: None,
    }
}

/// One page of a job listing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobList {
    pub done: bool,
    pub records: Vec<JobInfo>,
    pub next_records_url: Option<String>,
}

/// The documented `resultPages` answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentedPages {
    result_pages: Vec<DocumentedPage>,
    next_records_url: Option<String>,
    done: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentedPage {
    result_url: String,
}

/// The `resultPages` answer orgs were seen to give.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObservedPages {
    result_chunks: Vec<ObservedPage>,
    next_records_url: Option<String>,
    done: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObservedPage {
    result_link: String,
}

/// `resultPages` in the documented shape: `urls` and the next set's URL.
pub(crate) fn documented_pages(urls: Vec<String>, next: Option<String>, pretty: bool) -> Reply {
    let doc = DocumentedPages {
        result_pages: urls
            .into_iter()
            .map(|result_url| DocumentedPage { result_url })
            .collect(),
        done: next.is_none(),
        next_records_url: next,
    };
    Reply::json(StatusCode::OK, &doc, pretty)
}

/// `resultPages` in the shape orgs were seen to give (`resultChunks[].resultLink`).
pub(crate) fn observed_pages(urls: Vec<String>, next: Option<String>, pretty: bool) -> Reply {
    let doc = ObservedPages {
        result_chunks: urls
            .into_iter()
            .map(|result_link| ObservedPage { result_link })
            .collect(),
        done: next.is_none(),
        next_records_url: next,
    };
    Reply::json(StatusCode::OK, &doc, pretty)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorItem<'a> {
    error_code: &'a str,
    message: &'a str,
}

/// The REST error array `[{"errorCode","message"}]` with the error's status.
pub(crate) fn error(err: &RestError, pretty: bool) -> Reply {
    Reply::json(
        err.status,
        &[ErrorItem {
            error_code: err.code,
            message: &err.message,
        }],
        pretty,
    )
}
