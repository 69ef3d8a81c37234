//! The `bulk2` exports: Bulk API 2.0 over the same clients as `bulk`.

use super::convert::{map_vec, to_wit_error};
use super::convert_v2::*;
use super::{Component, with};
use crate::bindings::exports::sfbulk::connector::bulk as wit1;
use crate::bindings::exports::sfbulk::connector::bulk2 as wit;
use crate::client::{IngestJoin, IngestLoad, QueryStreamV2};
use crate::model::v2::JobState;
use crate::protocol::v2::JobKind;

/// Largest piece a `read` hands over (16 MiB).
const MAX_READ: usize = 16 << 20;

fn refs(list: Vec<crate::client::IngestJobRef>) -> Vec<wit::IngestJobRef> {
    map_vec(list, job_ref_to)
}

impl wit::Guest for Component {
    type IngestLoad = Load;
    type IngestJoin = Join;
    type QueryStream = Stream;

    fn create_ingest_job(
        config: wit1::Config,
        request: wit::IngestRequest,
    ) -> Result<wit::JobInfo, wit1::Error> {
        with(config, |c| c.create_ingest_job(&ingest_request(request))).map(job_info)
    }

    fn upload_job_data(
        config: wit1::Config,
        job_id: String,
        data: Vec<u8>,
    ) -> Result<(), wit1::Error> {
        with(config, |c| {
            c.upload_job_data(&job_id, crate::client::body(data))
        })
    }

    fn close_ingest_job(config: wit1::Config, job_id: String) -> Result<wit::JobInfo, wit1::Error> {
        with(config, |c| {
            c.set_job_state(JobKind::Ingest, &job_id, &JobState::UploadComplete)
        })
        .map(job_info)
    }

    fn abort_job(
        config: wit1::Config,
        k: wit::JobKind,
        job_id: String,
    ) -> Result<wit::JobInfo, wit1::Error> {
        with(config, |c| {
            c.set_job_state(kind(k), &job_id, &JobState::Aborted)
        })
        .map(job_info)
    }

    fn get_job_info(
        config: wit1::Config,
        k: wit::JobKind,
        job_id: String,
    ) -> Result<wit::JobInfo, wit1::Error> {
        with(config, |c| c.get_job_v2(kind(k), &job_id)).map(job_info)
    }

    fn delete_job(
        config: wit1::Config,
        k: wit::JobKind,
        job_id: String,
    ) -> Result<(), wit1::Error> {
        with(config, |c| c.delete_job_v2(kind(k), &job_id))
    }

    fn list_jobs(
        config: wit1::Config,
        k: wit::JobKind,
        next_records_url: Option<String>,
    ) -> Result<wit::JobList, wit1::Error> {
        with(config, |c| {
            c.list_jobs_v2(kind(k), next_records_url.as_deref())
        })
        .map(job_list)
    }

    fn get_ingest_results(
        config: wit1::Config,
        job_id: String,
        which: wit::ResultKind,
    ) -> Result<Vec<u8>, wit1::Error> {
        with(config, |c| {
            c.ingest_results(&job_id, result_kind(which), None)
        })
    }

    fn create_query_job(
        config: wit1::Config,
        request: wit::QueryRequest,
    ) -> Result<wit::JobInfo, wit1::Error> {
        with(config, |c| c.create_query_job(&query_request(request))).map(job_info)
    }

    fn get_query_results(
        config: wit1::Config,
        job_id: String,
        locator: Option<String>,
        max_records: Option<u32>,
    ) -> Result<wit::QueryPage, wit1::Error> {
        with(config, |c| {
            c.query_page(&job_id, locator.as_deref(), max_records, None)
        })
        .map(query_page)
    }

    fn get_result_pages(
        config: wit1::Config,
        job_id: String,
        next_records_url: Option<String>,
    ) -> Result<wit::ResultPages, wit1::Error> {
        with(config, |c| {
            c.result_pages(&job_id, next_records_url.as_deref(), None)
        })
        .map(result_pages)
    }

    fn wait_for_jobs(
        config: wit1::Config,
        k: wit::JobKind,
        job_ids: Vec<String>,
        options: Option<wit1::WaitOptions>,
    ) -> Result<Vec<wit::JobInfo>, wit1::Error> {
        let poll = super::convert::wait_options(options).policy();
        with(config, |c| c.wait_for_jobs(kind(k), &job_ids, poll))
            .map(|jobs| map_vec(jobs, job_info))
    }

    fn start_ingest_load(
        config: wit1::Config,
        request: wit::IngestRequest,
        max_upload_bytes: Option<u64>,
    ) -> Result<wit::IngestLoad, wit1::Error> {
        with(config, |c| {
            IngestLoad::start(c.clone(), ingest_request(request), max_upload_bytes)
        })
        .map(|l| wit::IngestLoad::new(Load(l)))
    }

    fn open_ingest_join(
        config: wit1::Config,
        jobs: Vec<wit::IngestJobRef>,
        d: Option<wit::ColumnDelimiter>,
    ) -> Result<wit::IngestJoin, wit1::Error> {
        let jobs = map_vec(jobs, job_ref_from);
        with(config, |c| {
            IngestJoin::open(c.clone(), jobs, d.map(delimiter).unwrap_or_default())
        })
        .map(|j| wit::IngestJoin::new(Join(j)))
    }

    fn open_query_job_stream(
        config: wit1::Config,
        job_id: String,
        resume_locator: Option<String>,
        options: Option<wit1::WaitOptions>,
        max_records: Option<u32>,
    ) -> Result<wit::QueryStream, wit1::Error> {
        let poll = super::convert::wait_options(options).policy();
        with(config, |c| {
            QueryStreamV2::open(c.clone(), job_id, resume_locator, poll, max_records)
        })
        .map(|s| wit::QueryStream::new(Stream(s)))
    }
}

/// `ingest-load`.
pub struct Load(IngestLoad);

impl wit::GuestIngestLoad for Load {
    fn write(&self, data: Vec<u8>) -> Result<Vec<wit::IngestJobRef>, wit1::Error> {
        self.0.write(&data).map(refs).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<wit::IngestJobRef>, wit1::Error> {
        self.0.finish().map(refs).map_err(to_wit_error)
    }
}

/// `ingest-join`.
pub struct Join(IngestJoin);

impl wit::GuestIngestJoin for Join {
    fn push(&self, input: Vec<u8>) -> Result<Vec<u8>, wit1::Error> {
        self.0.push(&input).map_err(to_wit_error)
    }

    fn finish(&self) -> Result<Vec<u8>, wit1::Error> {
        self.0.finish().map_err(to_wit_error)
    }

    fn counts(&self) -> wit::IngestCounts {
        let (records, succeeded, failed, unprocessed) = self.0.counts();
        wit::IngestCounts {
            records,
            succeeded,
            failed,
            unprocessed,
        }
    }
}

/// `query-stream` of `bulk2`.
pub struct Stream(QueryStreamV2);

impl wit::GuestQueryStream for Stream {
    fn read(&self, max_bytes: u32) -> Result<Vec<u8>, wit1::Error> {
        let max = (max_bytes as usize).clamp(1, MAX_READ);
        self.0.read(max).map_err(to_wit_error)
    }

    fn position(&self) -> wit::QueryPosition {
        position(self.0.position())
    }
}
