//! Whole jobs: the file side of `sfbulk load` and `sfbulk query` (and of the demo, which
//! runs both), over the component's `csv-load`, `wait-for-batches`, `result-join` and
//! `query-stream`. The host only moves bytes between files and the component, in bounded
//! pieces.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use host_test::{
    BatchContent, BatchRef, Config, ContentType, Error, Instance, JobRequest, JobStateChange,
    Operation, SplitOptions, WaitOptions,
};

/// Size of the pieces read from input files and from result streams.
pub const CHUNK: usize = 1 << 20;

/// A failure of a whole job: the operation error, a trap, or a local I/O problem.
#[derive(Debug)]
pub enum JobFailure {
    /// The component reported an error.
    Op(Error),
    /// The component trapped.
    Trap(wasmtime::Error),
    /// A local file could not be read or written (a usage problem).
    Io(String),
}

impl From<wasmtime::Error> for JobFailure {
    fn from(e: wasmtime::Error) -> Self {
        JobFailure::Trap(e)
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

    fn show(&self, what: &str) {
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

    fn done(&self) {
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

/// A file read in pieces of [`CHUNK`] bytes.
struct Chunks<'a> {
    path: &'a Path,
    file: File,
    buf: Vec<u8>,
}

impl<'a> Chunks<'a> {
    fn open(path: &'a Path) -> Result<Self, JobFailure> {
        let file = File::open(path)
            .map_err(|e| JobFailure::Io(format!("cannot read {}: {e}", path.display())))?;
        Ok(Chunks {
            path,
            file,
            buf: vec![0u8; CHUNK],
        })
    }

    /// The next piece, or `None` at the end of the file.
    fn next_chunk(&mut self) -> Result<Option<&[u8]>, JobFailure> {
        let n = self
            .file
            .read(&mut self.buf)
            .map_err(|e| JobFailure::Io(format!("cannot read {}: {e}", self.path.display())))?;
        Ok((n > 0).then(|| &self.buf[..n]))
    }
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
    // The file is read twice (here and for the join) instead of being held in memory.
    let mut input = Chunks::open(args.input)?;
    while let Some(chunk) = input.next_chunk()? {
        refs.extend(op!(inst.load_write(&load, chunk)));
        progress.show(&format!("job {job_id}: {} batches sent", refs.len()));
    }
    refs.extend(op!(inst.load_finish(&load)));
    let records: u64 = refs.iter().map(|r| u64::from(r.records)).sum();
    progress.show(&format!(
        "job {job_id}: {} batches, {records} records sent, waiting",
        refs.len()
    ));
    let ids: Vec<String> = refs.iter().map(|r| r.batch_id.clone()).collect();
    wait_with_progress(inst, cfg, &job_id, &ids, &args.wait, progress).await?;
    progress.show(&format!(
        "job {job_id}: {} batches done, joining results",
        refs.len()
    ));

    let join = op!(inst.open_result_join(cfg, &job_id, &refs));
    let out = File::create(&args.results)
        .map_err(|e| JobFailure::Io(format!("cannot create {}: {e}", args.results.display())))?;
    let mut out = BufWriter::new(out);
    let write_err = |e: std::io::Error| JobFailure::Io(format!("cannot write the results: {e}"));
    // Feed the input again, piece by piece.
    let mut input = Chunks::open(args.input)?;
    while let Some(chunk) = input.next_chunk()? {
        let joined = op!(inst.join_push(&join, chunk));
        out.write_all(&joined).map_err(write_err)?;
    }
    let joined = op!(inst.join_finish(&join));
    out.write_all(&joined).map_err(write_err)?;
    out.flush().map_err(write_err)?;
    let counts = inst.join_counts(&join).await?;
    progress.done();
    Ok(LoadSummary {
        job_id,
        batches: ids,
        records: counts.records,
        succeeded: counts.succeeded,
        failed: counts.failed,
        results: args.results,
    })
}

/// Waits for the batches in one-second rounds, so that progress can be shown between
/// them; the overall deadline is `wait.timeout_ms`.
async fn wait_with_progress(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    ids: &[String],
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<(), JobFailure> {
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
            Ok(_) => return Ok(()),
            Err(Error::StillRunning(r))
                if left.is_none_or(|l| l > Duration::from_millis(1_000)) =>
            {
                progress.show(&format!(
                    "job {job_id}: {}/{} batches done",
                    ids.len() - r.pending_batch_ids.len(),
                    ids.len()
                ));
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
    let job = op!(inst.create_job(cfg, &args.request));
    let batch = op!(inst.add_batch(cfg, &job.id, &BatchContent::Query(args.soql.to_string())));
    let stream = op!(inst.open_query_stream(cfg, &job.id, &[], Some(&args.wait)));
    let out = File::create(args.output)
        .map_err(|e| JobFailure::Io(format!("cannot create {}: {e}", args.output.display())))?;
    let mut out = BufWriter::with_capacity(CHUNK, out);
    let write_err =
        |e: std::io::Error| JobFailure::Io(format!("cannot write {}: {e}", args.output.display()));
    let mut bytes = 0u64;
    loop {
        let chunk = op!(inst.stream_read(&stream, CHUNK as u32));
        if chunk.is_empty() {
            break;
        }
        bytes += chunk.len() as u64;
        out.write_all(&chunk).map_err(write_err)?;
        progress.show(&format!("job {}: {:.1} MB", job.id, bytes as f64 / 1e6));
    }
    out.flush().map_err(write_err)?;
    let position = inst.stream_position(&stream).await?;
    // With PK chunking the job stays open until every chunk has been read (Salesforce's advice).
    op!(inst.update_job(cfg, &job.id, JobStateChange::Closed));
    progress.done();
    let _ = batch;
    Ok(QuerySummary {
        job_id: job.id,
        records: position.rows,
        batches: position
            .done_batch_ids
            .len()
            .saturating_sub(usize::from(args.request.pk_chunking.is_some())),
    })
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
