//! The transport seam: what the client core needs from the outside world. The component
//! implements it over wasi:http (`crate::wasi_http`); tests implement it with scripted
//! exchanges (`scripted`), so sessions, retries and stitching are tested natively.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};

use crate::error::Error;
use crate::gzip::{Gunzip, GzipError};
use crate::protocol;

/// Connect, first-byte and between-bytes timeouts, handed to the transport with every
/// request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting, in milliseconds.
    pub connect_ms: u64,
    /// Until the first byte of the reply, in milliseconds.
    pub first_byte_ms: u64,
    /// Between two chunks of the reply, in milliseconds.
    pub between_bytes_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_ms: 30_000,
            first_byte_ms: 120_000,
            between_bytes_ms: 120_000,
        }
    }
}

/// Why a request failed in transport, and whether it may have reached the server.
#[derive(Debug)]
pub struct SendFailure {
    /// The error (transport, timeout or invalid input).
    pub error: Error,
    /// False when the request certainly never reached the server (refused connection,
    /// DNS failure, connect timeout): sending it again cannot duplicate anything.
    pub maybe_sent: bool,
}

impl SendFailure {
    /// A failure before anything left: safe to send again.
    pub fn not_sent(error: Error) -> Self {
        SendFailure {
            error,
            maybe_sent: false,
        }
    }

    /// A failure after the request may have reached the server.
    pub fn maybe_sent(error: Error) -> Self {
        SendFailure {
            error,
            maybe_sent: true,
        }
    }
}

impl From<SendFailure> for Error {
    fn from(f: SendFailure) -> Error {
        f.error
    }
}

/// A reply body as it arrives (not decoded).
/// A request body: pieces sent one after another. Shared (`Bytes`): a caller that may send
/// it again keeps handles, not a copy. A large upload stays in the pieces it was gathered in
/// (`crate::split`'s blocks) instead of being copied into one buffer.
pub type Body = Vec<Bytes>;

/// A body of one piece.
#[inline(never)]
pub fn body(data: Vec<u8>) -> Body {
    vec![Bytes::from(data)]
}

pub trait RawBody {
    /// The next piece, at most `max` bytes; `None` at the end of the body. A broken
    /// connection or a body cut short is a `Transport` or `Timeout` error.
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error>;
}

/// A reply whose body has not been read yet.
pub struct Opened {
    /// The status and the headers the protocol reads, with an empty body.
    pub head: Response<()>,
    /// The body.
    pub body: Box<dyn RawBody>,
}

/// A request handed over whose reply head has not been waited for yet
/// ([`Transport::start`]).
pub trait Started {
    /// Waits for the reply head.
    fn finish(self: Box<Self>) -> Result<Opened, SendFailure>;
}

/// A reply already waited for (the default [`Transport::start`]).
pub struct Ready(pub Result<Opened, SendFailure>);

impl Started for Ready {
    fn finish(self: Box<Self>) -> Result<Opened, SendFailure> {
        self.0
    }
}

/// Sends requests and tells the time. One implementation per host environment.
pub trait Transport {
    /// Sends `req` and returns the reply head with its body still to be read.
    fn open(&self, req: Request<Body>, timeouts: Timeouts) -> Result<Opened, SendFailure>;

    /// Sends `req` without waiting for its reply head, so that several requests are in
    /// flight at once (a whole job opening result files ahead). The default waits: a
    /// transport that cannot overlap requests sends them one after another.
    fn start(&self, req: Request<Body>, timeouts: Timeouts) -> Box<dyn Started> {
        Box::new(Ready(self.open(req, timeouts)))
    }

    /// Sends `req` and reads the whole reply, at most `limit` bytes of body.
    fn send(
        &self,
        req: Request<Body>,
        timeouts: Timeouts,
        limit: usize,
    ) -> Result<Response<Vec<u8>>, SendFailure> {
        read_all(self.open(req, timeouts)?, limit)
    }

    /// Waits (a backoff or a poll interval).
    fn sleep(&self, d: Duration);

    /// A monotonic clock: time since some fixed origin.
    fn monotonic(&self) -> Duration;

    /// Wall-clock time in milliseconds since the Unix epoch (session ages).
    fn wall_ms(&self) -> u64;

    /// A number in `[0, 1)` that differs between calls (backoff jitter).
    fn jitter(&self) -> f64 {
        crate::backoff::clock_jitter()
    }
}

/// Reads the rest of a reply, at most `limit` bytes of body.
pub fn read_all(mut opened: Opened, limit: usize) -> Result<Response<Vec<u8>>, SendFailure> {
    let mut buf = Vec::new();
    loop {
        match opened.body.read(256 * 1024) {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Err(SendFailure::maybe_sent(Error::Transport(format!(
                        "reply body is larger than the {limit}-byte limit"
                    ))));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(SendFailure::maybe_sent(e)),
        }
    }
    let (parts, ()) = opened.head.into_parts();
    Ok(Response::from_parts(parts, buf))
}

/// A reply body read in pieces, gunzipped when the reply says so
/// ([`protocol::is_gzip`]).
pub struct BodyReader {
    gzip: Option<Box<Gunzip>>,
    raw: Box<dyn RawBody>,
    headers: http::HeaderMap,
}

impl BodyReader {
    /// The reader of an opened reply's body.
    pub fn new(opened: Opened) -> Self {
        let gzip = protocol::is_gzip(opened.head.headers());
        let (parts, ()) = opened.head.into_parts();
        BodyReader {
            gzip: gzip.then(|| Box::new(Gunzip::new())),
            raw: opened.body,
            headers: parts.headers,
        }
    }

    /// The reply's headers (those the transport kept).
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// Up to `max` more decoded bytes; empty at the end of the body.
    pub fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>, Error> {
        let max = max.max(1);
        let Some(g) = &mut self.gzip else {
            return self.raw.read(max).map(Option::unwrap_or_default);
        };
        let mut buf = vec![0u8; max];
        loop {
            let n = g.read(&mut buf).map_err(|e| gzip_error(&e))?;
            if n > 0 {
                buf.truncate(n);
                return Ok(buf);
            }
            match self.raw.read(64 * 1024)? {
                Some(chunk) => g.feed(&chunk),
                None => {
                    g.finish().map_err(|e| gzip_error(&e))?;
                    return Ok(Vec::new());
                }
            }
        }
    }
}

fn gzip_error(e: &GzipError) -> Error {
    Error::Transport(format!(
        "reading the reply body: gzip body cannot be decoded: {e}"
    ))
}
