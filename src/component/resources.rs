//! The WIT resources: thin wrappers over the client core's whole jobs and body reader.

use std::cell::RefCell;

use super::convert::{batch_ref_to, map_vec, to_wit_error};
use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::client::{CsvLoad, QueryStream, ResultJoin, ResumingBody};

/// Largest piece a `read` hands over (16 MiB).
const MAX_READ: usize = 16 << 20;

fn refs(list: Vec<crate::client::BatchRef>) -> Vec<wit::BatchRef> {
    map_vec(list, batch_ref_to)
}

/// `csv-load`.
pub struct Load(pub(super) CsvLoad);

impl wit::GuestCsvLoad for Load {
    fn job_id(&self) -> String {
        self.0.job_id().to_string()
    }

    fn write(&self, data: Vec<u8>) -> Result<Vec<wit::BatchRef>, wit::Error> {
        self.0.write(&data).map(refs).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<wit::BatchRef>, wit::Error> {
        self.0.finish().map(refs).map_err(to_wit_error)
    }
}

/// `result-join`.
pub struct Join(pub(super) ResultJoin);

impl wit::GuestResultJoin for Join {
    fn push(&self, input: Vec<u8>) -> Result<Vec<u8>, wit::Error> {
        self.0.push(&input).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<u8>, wit::Error> {
        self.0.finish().map_err(to_wit_error)
    }

    fn counts(&self) -> wit::JoinCounts {
        let c = self.0.counts();
        wit::JoinCounts {
            records: c.records,
            succeeded: c.succeeded,
            failed: c.failed,
        }
    }
}

/// `query-stream`.
pub struct Stream(pub(super) QueryStream);

impl wit::GuestQueryStream for Stream {
    fn read(&self, max_bytes: u32) -> Result<Vec<u8>, wit::Error> {
        let max = (max_bytes as usize).clamp(1, MAX_READ);
        self.0.read(max).map_err(to_wit_error)
    }

    fn position(&self) -> wit::QueryPosition {
        let p = self.0.position();
        wit::QueryPosition {
            job_id: p.job_id,
            done_batch_ids: p.done_batch_ids,
            rows: p.rows,
        }
    }
}

/// `result-reader`: one result file being read.
pub struct Reader {
    body: RefCell<Option<ResumingBody>>,
}

impl Reader {
    pub(super) fn new(body: ResumingBody) -> Self {
        Reader {
            body: RefCell::new(Some(body)),
        }
    }
}

impl wit::GuestResultReader for Reader {
    fn read(&self, max_bytes: u32) -> Result<Vec<u8>, wit::Error> {
        let mut slot = self.body.borrow_mut();
        let Some(body) = slot.as_mut() else {
            return Ok(Vec::new());
        };
        let chunk = body
            .read_chunk((max_bytes as usize).clamp(1, MAX_READ))
            .map_err(to_wit_error)?;
        if chunk.is_empty() {
            // Release the stream as soon as the file is read.
            *slot = None;
        }
        Ok(chunk)
    }
}
