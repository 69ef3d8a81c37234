//! The trusted root certificates: the operating system's (rustls-native-certs), Mozilla's
//! bundled set (webpki-roots) as the fallback, and the extra roots of a PEM file
//! (`--ca-file` / `SSL_CERT_FILE`).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

/// The system's roots, loaded once per process. The bundled roots are added when the system
/// has none, or when `SSL_CERT_FILE`/`SSL_CERT_DIR` in this process's environment replaced the
/// system's store (rustls-native-certs then reads only those): an extra root is added to the
/// public ones, never instead of them.
fn base_roots() -> Arc<RootCertStore> {
    static BASE: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    Arc::clone(BASE.get_or_init(|| {
        let mut store = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = store.add_parsable_certificates(native.certs);
        let replaced = std::env::var_os("SSL_CERT_FILE").is_some()
            || std::env::var_os("SSL_CERT_DIR").is_some();
        if added == 0 || replaced {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        Arc::new(store)
    }))
}

/// Every certificate of the PEM file `path`, each checked to be one rustls takes as a root
/// (the error names the file and what is wrong with it). Cheap next to the system's roots,
/// which are read only when a TLS connection needs them ([`trusted_roots`]).
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the CA file {shown} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "the CA file {shown} holds no certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    let mut check = RootCertStore::empty();
    for cert in &certs {
        check
            .add(cert.clone())
            .map_err(|e| format!("the CA file {shown} has a certificate rustls refuses: {e}"))?;
    }
    Ok(certs)
}

/// The base roots plus `extra` (from [`read_ca_file`], so rustls takes each).
pub(crate) fn trusted_roots(extra: &[CertificateDer<'static>]) -> RootCertStore {
    let mut store = (*base_roots()).clone();
    store.add_parsable_certificates(extra.iter().cloned());
    store
}
