//! What one instance remembers between calls: the sessions (token in use per key) and the
//! kind of the jobs it has seen. Small string-keyed tables, newest last: an instance holds
//! a few of each, and a linear scan costs the component ~7 KB less than a hash map.

use std::cell::RefCell;

use crate::model::v2::JobState;
use crate::model::{BatchInfo, BatchState, ContentType, Operation};
use crate::protocol::Endpoint;

/// One session: the token in use and where it came from.
#[derive(Clone)]
pub(crate) struct Session {
    pub endpoint: Endpoint,
    /// What the config described when this session started (`None`: a login without an
    /// access token); a config that describes another endpoint (new token, URL or version)
    /// starts a new session.
    pub config: Option<Endpoint>,
    /// When the current token was obtained (ms since the epoch).
    pub obtained_at_ms: u64,
}

/// A small string-keyed table, newest last; the oldest rows are dropped beyond `cap`.
struct Table<V> {
    rows: Vec<(String, V)>,
    cap: usize,
}

impl<V: Clone> Table<V> {
    const fn new(cap: usize) -> Self {
        Table {
            rows: Vec::new(),
            cap,
        }
    }

    fn get(&self, key: &str) -> Option<V> {
        self.rows
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn take(&mut self, key: &str) -> Option<V> {
        let at = self.rows.iter().position(|(k, _)| k == key)?;
        Some(self.rows.remove(at).1)
    }

    fn insert(&mut self, key: String, value: V) {
        self.rows.retain(|(k, _)| *k != key);
        if self.rows.len() >= self.cap {
            self.rows.remove(0);
        }
        self.rows.push((key, value));
    }
}

/// A job's content type and operation.
pub(crate) type JobKind = (ContentType, Option<Operation>);

/// The sessions and known jobs of one instance.
pub struct State {
    sessions: RefCell<Table<Session>>,
    jobs: RefCell<Table<JobKind>>,
    /// Bulk 2.0 jobs last read in a final state: the state and the job's API version (a
    /// finished job changes neither), so joining results right after waiting for the job
    /// does not read it again.
    finished: RefCell<Table<(JobState, Option<String>)>>,
    /// Bulk 1.0 jobs whose batches were last listed all final (a final batch does not
    /// change), so joining results right after waiting does not list them again.
    batches: RefCell<Table<Vec<BatchInfo>>>,
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// Empty tables (64 sessions, 256 jobs at most).
    pub const fn new() -> Self {
        State {
            sessions: RefCell::new(Table::new(64)),
            jobs: RefCell::new(Table::new(256)),
            finished: RefCell::new(Table::new(64)),
            batches: RefCell::new(Table::new(8)),
        }
    }

    pub(crate) fn session(&self, key: &str) -> Option<Session> {
        self.sessions.borrow().get(key)
    }

    pub(crate) fn store_session(&self, key: String, session: Session) {
        self.sessions.borrow_mut().insert(key, session);
    }

    pub(crate) fn job(&self, job_id: &str) -> Option<JobKind> {
        self.jobs.borrow().get(job_id)
    }

    /// A Bulk 2.0 job's final state and API version, when it was read finished.
    pub(crate) fn finished_job(&self, job_id: &str) -> Option<(JobState, Option<String>)> {
        self.finished.borrow().get(job_id)
    }

    /// Remembers a Bulk 2.0 job read in a final state.
    pub(crate) fn remember_finished(&self, job: &crate::model::v2::JobInfo) {
        if let Some(state) = job.state.as_ref().filter(|s| s.is_final()) {
            self.finished
                .borrow_mut()
                .insert(job.id.clone(), (state.clone(), job.api_version.clone()));
        }
    }

    /// Remembers a 1.0 job's batches when every one of them is final.
    pub(crate) fn remember_batches(&self, job_id: &str, batches: &[BatchInfo]) {
        if batches
            .iter()
            .all(|b| b.state.as_ref().is_some_and(BatchState::is_final))
        {
            self.batches
                .borrow_mut()
                .insert(job_id.to_string(), batches.to_vec());
        }
    }

    /// A 1.0 job's batches as last listed all final (forgotten once taken).
    pub(crate) fn take_finished_batches(&self, job_id: &str) -> Option<Vec<BatchInfo>> {
        self.batches.borrow_mut().take(job_id)
    }

    pub(crate) fn remember_job(&self, job: &crate::model::JobInfo) {
        if let Some(ct) = &job.content_type {
            self.jobs
                .borrow_mut()
                .insert(job.id.clone(), (ct.clone(), job.operation.clone()));
        }
    }
}
