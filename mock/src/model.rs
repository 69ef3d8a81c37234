//! The mock's state: jobs, batches, tokens, the object store; job/batch documents.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use super::MockConfig;
use super::ingest::RecordResult;
use super::query::QueryRow;
use super::store::{IdGen, Store};
use super::wire::{ApiVersion, BatchInfoDoc, ContentType, Format, JobInfoDoc, format_date, xmlns};

/// Knobs that can change while the server runs.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub processing_delay: Duration,
    pub result_file_rows: usize,
}

/// Tokens and OAuth client credentials.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    access: HashSet<String>,
    expired: HashSet<String>,
    refresh: HashSet<String>,
    pub client_id: String,
    pub client_secret: String,
    pub issued: Vec<String>,
    pub token_requests: usize,
}

impl Auth {
    pub(crate) fn accepts(&self, token: &str) -> bool {
        self.access.contains(token) && !self.expired.contains(token)
    }

    pub(crate) fn accepts_refresh(&self, token: &str) -> bool {
        self.refresh.contains(token)
    }

    pub(crate) fn expire(&mut self, token: &str) {
        self.expired.insert(token.to_owned());
    }

    pub(crate) fn revoke_refresh(&mut self, token: &str) {
        self.refresh.remove(token);
    }

    /// Mints and accepts a new access token `00DMOCK!<n>`.
    pub(crate) fn mint(&mut self) -> String {
        let token = format!("00DMOCK!{}", self.issued.len() + 1);
        self.access.insert(token.clone());
        self.issued.push(token.clone());
        token
    }
}

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
    pub(crate) fn contains(&self, id15: &str) -> bool {
        self.start.as_deref().is_none_or(|s| id15 >= s)
            && self.end.as_deref().is_none_or(|e| id15 < e)
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

/// One query result file.
#[derive(Debug)]
pub(crate) struct ResultFile {
    pub id: String,
    pub rows: Vec<QueryRow>,
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

    fn processing_millis(&self) -> u64 {
        match &self.outcome {
            Some(o) if o.state != BatchState::NotProcessed => {
                let ms = o.at.duration_since(self.queued_until).unwrap_or_default();
                u64::try_from(ms.as_millis()).unwrap_or(u64::MAX)
            }
            _ => 0,
        }
    }

    /// A `NotProcessed` PK-chunking parent: listed, but not counted in the job's totals.
    fn is_split_parent(&self) -> bool {
        self.kind == BatchKind::PkParent
            && self
                .outcome
                .as_ref()
                .is_some_and(|o| o.state == BatchState::NotProcessed)
    }
}

/// `t + d`, saturating far in the future instead of overflowing.
fn later(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(u64::from(u32::MAX))))
        .unwrap_or(t)
}

#[derive(Debug)]
pub(crate) struct State {
    pub base_url: String,
    pub settings: Settings,
    pub auth: Auth,
    pub store: Store,
    pub ids: IdGen,
    pub jobs: BTreeMap<String, Job>,
    pub batches: BTreeMap<String, Batch>,
    /// Query batches still to fail with `QUERY_TIMEOUT`.
    pub query_timeouts: usize,
    /// Requests to `/services/…` (reported by `/limits` and `Sforce-Limit-Info`).
    pub api_requests: u64,
    /// Batches created (reported as used `DailyBulkApiBatches`).
    pub batches_created: u64,
    pub user_id: String,
    pub org_id: String,
    next_seq: u64,
}

impl State {
    pub(crate) fn new(cfg: &MockConfig, base_url: String, now: SystemTime) -> State {
        let mut ids = IdGen::default();
        let user_id = ids.next18("005");
        let org_id = ids.next18("00D");
        let mut store = Store::default();
        let width = cfg.seed_accounts.to_string().len().max(4);
        for n in 1..=cfg.seed_accounts {
            let name = format!("Seed Account {n:0width$}");
            store.insert("Account", [("Name".to_owned(), Some(name))], now);
        }
        State {
            base_url,
            settings: Settings {
                processing_delay: cfg.processing_delay,
                result_file_rows: cfg.result_file_rows.max(1),
            },
            auth: Auth {
                access: cfg.access_tokens.iter().cloned().collect(),
                refresh: cfg.refresh_tokens.iter().cloned().collect(),
                client_id: cfg.client_id.clone(),
                client_secret: cfg.client_secret.clone(),
                ..Auth::default()
            },
            store,
            ids,
            jobs: BTreeMap::new(),
            batches: BTreeMap::new(),
            query_timeouts: 0,
            api_requests: 0,
            batches_created: 0,
            user_id,
            org_id,
            next_seq: 0,
        }
    }

    /// Adds a batch to `job_id`, created at `created` and finishing one processing delay later
    /// (after the previous batch, for serial jobs); returns its id.
    pub(crate) fn schedule_batch(
        &mut self,
        job_id: &str,
        created: SystemTime,
        payload: Vec<u8>,
        kind: BatchKind,
        preset_failure: Option<String>,
    ) -> String {
        let delay = self.settings.processing_delay;
        let id = self.ids.next18("751");
        self.next_seq += 1;
        self.batches_created += 1;
        let mut start = created;
        if let Some(job) = self.jobs.get_mut(job_id) {
            if job.concurrency == Concurrency::Serial && kind == BatchKind::Data {
                start = start.max(job.serial_free_at);
                job.serial_free_at = later(start, delay);
            }
            job.batch_ids.push(id.clone());
        }
        self.batches.insert(
            id.clone(),
            Batch {
                id: id.clone(),
                job_id: job_id.to_owned(),
                seq: self.next_seq,
                created,
                queued_until: later(start, delay / 3),
                done_at: later(start, delay),
                payload,
                kind,
                preset_failure,
                outcome: None,
            },
        );
        id
    }

    pub(crate) fn job_doc(&self, job: &Job, format: Format, now: SystemTime) -> JobInfoDoc {
        let mut counts = [0u64; 4];
        let (mut total, mut processed, mut failed, mut millis) = (0u64, 0u64, 0u64, 0u64);
        let mut modstamp = job.modified;
        for batch in job.batch_ids.iter().filter_map(|id| self.batches.get(id)) {
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

    pub(crate) fn batch_doc(
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
}
