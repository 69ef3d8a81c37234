//! The WIT exports. Each function converts the generated types into core types, runs the
//! operation on a [`Client`] (sessions, renewal, retries: `crate::client`) and converts
//! back. Nothing here decides anything.

mod bulk2;
mod convert;
mod convert_v2;
mod resources;

use std::rc::Rc;

use convert::*;
use resources::{Join, Load, Reader, Stream};

use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::client::{Client, CsvLoad, QueryStream, ResultJoin, Settings, State};
use crate::error::Error;
use crate::wasi_http::WasiHttp;

thread_local! {
    /// The instance's sessions and known jobs.
    static STATE: Rc<State> = Rc::new(State::new());
    /// The instance's transport.
    static TRANSPORT: Rc<WasiHttp> = Rc::new(WasiHttp::new());
}

/// A client for `config` (checked once: an invalid one is `invalid-input`, nothing sent).
fn client(config: wit::Config) -> Result<Client, Error> {
    let settings = Settings::new(&convert::config(config))?;
    let transport = TRANSPORT.with(Rc::clone);
    Ok(Client::new(settings, transport, STATE.with(Rc::clone)))
}

/// Runs `f` with a client for `config`, converting its error.
pub(super) fn with<T>(
    config: wit::Config,
    f: impl FnOnce(&Client) -> Result<T, Error>,
) -> Result<T, wit::Error> {
    client(config).and_then(|c| f(&c)).map_err(to_wit_error)
}

/// The component.
pub struct Component;

impl wit::Guest for Component {
    type ResultReader = Reader;
    type CsvLoad = Load;
    type ResultJoin = Join;
    type QueryStream = Stream;

    fn init(config: wit::Config) -> Result<String, wit::Error> {
        with(config, Client::init)
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
        with(config, |c| c.update_job(&job_id, state_change(state))).map(job_info)
    }

    fn get_job(config: wit::Config, job_id: String) -> Result<wit::JobInfo, wit::Error> {
        with(config, |c| c.get_job(&job_id)).map(job_info)
    }

    fn add_batch(
        config: wit::Config,
        job_id: String,
        content: wit::BatchContent,
    ) -> Result<wit::BatchInfo, wit::Error> {
        with(config, |c| c.add_batch(&job_id, batch_content(content))).map(batch_info)
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
        with(config, |c| c.list_batches(&job_id)).map(|list| map_vec(list, batch_info))
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
        with(config, |c| c.create_attachment_job(&job_request(request))).map(job_info)
    }

    fn upload_batch_file(
        config: wit::Config,
        job_id: String,
        zip: Vec<u8>,
        content_type: Option<wit::ContentType>,
    ) -> Result<wit::BatchInfo, wit::Error> {
        with(config, |c| {
            c.upload_batch_file(&job_id, zip, content_type.map(content_type_from))
        })
        .map(batch_info)
    }

    fn get_session(config: wit::Config) -> Option<wit::Session> {
        let (access_token, instance_url, obtained_at_ms) = client(config).ok()?.session()?;
        Some(wit::Session {
            access_token,
            instance_url,
            obtained_at_ms,
        })
    }

    fn set_session(config: wit::Config, session: wit::Session) -> Result<(), wit::Error> {
        with(config, |c| {
            c.set_session(
                &session.access_token,
                &session.instance_url,
                session.obtained_at_ms,
            )
        })
    }

    fn wait_for_batches(
        config: wit::Config,
        job_id: String,
        batch_ids: Vec<String>,
        options: Option<wit::WaitOptions>,
    ) -> Result<Vec<wit::BatchInfo>, wit::Error> {
        let poll = wait_options(options).policy();
        with(config, |c| c.wait_for_batches(&job_id, &batch_ids, poll))
            .map(|list| map_vec(list, batch_info))
    }

    fn start_csv_load(
        config: wit::Config,
        request: wit::JobRequest,
        options: Option<wit::SplitOptions>,
    ) -> Result<wit::CsvLoad, wit::Error> {
        with(config, |c| {
            CsvLoad::start(c.clone(), job_request(request), split_options(options))
        })
        .map(|load| wit::CsvLoad::new(Load(load)))
    }

    fn open_result_join(
        config: wit::Config,
        job_id: String,
        batches: Vec<wit::BatchRef>,
    ) -> Result<wit::ResultJoin, wit::Error> {
        let batches = map_vec(batches, batch_ref_from);
        with(config, |c| ResultJoin::open(c.clone(), job_id, batches))
            .map(|join| wit::ResultJoin::new(Join(join)))
    }

    fn open_query_stream(
        config: wit::Config,
        job_id: String,
        skip_batch_ids: Vec<String>,
        options: Option<wit::WaitOptions>,
    ) -> Result<wit::QueryStream, wit::Error> {
        let poll = wait_options(options).policy();
        with(config, |c| {
            QueryStream::open(c.clone(), job_id, skip_batch_ids, poll)
        })
        .map(|stream| wit::QueryStream::new(Stream(stream)))
    }

    fn open_query_result(
        config: wit::Config,
        job_id: String,
        batch_id: String,
        result_id: String,
    ) -> Result<wit::ResultReader, wit::Error> {
        with(config, |c| {
            c.open_query_result_resuming(&job_id, &batch_id, &result_id)
        })
        .map(|body| wit::ResultReader::new(Reader::new(body)))
    }
}
