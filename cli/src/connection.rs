//! A run against Salesforce: the connection options made into the component's `config`, a
//! component instance, and the session cache around it (a cached session in before the
//! command, a renewed one out after it).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use host_test::{Config, Instance, NetConfig, Network, Runtime};

use crate::args::Connection;
use crate::env::Env;
use crate::output::Failure;
use crate::session_cache;
use crate::target_org;

/// Transfers a whole job runs at once when `--concurrency` is not given (the component's
/// default for `config.concurrency`).
const DEFAULT_CONCURRENCY: usize = 4;

/// The component's config for the connection options. Which credentials are used, first
/// match wins (any others given are left out of the config):
/// 1. `--access-token` (renewed by `--refresh-token`, `--client-id` and `--client-secret`
///    when all three are given); `--api-url` is required;
/// 2. `--target-org`: the token and instance URL `sf` gives (not renewed);
/// 3. `--jwt-key-file` + `--username` + `--client-id`: the JWT bearer grant;
/// 4. `--refresh-token` + `--client-id` + `--client-secret`: the refresh grant first;
/// 5. `--client-id` + `--client-secret`: the client-credentials grant, at the My Domain
///    `--token-endpoint` (required).
///
/// With 3–5 the grant's `instance_url` replaces `--api-url`, which is optional.
pub fn config(c: &Connection, env: &Env) -> Result<Config, Failure> {
    let base = Config {
        api_version: c.api_version.clone(),
        access_token: String::new(),
        api_url: c.api_url.clone().unwrap_or_default(),
        token_endpoint_hostname: c.token_endpoint.clone(),
        refresh_token: None,
        client_id: None,
        client_secret: None,
        interval_time: c.interval_time,
        registry_path: c.registry_path.clone(),
        timeouts: None,
        retry: None,
        username: None,
        jwt_private_key: None,
        concurrency: c.concurrency,
    };
    let given = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    let (client_id, client_secret, refresh_token) = (
        given(&c.client_id),
        given(&c.client_secret),
        given(&c.refresh_token),
    );
    if let Some(access_token) = given(&c.access_token) {
        if c.api_url.is_none() {
            return Err(Failure::usage("missing --api-url (or SF_API_URL)"));
        }
        let renewal = refresh_token.is_some() && client_id.is_some() && client_secret.is_some();
        return Ok(Config {
            access_token,
            refresh_token: refresh_token.filter(|_| renewal),
            client_id: client_id.filter(|_| renewal),
            client_secret: client_secret.filter(|_| renewal),
            ..base
        });
    }
    if let Some(alias) = given(&c.target_org) {
        let org = target_org::display(&alias, env)?;
        return Ok(Config {
            access_token: org.access_token,
            api_url: org.instance_url,
            ..base
        });
    }
    if let (Some(path), Some(username), Some(id)) =
        (&c.jwt_key_file, given(&c.username), &client_id)
    {
        // Read here, handed to the component as text; never shown (the path is).
        let key = std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!(
                "cannot read --jwt-key-file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        return Ok(Config {
            client_id: Some(id.clone()),
            username: Some(username),
            jwt_private_key: Some(key),
            ..base
        });
    }
    match (refresh_token, client_id, client_secret) {
        (Some(refresh), Some(id), Some(secret)) => Ok(Config {
            refresh_token: Some(refresh),
            client_id: Some(id),
            client_secret: Some(secret),
            ..base
        }),
        (None, Some(id), Some(secret)) => {
            if c.token_endpoint.is_none() {
                return Err(Failure::usage(
                    "--client-id and --client-secret log in with the client-credentials grant, \
                     which needs your org's My Domain: add --token-endpoint \
                     https://YOURDOMAIN.my.salesforce.com (or SF_TOKEN_ENDPOINT)",
                ));
            }
            Ok(Config {
                client_id: Some(id),
                client_secret: Some(secret),
                ..base
            })
        }
        _ if c.jwt_key_file.is_some() => Err(Failure::usage(
            "--jwt-key-file needs --username (or SF_USERNAME) and --client-id (or SF_CLIENT_ID)",
        )),
        // No credentials at all: the access token's options, as before the logins.
        _ if c.api_url.is_none() => Err(Failure::usage("missing --api-url (or SF_API_URL)")),
        _ => Err(Failure::usage(
            "missing --access-token (or SF_ACCESS_TOKEN)",
        )),
    }
}

