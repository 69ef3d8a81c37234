//! The mock over TLS (the same routes as over plain HTTP) and the connections it accepted.
//!
//! A test gives the certificate chain and key (PEM, e.g. made with rcgen: a test CA and a
//! server certificate that is valid, expired or for another name) and the host name its URL
//! uses; the mock still listens on 127.0.0.1 only.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A server identity for [`crate::MockServer::start_tls`].
#[derive(Clone)]
pub struct TlsIdentity {
    /// The server certificate, then any intermediates (PEM).
    pub cert_chain_pem: String,
    /// The server certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
    /// The host name of the mock's URL (`https://HOST:PORT`), e.g. `localhost`; it should
    /// resolve to 127.0.0.1.
    pub host: String,
}

/// Never the key.
impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// How the mock's connections are accepted: plain or TLS, and counted.
pub(crate) struct Listener {
    tls: Option<(tokio_rustls::TlsAcceptor, String)>,
    pub(crate) connections: AtomicUsize,
    pub(crate) handshake_failures: AtomicUsize,
}

/// An accepted connection, TLS or not.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

impl Listener {
    pub(crate) fn plain() -> Arc<Listener> {
        Arc::new(Listener {
            tls: None,
            connections: AtomicUsize::new(0),
            handshake_failures: AtomicUsize::new(0),
        })
    }

    pub(crate) fn tls(identity: &TlsIdentity) -> io::Result<Arc<Listener>> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
        };
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(identity.cert_chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| bad("certificate chain", &e))?;
        let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
            .map_err(|e| bad("private key", &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad("tls versions", &e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| bad("certificate and key", &e))?;
        Ok(Arc::new(Listener {
            tls: Some((
                tokio_rustls::TlsAcceptor::from(Arc::new(config)),
                identity.host.clone(),
            )),
            connections: AtomicUsize::new(0),
            handshake_failures: AtomicUsize::new(0),
        }))
    }

    /// The mock's URL: `http://127.0.0.1:PORT`, or `https://HOST:PORT` over TLS.
    pub(crate) fn url(&self, addr: SocketAddr) -> String {
        match &self.tls {
            Some((_, host)) => format!("https://{host}:{}", addr.port()),
            None => format!("http://{addr}"),
        }
    }

    /// Counts a connection and, over TLS, completes the handshake (`None` when it fails,
    /// e.g. the client refused the certificate).
    pub(crate) async fn accept(&self, stream: TcpStream) -> Option<Pin<Box<dyn Io>>> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        match &self.tls {
            None => Some(Box::pin(stream)),
            Some((acceptor, _)) => match acceptor.accept(stream).await {
                Ok(tls) => Some(Box::pin(tls)),
                Err(_) => {
                    self.handshake_failures.fetch_add(1, Ordering::Relaxed);
                    None
                }
            },
        }
    }
}
