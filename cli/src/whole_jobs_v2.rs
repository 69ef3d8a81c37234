//! Whole jobs of Bulk API 2.0: the file side of `sfbulk load --bulk-api 2` and
//! `sfbulk query --bulk-api 2`, over the component's `ingest-load`, `wait-for-jobs`,
//! `ingest-join` and `query-stream`.
//!
//! Every ingest job the component makes is created, uploaded once and closed before the
//! load waits; a failure while loading leaves the jobs already closed processing (they are
//! named) and the component aborts the one it was loading. A deadline leaves every job as
//! it is and names those still running.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use host_test::bulk2::{
    ColumnDelimiter, IngestJobRef, IngestRequest, JobInfo, JobKind, JobState, QueryRequest,
};
use host_test::{Config, ErrorKind, Instance, WaitOptions};

use crate::download::AtomicFile;
use crate::input::{CHUNK, Chunks};
use crate::json_v2::{self, state_of};
use crate::output::{EXIT_DEADLINE, Failure};
use crate::whole_jobs::{JobFailure, Progress};

/// Unwraps a component call.
macro_rules! op {
    ($e:expr) => {
        $e.await?.map_err(JobFailure::Op)?
    };
}

/// What `load --bulk-api 2` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    /// The jobs that loaded rows, in input order.
    pub job_ids: Vec<String>,
    /// Input records.
    pub records: u64,
    /// Records saved.
    pub succeeded: u64,
    /// Records Salesforce refused.
    pub failed: u64,
    /// Records never processed (their job failed or was aborted).
    pub unprocessed: u64,
    /// Jobs that ended `Failed` or `Aborted`: id, state, `errorMessage`.
    pub ended_badly: Vec<(String, String, Option<String>)>,
    /// Where the joined results went.
    pub results: PathBuf,
}

/// How `load --bulk-api 2` runs.
pub struct LoadArgs<'a> {
    /// The jobs to create (delimiter and line ending of the input declared).
    pub request: IngestRequest,
    /// The CSV input.
    pub input: &'a Path,
    /// Bytes per job's upload (default 100,000,000).
    pub max_job_bytes: Option<u64>,
    /// Where to write the joined results.
    pub results: PathBuf,
    /// How to wait for the jobs.
    pub wait: WaitOptions,
}

/// Loads a CSV file into as many ingest jobs as it needs, waits, joins the results.
pub async fn load(
    inst: &mut Instance,
    cfg: &Config,
    args: LoadArgs<'_>,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    let delimiter = args.request.column_delimiter;
    let load = op!(inst.start_ingest_load(cfg, &args.request, args.max_job_bytes));
    let mut refs: Vec<IngestJobRef> = Vec::new();
    let sent: Result<(), JobFailure> = async {
        let mut input = Chunks::open(args.input)?;
        while let Some(chunk) = input.next_chunk()? {
            refs.extend(op!(inst.ingest_write(&load, chunk)));
            progress.show(&format!("{} jobs loaded", refs.len()));
        }
        refs.extend(op!(inst.ingest_finish(&load)));
        Ok(())
    }
    .await;
    let _ = inst.drop_bulk2(load).await;
    if let Err(f) = sent {
        // The jobs closed so far go on; the one being loaded was aborted by the component.
        let note = if refs.is_empty() {
            "no job was closed before the failure".to_string()
        } else {
            let states = job_states(inst, cfg, &refs).await;
            format!(
                "jobs closed before the failure, with the input's first {} records: {states}",
                refs.iter().map(|r| r.records).sum::<u64>()
            )
        };
        return Err(f.left(note));
    }
    finish(
        inst,
        cfg,
        refs,
        delimiter,
        args.input,
        args.results,
        &args.wait,
        progress,
    )
    .await
}

