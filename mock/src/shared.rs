//! What the server thread and the [`crate::MockServer`] handle share: the mock's state, the
//! request log and the armed faults.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::apply::{processing, v2_processing};
use crate::counters::FaultKind;
use crate::faults::{Fault, FaultPlan};
use crate::model::State;
use crate::wan::WanCounters;

/// One HTTP request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path including the query string, e.g. `/services/oauth2/token?grant_type=refresh_token`.
    pub path: String,
    /// Header names in lower case, values as sent (lossy UTF-8), in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as sent (after de-chunking, before any `Content-Encoding` decoding).
    pub body: Vec<u8>,
}

impl LoggedRequest {
    /// First value of a header (name matched case-insensitively).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<FaultPlan>,
    /// Whether replies may be gzip-compressed ([`crate::MockConfig::gzip_replies`]).
    pub(crate) gzip_replies: bool,
    /// The simulated WAN's counters, when the mock has one.
    pub(crate) wan: Option<Arc<WanCounters>>,
}

/// Locks a mutex, ignoring poisoning: a panicking handler must not take the mock down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(state: State, gzip_replies: bool, wan: Option<Arc<WanCounters>>) -> Shared {
        Shared {
            state: Mutex::new(state),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultPlan::default()),
            gzip_replies,
            wan,
        }
    }

    /// Runs `f` on the state and the mock's time, after finishing every batch (1.0) and every
    /// job step (2.0) due by then.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State, SystemTime) -> R) -> R {
        let mut state = lock(&self.state);
        let now = state.now();
        processing::advance(&mut state, now);
        v2_processing::advance(&mut state, now);
        f(&mut state, now)
    }

    /// Runs `f` on the state and the mock's time without finishing what is due first (for
    /// requests that [`crate::router::needs_nothing_due`] says are answered the same).
    pub(crate) fn with_state_as_is<R>(&self, f: impl FnOnce(&mut State, SystemTime) -> R) -> R {
        let mut state = lock(&self.state);
        let now = state.now();
        f(&mut state, now)
    }

    /// Finishes what is due, one batch or 2.0 job step per hold of the state lock, so that
    /// requests are answered in between (a request that looks at the state still finishes
    /// everything due first: [`Shared::with_state`]).
    pub(crate) fn run_due(&self) {
        loop {
            let mut state = lock(&self.state);
            let now = state.now();
            if !processing::advance_one(&mut state, now)
                && !v2_processing::advance_one(&mut state, now)
            {
                return;
            }
        }
    }

    /// Arms faults with `arm` and counts `n` of `kind` as injected.
    pub(crate) fn arm(&self, kind: FaultKind, n: usize, arm: impl FnOnce(&mut FaultPlan)) {
        arm(&mut lock(&self.faults));
        lock(&self.state).counters.note_injected(kind, n);
    }

    /// The faults of the request that just arrived.
    pub(crate) fn take_fault(&self, body: &[u8]) -> Fault {
        lock(&self.faults).take(body)
    }

    /// Counts a fault that hit a request.
    pub(crate) fn fired(&self, kind: FaultKind) {
        lock(&self.state).counters.note_fired(kind);
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, Vec<LoggedRequest>> {
        lock(&self.log)
    }
}
