//! The wasi:http glue: the [`Transport`] of the component. It converts `http` types to
//! wasi:http resources and back and moves bytes; everything it needs to decide comes from
//! the client core.

use std::time::{Duration, Instant};

use bytes::Bytes;

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::{OutputStream, StreamError};

use std::cell::RefCell;
use std::rc::Rc;

use crate::client::{Body, Opened, RawBody, SendFailure, Started, Timeouts, Transport};
use crate::error::Error;
use crate::substr;
use crate::wasi_pump::{self, Arrival, Got, Head, Reply};

/// Request bodies up to this size are written before the request is handed to the host, as far
/// as the host takes them without waiting (wasmtime's buffer takes all of it; jco's shim about
/// 32 KiB); the rest, and larger bodies, are streamed after it (docs/toolchain.md, G7).
const WRITE_BEFORE_SEND: usize = 512 * 1024;

/// The component's transport: wasi:http for requests, wasi:clocks for time.
pub struct WasiHttp {
    origin: Instant,
}

impl WasiHttp {
    /// A transport whose monotonic clock starts now.
    pub fn new() -> Self {
        WasiHttp {
            origin: Instant::now(),
        }
    }
}

impl Transport for WasiHttp {
    fn open(&self, req: http::Request<Body>, timeouts: Timeouts) -> Result<Opened, SendFailure> {
        open(req, timeouts)
    }

    fn start(&self, req: http::Request<Body>, timeouts: Timeouts) -> Box<dyn Started> {
        // The body is written here, as far as the host takes it (a large one waits for the
        // host to send it); the reply head is waited for when the request is finished.
        Box::new(Pending(hand_over(req, timeouts).map(
            |InFlight { future, later }| {
                if let Some((ob, stream, body, written)) = later {
                    finish_body(ob, stream, &body, written);
                }
                future
            },
        )))
    }

