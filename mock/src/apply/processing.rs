//! Batch processing: every batch whose time has come is finished (in time order) before the
//! mock looks at its state, so batches advance without anyone polling them.

use std::ops::Bound;
use std::time::SystemTime;

use crate::apply::{ingest, query};
use crate::decode::{records, soql, zip_batch};
use crate::ids::id15;
use crate::limits::MAX_RECORDS_PER_BATCH;
use crate::model::State;
use crate::model::batch::{BatchKind, BatchState, IdRange, Outcome, ResultData, ResultFile};
use crate::model::job::{Job, Operation, PkChunking};
use crate::model::rows::Rows;
use crate::store::Store;

/// Finishes every pending batch due at or before `now`, earliest first.
pub(crate) fn advance(state: &mut State, now: SystemTime) {
    while advance_one(state, now) {}
}

/// Finishes the earliest pending batch due at or before `now`; `false` when there is none.
pub(crate) fn advance_one(state: &mut State, now: SystemTime) -> bool {
    let next = state
        .batches
        .values()
        .filter(|b| b.outcome.is_none() && b.due() <= now)
        .map(|b| (b.due(), b.seq, b.id.clone()))
        .min();
    let Some((due, _, id)) = next else {
        return false;
    };
    finish(state, &id, due);
    true
}

fn finish(state: &mut State, batch_id: &str, at: SystemTime) {
    let Some(batch) = state.batches.get(batch_id) else {
        return;
    };
    let outcome = if let Some(message) = batch.preset_failure.clone() {
        Outcome::failed(at, message)
    } else if batch.kind == BatchKind::PkParent {
        let (job_id, payload) = (batch.job_id.clone(), batch.payload.clone());
        split_pk(state, &job_id, &payload, at)
    } else {
        run(state, batch_id, at)
    };
    if let Some(batch) = state.batches.get_mut(batch_id) {
        batch.outcome = Some(outcome);
    }
}

/// Runs an ingest or query batch against the store.
fn run(state: &mut State, batch_id: &str, at: SystemTime) -> Outcome {
    let Some(batch) = state.batches.get(batch_id) else {
        return Outcome::not_processed(at);
    };
    let Some(job) = state.jobs.get(&batch.job_id) else {
        return Outcome::not_processed(at);
    };
    let range = match &batch.kind {
        BatchKind::Query { range } => range.as_ref(),
        _ => return run_ingest(&mut state.store, job, &batch.payload, at),
    };
    match run_query(&state.store, job, &batch.payload, range) {
        Ok(result) => {
            let processed = result.rows.len() as u64;
            let per_file = state.settings.result_file_rows.max(1);
            let count = result.rows.len().div_ceil(per_file).max(1);
            let ids = (0..count).map(|_| state.ids.next15("752")).collect();
            Outcome {
                state: BatchState::Completed,
                at,
                message: None,
                processed,
                failed: 0,
                data: ResultData::Query {
                    object: result.object,
                    fields: result.fields,
                    files: split_files(&result.rows, per_file, ids),
                },
            }
        }
        Err(message) => Outcome::failed(at, message),
    }
}

/// Splits a PK-chunking query batch into one chunk batch per `chunk_size` ids.
fn split_pk(state: &mut State, job_id: &str, payload: &[u8], at: SystemTime) -> Outcome {
    let Some(job) = state.jobs.get(job_id) else {
        return Outcome::not_processed(at);
    };
    if let Err(message) = soql::parse(&soql_text(payload)) {
        return Outcome::failed(at, malformed_query(&message));
    }
    let options = job.pk_chunking.clone().unwrap_or(PkChunking {
        chunk_size: 100_000,
        start_row: None,
        parent: None,
    });
    let start = options.start_row.as_deref().map(|s| id15(s).to_owned());
    let size = options.chunk_size.max(1);
    // The first id of each chunk (ids from `startRow` on, in order): a chunk ends where the
    // next one starts. Only those ids are copied, not every id of the table.
    let firsts: Vec<String> = state
        .store
        .table(&job.object)
        .map_or_else(Vec::new, |table| {
            let from = start.as_deref().map_or(Bound::Unbounded, Bound::Included);
            table
                .records
                .range::<str, _>((from, Bound::Unbounded))
                .step_by(size)
                .map(|(id, _)| id.clone())
                .collect()
        });
    let ranges: Vec<IdRange> = if firsts.is_empty() {
        vec![IdRange { start, end: None }]
    } else {
        firsts
            .iter()
            .enumerate()
            .map(|(i, first)| IdRange {
                start: Some(first.clone()),
                end: firsts.get(i + 1).cloned(),
            })
            .collect()
    };
    for range in ranges {
        state.schedule_batch(
            job_id,
            at,
            payload.to_vec(),
            BatchKind::Query { range: Some(range) },
            None,
        );
    }
    Outcome::not_processed(at)
}

fn run_ingest(store: &mut Store, job: &Job, payload: &[u8], at: SystemTime) -> Outcome {
    let format = job.content_type.data_format();
    let parsed = if job.content_type.is_zip() {
        zip_batch::parse_zip(payload, format)
    } else {
        records::parse(payload, format)
    };
    let records = match parsed {
        Ok(records) => records,
        Err(message) => return Outcome::failed(at, message),
    };
    if records.len() > MAX_RECORDS_PER_BATCH {
        return Outcome::failed(
            at,
            format!("InvalidBatch : Records exceeds limit: {MAX_RECORDS_PER_BATCH}"),
        );
    }
    let results = ingest::apply(
        store,
        job.operation,
        &job.object,
        job.external_id.as_deref(),
        records,
        at,
    );
    let failed = results.iter().filter(|r| !r.success).count() as u64;
    Outcome {
        state: BatchState::Completed,
        at,
        message: None,
        processed: results.len() as u64,
        failed,
        data: ResultData::Ingest(results),
    }
}

fn run_query(
    store: &Store,
    job: &Job,
    payload: &[u8],
    range: Option<&IdRange>,
) -> Result<query::QueryResult, String> {
    let parsed = soql::parse(&soql_text(payload)).map_err(|m| malformed_query(&m))?;
    let include_deleted = job.operation == Operation::QueryAll;
    query::execute(store, &job.object, &parsed, include_deleted, range)
        .map_err(|m| format!("InvalidBatch : Failed to process query: {m}"))
}

/// Cuts rows into files of at most `per_file` rows: one file per id (the first may be empty).
/// Each file is a view of the result's rows, not a copy.
fn split_files(rows: &Rows, per_file: usize, ids: Vec<String>) -> Vec<ResultFile> {
    let len = rows.len();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let start = i.saturating_mul(per_file).min(len);
            let end = start.saturating_add(per_file).min(len);
            ResultFile {
                id,
                rows: rows.slice(start..end),
            }
        })
        .collect()
}

/// The SOQL text of a query batch (BOM and surrounding whitespace removed).
fn soql_text(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    text.trim_start_matches('\u{feff}').trim().to_owned()
}

fn malformed_query(detail: &str) -> String {
    format!("InvalidBatch : Failed to process query: MALFORMED_QUERY: {detail}")
}
