//! The host's outbound HTTP: the wasi:http sender of every component instance.
//!
//! - **Pooling**: one hyper-util (legacy) [`Client`] per [`Network`]; HTTP/1.1 connections are
//!   kept alive and reused per scheme and host, idle ones closed after [`IDLE_TIMEOUT`].
//!   With a cap per host, requests take turns in the order they were sent (`gate`).
//! - **TLS**: rustls (ring) trusting the system's roots (rustls-native-certs), Mozilla's
//!   bundled roots as the fallback (webpki-roots), and the extra roots of a PEM file
//!   ([`NetConfig::ca_file`]: `--ca-file` / `SSL_CERT_FILE`).
//! - **Proxy**: `https://` requests go through an HTTP proxy in a `CONNECT` tunnel (Basic
//!   credentials from the proxy URL) unless `NO_PROXY` says otherwise; `http://` never does.
//! - **Timeouts**: the request options the component sets — connect, first byte (after the
//!   connection is ready), between bytes of the reply body.
//!
//! # Errors the component sees
//!
//! wasi:http's `error-code` carries text only in a few cases, so failures before the
//! request was sent (it is then safe to send again) come as:
//! - the name does not resolve: `DNS-error` with the sentence in `rcode`;
//! - the TLS handshake failed (certificate not trusted, expired, not valid for the name, an
//!   alert): `TLS-alert-received` with the alert sent or received and the sentence in
//!   `alert-message`;
//! - the connect timeout: `connection-timeout`;
//! - TCP or the proxy failed (refused, unreachable, `407`, another status): `internal-error`
//!   with a sentence that starts with [`NOT_SENT`].
//!
//! Every sentence names the host (or the proxy, never its credentials). The component
//! (`src/wasi_http.rs`) counts these as never sent and shows the sentence.

mod ahead;
#[cfg(test)]
mod ahead_tests;
mod connect;
mod gate;
mod gunzip;
#[cfg(test)]
mod order_tests;
pub mod proxy;
mod roots;
#[cfg(test)]
mod test_server;
mod timing;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, WasiHttpHooks};

use connect::{ConnectError, Connector, ConnectorConfig};
pub use proxy::{NoProxy, ProxySettings, ProxyUrl};
use timing::RequestTiming;

/// Idle pooled connections are closed after this long (well inside the idle timeouts of
/// Salesforce's and common proxies' keep-alive).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How an `internal-error` text starts when the request was never sent (the component's
/// `src/wasi_http.rs` reads the same words).
pub const NOT_SENT: &str = "not sent: ";

/// wasi:http's default when a request sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How the host reaches the network.
#[derive(Debug, Clone, Default)]
pub struct NetConfig {
    /// A PEM file of extra trusted roots (added to the system's).
    pub ca_file: Option<PathBuf>,
    /// The proxy and the destinations that bypass it.
    pub proxies: ProxySettings,
    /// Said after "not trusted": how this program's user adds a root. Default: `SSL_CERT_FILE
    /// adds a trusted root certificate (PEM)`.
    pub trust_hint: Option<String>,
    /// Connections open to one host at once, at most (`None`: no limit). The sfbulk
    /// command line sets its `--concurrency` plus one. Requests to the host are then in
    /// flight as many at once at most, the others served in the order they were sent
    /// (`gate`).
    pub max_connections_per_host: Option<usize>,
}

