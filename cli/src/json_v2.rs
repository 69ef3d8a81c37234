//! JSON views of Bulk API 2.0 results, with Salesforce's camelCase field names, and the
//! command-line words of 2.0 (delimiters, line endings, result kinds, states).

use serde::Serialize;

use host_test::LineEnding;
use host_test::bulk2::{ColumnDelimiter, JobInfo, JobState, ResultKind};

/// The wire name of a 2.0 job state.
pub fn job_state(s: &JobState) -> &str {
    match s {
        JobState::Open => "Open",
        JobState::UploadComplete => "UploadComplete",
        JobState::InProgress => "InProgress",
        JobState::JobComplete => "JobComplete",
        JobState::Failed => "Failed",
        JobState::Aborted => "Aborted",
        JobState::Other(s) => s,
    }
}

/// A job's state as shown on stderr (`?` when Salesforce sent none).
pub fn state_of(j: &JobInfo) -> &str {
    j.state.as_ref().map(job_state).unwrap_or("?")
}

/// Whether a job is final: complete, failed or aborted.
pub fn is_final(j: &JobInfo) -> bool {
    matches!(
        j.state,
        Some(JobState::JobComplete | JobState::Failed | JobState::Aborted)
    )
}

/// The wire name of a column delimiter.
pub fn delimiter_name(d: ColumnDelimiter) -> &'static str {
    match d {
        ColumnDelimiter::Backquote => "BACKQUOTE",
        ColumnDelimiter::Caret => "CARET",
        ColumnDelimiter::Comma => "COMMA",
        ColumnDelimiter::Pipe => "PIPE",
        ColumnDelimiter::Semicolon => "SEMICOLON",
        ColumnDelimiter::Tab => "TAB",
    }
}

/// The delimiter of a byte (one of the six).
pub fn delimiter_of(b: u8) -> Option<ColumnDelimiter> {
    Some(match b {
        b'`' => ColumnDelimiter::Backquote,
        b'^' => ColumnDelimiter::Caret,
        b',' => ColumnDelimiter::Comma,
        b'|' => ColumnDelimiter::Pipe,
        b';' => ColumnDelimiter::Semicolon,
        b'\t' => ColumnDelimiter::Tab,
        _ => return None,
    })
}

/// Parses `--column-delimiter` (case-insensitive).
pub fn parse_delimiter(s: &str) -> Result<ColumnDelimiter, String> {
    Ok(match s.to_ascii_uppercase().as_str() {
        "BACKQUOTE" => ColumnDelimiter::Backquote,
        "CARET" => ColumnDelimiter::Caret,
        "COMMA" => ColumnDelimiter::Comma,
        "PIPE" => ColumnDelimiter::Pipe,
        "SEMICOLON" => ColumnDelimiter::Semicolon,
        "TAB" => ColumnDelimiter::Tab,
        _ => {
            return Err(format!(
                "unknown column delimiter {s:?}: expected COMMA, TAB, PIPE, SEMICOLON, CARET or BACKQUOTE"
            ));
        }
    })
}

/// Parses `--kind` of `v2 ingest results`.
pub fn parse_result_kind(s: &str) -> Result<ResultKind, String> {
    match s.to_ascii_lowercase().as_str() {
        "successful" | "successfulresults" => Ok(ResultKind::Successful),
        "failed" | "failedresults" => Ok(ResultKind::Failed),
        "unprocessed" | "unprocessedrecords" => Ok(ResultKind::Unprocessed),
        _ => Err(format!(
            "unknown result kind {s:?}: expected successful, failed or unprocessed"
        )),
    }
}

/// The wire name of a line ending.
pub fn line_ending_name(l: LineEnding) -> &'static str {
    match l {
        LineEnding::Lf => "LF",
        LineEnding::Crlf => "CRLF",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobInfoJson<'a> {
    id: &'a str,
    operation: &'a str,
    object: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_modstamp: Option<&'a str>,
    state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id_field_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column_delimiter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_ending: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_version: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_type: Option<&'a str>,
    number_records_processed: u64,
    number_records_failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
}

/// A 2.0 jobInfo as JSON: the fields the component reads, as Salesforce names them
/// (`apiVersion` a number when it reads as one, as Salesforce sends it).
pub fn job_info(j: &JobInfo) -> serde_json::Value {
    let api_version = j.api_version.as_deref().map(|v| {
        v.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(v.to_string()))
    });
    serde_json::to_value(JobInfoJson {
        id: &j.id,
        operation: &j.operation,
        object: &j.object,
        created_date: j.created_date.as_deref(),
        system_modstamp: j.system_modstamp.as_deref(),
        state: j.state.as_ref().map(job_state),
        external_id_field_name: j.external_id_field_name.as_deref(),
        content_url: j.content_url.as_deref(),
        column_delimiter: j.column_delimiter.as_deref(),
        line_ending: j.line_ending.as_deref(),
        api_version,
        job_type: j.job_type.as_deref(),
        number_records_processed: j.number_records_processed,
        number_records_failed: j.number_records_failed,
        error_message: j.error_message.as_deref(),
    })
    .unwrap_or(serde_json::Value::Null)
}
