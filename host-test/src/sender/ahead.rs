//! Connections opened ahead of the requests that will use them.
//!
//! A whole job knows early how many transfers it will run at once (a 1.0 load's batches, a
//! PK-chunked query's chunks), but the pool opens a connection only when a request finds no
//! idle one: each of the job's second to N-th connections then costs its handshakes (TCP, and
//! TLS for `https://`: two round trips) right when the transfers start. [`Network::open_ahead`]
//! opens them while the job is being set up instead; the connector hands them out before
//! opening any of its own ([`Ahead::take`], waiting for one still opening).
//!
//! A connection opened ahead holds its slot of the per-host cap like any other, so the cap
//! holds. One not taken within [`super::IDLE_TIMEOUT`] (the pool's own limit for idle
//! connections, well inside servers' keep-alive) is closed. One that fails to open is dropped
//! without a word: the request that would have taken it opens its own, and that one's error
//! is the one the component sees.
//!
//! [`Network::open_ahead`]: super::Network::open_ahead

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::oneshot;

/// One connection opened ahead: until when it may be taken, and where it arrives.
struct Opening<C> {
    until: Instant,
    conn: oneshot::Receiver<C>,
}

/// The connections `C` opened ahead, per destination (`scheme://host:port` as the pool names
/// it), oldest first.
pub(crate) struct Ahead<C> {
    by_host: Mutex<HashMap<String, Vec<Opening<C>>>>,
}

impl<C> Default for Ahead<C> {
    fn default() -> Self {
        Ahead {
            by_host: Mutex::default(),
        }
    }
}

impl<C> Ahead<C> {
    /// Keeps the connection that will arrive on `conn` for `key`'s requests until `until`.
    pub(crate) fn push(&self, key: String, conn: oneshot::Receiver<C>, until: Instant) {
        self.lock()
            .entry(key)
            .or_default()
            .push(Opening { until, conn });
    }

    /// The next connection opened ahead to `key`, waiting for it when it is still opening;
    /// `None` when none is left (none asked for, all taken, failed or too old).
    pub(crate) async fn take(&self, key: &str) -> Option<C> {
        loop {
            let next = {
                let mut by_host = self.lock();
                let waiting = by_host.get_mut(key)?;
                let next = (!waiting.is_empty()).then(|| waiting.remove(0));
                if waiting.is_empty() {
                    by_host.remove(key);
                }
                next?
            };
            if Instant::now() >= next.until {
                continue;
            }
            if let Ok(conn) = next.conn.await {
                return Some(conn);
            }
        }
    }

    /// Closes `key`'s connections not taken by their time.
    pub(crate) fn expire(&self, key: &str) {
        let mut by_host = self.lock();
        if let Some(waiting) = by_host.get_mut(key) {
            let now = Instant::now();
            waiting.retain(|o| now < o.until);
            if waiting.is_empty() {
                by_host.remove(key);
            }
        }
    }

    /// Connections asked for `key` and not taken yet (opening, open, or failed unseen).
    #[cfg(test)]
    pub(crate) fn waiting(&self, key: &str) -> usize {
        self.lock().get(key).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Opening<C>>>> {
        self.by_host.lock().unwrap_or_else(|e| e.into_inner())
    }
}
