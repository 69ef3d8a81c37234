//! The parameters of a token request: from the form body and the query string, with the
//! client credentials also taken from HTTP Basic auth.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::decode::request::Req;

/// Every parameter (a body value wins over the same name in the query string; Basic auth
/// fills `client_id`/`client_secret` only when they are not given otherwise).
pub(crate) fn token_params(req: &Req) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = HashMap::new();
    let body = req.body.as_deref().unwrap_or_default();
    let sources = [req.query.as_deref().unwrap_or_default().as_bytes(), body];
    for source in sources {
        for (key, value) in form_urlencoded::parse(source) {
            params.insert(key.into_owned(), value.into_owned());
        }
    }
    if let Some((id, secret)) = basic_credentials(req) {
        params.entry("client_id".into()).or_insert(id);
        params.entry("client_secret".into()).or_insert(secret);
    }
    params
}

fn basic_credentials(req: &Req) -> Option<(String, String)> {
    let value = req.header("authorization")?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASE64.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The access token of a REST request: `Authorization: Bearer …`, else `X-SFDC-Session`.
pub(crate) fn rest_token(req: &Req) -> Option<&str> {
    req.header("authorization")
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .or_else(|| req.header("x-sfdc-session"))
}

/// The access token of a REST request's `Authorization` header: `Bearer …` or `OAuth …`.
/// `None` without one; `Some(Err(()))` for another scheme or a garbled header.
pub(crate) fn authorization_token(req: &Req) -> Option<Result<&str, ()>> {
    let value = req.headers.get("authorization")?;
    let parsed = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        let token = token.trim();
        let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth");
        (known && !token.is_empty()).then_some(token)
    });
    Some(parsed.ok_or(()))
}
