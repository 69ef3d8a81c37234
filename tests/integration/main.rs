//! The integration tests: the real component, hosted by wasmtime (and by the other hosts),
//! against the mock Salesforce. One test binary: each module here used to be its own, and
//! every one linked wasmtime (~100 MB and a link step each).
//!
//! Run one area with `cargo test --test integration faults::`.

mod cli_util;
mod common;
mod hosts_util;

mod auth;
mod bad_input;
mod cli;
mod cli_downloads;
mod cli_failures;
mod cli_resume;
mod cli_validate;
mod concurrency;
mod faults;
mod hosts_node;
mod hosts_python;
mod hosts_spin_app;
mod hosts_wasmtime_cli;
mod login_cli;
mod login_grants;
mod net_fixtures;
mod net_proxy;
mod net_reuse;
mod net_timeouts;
mod net_tls;
mod operations;
mod packages_npm;
mod packages_python;
mod size;
mod v2_commands;
mod v2_load;
mod v2_query;
mod v2_resume;
mod whole_jobs;
