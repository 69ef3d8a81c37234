//! What the network tests make for themselves, all on 127.0.0.1: a test CA and server
//! certificates (rcgen: valid, expired, for another name), the mock over TLS with one of
//! them, an HTTP `CONNECT` proxy that records its tunnels, temporary folders, and in-process
//! runs of the `sfbulk` command line with exactly the environment a test names.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use sfbulk_cli as cli;
use sfbulk_mock::{MockConfig, MockServer, TlsIdentity};

/// The host name of the TLS mock's URL (resolves to 127.0.0.1).
pub const HOST: &str = "localhost";

/// A test CA: its certificate (PEM) and what signs server certificates.
pub struct TestCa {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// Which server certificate to make.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ServerCert {
    /// For `localhost`, valid now.
    Valid,
    /// For `localhost`, valid only in 2020.
    Expired,
    /// Valid now, for `wrong.example` only.
    WrongName,
}

impl TestCa {
    /// A new CA (its own key: one per test).
    pub fn new() -> TestCa {
        let key = KeyPair::generate().expect("ca key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "sfbulk test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("self-signed ca");
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server identity signed by this CA.
    pub fn server(&self, kind: ServerCert) -> TlsIdentity {
        let name = match kind {
            ServerCert::WrongName => "wrong.example",
            _ => HOST,
        };
        let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        if kind == ServerCert::Expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        TlsIdentity {
            cert_chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            host: HOST.to_string(),
        }
    }
}

/// The mock over TLS with a certificate of `ca`, batches processed fast.
pub fn tls_mock(ca: &TestCa, kind: ServerCert) -> MockServer {
    MockServer::start_tls(
        MockConfig {
            processing_delay: Duration::from_millis(20),
            ..MockConfig::default()
        },
        &ca.server(kind),
    )
}

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sfbulk-net-test-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` in the folder; returns its path as a string.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, contents).expect("write a test file");
        p.to_str().expect("utf-8 path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of the command line.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not json ({e}): {}", self.stdout))
    }
}

/// Runs `sfbulk args… --api-url <mock> --access-token <token>` in-process with exactly the
/// variables `vars` (and a session cache folder of its own).
pub fn sfbulk(mock: &MockServer, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let cache = TempDir::new("cache");
    let mut env = cli::Env::empty().with("SFBULK_CACHE_DIR", cache.path());
    for (k, v) in vars {
        env = env.with(*k, *v);
    }
    let url = mock.url();
    let token = MockConfig::default().access_tokens[0].clone();
    let mut argv: Vec<std::ffi::OsString> = vec!["sfbulk".into()];
    argv.extend(args.iter().map(Into::into));
    argv.extend([
        "--api-url".into(),
        url.into(),
        "--access-token".into(),
        token.into(),
    ]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(argv, &env, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).expect("utf-8 stdout"),
        stderr: String::from_utf8(err).expect("utf-8 stderr"),
    }
}

/// A CSV of `n` contacts (`FirstName,LastName`).
pub fn contacts_csv(n: usize) -> String {
    let mut csv = String::from("FirstName,LastName\n");
    for i in 0..n {
        csv.push_str(&format!("First{i},Last{i}\n"));
    }
    csv
}

/// A `load` of `rows` contacts in batches of `batch_size`, then a `query` of them, both
/// through `mock` with `vars` and the extra `opts`; asserts both succeed and returns the
/// query's CSV.
pub fn load_and_query(
    mock: &MockServer,
    vars: &[(&str, &str)],
    opts: &[&str],
    rows: usize,
    batch_size: usize,
) -> String {
    let dir = TempDir::new("load");
    let input = dir.write("contacts.csv", &contacts_csv(rows));
    let size = batch_size.to_string();
    let mut args = vec![
        "load",
        "--operation",
        "insert",
        "--object",
        "Contact",
        "--file",
        &input,
        "--batch-size",
        &size,
    ];
    args.extend(opts);
    let run = sfbulk(mock, vars, &args);
    assert_eq!(run.code, 0, "load failed: {}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["records"], rows as u64, "{summary}");
    assert_eq!(summary["succeeded"], rows as u64, "{summary}");

    let out = dir.path().join("out.csv");
    let out_s = out.to_str().unwrap().to_string();
    let mut args = vec![
        "query",
        "--soql",
        "SELECT Id, LastName FROM Contact",
        "--output",
        &out_s,
    ];
    args.extend(opts);
    let run = sfbulk(mock, vars, &args);
    assert_eq!(run.code, 0, "query failed: {}", run.stderr);
    assert_eq!(run.json()["records"], rows as u64);
    std::fs::read_to_string(&out).expect("query output")
}

/// One `CONNECT` a [`ConnectProxy`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// `host:port` asked for.
    pub target: String,
    /// The `Proxy-Authorization` header, as sent.
    pub authorization: Option<String>,
    /// Whether the proxy opened the tunnel (else it answered 407).
    pub opened: bool,
}

/// An HTTP proxy on 127.0.0.1 that only tunnels (`CONNECT`), optionally requiring Basic
/// credentials, and records every tunnel asked for. Runs on its own thread and runtime.
pub struct ConnectProxy {
    port: u16,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ConnectProxy {
    /// Starts a proxy; with `credentials` (`user`, `password`) it answers `407` to a `CONNECT`
    /// without exactly those.
    pub fn start(credentials: Option<(&str, &str)>) -> ConnectProxy {
        let expected = credentials.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let recorded = Arc::clone(&tunnels);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let recorded = Arc::clone(&recorded);
                            let expected = expected.clone();
                            tokio::spawn(async move {
                                let service = service_fn(move |req| {
                                    answer(req, expected.clone(), Arc::clone(&recorded))
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .with_upgrades()
                                    .await;
                            });
                        }
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_millis(200));
        });
        ConnectProxy {
            port,
            tunnels,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, with `user:password@` when given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((u, p)) => format!("http://{u}:{p}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// Every tunnel asked for so far.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request to the proxy: a `CONNECT` is recorded, then refused (`407`) or
/// answered `200` and spliced to its target; anything else is `405`.
async fn answer(
    req: Request<hyper::body::Incoming>,
    expected: Option<String>,
    recorded: Arc<Mutex<Vec<Tunnel>>>,
) -> Result<Response<Empty<Bytes>>, std::io::Error> {
    let status = |s: StatusCode| {
        let mut r = Response::new(Empty::new());
        *r.status_mut() = s;
        r
    };
    if req.method() != Method::CONNECT {
        return Ok(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let target = req
        .uri()
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let authorization = req
        .headers()
        .get(hyper::header::PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let opened = expected.is_none() || authorization == expected;
    recorded.lock().unwrap().push(Tunnel {
        target: target.clone(),
        authorization,
        opened,
    });
    if !opened {
        let mut r = status(StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        r.headers_mut().insert(
            hyper::header::PROXY_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Basic realm=\"test\""),
        );
        return Ok(r);
    }
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            return;
        };
        let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
            return;
        };
        let mut client = TokioIo::new(upgraded);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    });
    Ok(status(StatusCode::OK))
}
