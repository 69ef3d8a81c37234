//! Errors by the stage at which an operation failed.

use std::fmt;

/// Why an operation failed. Messages are lowercase, say what was expected and what
/// came, and never contain a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input was refused before anything was sent.
    InvalidInput(String),
    /// The request could not be sent or the reply could not be read.
    Transport(String),
    /// No reply in time.
    Timeout(String),
    /// A reply came that cannot be used.
    UnexpectedResponse {
        /// HTTP status.
        status: u16,
        /// The reply's Content-Type.
        content_type: Option<String>,
        /// What was wrong with it.
        detail: String,
        /// The first bytes of the body, as lossy text.
        excerpt: String,
    },
    /// Salesforce refused the request (`<error>` body).
    Api {
        /// HTTP status (400 for Bulk API errors).
        status: u16,
        /// `exceptionCode`, e.g. `InvalidJob`.
        code: String,
        /// `exceptionMessage`.
        message: String,
    },
    /// HTTP 400 + `InvalidSessionId`, and the session could not be renewed.
    SessionExpired(String),
    /// The OAuth token endpoint refused to renew the session.
    Auth {
        /// OAuth error code, e.g. `invalid_grant`.
        error: String,
        /// `error_description`.
        description: String,
    },
    /// A non-idempotent request was sent but its reply was lost; it was not replayed.
    OutcomeUnknown(String),
    /// A wait ended at its deadline with batches or jobs still running; nothing was aborted.
    StillRunning {
        /// The job (1.0, or one 2.0 job); empty when several 2.0 jobs were waited for.
        job_id: String,
        /// Batches (1.0) or jobs (2.0) not final yet.
        pending: Vec<String>,
    },
}

/// How many bytes of a body an error keeps.
pub const EXCERPT_BYTES: usize = 200;

impl Error {
    /// An invalid-input error.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    /// An unexpected-response error for a reply with `status`, `content_type` and `body`.
    pub fn unexpected(
        status: u16,
        content_type: Option<&str>,
        detail: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Error::UnexpectedResponse {
            status,
            content_type: content_type.map(str::to_string),
            detail: detail.into(),
            excerpt: excerpt(body),
        }
    }

    /// The Salesforce `exceptionCode`, when this is an API error.
    pub fn exception_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            Error::SessionExpired(_) => Some("InvalidSessionId"),
            _ => None,
        }
    }
}

/// The first [`EXCERPT_BYTES`] of a body as lossy UTF-8, cut at a character boundary.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES)]);
    text.trim_end_matches('\u{FFFD}').to_string()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Transport(m) => write!(f, "transport error: {m}"),
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::UnexpectedResponse {
                status,
                content_type,
                detail,
                excerpt,
            } => {
                write!(
                    f,
                    "unexpected response (http {status}): {detail}; body starts {excerpt:?}"
                )?;
                match content_type {
                    Some(ct) => write!(f, " ({ct})"),
                    None => write!(f, " (no content type)"),
                }
            }
            Error::Api {
                status,
                code,
                message,
            } => write!(f, "{code}: {message} (http {status})"),
            Error::SessionExpired(m) => write!(f, "InvalidSessionId: session expired: {m}"),
            Error::Auth { error, description } => {
                write!(f, "token request refused: {error}: {description}")
            }
            Error::OutcomeUnknown(m) => write!(f, "outcome unknown: {m}"),
            // A 2.0 job waited for alone is its own pending entry; several 2.0 jobs have no
            // one job id; 1.0 jobs list their batches.
            Error::StillRunning { job_id, pending } if pending == std::slice::from_ref(job_id) => {
                write!(f, "still running: job {job_id} is not finished")
            }
            Error::StillRunning { job_id, pending } if job_id.is_empty() => write!(
                f,
                "still running: {} jobs not finished ({})",
                pending.len(),
                pending.join(", ")
            ),
            Error::StillRunning { job_id, pending } => write!(
                f,
                "still running: job {job_id} has {} batches not finished ({})",
                pending.len(),
                pending.join(", ")
            ),
        }
    }
}

impl std::error::Error for Error {}
