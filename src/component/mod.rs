//! The WIT exports. Each function converts the generated types into core types, runs
//! the operation through a [`client::Client`] (sessions, renewal, retries) and converts back.

mod client;
mod convert;
mod jobs;

use std::cell::RefCell;

use client::{Client, poll_policy};
use convert::*;

use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::error::Error;
use crate::model::{self, ContentType};
use crate::protocol::{self, BatchContent};
use crate::transport;

/// The component.
pub struct Component;

/// Runs `f` with a client for `config`, converting its error.
fn with<T>(
    config: wit::Config,
    f: impl FnOnce(&Client) -> Result<T, Error>,
) -> Result<T, wit::Error> {
    f(&Client::new(config)).map_err(to_wit_error)
}

impl wit::Guest for Component {
    type ResultReader = Reader;
    type CsvLoad = jobs::CsvLoad;
    type ResultJoin = jobs::ResultJoin;
    type QueryStream = jobs::QueryStream;

    fn init(config: wit::Config) -> Result<String, wit::Error> {
        with(config, |c| c.endpoint().map(|ep| ep.base_url()))
    }

    fn create_job(
        config: wit::Config,
        request: wit::JobRequest,
    ) -> Result<wit::JobInfo, wit::Error> {
        with(config, |c| c.create_job(&job_request(request))).map(job_info)
    }

    fn update_job(
        config: wit::Config,
        job_id: String,
        state: wit::JobStateChange,
    ) -> Result<wit::JobInfo, wit::Error> {
        let state = match state {
            wit::JobStateChange::Closed => model::JobStateChange::Closed,
            wit::JobStateChange::Aborted => model::JobStateChange::Aborted,
        };
        with(config, |c| c.update_job(&job_id, state)).map(job_info)
    }

    fn get_job(config: wit::Config, job_id: String) -> Result<wit::JobInfo, wit::Error> {
        with(config, |c| c.get_job(&job_id)).map(job_info)
    }

    fn add_batch(
        config: wit::Config,
        job_id: String,
        content: wit::BatchContent,
    ) -> Result<wit::BatchInfo, wit::Error> {
        let content = match content {
            wit::BatchContent::Raw(raw) => BatchContent::Raw {
                media_type: raw.media_type,
                data: raw.data,
            },
            wit::BatchContent::Records(set) => BatchContent::Records(record_set(set)),
            wit::BatchContent::Query(q) => BatchContent::Query(q),
        };
        with(config, |c| c.add_batch(&job_id, content)).map(batch_info)
    }

