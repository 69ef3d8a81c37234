//! Where requests go and as whom: the instance URL, the API version and the session token,
//! checked once; the base URL rules (https, or http to loopback only).

use std::fmt;

use http::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request};

use crate::error::Error;
use crate::substr;

/// The header that carries the session.
pub const SESSION_HEADER: HeaderName = HeaderName::from_static("x-sfdc-session");
// Header names are constants: naming them by string would pull http's run-time name parser
// into the component (~12 KB).
const CALL_OPTIONS_HEADER: HeaderName = HeaderName::from_static("sforce-call-options");
/// Identifies this client in Salesforce's logs (`Sforce-Call-Options`).
pub const CALL_OPTIONS: &str = concat!("client=sfbulk/", env!("CARGO_PKG_VERSION"));

/// Where and as whom requests are sent: the Bulk API base and the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    authority: String,
    prefix: String,
    base_path: String,
    version: String,
    token: String,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url())
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Endpoint {
    /// Validates the instance URL, the API version and the token.
    ///
    /// `api_url` must be `https://host[:port][/prefix]`; `http://` is accepted only for
    /// loopback hosts. `api_version` is digits with an optional `.digit` (`59`, `59.0`).
    pub fn new(api_url: &str, api_version: &str, token: &str) -> Result<Self, Error> {
        let (https, authority, prefix) = parse_base_url(api_url, "api-url")?;
        let version = normalize_version(api_version)?;
        validate_token(token)?;
        Ok(Endpoint {
            https,
            authority,
            base_path: format!("{prefix}/services/async/{version}"),
            prefix,
            version,
            token: token.to_string(),
        })
    }

    /// The Bulk API base URL, e.g. `https://host/services/async/59.0` (no secret).
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.base_path)
    }

    /// The instance URL, e.g. `https://host` (no secret).
    pub fn instance_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.prefix)
    }

    /// The session token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The API version (`59.0`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The same endpoint at another API version (Bulk 2.0 results must be read with the
    /// version the job was made with).
    pub fn with_version(&self, api_version: &str) -> Result<Self, Error> {
        let version = normalize_version(api_version)?;
        Ok(Endpoint {
            base_path: format!("{}/services/async/{version}", self.prefix),
            version,
            ..self.clone()
        })
    }

    /// The Bulk API 2.0 base URL, e.g. `https://host/services/data/v59.0/jobs` (no secret).
    pub fn jobs_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!(
            "{scheme}://{}{}/services/data/v{}/jobs",
            self.authority, self.prefix, self.version
        )
    }

    /// A Bulk API 2.0 request: `path` below `/services/data/vNN.N/jobs`, or a server-given
    /// absolute path (`/services/data/…`, from `nextRecordsUrl`) when `server_path` is set.
    /// Authorization is `Bearer`.
    pub(crate) fn jobs_request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        accept: &'static str,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let uri = format!("{}{path}", self.jobs_url());
        self.bearer_request(method, uri, content_type, accept, body)
    }

    /// A request to a path the server gave (`nextRecordsUrl`): it must stay below
    /// `/services/data/` on this instance.
    pub(crate) fn server_path_request(
        &self,
        server_path: &str,
        accept: &'static str,
    ) -> Result<Request<Vec<u8>>, Error> {
        let path = server_path.trim();
        let below = path
            .strip_prefix(self.prefix.as_str())
            .unwrap_or(path)
            .trim_start_matches('/');
        if !below.starts_with("services/data/")
            || substr::contains(below, "..")
            || substr::contains(below, "://")
            || below.bytes().any(|b| b <= b' ' || b == b'#' || b == b'\\')
        {
            let shown: String = path.chars().take(80).collect();
            return Err(Error::unexpected(
                200,
                Some("application/json"),
                format!("expected a next-page path below /services/data/, got {shown:?}"),
                &[],
            ));
        }
        let scheme = if self.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{}/{below}", self.authority, self.prefix);
        self.bearer_request(Method::GET, uri, None, accept, Vec::new())
    }

    fn bearer_request(
        &self,
        method: Method,
        uri: String,
        content_type: Option<&str>,
        accept: &'static str,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let auth = format!("Bearer {}", self.token);
        build(
            method,
            uri,
            (AUTHORIZATION, &auth),
            content_type,
            Some(accept),
            body,
        )
    }

    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let scheme = if self.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{}{path}", self.authority, self.base_path);
        build(
            method,
            uri,
            (SESSION_HEADER, &self.token),
            content_type,
            None,
            body,
        )
    }
}

