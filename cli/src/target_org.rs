//! `--target-org ALIAS`: the access token and instance URL of an org the Salesforce CLI has
//! logged in, from `sf org display --target-org ALIAS --json` (`result.accessToken`,
//! `result.instanceUrl`). `sf` is looked up on the `PATH` of the [`Env`] the command runs
//! with, and runs with exactly that environment. What `sf` hands over is never shown: only
//! its error's `name` and `message` reach stderr.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::env::Env;
use crate::output::Failure;

/// An org's session as `sf` gives it. `Debug` redacts the token.
pub struct OrgSession {
    /// The access token (a secret).
    pub access_token: String,
    /// The org's instance URL.
    pub instance_url: String,
}

impl std::fmt::Debug for OrgSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgSession")
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .finish()
    }
}

/// Runs `sf org display --target-org ALIAS --json`: `sf` missing is a usage error (exit 2),
/// `sf` failing (an org not logged in, an expired login, …) a failure (exit 1) with its
/// `name: message`.
pub fn display(alias: &str, env: &Env) -> Result<OrgSession, Failure> {
    let sf = find_sf(env).ok_or_else(|| {
        Failure::usage(
            "Salesforce CLI (sf) not found on the PATH: install it, or log in with \
             --access-token, --jwt-key-file or --client-id and --client-secret",
        )
    })?;
    let out = Command::new(&sf)
        .args(["org", "display", "--target-org", alias, "--json"])
        .env_clear()
        .envs(env.vars())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::runtime(format!("--target-org {alias}: cannot run sf: {e}")))?;
    // `sf --json` writes its document to stdout, older versions errors to stderr.
    let doc = json_document(&out.stdout).or_else(|| json_document(&out.stderr));
    let text = |v: &serde_json::Value, name: &str| {
        v[name]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(doc) = &doc
        && out.status.success()
        && doc["status"].as_i64().unwrap_or(0) == 0
    {
        let result = &doc["result"];
        return match (text(result, "accessToken"), text(result, "instanceUrl")) {
            (Some(access_token), Some(instance_url)) => Ok(OrgSession {
                access_token,
                instance_url,
            }),
            _ => Err(Failure::runtime(format!(
                "--target-org {alias}: sf org display gave no accessToken and instanceUrl \
                 (is the org logged in? sf org login web --alias {alias})"
            ))),
        };
    }
    let name = doc.as_ref().and_then(|d| text(d, "name"));
    let message = doc.as_ref().and_then(|d| text(d, "message"));
    Err(Failure::runtime(match (name, message) {
        (Some(n), Some(m)) => format!("--target-org {alias}: {n}: {}", one_line(&m)),
        (None, Some(m)) => format!("--target-org {alias}: {}", one_line(&m)),
        _ => format!(
            "--target-org {alias}: sf org display failed ({}) without a JSON error",
            out.status
        ),
    }))
}

/// The first JSON object in `bytes` (a warning line may come before it).
fn json_document(bytes: &[u8]) -> Option<serde_json::Value> {
    let start = bytes.iter().position(|b| *b == b'{')?;
    serde_json::from_slice(&bytes[start..]).ok()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `sf` (or `sf.cmd`, `sf.exe` on Windows) in a folder of `env`'s `PATH`.
fn find_sf(env: &Env) -> Option<PathBuf> {
    let path: OsString = env.get("PATH")?.to_owned();
    let names: &[&str] = if cfg!(windows) {
        &["sf.cmd", "sf.exe", "sf"]
    } else {
        &["sf"]
    };
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}
