//! Sessions and calls: every request goes through [`Client::call`] (or [`Client::open`]),
//! which renews an expired session once (same request replayed), retries idempotent
//! requests on transient failures, and never replays a non-idempotent request whose
//! outcome is unknown.

use std::rc::Rc;

use http::{Request, Response};

use crate::backoff;
use crate::error::Error;
use crate::protocol::{self, Endpoint, MAX_CONTROL_BYTES};

use super::settings::Settings;
use super::state::{Session, State};
use super::transport::{Body, BodyReader, Opened, SendFailure, Started, Transport, body, read_all};

/// One attempt's result: finished, or a reply to judge (status, session, retry).
enum Sent<T> {
    Done(T),
    Reply(Response<Vec<u8>>),
}

/// One attempt: a reply to judge or a finished value, or a transport failure; an `Err`
/// stops the loop (nothing could be built or sent).
type Attempt<T> = Result<Result<Sent<T>, SendFailure>, Error>;

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Clone, Copy)]
pub enum Replay<'a> {
    /// GETs, close and abort: sending again changes nothing.
    Idempotent,
    /// Creating a job or adding a batch: never sent again blindly. The text says what
    /// it was (for the outcome-unknown error).
    Never(&'a str),
}

/// A request builder for the session's endpoint.
pub type Build<'a> = &'a dyn Fn(&Endpoint) -> Result<Request<Vec<u8>>, Error>;

/// A request builder whose body every attempt shares (a large upload, not copied per
/// attempt).
pub type BuildShared<'a> = &'a dyn Fn(&Endpoint) -> Result<Request<Body>, Error>;

/// A request sent without waiting for its reply, and the endpoint (session) it was sent
/// for: a reply saying the session expired renews it only when no other request renewed it
/// meanwhile.
pub struct InFlight {
    started: Box<dyn Started>,
    ep: Endpoint,
}

/// Calls for one config, over one transport, sharing one instance's state.
#[derive(Clone)]
pub struct Client {
    pub(crate) settings: Rc<Settings>,
    pub(crate) transport: Rc<dyn Transport>,
    pub(crate) state: Rc<State>,
}

impl Client {
    /// A client for `settings`.
    pub fn new(settings: Settings, transport: Rc<dyn Transport>, state: Rc<State>) -> Self {
        Client {
            settings: Rc::new(settings),
            transport,
            state,
        }
    }

    /// The endpoint to use: the session's (possibly renewed) one, or a new session when
    /// the config describes another endpoint. Renews the token first when it is older than
    /// the interval.
    pub fn endpoint(&self) -> Result<Endpoint, Error> {
        let s = &self.settings;
        let (ep, obtained) = match self
            .state
            .session(&s.key)
            .filter(|x| x.config == s.configured)
        {
            Some(found) => (found.endpoint, found.obtained_at_ms),
            None => match &s.configured {
                Some(configured) => {
                    let obtained = self.transport.wall_ms();
                    self.store(configured.clone(), obtained);
                    (configured.clone(), obtained)
                }
                // A login without an access token: the grant gives the first session.
                None => return self.refresh(),
            },
        };
        if let Some(interval) = s.interval_ms
            && s.login.is_some()
            && self.transport.wall_ms().saturating_sub(obtained) >= interval
        {
            return self.refresh();
        }
        Ok(ep)
    }

    fn store(&self, endpoint: Endpoint, obtained_at_ms: u64) {
        self.state.store_session(
            self.settings.key.clone(),
            Session {
                endpoint,
                config: self.settings.configured.clone(),
                obtained_at_ms,
            },
        );
    }

    /// The session for this config's key, if any: `(token, instance url, obtained at)`.
    pub fn session(&self) -> Option<(String, String, u64)> {
        self.state.session(&self.settings.key).map(|s| {
            (
                s.endpoint.token().to_string(),
                s.endpoint.instance_url(),
                s.obtained_at_ms,
            )
        })
    }

    /// Seeds the session for this config's key.
    pub fn set_session(
        &self,
        access_token: &str,
        instance_url: &str,
        obtained_at_ms: u64,
    ) -> Result<(), Error> {
        let ep = Endpoint::new(instance_url, &self.settings.api_version, access_token)?;
        self.store(ep, obtained_at_ms);
        Ok(())
    }