    fn get_batch_status(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<wit::BatchInfo, wit::Error> {
        with(config, |c| c.get_batch(&job_id, &batch_id)).map(batch_info)
    }

    fn get_batch_results(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<wit::BatchResults, wit::Error> {
        with(config, |c| c.batch_results(&job_id, &batch_id)).map(batch_results)
    }

    fn get_batch_request(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<Vec<u8>, wit::Error> {
        with(config, |c| c.batch_request(&job_id, &batch_id))
    }

    fn list_batches(
        config: wit::Config,
        job_id: String,
    ) -> Result<Vec<wit::BatchInfo>, wit::Error> {
        with(config, |c| c.list_batches(&job_id))
            .map(|list| list.into_iter().map(batch_info).collect())
    }

    fn get_bulk_query_results(
        config: wit::Config,
        job_id: String,
        batch_id: String,
        result_id: String,
    ) -> Result<Vec<u8>, wit::Error> {
        with(config, |c| c.query_result(&job_id, &batch_id, &result_id))
    }

    fn create_job_to_upload_batch_file(
        config: wit::Config,
        request: wit::JobRequest,
    ) -> Result<wit::JobInfo, wit::Error> {
        let request = job_request(request);
        with(config, |c| {
            if !request
                .content_type
                .as_ref()
                .is_some_and(ContentType::is_zip)
            {
                return Err(Error::invalid(format!(
                    "an attachment job needs content type ZIP_CSV, ZIP_XML or ZIP_JSON, got {}",
                    request
                        .content_type
                        .as_ref()
                        .map(ContentType::as_str)
                        .unwrap_or("none")
                )));
            }
            c.create_job(&request)
        })
        .map(job_info)
    }

    fn upload_batch_file(
        config: wit::Config,
        job_id: String,
        zip: Vec<u8>,
        content_type: Option<wit::ContentType>,
    ) -> Result<wit::BatchInfo, wit::Error> {
        with(config, |c| {
            let ct = match content_type {
                Some(ct) => content_type_from(ct),
                None => c.job_kind(&job_id)?.0,
            };
            let media = ct
                .batch_media_type()
                .filter(|_| ct.is_zip())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "upload-batch-file needs a ZIP_CSV, ZIP_XML or ZIP_JSON job, got {}",
                        ct.as_str()
                    ))
                })?;
            let raw = BatchContent::Raw {
                media_type: media.to_string(),
                data: zip,
            };
            let body = protocol::batch_body(raw, &ct, None)?;
            c.post_batch(&job_id, &body)
        })
        .map(batch_info)
    }

    fn get_session(config: wit::Config) -> Option<wit::Session> {
        Client::new(config).session()
    }

    fn set_session(config: wit::Config, session: wit::Session) -> Result<(), wit::Error> {
        with(config, |c| c.set_session(session))
    }

    fn wait_for_batches(
        config: wit::Config,
        job_id: String,
        batch_ids: Vec<String>,
        options: Option<wit::WaitOptions>,
    ) -> Result<Vec<wit::BatchInfo>, wit::Error> {
        let poll = poll_policy(options.as_ref());
        with(config, |c| c.wait_for_batches(&job_id, &batch_ids, poll))
            .map(|list| list.into_iter().map(batch_info).collect())
    }

    fn start_csv_load(
        config: wit::Config,
        request: wit::JobRequest,
        options: Option<wit::SplitOptions>,
    ) -> Result<wit::CsvLoad, wit::Error> {
        jobs::CsvLoad::start(Client::new(config), job_request(request), options)
            .map(wit::CsvLoad::new)
            .map_err(to_wit_error)
    }

    fn open_result_join(
        config: wit::Config,
        job_id: String,
        batches: Vec<wit::BatchRef>,
    ) -> Result<wit::ResultJoin, wit::Error> {
        jobs::ResultJoin::open(Client::new(config), job_id, batches)
            .map(wit::ResultJoin::new)
            .map_err(to_wit_error)
    }

    fn open_query_stream(
        config: wit::Config,
        job_id: String,
        skip_batch_ids: Vec<String>,
        options: Option<wit::WaitOptions>,
    ) -> Result<wit::QueryStream, wit::Error> {
        let poll = poll_policy(options.as_ref());
        jobs::QueryStream::open(Client::new(config), job_id, skip_batch_ids, poll)
            .map(wit::QueryStream::new)
            .map_err(to_wit_error)
    }

    fn open_query_result(
        config: wit::Config,
        job_id: String,
        batch_id: String,
        result_id: String,
    ) -> Result<wit::ResultReader, wit::Error> {
        with(config, |c| {
            c.open_query_result(&job_id, &batch_id, &result_id)
        })
        .map(|open| wit::ResultReader::new(Reader::new(open)))
    }
}

/// A result file being read.
pub struct Reader {
    body: RefCell<Option<transport::BodyReader>>,
}

impl Reader {
    fn new(open: transport::OpenResponse) -> Self {
        Reader {
            body: RefCell::new(Some(open.into_reader())),
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
            .read_chunk((max_bytes as usize).clamp(1, 16 << 20))
            .map_err(to_wit_error)?;
        if chunk.is_empty() {
            // Release the stream as soon as the file is read.
            *slot = None;
        }
        Ok(chunk)
    }
}
