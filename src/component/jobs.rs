//! Whole jobs: CSV of any size split into batches as it streams in, ingest results joined
//! to the input, and every query result of a job as one CSV stream.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Instant;

use super::client::Client;
use super::convert::to_wit_error;
use crate::backoff::{self, PollPolicy};
use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::error::Error;
use crate::join::ResultJoiner;
use crate::model::{self, BatchState, ContentType, RecordFormat};
use crate::protocol::{self, BatchBody};
use crate::split::{CsvSplitter, SplitLimits};
use crate::transport::BodyReader;

/// A CSV load in progress (`csv-load`).
pub struct CsvLoad {
    client: Client,
    job_id: String,
    state: RefCell<LoadState>,
}

struct LoadState {
    splitter: CsvSplitter,
    /// Batches this load has sent (their ids, sorted), to reconcile an unknown outcome.
    sent: Vec<String>,
    finished: bool,
}

impl CsvLoad {
    /// Creates the job. `request.content_type` must be absent or CSV.
    pub(crate) fn start(
        client: Client,
        mut request: model::JobRequest,
        options: Option<wit::SplitOptions>,
    ) -> Result<Self, Error> {
        match &request.content_type {
            None | Some(ContentType::Csv) => request.content_type = Some(ContentType::Csv),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "csv-load makes CSV jobs, the request asks for {}",
                    other.as_str()
                )));
            }
        }
        if request.operation.is_query() {
            return Err(Error::invalid(
                "csv-load loads records; a query job takes a query batch",
            ));
        }
        let mut limits = SplitLimits::default();
        if let Some(o) = options {
            if let Some(n) = o.max_records {
                limits.max_records = (n as usize).clamp(1, protocol::MAX_BATCH_RECORDS);
            }
            if let Some(n) = o.max_bytes {
                limits.max_bytes = (n as usize).clamp(1, protocol::MAX_BATCH_BYTES);
                limits.max_chars = limits.max_chars.min(limits.max_bytes);
            }
        }
        let job = client.create_job(&request)?;
        Ok(CsvLoad {
            client,
            job_id: job.id,
            state: RefCell::new(LoadState {
                splitter: CsvSplitter::new(limits),
                sent: Vec::new(),
                finished: false,
            }),
        })
    }

    fn send(
        &self,
        state: &mut LoadState,
        batch: crate::split::Batch,
    ) -> Result<wit::BatchRef, Error> {
        let body = BatchBody {
            media_type: RecordFormat::Csv.media_type().to_string(),
            data: batch.data,
        };
        let info = match self.client.post_batch(&self.job_id, &body) {
            Ok(info) => info,
            Err(Error::OutcomeUnknown(why)) => self.reconcile(state, &body, why)?,
            Err(e) => return Err(e),
        };
        if let Err(at) = state.sent.binary_search(&info.id) {
            state.sent.insert(at, info.id.clone());
        }
        Ok(wit::BatchRef {
            batch_id: info.id,
            first_record: batch.first_record,
            records: batch.records as u32,
        })
    }

    /// A batch POST whose reply was lost: find out from the job whether Salesforce made the
    /// batch (a batch this load did not know of, holding exactly these bytes). Only when it
    /// did not is the batch sent again.
    fn reconcile(
        &self,
        state: &LoadState,
        body: &BatchBody,
        why: String,
    ) -> Result<model::BatchInfo, Error> {
        let batches = self.client.list_batches(&self.job_id)?;
        for b in batches
            .iter()
            .filter(|b| state.sent.binary_search(&b.id).is_err())
        {
            if self.client.batch_request(&self.job_id, &b.id)? == body.data {
                return Ok(b.clone());
            }
        }
        self.client
            .post_batch(&self.job_id, body)
            .map_err(|e| match e {
                Error::OutcomeUnknown(again) => {
                    Error::OutcomeUnknown(format!("{why}; then {again}"))
                }
                other => other,
            })
    }

    fn write(&self, data: &[u8]) -> Result<Vec<wit::BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Err(Error::invalid("the load is finished; start a new one"));
        }
        let batches = state.splitter.push(data).map_err(Error::InvalidInput)?;
        batches
            .into_iter()
            .map(|b| self.send(&mut state, b))
            .collect()
    }

    fn finish(&self) -> Result<Vec<wit::BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Ok(Vec::new());
        }
        let mut sent = Vec::new();
        if let Some(last) = state.splitter.finish().map_err(Error::InvalidInput)? {
            sent.push(self.send(&mut state, last)?);
        }
        self.client
            .update_job(&self.job_id, model::JobStateChange::Closed)?;
        state.finished = true;
        Ok(sent)
    }
}

impl wit::GuestCsvLoad for CsvLoad {
    fn job_id(&self) -> String {
        self.job_id.clone()
    }

