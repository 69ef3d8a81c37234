//! A CSV load (`csv-load`): CSV of any size split into batches as it streams in, each
//! batch posted once; a batch whose reply was lost is reconciled through the job's
//! batches before anything is sent again.
//!
//! Nothing is left `Open` behind a failure. Once the job exists, a failure inside
//! [`CsvLoad::write`] or [`CsvLoad::finish`] ends the load (later calls return the same
//! error) and settles the job before returning:
//! - a malformed record (the input is refused: quoting, field count, UTF-8, a record too
//!   large for a batch) **aborts** the job: batches not started yet become `NotProcessed`;
//! - any other failure (a batch refused or not sent, its outcome unknown, the session lost)
//!   **closes** the job when batches were accepted: every accepted batch is processed to the
//!   end and its results can be read ([`CsvLoad::batches`]); with no batch accepted the job is
//!   aborted;
//! - a failed close is reported as is (the job may still be `Open`).
//!
//! The error keeps its kind and says what was sent and what became of the job: the job id,
//! how many records had been sent in how many batches (always the input's first records),
//! and whether settling the job failed too. A load dropped before `finish` (the host gave
//! up) aborts its job.

use std::cell::RefCell;

use crate::error::Error;
use crate::model::{self, ContentType, RecordFormat};
use crate::protocol::{self, BatchBody};
use crate::split::{Batch, CsvSplitter, SplitLimits};
use crate::substr;

use super::call::Client;
use super::resume::context;

/// A batch a load sent: its id and which input records it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRef {
    /// The batch id.
    pub batch_id: String,
    /// 0-based index of its first record in the input (the header not counted).
    pub first_record: u64,
    /// How many records it holds.
    pub records: u32,
}

/// Batch size limits of a load, below Salesforce's (absent: Salesforce's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitOptions {
    /// Records per batch.
    pub max_records: Option<u32>,
    /// Bytes per batch.
    pub max_bytes: Option<u32>,
}

impl SplitOptions {
    fn limits(self) -> SplitLimits {
        let mut limits = SplitLimits::default();
        if let Some(n) = self.max_records {
            limits.max_records = (n as usize).clamp(1, protocol::MAX_BATCH_RECORDS);
        }
        if let Some(n) = self.max_bytes {
            limits.max_bytes = (n as usize).clamp(1, protocol::MAX_BATCH_BYTES);
            limits.max_chars = limits.max_chars.min(limits.max_bytes);
        }
        limits
    }
}

/// A CSV load in progress.
pub struct CsvLoad {
    client: Client,
    job_id: String,
    state: RefCell<LoadState>,
}

struct LoadState {
    splitter: CsvSplitter,
    /// Batches this load has sent (their ids, sorted), to reconcile an unknown outcome.
    sent: Vec<String>,
    /// Batches accepted by Salesforce, in input order.
    batches: Vec<BatchRef>,
    /// Records in `batches`.
    records_sent: u64,
    end: End,
}

/// Where a load is.
enum End {
    /// Taking input.
    Open,
    /// Finished: the job was closed.
    Finished,
    /// Failed: the job was settled (or could not be); every later call returns this.
    Failed(Error),
}

/// What settling the job after a failure does.
#[derive(Clone, Copy)]
enum Settle {
    Abort,
    Close,
}

impl CsvLoad {
    /// Creates the job. `request.content_type` must be absent or CSV.
    pub fn start(
        client: Client,
        mut request: model::JobRequest,
        options: SplitOptions,
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
        let limits = options.limits();
        let job = client.create_job(&request)?;
        Ok(CsvLoad {
            client,
            job_id: job.id,
            state: RefCell::new(LoadState {
                splitter: CsvSplitter::new(limits),
                sent: Vec::new(),
                batches: Vec::new(),
                records_sent: 0,
                end: End::Open,
            }),
        })
    }

    /// The job's id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// Every batch Salesforce accepted so far, in input order (also after a failure: the
    /// batches a closed job still processes).
    pub fn batches(&self) -> Vec<BatchRef> {
        self.state.borrow().batches.clone()
    }

