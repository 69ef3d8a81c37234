//! The WIT exports: converts between the generated binding types and the core, keeps
//! the sessions of this instance, and runs each call through the session (refresh and
//! one replay on an expired session).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read as _;

use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::error::Error;
use crate::model::{self, BatchState, ContentType, JobState, Operation};
use crate::protocol::{self, BatchContent, Endpoint, MAX_CONTROL_BYTES, RefreshCredentials};
use crate::transport::{self, Timeouts};

/// Largest result file `get-bulk-query-results` and `get-batch-request` read whole (1 GiB,
/// Salesforce's per-file maximum).
const MAX_FILE_BYTES: usize = 1 << 30;

/// The component.
pub struct Component;

/// One session: the token in use and where it came from.
struct Session {
    endpoint: Endpoint,
    /// The endpoint the config described when this session started; a config that
    /// describes another one (new token, URL or version) starts a new session.
    config: Endpoint,
    /// When the current token was obtained (ms since the epoch).
    obtained_at_ms: u64,
}

thread_local! {
    static SESSIONS: RefCell<HashMap<String, Session>> = RefCell::new(HashMap::new());
    /// What this instance has learnt about jobs: content type and operation.
    static JOBS: RefCell<HashMap<String, (ContentType, Option<Operation>)>> = RefCell::new(HashMap::new());
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The session key: the registry path, or api-url + client-id.
fn session_key(cfg: &wit::Config) -> String {
    match cfg.registry_path.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => format!("registry:{p}"),
        None => format!(
            "url:{}|{}",
            cfg.api_url.trim_end_matches('/'),
            cfg.client_id.as_deref().unwrap_or("")
        ),
    }
}

fn credentials(cfg: &wit::Config) -> Option<RefreshCredentials> {
    let nonempty = |o: &Option<String>| o.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    Some(RefreshCredentials {
        token_host: nonempty(&cfg.token_endpoint_hostname)
            .unwrap_or_else(|| protocol::DEFAULT_TOKEN_HOST.to_string()),
        refresh_token: nonempty(&cfg.refresh_token)?,
        client_id: nonempty(&cfg.client_id)?,
        client_secret: nonempty(&cfg.client_secret)?,
    })
}

/// The endpoint to use for `cfg`: the session's (possibly refreshed) one, or a new
/// session when the config brings another token or URL.
fn endpoint(cfg: &wit::Config) -> Result<Endpoint, Error> {
    // Always validate what the caller gave, even when a session exists.
    let given = Endpoint::new(&cfg.api_url, &cfg.api_version, &cfg.access_token)?;
    let key = session_key(cfg);
    let existing = SESSIONS.with(|s| {
        s.borrow().get(&key).and_then(|sess| {
            (sess.config == given).then(|| (sess.endpoint.clone(), sess.obtained_at_ms))
        })
    });
    let (ep, obtained) = match existing {
        Some(found) => found,
        None => {
            let obtained = now_ms();
            SESSIONS.with(|s| {
                s.borrow_mut().insert(
                    key,
                    Session {
                        endpoint: given.clone(),
                        config: given.clone(),
                        obtained_at_ms: obtained,
                    },
                )
            });
            (given, obtained)
        }
    };
    // Proactive refresh: the token is older than interval-time.
    if let (Some(interval), Some(_)) = (cfg.interval_time.filter(|i| *i > 0), credentials(cfg))
        && now_ms().saturating_sub(obtained) >= interval
    {
        return refresh(cfg, &ep);
    }
    Ok(ep)
}

/// Gets a new token with the refresh credentials and stores it in the session.
fn refresh(cfg: &wit::Config, current: &Endpoint) -> Result<Endpoint, Error> {
    let creds = credentials(cfg).ok_or_else(|| {
        Error::SessionExpired("no refresh token, client id and client secret to renew it".into())
    })?;
    let req = protocol::token_request(&creds)?;
    let resp = transport::send(req, Timeouts::default(), MAX_CONTROL_BYTES)?;
    let grant = protocol::parse_token_response(&resp)?;
    let ep = Endpoint::new(&grant.instance_url, &cfg.api_version, &grant.access_token)
        .or_else(|_| current.with_token(&grant.access_token))?;
    let key = session_key(cfg);
    let config = Endpoint::new(&cfg.api_url, &cfg.api_version, &cfg.access_token)?;
    SESSIONS.with(|s| {
        s.borrow_mut().insert(
            key,
            Session {
                endpoint: ep.clone(),
                config,
                obtained_at_ms: now_ms(),
            },
        )
    });
    Ok(ep)
}

