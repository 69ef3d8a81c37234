//! Conversions between the generated binding types and the core types.

use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::client;
use crate::error::Error;
use crate::model::{self, BatchState, ContentType, JobState, Operation};
use crate::protocol::BatchContent;

/// `list.into_iter().map(f).collect()` as a plain loop: the in-place collect (which reuses
/// the list's allocation) cost the component 3.4 KB over these conversions.
pub(crate) fn map_vec<A, B>(list: Vec<A>, mut f: impl FnMut(A) -> B) -> Vec<B> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(f(item));
    }
    out
}

pub(crate) fn to_wit_error(e: Error) -> wit::Error {
    use wit::ErrorKind as K;
    let message = e.to_string();
    let code = e.exception_code().map(str::to_string);
    let (kind, http_status, code) = match e {
        Error::InvalidInput(_) => (K::InvalidInput, None, code),
        Error::Transport(_) => (K::Transport, None, code),
        Error::Timeout(_) => (K::Timeout, None, code),
        Error::UnexpectedResponse { status, .. } => (K::UnexpectedResponse, Some(status), code),
        Error::Api { status, .. } => (K::Api, Some(status), code),
        Error::SessionExpired(_) => (K::SessionExpired, None, code),
        Error::Auth { error, .. } => (K::Auth, None, Some(error)),
        Error::OutcomeUnknown(_) => (K::OutcomeUnknown, None, code),
        Error::StillRunning { .. } => (K::StillRunning, None, code),
    };
    wit::Error {
        kind,
        message,
        http_status,
        code,
    }
}

pub(crate) fn operation_from(op: wit::Operation) -> Operation {
    match op {
        wit::Operation::Insert => Operation::Insert,
        wit::Operation::Update => Operation::Update,
        wit::Operation::Upsert => Operation::Upsert,
        wit::Operation::Delete => Operation::Delete,
        wit::Operation::HardDelete => Operation::HardDelete,
        wit::Operation::Query => Operation::Query,
        wit::Operation::QueryAll => Operation::QueryAll,
        wit::Operation::Other(s) => Operation::Unknown(s),
    }
}

pub(crate) fn operation_to(op: Option<Operation>) -> wit::Operation {
    match op {
        Some(Operation::Insert) => wit::Operation::Insert,
        Some(Operation::Update) => wit::Operation::Update,
        Some(Operation::Upsert) => wit::Operation::Upsert,
        Some(Operation::Delete) => wit::Operation::Delete,
        Some(Operation::HardDelete) => wit::Operation::HardDelete,
        Some(Operation::Query) => wit::Operation::Query,
        Some(Operation::QueryAll) => wit::Operation::QueryAll,
        Some(Operation::Unknown(s)) => wit::Operation::Other(s),
        None => wit::Operation::Other(String::new()),
    }
}

pub(crate) fn content_type_from(ct: wit::ContentType) -> ContentType {
    match ct {
        wit::ContentType::Xml => ContentType::Xml,
        wit::ContentType::Csv => ContentType::Csv,
        wit::ContentType::Json => ContentType::Json,
        wit::ContentType::ZipXml => ContentType::ZipXml,
        wit::ContentType::ZipCsv => ContentType::ZipCsv,
        wit::ContentType::ZipJson => ContentType::ZipJson,
        wit::ContentType::Other(s) => ContentType::Unknown(s),
    }
}

pub(crate) fn content_type_to(ct: ContentType) -> wit::ContentType {
    match ct {
        ContentType::Xml => wit::ContentType::Xml,
        ContentType::Csv => wit::ContentType::Csv,
        ContentType::Json => wit::ContentType::Json,
        ContentType::ZipXml => wit::ContentType::ZipXml,
        ContentType::ZipCsv => wit::ContentType::ZipCsv,
        ContentType::ZipJson => wit::ContentType::ZipJson,
        ContentType::Unknown(s) => wit::ContentType::Other(s),
    }
}

