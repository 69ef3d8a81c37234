//! Opening a connection for the pooled client: the destination's address (DNS), TCP, a
//! `CONNECT` tunnel through the proxy when one applies (hyper's client, with the upgrade it
//! hands back), then TLS (rustls) for `https://`. Every failure is a [`ConnectError`] that
//! names the host (or the proxy) and what went wrong; none of them sent the request.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::{AlertDescription, CertificateError};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ahead::Ahead;
use super::proxy::{ProxySettings, ProxyUrl, authority};
use super::timing::RequestTiming;

/// What the connector needs, shared by every connection of one network.
pub(crate) struct ConnectorConfig {
    pub(crate) tls: Tls,
    pub(crate) proxies: ProxySettings,
    /// Appended to "not trusted" errors: how to add a root (e.g. `--ca-file or SSL_CERT_FILE
    /// adds a root certificate`).
    pub(crate) trust_hint: String,
    /// Connections opened so far (for statistics and tests).
    pub(crate) opened: AtomicUsize,
    /// Connections open to one destination at most (`None`: no limit); a connection over
    /// the limit waits until one closes, while the pool hands the request an idle one.
    pub(crate) per_host: Option<usize>,
    /// The open connections' slots, per destination (`scheme://host:port`).
    pub(crate) slots: std::sync::Mutex<std::collections::HashMap<String, Arc<Semaphore>>>,
    /// Connections open now, and the most open at once.
    pub(crate) open_now: Arc<AtomicUsize>,
    pub(crate) most_open: Arc<AtomicUsize>,
    /// Connections opened ahead of the requests that will take them.
    pub(crate) ahead: Ahead<Conn>,
}

/// How the pool names `dst`'s destination: `scheme://host[:port]`.
pub(crate) fn destination(dst: &Uri) -> String {
    format!(
        "{}://{}",
        dst.scheme_str().unwrap_or(""),
        dst.authority().map_or("", |a| a.as_str())
    )
}

impl ConnectorConfig {
    /// The slots of `dst`'s destination.
    fn slots_for(&self, dst: &Uri, limit: usize) -> Arc<Semaphore> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            slots
                .entry(destination(dst))
                .or_insert_with(|| Arc::new(Semaphore::new(limit))),
        )
    }

    /// `conn`, open now, counted and holding `slot` until it closes.
    fn counted(&self, mut conn: Conn, slot: Option<OwnedSemaphorePermit>) -> Conn {
        self.opened.fetch_add(1, Ordering::Relaxed);
        let now = self.open_now.fetch_add(1, Ordering::Relaxed) + 1;
        self.most_open.fetch_max(now, Ordering::Relaxed);
        conn.1 = Some(Held {
            _slot: slot,
            open_now: Arc::clone(&self.open_now),
        });
        conn
    }
}