    fn send(&self, state: &mut LoadState, batch: Batch) -> Result<BatchRef, Error> {
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
        let sent = BatchRef {
            batch_id: info.id,
            first_record: batch.first_record,
            records: batch.records as u32,
        };
        state.records_sent += batch.records as u64;
        state.batches.push(sent.clone());
        Ok(sent)
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
        // Failing to find out leaves the outcome unknown (not the failure of the lookup).
        let unknown = |e: Error| {
            Error::OutcomeUnknown(format!(
                "{why}; looking through the job's batches to find out failed too: {e}"
            ))
        };
        let batches = self.client.list_batches(&self.job_id).map_err(unknown)?;
        for b in batches
            .iter()
            .filter(|b| state.sent.binary_search(&b.id).is_err())
        {
            if self
                .client
                .batch_request(&self.job_id, &b.id)
                .map_err(unknown)?
                == body.data
            {
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

    /// Takes more input; returns the batches it completed and sent. On an error the load
    /// is over and its job settled (see the module doc).
    pub fn write(&self, data: &[u8]) -> Result<Vec<BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        match &state.end {
            End::Open => {}
            End::Finished => return Err(Error::invalid("the load is finished; start a new one")),
            End::Failed(e) => return Err(e.clone()),
        }
        let batches = match state.splitter.push(data) {
            Ok(batches) => batches,
            Err(m) => return Err(self.fail(&mut state, Error::InvalidInput(m), None)),
        };
        let mut out = Vec::with_capacity(batches.len());
        for b in batches {
            let range = (b.first_record, b.records);
            match self.send(&mut state, b) {
                Ok(sent) => out.push(sent),
                Err(e) => return Err(self.fail(&mut state, e, Some(range))),
            }
        }
        Ok(out)
    }

    /// Ends the input: sends the last batch and closes the job. On an error the load is
    /// over and its job settled (see the module doc).
    pub fn finish(&self) -> Result<Vec<BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        match &state.end {
            End::Open => {}
            End::Finished => return Ok(Vec::new()),
            End::Failed(e) => return Err(e.clone()),
        }
        let mut sent = Vec::new();
        match state.splitter.finish() {
            Ok(None) => {}
            Ok(Some(last)) => {
                let range = (last.first_record, last.records);
                match self.send(&mut state, last) {
                    Ok(r) => sent.push(r),
                    Err(e) => return Err(self.fail(&mut state, e, Some(range))),
                }
            }
            Err(m) => return Err(self.fail(&mut state, Error::InvalidInput(m), None)),
        }
        if let Err(e) = self
            .client
            .update_job(&self.job_id, model::JobStateChange::Closed)
        {
            let (n, k) = (state.records_sent, state.batches.len());
            let e = context(
                e,
                &format!(
                    "; closing job {} failed: all the input was sent ({}), the job may still \
                     be Open (its batches are processed all the same)",
                    self.job_id,
                    records_in_batches(n, k)
                ),
            );
            state.end = End::Failed(e.clone());
            return Err(e);
        }
        state.end = End::Finished;
        Ok(sent)
    }

    /// Ends a load that failed with `e`: settles the job (see the module doc) and returns
    /// `e` saying what was sent and what became of the job. `unsent`: the batch being sent
    /// when it failed (its first record and record count).
    fn fail(&self, state: &mut LoadState, e: Error, unsent: Option<(u64, usize)>) -> Error {
        let malformed = matches!(e, Error::InvalidInput(_));
        let (n, k) = (state.records_sent, state.batches.len());
        let settle = if malformed || k == 0 {
            Settle::Abort
        } else {
            Settle::Close
        };
        let (change, done) = match settle {
            Settle::Abort => (model::JobStateChange::Aborted, "aborted"),
            Settle::Close => (model::JobStateChange::Closed, "closed"),
        };
        let job = &self.job_id;
        let mut more = match (settle, k) {
            (Settle::Abort, 0) => format!("; job {job} was {done}: no records had been sent"),
            (Settle::Abort, _) => format!(
                "; job {job} was {done}: {} had been sent before, nothing after",
                records_in_batches(n, k)
            ),
            (Settle::Close, _) => format!(
                "; job {job} was {done} with the {} already sent, which salesforce \
                 processes; the rest of the input was not sent",
                records_in_batches(n, k)
            ),
        };
        if let (Error::OutcomeUnknown(_), Some((first, records))) = (&e, unsent) {
            more += &format!(
                " (the batch whose outcome is unknown, records {}-{}, may be in the job too)",
                first + 1,
                first + records as u64
            );
        }
        if let Err(failed) = self.client.update_job(&self.job_id, change) {
            let was = format!(" was {done}");
            if let Some(at) = substr::find(&more, &was) {
                more = format!(
                    "{} could not be {done} ({failed}) and may still be Open{}",
                    &more[..at],
                    &more[at + was.len()..]
                );
            }
        }
        let e = context(e, &more);
        state.end = End::Failed(e.clone());
        e
    }
}

/// `N records in K batches (records 1-N)`.
fn records_in_batches(n: u64, k: usize) -> String {
    let batches = if k == 1 { "batch" } else { "batches" };
    let records = if n == 1 { "record" } else { "records" };
    if n == 0 {
        return format!("{n} {records} in {k} {batches}");
    }
    format!("{n} {records} in {k} {batches} (input records 1-{n})")
}

impl Drop for CsvLoad {
    /// A load dropped while still taking input (the host gave up): its job is aborted, so
    /// that nothing is left `Open`. Nothing is sent for a finished or failed load.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let open = self
            .state
            .try_borrow()
            .is_ok_and(|st| matches!(st.end, End::Open));
        if open {
            let _ = self
                .client
                .update_job(&self.job_id, model::JobStateChange::Aborted);
        }
    }
}
