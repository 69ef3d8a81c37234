//! The Bulk API control documents (jobInfo, batchInfo, batchInfoList, result-list) as serde
//! structs in schema order, rendered as XML or JSON, and built from the state.

use std::time::SystemTime;

use serde::Serialize;

use crate::dates::format_date;
use crate::formats::{Format, xmlns};
use crate::model::State;
use crate::model::batch::{Batch, BatchState};
use crate::model::job::Job;

/// `apiVersion`: a string in XML (`62.0`), a number in JSON.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ApiVersion {
    Text(String),
    Number(f64),
}

/// `jobInfo`, elements in schema order; unset optional elements are omitted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobInfoDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    pub id: String,
    pub operation: &'static str,
    pub object: String,
    pub created_by_id: String,
    pub created_date: String,
    pub system_modstamp: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_field_name: Option<String>,
    pub concurrency_mode: &'static str,
    pub content_type: &'static str,
    pub number_batches_queued: u64,
    pub number_batches_in_progress: u64,
    pub number_batches_completed: u64,
    pub number_batches_failed: u64,
    pub number_batches_total: u64,
    pub number_records_processed: u64,
    pub number_retries: u64,
    pub api_version: ApiVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_rule_id: Option<String>,
    pub number_records_failed: u64,
    pub total_processing_time: u64,
    pub api_active_processing_time: u64,
    pub apex_processing_time: u64,
}

/// `batchInfo`, elements in schema order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchInfoDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    pub id: String,
    pub job_id: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    pub created_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_modstamp: Option<String>,
    pub number_records_processed: u64,
    pub number_records_failed: u64,
    pub total_processing_time: u64,
    pub api_active_processing_time: u64,
    pub apex_processing_time: u64,
}

/// `batchInfoList` (XML) / `{"batchInfo":[…]}` (JSON; always an array).
#[derive(Serialize)]
pub(crate) struct BatchInfoListDoc {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    pub xmlns: Option<&'static str>,
    #[serde(rename = "batchInfo")]
    pub batch_info: Vec<BatchInfoDoc>,
}

/// `<result-list>`: ids of the query result files (XML form; JSON is a bare array).
#[derive(Serialize)]
pub(crate) struct ResultListDoc<'a> {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub result: Vec<&'a str>,
}

/// The jobInfo of `job` as of `now`: batch counts and totals over its batches (a PK-chunking
/// parent split into chunks is listed but not counted).
pub(crate) fn job_info(state: &State, job: &Job, format: Format, now: SystemTime) -> JobInfoDoc {
    let mut counts = [0u64; 4];
    let (mut total, mut processed, mut failed, mut millis) = (0u64, 0u64, 0u64, 0u64);
    let mut modstamp = job.modified;
    for batch in job.batch_ids.iter().filter_map(|id| state.batches.get(id)) {
        if batch.is_split_parent() {
            continue;
        }
        total += 1;
        match batch.state(now) {
            BatchState::Queued => counts[0] += 1,
            BatchState::InProgress => counts[1] += 1,
            BatchState::Completed => counts[2] += 1,
            BatchState::Failed => counts[3] += 1,
            BatchState::NotProcessed => {}
        }
        if let Some(outcome) = &batch.outcome {
            processed += outcome.processed;
            failed += outcome.failed;
            modstamp = modstamp.max(outcome.at);
        }
        millis += batch.processing_millis();
    }
    let version = job.api_version.clone();
    JobInfoDoc {
        xmlns: xmlns(format),
        id: job.id.clone(),
        operation: job.operation.name(),
        object: job.object.clone(),
        created_by_id: job.created_by.clone(),
        created_date: format_date(job.created, format),
        system_modstamp: format_date(modstamp, format),
        state: job.state.name(),
        external_id_field_name: job.external_id.clone(),
        concurrency_mode: job.concurrency.name(),
        content_type: job.content_type.name(),
        number_batches_queued: counts[0],
        number_batches_in_progress: counts[1],
        number_batches_completed: counts[2],
        number_batches_failed: counts[3],
        number_batches_total: total,
        number_records_processed: processed,
        number_retries: 0,
        api_version: match format {
            Format::Xml => ApiVersion::Text(version),
            Format::Json => ApiVersion::Number(version.parse().unwrap_or(0.0)),
        },
        assignment_rule_id: job.assignment_rule_id.clone(),
        number_records_failed: failed,
        total_processing_time: millis,
        api_active_processing_time: millis,
        apex_processing_time: 0,
    }
}

/// The batchInfo of `batch` as of `now` (`root`: the document's root, with the namespace).
pub(crate) fn batch_info(
    batch: &Batch,
    format: Format,
    root: bool,
    now: SystemTime,
) -> BatchInfoDoc {
    let state = batch.state(now);
    let modstamp = match (&batch.outcome, state) {
        (Some(outcome), _) => outcome.at,
        (None, BatchState::InProgress) => batch.queued_until,
        (None, _) => batch.created,
    };
    let millis = batch.processing_millis();
    let outcome = batch.outcome.as_ref();
    BatchInfoDoc {
        xmlns: if root { xmlns(format) } else { None },
        id: batch.id.clone(),
        job_id: batch.job_id.clone(),
        state: state.name(),
        state_message: outcome.and_then(|o| o.message.clone()),
        created_date: format_date(batch.created, format),
        system_modstamp: Some(format_date(modstamp, format)),
        number_records_processed: outcome.map_or(0, |o| o.processed),
        number_records_failed: outcome.map_or(0, |o| o.failed),
        total_processing_time: millis,
        api_active_processing_time: millis,
        apex_processing_time: 0,
    }
}
