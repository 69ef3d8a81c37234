//! A Bulk API 2.0 load: the CSV streams into as many jobs as it needs (each upload at most
//! `max_upload_bytes`, starting with the header, never splitting a record, every line ending
//! the one declared), and the results are joined back to the input.
//!
//! Commit-point discipline: a job processes nothing before `UploadComplete`. So an upload
//! whose reply is lost is never sent again to that job: the job is aborted and its rows go
//! to a new one. A lost close is settled by reading the job's state. After `UploadComplete`
//! nothing is resent. A job this load made is never left `Open` behind a failure.

use std::cell::RefCell;

use bytes::Bytes;

use crate::error::Error;
use crate::join_v2::{IngestJoiner, ResultIndex};
use crate::model::LineEnding;
use crate::model::v2::{ColumnDelimiter, IngestRequest, JobState, ResultKind};
use crate::protocol::v2::JobKind;
use crate::protocol::{self, MAX_UPLOAD_BYTES};
use crate::split::{Batch, CsvSplitter, SplitLimits};

use super::call::Client;

/// The blocks a job's upload is gathered in (`CsvSplitter::with_blocks`): no copy of the
/// upload as it grows, and freed blocks of one size are reused by the next job.
pub(crate) const UPLOAD_BLOCK: usize = 1 << 20;

/// How often the rows of one upload go to a new job after uploads whose outcome was lost.
const MAX_NEW_JOBS: u32 = 3;

/// A job a load made: its id and which input records it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestJobRef {
    /// The job.
    pub job_id: String,
    /// 0-based index of its first record in the input (the header not counted).
    pub first_record: u64,
    /// How many records it holds.
    pub records: u64,
}

/// A load in progress.
pub struct IngestLoad {
    client: Client,
    request: IngestRequest,
    state: RefCell<LoadState>,
}

struct LoadState {
    splitter: CsvSplitter,
    jobs: Vec<IngestJobRef>,
    finished: bool,
}

