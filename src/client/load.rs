//! A CSV load (`csv-load`): CSV of any size split into batches as it streams in, each
//! batch posted once; a batch whose reply was lost is reconciled through the job's
//! batches before anything is sent again.
//!
//! Up to `config.concurrency` batches are in flight at once (posted before the oldest one's
//! reply is taken; their bytes beyond the oldest's at most [`IN_FLIGHT_BYTES`]); replies are
//! taken in the order posted, and a lost one is looked for only once every other batch in
//! flight has answered, so that a batch they made is not taken for it. Batches in flight
//! together may be made by Salesforce in any order: the load knows which input records each
//! holds from its reply, and `load --job-id` pairs a job's batches with the file by their
//! content (docs/transfers.md).
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
//! how many records had been sent in how many batches and which input records they hold
//! (the input's first records, unless a batch was refused while later ones in flight were
//! accepted), and whether settling the job failed too. Before settling, the replies of every
//! batch still in flight are taken. A load dropped before `finish` (the host gave
//! up) aborts its job.

use std::cell::RefCell;

use crate::error::Error;
use crate::model::{self, ContentType, RecordFormat};
use crate::protocol::{self, BatchBody};
use crate::split::{Batch, CsvSplitter, SplitLimits};
use crate::substr;

use super::call::{Client, InFlight};
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

/// Bytes of the batches in flight besides the oldest: a load holds at most one batch and
/// this much more, whatever `config.concurrency` is.
const IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

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
    /// Batches posted whose replies are still to be taken, oldest first.
    in_flight: Vec<Posted>,
    end: End,
}

/// A batch posted without waiting for its reply.
struct Posted {
    /// Its first input record and how many it holds.
    range: (u64, usize),
    body: BatchBody,
    started: InFlight,
}

