//! Routing of Bulk API 2.0 requests (`/services/data/vXX.X/jobs/…`): the resource, the
//! version it exists from, authentication (`Authorization: Bearer` or `OAuth`), the
//! `REQUEST_LIMIT_EXCEEDED` knob, and the REST error array for every refusal.

use std::collections::HashMap;

use http::Method;

use crate::counters::{FaultKind, Route};
use crate::decode::request::{Ctx, Req};
use crate::decode::token_params::authorization_token;
use crate::decode::v2_path::{V2Resource, parse_data_version, parse_v2_resource, version_number};
use crate::endpoints::{v2_data, v2_jobs};
use crate::limits::{V2_INGEST_SINCE, V2_QUERY_SINCE, V2_RESULT_PAGES_SINCE};
use crate::model::State;
use crate::model::auth::Access;
use crate::model::v2job::V2Kind;
use crate::render::reply::Reply;
use crate::render::v2_docs;
use crate::rest_error::RestError;

/// Answers a request below `/services/data/{version}/jobs/` (`rest` is what follows `jobs`).
pub(crate) fn dispatch(
    state: &mut State,
    req: &Req,
    version: &str,
    rest: &[&str],
    ctx: &Ctx,
) -> Reply {
    let method = req.method.as_str();
    let parsed = parse_data_version(version).zip(parse_v2_resource(rest));
    let Some((version, resource)) = parsed else {
        state.counters.note_served(method, Route::Other);
        return v2_docs::error(&RestError::not_found(), ctx.pretty);
    };
    state.counters.note_served(method, resource.route());
    authorize(state, req)
        .and_then(|()| available(&version, resource))
        .and_then(|()| route(state, req, &version, resource, ctx))
        .unwrap_or_else(|err| v2_docs::error(&err, ctx.pretty))
}

fn authorize(state: &mut State, req: &Req) -> Result<(), RestError> {
    let token = match authorization_token(req) {
        None | Some(Err(())) => return Err(RestError::invalid_auth_header()),
        Some(Ok(token)) => token,
    };
    match state.auth.check(token) {
        Access::Valid => {}
        Access::Expired => {
            state.counters.note_fired(FaultKind::ExpiredSession);
            return Err(RestError::invalid_session());
        }
        Access::Unknown => return Err(RestError::invalid_session()),
    }
    if state.v2.limit_exceeded > 0 {
        state.v2.limit_exceeded -= 1;
        state.counters.note_fired(FaultKind::LimitExceeded);
        return Err(RestError::request_limit_exceeded());
    }
    Ok(())
}

/// Ingest exists from 41.0, query from 47.0, `resultPages` from 58.0; before, a `404`.
fn available(version: &str, resource: V2Resource<'_>) -> Result<(), RestError> {
    let since = match (resource, resource.kind()) {
        (V2Resource::ResultPages(_), _) => V2_RESULT_PAGES_SINCE,
        (_, V2Kind::Ingest) => V2_INGEST_SINCE,
        (_, V2Kind::Query) => V2_QUERY_SINCE,
    };
    if version_number(version) < since {
        return Err(RestError::not_found());
    }
    Ok(())
}

fn route(
    state: &mut State,
    req: &Req,
    version: &str,
    resource: V2Resource<'_>,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let body = || {
        req.body
            .as_deref()
            .map_err(|reason| RestError::json_parser(reason.clone()))
    };
    let params: HashMap<String, String> =
        form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let method = &req.method;
    match resource {
        V2Resource::Jobs(kind) => match *method {
            Method::POST if kind == V2Kind::Ingest => {
                v2_jobs::create_ingest(state, body()?, version, ctx)
            }
            Method::POST => v2_jobs::create_query(state, body()?, version, ctx),
            Method::GET => v2_jobs::list(state, kind, &params, version, ctx),
            _ => Err(RestError::method_not_allowed(method.as_str(), "GET, POST")),
        },
        V2Resource::Job(kind, id) => match *method {
            Method::GET => v2_jobs::get(state, id, kind, ctx),
            Method::PATCH => v2_jobs::patch(state, id, kind, body()?, ctx),
            Method::DELETE => v2_jobs::delete(state, id, kind, ctx),
            _ => Err(RestError::method_not_allowed(
                method.as_str(),
                "GET, PATCH, DELETE",
            )),
        },
        V2Resource::Upload(id) => match *method {
            Method::PUT => v2_data::upload(state, id, req.body.clone(), ctx),
            _ => Err(RestError::method_not_allowed(method.as_str(), "PUT")),
        },
        V2Resource::IngestResult(id, kind) => match *method {
            Method::GET => v2_data::ingest_results(state, id, kind, ctx),
            _ => Err(RestError::method_not_allowed(method.as_str(), "GET")),
        },
        V2Resource::QueryResults(id) => match *method {
            Method::GET => v2_data::query_results(state, id, version, &params, ctx),
            _ => Err(RestError::method_not_allowed(method.as_str(), "GET")),
        },
        V2Resource::ResultPages(id) => match *method {
            Method::GET => v2_data::result_pages(state, id, version, &params, ctx),
            _ => Err(RestError::method_not_allowed(method.as_str(), "GET")),
        },
    }
}