impl IngestLoad {
    /// Checks the request (nothing is sent) and prepares the splitter. The upload's line
    /// ending is the request's, LF by default: every record is written with it.
    pub fn start(
        client: Client,
        mut request: IngestRequest,
        max_upload_bytes: Option<u64>,
    ) -> Result<Self, Error> {
        // The same checks as the create request, before anything exists.
        protocol::v2::create_ingest_job(&client.settings.checks_endpoint()?, &request)?;
        let ending = *request.line_ending.get_or_insert(LineEnding::Lf);
        let delimiter = request.column_delimiter.unwrap_or_default();
        let max = max_upload_bytes
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .unwrap_or(MAX_UPLOAD_BYTES)
            .clamp(1, MAX_UPLOAD_BYTES);
        let limits = SplitLimits {
            max_records: usize::MAX,
            max_bytes: max,
            max_chars: max,
        };
        let term: &'static [u8] = match ending {
            LineEnding::Lf => b"\n",
            LineEnding::Crlf => b"\r\n",
        };
        Ok(IngestLoad {
            client,
            request,
            state: RefCell::new(LoadState {
                splitter: CsvSplitter::new(limits)
                    .with_format(delimiter.byte(), Some(term))
                    .with_blocks(UPLOAD_BLOCK),
                jobs: Vec::new(),
                finished: false,
            }),
        })
    }

    /// The delimiter of the input.
    pub fn delimiter(&self) -> ColumnDelimiter {
        self.request.column_delimiter.unwrap_or_default()
    }

    /// Aborts a job this load made, keeping the first error.
    fn abort(&self, job_id: &str, cause: Error) -> Error {
        match self
            .client
            .set_job_state(JobKind::Ingest, job_id, &JobState::Aborted)
        {
            Ok(_) => super::resume::context(cause, &format!(" (job {job_id}: Aborted)")),
            Err(e) => Error::Transport(format!(
                "{cause}; then aborting job {job_id} failed too ({e}): abort it by hand"
            )),
        }
    }

    /// One upload: a new job, the data, the close.
    fn send(&self, batch: Batch) -> Result<IngestJobRef, Error> {
        let mut lost = Vec::new();
        // One copy of the job's bytes, in the splitter's blocks, shared by every attempt.
        let mut data = batch.blocks;
        data.push(Bytes::from(batch.data));
        for _ in 0..MAX_NEW_JOBS {
            let job = self.client.create_ingest_job(&self.request)?;
            match self.client.upload_job_data(&job.id, data.clone()) {
                Ok(()) => {}
                Err(Error::OutcomeUnknown(why)) => {
                    // Nothing is processed before UploadComplete: abort and start anew.
                    if let Err(e) =
                        self.client
                            .set_job_state(JobKind::Ingest, &job.id, &JobState::Aborted)
                    {
                        return Err(Error::Transport(format!(
                            "{why}; then aborting job {} failed too ({e}): abort it by hand",
                            job.id
                        )));
                    }
                    lost.push(format!("{} ({why})", job.id));
                    continue;
                }
                Err(e) => return Err(self.abort(&job.id, e)),
            }
            self.close(&job.id)?;
            return Ok(IngestJobRef {
                job_id: job.id,
                first_record: batch.first_record,
                records: batch.records as u64,
            });
        }
        Err(Error::OutcomeUnknown(format!(
            "{MAX_NEW_JOBS} uploads lost their reply; jobs aborted: {}",
            lost.join(", ")
        )))
    }

    /// `UploadComplete`; a lost reply is settled by reading the job.
    fn close(&self, job_id: &str) -> Result<(), Error> {
        let complete = JobState::UploadComplete;
        match self
            .client
            .set_job_state(JobKind::Ingest, job_id, &complete)
        {
            Ok(_) => Ok(()),
            Err(Error::OutcomeUnknown(_)) => {
                let job = self.client.get_job_v2(JobKind::Ingest, job_id)?;
                match job.state {
                    Some(JobState::Open) => self
                        .client
                        .set_job_state(JobKind::Ingest, job_id, &complete)
                        .map(|_| ())
                        .map_err(|e| self.abort(job_id, e)),
                    _ => Ok(()),
                }
            }
            Err(e) => Err(self.abort(job_id, e)),
        }
    }

    /// Takes more input; returns the jobs it completed (created, uploaded, closed).
    pub fn write(&self, data: &[u8]) -> Result<Vec<IngestJobRef>, Error> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Err(Error::invalid("the load is finished; start a new one"));
        }
        let batches = state.splitter.push(data).map_err(Error::InvalidInput)?;
        let mut made = Vec::new();
        for b in batches {
            let job = self.send(b)?;
            state.jobs.push(job.clone());
            made.push(job);
        }
        Ok(made)
    }

    /// Ends the input: the last job.
    pub fn finish(&self) -> Result<Vec<IngestJobRef>, Error> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Ok(Vec::new());
        }
        let mut made = Vec::new();
        if let Some(last) = state.splitter.finish().map_err(Error::InvalidInput)? {
            let job = self.send(last)?;
            state.jobs.push(job.clone());
            made.push(job);
        }
        state.finished = true;
        Ok(made)
    }

    /// Every job made so far.
    pub fn jobs(&self) -> Vec<IngestJobRef> {
        self.state.borrow().jobs.clone()
    }
}

/// The results of a load's jobs joined to its input.
pub struct IngestJoin {
    client: Client,
    jobs: Vec<IngestJobRef>,
    delimiter: u8,
    joiner: RefCell<IngestJoiner>,
}

impl IngestJoin {
    /// Checks the jobs (in input order, contiguous) before anything is read.
    pub fn open(
        client: Client,
        jobs: Vec<IngestJobRef>,
        delimiter: ColumnDelimiter,
    ) -> Result<Self, Error> {
        let mut next = 0u64;
        for j in &jobs {
            protocol::validate_id("job id", &j.job_id)?;
            if j.first_record != next {
                return Err(Error::invalid(format!(
                    "job {} starts at record {}, expected {next}: jobs must be given in order",
                    j.job_id, j.first_record
                )));
            }
            next += j.records;
        }
        let counts = jobs.iter().map(|j| j.records).collect();
        Ok(IngestJoin {
            client,
            jobs,
            delimiter: delimiter.byte(),
            joiner: RefCell::new(IngestJoiner::new(counts, delimiter.byte())),
        })
    }