    fn write(&self, data: Vec<u8>) -> Result<Vec<wit::BatchRef>, wit::Error> {
        CsvLoad::write(self, &data).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<wit::BatchRef>, wit::Error> {
        CsvLoad::finish(self).map_err(to_wit_error)
    }
}

/// Ingest results joined to the input (`result-join`).
pub struct ResultJoin {
    client: Client,
    job_id: String,
    batches: Vec<wit::BatchRef>,
    joiner: RefCell<ResultJoiner>,
}

impl ResultJoin {
    pub(crate) fn open(
        client: Client,
        job_id: String,
        batches: Vec<wit::BatchRef>,
    ) -> Result<Self, Error> {
        protocol::validate_id("job id", &job_id)?;
        let mut next = 0u64;
        for b in &batches {
            protocol::validate_id("batch id", &b.batch_id)?;
            if b.first_record != next {
                return Err(Error::invalid(format!(
                    "batch {} starts at record {}, expected {next}: batches must be given in order",
                    b.batch_id, b.first_record
                )));
            }
            next += u64::from(b.records);
        }
        let counts = batches.iter().map(|b| b.records as usize).collect();
        Ok(ResultJoin {
            client,
            job_id,
            batches,
            joiner: RefCell::new(ResultJoiner::new(counts)),
        })
    }

    /// The results of batch `i`: Err(text) makes every row of the batch a failure with
    /// that text; a failure to read them is kept in `fatal` and stops the join.
    fn results(
        &self,
        i: usize,
        fatal: &mut Option<Error>,
    ) -> Result<Vec<model::RecordResult>, String> {
        let fetch = || -> Result<Result<Vec<model::RecordResult>, String>, Error> {
            let Some(batch) = self.batches.get(i) else {
                return Err(Error::invalid(format!(
                    "the input has more records than the {} batches hold",
                    self.batches.len()
                )));
            };
            let info = self.client.get_batch(&self.job_id, &batch.batch_id)?;
            match info.state {
                Some(BatchState::Completed) => {}
                Some(BatchState::Failed) if info.number_records_processed == 0 => {
                    return Ok(Err(info
                        .state_message
                        .unwrap_or_else(|| "the batch failed".to_string())));
                }
                Some(BatchState::Failed) => {}
                other => {
                    return Err(Error::invalid(format!(
                        "batch {} is {}, not finished: wait for the batches before joining",
                        batch.batch_id,
                        other
                            .as_ref()
                            .map(BatchState::as_str)
                            .unwrap_or("in an unknown state")
                    )));
                }
            }
            match self.client.batch_results(&self.job_id, &batch.batch_id)? {
                model::BatchResults::Ingest(rows) => Ok(Ok(rows)),
                model::BatchResults::Query(_) => Err(Error::invalid(format!(
                    "batch {} is a query batch, not an ingest batch",
                    batch.batch_id
                ))),
            }
        };
        match fetch() {
            Ok(r) => r,
            Err(e) => {
                let text = e.to_string();
                *fatal = Some(e);
                Err(text)
            }
        }
    }

    fn run(&self, input: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        let mut fatal = None;
        let mut joiner = self.joiner.borrow_mut();
        let out = {
            let mut results = |i: usize| self.results(i, &mut fatal);
            match input {
                Some(data) => joiner.push(data, &mut results),
                None => joiner.finish(&mut results),
            }
        };
        if let Some(e) = fatal {
            return Err(e);
        }
        out.map_err(Error::InvalidInput)
    }
}

impl wit::GuestResultJoin for ResultJoin {
    fn push(&self, input: Vec<u8>) -> Result<Vec<u8>, wit::Error> {
        self.run(Some(&input)).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<u8>, wit::Error> {
        self.run(None).map_err(to_wit_error)
    }

    fn counts(&self) -> wit::JoinCounts {
        let (records, succeeded, failed) = self.joiner.borrow().counts();
        wit::JoinCounts {
            records,
            succeeded,
            failed,
        }
    }
}

/// How often one result file is opened again after its connection broke.
const MAX_REOPEN: u32 = 3;

/// The body the real service sends for a query result with no rows.
const NO_RECORDS: &[u8] = b"Records not found for this query";

/// Every query result of a job as one CSV (`query-stream`).
pub struct QueryStream {
    client: Client,
    job_id: String,
    poll: PollPolicy,
    state: RefCell<StreamState>,
}

struct StreamState {
    started: Instant,
    polls: u32,
    done: Vec<String>,
    /// The batch being read and its result files not opened yet.
    batch: Option<(String, VecDeque<String>)>,
    file: Option<FileState>,
    header_written: bool,
    rows: u64,
    in_quotes: bool,
    finished: bool,
}

struct FileState {
    body: BodyReader,
    batch: String,
    result: String,
    /// Decoded bytes read from this file so far (to resume after a broken connection).
    consumed: u64,
    /// Times the file was reopened after a broken connection.
    reopened: u32,
    /// Bytes of the file's first line while it is not complete yet.
    head: Option<Vec<u8>>,
    last_byte: Option<u8>,
}

impl QueryStream {
    pub(crate) fn open(
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
        Ok(QueryStream {
            client,
            job_id,
            poll,
            state: RefCell::new(StreamState {
                started: Instant::now(),
                polls: 0,
                done: skip,
                batch: None,
                file: None,
                header_written: false,
                rows: 0,
                in_quotes: false,
                finished: false,
            }),
        })
    }

