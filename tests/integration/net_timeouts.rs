//! The request options' timeouts on the host's pooled sender: between bytes of a reply body
//! (a server that sends part of a body and stalls), and the first byte on a connection the
//! pool reuses (the timer starts when the connection is there).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body, Bytes, Frame};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::common::{self, *};
use crate::net_fixtures::*;

/// A reply body that sends its first piece, then nothing, ever.
struct Stalls {
    sent: bool,
}

impl Body for Stalls {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent {
            return Poll::Pending;
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"Id,Name\n")))))
    }
}

/// A server on 127.0.0.1 whose every reply announces 1,000 bytes and stalls after 8; returns
/// its URL. It lives as long as the test's runtime.
async fn stalling_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    let mut r = hyper::Response::new(Stalls { sent: false });
                    r.headers_mut()
                        .insert(hyper::header::CONTENT_LENGTH, 1000.into());
                    Ok::<_, Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

fn no_retries(cfg: &mut Config, timeouts: Timeouts) {
    cfg.timeouts = Some(timeouts);
    cfg.retry = Some(RetryPolicy {
        max_attempts: Some(1),
        first_delay_ms: None,
        max_delay_ms: None,
        max_total_ms: None,
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_body_that_stalls_is_the_between_bytes_timeout() {
    let url = stalling_server().await;
    let mut cfg = host_test::config(&url, &token());
    no_retries(
        &mut cfg,
        Timeouts {
            connect_ms: None,
            first_byte_ms: None,
            between_bytes_ms: Some(300),
        },
    );
    let network = Network::new(&NetConfig::default()).unwrap();
    let mut inst = Runtime::shared().instantiate_with(&network).await.unwrap();
    let start = Instant::now();
    let call = tokio::time::timeout(
        Duration::from_secs(30),
        inst.get_batch_request(&cfg, "750000000000000AAA", "751000000000000AAA"),
    )
    .await
    .expect("gave up at the between-bytes timeout");
    let e = err(call);
    assert!(e.kind == ErrorKind::Timeout, "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_byte_timeout_holds_on_a_reused_connection() {
    let ca = TestCa::new();
    let dir = TempDir::new("timeouts");
    let mock = tls_mock(&ca, ServerCert::Valid);
    let net = NetConfig {
        ca_file: Some(dir.write("ca.pem", &ca.cert_pem).into()),
        ..NetConfig::default()
    };
    let network = Network::new(&net).expect("network");
    let mut inst = Runtime::shared().instantiate_with(&network).await.unwrap();
    let mut cfg = common::cfg(&mock);
    no_retries(
        &mut cfg,
        Timeouts {
            connect_ms: Some(5_000),
            first_byte_ms: Some(300),
            between_bytes_ms: None,
        },
    );
    let req = job_request(Operation::Insert, "Contact", Some(ContentType::Csv));
    let job = ok(inst.create_job(&cfg, &req).await);
    mock.hang_next(1);
    let start = Instant::now();
    let e = err(inst.get_job(&cfg, &job.id).await);
    assert!(e.kind == ErrorKind::Timeout, "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    // The pool dropped the connection that timed out; the next request opens another.
    ok(inst.get_job(&cfg, &job.id).await);
    assert_eq!(network.stats().connections, 2);
    assert_eq!(mock.connections(), 2);
}
