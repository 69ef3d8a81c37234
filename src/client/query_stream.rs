//! Every query result of a job as one CSV stream (`query-stream`): batches read as they
//! finish (one list of the job's batches per poll), their result files stitched in order
//! ([`crate::stitch`]) while the next ones, up to `config.concurrency` files in all, are
//! already open and transferring (the transport moves their bytes while the first is read);
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
use crate::substr;

use super::call::Client;
use super::resume::{ResumingBody, StartedBody};

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

/// A result file asked for: its reply head is waited for when it is first read (the
/// transport takes it earlier, and moves its bytes, while the component waits for another).
enum File {
    Asked(StartedBody),
    Open(ResumingBody),
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
    /// Whether the job's batches were listed, and when last.
    listed: bool,
    listed_at: Duration,
    done: Vec<String>,
    /// Batches whose result files are queued or open, with how many are not finished.
    reading: Vec<(String, usize)>,
    /// Result files not opened yet, in order: (batch, result).
    queue: VecDeque<(String, String)>,
    /// Result files asked for, in order: the first is the one being read, the others were
    /// asked for ahead (their transfers run while the first is read; `config.concurrency`).
    open: VecDeque<(String, File)>,
    /// Whether the stitcher was told that the first open file began.
    begun: bool,
    /// Batches still running when last listed.
    running: Vec<String>,
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
                listed: false,
                listed_at: started,
                done: skip,
                reading: Vec::new(),
                queue: VecDeque::new(),
                open: VecDeque::new(),
                begun: false,
                running: Vec::new(),
                stitcher: Stitcher::new(),
                finished: false,
            }),
        })
    }

    /// Lists the job's batches once (one status call for the whole job): every newly
    /// completed batch's result files are queued, in the order of the list; the batches
    /// still running are remembered. The completed batches' result lists are asked for up to
    /// `config.concurrency` at a time (a PK-chunked job finishes twenty batches at once).
    fn list(&self, st: &mut StreamState) -> Result<(), Error> {
        let batches = self.client.list_batches(&self.job_id)?;
        st.listed = true;
        st.listed_at = self.client.transport.monotonic();
        st.running.clear();
        let mut completed = Vec::new();
        for b in &batches {
            if st.done.contains(&b.id) || st.reading.iter().any(|(id, _)| *id == b.id) {
                continue;
            }
            match &b.state {
                Some(BatchState::Completed) => completed.push(b.id.as_str()),
                // The parent of a PK-chunked query, or a batch of an aborted job.
                Some(BatchState::NotProcessed) => st.done.push(b.id.clone()),
                Some(BatchState::Failed) => {
                    let message = b.state_message.as_deref().unwrap_or("no state message");
                    return Err(Error::Api {
                        status: 200,
                        code: failed_batch_code(message),
                        message: format!("batch {} of job {} failed: {message}", b.id, self.job_id),
                    });
                }
                _ => st.running.push(b.id.clone()),
            }
        }
        let window = self.client.settings.concurrency.max(1);
        let mut asked = VecDeque::new();
        let mut next = completed.iter();
        loop {
            while asked.len() < window
                && let Some(id) = next.next()
            {
                asked.push_back((*id, self.client.start_batch_results(&self.job_id, id)?));
            }
            let Some((id, started)) = asked.pop_front() else {
                return Ok(());
            };
            let ids = match Client::read_batch_results(started.finish()?)? {
                model::BatchResults::Query(ids) => ids,
                model::BatchResults::Ingest(_) => Vec::new(),
            };
            if ids.is_empty() {
                st.done.push(id.to_string());
            } else {
                st.reading.push((id.to_string(), ids.len()));
                st.queue
                    .extend(ids.into_iter().map(|r| (id.to_string(), r)));
            }
        }
    }

    /// Waits for the next finished batch: lists the batches, backing off between lists,
    /// until a file is queued or nothing runs any more.
    fn wait_for_files(&self, st: &mut StreamState) -> Result<(), Error> {
        let t = &*self.client.transport;
        loop {
            self.list(st)?;
            if !st.queue.is_empty() || st.running.is_empty() {
                return Ok(());
            }
            let elapsed = t.monotonic().saturating_sub(st.started);
            match self.poll.next_wait(st.polls, elapsed, t.jitter()) {
                Some(d) => t.sleep(d),
                None => {
                    return Err(Error::StillRunning {
                        job_id: self.job_id.clone(),
                        pending: st.running.clone(),
                    });
                }
            }
            st.polls += 1;
        }
    }

    /// Opens queued files until `config.concurrency` are open. While files are being read
    /// and batches still run, the batches are listed again once a poll interval has passed
    /// (without waiting), so that finished batches' files start while the others are read.
    fn open_ahead(&self, st: &mut StreamState) -> Result<(), Error> {
        let t = &*self.client.transport;
        let window = self.client.settings.concurrency;
        loop {
            // Every free slot's request at once; their replies are waited for in turn.
            while st.open.len() < window
                && let Some((batch, result)) = st.queue.pop_front()
            {
                let body = self
                    .client
                    .start_query_result(&self.job_id, &batch, &result)?;
                st.open.push_back((batch, File::Asked(body)));
            }
            let room = st.open.len() < window && st.queue.is_empty();
            if !room || st.open.is_empty() || st.running.is_empty() {
                return Ok(());
            }
            let since = t.monotonic().saturating_sub(st.listed_at);
            let elapsed = t.monotonic().saturating_sub(st.started);
            match self.poll.next_wait(st.polls, elapsed, t.jitter()) {
                Some(d) if since >= d => {
                    st.polls += 1;
                    self.list(st)?;
                    if st.queue.is_empty() {
                        return Ok(());
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// One file of a batch was read to its end.
    fn file_done(st: &mut StreamState, batch: &str) {
        if let Some(i) = st.reading.iter().position(|(id, _)| id == batch) {
            st.reading[i].1 -= 1;
            if st.reading[i].1 == 0 {
                let (id, _) = st.reading.remove(i);
                st.done.push(id);
            }
        }
    }

    /// Up to about `max` more bytes of the CSV; empty at the end.
    pub fn read(&self, max: usize) -> Result<Vec<u8>, Error> {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        loop {
            if st.finished {
                return Ok(Vec::new());
            }
            self.open_ahead(st)?;
            if let Some((_, File::Asked(_))) = st.open.front()
                && let Some((batch, File::Asked(started))) = st.open.pop_front()
            {
                st.open.push_front((batch, File::Open(started.finish()?)));
            }
            if let Some((_, File::Open(file))) = st.open.front_mut() {
                if !st.begun {
                    st.stitcher.begin_file();
                    st.begun = true;
                }
                // A break mid-file is resumed by the reader (opened again, what was read
                // skipped).
                let chunk = file.read_chunk(max)?;
                if chunk.is_empty() {
                    if let Some((batch, _)) = st.open.pop_front() {
                        Self::file_done(st, &batch);
                    }
                    st.begun = false;
                    let out = st.stitcher.end_file();
                    if !out.is_empty() {
                        return Ok(out);
                    }
                    continue;
                }
                let out = st.stitcher.push(&chunk).map_err(|head| {
                    Error::unexpected(
                        200,
                        Some("text/csv"),
                        "a result file's header line is longer than 1 MiB",
                        &head,
                    )
                })?;
                if !out.is_empty() {
                    return Ok(out);
                }
                continue;
            }
            // Nothing open or queued: done when the last list left nothing running.
            if st.listed && st.running.is_empty() {
                st.finished = true;
                continue;
            }
            self.wait_for_files(st)?;
        }
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
    match substr::split_once(message, " : ") {
        Some((code, _))
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            code.to_string()
        }
        _ => "BatchFailed".to_string(),
    }
}
