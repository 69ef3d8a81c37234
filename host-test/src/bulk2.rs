//! The `bulk2` interface (Bulk API 2.0) on [`Instance`]: one method per WIT function and
//! resource method, as the `bulk` ones in the crate root. Its types are re-exported here
//! (`host_test::bulk2::JobInfo`, …): several share a name with `bulk`'s.

use wasmtime::component::ResourceAny;

use crate::{CallResult, Config, Instance, WaitOptions};

pub use crate::bindings::exports::sfbulk::connector::bulk2::{
    ColumnDelimiter, IngestCounts, IngestJobRef, IngestRequest, JobInfo, JobKind, JobList,
    JobState, QueryPage, QueryPosition, QueryRequest, ResultKind, ResultPages,
};

/// An `ingest-load` inside an [`Instance`].
#[derive(Debug)]
pub struct IngestLoad(ResourceAny);

/// An `ingest-join` inside an [`Instance`].
#[derive(Debug)]
pub struct IngestJoin(ResourceAny);

/// A `bulk2` `query-stream` inside an [`Instance`].
#[derive(Debug)]
pub struct JobStream(ResourceAny);

impl Instance {
    /// `create-ingest-job`.
    pub async fn create_ingest_job(
        &mut self,
        cfg: &Config,
        req: &IngestRequest,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_create_ingest_job(&mut self.store, cfg, req).await
    }

