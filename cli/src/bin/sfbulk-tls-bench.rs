//! Kept-alive connections against a new connection per request: a 10-batch `load` over TLS
//! against the mock (certificate from a private CA made here), side by side in one run. Run
//! with
//! `cargo build --release -p sfbulk-cli --bins && target/release/sfbulk-tls-bench [ROWS] [RUNS]`
//! (default 10000 rows in 10 batches, 5 runs of each, alternating).
//!
//! Each run is the command line's own `load` (`whole_jobs::load`: split, add 10 batches, close,
//! wait, join the results) in one component instance whose [`Network`] either reuses
//! connections (the default) or opens one for every request. It prints, per mode, the
//! requests and the connections the mock's listener accepted, requests per connection, and
//! the median wall time.

use std::path::Path;
use std::time::{Duration, Instant};

use host_test::{ContentType, NetConfig, Network, Operation, Runtime, WaitOptions};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use sfbulk_cli::whole_jobs::{LoadArgs, Progress, load};
use sfbulk_mock::{MockConfig, MockServer, TlsIdentity};

/// A private CA's certificate (PEM) and a `localhost` server identity it signed.
fn pki() -> (String, TlsIdentity) {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca.self_signed(&ca_key).expect("ca").pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("server cert");
    let identity = TlsIdentity {
        cert_chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        host: "localhost".into(),
    };
    (ca_pem, identity)
}

struct Sample {
    wall: Duration,
    requests: usize,
    connections: usize,
}

/// One 10-batch load through a fresh mock and a fresh network.
async fn one_load(
    reuse: bool,
    net: &NetConfig,
    identity: &TlsIdentity,
    input: &Path,
    batch_size: u32,
) -> Sample {
    let mock = MockServer::start_tls(
        MockConfig {
            processing_delay: Duration::from_millis(50),
            ..MockConfig::default()
        },
        identity,
    );
    let network = if reuse {
        Network::new(net)
    } else {
        Network::without_reuse(net)
    }
    .expect("network");
    let cfg = host_test::config(&mock.url(), &MockConfig::default().access_tokens[0]);
    let start = Instant::now();
    let mut inst = Runtime::shared()
        .instantiate_with(&network)
        .await
        .expect("instantiate");
    let results = input.with_extension(format!("{reuse}.results.csv"));
    let args = LoadArgs {
        request: host_test::job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        input,
        batch_size: Some(batch_size),
        results: results.clone(),
        wait: WaitOptions {
            first_interval_ms: Some(20),
            max_interval_ms: Some(200),
            timeout_ms: None,
        },
    };
    let summary = match load(&mut inst, &cfg, args, &Progress::quiet()).await {
        Ok(s) => s,
        Err(e) => panic!("load failed: {e:?}"),
    };
    let wall = start.elapsed();
    assert_eq!(summary.failed, 0);
    assert_eq!(mock.counters().batches_stored(), 10);
    let _ = std::fs::remove_file(results);
    let stats = network.stats();
    assert_eq!(
        stats.connections,
        mock.connections(),
        "the server saw each one"
    );
    Sample {
        wall,
        requests: mock.request_count(),
        connections: mock.connections(),
    }
}

/// `n` get-job calls over TLS through one network: the median time of one call.
async fn per_call(
    reuse: bool,
    net: &NetConfig,
    identity: &TlsIdentity,
    n: usize,
) -> (Duration, usize) {
    let mock = MockServer::start_tls(MockConfig::default(), identity);
    let network = if reuse {
        Network::new(net)
    } else {
        Network::without_reuse(net)
    }
    .expect("network");
    let cfg = host_test::config(&mock.url(), &MockConfig::default().access_tokens[0]);
    let mut inst = Runtime::shared()
        .instantiate_with(&network)
        .await
        .expect("instantiate");
    let req = host_test::job_request(Operation::Insert, "Contact", Some(ContentType::Csv));
    let job = inst
        .create_job(&cfg, &req)
        .await
        .expect("trap")
        .expect("create-job");
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        inst.get_job(&cfg, &job.id)
            .await
            .expect("trap")
            .expect("get-job");
        times.push(t.elapsed());
    }
    (median(times), mock.connections())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let rows = args.next().unwrap_or(10_000).max(10);
    let runs = args.next().unwrap_or(5).max(1);
    let batch_size = rows.div_ceil(10) as u32;

    let dir = std::env::temp_dir().join(format!("sfbulk-tls-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("contacts.csv");
    let mut csv = String::from("FirstName,LastName,Email\n");
    for i in 0..rows {
        csv.push_str(&format!("First{i},Last{i},user{i}@example.com\n"));
    }
    std::fs::write(&input, csv).expect("input");
    let (ca_pem, identity) = pki();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("ca file");
    let net = NetConfig {
        ca_file: Some(ca_file),
        ..NetConfig::default()
    };

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    let mut calls = Vec::new();
    rt.block_on(async {
        // Compile once before timing.
        let _ = Runtime::shared()
            .instantiate_with(&Network::new(&net).unwrap())
            .await;
        for _ in 0..runs {
            for (i, reuse) in [true, false].into_iter().enumerate() {
                samples[i].push(one_load(reuse, &net, &identity, &input, batch_size).await);
            }
        }
        for reuse in [true, false] {
            calls.push(per_call(reuse, &net, &identity, 200).await);
        }
    });
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "10-batch load of {rows} rows over TLS (mock on 127.0.0.1, 50 ms batch processing), median of {runs} runs each, alternating:"
    );
    println!(
        "| connections | requests | connections opened | requests per connection | wall time (median) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (i, name) in ["kept alive, reused (default)", "new one per request"]
        .iter()
        .enumerate()
    {
        let s = &samples[i];
        let req = s.iter().map(|x| x.requests).sum::<usize>() as f64 / s.len() as f64;
        let conn = s.iter().map(|x| x.connections).sum::<usize>() as f64 / s.len() as f64;
        let wall = median(s.iter().map(|x| x.wall).collect());
        println!(
            "| {name} | {req:.0} | {conn:.0} | {:.1} | {:.0} ms |",
            req / conn,
            wall.as_secs_f64() * 1000.0
        );
    }
    println!();
    println!("200 get-job calls over TLS, one after another: median time of one call");
    println!("| connections | connections opened | one call (median) |");
    println!("|---|---:|---:|");
    for (i, name) in ["kept alive, reused (default)", "new one per request"]
        .iter()
        .enumerate()
    {
        let (t, conns) = calls[i];
        println!("| {name} | {conns} | {:.2} ms |", t.as_secs_f64() * 1000.0);
    }
}