/// Waits for the jobs of a load and joins their results to the input (also `load
/// --bulk-api 2 --job-id …`, with `refs` from [`crate::resume`]).
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    inst: &mut Instance,
    cfg: &Config,
    refs: Vec<IngestJobRef>,
    delimiter: Option<ColumnDelimiter>,
    input: &Path,
    results: PathBuf,
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    let ids: Vec<String> = refs.iter().map(|r| r.job_id.clone()).collect();
    let jobs = wait_for_jobs(inst, cfg, JobKind::Ingest, &ids, wait, progress)
        .await
        .map_err(|f| resume_note(f, &ids, input))?;
    join(inst, cfg, refs, jobs, delimiter, input, results, progress)
        .await
        .map_err(|f| resume_note(f, &ids, input))
}

/// Joins finished jobs' results to the input.
#[allow(clippy::too_many_arguments)]
pub async fn join(
    inst: &mut Instance,
    cfg: &Config,
    refs: Vec<IngestJobRef>,
    jobs: Vec<JobInfo>,
    delimiter: Option<ColumnDelimiter>,
    input: &Path,
    results: PathBuf,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    progress.show(&format!("{} jobs done, joining results", refs.len()));
    let ended_badly = jobs
        .iter()
        .filter(|j| {
            matches!(
                j.state,
                Some(host_test::bulk2::JobState::Failed | host_test::bulk2::JobState::Aborted)
            )
        })
        .map(|j| {
            (
                j.id.clone(),
                state_of(j).to_string(),
                j.error_message.clone(),
            )
        })
        .collect();
    let join = op!(inst.open_ingest_join(cfg, &refs, delimiter));
    let mut out = AtomicFile::create(&results)?;
    let mut chunks = Chunks::open(input)?;
    while let Some(chunk) = chunks.next_chunk()? {
        let joined = op!(inst.ingest_join_push(&join, chunk));
        out.write(&joined)?;
    }
    let joined = op!(inst.ingest_join_finish(&join));
    out.write(&joined)?;
    out.commit()?;
    let counts = inst.ingest_join_counts(&join).await?;
    let _ = inst.drop_bulk2(join).await;
    progress.done();
    Ok(LoadSummary {
        job_ids: refs.into_iter().map(|r| r.job_id).collect(),
        records: counts.records,
        succeeded: counts.succeeded,
        failed: counts.failed,
        unprocessed: counts.unprocessed,
        ended_badly,
        results,
    })
}

/// A failure after every job was closed: the jobs go on; say how to join them later.
fn resume_note(f: JobFailure, ids: &[String], input: &Path) -> JobFailure {
    let flags: Vec<String> = ids.iter().map(|id| format!("--job-id {id}")).collect();
    let hint = format!(
        "nothing was aborted; join their results later with `sfbulk load --bulk-api 2 {} --file {}`",
        flags.join(" "),
        input.display()
    );
    if f.is_deadline() {
        f.left(hint)
    } else {
        f.left(format!("jobs {} are closed; {hint}", ids.join(", ")))
    }
}

