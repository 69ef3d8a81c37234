//! The CLI's session cache: a renewed access token survives the process, keyed by the
//! registry path, in `--cache-dir` (`$SFBULK_CACHE_DIR`), else `$XDG_CACHE_HOME/sfbulk` or
//! `~/.cache/sfbulk`; file `sessions.json`, permissions 0600.
//!
//! An entry is used only by a run whose config carries the same api-url and the same
//! access token as the run that stored it (the token is kept as a hash): a token given
//! anew on the command line wins over the cache. A run that logs in with a grant (no access
//! token) matches on its login instead: the same client id, username, token endpoint and
//! refresh token.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use host_test::{Config, Session};

use crate::env::Env;

/// One cached session.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct Entry {
    api_url: String,
    /// A hash of the access token the config carried (not the token).
    config_token_hash: String,
    access_token: String,
    instance_url: String,
    obtained_at_ms: u64,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("api_url", &self.api_url)
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .finish()
    }
}

/// The default cache folder: `$XDG_CACHE_HOME/sfbulk`, else `$HOME/.cache/sfbulk`; none
/// when `env` has neither.
pub fn default_dir(env: &Env) -> Option<PathBuf> {
    if let Some(d) = env.get("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("sfbulk"));
    }
    env.get("HOME")
        .map(|h| PathBuf::from(h).join(".cache").join("sfbulk"))
}

fn file(dir: &Path) -> PathBuf {
    dir.join("sessions.json")
}

fn token_hash(token: &str) -> String {
    // Identity only (is this the same token?), never used to recover the token.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// What a cached entry must match: the config's access token, or, for a grant login, who
/// logs in where.
fn identity(cfg: &Config) -> String {
    if !cfg.access_token.is_empty() {
        return cfg.access_token.clone();
    }
    let part = |o: &Option<String>| o.clone().unwrap_or_default();
    format!(
        "login\n{}\n{}\n{}\n{}\n{}",
        part(&cfg.client_id),
        part(&cfg.username),
        part(&cfg.token_endpoint_hostname),
        part(&cfg.refresh_token),
        cfg.jwt_private_key.is_some()
    )
}

fn read_all(dir: &Path) -> BTreeMap<String, Entry> {
    std::fs::read(file(dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The cached session for `cfg`, when it has a registry path and a matching entry.
pub fn load(dir: &Path, cfg: &Config) -> Option<Session> {
    let key = cfg.registry_path.as_deref().filter(|p| !p.is_empty())?;
    let entry = read_all(dir).remove(key)?;
    let matches =
        entry.api_url == cfg.api_url && entry.config_token_hash == token_hash(&identity(cfg));
    matches.then_some(Session {
        access_token: entry.access_token,
        instance_url: entry.instance_url,
        obtained_at_ms: entry.obtained_at_ms,
    })
}

/// Stores `session` for `cfg`'s registry path (no-op without one). The file is written
/// with permissions 0600 and replaced atomically.
pub fn store(dir: &Path, cfg: &Config, session: &Session) -> std::io::Result<()> {
    let Some(key) = cfg.registry_path.as_deref().filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let path = file(dir);
    let mut all = read_all(dir);
    let entry = Entry {
        api_url: cfg.api_url.clone(),
        config_token_hash: token_hash(&identity(cfg)),
        access_token: session.access_token.clone(),
        instance_url: session.instance_url.clone(),
        obtained_at_ms: session.obtained_at_ms,
    };
    if all.get(key) == Some(&entry) {
        return Ok(());
    }
    all.insert(key.to_string(), entry);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(&all).unwrap_or_default())?;
        f.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(tmp, path)
}
