//! `load --job-id …`: joining the results of jobs loaded earlier (by a run that stopped
//! at its deadline, or failed after its jobs were closed) to the file they were loaded
//! from, sending nothing. Operation and object come from the jobs.
//!
//! The join needs which input records each batch (1.0) or job (2.0) holds.
//!
//! - 1.0: a load posts several batches at once (`--concurrency`), and Salesforce makes them in
//!   any order, so a job of more than one batch has its batches paired with the file by
//!   content: the file is cut again natively with the component's own splitter and the load's
//!   `--batch-size`, and each batch's request (`GET …/batch/{id}/request`, read once) is
//!   matched to the piece holding the same bytes (length and a 64-bit fingerprint; identical
//!   pieces are interchangeable). A batch that matches no piece, or a piece no batch holds,
//!   is a usage error. A finished batch's processed count is checked against its piece.
//! - 2.0: the `--job-id`s hold consecutive records in the order given, so only the counts are
//!   needed: a finished job says how many records it processed. When more than one does not
//!   (a job that failed or was aborted), the file is cut again with the load's limits
//!   (`--max-job-bytes`: give the ones the load used). Every count is checked against the
//!   file; the join then checks every record's result.

use std::path::Path;

use host_test::bulk2::{ColumnDelimiter, IngestJobRef, JobKind, JobState as State2};
use host_test::{BatchRef, BatchState, Config, Instance, LineEnding, Operation, WaitOptions};
use sfbulk_core::split::{Batch, CsvSplitter, SplitLimits};

use crate::input::Chunks;
use crate::json_v2;
use crate::output::Failure;
use crate::whole_jobs::{self, JobFailure, LoadSummary, Progress};
use crate::whole_jobs_v2;

/// Unwraps a component call.
macro_rules! op {
    ($e:expr) => {
        $e.await?.map_err(JobFailure::Op)?
    };
}

/// How the file was cut: the limits the load used.
#[derive(Clone, Copy, Debug)]
pub enum Cut {
    /// Bulk API 1.0 batches of at most this many records.
    Batches(u32),
    /// Bulk API 2.0 uploads of at most this many bytes, with this delimiter and line end.
    Jobs {
        max_bytes: u64,
        delimiter: u8,
        crlf: bool,
    },
}

/// Cuts the file as the component cuts it, giving `each` every piece in order.
fn cut_file(path: &Path, cut: Cut, mut each: impl FnMut(&Batch)) -> Result<(), Failure> {
    let mut splitter = match cut {
        Cut::Batches(n) => CsvSplitter::new(SplitLimits {
            max_records: n as usize,
            ..SplitLimits::default()
        }),
        Cut::Jobs {
            max_bytes,
            delimiter,
            crlf,
        } => {
            let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
            let term: &'static [u8] = if crlf { b"\r\n" } else { b"\n" };
            CsvSplitter::new(SplitLimits {
                max_records: usize::MAX,
                max_bytes: max,
                max_chars: max,
            })
            .with_format(delimiter, Some(term))
        }
    };
    let bad = |e: String| Failure::usage(format!("invalid input: {}: {e}", path.display()));
    let mut chunks = Chunks::open(path)?;
    while let Some(chunk) = chunks.next_chunk()? {
        splitter
            .push(chunk)
            .map_err(bad)?
            .iter()
            .for_each(&mut each);
    }
    splitter.finish().map_err(bad)?.iter().for_each(each);
    Ok(())
}

/// The records in each piece of the file, cut as the component cuts it.
pub fn cut_counts(path: &Path, cut: Cut) -> Result<Vec<u64>, Failure> {
    let mut counts = Vec::new();
    cut_file(path, cut, |b| counts.push(b.records as u64))?;
    Ok(counts)
}

/// A 1.0 batch of the file as the component cuts it: which records, and what pairs it with
/// a batch of the job (its length and fingerprint).
struct Piece {
    first_record: u64,
    records: u64,
    len: usize,
    fingerprint: u64,
}