/// Sends the request `build` makes for the session's endpoint. On HTTP 400 +
/// `InvalidSessionId` with refresh credentials: one token request, then one replay of the
/// same request (same body bytes).
fn call(
    cfg: &wit::Config,
    build: impl Fn(&Endpoint) -> Result<http::Request<Vec<u8>>, Error>,
    limit: usize,
) -> Result<http::Response<Vec<u8>>, Error> {
    let ep = endpoint(cfg)?;
    let req = build(&ep)?;
    let replay = req.clone();
    let resp = transport::send(req, Timeouts::default(), limit)?;
    if !protocol::is_session_expired(&resp) || credentials(cfg).is_none() {
        return Ok(resp);
    }
    let fresh = refresh(cfg, &ep)?;
    let retry = rebuild(replay, &ep, &fresh)?;
    let resp = transport::send(retry, Timeouts::default(), limit)?;
    if protocol::is_session_expired(&resp) {
        return Err(Error::SessionExpired(
            "the session was renewed but salesforce still refuses it".into(),
        ));
    }
    Ok(resp)
}

/// The same request for another endpoint: same method, path, headers and body bytes.
fn rebuild(
    req: http::Request<Vec<u8>>,
    old: &Endpoint,
    new: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    let (mut parts, body) = req.into_parts();
    let uri = parts.uri.to_string();
    let rest = uri.strip_prefix(&old.base_url()).unwrap_or(&uri);
    parts.uri = format!("{}{rest}", new.base_url())
        .parse()
        .map_err(|_| Error::invalid("cannot rebuild the request for the new instance url"))?;
    let mut token = http::HeaderValue::from_str(new.token())
        .map_err(|_| Error::invalid("new access token is not a valid header value"))?;
    token.set_sensitive(true);
    parts.headers.insert(protocol::SESSION_HEADER, token);
    Ok(http::Request::from_parts(parts, body))
}

fn remember_job(job: &model::JobInfo) {
    if let Some(ct) = &job.content_type {
        JOBS.with(|j| {
            j.borrow_mut()
                .insert(job.id.clone(), (ct.clone(), job.operation.clone()))
        });
    }
}

/// The content type and operation of a job: remembered, or read with get-job.
fn job_kind(cfg: &wit::Config, job_id: &str) -> Result<(ContentType, Option<Operation>), Error> {
    if let Some(k) = JOBS.with(|j| j.borrow().get(job_id).cloned()) {
        return Ok(k);
    }
    let job = get_job(cfg, job_id)?;
    Ok((job.content_type.unwrap_or(ContentType::Xml), job.operation))
}

fn get_job(cfg: &wit::Config, job_id: &str) -> Result<model::JobInfo, Error> {
    protocol::validate_id("job id", job_id)?;
    let resp = call(cfg, |ep| protocol::get_job(ep, job_id), MAX_CONTROL_BYTES)?;
    let job = protocol::parse_job_info(&resp)?;
    remember_job(&job);
    Ok(job)
}

fn create_job(cfg: &wit::Config, request: model::JobRequest) -> Result<model::JobInfo, Error> {
    let resp = call(
        cfg,
        |ep| protocol::create_job(ep, &request),
        MAX_CONTROL_BYTES,
    )?;
    let job = protocol::parse_job_info(&resp)?;
    remember_job(&job);
    Ok(job)
}

fn add_batch(
    cfg: &wit::Config,
    job_id: &str,
    content: BatchContent,
) -> Result<model::BatchInfo, Error> {
    protocol::validate_id("job id", job_id)?;
    let (ct, op) = job_kind(cfg, job_id)?;
    let body = protocol::batch_body(content, &ct, op.as_ref())?;
    let resp = call(
        cfg,
        |ep| protocol::add_batch(ep, job_id, body.clone()),
        MAX_CONTROL_BYTES,
    )?;
    protocol::parse_batch_info(&resp)
}

