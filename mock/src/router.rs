//! Routing of a decoded request to its endpoint, authentication of Bulk API 1.0 requests, and
//! the choice between XML and JSON error documents (Bulk API 2.0 goes on in `router_v2`).
//! Counts every routed request.

use std::time::SystemTime;

use http::Method;
use http::header::HeaderName;

use crate::api_error::ApiError;
use crate::counters::{FaultKind, Route};
use crate::decode::path::{Resource, parse_resource, parse_version};
use crate::decode::request::{Ctx, Req};
use crate::endpoints::{batch_resource, job_resource, limits, token};
use crate::formats::Format;
use crate::limits::DAILY_API_REQUESTS;
use crate::model::State;
use crate::model::auth::Access;
use crate::render::reply::{Reply, api_error};
use crate::render::rest;
use crate::router_v2;

/// Whether nothing due elsewhere can change the request's reply, so the mock need not
/// finish what is due before answering it: adding a 1.0 batch (its reply shows the new batch
/// `Queued`; its checks look at the job's state and limits, which no batch's processing
/// changes). Four batches posted together were otherwise answered one after another, each
/// behind the processing of the ones before it (~20 ms per 10,000 records under the state
/// lock), where Salesforce answers them while it processes.
pub(crate) fn needs_nothing_due(req: &Req) -> bool {
    let parts: Vec<&str> = req.path.trim_end_matches('/').split('/').collect();
    req.method == Method::POST
        && matches!(
            parts.as_slice(),
            ["", "services", "async", _, "job", _, "batch"]
        )
}

/// Answers one request at `now` (the state is already advanced to it, unless
/// [`needs_nothing_due`]).
pub(crate) fn dispatch(state: &mut State, req: &Req, now: SystemTime) -> Reply {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let ctx = Ctx {
        now,
        pretty: req
            .header("x-prettyprint")
            .is_some_and(|v| matches!(v.trim(), "1" | "true")),
    };
    if segments.first() == Some(&"services") {
        state.api_requests += 1;
    }
    let method = req.method.as_str();
    match segments.as_slice() {
        ["services", "oauth2", "token"] => {
            state.counters.note_served(method, Route::Token);
            token::token(state, req, &ctx)
        }
        ["services", "data", version, "limits"] if version.starts_with('v') => {
            state.counters.note_served(method, Route::Limits);
            limits::limits(state, req, &ctx)
        }
        ["services", "data", version, "jobs", rest @ ..] => {
            let mut reply = router_v2::dispatch(state, req, version, rest, &ctx);
            reply.headers.push(limit_info(state));
            reply
        }
        ["services", "async", version, rest @ ..] => {
            let mut reply = bulk(state, req, version, rest, &ctx);
            reply.headers.push(limit_info(state));
            reply
        }
        _ => {
            state.counters.note_served(method, Route::Other);
            rest::not_found(ctx.pretty)
        }
    }
}

/// `Sforce-Limit-Info: api-usage=N/15000`.
fn limit_info(state: &State) -> (HeaderName, String) {
    (
        HeaderName::from_static("sforce-limit-info"),
        format!("api-usage={}/{DAILY_API_REQUESTS}", state.api_requests),
    )
}

fn bulk(state: &mut State, req: &Req, version: &str, rest: &[&str], ctx: &Ctx) -> Reply {
    let request_format = if req.content_type_is_json() {
        Format::Json
    } else {
        Format::Xml
    };
    let (version, resource) =
        match parse_version(version).and_then(|v| Ok((v, parse_resource(rest)?))) {
            Ok(parsed) => parsed,
            Err(err) => {
                state
                    .counters
                    .note_served(req.method.as_str(), Route::Other);
                return api_error(&err, request_format, ctx.pretty);
            }
        };
    state
        .counters
        .note_served(req.method.as_str(), resource.route());
    // Job create/update answers follow the request; everything else follows the job's type,
    // and errors are JSON for JSON jobs or JSON requests.
    let job_format = resource
        .job_id()
        .and_then(|id| state.jobs.get(id))
        .map(|job| job.content_type.control_format());
    let error_format = match (job_format, request_format) {
        (Some(Format::Json), _) | (_, Format::Json) => Format::Json,
        _ => Format::Xml,
    };
    let access = req
        .header("x-sfdc-session")
        .map_or(Access::Unknown, |token| state.auth.check(token.trim()));
    match access {
        Access::Valid => {}
        Access::Expired => {
            state.counters.note_fired(FaultKind::ExpiredSession);
            return api_error(&ApiError::invalid_session(), error_format, ctx.pretty);
        }
        Access::Unknown => {
            return api_error(&ApiError::invalid_session(), error_format, ctx.pretty);
        }
    }
    route(state, req, &version, &resource, ctx)
        .unwrap_or_else(|err| api_error(&err, error_format, ctx.pretty))
}

fn route(
    state: &mut State,
    req: &Req,
    version: &str,
    resource: &Resource<'_>,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let body = || {
        req.body
            .as_deref()
            .map_err(|reason| ApiError::new("ClientInputError", reason.to_owned()))
    };
    match (&req.method, resource) {
        (&Method::POST, Resource::Jobs) => job_resource::create(state, req, body()?, version, ctx),
        (&Method::GET, Resource::Job(job)) => job_resource::get(state, job, ctx),
        (&Method::POST, Resource::Job(job)) => job_resource::update(state, job, req, body()?, ctx),
        (&Method::POST, Resource::Batches(job)) => {
            batch_resource::add(state, job, req.body.clone(), ctx)
        }
        (&Method::GET, Resource::Batches(job)) => batch_resource::list(state, job, ctx),
        (&Method::GET, Resource::Batch(job, batch)) => batch_resource::get(state, job, batch, ctx),
        (&Method::GET, Resource::BatchRequest(job, batch)) => {
            batch_resource::request(state, job, batch)
        }
        (&Method::GET, Resource::BatchResult(job, batch)) => {
            batch_resource::result(state, job, batch, ctx)
        }
        (&Method::GET, Resource::ResultFile(job, batch, result)) => {
            batch_resource::result_file(state, job, batch, result, ctx)
        }
        (&Method::POST, Resource::Spec(job)) => batch_resource::spec(state, job),
        (method, _) => Err(ApiError::invalid_url(format!(
            "Failed to parse URL: {method} is not supported on {}",
            req.path
        ))),
    }
}
