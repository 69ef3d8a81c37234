//! What a run shows: JSON documents on stdout, and for a failure its exit code and the one
//! stderr line (`<command>: <what went wrong>`).

use std::io::Write;

use host_test::{Error, ErrorKind};

/// Exit code: a failure reported by Salesforce or the network.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: bad usage, or input refused before anything was sent.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of `load`: the job finished, but some records failed.
pub const EXIT_RECORDS_FAILED: i32 = 3;
/// Exit code of `load` and `query`: the deadline (`--timeout`) passed while jobs still run.
pub const EXIT_DEADLINE: i32 = 4;

/// A failure with its exit code and the one stderr line (without the command name).
#[derive(Debug)]
pub struct Failure {
    /// The process exit code.
    pub code: i32,
    /// What went wrong.
    pub message: String,
}

impl Failure {
    /// Bad usage or input (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// A failure of Salesforce, the network or this machine (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }

    /// The component trapped (exit 1).
    pub fn trap(e: wasmtime::Error) -> Self {
        Failure::runtime(format!("the component failed: {e}"))
    }

    /// An operation error of the component, described.
    pub fn op(e: Error) -> Self {
        let (code, message) = describe(&e);
        Failure { code, message }
    }

    /// The same failure with `note` added to its line (`…; note`).
    pub fn note(mut self, note: impl AsRef<str>) -> Self {
        let note = note.as_ref();
        if !note.is_empty() {
            self.message = format!("{}; {note}", self.message);
        }
        self
    }
}

/// The one-line description of an operation error and its exit code: the component's own
/// message; exit 2 for input refused before sending, 4 for a deadline, 1 otherwise.
pub fn describe(e: &Error) -> (i32, String) {
    match e.kind {
        ErrorKind::InvalidInput => (EXIT_USAGE, e.message.clone()),
        ErrorKind::StillRunning => (EXIT_DEADLINE, format!("{}; nothing was aborted", e.message)),
        _ => (EXIT_FAILURE, e.message.clone()),
    }
}

/// Prints one JSON document (pretty, with a final newline).
pub fn print_json(stdout: &mut dyn Write, value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    writeln!(stdout, "{text}").map_err(|e| Failure::runtime(format!("cannot write to stdout: {e}")))
}