impl NetConfig {
    /// From this process's environment: `SSL_CERT_FILE`, `https_proxy`/`HTTPS_PROXY`,
    /// `no_proxy`/`NO_PROXY` (lowercase wins).
    pub fn from_env() -> Result<NetConfig, String> {
        NetConfig::from_vars(None, None, |name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// From explicit settings (a command line's `--ca-file`, `--proxy`), else the variables
    /// `var` reads.
    pub fn from_vars(
        ca_file: Option<PathBuf>,
        proxy: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<NetConfig, String> {
        let ca_file = ca_file.or_else(|| {
            var("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        Ok(NetConfig {
            ca_file,
            proxies: ProxySettings::resolve(proxy, &var)?,
            trust_hint: None,
            max_connections_per_host: None,
        })
    }
}

/// What a [`Network`] did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetStats {
    /// Connections opened (TCP, and TLS when `https://`).
    pub connections: usize,
    /// Requests handed to the pool.
    pub requests: usize,
    /// The most connections that were open at once.
    pub most_open: usize,
    /// The most requests in flight at once: sent, and their reply body not yet dropped by
    /// the component (a body opened ahead and not read yet counts).
    pub most_in_flight: usize,
}

/// A pooled HTTP client for component instances; clones share the pool. Connections belong to
/// the tokio runtime that opened them: use one `Network` per runtime.
#[derive(Clone)]
pub struct Network {
    inner: Arc<NetInner>,
}

struct NetInner {
    client: Client<Connector, wasmtime_wasi_http::WasiBody>,
    connector: Arc<ConnectorConfig>,
    /// With a connection cap, the requests' turns per host, in the order they were sent.
    gates: Option<gate::Gates>,
    requests: AtomicUsize,
    /// Requests whose reply body is still held by the component, and the most at once.
    in_flight: Arc<AtomicUsize>,
    most_in_flight: AtomicUsize,
}

/// A request counted in flight until its reply body is dropped (or it failed).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("proxies", &self.inner.connector.proxies)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Network {
    /// A network with `cfg`'s roots and proxy. The error says what is wrong with the CA file.
    pub fn new(cfg: &NetConfig) -> Result<Network, String> {
        Network::build(cfg, true)
    }

    /// As [`Network::new`], but a new connection for every request (for measurements).
    pub fn without_reuse(cfg: &NetConfig) -> Result<Network, String> {
        Network::build(cfg, false)
    }

    fn build(cfg: &NetConfig, reuse: bool) -> Result<Network, String> {
        // A CA file is read and checked now (its errors are the caller's to see). The TLS
        // config, with the system's roots, is made when the first `https://` connection
        // opens: reading the system's store (~300 files here) costs ~20 M instructions,
        // which a run that only talks `http://` to loopback does not need. Networks without
        // a CA file share one.
        let tls = match &cfg.ca_file {
            None => connect::Tls::System,
            Some(path) => connect::Tls::Extra {
                certs: roots::read_ca_file(path)?,
                config: std::sync::OnceLock::new(),
            },
        };
        let connector = Arc::new(ConnectorConfig {
            tls,
            proxies: cfg.proxies.clone(),
            trust_hint: cfg.trust_hint.clone().unwrap_or_else(|| {
                "SSL_CERT_FILE adds a trusted root certificate (PEM)".to_string()
            }),
            opened: AtomicUsize::new(0),
            per_host: cfg.max_connections_per_host.map(|n| n.max(1)),
            slots: std::sync::Mutex::default(),
            open_now: Arc::default(),
            most_open: Arc::default(),
            ahead: ahead::Ahead::default(),
        });
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT);
        if !reuse {
            builder.pool_max_idle_per_host(0);
        }
        let client = builder.build(Connector(Arc::clone(&connector)));
        Ok(Network {
            inner: Arc::new(NetInner {
                client,
                gates: connector.per_host.map(gate::Gates::new),
                connector,
                requests: AtomicUsize::new(0),
                in_flight: Arc::default(),
                most_in_flight: AtomicUsize::new(0),
            }),
        })
    }

    /// From this process's environment ([`NetConfig::from_env`]).
    pub fn from_env() -> Result<Network, String> {
        Network::new(&NetConfig::from_env()?)
    }

    /// Opens up to `n` connections to the host of `base` (a URL) now, ahead of the requests
    /// that will take them: a whole job that knows it will run `n + 1` transfers at once asks
    /// for them while it is being set up, so that no transfer waits for its connection's
    /// handshakes (see `ahead`). Never more than the per-host cap has free slots for; each
    /// within `connect_timeout`. A connection no request takes within [`IDLE_TIMEOUT`] is
    /// closed; one that fails to open is forgotten (the request opens its own). Must be
    /// called inside the network's tokio runtime. A `base` that is not a URL opens nothing.
    pub fn open_ahead(&self, base: &str, n: usize, connect_timeout: Duration) {
        self.open_ahead_for(base, n, connect_timeout, IDLE_TIMEOUT);
    }

    /// [`Network::open_ahead`], closing those not taken within `idle`.
    pub(crate) fn open_ahead_for(
        &self,
        base: &str,
        n: usize,
        connect_timeout: Duration,
        idle: Duration,
    ) {
        let Ok(uri) = base.parse::<http::Uri>() else {
            return;
        };
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return;
        };
        let Ok(dst) = http::Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()
        else {
            return;
        };
        connect::open_ahead(&self.inner.connector, &dst, n, connect_timeout, idle);
    }

    /// Connections opened and requests sent so far.
    pub fn stats(&self) -> NetStats {
        NetStats {
            connections: connect::opened(&self.inner.connector),
            requests: self.inner.requests.load(Ordering::Relaxed),
            most_open: self.inner.connector.most_open.load(Ordering::Relaxed),
            most_in_flight: self.inner.most_in_flight.load(Ordering::Relaxed),
        }
    }

