//! Whole jobs of Bulk API 1.0: the file side of `sfbulk load` and `sfbulk query` (and of the
//! demo, which runs both), over the component's `csv-load`, `wait-for-batches`,
//! `result-join` and `query-stream`. The host only moves bytes between files and the
//! component, in bounded pieces.
//!
//! Nothing is left half-done: once the job exists, a failure settles it before it is
//! reported (a job still `Open` is closed when batches were sent, so that they are
//! processed and their results can be joined later with `--job-id`, else aborted), and the
//! failure names the job with its state. A deadline leaves everything as it is.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use host_test::{
    BatchContent, BatchRef, BatchState, Config, ContentType, Error, ErrorKind, Instance,
    JobRequest, JobState, JobStateChange, Operation, SplitOptions, WaitOptions,
};

use crate::download::AtomicFile;
pub use crate::input::CHUNK;
use crate::input::Chunks;
use crate::json;
use crate::output::Failure;

/// A failure of a whole job: the operation error, a trap, or a local problem; and what
/// became of the job(s) it leaves behind.
#[derive(Debug)]
pub enum JobFailure {
    /// The component reported an error.
    Op(Error),
    /// The component trapped.
    Trap(wasmtime::Error),
    /// A local file could not be read or written (a usage problem).
    Io(String),
    /// A failure already described (a local file, a refused input).
    Local(Failure),
    /// A failure, and a note on the jobs it left (`job J is Closed; …`).
    Left(Box<JobFailure>, String),
}

impl JobFailure {
    /// The same failure with a note on the jobs it leaves behind.
    pub fn left(self, note: impl Into<String>) -> Self {
        JobFailure::Left(Box::new(self), note.into())
    }

    /// The operation error underneath, if any.
    pub fn op(&self) -> Option<&Error> {
        match self {
            JobFailure::Op(e) => Some(e),
            JobFailure::Left(inner, _) => inner.op(),
            _ => None,
        }
    }

    /// Whether this is a deadline (`still-running`, exit 4).
    pub fn is_deadline(&self) -> bool {
        match self {
            JobFailure::Local(f) => f.code == crate::output::EXIT_DEADLINE,
            JobFailure::Left(inner, _) => inner.is_deadline(),
            other => other
                .op()
                .is_some_and(|e| e.kind == ErrorKind::StillRunning),
        }
    }
}

impl From<wasmtime::Error> for JobFailure {
    fn from(e: wasmtime::Error) -> Self {
        JobFailure::Trap(e)
    }
}

impl From<Failure> for JobFailure {
    fn from(f: Failure) -> Self {
        JobFailure::Local(f)
    }
}

impl From<JobFailure> for Failure {
    fn from(f: JobFailure) -> Self {
        match f {
            JobFailure::Op(e) => Failure::op(e),
            JobFailure::Trap(e) => Failure::trap(e),
            JobFailure::Io(m) => Failure::usage(m),
            JobFailure::Local(f) => f,
            JobFailure::Left(inner, note) => Failure::from(*inner).note(note),
        }
    }
}

/// Unwraps a component call.
macro_rules! op {
    ($e:expr) => {
        $e.await?.map_err(JobFailure::Op)?
    };
}

/// Progress on stderr, only when it is a terminal.
pub struct Progress {
    on: bool,
    start: Instant,
}

impl Progress {
    /// Shows progress when stderr is a terminal.
    pub fn auto() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Never shows anything.
    pub fn quiet() -> Self {
        Progress {
            on: false,
            start: Instant::now(),
        }
    }

    /// Whether progress is shown (stderr is a terminal).
    pub fn enabled(&self) -> bool {
        self.on
    }

    /// One progress line (replacing the last).
    pub fn show(&self, what: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K{what}  {:.1}s",
                self.start.elapsed().as_secs_f64()
            );
            let _ = err.flush();
        }
    }

    /// Ends the progress line.
    pub fn done(&self) {
        if self.on {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// What `load` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    /// The job.
    pub job_id: String,
    /// The batches, in input order.
    pub batches: Vec<String>,
    /// Input records.
    pub records: u64,
    /// Records saved.
    pub succeeded: u64,
    /// Records not saved.
    pub failed: u64,
    /// Where the joined results went.
    pub results: PathBuf,
}

/// How `load` runs.
pub struct LoadArgs<'a> {
    /// The job to create (content type CSV).
    pub request: JobRequest,
    /// The CSV input.
    pub input: &'a Path,
    /// Records per batch (default 10,000).
    pub batch_size: Option<u32>,
    /// Where to write the joined results.
    pub results: PathBuf,
    /// How to wait for the batches.
    pub wait: WaitOptions,
}

