//! The simulated WAN (`MockConfig::wan`) against its model, over real sockets: a request on a
//! new connection waits the connection's round trips plus its own, a kept-alive one only its
//! own; a body takes its bytes over the bandwidth; two connections get the bandwidth each; the
//! counters match what went over the wire; the mock's TLS goes through it.
//!
//! Every bound a delay must respect is a lower bound (a delay can't be shorter than
//! modelled); upper bounds are loose and only where the test is about something being
//! shorter (kept alive, in parallel).

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sfbulk_mock::{MockConfig, MockServer, TlsIdentity, WanLink, WanStats};

const TOKEN: &str = "00DMOCK!mock-access-token";
const RTT: Duration = Duration::from_millis(100);

fn mock(bandwidth: Option<u64>, connect_rtts: u32) -> MockServer {
    MockServer::start(MockConfig {
        wan: Some(WanLink {
            rtt: RTT,
            bandwidth,
            connect_rtts,
        }),
        ..MockConfig::default()
    })
}

/// A small GET (the REST limits resource).
fn limits_request(close: bool) -> Vec<u8> {
    format!(
        "GET /services/data/v62.0/limits HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

/// A POST of `len` body bytes to a job that does not exist: the mock reads the whole body,
/// then answers 400.
fn upload_request(len: usize) -> Vec<u8> {
    let mut req = format!(
        "POST /services/async/62.0/job/750000000000000AAA/batch HTTP/1.1\r\nHost: localhost\r\n\
         X-SFDC-Session: {TOKEN}\r\nContent-Type: text/csv\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes();
    req.extend(std::iter::repeat_n(b'x', len));
    req
}

/// One HTTP/1.1 exchange on `stream`: the time to the first byte of the reply and the reply's
/// status, total length on the wire and body.
struct Exchange {
    ttfb: Duration,
    status: u16,
    wire_bytes: usize,
    body: Vec<u8>,
}

fn exchange<S: Read + Write>(stream: &mut BufReader<S>, request: &[u8]) -> Exchange {
    let started = Instant::now();
    stream
        .get_mut()
        .write_all(request)
        .expect("send the request");
    stream.get_mut().flush().expect("flush");
    stream.fill_buf().expect("the first byte of the reply");
    let ttfb = started.elapsed();
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).expect("a header line");
        head.extend_from_slice(line.as_bytes());
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().expect("a length");
        }
    }
    let status = String::from_utf8_lossy(&head[9..12])
        .parse()
        .expect("a status code");
    let mut body = vec![0; content_length];
    stream.read_exact(&mut body).expect("the body");
    Exchange {
        ttfb,
        status,
        wire_bytes: head.len() + body.len(),
        body,
    }
}

fn connect(mock: &MockServer) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", mock.port())).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    BufReader::new(stream)
}

