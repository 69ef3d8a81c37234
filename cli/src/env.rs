//! The environment the command line reads, as a value: the binary passes a snapshot of its
//! process environment, an in-process caller (a test) passes exactly the variables it means.
//!
//! Read from it: the connection options' variables (`SF_API_URL`, …, `SFBULK_CACHE_DIR`;
//! see `args.rs`), for the default session cache folder `XDG_CACHE_HOME` and `HOME`, and for
//! `--target-org` the `PATH` that finds `sf` (which runs with exactly this environment).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

/// Environment variables by name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// No variables at all.
    pub fn empty() -> Self {
        Env::default()
    }

    /// A snapshot of this process's environment.
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars_os().collect(),
        }
    }

    /// This environment with `name` set to `value`.
    pub fn with(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Every variable, by name.
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The value of `name`, when set.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }
}

/// Names only: values may be tokens and secrets.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}
