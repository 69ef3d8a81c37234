//! The OAuth token endpoint: the logins' requests (the refresh-token, JWT bearer and
//! client-credentials grants) and the reply's grant or OAuth error. Secrets (refresh
//! tokens, client secrets, private keys, assertions) never reach `Debug` or an error.

use std::fmt;

use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response};

use crate::error::Error;
use crate::substr;
use crate::wire;

use super::endpoint::parse_base_url;
use super::jwt::{self, Claims, JwtKey};
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

/// JWT bearer credentials: the connected app's key signs an assertion for the user.
/// `Debug` redacts the key.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtCredentials {
    /// Token host, e.g. `https://login.salesforce.com`; its origin is the assertion's `aud`.
    pub token_host: String,
    /// Connected app consumer key (the assertion's `iss`).
    pub client_id: String,
    /// The user to log in as (the assertion's `sub`).
    pub username: String,
    /// The connected app's private key.
    pub key: JwtKey,
}

impl fmt::Debug for JwtCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCredentials")
            .field("token_host", &self.token_host)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Client credentials: the connected app's consumer key and secret, run as the app's user.
/// The token host must be the org's My Domain. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The org's My Domain, e.g. `https://acme.my.salesforce.com`.
    pub token_host: String,
    /// Connected app consumer key.
    pub client_id: String,
    /// Connected app consumer secret.
    pub client_secret: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_host", &self.token_host)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// How a session is obtained (and obtained again when it expires) at the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// `grant_type=refresh_token`.
    Refresh(RefreshCredentials),
    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: run again on expiry.
    JwtBearer(JwtCredentials),
    /// `grant_type=client_credentials`: run again on expiry.
    ClientCredentials(ClientCredentials),
}

impl Login {
    /// The token request of this login; `now_ms` (wall clock) dates a JWT assertion.
    pub fn token_request(&self, now_ms: u64) -> Result<Request<Vec<u8>>, Error> {
        match self {
            Login::Refresh(c) => token_request(c),
            Login::JwtBearer(c) => jwt_bearer_request(c, now_ms),
            Login::ClientCredentials(c) => client_credentials_request(c),
        }
    }
}

/// `POST {token_host}/services/oauth2/token` with a `grant_type=refresh_token` form body.
pub fn token_request(creds: &RefreshCredentials) -> Result<Request<Vec<u8>>, Error> {
    form_post(
        &creds.token_host,
        &[
            ("grant_type", "refresh_token"),
            ("refresh token", &creds.refresh_token),
            ("client id", &creds.client_id),
            ("client secret", &creds.client_secret),
        ],
    )
}

/// The JWT bearer grant: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
/// RS256 assertion (`iss` client id, `sub` username, `aud` the token host's origin, `exp`
/// two minutes after `now_ms`).
pub fn jwt_bearer_request(creds: &JwtCredentials, now_ms: u64) -> Result<Request<Vec<u8>>, Error> {
    let (https, authority, _) = parse_base_url(&creds.token_host, "token endpoint")?;
    for (what, v) in [
        ("client id", &creds.client_id),
        ("username", &creds.username),
    ] {
        if v.is_empty() {
            return Err(Error::invalid(format!("{what} is empty")));
        }
    }
    let aud = format!("{}://{authority}", if https { "https" } else { "http" });
    let assertion = jwt::assertion(
        &creds.key,
        &Claims {
            iss: &creds.client_id,
            sub: &creds.username,
            aud: &aud,
            exp: now_ms / 1000 + jwt::ASSERTION_LIFETIME_SECS,
        },
    )?;
    form_post(
        &creds.token_host,
        &[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)],
    )
}

/// The JWT bearer grant type (RFC 7523).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The client-credentials grant: `grant_type=client_credentials` with the consumer key and
/// secret in the form body.
pub fn client_credentials_request(creds: &ClientCredentials) -> Result<Request<Vec<u8>>, Error> {
    form_post(
        &creds.token_host,
        &[
            ("grant_type", "client_credentials"),
            ("client id", &creds.client_id),
            ("client secret", &creds.client_secret),
        ],
    )
}

/// A form POST to the token endpoint. `fields` are `(what, value)`: `what` names the
/// parameter in an error (`"client id"`), and is the parameter with `_` for spaces.
fn form_post(token_host: &str, fields: &[(&str, &str)]) -> Result<Request<Vec<u8>>, Error> {
    let (https, authority, prefix) = parse_base_url(token_host, "token endpoint")?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (what, value) in fields {
        if value.is_empty() {
            return Err(Error::invalid(format!("{what} is empty")));
        }
        let mut name = String::new();
        substr::push_replaced(&mut name, what, ' ', "_");
        form.append_pair(&name, value);
    }
    let body = form.finish().into_bytes();
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
