//! The wasmtime host of the sfbulk connector component. (The mock Salesforce is the
//! `sfbulk-mock` crate, `mock/`; the `sfbulk` command line the `sfbulk-cli` crate, `cli/`.)
//!
//! - [`Runtime`] compiles the component once (the artifact kept on disk between runs:
//!   `compiled`) and instantiates it cheaply through an `InstancePre`.
//! - [`sender`]: the instances' outbound HTTP ([`Network`]: pooled connections, TLS with the
//!   system's and extra roots, proxies, the component's timeouts).
//! - [`Instance`] is one component instance (one store): its sessions live as long as it
//!   does. Its methods mirror the WIT operations: `bulk`'s here, `bulk2`'s (Bulk API 2.0)
//!   in [`bulk2`], which also re-exports that interface's types.
pub mod bulk2;
mod compiled;
pub mod shrink;

pub mod sender;

use std::path::Path;
use std::sync::OnceLock;

use wasmtime::component::{Linker, ResourceAny};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use sender::NetHooks;
pub use sender::{NetConfig, NetStats, Network};

/// Generated bindings of the `connector` world.
pub mod bindings {
    wasmtime::component::bindgen!({
        world: "connector",
        path: "../wit",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::sfbulk::connector::bulk::{
    BatchContent, BatchInfo, BatchRef, BatchResults, BatchState, ConcurrencyMode, Config,
    ContentType, Error, ErrorKind, FieldValue, JobInfo, JobRequest, JobState, JobStateChange,
    JoinCounts, LineEnding, Operation, PkChunking, QueryPosition, RawBody, RecordError,
    RecordResult, RecordSet, RetryPolicy, Session, SplitOptions, Timeouts, WaitOptions,
};

/// The shipped component (`target/guest/sfbulk.wasm`), made by this crate's build script:
/// the release build, `wasm-opt -Oz`'d when a wasm-opt is found (`src/shrink.rs`).
pub const SFBULK_WASM: &str = env!("SFBULK_WASM");

/// Whether [`SFBULK_WASM`] went through wasm-opt, as shipped (false: wasm-opt was missing
/// or failed, or `SFBULK_WASM_OVERRIDE` named another file).
pub const SHIPPED_OPTIMIZED: bool = matches!(
    option_env!("SFBULK_WASM_OPTIMIZED"),
    Some(v) if v.len() == 1 && v.as_bytes()[0] == b'1'
);

/// Per-store host state: WASI, wasi:http (sending through a [`Network`]) and the resource
/// table.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NetHooks,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The compiled component, ready to instantiate.
pub struct Runtime {
    engine: Engine,
    pre: bindings::ConnectorPre<State>,
}

impl Runtime {
    /// Compiles the component built by this crate's build script.
    pub fn new() -> wasmtime::Result<Self> {
        Self::from_file(Path::new(SFBULK_WASM))
    }

    /// Compiles a component file, or maps the artifact of an earlier run (`compiled`).
    pub fn from_file(path: &Path) -> wasmtime::Result<Self> {
        let mut config = wasmtime::Config::new();
        // A profiling aid: `SFBULK_PERFMAP=1` writes /tmp/perf-PID.map, naming the compiled
        // component's functions for profilers (perf, or callgrind's addresses).
        if std::env::var_os("SFBULK_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)?;
        let component = compiled::load(&engine, path)?;
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = bindings::ConnectorPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Runtime { engine, pre })
    }

    /// One runtime per process, compiled on first use.
    pub fn shared() -> &'static Runtime {
        static SHARED: OnceLock<Runtime> = OnceLock::new();
        SHARED.get_or_init(|| match Runtime::new() {
            Ok(rt) => rt,
            Err(e) => panic!("cannot compile the sfbulk component {SFBULK_WASM}: {e}"),
        })
    }

    /// A new instance with its own store (and so its own sessions), sending through a
    /// [`Network`] of its own configured from this process's environment (`SSL_CERT_FILE`,
    /// `HTTPS_PROXY`, `NO_PROXY`, …: [`NetConfig::from_env`]).
    pub async fn instantiate(&self) -> wasmtime::Result<Instance> {
        let network = Network::from_env().map_err(wasmtime::Error::msg)?;
        self.instantiate_with(&network).await
    }

    /// A new instance sending through `network` (instances may share one: they then share
    /// its pooled connections).
    pub async fn instantiate_with(&self, network: &Network) -> wasmtime::Result<Instance> {
        let state = State {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            hooks: NetHooks::new(network.clone()),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, state);
        let connector = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance { store, connector })
    }
}

/// What a call returns: the operation's own result inside, a trap outside.
pub type CallResult<T> = wasmtime::Result<Result<T, Error>>;

/// One instance of the component.
pub struct Instance {
    store: Store<State>,
    connector: bindings::Connector,
}

/// An open query result file inside an [`Instance`].
#[derive(Debug)]
pub struct ResultReader(ResourceAny);

/// A CSV load inside an [`Instance`].
#[derive(Debug)]
pub struct CsvLoad(ResourceAny);

/// A result join inside an [`Instance`].
#[derive(Debug)]
pub struct ResultJoin(ResourceAny);

/// A query stream inside an [`Instance`].
#[derive(Debug)]
pub struct QueryStream(ResourceAny);

impl Instance {
    /// The network the instance sends through (shared with the instances made with it).
    pub fn network(&self) -> &Network {
        self.store.data().hooks.network()
    }

