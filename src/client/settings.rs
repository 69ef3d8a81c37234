//! A config, resolved once: the endpoint it describes (checked), the login that obtains and
//! renews sessions, the session key, timeouts and the retry policy. Every call works from
//! these.
//!
//! Which credentials are used, first match wins (only the matched ones are used; any other
//! credentials given are ignored):
//! 1. an access token (renewed by the refresh token, client id and client secret when all
//!    three are given);
//! 2. a JWT private key + username + client id: the JWT bearer grant, run again when the
//!    session expires;
//! 3. a refresh token + client id + client secret without an access token: the refresh
//!    grant first;
//! 4. a client id + client secret alone: the client-credentials grant, run again when the
//!    session expires; it needs the org's My Domain as the token endpoint.
//!
//! A grant's `instance_url` is where requests go: the api-url is then optional (checked
//! when given, and replaced).

use std::time::Duration;

use crate::backoff::{PollPolicy, RetryPolicy};
use crate::error::Error;
use crate::protocol::{
    self, ClientCredentials, Endpoint, JwtCredentials, JwtKey, Login, RefreshCredentials,
};

use super::transport::Timeouts;

/// What a caller gives: the seed connector's `init` parameters (the WIT `config` record).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// API version, e.g. `59.0`.
    pub api_version: String,
    /// Session id or OAuth access token; empty when a grant logs in.
    pub access_token: String,
    /// Instance URL, e.g. `https://example.my.salesforce.com`; may be empty when a grant
    /// logs in (its `instance_url` is used).
    pub api_url: String,
    /// OAuth token host; default [`protocol::DEFAULT_TOKEN_HOST`].
    pub token_endpoint_hostname: Option<String>,
    /// OAuth refresh token.
    pub refresh_token: Option<String>,
    /// Connected app consumer key.
    pub client_id: Option<String>,
    /// Connected app consumer secret.
    pub client_secret: Option<String>,
    /// Proactive refresh period in milliseconds.
    pub interval_time: Option<u64>,
    /// Key under which the session is kept and shared.
    pub registry_path: Option<String>,
    /// Timeouts in milliseconds; absent ones keep the default.
    pub connect_ms: Option<u32>,
    /// Until the first byte of a reply.
    pub first_byte_ms: Option<u32>,
    /// Between two chunks of a reply.
    pub between_bytes_ms: Option<u32>,
    /// Attempts in all (1 turns retries off).
    pub max_attempts: Option<u32>,
    /// First backoff.
    pub first_delay_ms: Option<u32>,
    /// Largest backoff.
    pub max_delay_ms: Option<u32>,
    /// No retry whose wait would end later than this after the first attempt.
    pub max_total_ms: Option<u32>,
    /// The user the JWT bearer grant logs in as.
    pub username: Option<String>,
    /// The connected app's RSA private key (PEM text) for the JWT bearer grant.
    pub jwt_private_key: Option<String>,
    /// Transfers a whole job runs at once; default [`DEFAULT_CONCURRENCY`].
    pub concurrency: Option<u32>,
}

/// Transfers a whole job runs at once unless the config says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The most transfers at once a config may ask for.
pub const MAX_CONCURRENCY: u32 = 64;

/// Names only where values are secrets.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_version", &self.api_version)
            .field("api_url", &self.api_url)
            .field("token_endpoint_hostname", &self.token_endpoint_hostname)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A [`Config`], checked and resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The endpoint the config describes (its URL, version and token); `None` when a
    /// grant logs in (the first session comes from the token endpoint).
    pub configured: Option<Endpoint>,
    /// The API version as given (a renewed session keeps it).
    pub api_version: String,
    /// Where sessions of this config are kept: the registry path, or api-url + client id.
    pub key: String,
    /// How sessions are obtained and renewed; `None`: an access token that is not renewed.
    pub login: Option<Login>,
    /// Renew the token before a call once it is this old (with a login only).
    pub interval_ms: Option<u64>,
    /// Per request.
    pub timeouts: Timeouts,
    /// Retries of idempotent requests.
    pub retry: RetryPolicy,
    /// Transfers a whole job runs at once (at least 1).
    pub concurrency: usize,
}

fn nonempty(o: &Option<String>) -> Option<String> {
    o.as_deref().filter(|s| !s.is_empty()).map(str::to_string)
}

impl Settings {
    /// Checks the config (URL, version, token, token host): an error here means nothing
    /// was sent.
    pub fn new(cfg: &Config) -> Result<Self, Error> {
        let token_host = nonempty(&cfg.token_endpoint_hostname);
        if let Some(host) = &token_host {
            protocol::parse_base_url(host, "token-endpoint-hostname")?;
        }
        let (configured, login) = resolve(cfg, token_host)?;
        let d = Timeouts::default();
        let ms = |v: Option<u32>, d: u64| v.map(u64::from).unwrap_or(d);
        let timeouts = Timeouts {
            connect_ms: ms(cfg.connect_ms, d.connect_ms),
            first_byte_ms: ms(cfg.first_byte_ms, d.first_byte_ms),
            between_bytes_ms: ms(cfg.between_bytes_ms, d.between_bytes_ms),
        };
        let r = RetryPolicy::default();
        let dur =
            |v: Option<u32>, d: Duration| v.map(|v| Duration::from_millis(v.into())).unwrap_or(d);
        let retry = RetryPolicy {
            max_attempts: cfg.max_attempts.unwrap_or(r.max_attempts).max(1),
            first_delay: dur(cfg.first_delay_ms, r.first_delay),
            max_delay: dur(cfg.max_delay_ms, r.max_delay),
            max_total: dur(cfg.max_total_ms, r.max_total),
        };
        let concurrency = match cfg.concurrency {
            None => DEFAULT_CONCURRENCY,
            Some(n @ 1..=MAX_CONCURRENCY) => n as usize,
            Some(n) => {
                return Err(Error::invalid(format!(
                    "concurrency must be 1 to {MAX_CONCURRENCY}, got {n}"
                )));
            }
        };
        Ok(Settings {
            configured,
            api_version: cfg.api_version.clone(),
            key: session_key(cfg),
            login,
            interval_ms: cfg.interval_time.filter(|i| *i > 0),
            timeouts,
            retry,
            concurrency,
        })
    }

