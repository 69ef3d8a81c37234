//! The requests that change jobs and batches: create a job, close or abort it, add a batch.

use std::time::SystemTime;

use crate::api_error::ApiError;
use crate::counters::FaultKind;
use crate::decode::job_info::JobSpec;
use crate::limits::MAX_BATCH_BYTES;
use crate::model::State;
use crate::model::batch::{BatchKind, BatchState, Outcome};
use crate::model::job::{Job, JobState};

/// Makes an `Open` job from a checked request; returns its id.
pub(crate) fn create_job(
    state: &mut State,
    spec: JobSpec,
    version: &str,
    now: SystemTime,
) -> String {
    let id = state.ids.next18("750");
    let job = Job {
        id: id.clone(),
        operation: spec.operation,
        object: spec.object,
        created_by: state.user_id.clone(),
        created: now,
        modified: now,
        state: JobState::Open,
        external_id: spec.external_id,
        concurrency: spec.concurrency,
        content_type: spec.content_type,
        api_version: version.to_owned(),
        assignment_rule_id: spec.assignment_rule_id,
        pk_chunking: spec.pk_chunking.filter(|_| spec.operation.is_query()),
        disable_batch_retry: spec.disable_batch_retry,
        line_ending: spec.line_ending,
        batch_ids: Vec::new(),
        serial_free_at: now,
    };
    state.jobs.insert(id.clone(), job);
    id
}

/// Closes or aborts a job. Closing a closed job changes nothing; aborting turns its queued
/// batches into `NotProcessed`.
pub(crate) fn change_job_state(
    state: &mut State,
    job_id: &str,
    target: JobState,
    now: SystemTime,
) -> Result<(), ApiError> {
    let job = state.job_mut(job_id)?;
    match (job.state, target) {
        (JobState::Open, _) | (JobState::Closed, JobState::Aborted) => {
            job.state = target;
            job.modified = now;
        }
        // Closing twice is harmless: answer with the job as it is.
        (JobState::Closed, JobState::Closed) => {}
        (current, _) => {
            return Err(ApiError::invalid_job_state(format!(
                "Job {job_id} is {}; it cannot be changed to {}",
                current.name(),
                target.name()
            )));
        }
    }
    if target == JobState::Aborted {
        abort_queued(state, job_id, now);
    }
    Ok(())
}

/// Aborting a job: its still-queued batches become `NotProcessed`.
fn abort_queued(state: &mut State, job_id: &str, now: SystemTime) {
    for batch in state.batches.values_mut() {
        if batch.job_id == job_id
            && batch.outcome.is_none()
            && batch.state(now) == BatchState::Queued
        {
            batch.outcome = Some(Outcome::not_processed(now));
        }
    }
}

/// Stores a batch for an `Open` job; it is processed later. `body` is the decoded body or why
/// it could not be decoded (the batch then fails). Returns the batch id.
pub(crate) fn add_batch(
    state: &mut State,
    job_id: &str,
    body: Result<Vec<u8>, String>,
    now: SystemTime,
) -> Result<String, ApiError> {
    let job = state.job(job_id)?;
    if job.state != JobState::Open {
        return Err(ApiError::invalid_job_state(format!(
            "Job {job_id} is {}; batches can only be added to an Open job",
            job.state.name()
        )));
    }
    let (payload, mut preset_failure) = match body {
        Ok(payload) => (payload, None),
        Err(reason) => (Vec::new(), Some(format!("InvalidBatch : {reason}"))),
    };
    if payload.len() > MAX_BATCH_BYTES {
        return Err(ApiError::invalid_batch(format!(
            "Exceeded max size limit of {MAX_BATCH_BYTES}"
        )));
    }
    let kind = match (job.operation.is_query(), job.pk_chunking.is_some()) {
        (false, _) => BatchKind::Data,
        (true, true) => BatchKind::PkParent,
        (true, false) => BatchKind::Query { range: None },
    };
    // Only a plain query (neither a PK-chunking parent nor one of its chunks) times out.
    let plain_query = kind == BatchKind::Query { range: None };
    if plain_query && preset_failure.is_none() && state.query_timeouts > 0 {
        state.query_timeouts -= 1;
        state.counters.note_fired(FaultKind::QueryTimeout);
        preset_failure = Some(
            "InvalidBatch : Failed to process query: QUERY_TIMEOUT: Your query request was running for too long."
                .into(),
        );
    }
    state.counters.note_batch_stored();
    Ok(state.schedule_batch(job_id, now, payload, kind, preset_failure))
}
