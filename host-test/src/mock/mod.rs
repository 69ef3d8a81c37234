//! A mock of the Salesforce Bulk API 1.0 (`/services/async/{version}/…`), the OAuth 2.0
//! refresh-token endpoint (`/services/oauth2/token`) and the REST `limits` resource, served over
//! real HTTP on 127.0.0.1.
//!
//! The wire protocol follows `docs/bulk-api-v1.md`: XML control documents (schema order, default
//! namespace, XML declaration) for CSV/XML jobs, JSON for JSON jobs, `400` + `<error>` bodies,
//! `201` for created jobs and batches, batches that move `Queued → InProgress → Completed/Failed`
//! on their own after [`MockConfig::processing_delay`], an in-memory object store for the ingest
//! operations, a small SOQL engine for query batches, PK chunking and ZIP uploads.
//!
//! Deterministic choices where the real service cannot be reproduced:
//!
//! * **Unknown fields and objects.** A field (CSV header, XML element, JSON key, SOQL field) is
//!   unknown when it is not a syntactically valid API name (`[A-Za-z][A-Za-z0-9_]*`, optionally
//!   `Rel.Field` or `Type:Rel.Field`), or when one of its parts contains `bogus` or starts with
//!   `unknown` (case-insensitive). The same rule applies to object names. An unknown CSV header
//!   fails the whole batch (`InvalidBatch : Field name not found : X`); an unknown XML/JSON field
//!   fails that record (`INVALID_FIELD`). A UTF-8 BOM before the CSV header makes the first
//!   header unknown, as on the real service.
//! * **Required fields** on create: Account `Name`, Contact `LastName`, Lead `LastName` and
//!   `Company`, Opportunity `Name`, `StageName` and `CloseDate`, Attachment `Name` and `ParentId`.
//! * **Record ids** carry the object's key prefix (`001` Account, `003` Contact, `00Q` Lead,
//!   `006` Opportunity, `500` Case, `00P` Attachment, `a00` anything else) and grow with every
//!   insert, so ordering by `Id` is insertion order.
//! * **Batch timing.** A batch is `Queued` for the first third of the processing delay, then
//!   `InProgress`, then finishes; the store changes at the moment it finishes. Serial jobs run
//!   their batches one after another.

mod batches;
mod ingest;
mod jobs;
mod model;
mod oauth;
mod process;
mod query;
mod router;
mod server;
mod soql;
mod store;
mod wire;
mod xml;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use model::State;

/// Session id the peer scripts in `peer-scripts/` send (`00DFAKE!SESSIONTOKEN`).
pub const PEER_SESSION_TOKEN: &str = "00DFAKE!SESSIONTOKEN";

/// Settings of a mock server; every field can be changed before [`MockServer::start`].
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Time a batch stays `Queued`/`InProgress` before it finishes (`Queued` for the first third).
    pub processing_delay: Duration,
    /// Maximum rows per query result file; more rows give several result ids.
    pub result_file_rows: usize,
    /// Accepted `X-SFDC-Session` values.
    pub access_tokens: Vec<String>,
    /// Accepted OAuth refresh tokens.
    pub refresh_tokens: Vec<String>,
    /// Accepted OAuth client id.
    pub client_id: String,
    /// Accepted OAuth client secret.
    pub client_secret: String,
    /// Number of `Account` rows (`Name` = `Seed Account 0001`, …) present at start.
    pub seed_accounts: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            processing_delay: Duration::from_millis(50),
            result_file_rows: 100_000,
            access_tokens: vec!["00DMOCK!mock-access-token".into()],
            refresh_tokens: vec!["mock-refresh-token".into()],
            client_id: "mock-client-id".into(),
            client_secret: "mock-client-secret".into(),
            seed_accounts: 0,
        }
    }
}

impl MockConfig {
    /// The configuration of a stand-alone mock (`sfbulk mock-server`, the `mock_server`
    /// example): the defaults plus 1000 seeded accounts and the peer scripts' session id
    /// [`PEER_SESSION_TOKEN`], so `run_peers.sh` can run against it.
    #[must_use]
    pub fn standalone() -> Self {
        let mut cfg = MockConfig {
            seed_accounts: 1000,
            ..MockConfig::default()
        };
        cfg.access_tokens.push(PEER_SESSION_TOKEN.into());
        cfg
    }
}