/// A failure while sending, and the batch being sent when it came (its first record and
/// record count).
type Failed = (Error, Option<(u64, usize)>);

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
                in_flight: Vec::new(),
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

    /// Posts `batch` without waiting for its reply: first, while the bytes in flight and
    /// this batch's would pass [`IN_FLIGHT_BYTES`], the oldest batch's reply is taken; after,
    /// while `config.concurrency` are in flight (with 1, every batch is answered before
    /// `write` returns).
    fn send(
        &self,
        st: &mut LoadState,
        batch: Batch,
        out: &mut Vec<BatchRef>,
    ) -> Result<(), Failed> {
        let range = (batch.first_record, batch.records);
        while !st.in_flight.is_empty()
            && st
                .in_flight
                .iter()
                .map(|p| p.body.data.len())
                .sum::<usize>()
                + batch.data.len()
                > IN_FLIGHT_BYTES
        {
            self.take_oldest(st, out)?;
        }
        let body = BatchBody {
            media_type: RecordFormat::Csv.media_type().to_string(),
            data: batch.data.into(),
        };
        let started = self
            .client
            .start_post_batch(&self.job_id, &body)
            .map_err(|e| (e, Some(range)))?;
        st.in_flight.push(Posted {
            range,
            body,
            started,
        });
        while st.in_flight.len() >= self.client.settings.concurrency.max(1) {
            self.take_oldest(st, out)?;
        }
        Ok(())
    }

    /// Takes the reply of the oldest batch in flight. A lost reply is settled through the
    /// job's batches once every other batch in flight has answered (so that a batch they
    /// made is known and not taken for this one).
    fn take_oldest(&self, st: &mut LoadState, out: &mut Vec<BatchRef>) -> Result<(), Failed> {
        if st.in_flight.is_empty() {
            return Ok(());
        }
        let p = st.in_flight.remove(0);
        match self
            .client
            .finish_post_batch(p.started, &self.job_id, &p.body)
        {
            Ok(info) => {
                Self::accept(st, info.id, p.range, out);
                Ok(())
            }
            Err(Error::OutcomeUnknown(why)) => {
                let others = self.drain(st, out);
                // Only when Salesforce did not make it is the batch sent again.
                let made = match self.find_made(st, &p.body, &why) {
                    Ok(Some(info)) => Ok(info),
                    Ok(None) => self.send_again(&p.body, &why),
                    Err(e) => Err(e),
                };
                let info = made.map_err(|e| (e, Some(p.range)))?;
                Self::accept(st, info.id, p.range, out);
                match others.into_iter().next() {
                    // Another batch in flight was refused or stays unknown: the load stops
                    // there.
                    Some((range, e)) => Err((e, Some(range))),
                    None => Ok(()),
                }
            }
            Err(e) => Err((e, Some(p.range))),
        }
    }

    /// Takes the replies of every batch in flight, recording those accepted; a lost reply
    /// is looked for among the job's batches (never sent again). Returns the batches not
    /// accepted, in input order: refused (their error), or whose outcome stays unknown
    /// (`Error::OutcomeUnknown`).
    fn drain(&self, st: &mut LoadState, out: &mut Vec<BatchRef>) -> Vec<((u64, usize), Error)> {
        let mut lost = Vec::new();
        let mut failed = Vec::new();
        for p in std::mem::take(&mut st.in_flight) {
            match self
                .client
                .finish_post_batch(p.started, &self.job_id, &p.body)
            {
                Ok(info) => Self::accept(st, info.id, p.range, out),
                Err(Error::OutcomeUnknown(why)) => lost.push((p.range, p.body, why)),
                Err(e) => failed.push((p.range, e)),
            }
        }
        // `failed` is in input order; a lost reply's batch goes in its place.
        for (range, body, why) in lost {
            match self.find_made(st, &body, &why) {
                Ok(Some(info)) => Self::accept(st, info.id, range, out),
                Ok(None) => {}
                Err(e) => {
                    let at = failed.partition_point(|(r, _)| *r < range);
                    failed.insert(at, (range, e));
                }
            }
        }
        failed
    }

    /// Records a batch Salesforce accepted (in input order).
    fn accept(st: &mut LoadState, id: String, range: (u64, usize), out: &mut Vec<BatchRef>) {
        if let Err(at) = st.sent.binary_search(&id) {
            st.sent.insert(at, id.clone());
        }
        let sent = BatchRef {
            batch_id: id,
            first_record: range.0,
            records: range.1 as u32,
        };
        let at = st.batches.partition_point(|b| b.first_record < range.0);
        st.batches.insert(at, sent.clone());
        // In input order too (a lost reply's batch is found after later ones answered).
        let at = out.partition_point(|b| b.first_record < range.0);
        out.insert(at, sent);
    }

    /// A batch POST whose reply was lost (`why`): finds out from the job whether Salesforce
    /// made the batch (a batch this load did not know of, holding exactly these bytes).
    /// Failing to find out leaves the outcome unknown.
    fn find_made(
        &self,
        state: &LoadState,
        body: &BatchBody,
        why: &str,
    ) -> Result<Option<model::BatchInfo>, Error> {
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
                return Ok(Some(b.clone()));
            }
        }
        Ok(None)
    }

    /// Sends a batch again that [`CsvLoad::find_made`] found Salesforce did not make.
    fn send_again(&self, body: &BatchBody, why: &str) -> Result<model::BatchInfo, Error> {
        self.client
            .post_batch(&self.job_id, body)
            .map_err(|e| match e {
                Error::OutcomeUnknown(again) => {
                    Error::OutcomeUnknown(format!("{why}; then {again}"))
                }
                other => other,
            })
    }

    /// Takes more input; returns the batches whose acceptance it learned (up to
    /// `config.concurrency` are posted before their replies are taken). On an error the
    /// load is over and its job settled (see the module doc).
    pub fn write(&self, data: &[u8]) -> Result<Vec<BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        match &state.end {
            End::Open => {}
            End::Finished => return Err(Error::invalid("the load is finished; start a new one")),
            End::Failed(e) => return Err(e.clone()),
        }
        let batches = match state.splitter.push(data) {
            Ok(batches) => batches,
            Err(m) => return Err(self.fail(&mut state, (Error::InvalidInput(m), None))),
        };
        let mut out = Vec::new();
        for b in batches {
            if let Err(f) = self.send(&mut state, b, &mut out) {
                return Err(self.fail(&mut state, f));
            }
        }
        Ok(out)
    }

    /// Ends the input: sends the last batch, takes every reply and closes the job. On an
    /// error the load is over and its job settled (see the module doc).
    pub fn finish(&self) -> Result<Vec<BatchRef>, Error> {
        let mut state = self.state.borrow_mut();
        match &state.end {
            End::Open => {}
            End::Finished => return Ok(Vec::new()),
            End::Failed(e) => return Err(e.clone()),
        }
        let mut sent = Vec::new();
        let last = match state.splitter.finish() {
            Ok(last) => last,
            Err(m) => return Err(self.fail(&mut state, (Error::InvalidInput(m), None))),
        };
        let mut sending = match last {
            Some(last) => self.send(&mut state, last, &mut sent),
            None => Ok(()),
        };
        while sending.is_ok() && !state.in_flight.is_empty() {
            sending = self.take_oldest(&mut state, &mut sent);
        }
        if let Err(f) = sending {
            return Err(self.fail(&mut state, f));
        }
        if let Err(e) = self
            .client
            .update_job(&self.job_id, model::JobStateChange::Closed)
        {
            let e = context(
                e,
                &format!(
                    "; closing job {} failed: all the input was sent ({}), the job may still \
                     be Open (its batches are processed all the same)",
                    self.job_id,
                    records_in_batches(&state.batches)
                ),
            );
            state.end = End::Failed(e.clone());
            return Err(e);
        }
        state.end = End::Finished;
        Ok(sent)
    }

    /// Ends a load that failed: takes the replies of the batches still in flight, settles
    /// the job (see the module doc) and returns the error saying what was sent and what
    /// became of the job. `failed.1`: the batch being sent when it failed.
    fn fail(&self, state: &mut LoadState, (e, unsent): Failed) -> Error {
        let mut unknown: Vec<(u64, usize)> = match (&e, unsent) {
            (Error::OutcomeUnknown(_), Some(range)) => vec![range],
            _ => Vec::new(),
        };
        unknown.extend(
            self.drain(state, &mut Vec::new())
                .into_iter()
                .filter(|(_, e)| matches!(e, Error::OutcomeUnknown(_)))
                .map(|(r, _)| r),
        );
        let malformed = matches!(e, Error::InvalidInput(_));
        let k = state.batches.len();
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
        let sent = records_in_batches(&state.batches);
        let mut more = match (settle, k) {
            (Settle::Abort, 0) => format!("; job {job} was {done}: no records had been sent"),
            (Settle::Abort, _) => {
                format!("; job {job} was {done}: {sent} had been sent before, nothing after")
            }
            (Settle::Close, _) => format!(
                "; job {job} was {done} with the {sent} already sent, which salesforce \
                 processes; the rest of the input was not sent"
            ),
        };
        if !unknown.is_empty() {
            more += match unknown.len() {
                1 => " (the batch whose outcome is unknown, records",
                _ => " (the batches whose outcome is unknown, records",
            };
            for (i, &(first, n)) in unknown.iter().enumerate() {
                let sep = if i == 0 { " " } else { ", " };
                more += &format!("{sep}{}-{}", first + 1, first + n as u64);
            }
            more += ", may be in the job too)";
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

/// `N records in K batches (input records 1-N)`; the input records as ranges when the
/// batches sent are not the input's first records (a batch refused between batches
/// accepted).
fn records_in_batches(batches: &[BatchRef]) -> String {
    let n: u64 = batches.iter().map(|b| u64::from(b.records)).sum();
    let k = batches.len();
    let noun = if k == 1 { "batch" } else { "batches" };
    let records = if n == 1 { "record" } else { "records" };
    if n == 0 {
        return format!("{n} {records} in {k} {noun}");
    }
    let mut text = format!("{n} {records} in {k} {noun} (input records");
    let mut end = None;
    for b in batches.iter().filter(|b| b.records > 0) {
        if end != Some(b.first_record) {
            if let Some(end) = end {
                text += &format!("{end},");
            }
            text += &format!(" {}-", b.first_record + 1);
        }
        end = Some(b.first_record + u64::from(b.records));
    }
    if let Some(end) = end {
        text += &format!("{end}");
    }
    text + ")"
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