/// Pairs each of a 1.0 job's batches (`ids`) with the piece of the file holding the same
/// bytes (each batch's request read once; identical pieces are interchangeable). A batch
/// that matches no piece, a piece no batch holds, or a finished batch whose count of
/// processed records (`processed`) is not its piece's is a usage error.
#[allow(clippy::too_many_arguments)]
async fn pair_by_content(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    ids: Vec<String>,
    input: &Path,
    size: u32,
    processed: &dyn Fn(&str) -> Option<u64>,
) -> Result<Vec<BatchRef>, JobFailure> {
    let mut pieces = Vec::new();
    cut_file(input, Cut::Batches(size), |b| {
        pieces.push(Piece {
            first_record: b.first_record,
            records: b.records as u64,
            len: b.data.len(),
            fingerprint: fingerprint(&b.data),
        })
    })?;
    let mut holder: Vec<Option<String>> = vec![None; pieces.len()];
    let given = ids.len();
    for id in ids {
        let bytes = op!(inst.get_batch_request(cfg, job_id, &id));
        let key = (bytes.len(), fingerprint(&bytes));
        let Some(at) = (0..pieces.len())
            .find(|&i| holder[i].is_none() && (pieces[i].len, pieces[i].fingerprint) == key)
        else {
            return Err(Failure::usage(format!(
                "batch {id} of job {job_id} holds records that are not a batch of {} cut into batches of {size} records: give the file it was loaded from (and the --batch-size the load used)",
                input.display()
            ))
            .into());
        };
        let records = pieces[at].records;
        if let Some(n) = processed(&id).filter(|&n| n != records) {
            return Err(Failure::usage(format!(
                "batch {id} processed {n} records, its piece of the file has {records}: give the file it was loaded from"
            ))
            .into());
        }
        holder[at] = Some(id);
    }
    if given != pieces.len() {
        return Err(Failure::usage(format!(
            "the file cuts into {} batches with the limits given, job {job_id} has {given}: give the file they were loaded from (and the limits the load used)",
            pieces.len()
        ))
        .into());
    }
    // Every piece is held (as many batches as pieces, each holding one), in file order.
    Ok(pieces
        .iter()
        .zip(holder)
        .filter_map(|(p, batch_id)| {
            Some(BatchRef {
                batch_id: batch_id?,
                first_record: p.first_record,
                records: p.records as u32,
            })
        })
        .collect())
}

/// A 64-bit fingerprint of a batch's bytes (SipHash; with the length, what pairs a batch
/// with its piece of the file).
fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut h = DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// Each piece's record count: the ones the pieces reported, the single unknown one by
/// difference, more than one unknown by cutting the file again. Checked against `total`.
fn counts(
    known: &[Option<u64>],
    total: u64,
    what: &str,
    cut: impl FnOnce() -> Result<Vec<u64>, Failure>,
) -> Result<Vec<u64>, Failure> {
    let unknown = known.iter().filter(|k| k.is_none()).count();
    let sum: u64 = known.iter().flatten().sum();
    let mismatch = |n: u64| {
        Failure::usage(format!(
            "the {what} hold {n} records, the file has {total}: give the file they were loaded from (and the limits the load used)"
        ))
    };
    let counts: Vec<u64> = match unknown {
        0 => known.iter().flatten().copied().collect(),
        1 if sum <= total => known.iter().map(|k| k.unwrap_or(total - sum)).collect(),
        _ => {
            let cut = cut()?;
            if cut.len() != known.len() {
                return Err(Failure::usage(format!(
                    "the file cuts into {} {what} with the limits given, {} were given: give the file they were loaded from (and the limits the load used)",
                    cut.len(),
                    known.len()
                )));
            }
            for (c, k) in cut.iter().zip(known) {
                if k.is_some_and(|k| k != *c) {
                    return Err(mismatch(sum));
                }
            }
            cut
        }
    };
    let n: u64 = counts.iter().sum();
    if n != total {
        return Err(mismatch(n));
    }
    Ok(counts)
}

