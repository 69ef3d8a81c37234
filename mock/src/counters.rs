//! What the mock did, counted so tests can check that a fault they injected actually fired
//! and that the client made the requests they expect.

use std::collections::BTreeMap;

/// The JWT bearer grant type, as counted by [`Counters::token_grants_of`].
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A kind of fault the mock injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// An injected status (`fail_next`): 5xx/429 with an optional `Retry-After`.
    Status,
    /// A reply held back for a while (`delay_next`).
    Delay,
    /// A request never answered (`hang_next`).
    Hang,
    /// The connection closed before the request is processed (`reset_next`).
    Reset,
    /// The request processed, then the connection closed without the reply
    /// (`reset_after_processing_next`).
    ResetAfterProcessing,
    /// A reply that announces its length and sends half of it (`truncate_next`).
    Truncate,
    /// A plain query batch failed with `QUERY_TIMEOUT` (`query_timeout_next`).
    QueryTimeout,
    /// A request refused with `InvalidSessionId` (`401 INVALID_SESSION_ID` on `/limits` and
    /// Bulk API 2.0) because its access token was expired (`expire_access_token`).
    ExpiredSession,
    /// A Bulk 2.0 query results page that sent fewer rows than its `Sforce-NumberOfRecords`
    /// says (`short_page_next`).
    ShortPage,
    /// A Bulk 2.0 job answered `InProgress` to a poll because it was held (`slow_v2_jobs`).
    SlowJobPoll,
    /// A Bulk 2.0 job that ended `Failed` because it was told to (`fail_next_v2_jobs`).
    JobFailure,
    /// A 200-record chunk of a Bulk 2.0 ingest job that failed (`fail_next_v2_chunks`).
    ChunkFailure,
    /// A Bulk 2.0 request refused with `403 REQUEST_LIMIT_EXCEEDED` (`limit_exceeded_next`).
    LimitExceeded,
}

/// The resource a request was routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// `/services/oauth2/token`
    Token,
    /// `/services/data/vXX.X/limits`
    Limits,
    /// `…/job`
    Jobs,
    /// `…/job/{id}`
    Job,
    /// `…/job/{id}/batch`
    Batches,
    /// `…/job/{id}/batch/{id}`
    Batch,
    /// `…/batch/{id}/request`
    BatchRequest,
    /// `…/batch/{id}/result`
    BatchResult,
    /// `…/batch/{id}/result/{id}`
    ResultFile,
    /// `…/job/{id}/spec`
    Spec,
    /// `/services/data/vXX.X/jobs/ingest` (create, list)
    IngestJobs,
    /// `…/jobs/ingest/{id}` (get, close or abort, delete)
    IngestJob,
    /// `…/jobs/ingest/{id}/batches` (the upload)
    IngestUpload,
    /// `…/jobs/ingest/{id}/successfulResults`
    SuccessfulResults,
    /// `…/jobs/ingest/{id}/failedResults`
    FailedResults,
    /// `…/jobs/ingest/{id}/unprocessedrecords`
    UnprocessedRecords,
    /// `/services/data/vXX.X/jobs/query` (create, list)
    QueryJobs,
    /// `…/jobs/query/{id}` (get, abort, delete)
    QueryJob,
    /// `…/jobs/query/{id}/results`
    QueryResults,
    /// `…/jobs/query/{id}/resultPages`
    QueryResultPages,
    /// Anything else (answered with a 404 or an `InvalidUrl` error).
    Other,
}

/// What a request did to a Bulk 2.0 job, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V2JobChange {
    Created,
    Aborted,
    Deleted,
}

/// A snapshot of the mock's counters ([`crate::MockServer::counters`]), counted since the
/// mock started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    injected: BTreeMap<FaultKind, usize>,
    fired: BTreeMap<FaultKind, usize>,
    token_grants: usize,
    token_refusals: usize,
    /// `(grant_type, granted)` → count.
    token_requests_by_grant: BTreeMap<(String, bool), usize>,
    batches_stored: usize,
    served: BTreeMap<(String, Route), usize>,
    uploads_stored: BTreeMap<String, usize>,
    v2_jobs_created: usize,
    v2_jobs_aborted: usize,
    v2_jobs_deleted: usize,
}

