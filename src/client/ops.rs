//! The Bulk API 1.0 operations on core types: each builds its request with the protocol
//! core, sends it through [`Client::call`] and parses the reply.

use crate::backoff::PollPolicy;
use crate::error::Error;
use crate::model::{
    BatchInfo, BatchResults, BatchState, ContentType, IngestOutcomes, JobInfo, JobRequest,
    JobStateChange, Operation,
};
use crate::protocol::{
    self, BatchBody, BatchContent, Endpoint, MAX_CONTROL_BYTES, MAX_FILE_BYTES, validate_id,
};

use super::call::{Client, InFlight, Replay};
use super::resume::{ResumingBody, StartedBody};
use super::transport::{self, BodyReader};

impl Client {
    /// `init`: the Bulk API base URL of the session (no secret).
    pub fn init(&self) -> Result<String, Error> {
        self.endpoint().map(|ep| ep.base_url())
    }

    /// `create-job`; never replayed when its outcome is unknown.
    pub fn create_job(&self, request: &JobRequest) -> Result<JobInfo, Error> {
        let what = format!("create-job for {}", request.object);
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            protocol::create_job(ep, request)
        })?;
        let job = protocol::parse_job_info(&resp)?;
        self.state.remember_job(&job);
        Ok(job)
    }

    /// `create-job-to-upload-batch-file`: a job for zip attachments.
    pub fn create_attachment_job(&self, request: &JobRequest) -> Result<JobInfo, Error> {
        protocol::require_zip_job(request.content_type.as_ref())?;
        self.create_job(request)
    }

    /// `update-job`: close or abort (restates a state, so it is retried).
    pub fn update_job(&self, job_id: &str, state: JobStateChange) -> Result<JobInfo, Error> {
        validate_id("job id", job_id)?;
        let known = self.state.job(job_id).map(|k| k.0);
        let fmt = protocol::doc_format(known.as_ref());
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::update_job(ep, job_id, state, fmt)
        })?;
        protocol::parse_job_info(&resp)
    }

    /// `get-job`.
    pub fn get_job(&self, job_id: &str) -> Result<JobInfo, Error> {
        validate_id("job id", job_id)?;
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::get_job(ep, job_id)
        })?;
        let job = protocol::parse_job_info(&resp)?;
        self.state.remember_job(&job);
        Ok(job)
    }

    /// The content type and operation of a job: remembered, or read with get-job.
    pub fn job_kind(&self, job_id: &str) -> Result<(ContentType, Option<Operation>), Error> {
        validate_id("job id", job_id)?;
        if let Some(k) = self.state.job(job_id) {
            return Ok(k);
        }
        let job = self.get_job(job_id)?;
        Ok((job.content_type.unwrap_or(ContentType::Xml), job.operation))
    }

    /// Adds a batch whose body is already checked against the job; never replayed when
    /// its outcome is unknown.
    pub fn post_batch(&self, job_id: &str, body: &BatchBody) -> Result<BatchInfo, Error> {
        let started = self.start_post_batch(job_id, body)?;
        self.finish_post_batch(started, job_id, body)
    }

    /// [`Client::post_batch`] without waiting for the reply: [`Client::finish_post_batch`]
    /// takes it, so that several batches are in flight at once.
    pub fn start_post_batch(&self, job_id: &str, body: &BatchBody) -> Result<InFlight, Error> {
        self.start_shared(&|ep| add_batch_request(ep, job_id, body))
    }

    /// The reply of a batch started with [`Client::start_post_batch`] (never sent again
    /// when its outcome is unknown).
    pub fn finish_post_batch(
        &self,
        started: InFlight,
        job_id: &str,
        body: &BatchBody,
    ) -> Result<BatchInfo, Error> {
        let what = format!("add-batch to job {job_id}");
        let resp = self.call_started(started, Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            add_batch_request(ep, job_id, body)
        })?;
        protocol::parse_batch_info(&resp)
    }

    /// `add-batch`: the content checked against the job's kind, then posted.
    pub fn add_batch(&self, job_id: &str, content: BatchContent) -> Result<BatchInfo, Error> {
        let (ct, op) = self.job_kind(job_id)?;
        let body = protocol::batch_body(content, &ct, op.as_ref())?;
        self.post_batch(job_id, &body)
    }

    /// `upload-batch-file`: a zip for an attachment job (`content_type` or the job's).
    pub fn upload_batch_file(
        &self,
        job_id: &str,
        zip: Vec<u8>,
        content_type: Option<ContentType>,
    ) -> Result<BatchInfo, Error> {
        let ct = match content_type {
            Some(ct) => ct,
            None => self.job_kind(job_id)?.0,
        };
        let body = protocol::zip_batch_body(zip, &ct)?;
        self.post_batch(job_id, &body)
    }

    /// `get-batch-status`.
    pub fn get_batch(&self, job_id: &str, batch_id: &str) -> Result<BatchInfo, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::get_batch(ep, job_id, batch_id)
        })?;
        protocol::parse_batch_info(&resp)
    }

    /// `list-batches`.
    pub fn list_batches(&self, job_id: &str) -> Result<Vec<BatchInfo>, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::list_batches(ep, job_id)
        })?;
        protocol::parse_batch_list(&resp)
    }

    /// `get-batch-results`: read whole through [`ResumingBody`] (a body cut short is opened
    /// again and resumed).
    pub fn batch_results(&self, job_id: &str, batch_id: &str) -> Result<BatchResults, Error> {
        Self::read_batch_results(self.open_batch_results(job_id, batch_id)?)
    }

    /// Opens a batch's results (`get-batch-results`) to read later with
    /// [`Client::read_batch_results`]: a whole job opens the next batches' results ahead.
    pub fn open_batch_results(&self, job_id: &str, batch_id: &str) -> Result<ResumingBody, Error> {
        self.start_batch_results(job_id, batch_id)?.finish()
    }

    /// Sends the GET of a batch's results without waiting for the reply.
    pub fn start_batch_results(&self, job_id: &str, batch_id: &str) -> Result<StartedBody, Error> {
        let (job, batch) = (job_id.to_string(), batch_id.to_string());
        ResumingBody::start(
            self,
            format!("the results of batch {batch_id}"),
            Box::new(move |ep| protocol::get_batch_results(ep, &job, &batch)),
        )
    }

    /// Reads and parses results opened with [`Client::open_batch_results`].
    pub fn read_batch_results(body: ResumingBody) -> Result<BatchResults, Error> {
        protocol::parse_batch_results(&body.read_all(MAX_FILE_BYTES)?)
    }

    /// [`Client::read_batch_results`] as a join reads them; `None` for a query batch.
    pub fn read_batch_outcomes(body: ResumingBody) -> Result<Option<IngestOutcomes>, Error> {
        protocol::parse_batch_outcomes(&body.read_all(MAX_FILE_BYTES)?)
    }

    /// `get-batch-request`: read whole through [`ResumingBody`].
    pub fn batch_request(&self, job_id: &str, batch_id: &str) -> Result<Vec<u8>, Error> {
        let (job, batch) = (job_id.to_string(), batch_id.to_string());
        let resp = ResumingBody::open(
            self,
            format!("the request of batch {batch_id}"),
            Box::new(move |ep| protocol::get_batch_request(ep, &job, &batch)),
        )?
        .read_all(MAX_FILE_BYTES)?;
        protocol::parse_bytes(resp)
    }

    /// `get-bulk-query-results`: one result file, whole, read through [`ResumingBody`].
    pub fn query_result(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<Vec<u8>, Error> {
        let resp = self
            .open_query_result_resuming(job_id, batch_id, result_id)?
            .read_all(MAX_FILE_BYTES)?;
        protocol::parse_bytes(resp)
    }

    /// Opens a result file for streaming, resumed where it broke (see [`ResumingBody`]).
    pub fn open_query_result_resuming(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<ResumingBody, Error> {
        self.start_query_result(job_id, batch_id, result_id)?
            .finish()
    }

    /// Sends the GET of a result file without waiting for its reply
    /// ([`StartedBody::finish`] opens it, resuming as
    /// [`Client::open_query_result_resuming`]).
    pub fn start_query_result(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<StartedBody, Error> {
        let ids = [job_id, batch_id, result_id].map(str::to_string);
        ResumingBody::start(
            self,
            format!("result {result_id} of batch {batch_id}"),
            Box::new(move |ep| protocol::get_query_result(ep, &ids[0], &ids[1], &ids[2])),
        )
    }

    /// Opens a result file for streaming, with the retries and renewal of any GET; a break
    /// mid-body is the caller's ([`Client::open_query_result_resuming`] resumes it).
    pub fn open_query_result(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<BodyReader, Error> {
        self.open(&|ep| protocol::get_query_result(ep, job_id, batch_id, result_id))
    }

    /// Polls until the batches (all of the job's when `batch_ids` is empty) are final.
    /// At the deadline: `StillRunning` with the pending ids; nothing is closed or aborted.
    pub fn wait_for_batches(
        &self,
        job_id: &str,
        batch_ids: &[String],
        poll: PollPolicy,
    ) -> Result<Vec<BatchInfo>, Error> {
        validate_id("job id", job_id)?;
        for id in batch_ids {
            validate_id("batch id", id)?;
        }
        let t = &*self.transport;
        let start = t.monotonic();
        let mut polls = 0u32;
        loop {
            let all = self.list_batches(job_id)?;
            self.state.remember_batches(job_id, &all);
            let watched: Vec<BatchInfo> = if batch_ids.is_empty() {
                all
            } else {
                let mut picked = Vec::with_capacity(batch_ids.len());
                for id in batch_ids {
                    let found = all.iter().find(|b| &b.id == id).cloned().ok_or_else(|| {
                        Error::invalid(format!("batch {id} is not a batch of job {job_id}"))
                    })?;
                    picked.push(found);
                }
                picked
            };
            let mut pending = Vec::new();
            for b in &watched {
                if !b.state.as_ref().is_some_and(BatchState::is_final) {
                    pending.push(b.id.clone());
                }
            }
            if pending.is_empty() {
                return Ok(watched);
            }
            let elapsed = t.monotonic().saturating_sub(start);
            match poll.next_wait(polls, elapsed, t.jitter()) {
                Some(d) => t.sleep(d),
                None => {
                    return Err(Error::StillRunning {
                        job_id: job_id.to_string(),
                        pending,
                    });
                }
            }
            polls += 1;
        }
    }
}

/// An add-batch request of `body` (every attempt of a batch POST makes the same one).
fn add_batch_request(
    ep: &Endpoint,
    job_id: &str,
    body: &BatchBody,
) -> Result<http::Request<transport::Body>, Error> {
    Ok(protocol::add_batch(ep, job_id, body)?.map(|data| vec![data]))
}
