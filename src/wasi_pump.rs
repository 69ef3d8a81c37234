//! Concurrent transfers over wasi:http: while the component waits for anything — a reply
//! head, the body it is reading, room to write a request body, a backoff or poll interval —
//! it moves the bytes that have arrived for the other reply bodies it holds open into their
//! buffers. A whole job opens the next few result files ahead of the one it reads
//! (`config.concurrency`), so their transfers run while it works through the first, and
//! the output is still written in order.
//!
//! A request handed to the host without waiting ([`Head`]) is watched too: when its reply head
//! arrives while the component waits for something else, its body is taken and read ahead
//! like the others, so a file asked for ahead transfers before anyone waits for its head.
//!
//! Memory stays bounded: the buffers of all bodies together take at most [`AHEAD_CAP`]
//! bytes, after which their streams are left unread and the host's flow control holds the
//! senders back. A body that is ready when it is read is taken straight from its stream,
//! never buffered: on a slow link the buffers fill while the reader waits, and on a fast one
//! (where a file opened ahead can arrive whole while the first is read) the cap is what
//! keeps memory flat.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasi::http::types::{ErrorCode, FutureIncomingResponse, IncomingBody, IncomingResponse};
use wasi::io::poll::{Pollable, poll};
use wasi::io::streams::{InputStream, StreamError};

/// The most bytes buffered ahead of their readers, all bodies together.
pub const AHEAD_CAP: usize = 4 * 1024 * 1024;

/// How much one read of a body opened ahead asks for.
const FILL_CHUNK: usize = 256 * 1024;

/// A reply body's stream and what has been read of it ahead of its reader.
pub struct Pipe {
    stream: InputStream,
    chunks: VecDeque<Vec<u8>>,
    buffered: usize,
    /// The stream ended: `Ok` at its end, `Err` with the host's words when it failed.
    end: Option<Result<(), String>>,
}

/// What a read of a pipe found.
pub enum Got {
    /// Bytes (never empty).
    Bytes(Vec<u8>),
    /// Nothing yet.
    Nothing,
    /// The end of the body.
    End,
    /// The stream failed; the host's words.
    Failed(String),
}

thread_local! {
    /// Every open reply body of this instance (dropped ones are pruned as they are seen).
    static PIPES: RefCell<Vec<Weak<RefCell<Pipe>>>> = const { RefCell::new(Vec::new()) };
    /// Bytes buffered by all of them.
    static BUFFERED: Cell<usize> = const { Cell::new(0) };
    /// Every request handed over whose reply head has not been taken yet.
    static HEADS: RefCell<Vec<Weak<RefCell<Head>>>> = const { RefCell::new(Vec::new()) };
}

/// A reply whose head arrived, with its body's stream registered as a [`Pipe`]. Field order
/// is drop order: the stream is a child of the body, the body of the reply.
pub struct Reply {
    pub pipe: Rc<RefCell<Pipe>>,
    /// Held: the stream lives only as long as its body.
    _body: IncomingBody,
    pub response: IncomingResponse,
}

/// What waiting for a reply head gave.
pub enum Arrival {
    Reply(Reply),
    /// The host's error.
    Failed(ErrorCode),
    /// The reply or its body could not be taken: what was missing.
    Unavailable(&'static str),
}

/// A request handed to the host, until its reply head is taken by its owner.
pub struct Head {
    future: FutureIncomingResponse,
    /// `None` while waiting; `Some(None)` once the owner took it.
    arrived: Option<Option<Arrival>>,
}

impl Head {
    /// Registers a request's reply-to-be, so that the pump takes its head (and reads its
    /// body ahead) when it arrives while the component waits for something else.
    pub fn register(future: FutureIncomingResponse) -> Rc<RefCell<Head>> {
        let head = Rc::new(RefCell::new(Head {
            future,
            arrived: None,
        }));
        HEADS.with(|h| h.borrow_mut().push(Rc::downgrade(&head)));
        head
    }

    /// The reply head, if it has arrived (once: the owner takes it).
    pub fn take(&mut self) -> Option<Arrival> {
        self.check();
        self.arrived.as_mut().and_then(Option::take)
    }

    /// A pollable that is ready when the head has arrived.
    pub fn subscribe(&self) -> Pollable {
        self.future.subscribe()
    }

