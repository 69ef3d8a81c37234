//! The simulated WAN: a shaping TCP front on the mock's public port. Each connection it
//! accepts gets its own connection to the mock's server behind it, and two pipes that delay,
//! pace and hold back bytes as `wan_link` describes. Works below TLS: it carries bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use crate::wan_link::{WanLink, WanStats};

/// Largest read from a sender: 64 KiB (8 ms at 8 MB/s).
const CHUNK: usize = 64 * 1024;
/// Most undelivered bytes per pipe before the sender is no longer read.
const PIPE_BUDGET: usize = 1 << 20;

/// The front's counters, shared with the handle and the stats endpoint.
#[derive(Debug, Default)]
pub(crate) struct WanCounters {
    connections: AtomicUsize,
    open: AtomicUsize,
    peak_open: AtomicUsize,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

impl WanCounters {
    pub(crate) fn snapshot(&self) -> WanStats {
        WanStats {
            connections: self.connections.load(Ordering::Relaxed),
            open: self.open.load(Ordering::Relaxed),
            peak_open: self.peak_open.load(Ordering::Relaxed),
            bytes_up: self.bytes_up.load(Ordering::Relaxed),
            bytes_down: self.bytes_down.load(Ordering::Relaxed),
        }
    }

    /// Starts a new peak: the most connections open at once from now on.
    pub(crate) fn reset_peak(&self) {
        self.peak_open
            .store(self.open.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn opened(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_open.fetch_max(open, Ordering::Relaxed);
    }

    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Accepts on `public` forever (the runtime's shutdown ends it) and carries every connection
/// to `upstream` over `link`.
pub(crate) async fn front(
    public: TcpListener,
    upstream: std::net::SocketAddr,
    link: WanLink,
    counters: Arc<WanCounters>,
) {
    loop {
        let Ok((client, _)) = public.accept().await else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let accepted = Instant::now();
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            counters.opened();
            carry(client, upstream, link, accepted, &counters).await;
            counters.closed();
        });
    }
}

/// One client connection: its upstream connection and the two pipes, until both are done.
async fn carry(
    client: TcpStream,
    upstream: std::net::SocketAddr,
    link: WanLink,
    accepted: Instant,
    counters: &WanCounters,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let setup = link.rtt * link.connect_rtts;
    let up = pipe(
        client_read,
        server_write,
        link,
        accepted + setup,
        &counters.bytes_up,
    );
    let down = pipe(
        server_read,
        client_write,
        link,
        accepted,
        &counters.bytes_down,
    );
    tokio::join!(up, down);
}

/// What travels in a pipe: bytes (holding their share of the budget) or the sender's end.
struct InFlight {
    arrives: Instant,
    data: Option<(BytesMut, OwnedSemaphorePermit)>,
}

/// One direction: reads `from`, paces and delays the bytes, writes them to `to`; the link is
/// free to send from `opens`.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: WanLink,
    opens: Instant,
    bytes: &AtomicU64,
) {
    let one_way = link.rtt / 2;
    let budget = Arc::new(Semaphore::new(PIPE_BUDGET));
    let (tx, mut rx) = mpsc::unbounded_channel::<InFlight>();
    let sender = async move {
        let mut link_free = opens;
        loop {
            let mut buf = BytesMut::with_capacity(CHUNK);
            let n = match from.read_buf(&mut buf).await {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            bytes.fetch_add(n as u64, Ordering::Relaxed);
            let Ok(permit) = Arc::clone(&budget)
                .acquire_many_owned(u32::try_from(n).unwrap_or(u32::MAX))
                .await
            else {
                break;
            };
            let transmit = link
                .bandwidth
                .map_or(Duration::ZERO, |bw| transmit_time(n, bw));
            let departs = Instant::now().max(link_free) + transmit;
            link_free = departs;
            // When the receiver is gone, keep reading and dropping, so the sender is not
            // stuck on a full socket.
            let _ = tx.send(InFlight {
                arrives: departs + one_way,
                data: Some((buf, permit)),
            });
        }
        let _ = tx.send(InFlight {
            arrives: Instant::now().max(link_free) + one_way,
            data: None,
        });
    };
    let receiver = async move {
        while let Some(chunk) = rx.recv().await {
            tokio::time::sleep_until(chunk.arrives).await;
            match chunk.data {
                Some((data, _permit)) => {
                    if to.write_all(&data).await.is_err() {
                        break;
                    }
                }
                None => {
                    let _ = to.shutdown().await;
                    break;
                }
            }
        }
    };
    tokio::join!(sender, receiver);
}

/// Time `n` bytes take at `bandwidth` bytes per second.
fn transmit_time(n: usize, bandwidth: u64) -> Duration {
    // n ≤ 64 KiB: exact enough as f64.
    #[allow(clippy::cast_precision_loss)]
    Duration::from_secs_f64(n as f64 / bandwidth.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmit_time_is_bytes_over_bandwidth() {
        assert_eq!(transmit_time(8_000, 8_000_000), Duration::from_millis(1));
        assert_eq!(transmit_time(65_536, 0), Duration::from_secs(65_536));
    }

    #[test]
    fn the_peak_restarts_at_the_connections_open_now() {
        let c = WanCounters::default();
        c.opened();
        c.opened();
        c.closed();
        assert_eq!(c.snapshot().peak_open, 2);
        c.reset_peak();
        assert_eq!(
            c.snapshot(),
            WanStats {
                connections: 2,
                open: 1,
                peak_open: 1,
                bytes_up: 0,
                bytes_down: 0
            }
        );
    }
}