impl wit::Guest for Component {
    type ResultReader = Reader;

    fn init(config: wit::Config) -> Result<String, wit::Error> {
        if let Some(host) = config
            .token_endpoint_hostname
            .as_deref()
            .filter(|h| !h.is_empty())
        {
            protocol::parse_base_url(host, "token-endpoint-hostname").map_err(to_wit_error)?;
        }
        endpoint(&config)
            .map(|ep| ep.base_url())
            .map_err(to_wit_error)
    }

    fn create_job(
        config: wit::Config,
        request: wit::JobRequest,
    ) -> Result<wit::JobInfo, wit::Error> {
        create_job(&config, job_request(request))
            .map(job_info)
            .map_err(to_wit_error)
    }

    fn update_job(
        config: wit::Config,
        job_id: String,
        state: wit::JobStateChange,
    ) -> Result<wit::JobInfo, wit::Error> {
        let run = || {
            protocol::validate_id("job id", &job_id)?;
            let state = match state {
                wit::JobStateChange::Closed => model::JobStateChange::Closed,
                wit::JobStateChange::Aborted => model::JobStateChange::Aborted,
            };
            let known = JOBS.with(|j| j.borrow().get(&job_id).map(|k| k.0.clone()));
            let fmt = protocol::doc_format(known.as_ref());
            let resp = call(
                &config,
                |ep| protocol::update_job(ep, &job_id, state, fmt),
                MAX_CONTROL_BYTES,
            )?;
            protocol::parse_job_info(&resp)
        };
        run().map(job_info).map_err(to_wit_error)
    }

    fn get_job(config: wit::Config, job_id: String) -> Result<wit::JobInfo, wit::Error> {
        get_job(&config, &job_id)
            .map(job_info)
            .map_err(to_wit_error)
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
        add_batch(&config, &job_id, content)
            .map(batch_info)
            .map_err(to_wit_error)
    }