    /// Sends one request of a component, when its `ticket`'s turn comes, and returns the
    /// reply with its body to stream.
    async fn send(
        self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        ticket: Option<gate::Ticket>,
    ) -> Result<http::Response<wasmtime_wasi_http::WasiBody>, Error> {
        let turn = match ticket {
            Some(ticket) => Some(ticket.turn().await),
            None => None,
        };
        let opt = |f: fn(&wasmtime_wasi_http::RequestOptions) -> Option<Duration>| {
            options.as_ref().and_then(f).unwrap_or(DEFAULT_TIMEOUT)
        };
        let connect = opt(|o| o.connect_timeout);
        let first_byte = opt(|o| o.first_byte_timeout);
        let between_bytes = opt(|o| o.between_bytes_timeout).max(Duration::from_nanos(1));
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.inner.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.inner.most_in_flight.fetch_max(now, Ordering::Relaxed);
        let in_flight = InFlight(Arc::clone(&self.inner.in_flight));
        let timing = RequestTiming::new(connect);
        let response = timing
            .first_byte(first_byte, self.inner.client.request(request))
            .await
            .ok_or(Error::ConnectionReadTimeout)?
            .map_err(client_error)?;
        let (mut head, incoming) = response.into_parts();
        let body = BetweenBytes {
            incoming,
            timeout: between_bytes,
            timer: None,
            _in_flight: in_flight,
            _turn: turn,
        };
        // Gzip is decoded here, natively (see `gunzip`).
        let body = if gunzip::is_gzip(&head.headers) {
            gunzip::plain_headers(&mut head.headers);
            gunzip::Gunzip::new(body).boxed_unsync()
        } else {
            body.boxed_unsync()
        };
        Ok(http::Response::from_parts(head, body))
    }
}

/// The TLS client config of the system's roots, shared by every network without a CA file;
/// made on first use.
pub(crate) fn system_tls() -> Arc<rustls::ClientConfig> {
    static SYSTEM_ONLY: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    Arc::clone(SYSTEM_ONLY.get_or_init(|| tls_config(&[])))
}

/// A TLS client config trusting the system's roots and `extra` ([`roots::read_ca_file`]).
pub(crate) fn tls_config(
    extra: &[rustls_pki_types::CertificateDer<'static>],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots::trusted_roots(extra))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(tls)
}

/// The wasi:http hooks of a store: requests go to its [`Network`].
pub struct NetHooks {
    network: Network,
}

impl NetHooks {
    /// Hooks sending through `network`.
    pub fn new(network: Network) -> NetHooks {
        NetHooks { network }
    }

    /// The network the hooks send through.
    pub fn network(&self) -> &Network {
        &self.network
    }
}

impl WasiHttpHooks for NetHooks {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn Future<Output = Result<(), Error>> + Send>,
                    ),
                    Error,
                >,
            > + Send,
    > {
        drop(fut);
        let network = self.network.clone();
        // The turn is asked for now, in the order the component sends its requests.
        let ticket = network.inner.gates.as_ref().map(|g| g.enter(request.uri()));
        Box::new(async move {
            let response = network.send(request, options, ticket).await?;
            // The pool drives the connection: nothing more to wait for.
            let io: Box<dyn Future<Output = Result<(), Error>> + Send> = Box::new(async { Ok(()) });
            Ok((response, io))
        })
    }
}

/// A reply body that fails when no bytes come for `timeout` (as wasi:http's default sender).
struct BetweenBytes {
    _in_flight: InFlight,
    /// The request's turn to its host, given back with the body.
    _turn: Option<gate::Turn>,
    incoming: hyper::body::Incoming,
    timeout: Duration,
    timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl hyper::body::Body for BetweenBytes {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(frame))) => {
                this.timer = None;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(body_error(&e)))),
            Poll::Pending => {
                let timeout = this.timeout;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.incoming.size_hint()
    }
}

/// An error of the pooled client, as wasi:http's error.
fn client_error(e: hyper_util::client::legacy::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(c) = s.downcast_ref::<ConnectError>() {
            return Error::from(connect_error_code(c));
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            return body_error(h);
        }
        source = s.source();
    }
    Error::InternalError(Some(e.to_string()))
}

/// A connection failure as a wasi:http error code (see the module's doc).
fn connect_error_code(e: &ConnectError) -> ErrorCode {
    use wasmtime_wasi_http::p2::bindings::http::types::{DnsErrorPayload, TlsAlertReceivedPayload};
    match e {
        ConnectError::Dns(m) => ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some(m.clone()),
            info_code: None,
        }),
        ConnectError::Timeout => ErrorCode::ConnectionTimeout,
        ConnectError::Tls { alert, message } => {
            ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                alert_id: *alert,
                alert_message: Some(message.clone()),
            })
        }
        ConnectError::Connect(m) => ErrorCode::InternalError(Some(format!("{NOT_SENT}{m}"))),
    }
}

/// A failure after the connection was there: the request may have been sent.
fn body_error(e: &hyper::Error) -> Error {
    if e.is_timeout() {
        Error::HttpResponseTimeout
    } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        Error::ConnectionTerminated
    } else if e.is_parse() || e.is_parse_status() {
        Error::HttpProtocolError
    } else {
        Error::InternalError(Some(e.to_string()))
    }
}
