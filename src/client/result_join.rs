//! Ingest results joined to the input (`result-join`): the input read again, each record
//! given its batch's result row, in input order. The batches' states come from one list of
//! the job's batches; the next batches' results are opened while one is read
//! (`config.concurrency` in all), so their transfers overlap.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::error::Error;
use crate::join::ResultJoiner;
use crate::model::{self, BatchState};
use crate::protocol;

use super::call::Client;
use super::load::BatchRef;
use super::resume::StartedBody;

/// Records written, of which succeeded and failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JoinCounts {
    /// Records written.
    pub records: u64,
    /// Of which succeeded.
    pub succeeded: u64,
    /// Of which failed.
    pub failed: u64,
}

/// A join in progress.
pub struct ResultJoin {
    client: Client,
    job_id: String,
    batches: Vec<BatchRef>,
    joiner: RefCell<ResultJoiner>,
    ahead: RefCell<Ahead>,
}

/// What the join read ahead: the job's batches (one list), and the results of the next
/// batches, asked for while the current one is read (index into `batches`, request). Their
/// heads are waited for in turn; the transport takes them earlier and reads their bodies
/// ahead while the component waits for something else.
#[derive(Default)]
struct Ahead {
    listed: Option<Vec<model::BatchInfo>>,
    open: VecDeque<(usize, StartedBody)>,
}

impl ResultJoin {
    /// Checks the batches (in input order, contiguous) before anything is read.
    pub fn open(client: Client, job_id: String, batches: Vec<BatchRef>) -> Result<Self, Error> {
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
            ahead: RefCell::default(),
        })
    }

    /// The state of batch `i` from one list of the job's batches (listed once, when the
    /// first batch's results are needed, unless waiting for the batches just listed them all
    /// final; a batch missing from the list is asked for alone).
    fn batch_info(&self, i: usize) -> Result<model::BatchInfo, Error> {
        let batch = &self.batches[i];
        let mut ahead = self.ahead.borrow_mut();
        if ahead.listed.is_none() {
            ahead.listed = Some(
                match self.client.state.take_finished_batches(&self.job_id) {
                    Some(listed) => listed,
                    None => self.client.list_batches(&self.job_id)?,
                },
            );
        }
        match ahead
            .listed
            .as_ref()
            .and_then(|l| l.iter().find(|b| b.id == batch.batch_id))
        {
            Some(info) => Ok(info.clone()),
            None => self.client.get_batch(&self.job_id, &batch.batch_id),
        }
    }

    /// Whether a batch in state `info` has a result file to read.
    fn has_results(info: &model::BatchInfo) -> bool {
        match info.state {
            Some(BatchState::Completed) => true,
            Some(BatchState::Failed) => info.number_records_processed != 0,
            _ => false,
        }
    }

    /// The results of batch `i`, opened ahead when they were, and the next batches'
    /// results opened (up to `config.concurrency` in all) so that they transfer while
    /// this one is read.
    fn read_results(&self, i: usize) -> Result<Option<model::IngestOutcomes>, Error> {
        let window = self.client.settings.concurrency;
        let opened = {
            let mut ahead = self.ahead.borrow_mut();
            // Opened ahead for an earlier index than asked: not needed any more.
            while ahead.open.front().is_some_and(|(k, _)| *k < i) {
                ahead.open.pop_front();
            }
            match ahead.open.front() {
                Some((k, _)) if *k == i => ahead.open.pop_front().map(|(_, b)| b),
                _ => None,
            }
        };
        // This batch's request first (when it was not asked for ahead), then the next ones'.
        let this = match opened {
            Some(started) => started,
            None => self
                .client
                .start_batch_results(&self.job_id, &self.batches[i].batch_id)?,
        };
        // Ask for the next ones (those whose state says they have results) before waiting
        // for this one: the requests travel at once.
        let mut next = {
            let ahead = self.ahead.borrow();
            ahead.open.back().map_or(i + 1, |(k, _)| k + 1)
        };
        while self.ahead.borrow().open.len() + 1 < window && next < self.batches.len() {
            if Self::has_results(&self.batch_info(next)?) {
                let b = self
                    .client
                    .start_batch_results(&self.job_id, &self.batches[next].batch_id)?;
                self.ahead.borrow_mut().open.push_back((next, b));
            }
            next += 1;
        }
        let body = this.finish()?;
        Client::read_batch_outcomes(body)
    }

    /// The results of batch `i`: Err(text) makes every row of the batch a failure with
    /// that text; a failure to read them is kept in `fatal` and stops the join.
    fn results(
        &self,
        i: usize,
        fatal: &mut Option<Error>,
    ) -> Result<model::IngestOutcomes, String> {
        let fetch = || -> Result<Result<model::IngestOutcomes, String>, Error> {
            let Some(batch) = self.batches.get(i) else {
                return Err(Error::invalid(format!(
                    "the input has more records than the {} batches hold",
                    self.batches.len()
                )));
            };
            let info = self.batch_info(i)?;
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
            match self.read_results(i)? {
                Some(rows) => Ok(Ok(rows)),
                None => Err(Error::invalid(format!(
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

    /// Takes more of the input; returns the joined rows it completed.
    pub fn push(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.run(Some(input))
    }

    /// Ends the input; returns the last joined rows.
    pub fn finish(&self) -> Result<Vec<u8>, Error> {
        self.run(None)
    }

    /// Records written so far, of which succeeded and failed.
    pub fn counts(&self) -> JoinCounts {
        let (records, succeeded, failed) = self.joiner.borrow().counts();
        JoinCounts {
            records,
            succeeded,
            failed,
        }
    }
}