    fn get_batch_status(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<wit::BatchInfo, wit::Error> {
        let run = || {
            let resp = call(
                &config,
                |ep| protocol::get_batch(ep, &job_id, &batch_id),
                MAX_CONTROL_BYTES,
            )?;
            protocol::parse_batch_info(&resp)
        };
        run().map(batch_info).map_err(to_wit_error)
    }

    fn get_batch_results(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<wit::BatchResults, wit::Error> {
        let run = || {
            let resp = call(
                &config,
                |ep| protocol::get_batch_results(ep, &job_id, &batch_id),
                MAX_FILE_BYTES,
            )?;
            protocol::parse_batch_results(&resp)
        };
        run().map(batch_results).map_err(to_wit_error)
    }

    fn get_batch_request(
        config: wit::Config,
        job_id: String,
        batch_id: String,
    ) -> Result<Vec<u8>, wit::Error> {
        let run = || {
            let resp = call(
                &config,
                |ep| protocol::get_batch_request(ep, &job_id, &batch_id),
                MAX_FILE_BYTES,
            )?;
            protocol::parse_bytes(resp)
        };
        run().map_err(to_wit_error)
    }

    fn list_batches(
        config: wit::Config,
        job_id: String,
    ) -> Result<Vec<wit::BatchInfo>, wit::Error> {
        let run = || {
            let resp = call(
                &config,
                |ep| protocol::list_batches(ep, &job_id),
                MAX_CONTROL_BYTES,
            )?;
            protocol::parse_batch_list(&resp)
        };
        run()
            .map(|list| list.into_iter().map(batch_info).collect())
            .map_err(to_wit_error)
    }

    fn get_bulk_query_results(
        config: wit::Config,
        job_id: String,
        batch_id: String,
        result_id: String,
    ) -> Result<Vec<u8>, wit::Error> {
        let run = || {
            let resp = call(
                &config,
                |ep| protocol::get_query_result(ep, &job_id, &batch_id, &result_id),
                MAX_FILE_BYTES,
            )?;
            protocol::parse_bytes(resp)
        };
        run().map_err(to_wit_error)
    }

    fn create_job_to_upload_batch_file(
        config: wit::Config,
        request: wit::JobRequest,
    ) -> Result<wit::JobInfo, wit::Error> {
        let request = job_request(request);
        let run = || {
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
            create_job(&config, request.clone())
        };
        run().map(job_info).map_err(to_wit_error)
    }

    fn upload_batch_file(
        config: wit::Config,
        job_id: String,
        zip: Vec<u8>,
        content_type: Option<wit::ContentType>,
    ) -> Result<wit::BatchInfo, wit::Error> {
        let run = || {
            protocol::validate_id("job id", &job_id)?;
            let ct = match content_type {
                Some(ct) => content_type_from(ct),
                None => job_kind(&config, &job_id)?.0,
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
            let body = protocol::batch_body(
                BatchContent::Raw {
                    media_type: media.to_string(),
                    data: zip,
                },
                &ct,
                None,
            )?;
            let resp = call(
                &config,
                |ep| protocol::add_batch(ep, &job_id, body.clone()),
                MAX_CONTROL_BYTES,
            )?;
            protocol::parse_batch_info(&resp)
        };
        run().map(batch_info).map_err(to_wit_error)
    }

    fn open_query_result(
        config: wit::Config,
        job_id: String,
        batch_id: String,
        result_id: String,
    ) -> Result<wit::ResultReader, wit::Error> {
        let run = || {
            let ep = endpoint(&config)?;
            let build =
                |ep: &Endpoint| protocol::get_query_result(ep, &job_id, &batch_id, &result_id);
            let open = transport::open(build(&ep)?, Timeouts::default())?;
            if open.head.status().is_success() {
                return Ok(Reader::new(open));
            }
            // Not a file: read the (small) error reply, renew the session once if needed.
            let resp = open.read_all(MAX_CONTROL_BYTES)?;
            if protocol::is_session_expired(&resp) && credentials(&config).is_some() {
                let fresh = refresh(&config, &ep)?;
                let open = transport::open(build(&fresh)?, Timeouts::default())?;
                if open.head.status().is_success() {
                    return Ok(Reader::new(open));
                }
                let resp = open.read_all(MAX_CONTROL_BYTES)?;
                return Err(protocol::success_body(&resp)
                    .err()
                    .unwrap_or_else(|| Error::Transport("unexpected reply".into())));
            }
            Err(protocol::success_body(&resp)
                .err()
                .unwrap_or_else(|| Error::Transport("unexpected reply".into())))
        };
        run().map(wit::ResultReader::new).map_err(to_wit_error)
    }
}

/// A result file being read.
pub struct Reader {
    inner: RefCell<Option<ReaderBody>>,
}

struct ReaderBody {
    source: Source,
    // Dropped after `source` (field order): the stream is a child of the body.
    _body: wasi::http::types::IncomingBody,
}

enum Source {
    Plain(wasi::io::streams::InputStream),
    Gzip(Box<flate2::read::GzDecoder<wasi::io::streams::InputStream>>),
}

impl Reader {
    fn new(open: transport::OpenResponse) -> Self {
        let gzip = open
            .head
            .headers()
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
        let source = if gzip {
            Source::Gzip(Box::new(flate2::read::GzDecoder::new(open.stream)))
        } else {
            Source::Plain(open.stream)
        };
        Reader {
            inner: RefCell::new(Some(ReaderBody {
                source,
                _body: open.body,
            })),
        }
    }
}

impl wit::GuestResultReader for Reader {
    fn read(&self, max_bytes: u32) -> Result<Vec<u8>, wit::Error> {
        let mut slot = self.inner.borrow_mut();
        let Some(body) = slot.as_mut() else {
            return Ok(Vec::new());
        };
        let max = (max_bytes as usize).clamp(1, 16 << 20);
        let mut buf = vec![0u8; max];
        let n = match &mut body.source {
            Source::Plain(s) => s.read(&mut buf),
            Source::Gzip(g) => g.read(&mut buf),
        }
        .map_err(|e| to_wit_error(transport::stream_error(&e.to_string())))?;
        if n == 0 {
            *slot = None;
        }
        buf.truncate(n);
        Ok(buf)
    }
}

// ---- conversions between the generated types and the core ----

fn to_wit_error(e: Error) -> wit::Error {
    match e {
        Error::InvalidInput(m) => wit::Error::InvalidInput(m),
        Error::Transport(m) => wit::Error::Transport(m),
        Error::Timeout(m) => wit::Error::Timeout(m),
        Error::UnexpectedResponse {
            status,
            content_type,
            detail,
            excerpt,
        } => wit::Error::UnexpectedResponse(wit::UnexpectedResponse {
            http_status: status,
            content_type,
            detail,
            excerpt,
        }),
        Error::Api {
            status,
            code,
            message,
        } => wit::Error::Api(wit::ApiError {
            http_status: status,
            exception_code: code,
            exception_message: message,
        }),
        Error::SessionExpired(m) => wit::Error::SessionExpired(m),
        Error::Auth { error, description } => {
            wit::Error::Auth(wit::AuthError { error, description })
        }
    }
}

fn operation_from(op: wit::Operation) -> Operation {
    match op {
        wit::Operation::Insert => Operation::Insert,
        wit::Operation::Update => Operation::Update,
        wit::Operation::Upsert => Operation::Upsert,
        wit::Operation::Delete => Operation::Delete,
        wit::Operation::HardDelete => Operation::HardDelete,
        wit::Operation::Query => Operation::Query,
        wit::Operation::QueryAll => Operation::QueryAll,
        wit::Operation::Other(s) => Operation::Unknown(s),
    }
}

fn operation_to(op: Option<Operation>) -> wit::Operation {
    match op {
        Some(Operation::Insert) => wit::Operation::Insert,
        Some(Operation::Update) => wit::Operation::Update,
        Some(Operation::Upsert) => wit::Operation::Upsert,
        Some(Operation::Delete) => wit::Operation::Delete,
        Some(Operation::HardDelete) => wit::Operation::HardDelete,
        Some(Operation::Query) => wit::Operation::Query,
        Some(Operation::QueryAll) => wit::Operation::QueryAll,
        Some(Operation::Unknown(s)) => wit::Operation::Other(s),
        None => wit::Operation::Other(String::new()),
    }
}

fn content_type_from(ct: wit::ContentType) -> ContentType {
    match ct {
        wit::ContentType::Xml => ContentType::Xml,
        wit::ContentType::Csv => ContentType::Csv,
        wit::ContentType::Json => ContentType::Json,
        wit::ContentType::ZipXml => ContentType::ZipXml,
        wit::ContentType::ZipCsv => ContentType::ZipCsv,
        wit::ContentType::ZipJson => ContentType::ZipJson,
        wit::ContentType::Other(s) => ContentType::Unknown(s),
    }
}

fn content_type_to(ct: ContentType) -> wit::ContentType {
    match ct {
        ContentType::Xml => wit::ContentType::Xml,
        ContentType::Csv => wit::ContentType::Csv,
        ContentType::Json => wit::ContentType::Json,
        ContentType::ZipXml => wit::ContentType::ZipXml,
        ContentType::ZipCsv => wit::ContentType::ZipCsv,
        ContentType::ZipJson => wit::ContentType::ZipJson,
        ContentType::Unknown(s) => wit::ContentType::Other(s),
    }
}

fn concurrency_from(c: wit::ConcurrencyMode) -> model::ConcurrencyMode {
    match c {
        wit::ConcurrencyMode::Parallel => model::ConcurrencyMode::Parallel,
        wit::ConcurrencyMode::Serial => model::ConcurrencyMode::Serial,
        wit::ConcurrencyMode::Other(s) => model::ConcurrencyMode::Unknown(s),
    }
}

fn concurrency_to(c: model::ConcurrencyMode) -> wit::ConcurrencyMode {
    match c {
        model::ConcurrencyMode::Parallel => wit::ConcurrencyMode::Parallel,
        model::ConcurrencyMode::Serial => wit::ConcurrencyMode::Serial,
        model::ConcurrencyMode::Unknown(s) => wit::ConcurrencyMode::Other(s),
    }
}

fn job_request(r: wit::JobRequest) -> model::JobRequest {
    model::JobRequest {
        operation: operation_from(r.operation),
        object: r.object,
        content_type: r.content_type.map(content_type_from),
        external_id_field_name: r.external_id_field_name,
        concurrency_mode: r.concurrency_mode.map(concurrency_from),
        assignment_rule_id: r.assignment_rule_id,
        pk_chunking: r.pk_chunking.map(|pk| model::PkChunking {
            chunk_size: pk.chunk_size,
            start_row: pk.start_row,
            parent: pk.parent,
        }),
        disable_batch_retry: r.disable_batch_retry.unwrap_or(false),
        line_ending: r.line_ending.map(|le| match le {
            wit::LineEnding::Lf => model::LineEnding::Lf,
            wit::LineEnding::Crlf => model::LineEnding::Crlf,
        }),
    }
}

fn job_info(j: model::JobInfo) -> wit::JobInfo {
    wit::JobInfo {
        id: j.id,
        operation: operation_to(j.operation),
        object: j.object,
        created_by_id: j.created_by_id,
        created_date: j.created_date,
        system_modstamp: j.system_modstamp,
        state: match j.state {
            Some(JobState::Open) => wit::JobState::Open,
            Some(JobState::Closed) => wit::JobState::Closed,
            Some(JobState::Aborted) => wit::JobState::Aborted,
            Some(JobState::Failed) => wit::JobState::Failed,
            Some(JobState::Unknown(s)) => wit::JobState::Other(s),
            None => wit::JobState::Other(String::new()),
        },
        external_id_field_name: j.external_id_field_name,
        concurrency_mode: j.concurrency_mode.map(concurrency_to),
        content_type: j.content_type.map(content_type_to),
        number_batches_queued: j.number_batches_queued,
        number_batches_in_progress: j.number_batches_in_progress,
        number_batches_completed: j.number_batches_completed,
        number_batches_failed: j.number_batches_failed,
        number_batches_total: j.number_batches_total,
        number_records_processed: j.number_records_processed,
        number_retries: j.number_retries,
        api_version: j.api_version,
        assignment_rule_id: j.assignment_rule_id,
        number_records_failed: j.number_records_failed,
        total_processing_time: j.total_processing_time,
        api_active_processing_time: j.api_active_processing_time,
        apex_processing_time: j.apex_processing_time,
    }
}

fn batch_info(b: model::BatchInfo) -> wit::BatchInfo {
    wit::BatchInfo {
        id: b.id,
        job_id: b.job_id,
        state: match b.state {
            Some(BatchState::Queued) => wit::BatchState::Queued,
            Some(BatchState::InProgress) => wit::BatchState::InProgress,
            Some(BatchState::Completed) => wit::BatchState::Completed,
            Some(BatchState::Failed) => wit::BatchState::Failed,
            Some(BatchState::NotProcessed) => wit::BatchState::NotProcessed,
            Some(BatchState::Unknown(s)) => wit::BatchState::Other(s),
            None => wit::BatchState::Other(String::new()),
        },
        state_message: b.state_message,
        created_date: b.created_date,
        system_modstamp: b.system_modstamp,
        number_records_processed: b.number_records_processed,
        number_records_failed: b.number_records_failed,
        total_processing_time: b.total_processing_time,
        api_active_processing_time: b.api_active_processing_time,
        apex_processing_time: b.apex_processing_time,
    }
}

fn record_set(s: wit::RecordSet) -> model::RecordSet {
    model::RecordSet {
        fields: s.fields,
        rows: s
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| match v {
                        wit::FieldValue::Null => model::FieldValue::Null,
                        wit::FieldValue::Text(t) => model::FieldValue::Text(t),
                        wit::FieldValue::Number(n) => model::FieldValue::Number(n),
                        wit::FieldValue::Boolean(b) => model::FieldValue::Boolean(b),
                    })
                    .collect()
            })
            .collect(),
    }
}

fn batch_results(r: model::BatchResults) -> wit::BatchResults {
    match r {
        model::BatchResults::Query(ids) => wit::BatchResults::Query(ids),
        model::BatchResults::Ingest(rows) => wit::BatchResults::Ingest(
            rows.into_iter()
                .map(|r| wit::RecordResult {
                    id: r.id,
                    success: r.success,
                    created: r.created,
                    errors: r
                        .errors
                        .into_iter()
                        .map(|e| wit::RecordError {
                            status_code: e.status_code,
                            message: e.message,
                            fields: e.fields,
                        })
                        .collect(),
                })
                .collect(),
        ),
    }
}
