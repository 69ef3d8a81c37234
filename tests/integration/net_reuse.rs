//! Kept-alive connections: a 10-batch load over TLS opens at most a few connections (the
//! count the mock's listener saw), the host library's [`Network`] counts what the server
//! counts, and a network without reuse opens one per request.

use crate::common::{self, *};
use crate::net_fixtures::*;

/// The contract's bound: at most the transfer concurrency (default 4) plus one connections
/// to one host.
const MAX_CONNECTIONS: usize = 5;

#[test]
fn a_ten_batch_load_over_tls_opens_at_most_a_few_connections() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let dir = TempDir::new("reuse");
    let ca = dir.write("ca.pem", &ca.cert_pem);
    let input = dir.write("contacts.csv", &contacts_csv(100));
    let run = sfbulk(
        &mock,
        &[],
        &[
            "load",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--file",
            &input,
            "--batch-size",
            "10",
            "--ca-file",
            &ca,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["succeeded"], 100);
    assert_eq!(mock.counters().batches_stored(), 10, "ten batches");
    let (connections, requests) = (mock.connections(), mock.request_count());
    eprintln!("10-batch load over TLS: {requests} requests on {connections} connection(s)");
    assert!(connections >= 1);
    assert!(
        connections <= MAX_CONNECTIONS,
        "{connections} connections for {requests} requests"
    );
    assert!(
        requests >= 4 * connections,
        "{requests} requests on {connections} connections: connections are reused"
    );
}

fn tls_config(ca_pem: &str, dir: &TempDir) -> NetConfig {
    NetConfig {
        ca_file: Some(dir.write("ca.pem", ca_pem).into()),
        ..NetConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_networks_counts_match_the_servers_with_and_without_reuse() {
    let ca = TestCa::new();
    let dir = TempDir::new("reuse");
    let net_cfg = tls_config(&ca.cert_pem, &dir);
    for reuse in [true, false] {
        let mock = tls_mock(&ca, ServerCert::Valid);
        let cfg = common::cfg(&mock);
        let network = if reuse {
            Network::new(&net_cfg)
        } else {
            Network::without_reuse(&net_cfg)
        }
        .expect("network");
        let mut inst = Runtime::shared()
            .instantiate_with(&network)
            .await
            .expect("instantiate");
        let req = job_request(Operation::Insert, "Contact", Some(ContentType::Csv));
        let job = ok(inst.create_job(&cfg, &req).await);
        for _ in 0..9 {
            ok(inst.get_job(&cfg, &job.id).await);
        }
        let stats = network.stats();
        assert_eq!(stats.requests, 10);
        assert_eq!(stats.requests, mock.request_count());
        assert_eq!(
            stats.connections,
            mock.connections(),
            "the server saw each one"
        );
        if reuse {
            assert_eq!(stats.connections, 1, "one kept-alive connection: {stats:?}");
        } else {
            assert_eq!(stats.connections, 10, "one per request: {stats:?}");
        }
    }
}
