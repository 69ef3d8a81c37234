//! A REST-style error of the Bulk API 2.0 (`/services/data/…/jobs/…`): an HTTP status and one
//! `{"errorCode","message"}` element of the JSON error array. Rendered by `render::v2_docs`.

use http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl RestError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        RestError {
            status,
            code,
            message: message.into(),
        }
    }

    /// `400` with `code`.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        RestError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `404 NOT_FOUND`: unknown or deleted job, unknown path.
    pub(crate) fn not_found() -> Self {
        RestError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    /// `401 INVALID_SESSION_ID`: an unknown or expired access token.
    pub(crate) fn invalid_session() -> Self {
        RestError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    }

    /// `401 INVALID_AUTH_HEADER`: no `Authorization` header, or one of another scheme.
    pub(crate) fn invalid_auth_header() -> Self {
        RestError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTH_HEADER",
            "INVALID_HEADER_TYPE",
        )
    }

    /// `400 INVALIDJOBSTATE`.
    pub(crate) fn invalid_job_state(message: impl Into<String>) -> Self {
        RestError::bad_request("INVALIDJOBSTATE", message)
    }

    /// `400 API_ERROR` "… the job is not terminated": DELETE of a running job.
    pub(crate) fn not_terminated() -> Self {
        RestError::bad_request(
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        )
    }

    /// `400 JSON_PARSER_ERROR`: a body that is not the JSON expected.
    pub(crate) fn json_parser(message: impl Into<String>) -> Self {
        RestError::bad_request("JSON_PARSER_ERROR", message)
    }

    /// `405 METHOD_NOT_ALLOWED`.
    pub(crate) fn method_not_allowed(method: &str, allowed: &str) -> Self {
        RestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }

    /// `403 REQUEST_LIMIT_EXCEEDED` (the daily API allocation, `limit_exceeded_next`).
    pub(crate) fn request_limit_exceeded() -> Self {
        RestError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
    }
}