    /// Takes the head from the host if it has arrived, and registers its body.
    fn check(&mut self) {
        if self.arrived.is_some() {
            return;
        }
        self.arrived = self.future.get().map(|got| {
            Some(match got {
                Ok(Ok(response)) => match response.consume() {
                    Err(()) => Arrival::Unavailable("reply body unavailable"),
                    Ok(body) => match body.stream() {
                        Err(()) => Arrival::Unavailable("reply body stream unavailable"),
                        Ok(stream) => Arrival::Reply(Reply {
                            pipe: Pipe::register(stream),
                            _body: body,
                            response,
                        }),
                    },
                },
                Ok(Err(e)) => Arrival::Failed(e),
                Err(()) => Arrival::Unavailable("reply already taken"),
            })
        });
    }
}

/// Counts `n` bytes more (or, negative, fewer) in the buffers of all bodies.
fn count(n: isize) {
    let _ = BUFFERED.try_with(|b| b.set(b.get().saturating_add_signed(n)));
}

impl Pipe {
    /// Registers a reply body's stream.
    pub fn register(stream: InputStream) -> Rc<RefCell<Pipe>> {
        let pipe = Rc::new(RefCell::new(Pipe {
            stream,
            chunks: VecDeque::new(),
            buffered: 0,
            end: None,
        }));
        PIPES.with(|p| p.borrow_mut().push(Rc::downgrade(&pipe)));
        pipe
    }

    /// Up to `max` bytes without waiting: buffered ones first, then what the stream has.
    pub fn take(&mut self, max: usize) -> Got {
        if let Some(front) = self.chunks.front_mut() {
            let chunk = if front.len() <= max {
                self.chunks.pop_front().unwrap_or_default()
            } else {
                let rest = front.split_off(max);
                std::mem::replace(front, rest)
            };
            self.buffered -= chunk.len();
            count(-(chunk.len() as isize));
            return Got::Bytes(chunk);
        }
        match &self.end {
            Some(Ok(())) => return Got::End,
            Some(Err(e)) => return Got::Failed(e.clone()),
            None => {}
        }
        match self.stream.read(max as u64) {
            Ok(chunk) if chunk.is_empty() => Got::Nothing,
            Ok(chunk) => Got::Bytes(chunk),
            Err(StreamError::Closed) => Got::End,
            Err(StreamError::LastOperationFailed(e)) => Got::Failed(e.to_debug_string()),
        }
    }

    /// A pollable that is ready when the stream has bytes (or ended).
    pub fn subscribe(&self) -> Pollable {
        self.stream.subscribe()
    }

    /// Whether the pump should read this body ahead now.
    fn wants_fill(&self) -> bool {
        self.end.is_none() && BUFFERED.with(Cell::get) < AHEAD_CAP
    }

    /// Moves what the stream has into the buffer.
    fn fill(&mut self) {
        let want = AHEAD_CAP
            .saturating_sub(BUFFERED.with(Cell::get))
            .clamp(1, FILL_CHUNK);
        match self.stream.read(want as u64) {
            Ok(chunk) => {
                self.buffered += chunk.len();
                count(chunk.len() as isize);
                if !chunk.is_empty() {
                    self.chunks.push_back(chunk);
                }
            }
            Err(StreamError::Closed) => self.end = Some(Ok(())),
            Err(StreamError::LastOperationFailed(e)) => self.end = Some(Err(e.to_debug_string())),
        }
    }
}

impl Drop for Pipe {
    /// A body dropped with bytes still buffered (a reader that gave up) frees its share.
    fn drop(&mut self) {
        count(-(self.buffered as isize));
    }
}

/// Waits until `target` is ready, meanwhile filling the buffers of the other open bodies
/// (not `reading`, the one the caller waits for) and taking the heads of requests in flight.
pub fn wait(target: &Pollable, reading: Option<&Rc<RefCell<Pipe>>>) {
    loop {
        let others: Vec<Rc<RefCell<Pipe>>> = PIPES.with(|p| {
            let mut p = p.borrow_mut();
            p.retain(|w| w.strong_count() > 0);
            p.iter()
                .filter_map(Weak::upgrade)
                .filter(|pipe| !reading.is_some_and(|r| Rc::ptr_eq(r, pipe)))
                .filter(|pipe| pipe.borrow().wants_fill())
                .collect()
        });
        let heads: Vec<Rc<RefCell<Head>>> = HEADS.with(|h| {
            let mut h = h.borrow_mut();
            h.retain(|w| {
                w.upgrade()
                    .is_some_and(|head| head.borrow().arrived.is_none())
            });
            h.iter().filter_map(Weak::upgrade).collect()
        });
        if others.is_empty() && heads.is_empty() {
            target.block();
            return;
        }
        let subs: Vec<Pollable> = (others.iter().map(|p| p.borrow().subscribe()))
            .chain(heads.iter().map(|h| h.borrow().subscribe()))
            .collect();
        let mut list: Vec<&Pollable> = Vec::with_capacity(subs.len() + 1);
        list.push(target);
        list.extend(subs.iter());
        let ready = poll(&list);
        drop(list);
        drop(subs);
        let mut done = false;
        for i in ready {
            match i as usize {
                0 => done = true,
                n if n <= others.len() => others[n - 1].borrow_mut().fill(),
                n => heads[n - 1 - others.len()].borrow_mut().check(),
            }
        }
        if done {
            return;
        }
    }
}
