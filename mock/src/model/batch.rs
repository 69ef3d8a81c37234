//! A batch, its state and what it produced.

use std::ops::Bound;
use std::time::SystemTime;

use serde::Serialize;

use crate::model::rows::Rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchState {
    Queued,
    InProgress,
    Completed,
    Failed,
    NotProcessed,
}

impl BatchState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BatchState::Queued => "Queued",
            BatchState::InProgress => "InProgress",
            BatchState::Completed => "Completed",
            BatchState::Failed => "Failed",
            BatchState::NotProcessed => "NotProcessed",
        }
    }
}

/// `[start, end)` on 15-character ids; `None` = unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdRange {
    pub start: Option<String>,
    pub end: Option<String>,
}

impl IdRange {
    /// The ids of the chunk: from `start` (included) to `end` (excluded), as bounds of a
    /// range of the table's keys.
    pub(crate) fn bounds(&self) -> (Bound<&str>, Bound<&str>) {
        (
            self.start
                .as_deref()
                .map_or(Bound::Unbounded, Bound::Included),
            self.end
                .as_deref()
                .map_or(Bound::Unbounded, Bound::Excluded),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchKind {
    /// Records for an ingest operation.
    Data,
    /// A query, optionally restricted to a PK chunk.
    Query { range: Option<IdRange> },
    /// A query batch of a PK-chunking job: split into chunks, then `NotProcessed`.
    PkParent,
}

/// One per-record error of an ingest result (serialized as an `errors` element/object).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecordError {
    pub fields: Vec<String>,
    pub message: String,
    pub status_code: String,
}

impl RecordError {
    pub(crate) fn new(
        status_code: &str,
        message: impl Into<String>,
        fields: &[&str],
    ) -> RecordError {
        RecordError {
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            message: message.into(),
            status_code: status_code.to_owned(),
        }
    }
}

/// The result of one ingested record, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordResult {
    pub id: Option<String>,
    pub success: bool,
    pub created: bool,
    pub errors: Vec<RecordError>,
}

impl RecordResult {
    pub(crate) fn ok(id: String, created: bool) -> RecordResult {
        RecordResult {
            id: Some(id),
            success: true,
            created,
            errors: Vec::new(),
        }
    }

    pub(crate) fn failed(error: RecordError) -> RecordResult {
        RecordResult {
            id: None,
            success: false,
            created: false,
            errors: vec![error],
        }
    }
}

/// One query result file: its rows are a view of the batch's result.
#[derive(Debug)]
pub(crate) struct ResultFile {
    pub id: String,
    pub rows: Rows,
}

#[derive(Debug)]
pub(crate) enum ResultData {
    None,
    Ingest(Vec<RecordResult>),
    Query {
        object: String,
        fields: Vec<String>,
        files: Vec<ResultFile>,
    },
}

/// How and when a batch finished.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub state: BatchState,
    pub at: SystemTime,
    pub message: Option<String>,
    pub processed: u64,
    pub failed: u64,
    pub data: ResultData,
}

impl Outcome {
    pub(crate) fn failed(at: SystemTime, message: String) -> Outcome {
        Outcome {
            state: BatchState::Failed,
            at,
            message: Some(message),
            processed: 0,
            failed: 0,
            data: ResultData::None,
        }
    }

    pub(crate) fn not_processed(at: SystemTime) -> Outcome {
        Outcome {
            state: BatchState::NotProcessed,
            at,
            message: None,
            processed: 0,
            failed: 0,
            data: ResultData::None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Batch {
    pub id: String,
    pub job_id: String,
    pub seq: u64,
    pub created: SystemTime,
    /// `Queued` before this instant, `InProgress` after it until `done_at`.
    pub queued_until: SystemTime,
    pub done_at: SystemTime,
    /// The request body as decoded (zip bytes for ZIP jobs, SOQL text for queries).
    pub payload: Vec<u8>,
    pub kind: BatchKind,
    /// A failure decided when the batch was added (bad encoding, injected timeout).
    pub preset_failure: Option<String>,
    pub outcome: Option<Outcome>,
}

impl Batch {
    /// When the pending batch has its next (and only) transition.
    pub(crate) fn due(&self) -> SystemTime {
        match self.kind {
            BatchKind::PkParent => self.queued_until,
            _ => self.done_at,
        }
    }

    pub(crate) fn state(&self, now: SystemTime) -> BatchState {
        match &self.outcome {
            Some(outcome) => outcome.state,
            None if now < self.queued_until || self.kind == BatchKind::PkParent => {
                BatchState::Queued
            }
            None => BatchState::InProgress,
        }
    }

    /// Time between leaving `Queued` and finishing, in milliseconds (0 while unfinished).
    pub(crate) fn processing_millis(&self) -> u64 {
        match &self.outcome {
            Some(o) if o.state != BatchState::NotProcessed => {
                let ms = o.at.duration_since(self.queued_until).unwrap_or_default();
                u64::try_from(ms.as_millis()).unwrap_or(u64::MAX)
            }
            _ => 0,
        }
    }

    /// A `NotProcessed` PK-chunking parent: listed, but not counted in the job's totals.
    pub(crate) fn is_split_parent(&self) -> bool {
        self.kind == BatchKind::PkParent
            && self
                .outcome
                .as_ref()
                .is_some_and(|o| o.state == BatchState::NotProcessed)
    }
}
