//! Sessions and calls: every request goes through [`Client::call`], which renews an
//! expired session once (same request replayed), retries idempotent requests on transient
//! failures, and never replays a non-idempotent request whose outcome is unknown.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::backoff::{self, PollPolicy, RetryPolicy};
use crate::bindings::exports::sfbulk::connector::bulk as wit;
use crate::error::Error;
use crate::model::{self, BatchResults, ContentType, Operation};
use crate::protocol::{
    self, BatchBody, BatchContent, Endpoint, MAX_CONTROL_BYTES, RefreshCredentials,
};
use crate::transport::{self, Timeouts};

/// Largest body read whole: a result file or a batch request (1 GiB, Salesforce's per-file
/// maximum); use a reader for files that do not fit in memory.
pub(crate) const MAX_FILE_BYTES: usize = 1 << 30;

/// One session: the token in use and where it came from.
struct Session {
    endpoint: Endpoint,
    /// What the config described when this session started; a config that describes
    /// another endpoint (new token, URL or version) starts a new session.
    config: Endpoint,
    /// When the current token was obtained (ms since the epoch).
    obtained_at_ms: u64,
}

/// A small string-keyed table, newest last. Instances hold a few sessions and the jobs
/// they made; a linear scan beats a hash map here and costs the component ~7 KB less.
struct Table<V> {
    rows: Vec<(String, V)>,
    /// Oldest rows are dropped beyond this.
    cap: usize,
}

impl<V> Table<V> {
    const fn new(cap: usize) -> Self {
        Table {
            rows: Vec::new(),
            cap,
        }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.rows.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn insert(&mut self, key: String, value: V) {
        self.rows.retain(|(k, _)| *k != key);
        if self.rows.len() >= self.cap {
            self.rows.remove(0);
        }
        self.rows.push((key, value));
    }
}

thread_local! {
    static SESSIONS: RefCell<Table<Session>> = const { RefCell::new(Table::new(64)) };
    /// What this instance has learnt about jobs it created: content type and operation
    /// (a cache: a job not found here is asked for).
    static JOBS: RefCell<Table<(ContentType, Option<Operation>)>> = const { RefCell::new(Table::new(256)) };
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One attempt's result: finished, or a reply to judge (status, session, retry).
pub(crate) enum Sent<T> {
    Done(T),
    Reply(http::Response<Vec<u8>>),
}

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Clone, Copy)]
pub(crate) enum Replay<'a> {
    /// GETs, close and abort: sending again changes nothing.
    Idempotent,
    /// Creating a job or adding a batch: never sent again blindly. The text says what
    /// it was (for the outcome-unknown error).
    Never(&'a str),
}

/// The settings of one config, resolved.
pub(crate) struct Client {
    pub(crate) cfg: wit::Config,
    timeouts: Timeouts,
    retry: RetryPolicy,
}

impl Client {
    pub(crate) fn new(cfg: wit::Config) -> Self {
        let mut timeouts = Timeouts::default();
        if let Some(t) = &cfg.timeouts {
            let ms = |v: Option<u32>, d: u64| v.map(u64::from).unwrap_or(d);
            timeouts = Timeouts {
                connect_ms: ms(t.connect_ms, timeouts.connect_ms),
                first_byte_ms: ms(t.first_byte_ms, timeouts.first_byte_ms),
                between_bytes_ms: ms(t.between_bytes_ms, timeouts.between_bytes_ms),
            };
        }
        let mut retry = RetryPolicy::default();
        if let Some(r) = &cfg.retry {
            let ms = |v: Option<u32>, d: Duration| {
                v.map(|v| Duration::from_millis(v.into())).unwrap_or(d)
            };
            retry = RetryPolicy {
                max_attempts: r.max_attempts.unwrap_or(retry.max_attempts).max(1),
                first_delay: ms(r.first_delay_ms, retry.first_delay),
                max_delay: ms(r.max_delay_ms, retry.max_delay),
                max_total: ms(r.max_total_ms, retry.max_total),
            };
        }
        Client {
            cfg,
            timeouts,
            retry,
        }
    }

