//! A job and the values of its fields.

use std::time::SystemTime;

use crate::formats::ContentType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
    Query,
    QueryAll,
}

impl Operation {
    /// Case-sensitive, as on the real service (`INSERT` is an error).
    pub(crate) fn parse(s: &str) -> Option<Operation> {
        Some(match s {
            "insert" => Operation::Insert,
            "update" => Operation::Update,
            "upsert" => Operation::Upsert,
            "delete" => Operation::Delete,
            "hardDelete" => Operation::HardDelete,
            "query" => Operation::Query,
            "queryAll" => Operation::QueryAll,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
            Operation::HardDelete => "hardDelete",
            Operation::Query => "query",
            Operation::QueryAll => "queryAll",
        }
    }

    pub(crate) fn is_query(self) -> bool {
        matches!(self, Operation::Query | Operation::QueryAll)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    Open,
    Closed,
    Aborted,
}

impl JobState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            JobState::Open => "Open",
            JobState::Closed => "Closed",
            JobState::Aborted => "Aborted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concurrency {
    Parallel,
    Serial,
}

impl Concurrency {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Concurrency::Parallel => "Parallel",
            Concurrency::Serial => "Serial",
        }
    }
}

/// Options of the `Sforce-Enable-PKChunking` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PkChunking {
    pub chunk_size: usize,
    pub start_row: Option<String>,
    pub parent: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Job {
    pub id: String,
    pub operation: Operation,
    pub object: String,
    pub created_by: String,
    pub created: SystemTime,
    pub modified: SystemTime,
    pub state: JobState,
    pub external_id: Option<String>,
    pub concurrency: Concurrency,
    pub content_type: ContentType,
    pub api_version: String,
    pub assignment_rule_id: Option<String>,
    pub pk_chunking: Option<PkChunking>,
    /// `Sforce-Disable-Batch-Retry` (remembered; the mock never retries).
    #[allow(
        dead_code,
        reason = "remembered like the real service; nothing reflects it"
    )]
    pub disable_batch_retry: bool,
    /// `Sforce-Line-Ending` (remembered; values are stored as sent).
    #[allow(
        dead_code,
        reason = "remembered like the real service; nothing reflects it"
    )]
    pub line_ending: Option<String>,
    pub batch_ids: Vec<String>,
    /// When the last batch of a serial job finishes.
    pub serial_free_at: SystemTime,
}