/// The stats once every connection has closed.
fn settled(mock: &MockServer) -> WanStats {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = mock.wan_stats().expect("a WAN");
        if stats.open == 0 || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_new_connection_costs_its_round_trips_and_a_kept_alive_one_does_not() {
    let mock = mock(None, 2);
    let mut conn = connect(&mock);
    let first = exchange(&mut conn, &limits_request(false));
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    // 2 round trips to open the connection, 1 for the request.
    assert!(
        first.ttfb >= RTT * 3 - Duration::from_millis(5),
        "first request on a new connection: {:?}, expected at least 3 × {RTT:?}",
        first.ttfb
    );
    let second = exchange(&mut conn, &limits_request(false));
    assert_eq!(second.status, 200);
    assert!(
        second.ttfb >= RTT - Duration::from_millis(5),
        "kept-alive request: {:?}, expected at least {RTT:?}",
        second.ttfb
    );
    assert!(
        second.ttfb < RTT * 3,
        "kept-alive request: {:?}, expected no connection set-up again (< 3 × {RTT:?})",
        second.ttfb
    );
}

#[test]
fn without_a_wan_there_is_neither_delay_nor_stats() {
    let mock = MockServer::start(MockConfig::default());
    assert_eq!(mock.wan_stats(), None);
    assert_eq!(mock.direct_url(), mock.url());
    let mut conn = connect(&mock);
    let reply = exchange(&mut conn, &limits_request(false));
    assert_eq!(reply.status, 200);
    assert!(reply.ttfb < RTT, "loopback without a WAN: {:?}", reply.ttfb);
}

#[test]
fn a_body_takes_its_bytes_over_the_bandwidth_each_way() {
    // 1 MB at 2 MB/s: half a second up.
    let bandwidth = 2_000_000u64;
    let mock = mock(Some(bandwidth), 0);
    let body_len = 1_000_000usize;
    let mut conn = connect(&mock);
    let started = Instant::now();
    let refused = exchange(&mut conn, &upload_request(body_len));
    let up = started.elapsed();
    assert_eq!(refused.status, 400, "a job that does not exist");
    let floor = Duration::from_secs_f64(body_len as f64 / bandwidth as f64) + RTT;
    assert!(
        up >= floor - Duration::from_millis(10),
        "1 MB up at 2 MB/s took {up:?}, expected at least {floor:?}"
    );

    // Down: the same megabyte as a stored batch request, read back.
    let csv = {
        let mut csv = String::from("Name,Description\n");
        let mut i = 0;
        while csv.len() < body_len {
            csv.push_str(&format!("Account {i},{}\n", "d".repeat(90)));
            i += 1;
        }
        csv
    };
    let job_info = r#"{"operation":"insert","object":"Account","contentType":"CSV"}"#;
    let job = exchange(
        &mut conn,
        format!(
            "POST /services/async/62.0/job HTTP/1.1\r\nHost: localhost\r\nX-SFDC-Session: {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{job_info}",
            job_info.len()
        )
        .as_bytes(),
    );
    assert_eq!(job.status, 201, "{}", String::from_utf8_lossy(&job.body));
    let job_id = id_of(&job.body);
    let mut add = format!(
        "POST /services/async/62.0/job/{job_id}/batch HTTP/1.1\r\nHost: localhost\r\n\
         X-SFDC-Session: {TOKEN}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        csv.len()
    )
    .into_bytes();
    add.extend_from_slice(csv.as_bytes());
    let batch = exchange(&mut conn, &add);
    assert_eq!(
        batch.status,
        201,
        "{}",
        String::from_utf8_lossy(&batch.body)
    );
    let batch_id = id_of(&batch.body);
    let started = Instant::now();
    let back = exchange(
        &mut conn,
        format!(
            "GET /services/async/62.0/job/{job_id}/batch/{batch_id}/request HTTP/1.1\r\n\
             Host: localhost\r\nX-SFDC-Session: {TOKEN}\r\n\r\n"
        )
        .as_bytes(),
    );
    let down = started.elapsed();
    assert_eq!(back.body, csv.as_bytes());
    let floor = Duration::from_secs_f64(csv.len() as f64 / bandwidth as f64) + RTT;
    assert!(
        down >= floor - Duration::from_millis(10),
        "1 MB down at 2 MB/s took {down:?}, expected at least {floor:?}"
    );
}

/// The `id` of a JSON jobInfo, or of an XML batchInfo (a CSV job's batches answer in XML).
fn id_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Some((_, rest)) = text.split_once("<id>") {
        return rest.split_once("</id>").expect("</id>").0.to_owned();
    }
    let doc: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    doc["id"].as_str().expect("an id").to_owned()
}

#[test]
fn two_connections_in_parallel_each_get_the_whole_bandwidth() {
    // 2 MB each at 2 MB/s: 1 s each, in parallel; one after the other would take 2 s.
    let bandwidth = 2_000_000u64;
    let mock = Arc::new(mock(Some(bandwidth), 0));
    let started = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mock = Arc::clone(&mock);
            std::thread::spawn(move || {
                let mut conn = connect(&mock);
                exchange(&mut conn, &upload_request(2_000_000)).status
            })
        })
        .collect();
    for worker in workers {
        assert_eq!(worker.join().expect("an upload"), 400);
    }
    let both = started.elapsed();
    assert!(
        both >= Duration::from_secs(1),
        "2 MB at 2 MB/s took {both:?}, expected at least 1 s"
    );
    assert!(
        both < Duration::from_millis(1_800),
        "two 2 MB uploads in parallel took {both:?}: they shared the bandwidth (2 s)"
    );
    assert_eq!(settled(&mock).peak_open, 2);
}

