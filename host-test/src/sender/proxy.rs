//! Which requests go through a proxy, and which proxy: the proxy URL (`--proxy`,
//! `HTTPS_PROXY`/`https_proxy`) with its Basic credentials, and the `NO_PROXY` rules
//! (docs/cli.md, "Transport").
//!
//! - only `https://` destinations are tunnelled (`CONNECT`); `http://` (loopback only) never is;
//! - a `NO_PROXY` entry is a host name (case-insensitive, exact), a domain suffix
//!   (`.example.com` or `example.com` also matches every subdomain), an IP address, or `*`
//!   (no proxy at all); a port on an entry is ignored;
//! - of `no_proxy` and `NO_PROXY` (and `https_proxy` and `HTTPS_PROXY`), the lowercase
//!   variable wins when both are set.

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use http::HeaderValue;

/// An HTTP proxy that `https://` requests are tunnelled through.
#[derive(Clone)]
pub struct ProxyUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Proxy-Authorization: Basic …` when the URL has `user:pass@`.
    pub(crate) authorization: Option<HeaderValue>,
}

impl ProxyUrl {
    /// Parses `http://[user[:pass]@]host[:port][/]` (the scheme may be left out; the port
    /// defaults to 80). Percent-escapes in the user and password are decoded. The error never
    /// repeats the credentials.
    pub fn parse(url: &str) -> Result<ProxyUrl, String> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "proxy URL: scheme {scheme:?} is not supported (an http:// proxy is)"
                ));
            }
            None => url,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let uri: http::uri::Authority = hostport
            .parse()
            .map_err(|_| format!("proxy URL: {hostport:?} is not a host[:port]"))?;
        let host = uri.host().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("proxy URL: no host".into());
        }
        let authorization = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|c| c.into_owned())
                        .map_err(|_| "proxy URL: the credentials are not valid UTF-8".to_string())
                };
                let pair = format!("{}:{}", decode(user)?, decode(pass)?);
                let b64 = base64::engine::general_purpose::STANDARD.encode(pair);
                let mut value = HeaderValue::from_str(&format!("Basic {b64}"))
                    .map_err(|_| "proxy URL: the credentials cannot be sent".to_string())?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(ProxyUrl {
            host: host.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(80),
            authorization,
        })
    }

    /// `host:port` to connect to.
    pub(crate) fn authority(&self) -> String {
        authority(&self.host, self.port)
    }

    /// Whether the URL carried credentials.
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }
}

/// `http://host:port`: never the credentials.
impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

/// Never the credentials.
impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("url", &self.to_string())
            .field("credentials", &self.has_credentials())
            .finish()
    }
}

/// `host:port`, an IPv6 host in brackets.
pub(crate) fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    ips: Vec<IpAddr>,
    /// Lowercase names without a leading dot: each matches itself and its subdomains.
    domains: Vec<String>,
}

impl NoProxy {
    /// Parses a comma-separated list (spaces around entries are ignored).
    pub fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                out.all = true;
                continue;
            }
            let host = strip_port(entry);
            if let Ok(ip) = host.parse::<IpAddr>() {
                out.ips.push(ip);
                continue;
            }
            let name = host.trim_start_matches("*.").trim_start_matches('.');
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !name.is_empty() {
                out.domains.push(name);
            }
        }
        out
    }

    /// Whether requests to `host` (a name or an IP address, IPv6 with or without brackets)
    /// go direct.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.ips.contains(&ip);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|d| {
            host == *d
                || (host.len() > d.len()
                    && host.ends_with(d.as_str())
                    && host.as_bytes()[host.len() - d.len() - 1] == b'.')
        })
    }
}

/// An entry without its port: `host:port`, `[v6]:port`, `[v6]`; a bare IPv6 address stays.
fn strip_port(entry: &str) -> &str {
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match entry.rsplit_once(':') {
        // One colon: host:port. More: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => entry,
    }
}

/// Where the proxy settings come from, in the order they win.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    /// The proxy, if any.
    pub proxy: Option<ProxyUrl>,
    /// Destinations that go direct.
    pub no_proxy: NoProxy,
}