    /// `upload-job-data`.
    pub async fn upload_job_data(
        &mut self,
        cfg: &Config,
        job: &str,
        data: &[u8],
    ) -> CallResult<()> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_upload_job_data(&mut self.store, cfg, job, data)
            .await
    }

    /// `close-ingest-job`.
    pub async fn close_ingest_job(&mut self, cfg: &Config, job: &str) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_close_ingest_job(&mut self.store, cfg, job).await
    }

    /// `abort-job`.
    pub async fn abort_job(
        &mut self,
        cfg: &Config,
        kind: JobKind,
        job: &str,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_abort_job(&mut self.store, cfg, kind, job).await
    }

    /// `get-job-info`.
    pub async fn get_job_info(
        &mut self,
        cfg: &Config,
        kind: JobKind,
        job: &str,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_get_job_info(&mut self.store, cfg, kind, job).await
    }

    /// `delete-job`.
    pub async fn delete_job(&mut self, cfg: &Config, kind: JobKind, job: &str) -> CallResult<()> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_delete_job(&mut self.store, cfg, kind, job).await
    }

    /// `list-jobs`: one page (`next`: the previous page's `next-records-url`).
    pub async fn list_jobs(
        &mut self,
        cfg: &Config,
        kind: JobKind,
        next: Option<&str>,
    ) -> CallResult<JobList> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_list_jobs(&mut self.store, cfg, kind, next).await
    }

    /// `get-ingest-results`.
    pub async fn get_ingest_results(
        &mut self,
        cfg: &Config,
        job: &str,
        which: ResultKind,
    ) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_get_ingest_results(&mut self.store, cfg, job, which)
            .await
    }

    /// `create-query-job`.
    pub async fn create_query_job(
        &mut self,
        cfg: &Config,
        req: &QueryRequest,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_create_query_job(&mut self.store, cfg, req).await
    }

    /// `get-query-results`: one page.
    pub async fn get_query_results(
        &mut self,
        cfg: &Config,
        job: &str,
        locator: Option<&str>,
        max_records: Option<u32>,
    ) -> CallResult<QueryPage> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_get_query_results(&mut self.store, cfg, job, locator, max_records)
            .await
    }

    /// `get-result-pages`.
    pub async fn get_result_pages(
        &mut self,
        cfg: &Config,
        job: &str,
        next: Option<&str>,
    ) -> CallResult<ResultPages> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_get_result_pages(&mut self.store, cfg, job, next)
            .await
    }

    /// `wait-for-jobs`.
    pub async fn wait_for_jobs(
        &mut self,
        cfg: &Config,
        kind: JobKind,
        jobs: &[String],
        options: Option<&WaitOptions>,
    ) -> CallResult<Vec<JobInfo>> {
        let api = self.connector.sfbulk_connector_bulk2();
        api.call_wait_for_jobs(&mut self.store, cfg, kind, jobs, options.cloned())
            .await
    }

    /// `start-ingest-load`.
    pub async fn start_ingest_load(
        &mut self,
        cfg: &Config,
        req: &IngestRequest,
        max_upload_bytes: Option<u64>,
    ) -> CallResult<IngestLoad> {
        let api = self.connector.sfbulk_connector_bulk2();
        Ok(api
            .call_start_ingest_load(&mut self.store, cfg, req, max_upload_bytes)
            .await?
            .map(IngestLoad))
    }

    /// `ingest-load.write`: the jobs this input completed.
    pub async fn ingest_write(
        &mut self,
        load: &IngestLoad,
        data: &[u8],
    ) -> CallResult<Vec<IngestJobRef>> {
        let api = self.connector.sfbulk_connector_bulk2().ingest_load();
        api.call_write(&mut self.store, load.0, data).await
    }

    /// `ingest-load.finish`: the last job.
    pub async fn ingest_finish(&mut self, load: &IngestLoad) -> CallResult<Vec<IngestJobRef>> {
        let api = self.connector.sfbulk_connector_bulk2().ingest_load();
        api.call_finish(&mut self.store, load.0).await
    }

    /// `open-ingest-join`.
    pub async fn open_ingest_join(
        &mut self,
        cfg: &Config,
        jobs: &[IngestJobRef],
        delimiter: Option<ColumnDelimiter>,
    ) -> CallResult<IngestJoin> {
        let api = self.connector.sfbulk_connector_bulk2();
        Ok(api
            .call_open_ingest_join(&mut self.store, cfg, jobs, delimiter)
            .await?
            .map(IngestJoin))
    }

    /// `ingest-join.push`.
    pub async fn ingest_join_push(
        &mut self,
        join: &IngestJoin,
        input: &[u8],
    ) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk2().ingest_join();
        api.call_push(&mut self.store, join.0, input).await
    }

    /// `ingest-join.finish`.
    pub async fn ingest_join_finish(&mut self, join: &IngestJoin) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk2().ingest_join();
        api.call_finish(&mut self.store, join.0).await
    }

    /// `ingest-join.counts`.
    pub async fn ingest_join_counts(
        &mut self,
        join: &IngestJoin,
    ) -> wasmtime::Result<IngestCounts> {
        let api = self.connector.sfbulk_connector_bulk2().ingest_join();
        api.call_counts(&mut self.store, join.0).await
    }

    /// `open-query-job-stream`: from the first page, or from a position's locator.
    pub async fn open_query_job_stream(
        &mut self,
        cfg: &Config,
        job: &str,
        resume_locator: Option<&str>,
        options: Option<&WaitOptions>,
        max_records: Option<u32>,
    ) -> CallResult<JobStream> {
        let api = self.connector.sfbulk_connector_bulk2();
        Ok(api
            .call_open_query_job_stream(
                &mut self.store,
                cfg,
                job,
                resume_locator,
                options.cloned(),
                max_records,
            )
            .await?
            .map(JobStream))
    }

    /// `query-stream.read` of `bulk2`: up to about `max` bytes of CSV, empty at the end.
    pub async fn job_stream_read(&mut self, stream: &JobStream, max: u32) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk2().query_stream();
        api.call_read(&mut self.store, stream.0, max).await
    }

    /// `query-stream.position` of `bulk2`.
    pub async fn job_stream_position(
        &mut self,
        stream: &JobStream,
    ) -> wasmtime::Result<QueryPosition> {
        let api = self.connector.sfbulk_connector_bulk2().query_stream();
        api.call_position(&mut self.store, stream.0).await
    }

    /// Drops a `bulk2` resource inside the instance (its memory is freed there).
    pub async fn drop_bulk2(&mut self, resource: impl Into<Bulk2Resource>) -> wasmtime::Result<()> {
        let Bulk2Resource(r) = resource.into();
        r.resource_drop_async(&mut self.store).await
    }
}

/// Any of the `bulk2` resources, for [`Instance::drop_bulk2`].
pub struct Bulk2Resource(ResourceAny);

impl From<IngestLoad> for Bulk2Resource {
    fn from(r: IngestLoad) -> Self {
        Bulk2Resource(r.0)
    }
}

impl From<IngestJoin> for Bulk2Resource {
    fn from(r: IngestJoin) -> Self {
        Bulk2Resource(r.0)
    }
}

impl From<JobStream> for Bulk2Resource {
    fn from(r: JobStream) -> Self {
        Bulk2Resource(r.0)
    }
}