/// Loads a CSV file: split into batches, added, closed, waited for, results joined.
pub async fn load(
    inst: &mut Instance,
    cfg: &Config,
    args: LoadArgs<'_>,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    let split = SplitOptions {
        max_records: args.batch_size,
        max_bytes: None,
    };
    let load = op!(inst.start_csv_load(cfg, &args.request, Some(&split)));
    let job_id = inst.load_job_id(&load).await?;
    let mut refs: Vec<BatchRef> = Vec::new();
    let sent: Result<(), JobFailure> = async {
        // The file is read twice (here and for the join) instead of being held in memory.
        let mut input = Chunks::open(args.input)?;
        while let Some(chunk) = input.next_chunk()? {
            refs.extend(op!(inst.load_write(&load, chunk)));
            progress.show(&format!("job {job_id}: {} batches sent", refs.len()));
        }
        refs.extend(op!(inst.load_finish(&load)));
        Ok(())
    }
    .await;
    if let Err(f) = sent {
        return Err(settle(inst, cfg, &job_id, f).await);
    }
    let records: u64 = refs.iter().map(|r| u64::from(r.records)).sum();
    progress.show(&format!(
        "job {job_id}: {} batches, {records} records sent, waiting",
        refs.len()
    ));
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    let resume = resume_hint(&job_id, args.input);
    wait_with_progress(inst, cfg, &job_id, &ids, &args.wait, progress)
        .await
        .map_err(|f| f.left(format!("job {job_id} is Closed; {resume}")))?;
    let summary = join(inst, cfg, &job_id, refs, args.input, args.results, progress)
        .await
        .map_err(|f| f.left(format!("job {job_id} is Closed and finished; {resume}")))?;
    Ok(summary)
}

/// How to pick a 1.0 load up again.
fn resume_hint(job_id: &str, input: &Path) -> String {
    format!(
        "its results can be joined later with `sfbulk load --job-id {job_id} --file {}`",
        input.display()
    )
}

/// Joins the finished batches' results to the input file.
pub async fn join(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    refs: Vec<BatchRef>,
    input: &Path,
    results: PathBuf,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    progress.show(&format!(
        "job {job_id}: {} batches done, joining results",
        refs.len()
    ));
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    let join = op!(inst.open_result_join(cfg, job_id, &refs));
    let mut out = AtomicFile::create(&results)?;
    // Feed the input again, piece by piece.
    let mut chunks = Chunks::open(input)?;
    while let Some(chunk) = chunks.next_chunk()? {
        let joined = op!(inst.join_push(&join, chunk));
        out.write(&joined)?;
    }
    let joined = op!(inst.join_finish(&join));
    out.write(&joined)?;
    out.commit()?;
    let counts = inst.join_counts(&join).await?;
    progress.done();
    Ok(LoadSummary {
        job_id: job_id.to_string(),
        batches: ids,
        records: counts.records,
        succeeded: counts.succeeded,
        failed: counts.failed,
        results,
    })
}

/// After a failure of a load or query whose job exists: a job still `Open` is closed when
/// it holds batches (Salesforce processes them; their results can be read later), else
/// aborted. The failure comes back with the job and its state.
async fn settle(inst: &mut Instance, cfg: &Config, job_id: &str, cause: JobFailure) -> JobFailure {
    let note = match inst.get_job(cfg, job_id).await {
        Ok(Ok(job)) if job.state == JobState::Open => {
            // The job's own count: a write that failed may have sent batches before.
            let batches_sent = job.number_batches_total;
            let change = if batches_sent > 0 {
                JobStateChange::Closed
            } else {
                JobStateChange::Aborted
            };
            match inst.update_job(cfg, job_id, change).await {
                Ok(Ok(job)) => format!(
                    "job {job_id} is {} ({batches_sent} batches sent before the failure)",
                    json::job_state(&job.state)
                ),
                Ok(Err(e)) => format!(
                    "job {job_id} is still Open: settling it failed too ({}); close or abort it with `sfbulk update-job`",
                    crate::output::describe(&e).1
                ),
                Err(e) => format!("job {job_id} is still Open: settling it failed too ({e})"),
            }
        }
        Ok(Ok(job)) => format!("job {job_id} is {}", json::job_state(&job.state)),
        Ok(Err(e)) => format!(
            "job {job_id}: its state could not be read ({})",
            crate::output::describe(&e).1
        ),
        Err(e) => format!("job {job_id}: its state could not be read ({e})"),
    };
    cause.left(note)
}

