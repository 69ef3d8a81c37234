//! HTTPS from where users sit: the mock over TLS with a certificate from a private test CA
//! (as a TLS-inspecting company proxy presents), trusted with `--ca-file` or
//! `SSL_CERT_FILE`; refused without it, and refused when the certificate has expired or is
//! for another name — each with a message that names the host and the problem, and nothing
//! sent. Through the `sfbulk` command line, in-process.

use crate::net_fixtures::*;

/// The CA written to a file in `dir`.
fn ca_file(ca: &TestCa, dir: &TempDir) -> String {
    dir.write("ca.pem", &ca.cert_pem)
}

#[test]
fn load_and_query_over_tls_trusting_the_ca_with_ca_file() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    assert!(
        mock.url().starts_with("https://localhost:"),
        "{}",
        mock.url()
    );
    let dir = TempDir::new("ca");
    let ca = ca_file(&ca, &dir);
    let csv = load_and_query(&mock, &[], &["--ca-file", &ca], 30, 10);
    assert_eq!(csv.lines().count(), 31, "header + 30 rows:\n{csv}");
    assert_eq!(mock.record_count("Contact"), 30);
    assert_eq!(mock.tls_handshake_failures(), 0);
}

#[test]
fn load_and_query_over_tls_trusting_the_ca_with_ssl_cert_file() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let dir = TempDir::new("ca");
    let ca = ca_file(&ca, &dir);
    let csv = load_and_query(&mock, &[("SSL_CERT_FILE", &ca)], &[], 25, 10);
    assert_eq!(csv.lines().count(), 26, "header + 25 rows:\n{csv}");
    assert_eq!(mock.record_count("Contact"), 25);
}

/// A command that must fail before anything reached the mock: exit 1, one stderr line
/// naming `create-job`, the host and `words`; the request was never sent (so no "outcome
/// unknown": a create is safe to retry when nothing left).
fn refused(mock: &sfbulk_mock::MockServer, vars: &[(&str, &str)], opts: &[&str], words: &[&str]) {
    let mut args = vec!["create-job", "--operation", "insert", "--object", "Contact"];
    args.extend(opts);
    let run = sfbulk(mock, vars, &args);
    assert_eq!(run.code, 1, "stdout {} stderr {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty());
    let line = run.stderr.trim_end();
    eprintln!("{line}");
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    assert!(line.starts_with("create-job: "), "{line}");
    let host = format!("localhost:{}", mock.port());
    for w in std::iter::once(host.as_str()).chain(words.iter().copied()) {
        assert!(line.contains(w), "{w:?} missing from: {line}");
    }
    assert!(
        !line.contains("not sent again"),
        "never sent, so retried: {line}"
    );
    assert_eq!(mock.request_count(), 0, "nothing reached the mock");
    assert!(mock.tls_handshake_failures() >= 1, "the handshake failed");
}

#[test]
fn refused_without_the_ca_naming_the_certificate_problem_the_host_and_the_fix() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    refused(
        &mock,
        &[],
        &[],
        &[
            "certificate",
            "not trusted",
            "unknown issuer",
            "--ca-file or SSL_CERT_FILE",
        ],
    );
}

#[test]
fn another_ca_in_ssl_cert_file_does_not_make_the_certificate_trusted() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let dir = TempDir::new("ca");
    let other = ca_file(&TestCa::new(), &dir);
    refused(&mock, &[("SSL_CERT_FILE", &other)], &[], &["not trusted"]);
}

#[test]
fn an_expired_certificate_is_refused() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Expired);
    let dir = TempDir::new("ca");
    let ca = ca_file(&ca, &dir);
    refused(
        &mock,
        &[],
        &["--ca-file", &ca],
        &["certificate", "has expired", "2021-01-01"],
    );
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::WrongName);
    let dir = TempDir::new("ca");
    let ca = ca_file(&ca, &dir);
    refused(
        &mock,
        &[],
        &["--ca-file", &ca],
        &[
            "certificate",
            "not valid for the name localhost (it is for wrong.example)",
        ],
    );
}

#[test]
fn a_ca_file_that_cannot_be_used_is_a_usage_error_before_anything_is_sent() {
    let ca = TestCa::new();
    let mock = tls_mock(&ca, ServerCert::Valid);
    let dir = TempDir::new("ca");
    let missing = dir.path().join("missing.pem");
    let run = sfbulk(
        &mock,
        &[("SSL_CERT_FILE", missing.to_str().unwrap())],
        &["get-job", "750000000000000AAA"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the CA file"),
        "{}",
        run.stderr
    );
    let not_pem = dir.write("not.pem", "hello\n");
    let run = sfbulk(
        &mock,
        &[],
        &["get-job", "750000000000000AAA", "--ca-file", &not_pem],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("holds no certificate"),
        "{}",
        run.stderr
    );
    assert_eq!(mock.connections(), 0, "nothing sent");
}

/// A run that can only talk `http://` (an access token with an `http://` API URL, no
/// renewal) does not read the CA file, as there is no TLS for it to apply to: a missing one
/// is no error there. Over TLS the same file is a usage error (the test above).
#[test]
fn a_ca_file_is_not_read_by_a_run_that_only_talks_plain_http() {
    let mock = sfbulk_mock::MockServer::start(sfbulk_mock::MockConfig::default());
    assert!(mock.url().starts_with("http://"), "{}", mock.url());
    let dir = TempDir::new("ca");
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    let job = |vars: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["create-job", "--object", "Contact", "--operation", "insert"];
        all.extend_from_slice(args);
        sfbulk(&mock, vars, &all)
    };
    let run = job(&[("SSL_CERT_FILE", missing)], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = job(&[], &["--ca-file", missing]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // With a renewal possible (a token endpoint over https), the file is read: refused.
    let run = job(
        &[("SSL_CERT_FILE", missing)],
        &[
            "--refresh-token",
            "r",
            "--client-id",
            "c",
            "--client-secret",
            "s",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the CA file"),
        "{}",
        run.stderr
    );
}
