//! A capped network serves requests in the order they were sent, whatever order their tasks
//! run in (`gate`): the case that stalled a component reading files in order.

use std::time::Duration;

use http_body_util::BodyExt as _;
use wasmtime_wasi_http::WasiHttpHooks as _;

use super::test_server::{self, serve};
use super::{NetConfig, NetHooks, Network};

/// A body far larger than the socket buffers: unread, it keeps its connection busy.
const BODY: usize = 32 << 20;

/// A server answering each request with `BODY` bytes, the first of them the request path's
/// last character.
async fn server() -> std::net::SocketAddr {
    let (addr, _) = serve(|path| {
        let mut body = vec![b'.'; BODY];
        body[0] = *path.as_bytes().last().unwrap();
        body
    })
    .await;
    addr
}

fn get(addr: std::net::SocketAddr, path: &str) -> http::Request<wasmtime_wasi_http::WasiBody> {
    test_server::get(&format!("http://{addr}{path}"))
}

/// With one connection: the request sent first is answered first even when the task of the
/// one sent second runs first, and the second is answered once the first body is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capped_network_answers_requests_in_the_order_they_were_sent() {
    let addr = server().await;
    let network = Network::new(&NetConfig {
        max_connections_per_host: Some(1),
        ..NetConfig::default()
    })
    .unwrap();
    let mut hooks = NetHooks::new(network.clone());
    let first = hooks.send_request(get(addr, "/1"), None, Box::new(async { Ok(()) }));
    let second = hooks.send_request(get(addr, "/2"), None, Box::new(async { Ok(()) }));
    // The second one's task runs first, and has time to take the connection.
    let second = tokio::spawn(Box::into_pin(second));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = tokio::time::timeout(Duration::from_secs(10), Box::into_pin(first))
        .await
        .expect("the request sent first is answered while the second waits")
        .expect("a reply");
    assert!(!second.is_finished(), "the second waits for its turn");
    let body = first.0.into_body().collect().await.unwrap().to_bytes();
    assert_eq!((body.len(), body[0]), (BODY, b'1'));
    let second = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the second is answered once the first body was read")
        .unwrap()
        .expect("a reply");
    let body = second.0.into_body().collect().await.unwrap().to_bytes();
    assert_eq!((body.len(), body[0]), (BODY, b'2'));
    let stats = network.stats();
    assert_eq!((stats.most_open, stats.most_in_flight), (1, 1), "{stats:?}");
}