/// Opens up to `n` connections to `dst` ahead of the requests that will take them (see
/// `ahead`): as many as the per-host cap has free slots for, each within `limit`, closed
/// when not taken within `idle`.
pub(crate) fn open_ahead(
    cfg: &Arc<ConnectorConfig>,
    dst: &Uri,
    n: usize,
    limit: Duration,
    idle: Duration,
) {
    let key = destination(dst);
    let until = std::time::Instant::now() + idle;
    for _ in 0..n {
        let slot = match cfg.per_host {
            Some(cap) => match cfg.slots_for(dst, cap).try_acquire_owned() {
                Ok(slot) => Some(slot),
                Err(_) => break,
            },
            None => None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        cfg.ahead.push(key.clone(), rx, until);
        let (cfg, dst) = (Arc::clone(cfg), dst.clone());
        tokio::spawn(async move {
            if let Ok(Ok(conn)) = tokio::time::timeout(limit, connect(&cfg, &dst)).await {
                // Not taken by then: dropped with the receiver, which closes it.
                let _ = tx.send(cfg.counted(conn, slot));
            }
        });
    }
    let cfg = Arc::clone(cfg);
    tokio::spawn(async move {
        tokio::time::sleep(idle).await;
        cfg.ahead.expire(&key);
    });
}

/// What an open connection holds until it closes: its slot, and its place in the count.
pub(crate) struct Held {
    _slot: Option<OwnedSemaphorePermit>,
    open_now: Arc<AtomicUsize>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.open_now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The TLS config of a network's `https://` connections.
pub(crate) enum Tls {
    /// The system's roots only ([`super::system_tls`], made on first use).
    System,
    /// The system's roots and those of a CA file (read and checked when the network was
    /// made); the config made on first use.
    Extra {
        certs: Vec<rustls_pki_types::CertificateDer<'static>>,
        config: std::sync::OnceLock<Arc<rustls::ClientConfig>>,
    },
}

impl Tls {
    fn config(&self) -> Arc<rustls::ClientConfig> {
        match self {
            Tls::System => super::system_tls(),
            Tls::Extra { certs, config } => {
                Arc::clone(config.get_or_init(|| super::tls_config(certs)))
            }
        }
    }
}

/// The pooled client's connector (`tower_service::Service<Uri>`).
#[derive(Clone)]
pub(crate) struct Connector(pub(crate) Arc<ConnectorConfig>);

/// Why no connection could be opened. Nothing was sent.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The name does not resolve: the host (or proxy) and the resolver's error.
    Dns(String),
    /// TCP or the proxy failed: a sentence that names the host or the proxy.
    Connect(String),
    /// Connecting took longer than the request's connect timeout.
    Timeout,
    /// The TLS handshake failed: the alert sent or received, and a sentence that names the
    /// host and the problem.
    Tls { alert: Option<u8>, message: String },
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Dns(m) | ConnectError::Connect(m) => f.write_str(m),
            ConnectError::Tls { message, .. } => f.write_str(message),
            ConnectError::Timeout => f.write_str("connect timed out"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// A connection: TCP, maybe a tunnel, maybe TLS, behind one boxed stream.
pub(crate) struct Conn(TokioIo<Box<dyn Stream>>, Option<Held>);

pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        // A tunnel is not a forwarding proxy: requests keep the origin form.
        Connected::new()
    }
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        // The pooled client calls this while polling the request's future: the request's
        // timing (its connect timeout) is in scope here. A connection the client finishes in
        // the background keeps the timeout of the request that started it.
        let timing = RequestTiming::current();
        let cfg = Arc::clone(&self.0);
        Box::pin(async move {
            let limit = timing
                .as_ref()
                .map_or(Duration::from_secs(600), |t| t.connect_timeout());
            // A connection opened ahead first (it holds its slot already), within the
            // request's connect timeout.
            let asked = tokio::time::Instant::now();
            let waiting = timing.as_ref().map(|t| t.connecting());
            if let Ok(Some(conn)) =
                tokio::time::timeout(limit, cfg.ahead.take(&destination(&dst))).await
            {
                return Ok(conn);
            }
            drop(waiting);
            let left = limit.saturating_sub(asked.elapsed());
            // A slot (not counted against the connect timeout).
            let slot = match cfg.per_host {
                Some(n) => Some(
                    cfg.slots_for(&dst, n)
                        .acquire_owned()
                        .await
                        .map_err(|_| ConnectError::Connect(format!("{dst}: no connection slot")))?,
                ),
                None => None,
            };
            let _connecting = timing.as_ref().map(|t| t.connecting());
            let conn = tokio::time::timeout(left, connect(&cfg, &dst))
                .await
                .unwrap_or(Err(ConnectError::Timeout))?;
            Ok(cfg.counted(conn, slot))
        })
    }
}

/// Opens a connection to `dst` (`scheme://host[:port]`).
async fn connect(cfg: &ConnectorConfig, dst: &Uri) -> Result<Conn, ConnectError> {
    let https = dst.scheme_str() == Some("https");
    let host = dst
        .host()
        .ok_or_else(|| ConnectError::Connect(format!("no host in {dst}")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
    let target = authority(&host, port);
    let stream: Box<dyn Stream> = match cfg.proxies.for_destination(https, &host) {
        Some(proxy) => tunnel(proxy, &target).await?,
        None => Box::new(tcp(&host, port, &target, None).await?),
    };
    if !https {
        return Ok(Conn(TokioIo::new(stream), None));
    }
    let name = ServerName::try_from(host.clone())
        .map_err(|_| ConnectError::Connect(format!("{host:?} is not a valid TLS server name")))?;
    let tls = tokio_rustls::TlsConnector::from(cfg.tls.config())
        .connect(name, stream)
        .await
        .map_err(|e| tls_error(&target, &e, &cfg.trust_hint))?;
    Ok(Conn(TokioIo::new(Box::new(tls)), None))
}

/// A TCP connection to `host:port` (every address the name resolves to, in turn). `proxy`
/// names the proxy in errors when it is the proxy being reached.
async fn tcp(
    host: &str,
    port: u16,
    target: &str,
    proxy: Option<&ProxyUrl>,
) -> Result<TcpStream, ConnectError> {
    let what = match proxy {
        Some(p) => format!("the proxy {p}"),
        None => target.to_string(),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| ConnectError::Dns(format!("cannot resolve {what}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(ConnectError::Dns(format!(
            "cannot resolve {what}: no address"
        )));
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.map_or_else(|| "no address".to_string(), |e| e.to_string());
    Err(ConnectError::Connect(match proxy {
        Some(p) => format!("cannot connect to the proxy {p}: {e}"),
        None => format!("cannot connect to {target}: {e}"),
    }))
}

/// A `CONNECT target` tunnel through `proxy`, sent and answered by hyper's client; the
/// upgraded connection is the tunnel.
async fn tunnel(proxy: &ProxyUrl, target: &str) -> Result<Box<dyn Stream>, ConnectError> {
    let tcp = tcp(&proxy.host, proxy.port, &proxy.authority(), Some(proxy)).await?;
    let failed = |what: String| ConnectError::Connect(format!("the proxy {proxy} {what}"));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| failed(format!("failed: {e}")))?;
    tokio::spawn(conn.with_upgrades());
    let mut req = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(target)
        .header(http::header::HOST, target);
    if let Some(auth) = &proxy.authorization {
        req = req.header(http::header::PROXY_AUTHORIZATION, auth.clone());
    }
    let req = req
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| failed(format!("cannot be asked for a tunnel to {target}: {e}")))?;
    let resp = sender.send_request(req).await.map_err(|e| {
        failed(format!(
            "closed the connection when asked for a tunnel to {target}: {e}"
        ))
    })?;
    let status = resp.status();
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("");
        let why = if status == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            if proxy.has_credentials() {
                " (it refused the credentials of the proxy URL)"
            } else {
                " (give user:password@ in the proxy URL)"
            }
        } else {
            ""
        };
        return Err(failed(format!(
            "refused the tunnel to {target}: {} {reason}{why}",
            status.as_u16()
        )));
    }
    let upgraded = hyper::upgrade::on(resp)
        .await
        .map_err(|e| failed(format!("tunnel to {target} failed: {e}")))?;
    Ok(Box::new(TokioIo::new(upgraded)))
}

