//! The OAuth token endpoint: the refresh-token grant's request and the reply's grant or
//! OAuth error. Secrets never reach `Debug` or an error.

use std::fmt;

use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response};

use crate::error::Error;
use crate::wire;

use super::endpoint::parse_base_url;
use super::response::decoded_body;

/// The default OAuth token host.
pub const DEFAULT_TOKEN_HOST: &str = "https://login.salesforce.com";

/// Refresh-token credentials. `Debug` redacts the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshCredentials {
    /// Token host, e.g. `https://login.salesforce.com`.
    pub token_host: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Connected app consumer key.
    pub client_id: String,
    /// Connected app consumer secret.
    pub client_secret: String,
}

impl fmt::Debug for RefreshCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshCredentials")
            .field("token_host", &self.token_host)
            .field("refresh_token", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// A new access token from the token endpoint. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The new access token.
    pub access_token: String,
    /// The instance URL the API host switches to.
    pub instance_url: String,
    /// `issued_at` in epoch milliseconds, when sent.
    pub issued_at_ms: Option<u64>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .field("issued_at_ms", &self.issued_at_ms)
            .finish()
    }
}

/// `POST {token_host}/services/oauth2/token` with a `grant_type=refresh_token` form body.
pub fn token_request(creds: &RefreshCredentials) -> Result<Request<Vec<u8>>, Error> {
    let (https, authority, prefix) = parse_base_url(&creds.token_host, "token endpoint")?;
    for (what, v) in [
        ("refresh token", &creds.refresh_token),
        ("client id", &creds.client_id),
        ("client secret", &creds.client_secret),
    ] {
        if v.is_empty() {
            return Err(Error::invalid(format!("{what} is empty")));
        }
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", &creds.refresh_token)
        .append_pair("client_id", &creds.client_id)
        .append_pair("client_secret", &creds.client_secret)
        .finish()
        .into_bytes();
    let scheme = if https { "https" } else { "http" };
    Request::builder()
        .method(Method::POST)
        .uri(format!(
            "{scheme}://{authority}{prefix}/services/oauth2/token"
        ))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .body(body)
        .map_err(|e| Error::invalid(format!("cannot build token request: {e}")))
}

/// The fields of a token endpoint reply that matter.
struct TokenReply {
    access_token: Option<String>,
    instance_url: Option<String>,
    issued_at: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenReply {
    fn parse(body: &[u8]) -> Option<Self> {
        let [
            access_token,
            instance_url,
            issued_at,
            error,
            error_description,
        ] = wire::json_string_fields(
            body,
            [
                "access_token",
                "instance_url",
                "issued_at",
                "error",
                "error_description",
            ],
        )?;
        Some(TokenReply {
            access_token,
            instance_url,
            issued_at,
            error,
            error_description,
        })
    }
}

/// Parses the token endpoint's reply: a grant, or `Error::Auth` with the OAuth error code.
/// Nothing of the reply body is copied into an error except the OAuth code and description.
pub fn parse_token_response(resp: &Response<Vec<u8>>) -> Result<TokenGrant, Error> {
    let status = resp.status().as_u16();
    let body = decoded_body(resp)?;
    let reply = TokenReply::parse(&body);
    match reply {
        Some(TokenReply {
            access_token: Some(token),
            instance_url: Some(url),
            issued_at,
            ..
        }) if resp.status().is_success() && !token.is_empty() => {
            parse_base_url(&url, "instance_url").map_err(|_| Error::Auth {
                error: "invalid_instance_url".into(),
                description: "the token endpoint returned an instance_url that is not https".into(),
            })?;
            Ok(TokenGrant {
                access_token: token,
                instance_url: url,
                issued_at_ms: issued_at.and_then(|s| s.parse().ok()),
            })
        }
        Some(TokenReply {
            error: Some(error),
            error_description,
            ..
        }) => Err(Error::Auth {
            error,
            description: error_description.unwrap_or_default(),
        }),
        // Never echo a body that may hold a token.
        _ => Err(Error::Auth {
            error: format!("http_{status}"),
            description: "the token endpoint's reply has no access_token and no error".into(),
        }),
    }
}