impl Counters {
    /// Faults of `kind` armed by the knobs (`fail_next(3, …)` arms three; every
    /// `expire_access_token` arms one).
    #[must_use]
    pub fn injected(&self, kind: FaultKind) -> usize {
        self.injected.get(&kind).copied().unwrap_or(0)
    }

    /// Faults of `kind` that hit a request (or a batch, for [`FaultKind::QueryTimeout`]).
    #[must_use]
    pub fn fired(&self, kind: FaultKind) -> usize {
        self.fired.get(&kind).copied().unwrap_or(0)
    }

    /// Access tokens granted by the token endpoint.
    #[must_use]
    pub fn token_grants(&self) -> usize {
        self.token_grants
    }

    /// POSTs to the token endpoint that were refused (bad grant type, client or refresh token).
    #[must_use]
    pub fn token_refusals(&self) -> usize {
        self.token_refusals
    }

    /// Access tokens granted for `grant_type` (`refresh_token`, `client_credentials`,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`, or [`JWT_BEARER`]).
    #[must_use]
    pub fn token_grants_of(&self, grant_type: &str) -> usize {
        self.by_grant(grant_type, true)
    }

    /// Token requests for `grant_type` that were refused.
    #[must_use]
    pub fn token_refusals_of(&self, grant_type: &str) -> usize {
        self.by_grant(grant_type, false)
    }

    fn by_grant(&self, grant_type: &str, granted: bool) -> usize {
        self.token_requests_by_grant
            .get(&(grant_type.to_owned(), granted))
            .copied()
            .unwrap_or(0)
    }

    /// Batches made by add-batch requests (PK chunks the mock splits off are not counted).
    #[must_use]
    pub fn batches_stored(&self) -> usize {
        self.batches_stored
    }

    /// Requests with `method` routed to `route` and answered there (faults that answer a
    /// request before routing are counted by [`Counters::fired`] only).
    #[must_use]
    pub fn served(&self, method: &str, route: Route) -> usize {
        self.served
            .get(&(method.to_owned(), route))
            .copied()
            .unwrap_or(0)
    }

    /// Bulk 2.0 uploads (`PUT …/batches`) stored for `job_id` (a refused second upload is not
    /// stored).
    #[must_use]
    pub fn uploads_stored(&self, job_id: &str) -> usize {
        self.uploads_stored.get(job_id).copied().unwrap_or(0)
    }

    /// Bulk 2.0 uploads stored, all jobs together.
    #[must_use]
    pub fn v2_uploads_stored(&self) -> usize {
        self.uploads_stored.values().sum()
    }

    /// Bulk 2.0 jobs created (ingest and query).
    #[must_use]
    pub fn v2_jobs_created(&self) -> usize {
        self.v2_jobs_created
    }

    /// Bulk 2.0 jobs aborted by a `PATCH {"state":"Aborted"}`.
    #[must_use]
    pub fn v2_jobs_aborted(&self) -> usize {
        self.v2_jobs_aborted
    }

    /// Bulk 2.0 jobs deleted by a `DELETE`.
    #[must_use]
    pub fn v2_jobs_deleted(&self) -> usize {
        self.v2_jobs_deleted
    }

    pub(crate) fn note_upload_stored(&mut self, job_id: &str) {
        *self.uploads_stored.entry(job_id.to_owned()).or_default() += 1;
    }

    pub(crate) fn note_v2_job(&mut self, change: V2JobChange) {
        match change {
            V2JobChange::Created => self.v2_jobs_created += 1,
            V2JobChange::Aborted => self.v2_jobs_aborted += 1,
            V2JobChange::Deleted => self.v2_jobs_deleted += 1,
        }
    }

    pub(crate) fn note_injected(&mut self, kind: FaultKind, n: usize) {
        *self.injected.entry(kind).or_default() += n;
    }

    pub(crate) fn note_fired(&mut self, kind: FaultKind) {
        *self.fired.entry(kind).or_default() += 1;
    }

    pub(crate) fn note_token(&mut self, grant_type: &str, granted: bool) {
        *self
            .token_requests_by_grant
            .entry((grant_type.to_owned(), granted))
            .or_default() += 1;
        if granted {
            self.token_grants += 1;
        } else {
            self.token_refusals += 1;
        }
    }

    pub(crate) fn note_batch_stored(&mut self) {
        self.batches_stored += 1;
    }

    pub(crate) fn note_served(&mut self, method: &str, route: Route) {
        *self.served.entry((method.to_owned(), route)).or_default() += 1;
    }
}
