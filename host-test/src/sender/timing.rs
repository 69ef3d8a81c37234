//! The request options' timeouts on a pooled client. The client's connector sees only the
//! destination, so each request runs inside a task-local [`RequestTiming`]: the connector
//! reads the connect timeout from it and says when it is opening a connection, and the
//! first-byte timer waits while it does (a new connection has the connect timeout, then the
//! first byte has its own; a reused one only the first-byte timeout).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

tokio::task_local! {
    static TIMING: Arc<RequestTiming>;
}

/// One request's connect timeout and its connections being opened.
pub(crate) struct RequestTiming {
    connect: Duration,
    /// Connections being opened for this request.
    connecting: watch::Sender<usize>,
}

/// While alive, a connection is being opened for the request.
pub(crate) struct Connecting(Arc<RequestTiming>);

impl Drop for Connecting {
    fn drop(&mut self) {
        self.0.connecting.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl RequestTiming {
    pub(crate) fn new(connect: Duration) -> Arc<RequestTiming> {
        Arc::new(RequestTiming {
            connect,
            connecting: watch::Sender::new(0),
        })
    }

    /// The timing of the request being polled, if any.
    pub(crate) fn current() -> Option<Arc<RequestTiming>> {
        TIMING.try_with(Arc::clone).ok()
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect
    }

    /// Marks a connection being opened until the guard drops.
    pub(crate) fn connecting(self: &Arc<Self>) -> Connecting {
        self.connecting.send_modify(|n| *n += 1);
        Connecting(Arc::clone(self))
    }

    /// Runs `fut` (the request: connection, request, reply head) with this timing in scope;
    /// `None` when no reply head came `first_byte` after the connection was ready.
    pub(crate) async fn first_byte<F: Future>(
        self: &Arc<Self>,
        first_byte: Duration,
        fut: F,
    ) -> Option<F::Output> {
        let fut = TIMING.scope(Arc::clone(self), fut);
        tokio::pin!(fut);
        let mut rx = self.connecting.subscribe();
        let mut deadline = Instant::now() + first_byte;
        loop {
            let connecting = *rx.borrow_and_update() > 0;
            tokio::select! {
                out = &mut fut => return Some(out),
                changed = rx.changed() => {
                    if changed.is_ok() && *rx.borrow() == 0 {
                        // A connection is ready: the first byte's time starts now.
                        deadline = Instant::now() + first_byte;
                    }
                }
                () = tokio::time::sleep_until(deadline), if !connecting => return None,
            }
        }
    }
}
