//! The requests that change Bulk API 2.0 jobs: create (ingest, query), the one upload, close
//! (`UploadComplete`), abort and delete, with the service's state rules.

use std::time::SystemTime;

use crate::counters::V2JobChange;
use crate::decode::v2_job_spec::{IngestSpec, QuerySpec};
use crate::decode::v2_upload::read_upload;
use crate::dialect::Dialect;
use crate::limits::V2_BATCH_RECORDS;
use crate::model::job::Operation;
use crate::model::v2job::{IngestData, Phase, QueryData, V2Job, V2Kind, V2State};
use crate::model::{State, later};
use crate::rest_error::RestError;

/// The job `job_id` of `kind`; `404 NOT_FOUND` when there is none (or it was deleted).
pub(crate) fn job<'a>(
    state: &'a State,
    job_id: &str,
    kind: V2Kind,
) -> Result<&'a V2Job, RestError> {
    state
        .v2_jobs
        .get(job_id)
        .filter(|j| j.kind == kind)
        .ok_or_else(RestError::not_found)
}

fn job_mut<'a>(
    state: &'a mut State,
    job_id: &str,
    kind: V2Kind,
) -> Result<&'a mut V2Job, RestError> {
    state
        .v2_jobs
        .get_mut(job_id)
        .filter(|j| j.kind == kind)
        .ok_or_else(RestError::not_found)
}

struct NewJob {
    kind: V2Kind,
    operation: Operation,
    object: String,
    dialect: Dialect,
}

fn new_job(state: &mut State, new: NewJob, version: &str, now: SystemTime) -> V2Job {
    state.v2.next_seq += 1;
    state.counters.note_v2_job(V2JobChange::Created);
    V2Job {
        id: state.ids.next18("750"),
        kind: new.kind,
        seq: state.v2.next_seq,
        operation: new.operation,
        object: new.object,
        created_by: state.user_id.clone(),
        created: now,
        modified: now,
        api_version: version.to_owned(),
        dialect: new.dialect,
        external_id: None,
        assignment_rule_id: None,
        phase: Phase::Open,
        polls_held: 0,
        preset_failure: None,
        error_message: None,
        processed: 0,
        failed: 0,
        ingest: IngestData::default(),
        query: QueryData::default(),
    }
}

/// Makes an `Open` ingest job; returns its id.
pub(crate) fn create_ingest(
    state: &mut State,
    spec: IngestSpec,
    version: &str,
    now: SystemTime,
) -> String {
    let new = NewJob {
        kind: V2Kind::Ingest,
        operation: spec.operation,
        object: spec.object,
        dialect: spec.dialect,
    };
    let mut job = new_job(state, new, version, now);
    job.external_id = spec.external_id;
    job.assignment_rule_id = spec.assignment_rule_id;
    let id = job.id.clone();
    state.v2_jobs.insert(id.clone(), job);
    id
}

/// Makes a query job, already `UploadComplete` and scheduled; returns its id.
pub(crate) fn create_query(
    state: &mut State,
    spec: QuerySpec,
    version: &str,
    now: SystemTime,
) -> String {
    let new = NewJob {
        kind: V2Kind::Query,
        operation: spec.operation,
        object: spec.soql.object.clone(),
        dialect: spec.dialect,
    };
    let mut job = new_job(state, new, version, now);
    job.query.soql = spec.text;
    schedule(state, &mut job, now);
    let id = job.id.clone();
    state.v2_jobs.insert(id.clone(), job);
    id
}

/// Starts the processing clock of a job, with the faults armed for the next job.
fn schedule(state: &mut State, job: &mut V2Job, now: SystemTime) {
    let delay = state.settings.processing_delay;
    job.phase = Phase::Scheduled {
        queued_until: later(now, delay / 3),
        done_at: later(now, delay),
    };
    job.modified = now;
    job.polls_held = state.v2.slow_polls;
    job.preset_failure = state.v2.job_failures.pop_front();
}

