//! The Bulk API 2.0 knobs of a running mock: faults of 2.0 jobs and pages, page sizes, the
//! order and dialect of result files, `resultPages`.

use crate::config::ResultPagesShape;
use crate::counters::FaultKind;
use crate::handle::MockServer;
use crate::limits::V2_MAX_UPLOAD_BYTES;
use crate::model::v2job::ChunkFault;

impl MockServer {
    /// The `nth` request from now (1 = the next one; any path) gets `status` with an optional
    /// `Retry-After`, once, and leaves the state untouched (counted as [`FaultKind::Status`]).
    /// Replaces a plan of [`MockServer::fail_next`].
    pub fn fail_nth_request(&self, nth: usize, status: u16, retry_after_secs: Option<u32>) {
        self.shared.arm(FaultKind::Status, 1, |plan| {
            plan.fail_after(nth.saturating_sub(1), 1, status, retry_after_secs);
        });
    }

    /// The next `n` Bulk 2.0 requests with a valid session get `403 REQUEST_LIMIT_EXCEEDED`
    /// (`TotalRequests Limit exceeded.`).
    pub fn limit_exceeded_next(&self, n: usize) {
        self.shared.with_state(|s, _| {
            s.v2.limit_exceeded = n;
            s.counters.note_injected(FaultKind::LimitExceeded, n);
        });
    }

    /// The next `n` query result pages with rows send one row fewer than their
    /// `Sforce-NumberOfRecords` says (the locator and the count stay right).
    pub fn short_page_next(&self, n: usize) {
        self.shared.with_state(|s, _| {
            s.v2.short_pages = n;
            s.counters.note_injected(FaultKind::ShortPage, n);
        });
    }

    /// Every Bulk 2.0 job scheduled from now on (an ingest job at `UploadComplete`, a query job
    /// at create) answers `InProgress` to its first `polls` GETs and cannot finish before
    /// (`0` turns it off). Each held poll is counted as [`FaultKind::SlowJobPoll`] fired.
    pub fn slow_v2_jobs(&self, polls: usize) {
        self.shared.with_state(|s, _| s.v2.slow_polls = polls);
    }

    /// The next `n` Bulk 2.0 jobs to be scheduled end `Failed` when processed, with
    /// `error_message` as their `errorMessage` (or none); an ingest job's rows are then all
    /// unprocessed, a query job has no results.
    pub fn fail_next_v2_jobs(&self, n: usize, error_message: Option<&str>) {
        self.shared.with_state(|s, _| {
            for _ in 0..n {
                s.v2.job_failures
                    .push_back(error_message.map(str::to_owned));
            }
            s.counters.note_injected(FaultKind::JobFailure, n);
        });
    }

    /// The next `n` 200-record chunks of Bulk 2.0 ingest jobs fail as `how` says.
    pub fn fail_next_v2_chunks(&self, n: usize, how: ChunkFault) {
        self.shared.with_state(|s, _| {
            s.v2.chunk_faults = n;
            s.v2.chunk_fault = how;
            s.counters.note_injected(FaultKind::ChunkFailure, n);
        });
    }

    /// Rows per query results page when a request gives no `maxRecords` (at least 1).
    pub fn set_v2_page_rows(&self, rows: usize) {
        self.shared.with_state(|s, _| s.v2.page_rows = rows.max(1));
    }

    /// Seed of the order of ingest result rows; `None` keeps the upload order.
    pub fn shuffle_v2_results(&self, seed: Option<u64>) {
        self.shared.with_state(|s, _| s.v2.shuffle_seed = seed);
    }

    /// Whether `successfulResults`/`failedResults` follow the job's delimiter and line ending
    /// (else comma and LF).
    pub fn set_v2_results_in_job_dialect(&self, on: bool) {
        self.shared
            .with_state(|s, _| s.v2.results_in_job_dialect = on);
    }

    /// What `…/resultPages` answers.
    pub fn set_v2_result_pages(&self, shape: ResultPagesShape) {
        self.shared.with_state(|s, _| s.v2.result_pages = shape);
    }

    /// Largest upload a job accepts, in bytes (at most the service's limit, 150 MB after
    /// base64 encoding); a larger one gets `400 LIMIT_EXCEEDED`.
    pub fn set_v2_max_upload_bytes(&self, bytes: usize) {
        self.shared
            .with_state(|s, _| s.v2.max_upload_bytes = bytes.min(V2_MAX_UPLOAD_BYTES));
    }
}