    /// `init`.
    pub async fn init(&mut self, cfg: &Config) -> CallResult<String> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_init(&mut self.store, cfg).await
    }

    /// `create-job`.
    pub async fn create_job(&mut self, cfg: &Config, req: &JobRequest) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_create_job(&mut self.store, cfg, req).await
    }

    /// `update-job`.
    pub async fn update_job(
        &mut self,
        cfg: &Config,
        job: &str,
        state: JobStateChange,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_update_job(&mut self.store, cfg, job, state).await
    }

    /// `get-job`.
    pub async fn get_job(&mut self, cfg: &Config, job: &str) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_job(&mut self.store, cfg, job).await
    }

    /// `add-batch`.
    pub async fn add_batch(
        &mut self,
        cfg: &Config,
        job: &str,
        content: &BatchContent,
    ) -> CallResult<BatchInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_add_batch(&mut self.store, cfg, job, content).await
    }

    /// `get-batch-status`.
    pub async fn get_batch_status(
        &mut self,
        cfg: &Config,
        job: &str,
        batch: &str,
    ) -> CallResult<BatchInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_batch_status(&mut self.store, cfg, job, batch)
            .await
    }

    /// `get-batch-results`.
    pub async fn get_batch_results(
        &mut self,
        cfg: &Config,
        job: &str,
        batch: &str,
    ) -> CallResult<BatchResults> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_batch_results(&mut self.store, cfg, job, batch)
            .await
    }

    /// `get-batch-request`.
    pub async fn get_batch_request(
        &mut self,
        cfg: &Config,
        job: &str,
        batch: &str,
    ) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_batch_request(&mut self.store, cfg, job, batch)
            .await
    }

    /// `list-batches`.
    pub async fn list_batches(&mut self, cfg: &Config, job: &str) -> CallResult<Vec<BatchInfo>> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_list_batches(&mut self.store, cfg, job).await
    }

    /// `get-bulk-query-results`.
    pub async fn get_bulk_query_results(
        &mut self,
        cfg: &Config,
        job: &str,
        batch: &str,
        result: &str,
    ) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_bulk_query_results(&mut self.store, cfg, job, batch, result)
            .await
    }

    /// `create-job-to-upload-batch-file`.
    pub async fn create_job_to_upload_batch_file(
        &mut self,
        cfg: &Config,
        req: &JobRequest,
    ) -> CallResult<JobInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_create_job_to_upload_batch_file(&mut self.store, cfg, req)
            .await
    }

    /// `upload-batch-file`.
    pub async fn upload_batch_file(
        &mut self,
        cfg: &Config,
        job: &str,
        zip: &[u8],
        content_type: Option<&ContentType>,
    ) -> CallResult<BatchInfo> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_upload_batch_file(&mut self.store, cfg, job, zip, content_type)
            .await
    }

    /// `open-query-result`.
    pub async fn open_query_result(
        &mut self,
        cfg: &Config,
        job: &str,
        batch: &str,
        result: &str,
    ) -> CallResult<ResultReader> {
        let api = self.connector.sfbulk_connector_bulk();
        Ok(api
            .call_open_query_result(&mut self.store, cfg, job, batch, result)
            .await?
            .map(ResultReader))
    }

    /// `result-reader.read`: up to `max` bytes, empty at the end.
    pub async fn read(&mut self, reader: &ResultReader, max: u32) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk().result_reader();
        api.call_read(&mut self.store, reader.0, max).await
    }

    /// Drops a reader inside the instance.
    pub async fn close(&mut self, reader: ResultReader) -> wasmtime::Result<()> {
        reader.0.resource_drop_async(&mut self.store).await
    }

    /// `get-session`.
    pub async fn get_session(&mut self, cfg: &Config) -> wasmtime::Result<Option<Session>> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_get_session(&mut self.store, cfg).await
    }

    /// `set-session`.
    pub async fn set_session(&mut self, cfg: &Config, session: &Session) -> CallResult<()> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_set_session(&mut self.store, cfg, session).await
    }

    /// `wait-for-batches`.
    pub async fn wait_for_batches(
        &mut self,
        cfg: &Config,
        job: &str,
        batches: &[String],
        options: Option<&WaitOptions>,
    ) -> CallResult<Vec<BatchInfo>> {
        let api = self.connector.sfbulk_connector_bulk();
        api.call_wait_for_batches(&mut self.store, cfg, job, batches, options.cloned())
            .await
    }

    /// `start-csv-load`.
    pub async fn start_csv_load(
        &mut self,
        cfg: &Config,
        req: &JobRequest,
        options: Option<&SplitOptions>,
    ) -> CallResult<CsvLoad> {
        let api = self.connector.sfbulk_connector_bulk();
        Ok(api
            .call_start_csv_load(&mut self.store, cfg, req, options.cloned())
            .await?
            .map(CsvLoad))
    }

    /// `csv-load.job-id`.
    pub async fn load_job_id(&mut self, load: &CsvLoad) -> wasmtime::Result<String> {
        let api = self.connector.sfbulk_connector_bulk().csv_load();
        api.call_job_id(&mut self.store, load.0).await
    }

    /// `csv-load.write`.
    pub async fn load_write(&mut self, load: &CsvLoad, data: &[u8]) -> CallResult<Vec<BatchRef>> {
        let api = self.connector.sfbulk_connector_bulk().csv_load();
        api.call_write(&mut self.store, load.0, data).await
    }

    /// `csv-load.finish`.
    pub async fn load_finish(&mut self, load: &CsvLoad) -> CallResult<Vec<BatchRef>> {
        let api = self.connector.sfbulk_connector_bulk().csv_load();
        api.call_finish(&mut self.store, load.0).await
    }

    /// `open-result-join`.
    pub async fn open_result_join(
        &mut self,
        cfg: &Config,
        job: &str,
        batches: &[BatchRef],
    ) -> CallResult<ResultJoin> {
        let api = self.connector.sfbulk_connector_bulk();
        Ok(api
            .call_open_result_join(&mut self.store, cfg, job, batches)
            .await?
            .map(ResultJoin))
    }

    /// `result-join.push`.
    pub async fn join_push(&mut self, join: &ResultJoin, input: &[u8]) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk().result_join();
        api.call_push(&mut self.store, join.0, input).await
    }

    /// `result-join.finish`.
    pub async fn join_finish(&mut self, join: &ResultJoin) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk().result_join();
        api.call_finish(&mut self.store, join.0).await
    }

    /// `result-join.counts`.
    pub async fn join_counts(&mut self, join: &ResultJoin) -> wasmtime::Result<JoinCounts> {
        let api = self.connector.sfbulk_connector_bulk().result_join();
        api.call_counts(&mut self.store, join.0).await
    }

    /// `open-query-stream`.
    pub async fn open_query_stream(
        &mut self,
        cfg: &Config,
        job: &str,
        skip: &[String],
        options: Option<&WaitOptions>,
    ) -> CallResult<QueryStream> {
        let api = self.connector.sfbulk_connector_bulk();
        Ok(api
            .call_open_query_stream(&mut self.store, cfg, job, skip, options.cloned())
            .await?
            .map(QueryStream))
    }

    /// `query-stream.read`: up to `max` bytes of CSV, empty at the end.
    pub async fn stream_read(&mut self, stream: &QueryStream, max: u32) -> CallResult<Vec<u8>> {
        let api = self.connector.sfbulk_connector_bulk().query_stream();
        api.call_read(&mut self.store, stream.0, max).await
    }

    /// `query-stream.position`.
    pub async fn stream_position(
        &mut self,
        stream: &QueryStream,
    ) -> wasmtime::Result<QueryPosition> {
        let api = self.connector.sfbulk_connector_bulk().query_stream();
        api.call_position(&mut self.store, stream.0).await
    }
}

