//! HTTPS through a company proxy: an in-test `CONNECT` proxy on 127.0.0.1 that records its
//! tunnels, taken from `HTTPS_PROXY`/`https_proxy` or `--proxy`, with and without Basic
//! credentials, refused with `407`, unreachable, and bypassed by `NO_PROXY` — and never used
//! for `http://`. Through the `sfbulk` command line, in-process.

use crate::net_fixtures::*;

fn ca_file(ca: &TestCa, dir: &TempDir) -> String {
    dir.write("ca.pem", &ca.cert_pem)
}

#[test]
fn load_and_query_tunnel_through_the_proxy_of_https_proxy() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let proxy = ConnectProxy::start(None);
    let dir = TempDir::new("proxy");
    let ca = ca_file(&ca, &dir);
    let url = proxy.url(None);
    load_and_query(&mock, &[("HTTPS_PROXY", &url)], &["--ca-file", &ca], 20, 10);
    let tunnels = proxy.tunnels();
    assert!(!tunnels.is_empty(), "went through the proxy");
    let target = format!("localhost:{}", mock.port());
    for t in &tunnels {
        assert_eq!(t.target, target);
        assert!(t.opened);
        assert_eq!(
            t.authorization, None,
            "no credentials in the URL, none sent"
        );
    }
    assert_eq!(
        tunnels.len(),
        mock.connections(),
        "every connection the mock saw came through a tunnel"
    );
}

#[test]
fn basic_credentials_of_the_proxy_url_open_the_tunnel_and_never_show() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let creds = ("alice", "s3cret-Pa55");
    let proxy = ConnectProxy::start(Some(creds));
    let dir = TempDir::new("proxy");
    let ca = ca_file(&ca, &dir);
    let url = proxy.url(Some(creds));
    let run = sfbulk(
        &mock,
        &[],
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--proxy",
            &url,
            "--ca-file",
            &ca,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["state"], "Open");
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    // base64("alice:s3cret-Pa55")
    assert_eq!(
        tunnels[0].authorization.as_deref(),
        Some("Basic YWxpY2U6czNjcmV0LVBhNTU=")
    );
    assert!(tunnels[0].opened);
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
}

/// A failure before anything reached the mock: exit 1, the proxy named with `words`, its
/// credentials never shown.
fn proxy_failure(mock: &sfbulk_mock::MockServer, proxy_url: &str, ca: &str, words: &[&str]) {
    let run = sfbulk(
        mock,
        &[("https_proxy", proxy_url)],
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--ca-file",
            ca,
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run.stderr.trim_end();
    eprintln!("{line}");
    assert!(line.starts_with("create-job: "), "{line}");
    for w in words {
        assert!(line.contains(w), "{w:?} missing from: {line}");
    }
    assert!(!line.contains("not sent again"), "never sent: {line}");
    assert!(!line.contains("Wr0ng-Pa55"), "credentials shown: {line}");
    assert_eq!(mock.request_count(), 0);
}

#[test]
fn a_proxy_that_answers_407_is_named_with_its_status_never_the_credentials() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let proxy = ConnectProxy::start(Some(("alice", "right")));
    let dir = TempDir::new("proxy");
    let ca = ca_file(&ca, &dir);
    let named = format!("the proxy {}", proxy.url(None));
    // Wrong credentials.
    let wrong = proxy.url(Some(("alice", "Wr0ng-Pa55")));
    proxy_failure(
        &mock,
        &wrong,
        &ca,
        &[&named, "407", "refused the credentials"],
    );
    // None at all.
    proxy_failure(
        &mock,
        &proxy.url(None),
        &ca,
        &[&named, "407", "user:password@"],
    );
    let tunnels = proxy.tunnels();
    assert!(tunnels.iter().all(|t| !t.opened), "{tunnels:?}");
    assert!(tunnels.iter().any(|t| t.authorization.is_none()));
    assert!(tunnels.iter().any(|t| t.authorization.is_some()));
}

#[test]
fn a_proxy_that_cannot_be_reached_is_named() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let dir = TempDir::new("proxy");
    let ca = ca_file(&ca, &dir);
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://u:Wr0ng-Pa55@127.0.0.1:{port}");
    proxy_failure(
        &mock,
        &url,
        &ca,
        &[&format!(
            "cannot connect to the proxy http://127.0.0.1:{port}"
        )],
    );
}

#[test]
fn no_proxy_sends_matching_hosts_direct_lowercase_winning_and_ports_ignored() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let proxy = ConnectProxy::start(None);
    let dir = TempDir::new("proxy");
    let ca = ca_file(&ca, &dir);
    let url = proxy.url(None);
    let vars = [
        ("https_proxy", url.as_str()),
        ("NO_PROXY", "other.example"),
        ("no_proxy", "example.org, LOCALHOST:1"),
    ];
    load_and_query(&mock, &vars, &["--ca-file", &ca], 10, 5);
    assert_eq!(proxy.tunnels(), vec![], "localhost bypassed the proxy");
    // The uppercase list alone does not name localhost: through the proxy.
    let vars = [("HTTPS_PROXY", url.as_str()), ("NO_PROXY", "other.example")];
    let run = sfbulk(
        &mock,
        &vars,
        &["get-job", "750000000000000AAA", "--ca-file", &ca],
    );
    assert_eq!(run.code, 1, "no such job: {}", run.stderr);
    assert_eq!(proxy.tunnels().len(), 1);
    // `*` bypasses every host, also for --proxy.
    let run = sfbulk(
        &mock,
        &[("no_proxy", "*")],
        &[
            "get-job",
            "750000000000000AAA",
            "--ca-file",
            &ca,
            "--proxy",
            &url,
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(proxy.tunnels().len(), 1, "not through the proxy");
}

#[test]
fn plain_http_loopback_is_never_sent_through_the_proxy() {
    let mock = crate::common::mock();
    let proxy = ConnectProxy::start(None);
    let url = proxy.url(None);
    let run = sfbulk(
        &mock,
        &[("HTTPS_PROXY", &url)],
        &[
            "create-job",
            "--operation",
            "insert",
            "--object",
            "Contact",
            "--proxy",
            &url,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.tunnels(), vec![]);
}
