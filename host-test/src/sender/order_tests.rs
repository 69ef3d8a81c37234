//! A capped network serves requests in the order they were sent, whatever order their tasks
//! run in (`gate`): the case that stalled a component reading files in order.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wasmtime_wasi_http::WasiHttpHooks as _;

use super::{NetConfig, NetHooks, Network};

/// A body far larger than the socket buffers: unread, it keeps its connection busy.
const BODY: usize = 32 << 20;

/// An HTTP/1.1 server on 127.0.0.1 that answers every request on a kept-alive connection
/// with `BODY` bytes, whose first byte is the request path's last character.
async fn server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                loop {
                    head.clear();
                    while !head.ends_with(b"\r\n\r\n") {
                        if conn.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let line = String::from_utf8_lossy(&head).to_string();
                    let path = line.split(' ').nth(1).unwrap_or("/?").to_string();
                    let mut body = vec![b'.'; BODY];
                    body[0] = *path.as_bytes().last().unwrap();
                    let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {BODY}\r\n\r\n");
                    if conn.write_all(reply.as_bytes()).await.is_err()
                        || conn.write_all(&body).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn get(addr: std::net::SocketAddr, path: &str) -> http::Request<wasmtime_wasi_http::WasiBody> {
    http::Request::get(format!("http://{addr}{path}"))
        .body(
            Empty::<Bytes>::new()
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .unwrap()
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