#[test]
fn the_counters_match_the_wire() {
    let mock = mock(Some(50_000_000), 1);
    let mut sent = 0usize;
    let mut received = 0usize;
    for close in [false, true] {
        // Two requests on one connection, then one on a connection of its own; each
        // connection ends with `Connection: close`.
        let mut conn = connect(&mock);
        if !close {
            let request = limits_request(false);
            sent += request.len();
            received += exchange(&mut conn, &request).wire_bytes;
        }
        let request = limits_request(true);
        sent += request.len();
        received += exchange(&mut conn, &request).wire_bytes;
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).expect("the mock closes");
        assert!(rest.is_empty(), "nothing after the last reply");
        drop(conn);
        // The client's end of the connection takes its one-way trip too.
        settled(&mock);
    }
    let stats = settled(&mock);
    assert_eq!(
        stats,
        WanStats {
            connections: 2,
            open: 0,
            peak_open: 1,
            bytes_up: sent as u64,
            bytes_down: received as u64,
        }
    );
    assert_eq!(mock.request_count(), 3);
    assert_eq!(
        mock.connections(),
        2,
        "one mock connection per WAN connection"
    );
    mock.reset_wan_peak();
    assert_eq!(mock.wan_stats().expect("a WAN").peak_open, 0);
}

#[test]
fn the_stats_endpoint_answers_on_the_direct_url_unlogged() {
    let mock = mock(None, 2);
    let mut conn = connect(&mock);
    let request = limits_request(true);
    let reply = exchange(&mut conn, &request);
    drop(conn);
    let stats = settled(&mock);
    assert_eq!(stats.connections, 1);

    let direct = mock.direct_url();
    assert_ne!(direct, mock.url());
    let port: u16 = direct.rsplit(':').next().unwrap().parse().unwrap();
    let mut conn = BufReader::new(TcpStream::connect(("127.0.0.1", port)).expect("direct"));
    let started = Instant::now();
    let answer = exchange(
        &mut conn,
        b"GET /__mock/stats?reset HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(started.elapsed() < RTT, "the direct URL has no WAN");
    let doc: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(doc["requests"], 1, "{doc}");
    assert_eq!(doc["wan"]["connections"], 1, "{doc}");
    assert_eq!(doc["wan"]["bytes_up"], request.len(), "{doc}");
    assert_eq!(doc["wan"]["bytes_down"], reply.wire_bytes, "{doc}");
    assert_eq!(doc["connections"], 2, "the WAN's and this one: {doc}");
    assert_eq!(mock.request_count(), 1, "the stats request is not logged");

    let forgot = exchange(
        &mut conn,
        b"DELETE /__mock/jobs HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(forgot.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&forgot.body),
        r#"{"forgotten_jobs":0}"#
    );
    assert_eq!(mock.request_count(), 0, "the request log is forgotten too");
}

/// A private CA's certificate (DER) and a `localhost` identity it signed.
fn pki() -> (Vec<u8>, TlsIdentity) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_der = ca.self_signed(&ca_key).expect("ca").der().to_vec();
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
    (ca_der, identity)
}

#[test]
fn tls_goes_through_and_its_handshake_crosses_the_link() {
    let (ca_der, identity) = pki();
    // TCP's round trip modelled, TLS 1.3's own round trip real: 1 + 1 + the request's.
    let mock = MockServer::start_tls(
        MockConfig {
            wan: Some(WanLink {
                rtt: RTT,
                bandwidth: None,
                connect_rtts: 1,
            }),
            ..MockConfig::default()
        },
        &identity,
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der.into()).expect("the test CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap())
        .expect("a TLS client");
    let tcp = TcpStream::connect(("127.0.0.1", mock.port())).expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let mut conn = BufReader::new(rustls::StreamOwned::new(tls, tcp));
    let first = exchange(&mut conn, &limits_request(false));
    assert_eq!(first.status, 200);
    assert!(
        first.ttfb >= RTT * 3 - Duration::from_millis(5),
        "first request over TLS: {:?}, expected at least 3 × {RTT:?}",
        first.ttfb
    );
    let second = exchange(&mut conn, &limits_request(false));
    assert!(
        second.ttfb >= RTT - Duration::from_millis(5) && second.ttfb < RTT * 3,
        "kept-alive request over TLS: {:?}, expected about {RTT:?}",
        second.ttfb
    );
    assert_eq!(mock.tls_handshake_failures(), 0);
    assert_eq!(mock.wan_stats().expect("a WAN").connections, 1);
}