/// One HTTP request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path including the query string, e.g. `/services/oauth2/token?grant_type=refresh_token`.
    pub path: String,
    /// Header names in lower case, values as sent (lossy UTF-8), in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as sent (after de-chunking, before any `Content-Encoding` decoding).
    pub body: Vec<u8>,
}

impl LoggedRequest {
    /// First value of a header (name matched case-insensitively).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Faults injected into the next requests, whatever their path.
#[derive(Debug, Default)]
struct Faults {
    fail: Option<FailFault>,
    delay: Option<(usize, Duration)>,
    reset: usize,
    reset_after: usize,
    truncate: usize,
}

#[derive(Debug, Clone, Copy)]
struct FailFault {
    remaining: usize,
    status: u16,
    retry_after_secs: Option<u32>,
}

/// What happens to one request because of injected faults.
#[derive(Debug, Default)]
struct Fault {
    delay: Option<Duration>,
    reset: bool,
    reset_after: bool,
    truncate: bool,
    fail: Option<(u16, Option<u32>)>,
}

/// State shared between the server thread and the [`MockServer`] handle.
struct Shared {
    state: Mutex<State>,
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<Faults>,
}

/// Locks a mutex, ignoring poisoning: a panicking handler must not take the mock down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn take_fault(&self) -> Fault {
        let mut faults = lock(&self.faults);
        let mut fault = Fault::default();
        if let Some((remaining, delay)) = faults.delay.as_mut() {
            fault.delay = Some(*delay);
            *remaining -= 1;
            if *remaining == 0 {
                faults.delay = None;
            }
        }
        if faults.reset > 0 {
            faults.reset -= 1;
            fault.reset = true;
            return fault;
        }
        if faults.reset_after > 0 {
            faults.reset_after -= 1;
            fault.reset_after = true;
            return fault;
        }
        if faults.truncate > 0 {
            faults.truncate -= 1;
            fault.truncate = true;
            return fault;
        }
        if let Some(fail) = faults.fail.as_mut() {
            fault.fail = Some((fail.status, fail.retry_after_secs));
            fail.remaining -= 1;
            if fail.remaining == 0 {
                faults.fail = None;
            }
        }
        fault
    }

    /// Runs `f` on the state after finishing every batch that is due by now.
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = lock(&self.state);
        state.advance(SystemTime::now());
        f(&mut state)
    }
}