    /// An endpoint to build requests against only to check them (never sent): the
    /// configured one, or a stand-in while a login has not yet found the instance.
    pub fn checks_endpoint(&self) -> Result<Endpoint, Error> {
        match &self.configured {
            Some(ep) => Ok(ep.clone()),
            None => Endpoint::new(protocol::DEFAULT_TOKEN_HOST, &self.api_version, "unsent"),
        }
    }
}

/// The endpoint a config describes and its login, by the precedence in the module doc.
fn resolve(
    cfg: &Config,
    token_host: Option<String>,
) -> Result<(Option<Endpoint>, Option<Login>), Error> {
    let given_host = token_host.clone();
    let token_host = token_host.unwrap_or_else(|| protocol::DEFAULT_TOKEN_HOST.to_string());
    let client_id = nonempty(&cfg.client_id);
    let client_secret = nonempty(&cfg.client_secret);
    let refresh = match (nonempty(&cfg.refresh_token), &client_id, &client_secret) {
        (Some(refresh_token), Some(id), Some(secret)) => Some(RefreshCredentials {
            token_host: token_host.clone(),
            refresh_token,
            client_id: id.clone(),
            client_secret: secret.clone(),
        }),
        _ => None,
    };
    // 1. An access token, renewed by the refresh credentials when given.
    if !cfg.access_token.is_empty() {
        let ep = Endpoint::new(&cfg.api_url, &cfg.api_version, &cfg.access_token)?;
        return Ok((Some(ep), refresh.map(Login::Refresh)));
    }
    // A grant: the version is checked now, the api-url when given (the grant replaces it).
    protocol::endpoint::normalize_version(&cfg.api_version)?;
    if !cfg.api_url.trim().is_empty() {
        protocol::parse_base_url(&cfg.api_url, "api-url")?;
    }
    let login = match (
        nonempty(&cfg.jwt_private_key),
        nonempty(&cfg.username),
        refresh,
        client_id,
        client_secret,
    ) {
        // 2. The JWT bearer grant.
        (Some(pem), Some(username), _, Some(client_id), _) => Login::JwtBearer(JwtCredentials {
            token_host,
            client_id,
            username,
            key: JwtKey::from_pem(&pem)?,
        }),
        // 3. The refresh grant first.
        (_, _, Some(creds), _, _) => Login::Refresh(creds),
        // 4. Client credentials, at the org's My Domain only.
        (_, _, None, Some(client_id), Some(client_secret)) => {
            let my_domain = given_host
                .filter(|h| !is_generic_login_host(h))
                .ok_or_else(|| {
                    Error::invalid(
                        "the client-credentials login needs your org's My Domain as the token \
                     endpoint (token-endpoint-hostname https://YOURDOMAIN.my.salesforce.com)",
                    )
                })?;
            Login::ClientCredentials(ClientCredentials {
                token_host: my_domain,
                client_id,
                client_secret,
            })
        }
        _ => {
            return Err(Error::invalid(
                "access token is empty and no login is given (a JWT private key with a \
                 username and client id, a refresh token with a client id and secret, or a \
                 client id and secret)",
            ));
        }
    };
    Ok((None, Some(login)))
}

/// `login.salesforce.com` and `test.salesforce.com`: they refuse the client-credentials grant.
fn is_generic_login_host(url: &str) -> bool {
    protocol::parse_base_url(url, "token-endpoint-hostname").is_ok_and(|(_, authority, _)| {
        let host = authority.split(':').next().unwrap_or("");
        host.eq_ignore_ascii_case("login.salesforce.com")
            || host.eq_ignore_ascii_case("test.salesforce.com")
    })
}

/// The session key of a config: the registry path, or api-url + client id (+ the username
/// of a JWT login).
pub fn session_key(cfg: &Config) -> String {
    match cfg.registry_path.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => format!("registry:{p}"),
        None => {
            let mut key = format!(
                "url:{}|{}",
                cfg.api_url.trim_end_matches('/'),
                cfg.client_id.as_deref().unwrap_or("")
            );
            if cfg.access_token.is_empty()
                && let (Some(_), Some(user)) =
                    (nonempty(&cfg.jwt_private_key), nonempty(&cfg.username))
            {
                key.push('|');
                key.push_str(&user);
            }
            key
        }
    }
}

/// How to wait for batches: first and largest interval, and an optional deadline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitOptions {
    /// First poll interval in milliseconds.
    pub first_interval_ms: Option<u32>,
    /// Largest poll interval in milliseconds.
    pub max_interval_ms: Option<u32>,
    /// Give up (nothing aborted) after this many milliseconds.
    pub timeout_ms: Option<u64>,
}

impl WaitOptions {
    /// The poll policy these options describe.
    pub fn policy(self) -> PollPolicy {
        let mut p = PollPolicy::default();
        if let Some(ms) = self.first_interval_ms {
            p.first = Duration::from_millis(ms.into());
        }
        if let Some(ms) = self.max_interval_ms {
            p.max = Duration::from_millis(ms.into());
        }
        p.timeout = self.timeout_ms.map(Duration::from_millis);
        p.max = p.max.max(p.first);
        p
    }
}
