//! The integration tests: the real component, hosted by wasmtime (and by the other hosts),
//! against the mock Salesforce. One test binary: each module here used to be its own, and
//! every one linked wasmtime (~100 MB and a link step each).
//!
//! Run one area with `cargo test --test integration faults::`.

mod common;
mod hosts_util;

mod auth;
mod bad_input;
mod cli;
mod faults;
mod hosts_node;
mod hosts_python;
mod hosts_spin_app;
mod hosts_wasmtime_cli;
mod login_cli;
mod login_grants;
mod operations;
mod whole_jobs;
