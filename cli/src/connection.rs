//! A run against Salesforce: the connection options made into the component's `config`, a
//! component instance, and the session cache around it (a cached session in before the
//! command, a renewed one out after it).

use std::io::Write;
use std::path::PathBuf;

use host_test::{Config, Instance, NetConfig, Network, Runtime};

use crate::args::Connection;
use crate::env::Env;
use crate::output::Failure;
use crate::session_cache;

/// The component's config for the connection options; both the URL and the token are
/// required.
pub fn config(c: &Connection) -> Result<Config, Failure> {
    let api_url = c
        .api_url
        .clone()
        .ok_or_else(|| Failure::usage("missing --api-url (or SF_API_URL)"))?;
    let access_token = c
        .access_token
        .clone()
        .ok_or_else(|| Failure::usage("missing --access-token (or SF_ACCESS_TOKEN)"))?;
    Ok(Config {
        api_version: c.api_version.clone(),
        access_token,
        api_url,
        token_endpoint_hostname: c.token_endpoint.clone(),
        refresh_token: c.refresh_token.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        interval_time: c.interval_time,
        registry_path: c.registry_path.clone(),
        timeouts: None,
        retry: None,
    })
}

/// The network the instance sends through: `--ca-file` (`SSL_CERT_FILE`) added to the
/// system's roots; `--proxy`, else `https_proxy`, else `HTTPS_PROXY`, with `no_proxy` (else
/// `NO_PROXY`). A CA file that cannot be used or a bad proxy URL is a usage error.
pub fn network(c: &Connection, env: &Env) -> Result<Network, Failure> {
    let var = |name: &str| env.get(name).map(|v| v.to_string_lossy().into_owned());
    let mut cfg =
        NetConfig::from_vars(c.ca_file.clone(), c.proxy.as_deref(), var).map_err(Failure::usage)?;
    cfg.trust_hint =
        Some("--ca-file or SSL_CERT_FILE adds a trusted root certificate (PEM)".to_string());
    Network::new(&cfg).map_err(Failure::usage)
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
        let cfg = config(conn)?;
        let mut inst = Runtime::shared()
            .instantiate_with(&network(conn, env)?)
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