/// The jobs of `ids` not finished yet, read one by one (the `still-running` error names them
/// only in its message).
async fn unfinished(
    inst: &mut Instance,
    cfg: &Config,
    kind: JobKind,
    ids: &[String],
) -> Result<Vec<String>, JobFailure> {
    let mut out = Vec::new();
    for id in ids {
        let job = inst
            .get_job_info(cfg, kind, id)
            .await?
            .map_err(JobFailure::Op)?;
        let finished = matches!(
            job.state,
            Some(JobState::JobComplete | JobState::Failed | JobState::Aborted)
        );
        if !finished {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// `J1 (UploadComplete), J2 (JobComplete)`: each job with its state as read now.
async fn job_states(inst: &mut Instance, cfg: &Config, refs: &[IngestJobRef]) -> String {
    let mut out = Vec::new();
    for r in refs {
        let state = match inst.get_job_info(cfg, JobKind::Ingest, &r.job_id).await {
            Ok(Ok(j)) => state_of(&j).to_string(),
            _ => "state unknown".into(),
        };
        out.push(format!("{} ({state})", r.job_id));
    }
    out.join(", ")
}

/// Waits for 2.0 jobs in one-second rounds (progress between them) until the deadline.
/// A deadline is exit 4 naming every job not finished, of how many.
pub async fn wait_for_jobs(
    inst: &mut Instance,
    cfg: &Config,
    kind: JobKind,
    ids: &[String],
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<Vec<JobInfo>, JobFailure> {
    let start = Instant::now();
    let deadline = wait.timeout_ms.map(Duration::from_millis);
    loop {
        let left = deadline.map(|d| d.saturating_sub(start.elapsed()));
        let round = WaitOptions {
            timeout_ms: Some(left.map_or(1_000, |l| l.as_millis().min(1_000) as u64)),
            ..*wait
        };
        match inst.wait_for_jobs(cfg, kind, ids, Some(&round)).await? {
            Ok(done) => return Ok(done),
            Err(r)
                if r.kind == ErrorKind::StillRunning
                    && left.is_none_or(|l| l > Duration::from_millis(1_000)) =>
            {
                if progress.enabled() {
                    let pending = unfinished(inst, cfg, kind, ids).await?;
                    progress.show(&format!(
                        "{}/{} jobs done",
                        ids.len() - pending.len(),
                        ids.len()
                    ));
                }
            }
            Err(r) if r.kind == ErrorKind::StillRunning => {
                let pending = unfinished(inst, cfg, kind, ids).await?;
                return Err(JobFailure::Local(Failure {
                    code: EXIT_DEADLINE,
                    message: format!(
                        "still running: {} of {} jobs not finished ({})",
                        pending.len(),
                        ids.len(),
                        pending.join(", ")
                    ),
                }));
            }
            Err(e) => return Err(JobFailure::Op(e)),
        }
    }
}

/// What `query --bulk-api 2` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySummary {
    /// The job.
    pub job_id: String,
    /// Data rows written (the header not counted).
    pub records: u64,
}

/// A query job to create, or to continue.
pub enum QueryJob {
    /// Create one.
    New(QueryRequest),
    /// Continue this one.
    Existing(String),
}

/// Runs (or continues) a query job and writes every page as one CSV.
pub async fn query(
    inst: &mut Instance,
    cfg: &Config,
    job: QueryJob,
    output: &Path,
    max_records: Option<u32>,
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<QuerySummary, JobFailure> {
    // The output first: an unwritable one is refused before anything is sent.
    let mut out = AtomicFile::create(output)?;
    let job_id = match job {
        QueryJob::New(req) => op!(inst.create_query_job(cfg, &req)).id,
        QueryJob::Existing(id) => id,
    };
    let hint = format!(
        "continue it with `sfbulk query --bulk-api 2 --job-id {job_id} --output {}`",
        output.display()
    );
    let read: Result<u64, JobFailure> = async {
        let stream = op!(inst.open_query_job_stream(cfg, &job_id, None, Some(wait), max_records));
        let mut bytes = 0u64;
        loop {
            let chunk = op!(inst.job_stream_read(&stream, CHUNK as u32));
            if chunk.is_empty() {
                break;
            }
            bytes += chunk.len() as u64;
            out.write(&chunk)?;
            progress.show(&format!("job {job_id}: {:.1} MB", bytes as f64 / 1e6));
        }
        let position = inst.job_stream_position(&stream).await?;
        let _ = inst.drop_bulk2(stream).await;
        Ok(position.rows)
    }
    .await;
    let rows = match read {
        Ok(rows) => rows,
        Err(f) if f.is_deadline() => {
            let f = JobFailure::Local(Failure {
                code: EXIT_DEADLINE,
                message: format!("still running: query job {job_id} is not finished"),
            });
            return Err(f.left(format!("nothing was aborted; {hint}")));
        }
        Err(f) => {
            // A 2.0 query job is never Open: a running one goes on and its results stay.
            let state = match inst.get_job_info(cfg, JobKind::Query, &job_id).await {
                Ok(Ok(j)) => Some(json_v2::state_of(&j).to_string()),
                _ => None,
            };
            let note = match state.as_deref() {
                Some(s @ ("Failed" | "Aborted")) => format!("query job {job_id} is {s}"),
                Some(s) => format!("query job {job_id} is {s}; {hint}"),
                None => format!("query job {job_id}: its state could not be read; {hint}"),
            };
            return Err(f.left(note));
        }
    };
    out.commit()?;
    progress.done();
    Ok(QuerySummary {
        job_id,
        records: rows,
    })
}
