//! The simulated WAN's knobs ([`WanLink`]) and what it counted ([`WanStats`]).
//!
//! The model (after a shaping proxy that was checked against curl within 2 %): every TCP
//! connection a client opens to the mock is carried by two one-way pipes, one per direction.
//!
//! * **Latency**: each pipe delivers a byte `rtt / 2` after it left, so a request and its
//!   reply cost one round trip on top of their transfer time.
//! * **Bandwidth**: each pipe is a serializer of `bandwidth` bytes per second: a chunk of `n`
//!   bytes leaves `n / bandwidth` after the previous one. The cap is per connection and per
//!   direction; N connections in parallel get N times the bandwidth (no shared bottleneck).
//! * **Opening a connection**: on a new connection the client→server pipe delivers nothing
//!   before `connect_rtts × rtt` after the accept (TCP's handshake plus TLS 1.3's: 2). A
//!   kept-alive connection pays it once.
//! * **Backpressure**: at most 1 MiB is undelivered per pipe; beyond that the sender is not
//!   read, as a TCP window would stop it.
//!
//! No loss, no slow start: the link is kind to clients that open many connections.

use std::time::Duration;

/// A simulated wide-area link in front of the mock ([`crate::MockConfig::wan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WanLink {
    /// Round-trip time: each direction delays every byte by half of it.
    pub rtt: Duration,
    /// Bytes per second per connection and per direction; `None`: no cap.
    pub bandwidth: Option<u64>,
    /// Round trips a new connection waits before its first request byte reaches the mock
    /// (TCP + TLS 1.3: 2). Over the mock's own TLS its handshake crosses the link too and adds
    /// one more round trip of its own, so 1 models TCP + TLS there.
    pub connect_rtts: u32,
}

impl WanLink {
    /// The link of the project's WAN benchmarks: 50 ms round trip, 8,000,000 B/s per
    /// connection and direction, 2 round trips to open a connection.
    #[must_use]
    pub fn benchmark() -> WanLink {
        WanLink {
            rtt: Duration::from_millis(50),
            bandwidth: Some(8_000_000),
            connect_rtts: 2,
        }
    }

    /// One line for logs: `rtt 50 ms, 8000000 B/s per connection and direction, 2 RTT per
    /// new connection`.
    #[must_use]
    pub fn describe(&self) -> String {
        let bandwidth = self.bandwidth.map_or_else(
            || "no bandwidth cap".to_owned(),
            |bw| format!("{bw} B/s per connection and direction"),
        );
        format!(
            "rtt {} ms, {bandwidth}, {} RTT per new connection",
            self.rtt.as_millis(),
            self.connect_rtts
        )
    }
}

/// What the simulated WAN carried so far ([`crate::MockServer::wan_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WanStats {
    /// Client connections accepted (each got its own connection to the mock behind).
    pub connections: usize,
    /// Connections open now.
    pub open: usize,
    /// Most connections open at once since the start or the last
    /// [`crate::MockServer::reset_wan_peak`].
    pub peak_open: usize,
    /// Bytes from clients to the mock, headers (and TLS records) included.
    pub bytes_up: u64,
    /// Bytes from the mock to clients.
    pub bytes_down: u64,
}
