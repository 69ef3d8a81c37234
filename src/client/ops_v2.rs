//! The Bulk API 2.0 operations on core types, over the same calls, sessions and retries as
//! 1.0's. Creating a job, the upload, closing, aborting and deleting are never replayed
//! blindly: their outcome, when unknown, is `outcome-unknown` (whole jobs settle it by
//! reading the job).

use crate::backoff::PollPolicy;
use crate::error::Error;
use crate::model::v2::{
    IngestRequest, JobInfo, JobList, JobState, QueryPage, QueryRequest, ResultKind, ResultPages,
};
use crate::protocol::v2::{self as p2, JobKind};
use crate::protocol::{MAX_CONTROL_BYTES, MAX_FILE_BYTES, validate_id};

use super::call::{Client, Replay};
use super::resume::{ResumingBody, StartedBody};
use super::transport::{Body, BodyReader};

impl Client {
    /// `POST /jobs/ingest`.
    pub fn create_ingest_job(&self, request: &IngestRequest) -> Result<JobInfo, Error> {
        let what = format!("create-ingest-job for {}", request.object);
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            p2::create_ingest_job(ep, request)
        })?;
        p2::parse_job_info(&resp)
    }

    /// `PUT /jobs/ingest/{id}/batches`: the job's one upload (the bytes are shared with
    /// the request, not copied).
    pub fn upload_job_data(&self, job_id: &str, data: Body) -> Result<(), Error> {
        let what = format!("upload to job {job_id}");
        let resp = self.call_shared(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            p2::upload_job_data(ep, job_id, data.clone())
        })?;
        p2::parse_empty(&resp)
    }

    /// `PATCH /jobs/{kind}/{id}`: `UploadComplete` (ingest) or `Aborted`.
    pub fn set_job_state(
        &self,
        kind: JobKind,
        job_id: &str,
        state: &JobState,
    ) -> Result<JobInfo, Error> {
        let what = format!("set job {job_id} to {}", state.as_str());
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            p2::set_job_state(ep, kind, job_id, state)
        })?;
        p2::parse_job_info(&resp)
    }

    /// `GET /jobs/{kind}/{id}`.
    pub fn get_job_v2(&self, kind: JobKind, job_id: &str) -> Result<JobInfo, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            p2::get_job(ep, kind, job_id)
        })?;
        let job = p2::parse_job_info(&resp)?;
        self.state.remember_finished(&job);
        Ok(job)
    }

    /// `DELETE /jobs/{kind}/{id}`.
    pub fn delete_job_v2(&self, kind: JobKind, job_id: &str) -> Result<(), Error> {
        let what = format!("delete job {job_id}");
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            p2::delete_job(ep, kind, job_id)
        })?;
        p2::parse_empty(&resp)
    }

    /// One page of `GET /jobs/{kind}` (the first, or the one at `next`).
    pub fn list_jobs_v2(&self, kind: JobKind, next: Option<&str>) -> Result<JobList, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            p2::list_jobs(ep, kind, next)
        })?;
        p2::parse_job_list(&resp)
    }

    /// The API version a job was made with (its results must be read with it): given, or
    /// read with a get.
    fn job_version(
        &self,
        kind: JobKind,
        job_id: &str,
        known: Option<&str>,
    ) -> Result<String, Error> {
        if let Some(v) = known {
            return Ok(v.to_string());
        }
        let job = self.get_job_v2(kind, job_id)?;
        job.api_version.ok_or_else(|| {
            Error::unexpected(
                200,
                Some("application/json"),
                format!("job {job_id} has no apiVersion"),
                &[],
            )
        })
    }

    /// One ingest results file, whole, read at the job's API version.
    pub fn ingest_results(
        &self,
        job_id: &str,
        which: ResultKind,
        api_version: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        validate_id("job id", job_id)?;
        let version = self.job_version(JobKind::Ingest, job_id, api_version)?;
        let resp = self.call(Replay::Idempotent, MAX_FILE_BYTES, &|ep| {
            p2::get_ingest_results(&ep.with_version(&version)?, job_id, which)
        })?;
        crate::protocol::parse_bytes(resp)
    }

    /// One ingest results file at the job's API version, to read as it streams in (a body
    /// cut short is opened again and resumed: [`ResumingBody`]).
    pub fn open_ingest_results(
        &self,
        job_id: &str,
        which: ResultKind,
        api_version: Option<&str>,
    ) -> Result<ResumingBody, Error> {
        self.start_ingest_results(job_id, which, api_version)?
            .finish()
    }

    /// Sends the GET of an ingest results file without waiting for its reply
    /// ([`StartedBody::finish`] opens it as [`Client::open_ingest_results`]): a whole job
    /// asks for its result files at once.
    pub fn start_ingest_results(
        &self,
        job_id: &str,
        which: ResultKind,
        api_version: Option<&str>,
    ) -> Result<StartedBody, Error> {
        validate_id("job id", job_id)?;
        let version = self.job_version(JobKind::Ingest, job_id, api_version)?;
        let job = job_id.to_string();
        ResumingBody::start(
            self,
            format!("the {} of job {job_id}", which.path()),
            Box::new(move |ep| p2::get_ingest_results(&ep.with_version(&version)?, &job, which)),
        )
    }

    /// `POST /jobs/query`.
    pub fn create_query_job(&self, request: &QueryRequest) -> Result<JobInfo, Error> {
        let resp = self.call(
            Replay::Never("create-query-job"),
            MAX_CONTROL_BYTES,
            &|ep| p2::create_query_job(ep, request),
        )?;
        p2::parse_job_info(&resp)
    }

    /// One page of query results, whole, at the job's API version.
    pub fn query_page(
        &self,
        job_id: &str,
        locator: Option<&str>,
        max_records: Option<u32>,
        api_version: Option<&str>,
    ) -> Result<QueryPage, Error> {
        validate_id("job id", job_id)?;
        let version = self.job_version(JobKind::Query, job_id, api_version)?;
        let resp = self.call(Replay::Idempotent, MAX_FILE_BYTES, &|ep| {
            p2::get_query_results(&ep.with_version(&version)?, job_id, locator, max_records)
        })?;
        let (next_locator, number_of_records) = p2::page_headers(resp.headers())
            .map_err(|d| Error::unexpected(resp.status().as_u16(), Some("text/csv"), d, &[]))?;
        Ok(QueryPage {
            data: crate::protocol::parse_bytes(resp)?,
            next_locator,
            number_of_records,
        })
    }

    /// Opens one page of query results for streaming: the reader, the next locator and
    /// the page's row count.
    pub(crate) fn open_query_page(
        &self,
        job_id: &str,
        locator: Option<&str>,
        max_records: Option<u32>,
        version: &str,
    ) -> Result<(BodyReader, Option<String>, Option<u64>), Error> {
        let reader = self.open(&|ep| {
            p2::get_query_results(&ep.with_version(version)?, job_id, locator, max_records)
        })?;
        let (next, count) = p2::page_headers(reader.headers())
            .map_err(|d| Error::unexpected(200, Some("text/csv"), d, &[]))?;
        Ok((reader, next, count))
    }

    /// `GET /jobs/query/{id}/resultPages` (v58+): one set of page locators.
    pub fn result_pages(
        &self,
        job_id: &str,
        next: Option<&str>,
        api_version: Option<&str>,
    ) -> Result<ResultPages, Error> {
        let version = self.job_version(JobKind::Query, job_id, api_version)?;
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            p2::get_result_pages(&ep.with_version(&version)?, job_id, next)
        })?;
        p2::parse_result_pages(&resp)
    }

    /// Polls jobs until each is final (complete, failed or aborted). At the deadline:
    /// `StillRunning` with the jobs still running; nothing is aborted or deleted.
    pub fn wait_for_jobs(
        &self,
        kind: JobKind,
        job_ids: &[String],
        poll: PollPolicy,
    ) -> Result<Vec<JobInfo>, Error> {
        for id in job_ids {
            validate_id("job id", id)?;
        }
        let t = &*self.transport;
        let start = t.monotonic();
        let mut done: Vec<Option<JobInfo>> = vec![None; job_ids.len()];
        let mut polls = 0u32;
        loop {
            for (slot, id) in done.iter_mut().zip(job_ids) {
                if slot.is_none() {
                    let job = self.get_job_v2(kind, id)?;
                    if job.state.as_ref().is_some_and(JobState::is_final) {
                        *slot = Some(job);
                    }
                }
            }
            let mut pending = Vec::new();
            for (d, id) in done.iter().zip(job_ids) {
                if d.is_none() {
                    pending.push(id.clone());
                }
            }
            if pending.is_empty() {
                let mut jobs = Vec::with_capacity(done.len());
                for job in done {
                    jobs.extend(job);
                }
                return Ok(jobs);
            }
            let elapsed = t.monotonic().saturating_sub(start);
            match poll.next_wait(polls, elapsed, t.jitter()) {
                Some(d) => t.sleep(d),
                None => {
                    // One job: that job; several: no one job id (the message lists them).
                    let job_id = match &pending[..] {
                        [one] => one.clone(),
                        _ => String::new(),
                    };
                    return Err(Error::StillRunning { job_id, pending });
                }
            }
            polls += 1;
        }
    }
}
