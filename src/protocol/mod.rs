//! The sans-IO protocol core: request builders and reply parsers over `http` types.
//!
//! Every operation is a pair: a builder that validates its input and returns an
//! `http::Request<Vec<u8>>` (nothing is sent when it fails), and a parser that turns an
//! `http::Response<Vec<u8>>` into a domain type or an [`Error`](crate::Error) by stage.
//!
//! - [`endpoint`]: the instance URL, API version and token; base URL rules.
//! - [`ids`]: Salesforce ids and API names.
//! - [`limits`]: every limit, spelled once.
//! - [`requests`]: the Bulk API 1.0 request builders.
//! - [`batch_body`]: batch content checked against its job.
//! - [`response`]: replies judged and parsed.
//! - [`oauth`]: the token endpoint (the logins' grants); [`jwt`]: the JWT bearer assertion,
//!   signed by [`rs256`] (RSASSA-PKCS1-v1_5 with SHA-256).
//! - [`v2`]: Bulk API 2.0's builders and parsers (beside 1.0's, sharing the rest).

pub mod batch_body;
pub mod endpoint;
pub mod ids;
pub mod jwt;
pub mod limits;
pub mod oauth;
pub mod requests;
pub mod response;
pub mod rs256;
pub mod v2;

#[cfg(test)]
mod golden_tests;

pub use batch_body::{
    BatchBody, BatchContent, batch_body, essence, require_zip_job, zip_batch_body,
};
pub use endpoint::{CALL_OPTIONS, Endpoint, SESSION_HEADER, is_loopback, parse_base_url};
pub use ids::{external_id_field, validate_id, validate_name};
pub use jwt::JwtKey;
pub use limits::*;
pub use oauth::{
    ClientCredentials, DEFAULT_TOKEN_HOST, JwtCredentials, Login, RefreshCredentials, TokenGrant,
    client_credentials_request, jwt_bearer_request, parse_token_response, token_request,
};
pub use requests::*;
pub use response::*;