/// `PUT …/batches`: stores the one upload of an `Open` job (processed only after
/// `UploadComplete`). `body` is the decoded body or why it could not be decoded.
pub(crate) fn upload(
    state: &mut State,
    job_id: &str,
    body: Result<Vec<u8>, String>,
    now: SystemTime,
) -> Result<(), RestError> {
    let max = state.v2.max_upload_bytes;
    let job = job_mut(state, job_id, V2Kind::Ingest)?;
    let current = job.state(now);
    if current != V2State::Open {
        return Err(RestError::invalid_job_state(format!(
            "job {job_id} is {}; data can only be uploaded to an Open job",
            current.name()
        )));
    }
    if job.ingest.upload.is_some() {
        return Err(RestError::bad_request(
            "BULK_API_ERROR",
            format!(
                "Found multiple contents for job: <{job_id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure the content is correct."
            ),
        ));
    }
    let body = body.map_err(|reason| RestError::bad_request("INVALIDBATCH", reason))?;
    if body.len() > max {
        return Err(RestError::bad_request(
            "LIMIT_EXCEEDED",
            format!(
                "the upload has {} bytes; a job takes at most {max} (150 MB after base64 encoding)",
                body.len()
            ),
        ));
    }
    job.ingest.upload = Some(body);
    job.modified = now;
    state.counters.note_upload_stored(job_id);
    Ok(())
}

/// `PATCH {"state":"UploadComplete"}`: reads the upload and schedules the processing.
pub(crate) fn close(state: &mut State, job_id: &str, now: SystemTime) -> Result<(), RestError> {
    let mut job = match state.v2_jobs.remove(job_id) {
        Some(job) if job.kind == V2Kind::Ingest => job,
        Some(job) => {
            state.v2_jobs.insert(job_id.to_owned(), job);
            return Err(RestError::invalid_job_state(
                "a query job can only be set to Aborted",
            ));
        }
        None => return Err(RestError::not_found()),
    };
    let current = job.state(now);
    let result = if current == V2State::Open {
        read_rows(&mut job);
        job.ingest.steps_total = job.ingest.rows.rows.len().div_ceil(V2_BATCH_RECORDS).max(1);
        schedule(state, &mut job, now);
        Ok(())
    } else {
        Err(RestError::invalid_job_state(format!(
            "job {job_id} is {}; only an Open job can be set to UploadComplete",
            current.name()
        )))
    };
    state.v2_jobs.insert(job_id.to_owned(), job);
    result
}

/// Reads the upload with the job's dialect; no row attempted yet.
fn read_rows(job: &mut V2Job) {
    let bytes = job.ingest.upload.as_deref().unwrap_or_default();
    job.ingest.rows = read_upload(bytes, job.dialect);
    job.ingest.outcomes = vec![None; job.ingest.rows.rows.len()];
}

/// `PATCH {"state":"Aborted"}`: from `Open` (ingest), `UploadComplete` or `InProgress`. Rows
/// not yet processed stay unprocessed; processed ones are not rolled back.
pub(crate) fn abort(
    state: &mut State,
    job_id: &str,
    kind: V2Kind,
    now: SystemTime,
) -> Result<(), RestError> {
    let job = job_mut(state, job_id, kind)?;
    let current = job.state(now);
    if current.is_terminal() {
        let done = match current {
            V2State::JobComplete => "Completed",
            other => other.name(),
        };
        return Err(RestError::invalid_job_state(format!(
            "Aborting already {done} Job not allowed"
        )));
    }
    if current == V2State::Open {
        // Never processed: the upload's rows are all unprocessed.
        read_rows(job);
    }
    job.phase = Phase::Finished {
        state: V2State::Aborted,
        at: now,
    };
    job.modified = now;
    state.counters.note_v2_job(V2JobChange::Aborted);
    Ok(())
}

/// `DELETE`: only a job that is not running (ingest: also `UploadComplete`) → gone.
pub(crate) fn delete(
    state: &mut State,
    job_id: &str,
    kind: V2Kind,
    now: SystemTime,
) -> Result<(), RestError> {
    let current = job(state, job_id, kind)?.state(now);
    let allowed =
        current.is_terminal() || (kind == V2Kind::Ingest && current == V2State::UploadComplete);
    if !allowed {
        return Err(RestError::not_terminated());
    }
    state.v2_jobs.remove(job_id);
    state.counters.note_v2_job(V2JobChange::Deleted);
    Ok(())
}
