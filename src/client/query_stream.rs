//! Every query result of a job as one CSV stream (`query-stream`): batches read as they
//! finish, their result files opened one after another and stitched ([`crate::stitch`]);
//! a file whose connection breaks is opened again and resumed where it broke
//! ([`super::resume`]).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use crate::backoff::PollPolicy;
use crate::error::Error;
use crate::model::{self, BatchState, ContentType};
use crate::protocol;
use crate::stitch::Stitcher;

use super::call::Client;
use super::resume::ResumingBody;

pub use super::resume::MAX_REOPEN;

/// Where a stream is: the batches fully read and the rows written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryPosition {
    /// The job.
    pub job_id: String,
    /// Batches whose results were all written (or that have none).
    pub done_batch_ids: Vec<String>,
    /// Data rows written.
    pub rows: u64,
}

/// A stream in progress.
pub struct QueryStream {
    client: Client,
    job_id: String,
    poll: PollPolicy,
    state: RefCell<StreamState>,
}

struct StreamState {
    started: Duration,
    polls: u32,
    done: Vec<String>,
    /// The batch being read and its result files not opened yet.
    batch: Option<(String, VecDeque<String>)>,
    /// The result file being read.
    file: Option<ResumingBody>,
    stitcher: Stitcher,
    finished: bool,
}

impl QueryStream {
    /// Checks that the job is a CSV query job; `skip` lists batches already read.
    pub fn open(
        client: Client,
        job_id: String,
        skip: Vec<String>,
        poll: PollPolicy,
    ) -> Result<Self, Error> {
        protocol::validate_id("job id", &job_id)?;
        for id in &skip {
            protocol::validate_id("batch id", id)?;
        }
        let (ct, op) = client.job_kind(&job_id)?;
        if ct != ContentType::Csv || !op.as_ref().is_some_and(model::Operation::is_query) {
            return Err(Error::invalid(format!(
                "query-stream reads CSV query jobs; job {job_id} is {} {}",
                op.as_ref().map(model::Operation::as_str).unwrap_or("?"),
                ct.as_str()
            )));
        }
        let started = client.transport.monotonic();
        Ok(QueryStream {
            client,
            job_id,
            poll,
            state: RefCell::new(StreamState {
                started,
                polls: 0,
                done: skip,
                batch: None,
                file: None,
                stitcher: Stitcher::new(),
                finished: false,
            }),
        })
    }

    /// Picks the next finished batch to read, waiting while batches are still running.
    /// Returns false when every batch has been read.
    fn next_batch(&self, st: &mut StreamState) -> Result<bool, Error> {
        let t = &*self.client.transport;
        loop {
            let batches = self.client.list_batches(&self.job_id)?;
            let mut pending = Vec::new();
            let fresh: Vec<&model::BatchInfo> = batches
                .iter()
                .filter(|b| !st.done.contains(&b.id))
                .collect();
            for b in fresh {
                match &b.state {
                    Some(BatchState::Completed) => {
                        let ids = match self.client.batch_results(&self.job_id, &b.id)? {
                            model::BatchResults::Query(ids) => ids,
                            model::BatchResults::Ingest(_) => Vec::new(),
                        };
                        st.batch = Some((b.id.clone(), ids.into()));
                        return Ok(true);
                    }
                    // The parent of a PK-chunked query, or a batch of an aborted job.
                    Some(BatchState::NotProcessed) => st.done.push(b.id.clone()),
                    Some(BatchState::Failed) => {
                        let message = b.state_message.as_deref().unwrap_or("no state message");
                        return Err(Error::Api {
                            status: 200,
                            code: failed_batch_code(message),
                            message: format!(
                                "batch {} of job {} failed: {message}",
                                b.id, self.job_id
                            ),
                        });
                    }
                    _ => pending.push(b.id.clone()),
                }
            }
            if pending.is_empty() {
                return Ok(false);
            }
            let elapsed = t.monotonic().saturating_sub(st.started);
            match self.poll.next_wait(st.polls, elapsed, t.jitter()) {
                Some(d) => t.sleep(d),
                None => {
                    return Err(Error::StillRunning {
                        job_id: self.job_id.clone(),
                        pending,
                    });
                }
            }
            st.polls += 1;
        }
    }

    /// Up to about `max` more bytes of the CSV; empty at the end.
    pub fn read(&self, max: usize) -> Result<Vec<u8>, Error> {
        let mut st = self.state.borrow_mut();
        loop {
            if st.finished {
                return Ok(Vec::new());
            }
            if st.file.is_some() {
                let out = self.read_file(&mut st, max)?;
                if !out.is_empty() {
                    return Ok(out);
                }
                continue;
            }
            let next_file = st
                .batch
                .as_mut()
                .map(|(batch, files)| (batch.clone(), files.pop_front()));
            match next_file {
                Some((batch, Some(result))) => {
                    let body =
                        self.client
                            .open_query_result_resuming(&self.job_id, &batch, &result)?;
                    st.stitcher.begin_file();
                    st.file = Some(body);
                }
                Some((batch, None)) => {
                    st.done.push(batch);
                    st.batch = None;
                }
                None => {
                    if !self.next_batch(&mut st)? {
                        st.finished = true;
                    }
                }
            }
        }
    }

    /// Reads the current file; returns what to emit (possibly empty while skipping).
    fn read_file(&self, st: &mut StreamState, max: usize) -> Result<Vec<u8>, Error> {
        let Some(file) = st.file.as_mut() else {
            return Ok(Vec::new());
        };
        // A break mid-file is resumed by the reader (opened again, what was read skipped).
        let chunk = file.read_chunk(max)?;
        if chunk.is_empty() {
            st.file = None;
            return Ok(st.stitcher.end_file());
        }
        st.stitcher.push(&chunk).map_err(|head| {
            Error::unexpected(
                200,
                Some("text/csv"),
                "a result file's header line is longer than 1 MiB",
                &head,
            )
        })
    }

    /// Where the stream is.
    pub fn position(&self) -> QueryPosition {
        let st = self.state.borrow();
        QueryPosition {
            job_id: self.job_id.clone(),
            done_batch_ids: st.done.clone(),
            rows: st.stitcher.rows(),
        }
    }
}

/// The exception code a batch's state message starts with (`InvalidBatch : …`), else
/// `BatchFailed`.
fn failed_batch_code(message: &str) -> String {
    match message.split_once(" : ") {
        Some((code, _))
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            code.to_string()
        }
        _ => "BatchFailed".to_string(),
    }
}