    fn sleep(&self, d: Duration) {
        // Bodies opened ahead keep moving while the component waits.
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        wasi_pump::wait(&wasi::clocks::monotonic_clock::subscribe_duration(ns), None);
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A reply body as wasi:http hands it over; its stream is registered with the pump
/// (`crate::wasi_pump`), which reads it ahead while the component waits for something else.
struct WasiBody(Reply);

impl RawBody for WasiBody {
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let pipe = &self.0.pipe;
        loop {
            match pipe.borrow_mut().take(max) {
                Got::Bytes(chunk) => return Ok(Some(chunk)),
                Got::End => return Ok(None),
                Got::Failed(e) => return Err(stream_error(&e)),
                Got::Nothing => {}
            }
            let ready = pipe.borrow().subscribe();
            wasi_pump::wait(&ready, Some(pipe));
        }
    }
}

/// A request handed to the host ([`Transport::start`]): its reply head is waited for when
/// it is finished (the pump takes it earlier if it arrives while the component waits).
struct Pending(Result<Rc<RefCell<Head>>, SendFailure>);

impl Started for Pending {
    fn finish(self: Box<Self>) -> Result<Opened, SendFailure> {
        reply(self.0?)
    }
}

/// A request handed to the host, and the part of its body still to write.
struct InFlight {
    future: Rc<RefCell<Head>>,
    /// The body still to write: all of it after its first bytes (as many as written).
    later: Option<(OutgoingBody, OutputStream, Body, usize)>,
}

/// Sends a request and returns the reply with its body still to be read.
fn open(req: http::Request<Body>, timeouts: Timeouts) -> Result<Opened, SendFailure> {
    let InFlight { future, later } = hand_over(req, timeouts)?;
    if let Some((ob, stream, body, written)) = later {
        finish_body(ob, stream, &body, written);
    }
    reply(future)
}

/// Writes the rest of a request body after the request was handed over. The server may
/// answer before it has read everything (e.g. an auth error): a closed stream then just
/// means the reply is on its way.
fn finish_body(ob: OutgoingBody, stream: OutputStream, body: &[Bytes], written: usize) {
    let wrote = write_all(&stream, body, written);
    drop(stream);
    match wrote {
        Ok(()) => {
            let _ = OutgoingBody::finish(ob, None);
        }
        Err(_) => drop(ob),
    }
}

/// Builds the wasi:http request, writes its body as far as the host takes it before the
/// request is sent, and hands it to the host.
fn hand_over(req: http::Request<Body>, timeouts: Timeouts) -> Result<InFlight, SendFailure> {
    let (parts, body) = req.into_parts();
    let invalid = SendFailure::not_sent;
    // 1. The request head.
    let fields = Fields::new();
    for (name, value) in &parts.headers {
        fields
            .append(name.as_str(), value.as_bytes())
            .map_err(|e| {
                // `as_str`, not `HeaderName`'s `Display` (~2.5 KB of code in the component).
                invalid(Error::invalid(format!(
                    "header {} rejected by wasi:http: {}",
                    name.as_str(),
                    header_error(&e)
                )))
            })?;
    }
    let size = len(&body);
    if size > 0 || parts.method == http::Method::POST {
        fields
            .append("content-length", size.to_string().as_bytes())
            .map_err(|e| {
                invalid(Error::invalid(format!(
                    "content-length rejected by wasi:http: {}",
                    header_error(&e)
                )))
            })?;
    }
    let out = OutgoingRequest::new(fields);
    let method = match parts.method {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        ref m => Method::Other(m.to_string()),
    };
    out.set_method(&method)
        .map_err(|()| invalid(Error::invalid("method rejected by wasi:http")))?;
    let scheme = match parts.uri.scheme_str() {
        Some("http") => Scheme::Http,
        _ => Scheme::Https,
    };
    out.set_scheme(Some(&scheme))
        .map_err(|()| invalid(Error::invalid("scheme rejected by wasi:http")))?;
    out.set_authority(parts.uri.authority().map(|a| a.as_str()))
        .map_err(|()| invalid(Error::invalid("authority rejected by wasi:http")))?;
    out.set_path_with_query(parts.uri.path_and_query().map(|p| p.as_str()))
        .map_err(|()| invalid(Error::invalid("path rejected by wasi:http")))?;
    let options = RequestOptions::new();
    let ns = |ms: u64| ms.saturating_mul(1_000_000);
    // A host that does not support a timeout keeps its own default.
    let _ = options.set_connect_timeout(Some(ns(timeouts.connect_ms)));
    let _ = options.set_first_byte_timeout(Some(ns(timeouts.first_byte_ms)));
    let _ = options.set_between_bytes_timeout(Some(ns(timeouts.between_bytes_ms)));

    // 2. The body: before handing the request over as far as the host takes it without
    //    waiting (see `WRITE_BEFORE_SEND`), finished there when all of it went; the rest after.
    //    A host whose buffer is full before the request is sent (jco's shim) would never make
    //    room: waiting for it there would hang.
    let mut later = None;
    if parts.method != http::Method::GET {
        let ob = out
            .body()
            .map_err(|()| invalid(Error::Transport("request body unavailable".into())))?;
        let stream = ob
            .write()
            .map_err(|()| invalid(Error::Transport("request body stream unavailable".into())))?;
        // Only a body of one piece (a large upload in blocks goes after).
        let written = match &body[..] {
            [one] if size <= WRITE_BEFORE_SEND => write_ready(&stream, one).map_err(invalid)?,
            _ => 0,
        };
        if written == size {
            stream
                .blocking_flush()
                .map_err(|e| invalid(write_error(e)))?;
            drop(stream);
            OutgoingBody::finish(ob, None)
                .map_err(|e| invalid(transport_error("finishing the request body", &e)))?;
        } else {
            later = Some((ob, stream, written));
        }
    }

    // 3. Hand it to the host.
    let future = outgoing_handler::handle(out, Some(options)).map_err(|e| SendFailure {
        maybe_sent: !never_sent(&e),
        error: transport_error("sending the request", &e),
    })?;
    Ok(InFlight {
        future: Head::register(future),
        later: later.map(|(ob, stream, written)| (ob, stream, body, written)),
    })
}

/// Waits for the reply head (moving other bodies' bytes meanwhile) and opens its body.
fn reply(pending: Rc<RefCell<Head>>) -> Result<Opened, SendFailure> {
    let arrival = loop {
        if let Some(arrival) = pending.borrow_mut().take() {
            break arrival;
        }
        let ready = pending.borrow().subscribe();
        wasi_pump::wait(&ready, None);
    };
    let reply = match arrival {
        Arrival::Reply(reply) => reply,
        Arrival::Failed(e) => {
            return Err(SendFailure {
                maybe_sent: !never_sent(&e),
                error: transport_error("waiting for the reply", &e),
            });
        }
        Arrival::Unavailable(what) => {
            return Err(SendFailure::maybe_sent(Error::Transport(what.into())));
        }
    };
    let response = &reply.response;
    let mut head = http::Response::builder().status(response.status());
    // Only the reply headers the protocol reads (parsing every name would cost ~12 KB of
    // code in the component and time per reply).
    for (name, value) in response.headers().entries() {
        let known = [
            http::header::CONTENT_TYPE,
            http::header::CONTENT_ENCODING,
            http::header::RETRY_AFTER,
            crate::protocol::v2::LOCATOR_HEADER,
            crate::protocol::v2::NUMBER_OF_RECORDS_HEADER,
        ];
        if let Some(h) = known
            .into_iter()
            .find(|h| name.eq_ignore_ascii_case(h.as_str()))
        {
            head = head.header(h, value);
        }
    }
    let head = head.body(()).map_err(|e| {
        SendFailure::maybe_sent(Error::Transport(format!(
            "reply head is not valid http: {e}"
        )))
    })?;
    Ok(Opened {
        head,
        body: Box::new(WasiBody(reply)),
    })
}

/// Writes what the host takes without waiting: the number of bytes written.
fn write_ready(stream: &OutputStream, data: &[u8]) -> Result<usize, Error> {
    let mut written = 0;
    while written < data.len() {
        let permit = stream.check_write().map_err(write_error)?;
        if permit == 0 {
            break;
        }
        let n = usize::try_from(permit)
            .unwrap_or(usize::MAX)
            .min(data.len() - written);
        stream
            .write(&data[written..written + n])
            .map_err(write_error)?;
        written += n;
    }
    Ok(written)
}

/// A body's size.
fn len(body: &[Bytes]) -> usize {
    body.iter().map(Bytes::len).sum()
}

/// Writes all of `body` after its first `skip` bytes, waiting for room, and flushes.
fn write_all(stream: &OutputStream, body: &[Bytes], mut skip: usize) -> Result<(), Error> {
    for data in body {
        let mut rest = &data[skip.min(data.len())..];
        skip = skip.saturating_sub(data.len());
        while !rest.is_empty() {
            let permit = match stream.check_write() {
                Ok(0) => {
                    wasi_pump::wait(&stream.subscribe(), None);
                    continue;
                }
                Ok(n) => usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()),
                Err(e) => return Err(write_error(e)),
            };
            stream.write(&rest[..permit]).map_err(write_error)?;
            rest = &rest[permit..];
        }
    }
    stream.blocking_flush().map_err(write_error)?;
    Ok(())
}