/// A config with only the required fields.
pub fn config(api_url: &str, access_token: &str) -> Config {
    Config {
        api_version: "59.0".into(),
        access_token: access_token.into(),
        api_url: api_url.into(),
        token_endpoint_hostname: None,
        refresh_token: None,
        client_id: None,
        client_secret: None,
        interval_time: None,
        registry_path: None,
        timeouts: None,
        retry: None,
        username: None,
        jwt_private_key: None,
        concurrency: None,
    }
}

/// A config that logs in with the JWT bearer grant at `token_endpoint` (no access token, no
/// api-url: the grant's `instance_url` is used).
pub fn jwt_config(
    token_endpoint: &str,
    client_id: &str,
    username: &str,
    private_key_pem: &str,
) -> Config {
    Config {
        token_endpoint_hostname: Some(token_endpoint.into()),
        client_id: Some(client_id.into()),
        username: Some(username.into()),
        jwt_private_key: Some(private_key_pem.into()),
        ..config("", "")
    }
}

/// A config that logs in with the client-credentials grant at `my_domain` (the org's My
/// Domain; no access token, no api-url).
pub fn client_credentials_config(my_domain: &str, client_id: &str, client_secret: &str) -> Config {
    Config {
        token_endpoint_hostname: Some(my_domain.into()),
        client_id: Some(client_id.into()),
        client_secret: Some(client_secret.into()),
        ..config("", "")
    }
}

/// A job request with only the required fields.
pub fn job_request(
    operation: Operation,
    object: &str,
    content_type: Option<ContentType>,
) -> JobRequest {
    JobRequest {
        operation,
        object: object.into(),
        content_type,
        external_id_field_name: None,
        concurrency_mode: None,
        assignment_rule_id: None,
        pk_chunking: None,
        disable_batch_retry: None,
        line_ending: None,
    }
}

/// The target directory the build script built the component in (`target/guest/`), unless
/// a prebuilt component was given through `SFBULK_WASM_OVERRIDE`.
pub const GUEST_TARGET_DIR: Option<&str> = option_env!("SFBULK_GUEST_TARGET");