pub(crate) fn concurrency_from(c: wit::ConcurrencyMode) -> model::ConcurrencyMode {
    match c {
        wit::ConcurrencyMode::Parallel => model::ConcurrencyMode::Parallel,
        wit::ConcurrencyMode::Serial => model::ConcurrencyMode::Serial,
        wit::ConcurrencyMode::Other(s) => model::ConcurrencyMode::Unknown(s),
    }
}

pub(crate) fn concurrency_to(c: model::ConcurrencyMode) -> wit::ConcurrencyMode {
    match c {
        model::ConcurrencyMode::Parallel => wit::ConcurrencyMode::Parallel,
        model::ConcurrencyMode::Serial => wit::ConcurrencyMode::Serial,
        model::ConcurrencyMode::Unknown(s) => wit::ConcurrencyMode::Other(s),
    }
}

pub(crate) fn job_request(r: wit::JobRequest) -> model::JobRequest {
    model::JobRequest {
        operation: operation_from(r.operation),
        object: r.object,
        content_type: r.content_type.map(content_type_from),
        external_id_field_name: r.external_id_field_name,
        concurrency_mode: r.concurrency_mode.map(concurrency_from),
        assignment_rule_id: r.assignment_rule_id,
        pk_chunking: r.pk_chunking.map(|pk| model::PkChunking {
            chunk_size: pk.chunk_size,
            start_row: pk.start_row,
            parent: pk.parent,
        }),
        disable_batch_retry: r.disable_batch_retry.unwrap_or(false),
        line_ending: r.line_ending.map(|le| match le {
            wit::LineEnding::Lf => model::LineEnding::Lf,
            wit::LineEnding::Crlf => model::LineEnding::Crlf,
        }),
    }
}

pub(crate) fn job_info(j: model::JobInfo) -> wit::JobInfo {
    wit::JobInfo {
        id: j.id,
        operation: operation_to(j.operation),
        object: j.object,
        created_by_id: j.created_by_id,
        created_date: j.created_date,
        system_modstamp: j.system_modstamp,
        state: match j.state {
            Some(JobState::Open) => wit::JobState::Open,
            Some(JobState::Closed) => wit::JobState::Closed,
            Some(JobState::Aborted) => wit::JobState::Aborted,
            Some(JobState::Failed) => wit::JobState::Failed,
            Some(JobState::Unknown(s)) => wit::JobState::Other(s),
            None => wit::JobState::Other(String::new()),
        },
        external_id_field_name: j.external_id_field_name,
        concurrency_mode: j.concurrency_mode.map(concurrency_to),
        content_type: j.content_type.map(content_type_to),
        number_batches_queued: j.number_batches_queued,
        number_batches_in_progress: j.number_batches_in_progress,
        number_batches_completed: j.number_batches_completed,
        number_batches_failed: j.number_batches_failed,
        number_batches_total: j.number_batches_total,
        number_records_processed: j.number_records_processed,
        number_retries: j.number_retries,
        api_version: j.api_version,
        assignment_rule_id: j.assignment_rule_id,
        number_records_failed: j.number_records_failed,
        total_processing_time: j.total_processing_time,
        api_active_processing_time: j.api_active_processing_time,
        apex_processing_time: j.apex_processing_time,
    }
}

pub(crate) fn batch_info(b: model::BatchInfo) -> wit::BatchInfo {
    wit::BatchInfo {
        id: b.id,
        job_id: b.job_id,
        state: match b.state {
            Some(BatchState::Queued) => wit::BatchState::Queued,
            Some(BatchState::InProgress) => wit::BatchState::InProgress,
            Some(BatchState::Completed) => wit::BatchState::Completed,
            Some(BatchState::Failed) => wit::BatchState::Failed,
            Some(BatchState::NotProcessed) => wit::BatchState::NotProcessed,
            Some(BatchState::Unknown(s)) => wit::BatchState::Other(s),
            None => wit::BatchState::Other(String::new()),
        },
        state_message: b.state_message,
        created_date: b.created_date,
        system_modstamp: b.system_modstamp,
        number_records_processed: b.number_records_processed,
        number_records_failed: b.number_records_failed,
        total_processing_time: b.total_processing_time,
        api_active_processing_time: b.api_active_processing_time,
        apex_processing_time: b.apex_processing_time,
    }
}