    /// Picks the next finished batch to read, waiting while batches are still running.
    /// Returns false when every batch has been read.
    fn next_batch(&self, st: &mut StreamState) -> Result<bool, Error> {
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
            match self
                .poll
                .next_wait(st.polls, st.started.elapsed(), backoff::clock_jitter())
            {
                Some(d) => std::thread::sleep(d),
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

    fn read(&self, max: usize) -> Result<Vec<u8>, Error> {
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
                    let open = self
                        .client
                        .open_query_result(&self.job_id, &batch, &result)?;
                    st.file = Some(FileState {
                        body: open.into_reader(),
                        batch,
                        result,
                        consumed: 0,
                        reopened: 0,
                        head: Some(Vec::new()),
                        last_byte: None,
                    });
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
        let chunk = match file.body.read_chunk(max) {
            Ok(chunk) => chunk,
            // The connection broke mid-file (reset, cut short, timeout): open the file
            // again and skip what was already read, a few times at most.
            Err(e @ (Error::Transport(_) | Error::Timeout(_))) if file.reopened < MAX_REOPEN => {
                let _ = e;
                file.reopened += 1;
                let open =
                    self.client
                        .open_query_result(&self.job_id, &file.batch, &file.result)?;
                file.body = open.into_reader();
                let mut skip = file.consumed;
                while skip > 0 {
                    let part = file.body.read_chunk(skip.min(1 << 20) as usize)?;
                    if part.is_empty() {
                        return Err(Error::unexpected(
                            200,
                            Some("text/csv"),
                            format!("result {} is shorter when read again", file.result),
                            &[],
                        ));
                    }
                    skip -= part.len() as u64;
                }
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        file.consumed += chunk.len() as u64;
        if chunk.is_empty() {
            // End of file: a file that never completed its first line is a header only,
            // or the no-records text.
            let head = file.head.take();
            let last = file.last_byte;
            st.file = None;
            let mut out = Vec::new();
            if let Some(head) = head {
                out = self.first_line(st, head, false);
            } else if last.is_some_and(|b| b != b'\n') && !st.in_quotes {
                st.rows += 1;
                out.push(b'\n');
            }
            st.in_quotes = false;
            return Ok(out);
        }
        file.last_byte = chunk.last().copied();
        let Some(head) = file.head.as_mut() else {
            count_rows(&chunk, &mut st.in_quotes, &mut st.rows);
            return Ok(chunk);
        };
        head.extend_from_slice(&chunk);
        let Some(nl) = head.iter().position(|b| *b == b'\n') else {
            if head.len() > 1 << 20 {
                return Err(Error::unexpected(
                    200,
                    Some("text/csv"),
                    "a result file's header line is longer than 1 MiB",
                    head,
                ));
            }
            return Ok(Vec::new());
        };
        let mut rest = head.split_off(nl + 1);
        let line = std::mem::take(head);
        file.head = None;
        let mut out = self.first_line(st, line, true);
        count_rows(&rest, &mut st.in_quotes, &mut st.rows);
        out.append(&mut rest);
        Ok(out)
    }

    /// Handles a file's first line: the no-records text (skipped), a header (emitted once).
    fn first_line(&self, st: &mut StreamState, line: Vec<u8>, complete: bool) -> Vec<u8> {
        let text = line.trim_ascii();
        if text.is_empty() || text == NO_RECORDS {
            return Vec::new();
        }
        if st.header_written {
            return Vec::new();
        }
        st.header_written = true;
        let mut line = line;
        if !complete {
            line.push(b'\n');
        }
        line
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

/// Counts CSV record ends (newlines outside quotes) in `data`.
fn count_rows(data: &[u8], in_quotes: &mut bool, rows: &mut u64) {
    for &b in data {
        match b {
            b'"' => *in_quotes = !*in_quotes,
            b'\n' if !*in_quotes => *rows += 1,
            _ => {}
        }
    }
}

impl wit::GuestQueryStream for QueryStream {
    fn read(&self, max_bytes: u32) -> Result<Vec<u8>, wit::Error> {
        let max = (max_bytes as usize).clamp(1, 16 << 20);
        QueryStream::read(self, max).map_err(to_wit_error)
    }

    fn position(&self) -> wit::QueryPosition {
        let st = self.state.borrow();
        wit::QueryPosition {
            job_id: self.job_id.clone(),
            done_batch_ids: st.done.clone(),
            rows: st.rows,
        }
    }
}
