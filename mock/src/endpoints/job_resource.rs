//! The job resource: create (`POST …/job`), get (`GET …/job/{id}`), close or abort
//! (`POST …/job/{id}`).

use http::StatusCode;

use crate::api_error::ApiError;
use crate::apply::lifecycle;
use crate::decode::job_info;
use crate::decode::request::{Ctx, Req};
use crate::formats::Format;
use crate::model::State;
use crate::render::info_docs::job_info;
use crate::render::reply::Reply;

/// `POST /services/async/{v}/job`.
pub(crate) fn create(
    state: &mut State,
    req: &Req,
    body: &[u8],
    version: &str,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let spec = job_info::job_spec(req, body, version)?;
    let id = lifecycle::create_job(state, spec, version, ctx.now);
    answer(state, &id, request_format(req), StatusCode::CREATED, ctx)
}

/// `GET /services/async/{v}/job/{id}`.
pub(crate) fn get(state: &State, job_id: &str, ctx: &Ctx) -> Result<Reply, ApiError> {
    let format = state.job(job_id)?.content_type.control_format();
    answer(state, job_id, format, StatusCode::OK, ctx)
}

/// `POST /services/async/{v}/job/{id}` with only a `state` (Closed or Aborted).
pub(crate) fn update(
    state: &mut State,
    job_id: &str,
    req: &Req,
    body: &[u8],
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    state.job(job_id)?;
    let target = job_info::requested_state(req, body)?;
    lifecycle::change_job_state(state, job_id, target, ctx.now)?;
    answer(state, job_id, request_format(req), StatusCode::OK, ctx)
}

/// The jobInfo of `job_id` in `format`.
fn answer(
    state: &State,
    job_id: &str,
    format: Format,
    status: StatusCode,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let doc = job_info(state, state.job(job_id)?, format, ctx.now);
    Ok(Reply::doc(status, format, "jobInfo", &doc, ctx.pretty))
}

/// Job create/update answers follow the request's Content-Type.
fn request_format(req: &Req) -> Format {
    if req.content_type_is_json() {
        Format::Json
    } else {
        Format::Xml
    }
}
