//! Connections opened ahead (`ahead`): taken by the requests before any new one opens,
//! within the per-host cap, closed when not taken in time, and a failed one leaves the
//! request its own error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::BodyExt as _;
use wasmtime_wasi_http::WasiHttpHooks as _;

use super::test_server::{self, serve};
use super::{NetConfig, NetHooks, Network};

/// A reply body far larger than the socket buffers: unread, it keeps its connection busy.
const BODY: usize = 8 << 20;

/// A server answering `BODY` bytes to every request: its base URL and the connections it
/// accepted so far.
async fn server() -> (String, Arc<AtomicUsize>) {
    let (addr, accepted) = serve(|_| vec![b'.'; BODY]).await;
    (format!("http://{addr}"), accepted)
}

fn get(base: &str) -> http::Request<wasmtime_wasi_http::WasiBody> {
    test_server::get(&format!("{base}/x"))
}

fn capped(n: usize) -> Network {
    Network::new(&NetConfig {
        max_connections_per_host: Some(n),
        ..NetConfig::default()
    })
    .unwrap()
}

/// Waits up to 5 s for `count` to reach `n`.
async fn reaches(count: &AtomicUsize, n: usize) -> usize {
    for _ in 0..500 {
        if count.load(Ordering::SeqCst) >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    count.load(Ordering::SeqCst)
}

/// Three connections opened ahead are open before any request is sent; four requests at
/// once then take them and open only one more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_take_the_connections_opened_ahead_before_opening_any() {
    let (base, accepted) = server().await;
    let network = capped(5);
    network.open_ahead(&base, 3, Duration::from_secs(5));
    assert_eq!(reaches(&accepted, 3).await, 3, "opened before any request");
    let mut hooks = NetHooks::new(network.clone());
    // Four replies held at once (their bodies unread): four connections busy.
    let mut replies = Vec::new();
    for _ in 0..4 {
        let sent = hooks.send_request(get(&base), None, Box::new(async { Ok(()) }));
        let reply = tokio::time::timeout(Duration::from_secs(10), Box::into_pin(sent))
            .await
            .expect("a reply in time")
            .expect("a reply");
        replies.push(reply.0);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 4, "one connection more");
    let stats = network.stats();
    assert_eq!((stats.connections, stats.most_open), (4, 4), "{stats:?}");
    for reply in replies {
        let body = reply.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body.len(), BODY);
    }
}

/// No more are opened ahead than the per-host cap has slots for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_opened_ahead_stay_within_the_cap() {
    let (base, accepted) = server().await;
    let network = capped(2);
    network.open_ahead(&base, 5, Duration::from_secs(5));
    assert_eq!(reaches(&accepted, 3).await, 2);
    let key = super::connect::destination(&format!("{base}/").parse().unwrap());
    assert_eq!(network.inner.connector.ahead.waiting(&key), 2);
    assert_eq!(network.stats().connections, 2);
}

/// A connection that could not be opened ahead is forgotten: the request opens its own and
/// reports that one's failure, naming the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_after_a_failed_connection_ahead_reports_its_own_failure() {
    // A port nobody listens on (bound, then closed).
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let network = capped(3);
    network.open_ahead(&base, 2, Duration::from_secs(5));
    let key = super::connect::destination(&format!("{base}/").parse().unwrap());
    assert_eq!(network.inner.connector.ahead.waiting(&key), 2, "asked for");
    let mut hooks = NetHooks::new(network.clone());
    let sent = hooks.send_request(get(&base), None, Box::new(async { Ok(()) }));
    let err = tokio::time::timeout(Duration::from_secs(10), Box::into_pin(sent))
        .await
        .expect("an answer in time")
        .err()
        .expect("nothing listens");
    let text = format!("{err:?}");
    assert!(
        text.contains("not sent: cannot connect to 127.0.0.1:"),
        "{text}"
    );
    assert_eq!(network.inner.connector.ahead.waiting(&key), 0, "all tried");
    assert_eq!(network.stats().connections, 0);
}

/// Connections opened ahead and not taken in time are closed (here after 300 ms; the
/// network's own limit is `IDLE_TIMEOUT`), and a request then opens its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_opened_ahead_and_not_taken_in_time_are_closed() {
    let (base, accepted) = server().await;
    let network = capped(5);
    network.open_ahead_for(&base, 2, Duration::from_secs(5), Duration::from_millis(300));
    assert_eq!(reaches(&accepted, 2).await, 2);
    let open_now = || network.inner.connector.open_now.load(Ordering::SeqCst);
    assert_eq!(open_now(), 2);
    for _ in 0..300 {
        if open_now() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(open_now(), 0, "closed unused");
    let key = super::connect::destination(&format!("{base}/").parse().unwrap());
    assert_eq!(network.inner.connector.ahead.waiting(&key), 0);
    let mut hooks = NetHooks::new(network.clone());
    let sent = hooks.send_request(get(&base), None, Box::new(async { Ok(()) }));
    let reply = tokio::time::timeout(Duration::from_secs(10), Box::into_pin(sent))
        .await
        .expect("a reply in time")
        .expect("a reply");
    let body = reply.0.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), BODY);
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        3,
        "a new one for the request"
    );
}
