//! A config, resolved once: the endpoint it describes (checked), the refresh credentials,
//! the session key, timeouts and the retry policy. Every call works from these.

use std::time::Duration;

use crate::backoff::{PollPolicy, RetryPolicy};
use crate::error::Error;
use crate::protocol::{self, Endpoint, RefreshCredentials};

use super::transport::Timeouts;

/// What a caller gives: the seed connector's `init` parameters (the WIT `config` record).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// API version, e.g. `59.0`.
    pub api_version: String,
    /// Session id or OAuth access token.
    pub access_token: String,
    /// Instance URL, e.g. `https://example.my.salesforce.com`.
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
}

/// A [`Config`], checked and resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The endpoint the config describes (its URL, version and token).
    pub configured: Endpoint,
    /// The API version as given (a renewed session keeps it).
    pub api_version: String,
    /// Where sessions of this config are kept: the registry path, or api-url + client id.
    pub key: String,
    /// Refresh-token credentials, when all three parts are given.
    pub credentials: Option<RefreshCredentials>,
    /// Renew the token before a call once it is this old (with credentials only).
    pub interval_ms: Option<u64>,
    /// Per request.
    pub timeouts: Timeouts,
    /// Retries of idempotent requests.
    pub retry: RetryPolicy,
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
        let configured = Endpoint::new(&cfg.api_url, &cfg.api_version, &cfg.access_token)?;
        let credentials = (|| {
            Some(RefreshCredentials {
                token_host: token_host
                    .clone()
                    .unwrap_or_else(|| protocol::DEFAULT_TOKEN_HOST.to_string()),
                refresh_token: nonempty(&cfg.refresh_token)?,
                client_id: nonempty(&cfg.client_id)?,
                client_secret: nonempty(&cfg.client_secret)?,
            })
        })();
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
        Ok(Settings {
            configured,
            api_version: cfg.api_version.clone(),
            key: session_key(cfg),
            credentials,
            interval_ms: cfg.interval_time.filter(|i| *i > 0),
            timeouts,
            retry,
        })
    }
}

/// The session key of a config: the registry path, or api-url + client id.
pub fn session_key(cfg: &Config) -> String {
    match cfg.registry_path.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => format!("registry:{p}"),
        None => format!(
            "url:{}|{}",
            cfg.api_url.trim_end_matches('/'),
            cfg.client_id.as_deref().unwrap_or("")
        ),
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
