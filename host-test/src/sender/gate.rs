//! Turns of requests to one destination, first come first served: with a connection cap
//! ([`super::NetConfig::max_connections_per_host`]) at most that many requests are in
//! flight to a host at once — from the moment they are handed to the pool until their reply
//! body is read to its end or dropped — and the others wait for a turn **in the order the
//! component sent them**.
//!
//! The order is what keeps a capped network from stalling. A component opens the next
//! files ahead of the one it reads and reads them in the order it asked for them. The pool
//! on its own serves requests in the order their tasks happen to run, so a file asked for
//! later could take the last connection while the one the component waits for gets none,
//! and the later one's body is not read until the earlier one is: a stall until the
//! first-byte timeout. Turns are taken when the request is handed over (synchronously, in
//! the component's order), so the request the component waits for is never queued behind
//! one it asked for later. Waiting for a turn is not sending: the first-byte timer starts
//! after it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// The turns of every destination of one network.
pub(crate) struct Gates {
    /// Requests in flight to one destination at most.
    per_host: usize,
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

/// One destination's turns.
struct Gate {
    state: Mutex<GateState>,
}

struct GateState {
    /// Turns nobody holds.
    free: usize,
    /// Requests waiting, first first.
    queue: VecDeque<oneshot::Sender<()>>,
}

/// A request's turn: held until its reply body is done with.
pub(crate) struct Turn(Arc<Gate>);

/// A place in the queue.
pub(crate) struct Waiting {
    gate: Arc<Gate>,
    rx: oneshot::Receiver<()>,
    /// The turn came and was taken.
    taken: bool,
}

/// What a request got when it was handed over: its turn, or a place in the queue.
pub(crate) enum Ticket {
    Now(Turn),
    Later(Waiting),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Gates {
    pub(crate) fn new(per_host: usize) -> Gates {
        Gates {
            per_host: per_host.max(1),
            gates: Mutex::default(),
        }
    }

    /// A turn for a request to `uri`'s destination (`scheme://authority`), or a place in its
    /// queue. Call it when the request is handed over, in the order requests are sent.
    pub(crate) fn enter(&self, uri: &http::Uri) -> Ticket {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        let gate = Arc::clone(lock(&self.gates).entry(key).or_insert_with(|| {
            Arc::new(Gate {
                state: Mutex::new(GateState {
                    free: self.per_host,
                    queue: VecDeque::new(),
                }),
            })
        }));
        let mut state = lock(&gate.state);
        if state.free > 0 && state.queue.is_empty() {
            state.free -= 1;
            drop(state);
            return Ticket::Now(Turn(gate));
        }
        let (tx, rx) = oneshot::channel();
        state.queue.push_back(tx);
        drop(state);
        Ticket::Later(Waiting {
            gate,
            rx,
            taken: false,
        })
    }
}

impl Ticket {
    /// The request's turn, when it comes.
    pub(crate) async fn turn(self) -> Turn {
        match self {
            Ticket::Now(turn) => turn,
            Ticket::Later(mut waiting) => {
                // The sender is only dropped by `release`, after sending.
                let _ = (&mut waiting.rx).await;
                waiting.taken = true;
                Turn(Arc::clone(&waiting.gate))
            }
        }
    }
}

impl Gate {
    /// A turn given back: to the first request still waiting, else to the free ones.
    fn release(&self) {
        let mut state = lock(&self.state);
        while let Some(tx) = state.queue.pop_front() {
            if tx.send(()).is_ok() {
                return;
            }
            // That request gave up waiting: the next one.
        }
        state.free += 1;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl Drop for Waiting {
    /// A request that gave up waiting (its future dropped): a turn already given to it is
    /// passed on.
    fn drop(&mut self) {
        self.rx.close();
        if !self.taken && self.rx.try_recv().is_ok() {
            self.gate.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    /// Turns come in the order requests entered, whatever order they are awaited in; a
    /// request that gives up waiting passes its turn on; destinations are counted apart.
    #[tokio::test]
    async fn turns_are_first_come_first_served() {
        let gates = Gates::new(2);
        let a = uri("https://a.example/x");
        let first = gates.enter(&a).turn().await;
        let second = gates.enter(&a).turn().await;
        let third = gates.enter(&a);
        let fourth = gates.enter(&a);
        let fifth = gates.enter(&a);
        // Another host has turns of its own.
        let other = gates.enter(&uri("https://b.example/y"));
        assert!(matches!(other, Ticket::Now(_)));
        assert!(matches!(third, Ticket::Later(_)));
        // The fifth is awaited first: it waits behind the third and the fourth.
        let fifth = tokio::spawn(fifth.turn());
        tokio::task::yield_now().await;
        drop(first);
        let third = third.turn().await;
        assert!(!fifth.is_finished());
        drop(fourth); // gave up waiting
        drop(second);
        let fifth = tokio::time::timeout(std::time::Duration::from_secs(5), fifth)
            .await
            .expect("the fifth gets the fourth's turn")
            .unwrap();
        drop((third, fifth));
        // Both turns free again.
        let (x, y) = (gates.enter(&a), gates.enter(&a));
        assert!(matches!((&x, &y), (Ticket::Now(_), Ticket::Now(_))));
    }

    /// A turn handed to a request that then gave up is not lost.
    #[tokio::test]
    async fn a_turn_given_to_a_request_that_gave_up_is_passed_on() {
        let gates = Gates::new(1);
        let a = uri("http://127.0.0.1:1/");
        let first = gates.enter(&a).turn().await;
        let second = gates.enter(&a);
        let third = gates.enter(&a);
        drop(first); // the turn is sent to the second, which has not looked yet
        drop(second);
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), third.turn())
            .await
            .expect("the third gets the turn");
        drop(third);
        assert!(matches!(gates.enter(&a), Ticket::Now(_)));
    }
}