/// The network the instance sends through: `--ca-file` (`SSL_CERT_FILE`) added to the
/// system's roots; `--proxy`, else `https_proxy`, else `HTTPS_PROXY`, with `no_proxy` (else
/// `NO_PROXY`). A CA file that cannot be used or a bad proxy URL is a usage error. A run
/// that can only talk `http://` ([`plain_http_only`]) does not read the CA file: it has no
/// TLS for it to apply to (as curl does not read `--cacert` for an `http://` URL).
pub fn network(c: &Connection, config: &Config, env: &Env) -> Result<Network, Failure> {
    let tls = !plain_http_only(config);
    let var = |name: &str| {
        let wanted = tls || name != "SSL_CERT_FILE";
        env.get(name)
            .filter(|_| wanted)
            .map(|v| v.to_string_lossy().into_owned())
    };
    let ca_file = c.ca_file.clone().filter(|_| tls);
    let mut cfg = NetConfig::from_vars(ca_file, c.proxy.as_deref(), var).map_err(Failure::usage)?;
    cfg.trust_hint =
        Some("--ca-file or SSL_CERT_FILE adds a trusted root certificate (PEM)".to_string());
    // The whole job's transfers plus one for the control requests.
    let concurrency = c.concurrency.map_or(DEFAULT_CONCURRENCY, |n| n as usize);
    cfg.max_connections_per_host = Some(concurrency.clamp(1, 64) + 1);
    Network::new(&cfg).map_err(Failure::usage)
}

/// Whether every request of a run goes to an `http://` instance: an access token with an
/// `http://` API URL, no renewal (no token endpoint) and no cached session (whose instance
/// could differ).
pub fn plain_http_only(cfg: &Config) -> bool {
    !cfg.access_token.is_empty()
        && cfg.refresh_token.is_none()
        && cfg.registry_path.as_deref().is_none_or(str::is_empty)
        && cfg
            .api_url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// The connect timeout when the config sets none (the component's default,
/// `src/client/transport.rs`).
const DEFAULT_CONNECT: Duration = Duration::from_secs(30);

/// Opens the connections a whole job will run `transfers` at once over (at most
/// `config.concurrency`, one of them the connection the job is made on) before its first
/// request, so that its transfers do not wait for their handshakes when they start
/// (`host_test::Network::open_ahead`). Only when the instance is known before the first
/// request: an access token with `--api-url`, or `--target-org`; a login learns it from the
/// token endpoint's reply.
pub fn open_ahead(inst: &Instance, cfg: &Config, transfers: u64) {
    if cfg.access_token.is_empty() || cfg.api_url.is_empty() {
        return;
    }
    let at_once = cfg
        .concurrency
        .map_or(DEFAULT_CONCURRENCY, |n| n as usize)
        .clamp(1, 64);
    let more = usize::try_from(transfers)
        .unwrap_or(usize::MAX)
        .min(at_once);
    if more < 2 {
        return;
    }
    let connect = cfg
        .timeouts
        .as_ref()
        .and_then(|t| t.connect_ms)
        .map_or(DEFAULT_CONNECT, |ms| Duration::from_millis(u64::from(ms)));
    // The job's first request takes one of them too: it has not been sent yet.
    inst.network().open_ahead(&cfg.api_url, more, connect);
}

/// A component instance ready for one command.
pub struct Connected {
    /// The config every call passes.
    pub cfg: Config,
    /// The instance (its sessions live as long as it does).
    pub inst: Instance,
    cache_dir: Option<PathBuf>,
}

impl Connected {
    /// Makes the config, instantiates the component and seeds it with the cached session
    /// (`--cache-dir`, else `$XDG_CACHE_HOME/sfbulk` or `$HOME/.cache/sfbulk` from `env`).
    pub async fn open(conn: &Connection, env: &Env) -> Result<Self, Failure> {
        let cfg = config(conn, env)?;
        let mut inst = Runtime::shared()
            .instantiate_with(&network(conn, &cfg, env)?)
            .await
            .map_err(Failure::trap)?;
        let cache_dir = conn
            .cache_dir
            .clone()
            .or_else(|| session_cache::default_dir(env));
        if let Some(cached) = cache_dir
            .as_deref()
            .and_then(|d| session_cache::load(d, &cfg))
        {
            // A cache that does not fit (e.g. a bad URL in it) is ignored.
            let _ = inst.set_session(&cfg, &cached).await;
        }
        Ok(Connected {
            cfg,
            inst,
            cache_dir,
        })
    }

    /// Keeps a renewed token for the next run (never printed); a cache that cannot be
    /// written is a warning on stderr, not a failure.
    pub async fn close(mut self, stderr: &mut dyn Write) {
        if let Ok(Some(session)) = self.inst.get_session(&self.cfg).await
            && session.access_token != self.cfg.access_token
            && let Some(dir) = self.cache_dir.as_deref()
            && let Err(e) = session_cache::store(dir, &self.cfg, &session)
        {
            let _ = writeln!(stderr, "warning: cannot store the session cache: {e}");
        }
    }
}