/// A request with the session header (marked sensitive), the call options, gzip accepted,
/// and the content type and accept headers when given: the one place both APIs' requests are
/// put together.
fn build(
    method: Method,
    uri: String,
    (session_name, session): (HeaderName, &str),
    content_type: Option<&str>,
    accept: Option<&'static str>,
    body: Vec<u8>,
) -> Result<Request<Vec<u8>>, Error> {
    let mut session = HeaderValue::from_str(session)
        .map_err(|_| Error::invalid("access token is not a valid header value"))?;
    session.set_sensitive(true);
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(session_name, session)
        .header(CALL_OPTIONS_HEADER, HeaderValue::from_static(CALL_OPTIONS));
    if let Some(accept) = accept {
        builder = builder.header(ACCEPT, HeaderValue::from_static(accept));
    }
    builder = builder.header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    if let Some(ct) = content_type {
        builder = builder.header(CONTENT_TYPE, ct);
    }
    builder
        .body(body)
        .map_err(|e| Error::invalid(format!("cannot build request: {e}")))
}

/// A URL as error messages show it: without user info, so that a password in a URL never
/// reaches a message.
fn shown(url: &str) -> String {
    let start = substr::find(url, "://").map_or(0, |i| i + 3);
    match url[start..].find('@') {
        Some(at) => format!("{}…@{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

/// Splits and checks a base URL: `(https, authority, path prefix without trailing '/')`.
pub fn parse_base_url(url: &str, what: &str) -> Result<(bool, String, String), Error> {
    let uri: http::Uri = url.trim().parse().map_err(|_| {
        Error::invalid(format!(
            "{what} is not a url: expected https://host, got {:?}",
            shown(url)
        ))
    })?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(Error::invalid(format!(
                "{what} must start with https:// (got {:?})",
                shown(url)
            )));
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| Error::invalid(format!("{what} has no host: {:?}", shown(url))))?;
    if authority.as_str().contains('@') {
        return Err(Error::invalid(format!("{what} must not carry user info")));
    }
    if !https && !is_loopback(authority.host()) {
        return Err(Error::invalid(format!(
            "{what} uses http:// for non-loopback host {:?}; only https:// is allowed there",
            authority.host()
        )));
    }
    if uri.query().is_some() {
        return Err(Error::invalid(format!(
            "{what} must not have a query string"
        )));
    }
    let prefix = uri.path().trim_end_matches('/').to_string();
    Ok((https, authority.as_str().to_string(), prefix))
}

/// Whether a host name is a loopback address (127.0.0.0/8, `localhost`, `[::1]`).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if host == "::1" {
        return true;
    }
    // 127.0.0.0/8 as a dotted quad (std's full IP parser costs ~3 KB in the component).
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets[0] == "127"
        && octets
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u8>().is_ok())
}

pub(crate) fn normalize_version(v: &str) -> Result<String, Error> {
    let v = v.trim();
    let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if digits(major, 3) && digits(minor, 1) {
        Ok(format!("{major}.{minor}"))
    } else {
        Err(Error::invalid(format!(
            "api-version must look like 59.0, got {v:?}"
        )))
    }
}

fn validate_token(token: &str) -> Result<(), Error> {
    if token.is_empty() {
        return Err(Error::invalid("access token is empty"));
    }
    if token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(Error::invalid(
            "access token contains spaces or non-printable characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts_match_std_for_the_forms_urls_carry() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "128.0.0.1",
            "127.0.0",
            "127.0.0.256",
            "127.0.0.1.5",
            "127..0.1",
            "10.0.0.1",
            "example.com",
            "127.0.0.1.example.com",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
        // Agrees with std wherever std can parse the host.
        for host in [
            "127.0.0.1",
            "127.255.255.255",
            "126.0.0.1",
            "0.0.0.0",
            "::1",
        ] {
            let std = host.parse::<std::net::IpAddr>().unwrap().is_loopback();
            assert_eq!(is_loopback(host), std, "{host}");
        }
    }
}