fn write_error(e: StreamError) -> Error {
    match e {
        StreamError::Closed => Error::Transport("request body stream closed early".into()),
        StreamError::LastOperationFailed(e) => {
            Error::Transport(format!("writing the request body: {}", e.to_debug_string()))
        }
    }
}

/// How the sfbulk host (`host-test/src/sender`) starts the text of an `internal-error` for
/// a failure before the request was sent (a proxy or TCP failure: wasi:http has no code with
/// text for those).
const HOST_NOT_SENT: &str = "not sent: ";

/// Whether a wasi:http error means the request never reached the server.
fn never_sent(e: &ErrorCode) -> bool {
    if let ErrorCode::InternalError(Some(d)) = e {
        return d.starts_with(HOST_NOT_SENT);
    }
    matches!(
        e,
        ErrorCode::DnsTimeout
            | ErrorCode::DnsError(_)
            | ErrorCode::DestinationNotFound
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpProhibited
            | ErrorCode::DestinationIpUnroutable
            | ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTimeout
            | ErrorCode::TlsProtocolError
            | ErrorCode::TlsCertificateError
            | ErrorCode::TlsAlertReceived(_)
            | ErrorCode::HttpRequestDenied
    )
}

fn transport_error(stage: &str, e: &ErrorCode) -> Error {
    // A failure before anything was sent happened while connecting, whenever it is seen.
    let stage = if never_sent(e) { "connecting" } else { stage };
    match e {
        ErrorCode::ConnectionTimeout => Error::Timeout(format!("{stage}: connect timed out")),
        ErrorCode::ConnectionReadTimeout => Error::Timeout(format!("{stage}: read timed out")),
        ErrorCode::ConnectionWriteTimeout => Error::Timeout(format!("{stage}: write timed out")),
        ErrorCode::DnsTimeout => Error::Timeout(format!("{stage}: dns lookup timed out")),
        ErrorCode::HttpResponseTimeout => Error::Timeout(format!("{stage}: no reply in time")),
        other => Error::Transport(format!("{stage}: {}", describe(other))),
    }
}