pub(crate) fn record_set(s: wit::RecordSet) -> model::RecordSet {
    model::RecordSet {
        fields: s.fields,
        rows: map_vec(s.rows, |row| {
            map_vec(row, |v| match v {
                wit::FieldValue::Null => model::FieldValue::Null,
                wit::FieldValue::Text(t) => model::FieldValue::Text(t),
                wit::FieldValue::Number(n) => model::FieldValue::Number(n),
                wit::FieldValue::Boolean(b) => model::FieldValue::Boolean(b),
            })
        }),
    }
}

pub(crate) fn batch_results(r: model::BatchResults) -> wit::BatchResults {
    match r {
        model::BatchResults::Query(ids) => wit::BatchResults::Query(ids),
        model::BatchResults::Ingest(rows) => {
            wit::BatchResults::Ingest(map_vec(rows, |r| wit::RecordResult {
                id: r.id,
                success: r.success,
                created: r.created,
                errors: map_vec(r.errors, |e| wit::RecordError {
                    status_code: e.status_code,
                    message: e.message,
                    fields: e.fields,
                }),
            }))
        }
    }
}

pub(crate) fn config(c: wit::Config) -> client::Config {
    let t = c.timeouts.unwrap_or(wit::Timeouts {
        connect_ms: None,
        first_byte_ms: None,
        between_bytes_ms: None,
    });
    let r = c.retry.unwrap_or(wit::RetryPolicy {
        max_attempts: None,
        first_delay_ms: None,
        max_delay_ms: None,
        max_total_ms: None,
    });
    client::Config {
        api_version: c.api_version,
        access_token: c.access_token,
        api_url: c.api_url,
        token_endpoint_hostname: c.token_endpoint_hostname,
        refresh_token: c.refresh_token,
        client_id: c.client_id,
        client_secret: c.client_secret,
        interval_time: c.interval_time,
        registry_path: c.registry_path,
        connect_ms: t.connect_ms,
        first_byte_ms: t.first_byte_ms,
        between_bytes_ms: t.between_bytes_ms,
        max_attempts: r.max_attempts,
        first_delay_ms: r.first_delay_ms,
        max_delay_ms: r.max_delay_ms,
        max_total_ms: r.max_total_ms,
        username: c.username,
        jwt_private_key: c.jwt_private_key,
        concurrency: c.concurrency,
    }
}

pub(crate) fn wait_options(o: Option<wit::WaitOptions>) -> client::WaitOptions {
    o.map(|o| client::WaitOptions {
        first_interval_ms: o.first_interval_ms,
        max_interval_ms: o.max_interval_ms,
        timeout_ms: o.timeout_ms,
    })
    .unwrap_or_default()
}

pub(crate) fn split_options(o: Option<wit::SplitOptions>) -> client::SplitOptions {
    o.map(|o| client::SplitOptions {
        max_records: o.max_records,
        max_bytes: o.max_bytes,
    })
    .unwrap_or_default()
}

pub(crate) fn batch_ref_to(b: client::BatchRef) -> wit::BatchRef {
    wit::BatchRef {
        batch_id: b.batch_id,
        first_record: b.first_record,
        records: b.records,
    }
}

pub(crate) fn batch_ref_from(b: wit::BatchRef) -> client::BatchRef {
    client::BatchRef {
        batch_id: b.batch_id,
        first_record: b.first_record,
        records: b.records,
    }
}

pub(crate) fn batch_content(content: wit::BatchContent) -> BatchContent {
    match content {
        wit::BatchContent::Raw(raw) => BatchContent::Raw {
            media_type: raw.media_type,
            data: raw.data,
        },
        wit::BatchContent::Records(set) => BatchContent::Records(record_set(set)),
        wit::BatchContent::Query(q) => BatchContent::Query(q),
    }
}

pub(crate) fn state_change(state: wit::JobStateChange) -> model::JobStateChange {
    match state {
        wit::JobStateChange::Closed => model::JobStateChange::Closed,
        wit::JobStateChange::Aborted => model::JobStateChange::Aborted,
    }
}