/// A running mock server. Dropping it stops the server and joins its thread.
pub struct MockServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock on an ephemeral port of 127.0.0.1, on its own thread and tokio runtime
    /// (usable from sync code and from inside `#[tokio::test]`). Returns once it listens.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound or the thread cannot be started.
    #[must_use]
    pub fn start(cfg: MockConfig) -> MockServer {
        match MockServer::start_on(cfg, 0) {
            Ok(server) => server,
            Err(err) => panic!("cannot start the mock salesforce server: {err}"),
        }
    }

    /// Starts a mock on 127.0.0.1:`port` (`0` picks an ephemeral port).
    ///
    /// # Errors
    ///
    /// When the port cannot be bound or the server thread cannot be started.
    pub fn start_on(cfg: MockConfig, port: u16) -> io::Result<MockServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(&cfg, base_url(addr), SystemTime::now())),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Faults::default()),
        });
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("mock-salesforce-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("mock-salesforce-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            let _ = ready_tx.send(Ok(()));
                            server::serve(listener, server_shared, shutdown_rx).await;
                        }
                        Err(err) => {
                            let _ = ready_tx.send(Err(err));
                        }
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("mock server thread exited early")));
        let server = MockServer {
            shared,
            addr,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        ready.map(|()| server)
    }

    /// `http://127.0.0.1:PORT`: the instance URL (no trailing slash).
    #[must_use]
    pub fn url(&self) -> String {
        base_url(self.addr)
    }

    /// The port the server listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Number of requests received so far.
    #[must_use]
    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// The next `n` requests (any path) get `status` with an optional `Retry-After` header and
    /// leave the state untouched.
    pub fn fail_next(&self, n: usize, status: u16, retry_after_secs: Option<u32>) {
        lock(&self.shared.faults).fail = (n > 0).then_some(FailFault {
            remaining: n,
            status,
            retry_after_secs,
        });
    }

    /// The next `n` requests are answered only after `delay` (to exercise client timeouts).
    pub fn delay_next(&self, n: usize, delay: Duration) {
        lock(&self.shared.faults).delay = (n > 0).then_some((n, delay));
    }

    /// The next `n` requests get their connection closed without any response.
    pub fn reset_next(&self, n: usize) {
        lock(&self.shared.faults).reset = n;
    }

    /// The next `n` requests are processed (state changes happen), then their connection
    /// is closed without the reply: the client cannot know what happened.
    pub fn reset_after_processing_next(&self, n: usize) {
        lock(&self.shared.faults).reset_after = n;
    }

    /// The next `n` replies announce their full length but send only half of the body,
    /// then close the connection.
    pub fn truncate_next(&self, n: usize) {
        lock(&self.shared.faults).truncate = n;
    }

    /// The next `n` query batches (not PK-chunking parents or chunks) fail with
    /// `QUERY_TIMEOUT`, the trigger of tap-salesforce's PK-chunking fallback.
    pub fn query_timeout_next(&self, n: usize) {
        self.shared.with_state(|s| s.query_timeouts = n);
    }

    /// From now on `token` gets `400 InvalidSessionId` (and `401` on `/limits`).
    pub fn expire_access_token(&self, token: &str) {
        self.shared.with_state(|s| s.auth.expire(token));
    }

    /// From now on the refresh token gets `invalid_grant`.
    pub fn revoke_refresh_token(&self, token: &str) {
        self.shared.with_state(|s| s.auth.revoke_refresh(token));
    }

    /// Processing delay of batches added from now on.
    pub fn set_processing_delay(&self, delay: Duration) {
        self.shared
            .with_state(|s| s.settings.processing_delay = delay);
    }

    /// Maximum rows per query result file for batches finishing from now on (at least 1).
    pub fn set_result_file_rows(&self, n: usize) {
        self.shared
            .with_state(|s| s.settings.result_file_rows = n.max(1));
    }

    /// Inserts rows of `(field, value)` into `object` without validation; returns the new ids.
    pub fn insert_records(&self, object: &str, rows: Vec<Vec<(String, String)>>) -> Vec<String> {
        self.shared.with_state(|s| {
            let now = SystemTime::now();
            rows.into_iter()
                .map(|row| {
                    let fields = row.into_iter().map(|(name, value)| (name, Some(value)));
                    s.store.insert(object, fields, now)
                })
                .collect()
        })
    }

    /// Number of live (not deleted) rows of `object`.
    #[must_use]
    pub fn record_count(&self, object: &str) -> usize {
        self.shared.with_state(|s| s.store.live_count(object))
    }

    /// Live rows of `object`, ordered by id, each with `Id` and its non-null fields.
    #[must_use]
    pub fn records(&self, object: &str) -> Vec<BTreeMap<String, String>> {
        self.shared.with_state(|s| s.store.snapshot(object))
    }

    /// How many POSTs reached the OAuth token endpoint.
    #[must_use]
    pub fn token_requests(&self) -> usize {
        self.shared.with_state(|s| s.auth.token_requests)
    }

    /// Access tokens minted by the token endpoint, oldest first.
    #[must_use]
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.shared.with_state(|s| s.auth.issued.clone())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// Serves a mock on 127.0.0.1:`port` until the process ends. Prints
/// `mock salesforce listening on http://127.0.0.1:PORT` to stdout once it listens.
///
/// # Errors
///
/// When the port cannot be bound or stdout cannot be written; otherwise it never returns.
pub fn serve_forever(cfg: MockConfig, port: u16) -> io::Result<()> {
    serve_forever_with(cfg, port, |_| {})
}

/// [`serve_forever`], with a hook to set knobs (e.g. [`MockServer::query_timeout_next`]) on
/// the server before it is announced.
///
/// # Errors
///
/// As [`serve_forever`].
pub fn serve_forever_with(
    cfg: MockConfig,
    port: u16,
    setup: impl FnOnce(&MockServer),
) -> io::Result<()> {
    use std::io::Write as _;
    let server = MockServer::start_on(cfg, port)?;
    setup(&server);
    let mut stdout = io::stdout();
    writeln!(stdout, "mock salesforce listening on {}", server.url())?;
    stdout.flush()?;
    loop {
        std::thread::park();
    }
}

fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
