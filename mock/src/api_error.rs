//! A request-level error of the Bulk API: an HTTP status (400 unless stated), an
//! `exceptionCode` and an `exceptionMessage`. Rendered by `render::reply`.

use http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_job(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidJob", message)
    }

    pub(crate) fn invalid_batch(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidBatch", message)
    }

    pub(crate) fn invalid_job_state(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidJobState", message)
    }

    pub(crate) fn invalid_session() -> ApiError {
        ApiError::new("InvalidSessionId", "Invalid session id")
    }

    pub(crate) fn invalid_url(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidUrl", message)
    }

    /// The mock's own failure to render an answer (should not happen): 500.
    pub(crate) fn internal(message: String) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalServerError",
            message,
        }
    }
}
