//! `GET /services/data/vXX.X/limits` (token as `Authorization: Bearer` or `X-SFDC-Session`).

use crate::counters::FaultKind;
use crate::decode::request::{Ctx, Req};
use crate::decode::token_params::rest_token;
use crate::model::State;
use crate::model::auth::Access;
use crate::render::reply::Reply;
use crate::render::rest;

pub(crate) fn limits(state: &mut State, req: &Req, ctx: &Ctx) -> Reply {
    let access = rest_token(req).map_or(Access::Unknown, |t| state.auth.check(t));
    match access {
        Access::Valid => rest::limits(state.api_requests, state.batches_created, ctx.pretty),
        Access::Expired => {
            state.counters.note_fired(FaultKind::ExpiredSession);
            rest::invalid_session(ctx.pretty)
        }
        Access::Unknown => rest::invalid_session(ctx.pretty),
    }
}