    /// Job `i`'s results, indexed; checks every uploaded record has exactly one.
    fn index(&self, i: usize, columns: &[String]) -> Result<ResultIndex, Error> {
        let r = self.jobs.get(i).ok_or_else(|| {
            Error::invalid(format!(
                "the input has more records than the {} jobs hold",
                self.jobs.len()
            ))
        })?;
        // Read again unless it was just seen finished (waiting for it).
        let (state, version) = match self.client.state.finished_job(&r.job_id) {
            Some(known) => known,
            None => {
                let job = self.client.get_job_v2(JobKind::Ingest, &r.job_id)?;
                let state = job.state.unwrap_or(JobState::Unknown(String::new()));
                (state, job.api_version)
            }
        };
        if !state.is_final() {
            return Err(Error::invalid(format!(
                "job {} is {}, not finished: wait for the jobs before joining",
                r.job_id,
                state.as_str()
            )));
        }
        let version = version.as_deref();
        let rows = usize::try_from(r.records).unwrap_or(0);
        let mut index = ResultIndex::with_rows(columns.to_vec(), rows);
        let mut kinds = vec![ResultKind::Successful, ResultKind::Failed];
        if state != JobState::JobComplete {
            kinds.push(ResultKind::Unprocessed);
        }
        let bad = |d: String| {
            Error::unexpected(200, Some("text/csv"), format!("job {}: {d}", r.job_id), &[])
        };
        // The files are asked for at once (up to `config.concurrency`), then read in order:
        // the others transfer while the first is read.
        let window = self.client.settings.concurrency.max(1);
        let mut kinds = kinds.into_iter();
        let mut started = std::collections::VecDeque::new();
        loop {
            while started.len() < window
                && let Some(kind) = kinds.next()
            {
                let body = self.client.start_ingest_results(&r.job_id, kind, version)?;
                started.push_back((kind, body));
            }
            let Some((kind, body)) = started.pop_front() else {
                break;
            };
            // Read as it streams in: the index keeps what it needs of each row.
            let mut body = body.finish()?;
            index.begin(kind, self.delimiter);
            loop {
                let chunk = body.read_chunk(256 * 1024)?;
                if chunk.is_empty() {
                    break;
                }
                index.push(&chunk).map_err(bad)?;
            }
            index.end().map_err(bad)?;
        }
        let (s, f, u) = index.counts();
        if s + f + u != r.records {
            return Err(Error::unexpected(
                200,
                Some("text/csv"),
                format!(
                    "job {}: {s} successful + {f} failed + {u} unprocessed results for {} uploaded records",
                    r.job_id, r.records
                ),
                &[],
            ));
        }
        Ok(index)
    }

    fn run(&self, input: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        let mut fatal = None;
        let mut joiner = self.joiner.borrow_mut();
        let out = {
            let mut index = |i: usize, columns: &[String]| {
                self.index(i, columns).map_err(|e| {
                    let text = e.to_string();
                    fatal = Some(e);
                    text
                })
            };
            match input {
                Some(data) => joiner.push(data, &mut index),
                None => joiner.finish(&mut index),
            }
        };
        if let Some(e) = fatal {
            return Err(e);
        }
        out.map_err(Error::InvalidInput)
    }

    /// Takes more of the input; returns the joined rows it completed.
    pub fn push(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.run(Some(input))
    }

    /// Ends the input; returns the last joined rows.
    pub fn finish(&self) -> Result<Vec<u8>, Error> {
        self.run(None)
    }

    /// Records written: all, saved, failed, unprocessed.
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        self.joiner.borrow().counts()
    }
}