/// `load --job-id J --file F` of Bulk API 1.0.
#[allow(clippy::too_many_arguments)]
pub async fn load_v1(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    input: &Path,
    records: u64,
    batch_size: Option<u32>,
    results: std::path::PathBuf,
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<LoadSummary, JobFailure> {
    let job = op!(inst.get_job(cfg, job_id));
    if matches!(job.operation, Operation::Query | Operation::QueryAll) {
        return Err(Failure::usage(format!("job {job_id} is a query job, not a load")).into());
    }
    let mut batches = op!(inst.list_batches(cfg, job_id));
    // By creation (the order a load adds them in); equal times keep the listed order.
    batches.sort_by(|a, b| a.created_date.cmp(&b.created_date));
    let ids: Vec<String> = batches.iter().map(|b| b.id.clone()).collect();
    let done = whole_jobs::wait_with_progress(inst, cfg, job_id, &ids, wait, progress)
        .await
        .map_err(|f| f.left(format!("job {job_id} was left as it is")))?;
    let processed = |id: &str| {
        done.iter()
            .find(|b| b.id == id)
            .filter(|b| b.state == BatchState::Completed)
            .map(|b| b.number_records_processed)
    };
    let size = batch_size.unwrap_or(10_000);
    let refs = if ids.len() > 1 {
        // A load posts several batches at once, and Salesforce makes them in any order.
        progress.show(&format!(
            "job {job_id}: pairing its {} batches with the file",
            ids.len()
        ));
        pair_by_content(inst, cfg, job_id, ids, input, size, &processed).await?
    } else {
        let known: Vec<Option<u64>> = ids.iter().map(|id| processed(id)).collect();
        let counts = counts(&known, records, "batches", || {
            cut_counts(input, Cut::Batches(size))
        })?;
        ids.into_iter()
            .zip(counts)
            .map(|(batch_id, n)| BatchRef {
                batch_id,
                first_record: 0,
                records: n as u32,
            })
            .collect()
    };
    whole_jobs::join(inst, cfg, job_id, refs, input, results, progress).await
}

/// The dialect of a 2.0 load's input, as `validate` found it.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// The column delimiter.
    pub delimiter: u8,
    /// Whether the header ends with CRLF.
    pub crlf: bool,
}

/// `load --bulk-api 2 --job-id J … --file F`.
#[allow(clippy::too_many_arguments)]
pub async fn load_v2(
    inst: &mut Instance,
    cfg: &Config,
    job_ids: &[String],
    input: &Path,
    records: u64,
    dialect: Dialect,
    max_job_bytes: Option<u64>,
    results: std::path::PathBuf,
    wait: &WaitOptions,
    progress: &Progress,
) -> Result<whole_jobs_v2::LoadSummary, JobFailure> {
    let mut first: Option<(String, String)> = None;
    for id in job_ids {
        let job = op!(inst.get_job_info(cfg, JobKind::Ingest, id));
        if job.state == Some(State2::Open) {
            return Err(Failure::runtime(format!(
                "job {id} is Open: its upload was never completed, so it has no results; close it (`sfbulk v2 ingest close {id}`) or abort it"
            ))
            .into());
        }
        let this = (job.operation.clone(), job.object.clone());
        match &first {
            None => first = Some(this),
            Some(f) if *f != this => {
                return Err(Failure::usage(format!(
                    "job {id} is {} {}, the first job {} {}: give the jobs of one load",
                    this.0, this.1, f.0, f.1
                ))
                .into());
            }
            Some(_) => {}
        }
    }
    let jobs = whole_jobs_v2::wait_for_jobs(inst, cfg, JobKind::Ingest, job_ids, wait, progress)
        .await
        .map_err(|f| f.left("nothing was aborted"))?;
    let known: Vec<Option<u64>> = job_ids
        .iter()
        .map(|id| {
            jobs.iter()
                .find(|j| &j.id == id)
                .filter(|j| j.state == Some(State2::JobComplete))
                .map(|j| j.number_records_processed)
        })
        .collect();
    let cut = Cut::Jobs {
        max_bytes: max_job_bytes.unwrap_or(sfbulk_core::protocol::MAX_UPLOAD_BYTES as u64),
        delimiter: dialect.delimiter,
        crlf: dialect.crlf,
    };
    let counts = counts(&known, records, "jobs", || cut_counts(input, cut))?;
    let mut next = 0u64;
    let refs: Vec<IngestJobRef> = job_ids
        .iter()
        .zip(counts)
        .map(|(id, n)| {
            let r = IngestJobRef {
                job_id: id.clone(),
                first_record: next,
                records: n,
            };
            next += n;
            r
        })
        .collect();
    let delimiter: Option<ColumnDelimiter> = json_v2::delimiter_of(dialect.delimiter);
    whole_jobs_v2::join(inst, cfg, refs, jobs, delimiter, input, results, progress).await
}

/// The line ending a 2.0 job declares for an input whose header ends so.
pub fn line_ending(crlf: bool) -> LineEnding {
    if crlf {
        LineEnding::Crlf
    } else {
        LineEnding::Lf
    }
}