fn header_error(e: &wasi::http::types::HeaderError) -> &'static str {
    use wasi::http::types::HeaderError as H;
    match e {
        H::InvalidSyntax => "invalid syntax",
        H::Forbidden => "forbidden",
        H::Immutable => "immutable",
    }
}

/// A short lowercase description of a wasi:http error (its `Debug` form costs ~4 KB).
fn describe(e: &ErrorCode) -> String {
    use ErrorCode as E;
    let (what, detail): (&str, Option<String>) = match e {
        E::DnsTimeout => ("dns timeout", None),
        E::DnsError(p) => ("dns error", p.rcode.clone()),
        E::DestinationNotFound => ("destination not found", None),
        E::DestinationUnavailable => ("destination unavailable", None),
        E::DestinationIpProhibited => ("destination ip prohibited", None),
        E::DestinationIpUnroutable => ("destination ip unroutable", None),
        E::ConnectionRefused => ("connection refused", None),
        E::ConnectionTerminated => ("connection terminated", None),
        E::ConnectionTimeout => ("connection timeout", None),
        E::ConnectionReadTimeout => ("connection read timeout", None),
        E::ConnectionWriteTimeout => ("connection write timeout", None),
        E::ConnectionLimitReached => ("connection limit reached", None),
        E::TlsProtocolError => ("tls protocol error", None),
        E::TlsCertificateError => ("tls certificate error", None),
        // A host's sentence (the sfbulk host names the host and the certificate problem).
        E::TlsAlertReceived(p) => match &p.alert_message {
            Some(m) => return m.clone(),
            None => ("tls alert received", None),
        },
        E::HttpRequestDenied => ("http request denied", None),
        E::HttpRequestLengthRequired => ("http request length required", None),
        E::HttpRequestBodySize(_) => ("http request body size", None),
        E::HttpRequestMethodInvalid => ("http request method invalid", None),
        E::HttpRequestUriInvalid => ("http request uri invalid", None),
        E::HttpRequestUriTooLong => ("http request uri too long", None),
        E::HttpRequestHeaderSectionSize(_) => ("http request header section size", None),
        E::HttpRequestHeaderSize(_) => ("http request header size", None),
        E::HttpRequestTrailerSectionSize(_) => ("http request trailer section size", None),
        E::HttpRequestTrailerSize(_) => ("http request trailer size", None),
        E::HttpResponseIncomplete => ("http response incomplete", None),
        E::HttpResponseHeaderSectionSize(_) => ("http response header section size", None),
        E::HttpResponseHeaderSize(_) => ("http response header size", None),
        E::HttpResponseBodySize(_) => ("http response body size", None),
        E::HttpResponseTrailerSectionSize(_) => ("http response trailer section size", None),
        E::HttpResponseTrailerSize(_) => ("http response trailer size", None),
        E::HttpResponseTransferCoding(d) => ("http response transfer coding", d.clone()),
        E::HttpResponseContentCoding(d) => ("http response content coding", d.clone()),
        E::HttpResponseTimeout => ("http response timeout", None),
        E::HttpUpgradeFailed => ("http upgrade failed", None),
        E::HttpProtocolError => ("http protocol error", None),
        E::LoopDetected => ("loop detected", None),
        E::ConfigurationError => ("configuration error", None),
        E::InternalError(Some(d)) if d.starts_with(HOST_NOT_SENT) => {
            return d[HOST_NOT_SENT.len()..].to_string();
        }
        E::InternalError(d) => ("internal error", d.clone()),
    };
    match detail {
        Some(d) => format!("{what} ({d})"),
        None => what.to_string(),
    }
}

/// Maps an error from reading a reply body stream.
fn stream_error(detail: &str) -> Error {
    let lower = detail.to_ascii_lowercase();
    if substr::contains(&lower, "timeout") || substr::contains(&lower, "timed out") {
        Error::Timeout(format!("reading the reply body: {detail}"))
    } else {
        Error::Transport(format!("reading the reply body: {detail}"))
    }
}
