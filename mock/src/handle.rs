//! The handle of a running mock: start and stop it, arm faults, read what it received and
//! counted, change its knobs.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::config::MockConfig;
use crate::counters::{Counters, FaultKind};
use crate::model::State;
use crate::server;
use crate::shared::{LoggedRequest, Shared};
use crate::tls::{Listener, TlsIdentity};
use crate::wan::{self, WanCounters};
use crate::wan_link::WanLink;

/// A running mock server. Dropping it stops the server and joins its thread.
pub struct MockServer {
    pub(crate) shared: Arc<Shared>,
    /// Where clients connect: the WAN front when there is one, else the server.
    addr: SocketAddr,
    /// The server itself (the same as `addr` without a WAN).
    pub(crate) direct_addr: SocketAddr,
    /// The simulated WAN in front, if any.
    pub(crate) wan: Option<WanLink>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Plain or TLS; counts connections (`tls.rs`).
    pub(crate) listener: Arc<Listener>,
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
        MockServer::start_listening(cfg, port, Listener::plain())
    }

    /// Starts a mock whose connections `accepting` takes (plain HTTP or TLS).
    pub(crate) fn start_listening(
        cfg: MockConfig,
        port: u16,
        accepting: Arc<Listener>,
    ) -> io::Result<MockServer> {
        // With a WAN the server listens on an ephemeral port behind the front, which takes
        // `port`.
        let front = match cfg.wan {
            Some(link) => Some((bound(port)?, link, Arc::new(WanCounters::default()))),
            None => None,
        };
        let listener = bound(if front.is_some() { 0 } else { port })?;
        let direct_addr = listener.local_addr()?;
        let addr = match &front {
            Some((public, _, _)) => public.local_addr()?,
            None => direct_addr,
        };
        let shared = Arc::new(Shared::new(
            State::new(&cfg, accepting.url(addr), SystemTime::now()),
            cfg.gzip_replies,
            front.as_ref().map(|(_, _, counters)| Arc::clone(counters)),
        ));
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let server_shared = Arc::clone(&shared);
        let server_accepting = Arc::clone(&accepting);
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
                    if let Some((public, link, counters)) = front {
                        match tokio::net::TcpListener::from_std(public) {
                            Ok(public) => {
                                tokio::spawn(wan::front(public, direct_addr, link, counters));
                            }
                            Err(err) => {
                                let _ = ready_tx.send(Err(err));
                                return;
                            }
                        }
                    }
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            let _ = ready_tx.send(Ok(()));
                            server::serve(listener, server_shared, shutdown_rx, server_accepting)
                                .await;
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
            direct_addr,
            wan: cfg.wan,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            listener: accepting,
        };
        ready.map(|()| server)
    }

    /// `http://127.0.0.1:PORT` (`https://HOST:PORT` over TLS): the instance URL (no
    /// trailing slash).
    #[must_use]
    pub fn url(&self) -> String {
        self.listener.url(self.addr)
    }

    /// The port the server listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log().clone()
    }

    /// Number of requests received so far.
    #[must_use]
    pub fn request_count(&self) -> usize {
        self.shared.log().len()
    }

    /// Forgets the logged requests (the [`Counters`] keep counting).
    pub fn clear_requests(&self) {
        self.shared.log().clear();
    }

    /// What the mock did so far: faults injected and fired, token grants, batches stored,
    /// requests served per route.
    #[must_use]
    pub fn counters(&self) -> Counters {
        self.shared.with_state(|s, _| s.counters.clone())
    }

    /// The next `n` requests (any path) get `status` with an optional `Retry-After` header and
    /// leave the state untouched.
    pub fn fail_next(&self, n: usize, status: u16, retry_after_secs: Option<u32>) {
        self.shared.arm(FaultKind::Status, n, |plan| {
            plan.fail(n, status, retry_after_secs);
        });
    }

    /// The next `n` requests are answered only after `delay` (to exercise client timeouts).
    pub fn delay_next(&self, n: usize, delay: Duration) {
        self.shared
            .arm(FaultKind::Delay, n, |plan| plan.delay(n, delay));
    }

    /// The first request whose body (as sent) holds `needle` is answered only after `delay`,
    /// whichever order requests arrive in (e.g. one of several batches posted at once).
    pub fn delay_request_holding(&self, needle: &[u8], delay: Duration) {
        let needle = needle.to_vec();
        self.shared.arm(FaultKind::Delay, 1, |plan| {
            plan.delay_holding(needle, delay)
        });
    }

    /// The next `n` requests are never answered: their connection stays open, silent, until
    /// the client gives up or the mock stops (a timeout without a race against a delay).
    pub fn hang_next(&self, n: usize) {
        self.shared.arm(FaultKind::Hang, n, |plan| plan.hang(n));
    }

    /// The next `n` requests get their connection closed without any response.
    pub fn reset_next(&self, n: usize) {
        self.shared.arm(FaultKind::Reset, n, |plan| plan.reset(n));
    }

    /// The next `n` requests are processed (state changes happen), then their connection
    /// is closed without the reply: the client cannot know what happened.
    pub fn reset_after_processing_next(&self, n: usize) {
        self.shared.arm(FaultKind::ResetAfterProcessing, n, |plan| {
            plan.reset_after(n)
        });
    }

    /// The next `n` replies announce their full length but send only half of the body,
    /// then close the connection.
    pub fn truncate_next(&self, n: usize) {
        self.shared
            .arm(FaultKind::Truncate, n, |plan| plan.truncate(n));
    }

    /// The next `n` query batches (not PK-chunking parents or chunks) fail with
    /// `QUERY_TIMEOUT`, the trigger of tap-salesforce's PK-chunking fallback.
    pub fn query_timeout_next(&self, n: usize) {
        self.shared.with_state(|s, _| {
            s.query_timeouts = n;
            s.counters.note_injected(FaultKind::QueryTimeout, n);
        });
    }

    /// From now on `token` gets `400 InvalidSessionId` (and `401` on `/limits`).
    pub fn expire_access_token(&self, token: &str) {
        self.shared.with_state(|s, _| {
            s.auth.expire(token);
            s.counters.note_injected(FaultKind::ExpiredSession, 1);
        });
    }

    /// From now on the refresh token gets `invalid_grant`.
    pub fn revoke_refresh_token(&self, token: &str) {
        self.shared.with_state(|s, _| s.auth.revoke_refresh(token));
    }

    /// The connected app (the config's client id) accepts JWT bearer assertions signed with
    /// the private key of `public_key_pem` (PEM `PUBLIC KEY`, as its certificate holds it)
    /// for these pre-authorized `usernames`.
    ///
    /// # Panics
    /// When `public_key_pem` is not an RSA public key.
    pub fn register_jwt_key(&self, public_key_pem: &str, usernames: &[&str]) {
        use rsa::pkcs8::DecodePublicKey as _;
        let key = rsa::RsaPublicKey::from_public_key_pem(public_key_pem)
            .expect("an RSA public key in PEM");
        self.shared.with_state(|s, _| {
            s.auth.jwt_key = Some(key);
            s.auth.jwt_users = usernames.iter().map(|u| (*u).to_owned()).collect();
        });
    }

    /// From now on the client-credentials grant gets `invalid_grant` (no run-as user).
    pub fn disable_client_credentials(&self) {
        self.shared
            .with_state(|s, _| s.auth.client_credentials_off = true);
    }

    /// Processing delay of batches added from now on.
    pub fn set_processing_delay(&self, delay: Duration) {
        self.shared
            .with_state(|s, _| s.settings.processing_delay = delay);
    }

    /// Moves the mock's clock `by` ahead: batches that are due by the new time finish, and
    /// every later date the mock writes is that much later. Lets a test see `Queued`,
    /// `InProgress` and `Completed` in turn without sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.with_state(|s, _| s.clock_offset += by);
    }

    /// Maximum rows per query result file for batches finishing from now on (at least 1).
    pub fn set_result_file_rows(&self, n: usize) {
        self.shared
            .with_state(|s, _| s.settings.result_file_rows = n.max(1));
    }

    /// Inserts rows of `(field, value)` into `object` without validation; returns the new ids.
    pub fn insert_records(&self, object: &str, rows: Vec<Vec<(String, String)>>) -> Vec<String> {
        self.shared.with_state(|s, now| {
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
        self.shared.with_state(|s, _| s.store.live_count(object))
    }

    /// Live rows of `object`, ordered by id, each with `Id` and its non-null fields.
    #[must_use]
    pub fn records(&self, object: &str) -> Vec<BTreeMap<String, String>> {
        self.shared.with_state(|s, _| s.store.snapshot(object))
    }

    /// How many POSTs reached the OAuth token endpoint (granted or refused).
    #[must_use]
    pub fn token_requests(&self) -> usize {
        self.shared
            .with_state(|s, _| s.counters.token_grants() + s.counters.token_refusals())
    }

    /// Access tokens minted by the token endpoint, oldest first.
    #[must_use]
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.shared.with_state(|s, _| s.auth.issued.clone())
    }
}