/// A failed TLS handshake with `target`, in words: which certificate problem (and how to
/// trust a root, for an unknown issuer), or the alert, or the I/O error.
fn tls_error(target: &str, e: &io::Error, trust_hint: &str) -> ConnectError {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return ConnectError::Tls {
            alert: None,
            message: format!("TLS handshake with {target} failed: {e}"),
        };
    };
    let cert = |alert: AlertDescription, what: String| ConnectError::Tls {
        alert: Some(u8::from(alert)),
        message: format!("the TLS certificate of {target} {what}"),
    };
    match tls {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => cert(
                AlertDescription::UnknownCA,
                format!("is not trusted (unknown issuer); {trust_hint}"),
            ),
            CertificateError::Expired => cert(
                AlertDescription::CertificateExpired,
                "has expired".to_string(),
            ),
            CertificateError::ExpiredContext { not_after, .. } => cert(
                AlertDescription::CertificateExpired,
                format!("has expired (valid until {})", date(not_after.as_secs())),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => cert(
                AlertDescription::CertificateExpired,
                "is not valid yet".to_string(),
            ),
            CertificateError::NotValidForName => cert(
                AlertDescription::BadCertificate,
                "is not valid for that name".to_string(),
            ),
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => {
                let expected = match expected {
                    ServerName::DnsName(d) => d.as_ref().to_string(),
                    ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
                    other => format!("{other:?}"),
                };
                cert(
                    AlertDescription::BadCertificate,
                    format!(
                        "is not valid for the name {expected} (it is for {})",
                        presented
                            .iter()
                            .map(|p| presented_name(p))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }
            // An issuer of the right name with another key (e.g. a re-made private CA).
            CertificateError::BadSignature => cert(
                AlertDescription::DecryptError,
                format!("is not trusted (its issuer's signature does not verify); {trust_hint}"),
            ),
            CertificateError::Revoked => cert(
                AlertDescription::CertificateRevoked,
                "is revoked".to_string(),
            ),
            other => cert(
                AlertDescription::BadCertificate,
                format!(
                    "is refused: {}",
                    rustls::Error::InvalidCertificate(other.clone())
                ),
            ),
        },
        rustls::Error::AlertReceived(alert) => ConnectError::Tls {
            alert: Some(u8::from(*alert)),
            message: format!(
                "TLS handshake with {target} failed: the server sent the alert {alert:?}"
            ),
        },
        other => ConnectError::Tls {
            alert: None,
            message: format!("TLS handshake with {target} failed: {other}"),
        },
    }
}

/// A name a certificate presents, as rustls lists it (`DnsName("a.example")`), bare.
fn presented_name(p: &str) -> &str {
    match p.split_once("(\"") {
        Some((_, rest)) => rest.strip_suffix("\")").unwrap_or(rest),
        None => p,
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time (the civil-from-days algorithm).
fn date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Counts connections, for [`super::Network::stats`].
pub(crate) fn opened(cfg: &ConnectorConfig) -> usize {
    cfg.opened.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn presented_names() {
        assert_eq!(
            super::presented_name("DnsName(\"wrong.example\")"),
            "wrong.example"
        );
        assert_eq!(
            super::presented_name("IpAddress(127.0.0.1)"),
            "IpAddress(127.0.0.1)"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::date(951_782_400 + 3_661), "2000-02-29 01:01:01 UTC");
        assert_eq!(super::date(1_709_251_199), "2024-02-29 23:59:59 UTC");
    }
}