/// Waits for the batches in one-second rounds, so that progress can be shown between
/// them; the overall deadline is `wait.timeout_ms`.
pub async fn wait_with_progress(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    ids: &[String],
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<Vec<host_test::BatchInfo>, JobFailure> {
    let start = Instant::now();
    let deadline = wait.timeout_ms.map(Duration::from_millis);
    loop {
        let left = deadline.map(|d| d.saturating_sub(start.elapsed()));
        let round = WaitOptions {
            timeout_ms: Some(left.map_or(1_000, |l| l.as_millis().min(1_000) as u64)),
            ..*wait
        };
        match inst
            .wait_for_batches(cfg, job_id, ids, Some(&round))
            .await?
        {
            Ok(done) => return Ok(done),
            Err(r)
                if r.kind == ErrorKind::StillRunning
                    && left.is_none_or(|l| l > Duration::from_millis(1_000)) =>
            {
                if progress.enabled() {
                    // The error names what is still running only in its message: the
                    // batches' states are one list away.
                    let all = inst
                        .list_batches(cfg, job_id)
                        .await?
                        .map_err(JobFailure::Op)?;
                    let done = all
                        .iter()
                        .filter(|b| ids.is_empty() || ids.contains(&b.id))
                        .filter(|b| {
                            matches!(
                                b.state,
                                BatchState::Completed
                                    | BatchState::Failed
                                    | BatchState::NotProcessed
                            )
                        })
                        .count();
                    let of = if ids.is_empty() { all.len() } else { ids.len() };
                    progress.show(&format!("job {job_id}: {done}/{of} batches done"));
                }
            }
            Err(e) => return Err(JobFailure::Op(e)),
        }
    }
}

/// What `query` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySummary {
    /// The job.
    pub job_id: String,
    /// Data rows written (the header not counted).
    pub records: u64,
    /// Batches read (PK chunks included, the parent not).
    pub batches: usize,
}

/// How `query` runs.
pub struct QueryArgs<'a> {
    /// The job to create (operation query or queryAll, content type CSV).
    pub request: JobRequest,
    /// The SOQL statement.
    pub soql: &'a str,
    /// Where to write the CSV.
    pub output: &'a Path,
    /// How to wait for the batches.
    pub wait: WaitOptions,
}

/// Runs a query job and writes every row of every result file as one CSV.
pub async fn query(
    inst: &mut Instance,
    cfg: &Config,
    args: QueryArgs<'_>,
    progress: &Progress,
) -> Result<QuerySummary, JobFailure> {
    // The output first: an unwritable one is refused before anything is sent.
    let out = AtomicFile::create(args.output)?;
    let job = op!(inst.create_job(cfg, &args.request));
    let added = inst
        .add_batch(cfg, &job.id, &BatchContent::Query(args.soql.to_string()))
        .await;
    match added {
        Ok(Ok(_)) => {}
        // No query runs: nothing to keep.
        Ok(Err(e)) => return Err(settle(inst, cfg, &job.id, JobFailure::Op(e)).await),
        Err(e) => return Err(settle(inst, cfg, &job.id, JobFailure::Trap(e)).await),
    }
    let pk = args.request.pk_chunking.is_some();
    // Without PK chunking the one batch is all the job will hold: it is closed now, as the
    // reference client does (a closed job's batch runs on and its results stay readable),
    // so that no round trip is left for after the download. A close that fails here is
    // tried again at the end.
    let closed = !pk
        && matches!(
            inst.update_job(cfg, &job.id, JobStateChange::Closed).await,
            Ok(Ok(_))
        );
    let made = Made::Now { closed };
    read_query_job(inst, cfg, &job.id, out, &args.wait, pk, made, progress).await
}

/// Whether `query` made the job (and closed it already), or continues one by id.
#[derive(Clone, Copy)]
enum Made {
    Now { closed: bool },
    Before,
}