/// Over TLS (`tls.rs`), and the connections accepted.
impl MockServer {
    /// Starts a mock over TLS on an ephemeral port of 127.0.0.1 with `identity`'s
    /// certificate; [`MockServer::url`] is `https://HOST:PORT`.
    ///
    /// # Panics
    ///
    /// When the certificate or key cannot be used, or no loopback port can be bound.
    #[must_use]
    pub fn start_tls(cfg: MockConfig, identity: &TlsIdentity) -> MockServer {
        match Listener::tls(identity).and_then(|l| MockServer::start_listening(cfg, 0, l)) {
            Ok(server) => server,
            Err(err) => panic!("cannot start the mock salesforce server over TLS: {err}"),
        }
    }

    /// TCP connections accepted so far (each TLS one counted before its handshake).
    #[must_use]
    pub fn connections(&self) -> usize {
        self.listener
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// TLS handshakes that failed (e.g. the client did not trust the certificate).
    #[must_use]
    pub fn tls_handshake_failures(&self) -> usize {
        self.listener
            .handshake_failures
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A non-blocking listener on 127.0.0.1:`port`.
fn bound(port: u16) -> io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
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
    if let Some(link) = server.wan_link() {
        writeln!(
            stdout,
            "simulated WAN: {}; the mock without it: {}",
            link.describe(),
            server.direct_url()
        )?;
    }
    stdout.flush()?;
    loop {
        std::thread::park();
    }
}
