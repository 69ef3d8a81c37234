//! Ingest results joined to the input (`result-join`): the input read again, each record
//! given its batch's result row, in input order.

use std::cell::RefCell;

use crate::error::Error;
use crate::join::ResultJoiner;
use crate::model::{self, BatchState};
use crate::protocol;

use super::call::Client;
use super::load::BatchRef;

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