/// Continues an existing query job (`query --job-id`): waits, then downloads.
pub async fn continue_query(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    output: &Path,
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<QuerySummary, JobFailure> {
    let out = AtomicFile::create(output)?;
    read_query_job(inst, cfg, job_id, out, wait, false, Made::Before, progress).await
}

/// Streams a query job's rows into `out`, then closes the job (unless `made` says it was
/// closed already). After a failure a job this command made and still `Open` is closed (its
/// results stay readable: continue it with `--job-id`); a job it continues is only named
/// with its state; at a deadline either is left as it is.
#[allow(clippy::too_many_arguments)]
async fn read_query_job(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    mut out: AtomicFile,
    wait: &WaitOptions,
    pk_chunking: bool,
    made: Made,
    progress: &Progress,
) -> Result<QuerySummary, JobFailure> {
    let created = matches!(made, Made::Now { .. });
    let closed = matches!(made, Made::Now { closed: true });
    let hint = format!(
        "continue it with `sfbulk query --job-id {job_id} --output {}`",
        out.target().display()
    );
    let read: Result<(u64, usize), JobFailure> = async {
        let stream = op!(inst.open_query_stream(cfg, job_id, &[], Some(wait)));
        let mut bytes = 0u64;
        loop {
            let chunk = op!(inst.stream_read(&stream, CHUNK as u32));
            if chunk.is_empty() {
                break;
            }
            bytes += chunk.len() as u64;
            out.write(&chunk)?;
            progress.show(&format!("job {job_id}: {:.1} MB", bytes as f64 / 1e6));
        }
        let position = inst.stream_position(&stream).await?;
        out.commit()?;
        Ok((position.rows, position.done_batch_ids.len()))
    }
    .await;
    let (rows, done_batches) = match read {
        Ok(p) => p,
        Err(f) if f.is_deadline() => {
            let state = if closed { "Closed" } else { "Open" };
            return Err(f.left(format!("job {job_id} is {state}, left as it is; {hint}")));
        }
        Err(f) if created => {
            let f = settle(inst, cfg, job_id, f).await;
            return Err(f.left(hint));
        }
        Err(f) => {
            let state = match inst.get_job(cfg, job_id).await {
                Ok(Ok(job)) => json::job_state(&job.state).to_string(),
                _ => "in a state that could not be read".into(),
            };
            return Err(f.left(format!("job {job_id} is {state}, left as it is")));
        }
    };
    // With PK chunking the job stays open until every chunk has been read (Salesforce's
    // advice); it is closed once everything is written, as is a job whose early close failed.
    if !closed {
        close_query_job(inst, cfg, job_id, created).await?;
    }
    progress.done();
    Ok(QuerySummary {
        job_id: job_id.to_string(),
        records: rows,
        batches: done_batches.saturating_sub(usize::from(pk_chunking)),
    })
}

/// Closes a query job after its rows were written. A job this command made is still Open:
/// closed at once, with no read first; a job continued by id is read first (it may be
/// closed already). A close refused because someone closed the job meanwhile is not a
/// failure.
async fn close_query_job(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    created: bool,
) -> Result<(), JobFailure> {
    let close = if created {
        inst.update_job(cfg, job_id, JobStateChange::Closed).await?
    } else {
        let job = op!(inst.get_job(cfg, job_id));
        if job.state != JobState::Open {
            return Ok(());
        }
        inst.update_job(cfg, job_id, JobStateChange::Closed).await?
    };
    if let Err(e) = close
        && op!(inst.get_job(cfg, job_id)).state == JobState::Open
    {
        return Err(JobFailure::Op(e));
    }
    Ok(())
}

/// The object of `SELECT … FROM Object …`.
pub fn soql_object(soql: &str) -> Option<String> {
    let mut words = soql.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("from") {
            return words.next().map(|o| o.trim_end_matches(';').to_string());
        }
    }
    None
}

/// A query job request for `soql`.
pub fn query_request(object: &str, query_all: bool) -> JobRequest {
    host_test::job_request(
        if query_all {
            Operation::QueryAll
        } else {
            Operation::Query
        },
        object,
        Some(ContentType::Csv),
    )
}

/// Default waiting of the CLI: 100 ms doubling up to 5 s, no deadline.
pub fn default_wait(timeout: Option<Duration>) -> WaitOptions {
    WaitOptions {
        first_interval_ms: Some(100),
        max_interval_ms: Some(5_000),
        timeout_ms: timeout.map(|t| t.as_millis() as u64),
    }
}
