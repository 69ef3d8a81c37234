//! JSON views of the component's results, with Salesforce's camelCase field names
//! (the `sfbulk` CLI's output contract).

use serde::Serialize;

use host_test::{
    BatchInfo, BatchResults, BatchState, ConcurrencyMode, ContentType, JobInfo, JobState,
    Operation, RecordResult,
};

/// The wire name of an operation.
pub fn operation(op: &Operation) -> &str {
    match op {
        Operation::Insert => "insert",
        Operation::Update => "update",
        Operation::Upsert => "upsert",
        Operation::Delete => "delete",
        Operation::HardDelete => "hardDelete",
        Operation::Query => "query",
        Operation::QueryAll => "queryAll",
        Operation::Other(s) => s,
    }
}

/// The wire name of a content type.
pub fn content_type(ct: &ContentType) -> &str {
    match ct {
        ContentType::Xml => "XML",
        ContentType::Csv => "CSV",
        ContentType::Json => "JSON",
        ContentType::ZipXml => "ZIP_XML",
        ContentType::ZipCsv => "ZIP_CSV",
        ContentType::ZipJson => "ZIP_JSON",
        ContentType::Other(s) => s,
    }
}

/// The wire name of a concurrency mode.
pub fn concurrency_mode(c: &ConcurrencyMode) -> &str {
    match c {
        ConcurrencyMode::Parallel => "Parallel",
        ConcurrencyMode::Serial => "Serial",
        ConcurrencyMode::Other(s) => s,
    }
}

/// The wire name of a job state.
pub fn job_state(s: &JobState) -> &str {
    match s {
        JobState::Open => "Open",
        JobState::Closed => "Closed",
        JobState::Aborted => "Aborted",
        JobState::Failed => "Failed",
        JobState::Other(s) => s,
    }
}

/// The wire name of a batch state.
pub fn batch_state(s: &BatchState) -> &str {
    match s {
        BatchState::Queued => "Queued",
        BatchState::InProgress => "InProgress",
        BatchState::Completed => "Completed",
        BatchState::Failed => "Failed",
        BatchState::NotProcessed => "NotProcessed",
        BatchState::Other(s) => s,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobInfoJson<'a> {
    id: &'a str,
    operation: &'a str,
    object: &'a str,
    created_by_id: Option<&'a str>,
    created_date: Option<&'a str>,
    system_modstamp: Option<&'a str>,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id_field_name: Option<&'a str>,
    concurrency_mode: Option<&'a str>,
    content_type: Option<&'a str>,
    number_batches_queued: u32,
    number_batches_in_progress: u32,
    number_batches_completed: u32,
    number_batches_failed: u32,
    number_batches_total: u32,
    number_records_processed: u64,
    number_retries: u32,
    api_version: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment_rule_id: Option<&'a str>,
    number_records_failed: u64,
    total_processing_time: u64,
    api_active_processing_time: u64,
    apex_processing_time: u64,
}

/// A jobInfo as JSON.
pub fn job_info(j: &JobInfo) -> serde_json::Value {
    let api_version = j.api_version.as_deref().map(|v| {
        v.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(v.to_string()))
    });
    to_value(&JobInfoJson {
        id: &j.id,
        operation: operation(&j.operation),
        object: &j.object,
        created_by_id: j.created_by_id.as_deref(),
        created_date: j.created_date.as_deref(),
        system_modstamp: j.system_modstamp.as_deref(),
        state: job_state(&j.state),
        external_id_field_name: j.external_id_field_name.as_deref(),
        concurrency_mode: j.concurrency_mode.as_ref().map(concurrency_mode),
        content_type: j.content_type.as_ref().map(content_type),
        number_batches_queued: j.number_batches_queued,
        number_batches_in_progress: j.number_batches_in_progress,
        number_batches_completed: j.number_batches_completed,
        number_batches_failed: j.number_batches_failed,
        number_batches_total: j.number_batches_total,
        number_records_processed: j.number_records_processed,
        number_retries: j.number_retries,
        api_version,
        assignment_rule_id: j.assignment_rule_id.as_deref(),
        number_records_failed: j.number_records_failed,
        total_processing_time: j.total_processing_time,
        api_active_processing_time: j.api_active_processing_time,
        apex_processing_time: j.apex_processing_time,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchInfoJson<'a> {
    id: &'a str,
    job_id: &'a str,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_message: Option<&'a str>,
    created_date: Option<&'a str>,
    system_modstamp: Option<&'a str>,
    number_records_processed: u64,
    number_records_failed: u64,
    total_processing_time: u64,
    api_active_processing_time: u64,
    apex_processing_time: u64,
}

/// A batchInfo as JSON.
pub fn batch_info(b: &BatchInfo) -> serde_json::Value {
    to_value(&BatchInfoJson {
        id: &b.id,
        job_id: &b.job_id,
        state: batch_state(&b.state),
        state_message: b.state_message.as_deref(),
        created_date: b.created_date.as_deref(),
        system_modstamp: b.system_modstamp.as_deref(),
        number_records_processed: b.number_records_processed,
        number_records_failed: b.number_records_failed,
        total_processing_time: b.total_processing_time,
        api_active_processing_time: b.api_active_processing_time,
        apex_processing_time: b.apex_processing_time,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordErrorJson<'a> {
    status_code: &'a str,
    message: &'a str,
    fields: &'a [String],
}

#[derive(Serialize)]
struct RecordResultJson<'a> {
    id: Option<&'a str>,
    success: bool,
    created: bool,
    errors: Vec<RecordErrorJson<'a>>,
}

/// One record result as JSON.
pub fn record_result(r: &RecordResult) -> serde_json::Value {
    to_value(&RecordResultJson {
        id: r.id.as_deref(),
        success: r.success,
        created: r.created,
        errors: r
            .errors
            .iter()
            .map(|e| RecordErrorJson {
                status_code: &e.status_code,
                message: &e.message,
                fields: &e.fields,
            })
            .collect(),
    })
}

/// Batch results as JSON: an array of record results, or an array of result ids.
pub fn batch_results(r: &BatchResults) -> serde_json::Value {
    match r {
        BatchResults::Ingest(rows) => rows.iter().map(record_result).collect(),
        BatchResults::Query(ids) => ids
            .iter()
            .map(|s| serde_json::Value::from(s.as_str()))
            .collect(),
    }
}

fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    // Serializing these plain structs cannot fail.
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
