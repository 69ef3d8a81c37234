//! `POST /services/oauth2/token`: the refresh-token, JWT bearer and client-credentials grants.

use http::Method;

use crate::apply::oauth;
use crate::decode::request::{Ctx, Req};
use crate::decode::token_params::token_params;
use crate::model::State;
use crate::model::auth::Refusal;
use crate::render::reply::Reply;
use crate::render::rest;

/// The token endpoint: parameters from the form body and/or the query string, client
/// credentials also from HTTP Basic auth.
pub(crate) fn token(state: &mut State, req: &Req, ctx: &Ctx) -> Reply {
    if req.method != Method::POST {
        return rest::token_refused(Refusal {
            error: "invalid_request",
            description: "must use HTTP POST",
        });
    }
    match oauth::grant(state, &token_params(req), ctx.now) {
        Ok(grant) => rest::token_granted(&grant),
        Err(refusal) => rest::token_refused(refusal),
    }
}
