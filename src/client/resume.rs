//! Reading a file that may break mid-body: the one owner of resume-on-cut-short, for the
//! query stream's result files and for every whole result GET (`get-bulk-query-results`,
//! `get-batch-results`, `get-batch-request`).
//!
//! The body is opened with [`Client::open`] (retries and session renewal of any GET). When
//! reading it fails in transport (reset, cut short, timeout between bytes), the same GET is
//! opened again and the decoded bytes already read are skipped, [`MAX_REOPEN`] times at most
//! (never when retries are off, `max-attempts` 1). A body that is shorter when read again
//! than what was already read is an error: the file changed.

use http::{HeaderMap, Request, Response};

use crate::error::Error;
use crate::protocol::Endpoint;

use super::call::{Client, InFlight};
use super::transport::BodyReader;

/// How often one body is opened again after its connection broke.
pub const MAX_REOPEN: u32 = 3;

/// A request builder owned by the reader, to open the body again.
pub type OwnedBuild = Box<dyn Fn(&Endpoint) -> Result<Request<Vec<u8>>, Error>>;

/// A body read through breaks; see the module doc.
pub struct ResumingBody {
    client: Client,
    build: OwnedBuild,
    /// What the body is, for errors (`result 752… of batch 751…`).
    what: String,
    body: BodyReader,
    /// Decoded bytes handed out so far.
    consumed: u64,
    /// Times the body was opened again.
    reopened: u32,
    /// Times it may be opened again.
    max_reopen: u32,
}

/// A body whose request was sent and whose reply head is still on its way
/// ([`ResumingBody::start`]).
pub struct StartedBody {
    client: Client,
    build: OwnedBuild,
    what: String,
    started: InFlight,
}

impl StartedBody {
    /// Waits for the reply head (retries and renewal as [`ResumingBody::open`]).
    pub fn finish(self) -> Result<ResumingBody, Error> {
        let body = self.client.open_started(self.started, &*self.build)?;
        Ok(ResumingBody::new(&self.client, self.what, self.build, body))
    }
}

impl ResumingBody {
    /// Sends the request for the body `build` asks for without waiting for the reply: a
    /// whole job starts the next few files at once, then opens them in order.
    pub fn start(client: &Client, what: String, build: OwnedBuild) -> Result<StartedBody, Error> {
        let started = client.start(&*build)?;
        Ok(StartedBody {
            client: client.clone(),
            build,
            what,
            started,
        })
    }

    /// Opens the body `build` asks for; `what` names it in errors.
    pub fn open(client: &Client, what: String, build: OwnedBuild) -> Result<Self, Error> {
        let body = client.open(&*build)?;
        Ok(Self::new(client, what, build, body))
    }

    fn new(client: &Client, what: String, build: OwnedBuild, body: BodyReader) -> Self {
        let max_reopen = MAX_REOPEN.min(client.settings.retry.max_attempts.saturating_sub(1));
        ResumingBody {
            client: client.clone(),
            build,
            what,
            body,
            consumed: 0,
            reopened: 0,
            max_reopen,
        }
    }

    /// The reply's headers (of the first opening).
    pub fn headers(&self) -> &HeaderMap {
        self.body.headers()
    }

    /// Decoded bytes read so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Times the body was opened again after a break.
    pub fn reopened(&self) -> u32 {
        self.reopened
    }

    /// Up to `max` more decoded bytes; empty only at the end of the body.
    pub fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>, Error> {
        loop {
            match self.body.read_chunk(max) {
                Ok(chunk) => {
                    self.consumed += chunk.len() as u64;
                    return Ok(chunk);
                }
                Err(e @ (Error::Transport(_) | Error::Timeout(_))) => self.reopen(e)?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens the body again after `cause` and skips what was read; a break while skipping
    /// counts as another one.
    fn reopen(&mut self, mut cause: Error) -> Result<(), Error> {
        loop {
            if self.reopened >= self.max_reopen {
                let n = self.reopened;
                return Err(context(
                    cause,
                    &format!(
                        " ({}: {} bytes read, opened again {n} time{}, no more)",
                        self.what,
                        self.consumed,
                        if n == 1 { "" } else { "s" }
                    ),
                ));
            }
            self.reopened += 1;
            let mut body = self.client.open(&*self.build)?;
            match skip(&mut body, self.consumed, &self.what) {
                Ok(()) => {
                    self.body = body;
                    return Ok(());
                }
                Err(e @ (Error::Transport(_) | Error::Timeout(_))) => cause = e,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the rest of the body, at most `limit` decoded bytes in all, as a reply whose
    /// body is already decoded (no `Content-Encoding`), for the protocol's parsers.
    pub fn read_all(mut self, limit: usize) -> Result<Response<Vec<u8>>, Error> {
        let mut buf = Vec::new();
        loop {
            let chunk = self.read_chunk(256 * 1024)?;
            if chunk.is_empty() {
                break;
            }
            if buf.len() + chunk.len() > limit {
                let ct = self
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                return Err(Error::unexpected(
                    200,
                    ct,
                    format!("{} is larger than the {limit}-byte limit", self.what),
                    &buf,
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        let mut headers = self.body.headers().clone();
        headers.remove(http::header::CONTENT_ENCODING);
        let mut resp = Response::new(buf);
        *resp.headers_mut() = headers;
        Ok(resp)
    }
}

/// Skips the `n` bytes of a reopened body that were already read.
fn skip(body: &mut BodyReader, n: u64, what: &str) -> Result<(), Error> {
    let mut left = n;
    while left > 0 {
        let part = body.read_chunk(left.min(1 << 20) as usize)?;
        if part.is_empty() {
            let ct = body
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            return Err(Error::unexpected(
                200,
                ct,
                format!(
                    "{what} is shorter when read again: {} bytes, {n} were read before",
                    n - left
                ),
                &[],
            ));
        }
        left -= part.len() as u64;
    }
    Ok(())
}

/// `e` with `more` appended to its message (same variant).
pub(crate) fn context(e: Error, more: &str) -> Error {
    match e {
        Error::InvalidInput(m) => Error::InvalidInput(m + more),
        Error::Transport(m) => Error::Transport(m + more),
        Error::Timeout(m) => Error::Timeout(m + more),
        Error::SessionExpired(m) => Error::SessionExpired(m + more),
        Error::OutcomeUnknown(m) => Error::OutcomeUnknown(m + more),
        Error::UnexpectedResponse {
            status,
            content_type,
            detail,
            excerpt,
        } => Error::UnexpectedResponse {
            status,
            content_type,
            detail: detail + more,
            excerpt,
        },
        Error::Api {
            status,
            code,
            message,
        } => Error::Api {
            status,
            code,
            message: message + more,
        },
        Error::Auth { error, description } => Error::Auth {
            error,
            description: description + more,
        },
        other @ Error::StillRunning { .. } => other,
    }
}
