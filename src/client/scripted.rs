//! A scripted transport for tests: the exchanges a call is expected to make, in order,
//! with their replies. Any request that is not the next one scripted fails the test at
//! once, and so does a script with exchanges left over. Time is virtual: `sleep` only
//! advances the clocks and is recorded. A request started without waiting
//! ([`Transport::start`]) is answered at once, and the moment its reply is taken is recorded
//! ([`Script::taken`]), so a test can tell which requests were in flight together.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use http::{HeaderMap, Request, Response};

use crate::error::Error;

use super::transport::{Opened, RawBody, SendFailure, Started, Timeouts, Transport};

/// What a scripted exchange answers.
pub(crate) enum Reply {
    /// A reply with this status, headers and body.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// A reply whose body breaks after `after` bytes (a reset or a body cut short).
    CutShort {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        after: usize,
    },
    /// No reply: the transport fails (refused, reset, timeout).
    Fail { error: Error, maybe_sent: bool },
}

/// A request as the transport saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub timeouts: Timeouts,
}

struct Step {
    method: &'static str,
    uri: String,
    reply: Reply,
}

#[derive(Default)]
struct Inner {
    steps: VecDeque<Step>,
    seen: Vec<Seen>,
    now: Duration,
    sleeps: Vec<Duration>,
    /// Requests sent and replies of started requests taken, in order (shared with the
    /// started requests).
    order: Rc<RefCell<Vec<Order>>>,
}

/// The scripted transport; see the module doc.
#[derive(Default)]
pub(crate) struct Script {
    inner: RefCell<Inner>,
}

/// The wall clock's origin (2026-01-01T00:00:00Z in ms): sessions compare ages only.
pub(crate) const WALL_ORIGIN_MS: u64 = 1_767_225_600_000;

impl Script {
    pub(crate) fn new() -> Self {
        Script::default()
    }

    /// Expects `method uri` next and answers it with `reply`.
    pub(crate) fn expect(&self, method: &'static str, uri: impl Into<String>, reply: Reply) {
        self.inner.borrow_mut().steps.push_back(Step {
            method,
            uri: uri.into(),
            reply,
        });
    }

    /// Every request seen so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.inner.borrow().seen.clone()
    }

    /// The requests started without waiting (their index in [`Script::seen`]), in the
    /// order their replies were taken.
    pub(crate) fn taken(&self) -> Vec<usize> {
        let inner = self.inner.borrow();
        let order = inner.order.borrow();
        order
            .iter()
            .filter_map(|o| match o {
                Order::Taken(i) => Some(*i),
                Order::Sent => None,
            })
            .collect()
    }

    /// How many requests had been seen when the reply of request `index` (started without
    /// waiting) was taken: more than `index + 1` means others were in flight with it.
    pub(crate) fn seen_when_taken(&self, index: usize) -> Option<usize> {
        let inner = self.inner.borrow();
        let order = inner.order.borrow();
        let at = order.iter().position(|o| *o == Order::Taken(index))?;
        Some(order[..at].iter().filter(|o| **o == Order::Sent).count())
    }

    /// Every wait so far.
    pub(crate) fn sleeps(&self) -> Vec<Duration> {
        self.inner.borrow().sleeps.clone()
    }

    /// Advances the clocks without a sleep (time passing between calls).
    pub(crate) fn advance(&self, d: Duration) {
        self.inner.borrow_mut().now += d;
    }

    /// Fails unless every scripted exchange took place.
    pub(crate) fn done(&self) {
        let inner = self.inner.borrow();
        let left: Vec<String> = inner
            .steps
            .iter()
            .map(|s| format!("{} {}", s.method, s.uri))
            .collect();
        assert!(
            left.is_empty(),
            "scripted exchanges never requested: {left:?}"
        );
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.done();
        }
    }
}

/// A body handed out in pieces, failing after `fail_after` bytes when set.
struct Body {
    data: Vec<u8>,
    pos: usize,
    fail_after: Option<usize>,
}

impl RawBody for Body {
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let end = self
            .fail_after
            .unwrap_or(self.data.len())
            .min(self.data.len());
        if self.pos >= end {
            return match self.fail_after {
                Some(_) => Err(Error::Transport(
                    "reading the reply body: connection reset (scripted)".into(),
                )),
                None => Ok(None),
            };
        }
        let n = max.max(1).min(end - self.pos);
        let chunk = self.data[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(Some(chunk))
    }
}

fn head(status: u16, headers: &[(&'static str, String)]) -> Response<()> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(()).expect("scripted reply head")
}

/// What the transport saw, in order: a request sent, or the reply of a started request (its
/// index in `seen`) taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Sent,
    Taken(usize),
}

/// A started request: answered when it was started, its reply taken when finished.
struct Deferred {
    index: usize,
    reply: Result<Opened, SendFailure>,
    order: Rc<RefCell<Vec<Order>>>,
}

impl Started for Deferred {
    fn finish(self: Box<Self>) -> Result<Opened, SendFailure> {
        self.order.borrow_mut().push(Order::Taken(self.index));
        self.reply
    }
}

impl Transport for Script {
    fn start(&self, req: Request<super::transport::Body>, timeouts: Timeouts) -> Box<dyn Started> {
        let reply = self.open(req, timeouts);
        let inner = self.inner.borrow();
        Box::new(Deferred {
            index: inner.seen.len() - 1,
            reply,
            order: inner.order.clone(),
        })
    }

    fn open(
        &self,
        req: Request<super::transport::Body>,
        timeouts: Timeouts,
    ) -> Result<Opened, SendFailure> {
        let (parts, body) = req.into_parts();
        let method = parts.method.to_string();
        let uri = parts.uri.to_string();
        let mut inner = self.inner.borrow_mut();
        inner.seen.push(Seen {
            method: method.clone(),
            uri: uri.clone(),
            headers: parts.headers.clone(),
            body: body.concat(),
            timeouts,
        });
        inner.order.borrow_mut().push(Order::Sent);
        let step = inner
            .steps
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request (script is empty): {method} {uri}"));
        assert_eq!(
            (step.method, step.uri.as_str()),
            (method.as_str(), uri.as_str()),
            "the request is not the next one scripted"
        );
        match step.reply {
            Reply::Full {
                status,
                headers,
                body,
            } => Ok(Opened {
                head: head(status, &headers),
                body: Box::new(Body {
                    data: body,
                    pos: 0,
                    fail_after: None,
                }),
            }),
            Reply::CutShort {
                status,
                headers,
                body,
                after,
            } => Ok(Opened {
                head: head(status, &headers),
                body: Box::new(Body {
                    data: body,
                    pos: 0,
                    fail_after: Some(after),
                }),
            }),
            Reply::Fail { error, maybe_sent } => Err(SendFailure { error, maybe_sent }),
        }
    }

    fn sleep(&self, d: Duration) {
        let mut inner = self.inner.borrow_mut();
        inner.sleeps.push(d);
        inner.now += d;
    }

    fn monotonic(&self) -> Duration {
        self.inner.borrow().now
    }

    fn wall_ms(&self) -> u64 {
        WALL_ORIGIN_MS + self.inner.borrow().now.as_millis() as u64
    }

    fn jitter(&self) -> f64 {
        0.5
    }
}