    /// The session key: the registry path, or api-url + client-id.
    fn key(&self) -> String {
        match self.cfg.registry_path.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => format!("registry:{p}"),
            None => format!(
                "url:{}|{}",
                self.cfg.api_url.trim_end_matches('/'),
                self.cfg.client_id.as_deref().unwrap_or("")
            ),
        }
    }

    fn credentials(&self) -> Option<RefreshCredentials> {
        let cfg = &self.cfg;
        let nonempty =
            |o: &Option<String>| o.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        Some(RefreshCredentials {
            token_host: nonempty(&cfg.token_endpoint_hostname)
                .unwrap_or_else(|| protocol::DEFAULT_TOKEN_HOST.to_string()),
            refresh_token: nonempty(&cfg.refresh_token)?,
            client_id: nonempty(&cfg.client_id)?,
            client_secret: nonempty(&cfg.client_secret)?,
        })
    }

    /// The endpoint the config describes (validated; nothing stored).
    fn configured(&self) -> Result<Endpoint, Error> {
        let cfg = &self.cfg;
        if let Some(host) = cfg
            .token_endpoint_hostname
            .as_deref()
            .filter(|h| !h.is_empty())
        {
            protocol::parse_base_url(host, "token-endpoint-hostname")?;
        }
        Endpoint::new(&cfg.api_url, &cfg.api_version, &cfg.access_token)
    }

    /// The endpoint to use: the session's (possibly renewed) one, or a new session when
    /// the config describes another endpoint. Renews the token first when it is older than
    /// interval-time.
    pub(crate) fn endpoint(&self) -> Result<Endpoint, Error> {
        let given = self.configured()?;
        let key = self.key();
        let existing = SESSIONS.with(|s| {
            s.borrow()
                .get(&key)
                .filter(|sess| sess.config == given)
                .map(|sess| (sess.endpoint.clone(), sess.obtained_at_ms))
        });
        let (ep, obtained) = match existing {
            Some(found) => found,
            None => {
                let obtained = now_ms();
                self.store(given.clone(), given.clone(), obtained);
                (given, obtained)
            }
        };
        if let Some(interval) = self.cfg.interval_time.filter(|i| *i > 0)
            && self.credentials().is_some()
            && now_ms().saturating_sub(obtained) >= interval
        {
            return self.refresh();
        }
        Ok(ep)
    }

    fn store(&self, endpoint: Endpoint, config: Endpoint, obtained_at_ms: u64) {
        SESSIONS.with(|s| {
            s.borrow_mut().insert(
                self.key(),
                Session {
                    endpoint,
                    config,
                    obtained_at_ms,
                },
            )
        });
    }

    /// The session for this config's key, if any.
    pub(crate) fn session(&self) -> Option<wit::Session> {
        SESSIONS.with(|s| {
            s.borrow().get(&self.key()).map(|sess| wit::Session {
                access_token: sess.endpoint.token().to_string(),
                instance_url: sess.endpoint.instance_url(),
                obtained_at_ms: sess.obtained_at_ms,
            })
        })
    }

    /// Seeds the session for this config's key.
    pub(crate) fn set_session(&self, session: wit::Session) -> Result<(), Error> {
        let config = self.configured()?;
        let ep = Endpoint::new(
            &session.instance_url,
            &self.cfg.api_version,
            &session.access_token,
        )?;
        self.store(ep, config, session.obtained_at_ms);
        Ok(())
    }

    /// Gets a new token with the refresh credentials and stores it in the session.
    /// Sends nothing else: a failed refresh leaves no request with an empty token.
    fn refresh(&self) -> Result<Endpoint, Error> {
        let creds = self.credentials().ok_or_else(|| {
            Error::SessionExpired(
                "no refresh token, client id and client secret to renew it".into(),
            )
        })?;
        let req = protocol::token_request(&creds)?;
        let resp = transport::send(req, self.timeouts, MAX_CONTROL_BYTES)?;
        let grant = protocol::parse_token_response(&resp)?;
        let ep = Endpoint::new(
            &grant.instance_url,
            &self.cfg.api_version,
            &grant.access_token,
        )?;
        let obtained = grant
            .issued_at_ms
            .filter(|t| *t <= now_ms())
            .unwrap_or_else(now_ms);
        self.store(ep.clone(), self.configured()?, obtained);
        Ok(ep)
    }

    /// Sends the request `build` makes for the session's endpoint; see the module doc.
    pub(crate) fn call(
        &self,
        replay: Replay<'_>,
        limit: usize,
        // `dyn`, not generic: one copy of the retry loop for every operation (a generic one
        // was monomorphized per closure, ~9 KB of the component).
        build: &dyn Fn(&Endpoint) -> Result<http::Request<Vec<u8>>, Error>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let sent = self.attempts::<std::convert::Infallible>(replay, &|ep| {
            let req = build(ep)?;
            Ok(transport::send(req, self.timeouts, limit).map(Sent::Reply))
        })?;
        match sent {
            Sent::Reply(resp) => Ok(resp),
            Sent::Done(never) => match never {},
        }
    }

    /// The loop behind every request: `send` makes one attempt for an endpoint and either
    /// finishes (`Done`) or hands back a reply to judge. An expired session is renewed once
    /// and the attempt repeated; retryable replies and failures are retried by the policy;
    /// a non-idempotent request whose outcome is unknown is never repeated.
    fn attempts<T>(
        &self,
        replay: Replay<'_>,
        send: &dyn Fn(&Endpoint) -> Result<Result<Sent<T>, transport::SendFailure>, Error>,
    ) -> Result<Sent<T>, Error> {
        let start = Instant::now();
        let mut ep = self.endpoint()?;
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (retry_after, failure) = match send(&ep)? {
                Ok(Sent::Done(v)) => return Ok(Sent::Done(v)),
                Ok(Sent::Reply(resp)) => {
                    if protocol::is_session_expired(&resp) {
                        if renewed {
                            return Err(Error::SessionExpired(
                                "the session was renewed but salesforce still refuses it".into(),
                            ));
                        }
                        if self.credentials().is_none() {
                            return Ok(Sent::Reply(resp));
                        }
                        // One token request, then the same request once more.
                        ep = self.refresh()?;
                        renewed = true;
                        attempt -= 1;
                        continue;
                    }
                    let status = resp.status().as_u16();
                    if !backoff::retryable_status(status) {
                        return Ok(Sent::Reply(resp));
                    }
                    if let Replay::Never(what) = replay
                        && !backoff::refused_before_processing(status)
                    {
                        return Err(Error::OutcomeUnknown(format!(
                            "{what}: salesforce answered http {status}, so it is unknown whether it was done; not sent again"
                        )));
                    }
                    let retry_after = resp
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(backoff::parse_retry_after);
                    (retry_after, Ok(resp))
                }
                Err(f) => {
                    if let (Replay::Never(what), true) = (replay, f.maybe_sent) {
                        return Err(Error::OutcomeUnknown(format!(
                            "{what}: the request was sent but the reply was lost ({}); not sent again",
                            f.error
                        )));
                    }
                    (None, Err(f.error))
                }
            };
            let wait = self.retry.next_delay(
                attempt,
                start.elapsed(),
                retry_after,
                backoff::clock_jitter(),
            );
            match (wait, failure) {
                (Some(d), _) => std::thread::sleep(d),
                (None, Ok(resp)) => return Ok(Sent::Reply(resp)),
                (None, Err(e)) => return Err(e),
            }
        }
    }

    /// Polls until the batches are final; see `wait-for-batches`.
    pub(crate) fn wait_for_batches(
        &self,
        job_id: &str,
        batch_ids: &[String],
        poll: PollPolicy,
    ) -> Result<Vec<model::BatchInfo>, Error> {
        protocol::validate_id("job id", job_id)?;
        for id in batch_ids {
            protocol::validate_id("batch id", id)?;
        }
        let start = Instant::now();
        let mut polls = 0u32;
        loop {
            let all = self.list_batches(job_id)?;
            let watched: Vec<model::BatchInfo> = if batch_ids.is_empty() {
                all
            } else {
                let mut picked = Vec::with_capacity(batch_ids.len());
                for id in batch_ids {
                    let found = all.iter().find(|b| &b.id == id).cloned().ok_or_else(|| {
                        Error::invalid(format!("batch {id} is not a batch of job {job_id}"))
                    })?;
                    picked.push(found);
                }
                picked
            };
            let pending: Vec<String> = watched
                .iter()
                .filter(|b| !b.state.as_ref().is_some_and(model::BatchState::is_final))
                .map(|b| b.id.clone())
                .collect();
            if pending.is_empty() {
                return Ok(watched);
            }
            match poll.next_wait(polls, start.elapsed(), backoff::clock_jitter()) {
                Some(d) => std::thread::sleep(d),
                None => {
                    return Err(Error::StillRunning {
                        job_id: job_id.to_string(),
                        pending,
                    });
                }
            }
            polls += 1;
        }
    }

    // ---- the operations, on core types ----

    pub(crate) fn create_job(&self, request: &model::JobRequest) -> Result<model::JobInfo, Error> {
        let what = format!("create-job for {}", request.object);
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            protocol::create_job(ep, request)
        })?;
        let job = protocol::parse_job_info(&resp)?;
        remember_job(&job);
        Ok(job)
    }

    pub(crate) fn update_job(
        &self,
        job_id: &str,
        state: model::JobStateChange,
    ) -> Result<model::JobInfo, Error> {
        protocol::validate_id("job id", job_id)?;
        let known = JOBS.with(|j| j.borrow().get(job_id).map(|k| k.0.clone()));
        let fmt = protocol::doc_format(known.as_ref());
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::update_job(ep, job_id, state, fmt)
        })?;
        protocol::parse_job_info(&resp)
    }

    pub(crate) fn get_job(&self, job_id: &str) -> Result<model::JobInfo, Error> {
        protocol::validate_id("job id", job_id)?;
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::get_job(ep, job_id)
        })?;
        let job = protocol::parse_job_info(&resp)?;
        remember_job(&job);
        Ok(job)
    }

    /// The content type and operation of a job: remembered, or read with get-job.
    pub(crate) fn job_kind(&self, job_id: &str) -> Result<(ContentType, Option<Operation>), Error> {
        protocol::validate_id("job id", job_id)?;
        if let Some(k) = JOBS.with(|j| j.borrow().get(job_id).cloned()) {
            return Ok(k);
        }
        let job = self.get_job(job_id)?;
        Ok((job.content_type.unwrap_or(ContentType::Xml), job.operation))
    }

    /// Adds a batch whose body is already checked against the job.
    pub(crate) fn post_batch(
        &self,
        job_id: &str,
        body: &BatchBody,
    ) -> Result<model::BatchInfo, Error> {
        let what = format!("add-batch to job {job_id}");
        let resp = self.call(Replay::Never(&what), MAX_CONTROL_BYTES, &|ep| {
            protocol::add_batch(ep, job_id, body.clone())
        })?;
        protocol::parse_batch_info(&resp)
    }

    pub(crate) fn add_batch(
        &self,
        job_id: &str,
        content: BatchContent,
    ) -> Result<model::BatchInfo, Error> {
        let (ct, op) = self.job_kind(job_id)?;
        let body = protocol::batch_body(content, &ct, op.as_ref())?;
        self.post_batch(job_id, &body)
    }

    pub(crate) fn get_batch(
        &self,
        job_id: &str,
        batch_id: &str,
    ) -> Result<model::BatchInfo, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::get_batch(ep, job_id, batch_id)
        })?;
        protocol::parse_batch_info(&resp)
    }

    pub(crate) fn list_batches(&self, job_id: &str) -> Result<Vec<model::BatchInfo>, Error> {
        let resp = self.call(Replay::Idempotent, MAX_CONTROL_BYTES, &|ep| {
            protocol::list_batches(ep, job_id)
        })?;
        protocol::parse_batch_list(&resp)
    }

    pub(crate) fn batch_results(
        &self,
        job_id: &str,
        batch_id: &str,
    ) -> Result<BatchResults, Error> {
        let resp = self.call(Replay::Idempotent, MAX_FILE_BYTES, &|ep| {
            protocol::get_batch_results(ep, job_id, batch_id)
        })?;
        protocol::parse_batch_results(&resp)
    }

    pub(crate) fn batch_request(&self, job_id: &str, batch_id: &str) -> Result<Vec<u8>, Error> {
        let resp = self.call(Replay::Idempotent, MAX_FILE_BYTES, &|ep| {
            protocol::get_batch_request(ep, job_id, batch_id)
        })?;
        protocol::parse_bytes(resp)
    }

    pub(crate) fn query_result(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<Vec<u8>, Error> {
        let resp = self.call(Replay::Idempotent, MAX_FILE_BYTES, &|ep| {
            protocol::get_query_result(ep, job_id, batch_id, result_id)
        })?;
        protocol::parse_bytes(resp)
    }

    /// Opens a result file for streaming, with the retries and renewal of any GET.
    pub(crate) fn open_query_result(
        &self,
        job_id: &str,
        batch_id: &str,
        result_id: &str,
    ) -> Result<transport::OpenResponse, Error> {
        let sent = self.attempts(Replay::Idempotent, &|ep| {
            let req = protocol::get_query_result(ep, job_id, batch_id, result_id)?;
            Ok(transport::open(req, self.timeouts).and_then(|open| {
                if open.head.status().is_success() {
                    Ok(Sent::Done(open))
                } else {
                    // Not a file: the (small) error reply is judged like any other.
                    open.read_all(MAX_CONTROL_BYTES).map(Sent::Reply)
                }
            }))
        })?;
        match sent {
            Sent::Done(open) => Ok(open),
            Sent::Reply(resp) => Err(protocol::success_body(&resp)
                .err()
                .unwrap_or_else(|| Error::Transport("unexpected reply".into()))),
        }
    }
}

pub(crate) fn remember_job(job: &model::JobInfo) {
    if let Some(ct) = &job.content_type {
        JOBS.with(|j| {
            j.borrow_mut()
                .insert(job.id.clone(), (ct.clone(), job.operation.clone()))
        });
    }
}

/// The poll policy of wait options.
pub(crate) fn poll_policy(options: Option<&wit::WaitOptions>) -> PollPolicy {
    let mut p = PollPolicy::default();
    if let Some(o) = options {
        if let Some(ms) = o.first_interval_ms {
            p.first = Duration::from_millis(ms.into());
        }
        if let Some(ms) = o.max_interval_ms {
            p.max = Duration::from_millis(ms.into());
        }
        p.timeout = o.timeout_ms.map(Duration::from_millis);
    }
    p.max = p.max.max(p.first);
    p
}
