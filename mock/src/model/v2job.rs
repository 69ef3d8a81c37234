//! A Bulk API 2.0 job (ingest or query): its phase over time, its upload and what processing
//! produced; and the 2.0 knobs a test sets.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use crate::config::{MockConfig, ResultPagesShape};
use crate::dialect::Dialect;
use crate::model::batch::RecordError;
use crate::model::job::Operation;
use crate::model::rows::Rows;

/// Ingest or query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V2Kind {
    Ingest,
    Query,
}

impl V2Kind {
    /// `jobType` of the job's info.
    pub(crate) fn job_type(self) -> &'static str {
        match self {
            V2Kind::Ingest => "V2Ingest",
            V2Kind::Query => "V2Query",
        }
    }
}

/// A job's `state` as the service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V2State {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl V2State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            V2State::Open => "Open",
            V2State::UploadComplete => "UploadComplete",
            V2State::InProgress => "InProgress",
            V2State::JobComplete => "JobComplete",
            V2State::Failed => "Failed",
            V2State::Aborted => "Aborted",
        }
    }

    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            V2State::JobComplete | V2State::Failed | V2State::Aborted
        )
    }
}

/// Where a job is in its life: open for the upload, waiting for processing, or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// An ingest job before `UploadComplete`.
    Open,
    /// Closed (ingest) or created (query): `UploadComplete` until `queued_until`, then
    /// `InProgress` until processing ends.
    Scheduled {
        queued_until: SystemTime,
        done_at: SystemTime,
    },
    /// `JobComplete`, `Failed` or `Aborted`, since `at`.
    Finished { state: V2State, at: SystemTime },
}

/// One of the three result files of an ingest job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultKind {
    Successful,
    Failed,
    Unprocessed,
}

/// The upload of an ingest job, read with the job's dialect: raw rows (byte ranges of the
/// upload, terminator included) and their values.
#[derive(Debug, Default)]
pub(crate) struct UploadRows {
    /// The header line as uploaded (terminator included).
    pub header_raw: Range<usize>,
    pub headers: Vec<String>,
    pub rows: Vec<UploadRow>,
    /// Why the whole job fails (`errorMessage`), found while reading the upload.
    pub problem: Option<String>,
}

#[derive(Debug)]
pub(crate) struct UploadRow {
    pub raw: Range<usize>,
    pub values: Vec<String>,
}

/// What processing made of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowOutcome {
    Succeeded {
        id: String,
        created: bool,
    },
    /// `id` is the row's `Id` for updates and deletes, empty for inserts.
    Failed {
        id: String,
        errors: Vec<RecordError>,
    },
}

/// The ingest side of a job.
#[derive(Debug, Default)]
pub(crate) struct IngestData {
    /// The bytes of the one upload, as received.
    pub upload: Option<Vec<u8>>,
    /// The upload read at `UploadComplete`.
    pub rows: UploadRows,
    /// Per row (upload order): `None` until the row is attempted; never attempted rows of a
    /// finished job are its unprocessed records.
    pub outcomes: Vec<Option<RowOutcome>>,
    /// Internal batches (10,000 records each) processed, and how many there are.
    pub steps_done: usize,
    pub steps_total: usize,
}

/// The query side of a job.
#[derive(Debug, Default)]
pub(crate) struct QueryData {
    pub soql: String,
    pub fields: Vec<String>,
    pub rows: Rows,
}

#[derive(Debug)]
pub(crate) struct V2Job {
    pub id: String,
    pub kind: V2Kind,
    /// Order of creation (seeds the job's result order).
    pub seq: u64,
    pub operation: Operation,
    pub object: String,
    pub created_by: String,
    pub created: SystemTime,
    pub modified: SystemTime,
    /// `62.0`: the version of the URL that created the job.
    pub api_version: String,
    pub dialect: Dialect,
    pub external_id: Option<String>,
    pub assignment_rule_id: Option<String>,
    pub phase: Phase,
    /// Polls still to answer `InProgress` before processing may finish (`slow_v2_jobs`).
    pub polls_held: usize,
    /// A failure decided when processing was scheduled (`fail_next_v2_jobs`): the
    /// `errorMessage`, if any.
    pub preset_failure: Option<Option<String>>,
    pub error_message: Option<String>,
    pub processed: u64,
    pub failed: u64,
    pub ingest: IngestData,
    pub query: QueryData,
}

impl V2Job {
    /// The state reported at `now`.
    pub(crate) fn state(&self, now: SystemTime) -> V2State {
        match self.phase {
            Phase::Open => V2State::Open,
            Phase::Scheduled { .. } if self.polls_held > 0 => V2State::InProgress,
            Phase::Scheduled { queued_until, .. } if now < queued_until => V2State::UploadComplete,
            Phase::Scheduled { .. } => V2State::InProgress,
            Phase::Finished { state, .. } => state,
        }
    }

    /// Milliseconds between leaving the queue and finishing (so far, while running).
    pub(crate) fn processing_millis(&self, now: SystemTime) -> u64 {
        let (start, end) = match self.phase {
            Phase::Open => return 0,
            Phase::Scheduled { queued_until, .. } => (queued_until, now),
            Phase::Finished { at, .. } => (self.created.min(at), at),
        };
        let ms = end.duration_since(start).unwrap_or(Duration::ZERO);
        u64::try_from(ms.as_millis()).unwrap_or(u64::MAX)
    }

    /// Rows never attempted (upload order), once the job has finished.
    pub(crate) fn unprocessed_rows(&self) -> impl Iterator<Item = &UploadRow> {
        let finished = matches!(self.phase, Phase::Finished { .. });
        self.ingest
            .rows
            .rows
            .iter()
            .enumerate()
            .filter(move |(i, _)| {
                finished && self.ingest.outcomes.get(*i).is_none_or(Option::is_none)
            })
            .map(|(_, row)| row)
    }
}

/// How a failing 200-record chunk ends (`fail_next_v2_chunks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFault {
    /// Each record of the chunk fails with `UNABLE_TO_LOCK_ROW`; the job goes on.
    RecordsFail,
    /// The chunk cannot be processed: the job ends `Failed`
    /// (`TooManyLockFailure : …`) and the chunk and every later record are unprocessed.
    JobFails,
}

/// The Bulk 2.0 knobs of a running mock.
#[derive(Debug)]
pub(crate) struct V2Knobs {
    pub page_rows: usize,
    pub shuffle_seed: Option<u64>,
    pub result_pages: ResultPagesShape,
    pub results_in_job_dialect: bool,
    pub max_upload_bytes: usize,
    /// Polls each job scheduled from now on answers `InProgress` before it may finish.
    pub slow_polls: usize,
    /// Failures for the next jobs to be scheduled: each an optional `errorMessage`.
    pub job_failures: VecDeque<Option<String>>,
    pub chunk_faults: usize,
    pub chunk_fault: ChunkFault,
    pub short_pages: usize,
    pub limit_exceeded: usize,
    pub next_seq: u64,
}

impl V2Knobs {
    pub(crate) fn new(cfg: &MockConfig, max_upload_bytes: usize) -> V2Knobs {
        V2Knobs {
            page_rows: cfg.v2_page_rows.max(1),
            shuffle_seed: cfg.v2_shuffle_seed,
            result_pages: cfg.v2_result_pages,
            results_in_job_dialect: cfg.v2_results_in_job_dialect,
            max_upload_bytes,
            slow_polls: 0,
            job_failures: VecDeque::new(),
            chunk_faults: 0,
            chunk_fault: ChunkFault::RecordsFail,
            short_pages: 0,
            limit_exceeded: 0,
            next_seq: 0,
        }
    }
}
