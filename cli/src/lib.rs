//! The `sfbulk` command line: the connector component hosted by wasmtime (the `host-test`
//! library), one command per operation, whole jobs (`load`, `query`), the embedded mock
//! (`mock-server`, `demo`). `docs/cli.md` is its contract.
//!
//! [`run`] is the whole program, callable in-process: arguments and environment in, bytes to
//! stdout and stderr, an exit code out. The binary is [`main`].
//!
//! - [`args`], [`args_v2`]: the grammar (clap) and parsing it together with the [`Env`];
//! - [`commands`], [`commands_v2`]: one function per Bulk API 1.0 / 2.0 operation;
//!   [`connection`]: config, instance and session cache around a command; [`request`]:
//!   command-line words into the component's values;
//! - [`load`], [`query`]: the whole-job commands of both APIs; [`validate`] (driving
//!   [`csv_rules`]): the first pass over `load`'s input; [`whole_jobs`],
//!   [`whole_jobs_v2`]: their file side; [`resume`]: `load --job-id`; [`demo`];
//! - [`input`], [`download`]: reading input files; output files and stdout written only
//!   when complete;
//! - [`output`]: exit codes and the stderr line; [`json`], [`json_v2`]: the JSON views of
//!   results;
//! - [`session_cache`]: renewed tokens kept between runs; [`env`]: the environment as a value;
//! - [`target_org`]: `--target-org`, a session from the Salesforce CLI.

pub mod args;
pub mod args_v2;
pub mod commands;
pub mod commands_v2;
pub mod connection;
pub mod csv_rules;
pub mod demo;
pub mod download;
pub mod env;
pub mod input;
pub mod json;
pub mod json_v2;
pub mod load;
pub mod output;
pub mod query;
pub mod request;
pub mod resume;
pub mod session_cache;
pub mod target_org;
pub mod validate;
pub mod whole_jobs;
pub mod whole_jobs_v2;

use std::ffi::OsString;
use std::io::Write;

pub use env::Env;
pub use output::{EXIT_DEADLINE, EXIT_FAILURE, EXIT_RECORDS_FAILED, EXIT_USAGE, describe};
pub use request::{parse_content_type, parse_operation, parse_pk_chunking};

/// Runs the command line (`args[0]` is the program name) with the environment `env`.
/// Returns the process exit code.
pub fn run(args: Vec<OsString>, env: &Env, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let cli = match args::parse(args, env) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; usage errors to stderr, exit 2.
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let text = e.render().to_string();
            let _ = if code == 0 {
                stdout.write_all(text.as_bytes())
            } else {
                stderr.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let name = cli.command.name();
    // One thread runs the component, the connections and the files: a whole job's CPU is
    // the component's and the decoders', not the runtime's, and worker threads cost waking
    // each other for every reply (the 100,000-row 2.0 insert: task-clock 83 -> 80 ms, median
    // of 10 interleaved runs; the same wall time on loopback and over the simulated WAN).
    // Blocking file work still goes to tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(stderr, "{name}: cannot start the async runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(commands::execute(cli, env, stdout, stderr)) {
        Ok(()) => 0,
        Err(f) => {
            let _ = writeln!(stderr, "{name}: {}", f.message);
            f.code
        }
    }
}

/// Entry point of the `sfbulk` binary: the process's arguments and environment.
pub fn main() -> i32 {
    // Unlocked handles: the mock server (mock-server) prints its banner from its own thread.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    run(
        std::env::args_os().collect(),
        &Env::from_process(),
        &mut out,
        &mut err,
    )
}
