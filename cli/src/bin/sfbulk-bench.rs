//! Benchmarks for BENCHMARKS.md. Run with
//! `cargo run --release -p sfbulk-cli --bin sfbulk-bench`.
//!
//! Measures, in one run: the size of the release component, the time to compile it,
//! the median time to instantiate it for a call (fresh store + `InstancePre`), and the
//! median time of one get-job call against the mock on loopback, next to a plain HTTP
//! GET of the same URL from the host (the baseline the component adds to).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use host_test::{ContentType, Operation, Runtime, SFBULK_WASM};
use sfbulk_mock::{MockConfig, MockServer};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// One HTTP/1.1 GET on a new connection, as wasmtime-wasi-http does (no pooling).
fn raw_get(addr: &str, path: &str, token: &str) -> usize {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nx-sfdc-session: {token}\r\nconnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    buf.len()
}

fn main() -> wasmtime::Result<()> {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let size = std::fs::metadata(SFBULK_WASM)?.len();
    println!("component: {SFBULK_WASM}");
    println!(
        "component size: {size} bytes ({:.1} KB)",
        size as f64 / 1000.0
    );
    // What the build script started from: cargo's output, before wasm-opt and name stripping.
    if let Some(dir) = host_test::GUEST_TARGET_DIR {
        let built = Path::new(dir).join("wasm32-wasip2/component/sfbulk.wasm");
        if let Ok(b) = std::fs::read(&built) {
            let main = host_test::shrink::main_module(&b).map(<[u8]>::len);
            println!(
                "  as cargo built it (before wasm-opt -Oz and name stripping): {} bytes, core module {} bytes",
                b.len(),
                main.unwrap_or(0)
            );
            if let Ok(shipped) = std::fs::read(SFBULK_WASM) {
                let core = host_test::shrink::main_module(&shipped).map(<[u8]>::len);
                println!("  shipped core module: {} bytes", core.unwrap_or(0));
            }
        }
    }

    let t = Instant::now();
    let runtime = Runtime::from_file(Path::new(SFBULK_WASM))?;
    println!(
        "compile (with on-disk cache): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        // Instantiation: fresh store + InstancePre, as for each call of a stateless host.
        let mut inst_times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            let inst = runtime.instantiate().await?;
            inst_times.push(t.elapsed());
            drop(inst);
        }
        println!(
            "instantiate, median of {iterations}: {}",
            us(median(inst_times))
        );

        let mock = MockServer::start(MockConfig::default());
        let token = MockConfig::default().access_tokens[0].clone();
        let cfg = host_test::config(&mock.url(), &token);
        let mut inst = runtime.instantiate().await?;
        let job = inst
            .create_job(
                &cfg,
                &host_test::job_request(Operation::Insert, "Account", Some(ContentType::Csv)),
            )
            .await?
            .map_err(|e| wasmtime::format_err!("create-job: {e:?}"))?;

        let mut call_times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            inst.get_job(&cfg, &job.id)
                .await?
                .map_err(|e| wasmtime::format_err!("get-job: {e:?}"))?;
            call_times.push(t.elapsed());
        }
        let path = format!("/services/async/59.0/job/{}", job.id);
        let addr = mock.url().trim_start_matches("http://").to_string();
        let mut raw_times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            raw_get(&addr, &path, &token);
            raw_times.push(t.elapsed());
        }
        let (call, raw) = (median(call_times), median(raw_times));
        println!(
            "get-job through the component (reused instance), median: {}",
            us(call)
        );
        println!(
            "plain GET from the host (new connection), median: {}",
            us(raw)
        );
        println!(
            "component overhead per call: {}",
            us(call.saturating_sub(raw))
        );

        let mut fresh_times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            let mut inst = runtime.instantiate().await?;
            inst.get_job(&cfg, &job.id)
                .await?
                .map_err(|e| wasmtime::format_err!("get-job: {e:?}"))?;
            fresh_times.push(t.elapsed());
        }
        println!(
            "instantiate + get-job (fresh instance per call), median: {}",
            us(median(fresh_times))
        );
        Ok(())
    })
}
