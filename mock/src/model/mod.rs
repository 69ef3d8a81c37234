//! The mock's state: jobs, batches, tokens, the object store, counters and the clock.

pub(crate) mod auth;
pub(crate) mod batch;
pub(crate) mod job;
pub(crate) mod rows;
pub(crate) mod v2job;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::api_error::ApiError;
use crate::config::MockConfig;
use crate::counters::Counters;
use crate::ids::IdGen;
use crate::limits::V2_MAX_UPLOAD_BYTES;
use crate::model::auth::Auth;
use crate::model::batch::{Batch, BatchKind};
use crate::model::job::{Concurrency, Job};
use crate::model::v2job::{V2Job, V2Knobs};
use crate::store::Store;

/// Knobs that can change while the server runs.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub processing_delay: Duration,
    pub result_file_rows: usize,
}

/// `t + d`, saturating far in the future instead of overflowing.
pub(crate) fn later(t: SystemTime, d: Duration) -> SystemTime {
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
    /// Bulk API 2.0 jobs (ingest and query), by id.
    pub v2_jobs: BTreeMap<String, V2Job>,
    /// The Bulk API 2.0 knobs.
    pub v2: V2Knobs,
    /// Query batches still to fail with `QUERY_TIMEOUT`.
    pub query_timeouts: usize,
    /// Requests to `/services/…` (reported by `/limits` and `Sforce-Limit-Info`).
    pub api_requests: u64,
    /// Batches created, PK chunks included (reported as used `DailyBulkApiBatches`).
    pub batches_created: u64,
    /// What the mock did, for tests.
    pub counters: Counters,
    /// How far the mock's clock runs ahead of the system clock (`advance_clock`).
    pub clock_offset: Duration,
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
            auth: Auth::new(cfg),
            store,
            ids,
            jobs: BTreeMap::new(),
            batches: BTreeMap::new(),
            v2_jobs: BTreeMap::new(),
            v2: V2Knobs::new(cfg, V2_MAX_UPLOAD_BYTES),
            query_timeouts: 0,
            api_requests: 0,
            batches_created: 0,
            counters: Counters::default(),
            clock_offset: Duration::ZERO,
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

    /// The mock's time: the system clock plus the offset `advance_clock` added.
    pub(crate) fn now(&self) -> SystemTime {
        later(SystemTime::now(), self.clock_offset)
    }

    pub(crate) fn job(&self, job_id: &str) -> Result<&Job, ApiError> {
        self.jobs.get(job_id).ok_or_else(|| invalid_job_id(job_id))
    }

    pub(crate) fn job_mut(&mut self, job_id: &str) -> Result<&mut Job, ApiError> {
        self.jobs
            .get_mut(job_id)
            .ok_or_else(|| invalid_job_id(job_id))
    }

    /// A batch of `job_id` (a batch of another job is not found either).
    pub(crate) fn batch(&self, job_id: &str, batch_id: &str) -> Result<&Batch, ApiError> {
        self.batches
            .get(batch_id)
            .filter(|b| b.job_id == job_id)
            .ok_or_else(|| ApiError::invalid_batch(format!("Invalid batch id: {batch_id}")))
    }
}

fn invalid_job_id(job_id: &str) -> ApiError {
    ApiError::invalid_job(format!("Invalid job id: {job_id}"))
}
