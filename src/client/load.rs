//! A CSV load (`csv-load`): CSV of any size split into batches as it streams in, each
//! batch posted once; a batch whose reply was lost is reconciled through the job's
//! batches before anything is sent again.

use std::cell::RefCell;

use crate::error::Error;
use crate::model::{self, ContentType, RecordFormat};
use crate::protocol::{self, BatchBody};
use crate::split::{Batch, CsvSplitter, SplitLimits};

use super::call::Client;

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
    finished: bool,
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
                finished: false,
            }),
        })
    }

    /// The job's id.
    pub fn job_id(&self) -> &str {
        &self.job_id
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
        Ok(BatchRef {
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

    /// Takes more input; returns the batches it completed and sent.
    pub fn write(&self, data: &[u8]) -> Result<Vec<BatchRef>, Error> {
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

    /// Ends the input: sends the last batch and closes the job.
    pub fn finish(&self) -> Result<Vec<BatchRef>, Error> {
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