    /// Gets a new token by the login (the refresh, JWT bearer or client-credentials grant)
    /// and stores it in the session. Sends nothing else: a refused grant is the `auth`
    /// error, and no request goes out with an empty or stale token.
    fn refresh(&self) -> Result<Endpoint, Error> {
        let login = self.settings.login.as_ref().ok_or_else(|| {
            Error::SessionExpired(
                "no refresh token, client id and client secret to renew it".into(),
            )
        })?;
        let req = login.token_request(self.transport.wall_ms())?;
        let resp = self
            .transport
            .send(req.map(body), self.settings.timeouts, MAX_CONTROL_BYTES)?;
        let grant = protocol::parse_token_response(&resp)?;
        let ep = Endpoint::new(
            &grant.instance_url,
            &self.settings.api_version,
            &grant.access_token,
        )?;
        let now = self.transport.wall_ms();
        let obtained = grant.issued_at_ms.filter(|t| *t <= now).unwrap_or(now);
        self.store(ep.clone(), obtained);
        Ok(ep)
    }

    /// Sends the request `build` makes for the session's endpoint and reads the whole
    /// reply (at most `limit` bytes); see the module doc.
    pub fn call(
        &self,
        replay: Replay<'_>,
        limit: usize,
        // `dyn`, not generic: one copy of the retry loop for every operation (a generic one
        // was monomorphized per closure, ~9 KB of the component).
        build: Build<'_>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.call_shared(replay, limit, &|ep| Ok(build(ep)?.map(body)))
    }

    /// [`Client::call`] for a request whose body the attempts share.
    pub fn call_shared(
        &self,
        replay: Replay<'_>,
        limit: usize,
        build: BuildShared<'_>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.call_from(None, replay, limit, build)
    }

    /// Sends the request `build` makes without waiting for its reply (the first attempt of
    /// [`Client::call_started`]), so that several are in flight at once.
    pub fn start_shared(&self, build: BuildShared<'_>) -> Result<InFlight, Error> {
        let ep = self.endpoint()?;
        let started = self.transport.start(build(&ep)?, self.settings.timeouts);
        Ok(InFlight { started, ep })
    }

    /// [`Client::call_shared`] whose first attempt is `started` (renewal and retries as
    /// usual, with requests `build` makes).
    pub fn call_started(
        &self,
        started: InFlight,
        replay: Replay<'_>,
        limit: usize,
        build: BuildShared<'_>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.call_from(Some(started), replay, limit, build)
    }

    fn call_from(
        &self,
        started: Option<InFlight>,
        replay: Replay<'_>,
        limit: usize,
        build: BuildShared<'_>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let t = &*self.transport;
        let timeouts = self.settings.timeouts;
        let (ep, started) = started.map(|f| (f.ep, f.started)).unzip();
        let first = std::cell::RefCell::new(started);
        let sent = self.attempts::<std::convert::Infallible>(ep, replay, &|ep| {
            let reply = match first.borrow_mut().take() {
                Some(started) => started.finish().and_then(|opened| read_all(opened, limit)),
                None => t.send(build(ep)?, timeouts, limit),
            };
            Ok(reply.map(Sent::Reply))
        })?;
        match sent {
            Sent::Reply(resp) => Ok(resp),
            Sent::Done(never) => match never {},
        }
    }

    /// Opens a (result) file for streaming, with the retries and renewal of any GET: a
    /// reply that is not a success is read whole and judged like any other.
    pub fn open(&self, build: Build<'_>) -> Result<BodyReader, Error> {
        self.open_from(None, build)
    }

    /// Sends the GET `build` makes without waiting for its reply head (the first attempt
    /// of [`Client::open_started`]).
    pub fn start(&self, build: Build<'_>) -> Result<InFlight, Error> {
        self.start_shared(&|ep| Ok(build(ep)?.map(body)))
    }