impl ProxySettings {
    /// From an explicit proxy URL (e.g. `--proxy`), else `https_proxy`, else `HTTPS_PROXY`;
    /// `NO_PROXY` from `no_proxy`, else `NO_PROXY`. `var` reads one variable. An empty value
    /// counts as unset.
    pub fn resolve(
        explicit: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxySettings, String> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let url = explicit
            .map(str::to_string)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| set("https_proxy"))
            .or_else(|| set("HTTPS_PROXY"));
        let proxy = url.as_deref().map(ProxyUrl::parse).transpose()?;
        let no_proxy = set("no_proxy")
            .or_else(|| set("NO_PROXY"))
            .map(|l| NoProxy::parse(&l))
            .unwrap_or_default();
        Ok(ProxySettings { proxy, no_proxy })
    }

    /// The proxy a request to `scheme://host` goes through, if any.
    pub fn for_destination(&self, https: bool, host: &str) -> Option<&ProxyUrl> {
        if !https || self.no_proxy.matches(host) {
            return None;
        }
        self.proxy.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_rules() {
        let n = NoProxy::parse(
            " Example.COM, .corp.local ,10.1.2.3, login.salesforce.com:443, [::1]:8080,",
        );
        // Host names: exact and case-insensitive; a domain also covers its subdomains.
        assert!(n.matches("example.com"));
        assert!(n.matches("EXAMPLE.com"));
        assert!(n.matches("api.example.com"));
        assert!(!n.matches("notexample.com"));
        assert!(!n.matches("example.com.evil.net"));
        assert!(n.matches("a.b.corp.local"));
        assert!(n.matches("corp.local"));
        // Ports on entries are ignored.
        assert!(n.matches("login.salesforce.com"));
        assert!(!n.matches("test.salesforce.com"));
        // IP addresses, v4 and v6 (brackets or not).
        assert!(n.matches("10.1.2.3"));
        assert!(!n.matches("10.1.2.4"));
        assert!(n.matches("[::1]"));
        assert!(n.matches("::1"));
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("example.com"));
    }

    #[test]
    fn lowercase_variables_win_and_http_is_never_proxied() {
        let vars = |name: &str| match name {
            "HTTPS_PROXY" => Some("http://upper:1".to_string()),
            "https_proxy" => Some("http://lower:2".to_string()),
            "NO_PROXY" => Some("lower.example".to_string()),
            "no_proxy" => Some("upper.example".to_string()),
            _ => None,
        };
        let s = ProxySettings::resolve(None, vars).unwrap();
        assert_eq!(s.proxy.as_ref().unwrap().to_string(), "http://lower:2");
        assert!(s.for_destination(true, "upper.example").is_none());
        assert!(s.for_destination(true, "lower.example").is_some());
        assert!(s.for_destination(false, "lower.example").is_none());
        // An explicit proxy wins over both variables; NO_PROXY still applies to it.
        let s = ProxySettings::resolve(Some("explicit:3128"), vars).unwrap();
        assert_eq!(
            s.proxy.as_ref().unwrap().to_string(),
            "http://explicit:3128"
        );
        assert!(s.for_destination(true, "upper.example").is_none());
    }

    #[test]
    fn proxy_urls() {
        let p = ProxyUrl::parse("http://al%40ice:s%3Acret@Proxy.Corp:8080/").unwrap();
        assert_eq!(p.to_string(), "http://proxy.corp:8080");
        let auth = p
            .authorization
            .as_ref()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let b64 = auth.strip_prefix("Basic ").unwrap();
        let pair = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(pair, b"al@ice:s:cret");
        assert!(!format!("{p:?}").contains("cret"));
        assert_eq!(
            ProxyUrl::parse("10.0.0.1").unwrap().to_string(),
            "http://10.0.0.1:80"
        );
        assert_eq!(
            ProxyUrl::parse("http://[::1]:3128").unwrap().to_string(),
            "http://[::1]:3128"
        );
        let e = ProxyUrl::parse("socks5://u:secret@h:1").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
        let e = ProxyUrl::parse("http://u:secret@").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }
}
