//! Processing of Bulk API 2.0 jobs over the mock's clock, as the service does it: an ingest
//! job runs in internal batches of 10,000 records (each one of the daily batch allocation),
//! due one after another between leaving the queue and the job's processing delay, each in
//! chunks of 200 records; its counters grow while it is `InProgress`. A query job runs its
//! SOQL over the store when its delay is up.

use std::time::SystemTime;

use crate::apply::{ingest, query};
use crate::counters::FaultKind;
use crate::decode::soql;
use crate::decode::v2_upload::input_record;
use crate::limits::{V2_BATCH_RECORDS, V2_CHUNK_RECORDS};
use crate::model::State;
use crate::model::batch::RecordError;
use crate::model::job::Operation;
use crate::model::v2job::{ChunkFault, Phase, RowOutcome, V2Job, V2Kind, V2State};

/// Runs every step of every 2.0 job due at or before `now`, earliest first.
pub(crate) fn advance(state: &mut State, now: SystemTime) {
    while advance_one(state, now) {}
}

/// Runs the earliest step of a 2.0 job due at or before `now`; `false` when there is none.
pub(crate) fn advance_one(state: &mut State, now: SystemTime) -> bool {
    let next = state
        .v2_jobs
        .values()
        .filter_map(|job| next_due(job).map(|due| (due, job.seq, job.id.clone())))
        .filter(|(due, _, _)| *due <= now)
        .min();
    let Some((due, _, id)) = next else {
        return false;
    };
    step(state, &id, due);
    true
}

/// When the job's next step is due: ingest batch `i` of `n` at `i/n` of the way from leaving
/// the queue to the end of the delay; a query at the end. `None` when nothing is pending (or
/// the job is held by `slow_v2_jobs`).
fn next_due(job: &V2Job) -> Option<SystemTime> {
    let Phase::Scheduled {
        queued_until,
        done_at,
    } = job.phase
    else {
        return None;
    };
    if job.polls_held > 0 {
        return None;
    }
    match job.kind {
        V2Kind::Query => Some(done_at),
        V2Kind::Ingest => {
            let total = job.ingest.steps_total.max(1);
            let fraction = (job.ingest.steps_done + 1) as f64 / total as f64;
            let span = done_at.duration_since(queued_until).unwrap_or_default();
            Some(queued_until + span.mul_f64(fraction.min(1.0)))
        }
    }
}

fn finish(job: &mut V2Job, state: V2State, message: Option<String>, at: SystemTime) {
    job.phase = Phase::Finished { state, at };
    job.error_message = message;
    job.modified = at;
}

fn step(state: &mut State, job_id: &str, at: SystemTime) {
    let Some(mut job) = state.v2_jobs.remove(job_id) else {
        return;
    };
    if job.ingest.steps_done == 0
        && let Some(message) = job.preset_failure.take()
    {
        state.counters.note_fired(FaultKind::JobFailure);
        finish(&mut job, V2State::Failed, message, at);
    } else {
        match job.kind {
            V2Kind::Query => run_query(state, &mut job, at),
            V2Kind::Ingest => run_batch(state, &mut job, at),
        }
    }
    state.v2_jobs.insert(job_id.to_owned(), job);
}

fn run_query(state: &State, job: &mut V2Job, at: SystemTime) {
    let result = soql::parse(job.query.soql.trim()).and_then(|parsed| {
        let include_deleted = job.operation == Operation::QueryAll;
        query::execute(&state.store, &job.object, &parsed, include_deleted, None)
    });
    match result {
        Ok(result) => {
            job.processed = result.rows.len() as u64;
            job.query.fields = result.fields;
            job.query.rows = result.rows;
            finish(job, V2State::JobComplete, None, at);
        }
        Err(detail) => finish(
            job,
            V2State::Failed,
            Some(format!("InvalidBatch : Failed to process query: {detail}")),
            at,
        ),
    }
}

/// One internal batch of an ingest job: its 200-record chunks against the store.
fn run_batch(state: &mut State, job: &mut V2Job, at: SystemTime) {
    if job.ingest.steps_done == 0
        && let Some(problem) = job.ingest.rows.problem.clone()
    {
        finish(job, V2State::Failed, Some(problem), at);
        return;
    }
    let rows = job.ingest.rows.rows.len();
    let start = (job.ingest.steps_done * V2_BATCH_RECORDS).min(rows);
    let end = (start + V2_BATCH_RECORDS).min(rows);
    state.batches_created += 1;
    for chunk_start in (start..end).step_by(V2_CHUNK_RECORDS) {
        let chunk = chunk_start..(chunk_start + V2_CHUNK_RECORDS).min(end);
        if state.v2.chunk_faults > 0 {
            state.v2.chunk_faults -= 1;
            state.counters.note_fired(FaultKind::ChunkFailure);
            if state.v2.chunk_fault == ChunkFault::JobFails {
                let message = "TooManyLockFailure : too many lock failures on a chunk of 200 records; the batch will not be retried";
                finish(job, V2State::Failed, Some(message.into()), at);
                return;
            }
            for i in chunk {
                record_outcome(job, i, failed(job, i, lock_error()));
            }
            continue;
        }
        let records = chunk
            .clone()
            .map(|i| input_record(&job.ingest.rows.headers, &job.ingest.rows.rows[i].values))
            .collect();
        let results = ingest::apply(
            &mut state.store,
            job.operation,
            &job.object,
            job.external_id.as_deref(),
            records,
            at,
        );
        for (i, result) in chunk.zip(results) {
            let outcome = match result.id {
                Some(id) if result.success => RowOutcome::Succeeded {
                    id,
                    created: result.created,
                },
                _ => failed(job, i, result.errors),
            };
            record_outcome(job, i, outcome);
        }
    }
    job.ingest.steps_done += 1;
    job.modified = at;
    if job.ingest.steps_done >= job.ingest.steps_total {
        finish(job, V2State::JobComplete, None, at);
    }
}

fn record_outcome(job: &mut V2Job, row: usize, outcome: RowOutcome) {
    job.processed += 1;
    if matches!(outcome, RowOutcome::Failed { .. }) {
        job.failed += 1;
    }
    if let Some(slot) = job.ingest.outcomes.get_mut(row) {
        *slot = Some(outcome);
    }
}

/// A failed row: `sf__Id` is the row's `Id` for updates, upserts and deletes, empty otherwise.
fn failed(job: &V2Job, row: usize, errors: Vec<RecordError>) -> RowOutcome {
    let id = match job.operation {
        Operation::Insert => None,
        _ => job
            .ingest
            .rows
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case("Id"))
            .and_then(|col| job.ingest.rows.rows[row].values.get(col).cloned()),
    };
    RowOutcome::Failed {
        id: id.unwrap_or_default(),
        errors,
    }
}

fn lock_error() -> Vec<RecordError> {
    vec![RecordError::new(
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access to this record",
        &[],
    )]
}