    /// [`Client::open`] whose first attempt is `started` (renewal and retries as usual,
    /// with requests `build` makes).
    pub fn open_started(&self, started: InFlight, build: Build<'_>) -> Result<BodyReader, Error> {
        self.open_from(Some(started), build)
    }

    fn open_from(&self, started: Option<InFlight>, build: Build<'_>) -> Result<BodyReader, Error> {
        let t = &*self.transport;
        let timeouts = self.settings.timeouts;
        let (ep, started) = started.map(|f| (f.ep, f.started)).unzip();
        let first = std::cell::RefCell::new(started);
        let sent = self.attempts(ep, Replay::Idempotent, &|ep| {
            let opened = match first.borrow_mut().take() {
                Some(started) => started.finish(),
                None => t.open(build(ep)?.map(body), timeouts),
            };
            Ok(opened.and_then(|opened: Opened| {
                if opened.head.status().is_success() {
                    Ok(Sent::Done(BodyReader::new(opened)))
                } else {
                    // Not a file: the (small) error reply is judged like any other.
                    read_all(opened, MAX_CONTROL_BYTES).map(Sent::Reply)
                }
            }))
        })?;
        match sent {
            Sent::Done(reader) => Ok(reader),
            Sent::Reply(resp) => Err(protocol::success_body(&resp).err().unwrap_or_else(|| {
                Error::Transport("a success reply was judged as a failure".into())
            })),
        }
    }

    /// The loop behind every request: `send` makes one attempt for an endpoint and either
    /// finishes (`Done`) or hands back a reply to judge. An expired session is renewed once
    /// and the attempt repeated; retryable replies and failures are retried by the policy;
    /// a non-idempotent request whose outcome is unknown is never repeated. `first`: the
    /// endpoint the first attempt was already sent for (a request started earlier).
    fn attempts<T>(
        &self,
        first: Option<Endpoint>,
        replay: Replay<'_>,
        send: &dyn Fn(&Endpoint) -> Attempt<T>,
    ) -> Result<Sent<T>, Error> {
        let t = &*self.transport;
        let start = t.monotonic();
        let mut ep = match first {
            Some(ep) => ep,
            None => self.endpoint()?,
        };
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (retry_after, failure) = match send(&ep)? {
                Ok(Sent::Done(v)) => return Ok(Sent::Done(v)),
                Ok(Sent::Reply(resp)) => {
                    if protocol::is_session_expired(&resp) {
                        if renewed {
                            return Err(Error::SessionExpired(
                                "the session was renewed but salesforce still refuses it".into(),
                            ));
                        }
                        if self.settings.login.is_none() {
                            return Ok(Sent::Reply(resp));
                        }
                        // One token request, then the same request once more; none when
                        // another request in flight renewed the session since this one
                        // was sent.
                        let current = self.endpoint()?;
                        ep = if current != ep {
                            current
                        } else {
                            self.refresh()?
                        };
                        renewed = true;
                        attempt -= 1;
                        continue;
                    }
                    let status = resp.status().as_u16();
                    if !backoff::retryable_status(status) {
                        return Ok(Sent::Reply(resp));
                    }
                    if let Replay::Never(what) = replay
                        && !backoff::refused_before_processing(status)
                    {
                        return Err(Error::OutcomeUnknown(format!(
                            "{what}: salesforce answered http {status}, so it is unknown whether it was done; not sent again"
                        )));
                    }
                    let retry_after = resp
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(backoff::parse_retry_after);
                    (retry_after, Ok(resp))
                }
                Err(f) => {
                    if let (Replay::Never(what), true) = (replay, f.maybe_sent) {
                        return Err(Error::OutcomeUnknown(format!(
                            "{what}: the request was sent but the reply was lost ({}); not sent again",
                            f.error
                        )));
                    }
                    (None, Err(f.error))
                }
            };
            let wait = self.settings.retry.next_delay(
                attempt,
                t.monotonic().saturating_sub(start),
                retry_after,
                t.jitter(),
            );
            match (wait, failure) {
                (Some(d), _) => t.sleep(d),
                (None, Ok(resp)) => return Ok(Sent::Reply(resp)),
                (None, Err(e)) => return Err(e),
            }
        }
    }
}
