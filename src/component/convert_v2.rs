//! Conversions between the `bulk2` binding types and the core's Bulk API 2.0 types.

use super::convert::{map_vec, operation_from};
use crate::bindings::exports::sfbulk::connector::bulk as wit1;
use crate::bindings::exports::sfbulk::connector::bulk2 as wit;
use crate::client::{IngestJobRef, QueryPositionV2};
use crate::model::LineEnding;
use crate::model::v2::{self, ColumnDelimiter};
use crate::protocol::v2::JobKind;

pub(crate) fn delimiter(d: wit::ColumnDelimiter) -> ColumnDelimiter {
    match d {
        wit::ColumnDelimiter::Backquote => ColumnDelimiter::Backquote,
        wit::ColumnDelimiter::Caret => ColumnDelimiter::Caret,
        wit::ColumnDelimiter::Comma => ColumnDelimiter::Comma,
        wit::ColumnDelimiter::Pipe => ColumnDelimiter::Pipe,
        wit::ColumnDelimiter::Semicolon => ColumnDelimiter::Semicolon,
        wit::ColumnDelimiter::Tab => ColumnDelimiter::Tab,
    }
}

fn line_ending(l: wit1::LineEnding) -> LineEnding {
    match l {
        wit1::LineEnding::Lf => LineEnding::Lf,
        wit1::LineEnding::Crlf => LineEnding::Crlf,
    }
}

pub(crate) fn kind(k: wit::JobKind) -> JobKind {
    match k {
        wit::JobKind::Ingest => JobKind::Ingest,
        wit::JobKind::Query => JobKind::Query,
    }
}

pub(crate) fn result_kind(k: wit::ResultKind) -> v2::ResultKind {
    match k {
        wit::ResultKind::Successful => v2::ResultKind::Successful,
        wit::ResultKind::Failed => v2::ResultKind::Failed,
        wit::ResultKind::Unprocessed => v2::ResultKind::Unprocessed,
    }
}

pub(crate) fn ingest_request(r: wit::IngestRequest) -> v2::IngestRequest {
    v2::IngestRequest {
        object: r.object,
        operation: operation_from(r.operation),
        external_id_field_name: r.external_id_field_name,
        column_delimiter: r.column_delimiter.map(delimiter),
        line_ending: r.line_ending.map(line_ending),
        assignment_rule_id: r.assignment_rule_id,
    }
}

pub(crate) fn query_request(r: wit::QueryRequest) -> v2::QueryRequest {
    v2::QueryRequest {
        query: r.query,
        operation: operation_from(r.operation),
        column_delimiter: r.column_delimiter.map(delimiter),
        line_ending: r.line_ending.map(line_ending),
    }
}

fn state(s: v2::JobState) -> wit::JobState {
    match s {
        v2::JobState::Open => wit::JobState::Open,
        v2::JobState::UploadComplete => wit::JobState::UploadComplete,
        v2::JobState::InProgress => wit::JobState::InProgress,
        v2::JobState::JobComplete => wit::JobState::JobComplete,
        v2::JobState::Failed => wit::JobState::Failed,
        v2::JobState::Aborted => wit::JobState::Aborted,
        v2::JobState::Unknown(s) => wit::JobState::Other(s),
    }
}

pub(crate) fn job_info(j: v2::JobInfo) -> wit::JobInfo {
    wit::JobInfo {
        id: j.id,
        operation: j.operation,
        object: j.object,
        state: j.state.map(state),
        api_version: j.api_version,
        content_url: j.content_url,
        column_delimiter: j.column_delimiter,
        line_ending: j.line_ending,
        external_id_field_name: j.external_id_field_name,
        job_type: j.job_type,
        number_records_processed: j.number_records_processed,
        number_records_failed: j.number_records_failed,
        error_message: j.error_message,
        created_date: j.created_date,
        system_modstamp: j.system_modstamp,
    }
}

pub(crate) fn job_list(l: v2::JobList) -> wit::JobList {
    wit::JobList {
        jobs: map_vec(l.jobs, job_info),
        next_records_url: l.next_records_url,
    }
}

pub(crate) fn query_page(p: v2::QueryPage) -> wit::QueryPage {
    wit::QueryPage {
        data: p.data,
        next_locator: p.next_locator,
        number_of_records: p.number_of_records,
    }
}

pub(crate) fn result_pages(p: v2::ResultPages) -> wit::ResultPages {
    wit::ResultPages {
        locators: p.locators,
        next_records_url: p.next_records_url,
    }
}

pub(crate) fn job_ref_to(r: IngestJobRef) -> wit::IngestJobRef {
    wit::IngestJobRef {
        job_id: r.job_id,
        first_record: r.first_record,
        records: r.records,
    }
}

pub(crate) fn job_ref_from(r: wit::IngestJobRef) -> IngestJobRef {
    IngestJobRef {
        job_id: r.job_id,
        first_record: r.first_record,
        records: r.records,
    }
}

pub(crate) fn position(p: QueryPositionV2) -> wit::QueryPosition {
    wit::QueryPosition {
        job_id: p.job_id,
        locator: p.locator,
        rows: p.rows,
        bytes: p.bytes,
        done: p.done,
    }
}
