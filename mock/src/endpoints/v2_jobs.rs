//! The Bulk API 2.0 job resources: create (`POST /jobs/ingest`, `POST /jobs/query`), list
//! (`GET /jobs/ingest|query`), get, close or abort (`PATCH`), delete.

use std::collections::HashMap;

use http::StatusCode;

use crate::apply::v2_lifecycle;
use crate::counters::FaultKind;
use crate::decode::request::Ctx;
use crate::decode::v2_job_spec::{ingest_spec, query_spec, requested_state};
use crate::formats::MEDIA_JSON;
use crate::limits::V2_LIST_PAGE;
use crate::locators::{list_locator, parse_list_locator};
use crate::model::State;
use crate::model::v2job::{Phase, V2Kind, V2State};
use crate::render::reply::Reply;
use crate::render::v2_docs::{Detail, JobInfo, JobList, classic_job_info, job_info};
use crate::rest_error::RestError;

/// `POST /jobs/ingest` → `200`, `Open`.
pub(crate) fn create_ingest(
    state: &mut State,
    body: &[u8],
    version: &str,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let spec = ingest_spec(body)?;
    let id = v2_lifecycle::create_ingest(state, spec, version, ctx.now);
    answer(state, &id, V2Kind::Ingest, Detail::Created, ctx)
}

/// `POST /jobs/query` → `200`, `UploadComplete`.
pub(crate) fn create_query(
    state: &mut State,
    body: &[u8],
    version: &str,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let spec = query_spec(body)?;
    let id = v2_lifecycle::create_query(state, spec, version, ctx.now);
    answer(state, &id, V2Kind::Query, Detail::Created, ctx)
}

/// `GET /jobs/{kind}/{id}`. A job held by `slow_v2_jobs` answers `InProgress` and counts the
/// poll down.
pub(crate) fn get(
    state: &mut State,
    job_id: &str,
    kind: V2Kind,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    v2_lifecycle::job(state, job_id, kind)?;
    let reply = answer(state, job_id, kind, Detail::Full, ctx);
    if let Some(job) = state.v2_jobs.get_mut(job_id)
        && job.polls_held > 0
        && matches!(job.phase, Phase::Scheduled { .. })
    {
        job.polls_held -= 1;
        state.counters.note_fired(FaultKind::SlowJobPoll);
    }
    reply
}

/// `PATCH /jobs/{kind}/{id}` with `{"state":"UploadComplete"|"Aborted"}`.
pub(crate) fn patch(
    state: &mut State,
    job_id: &str,
    kind: V2Kind,
    body: &[u8],
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    v2_lifecycle::job(state, job_id, kind)?;
    match requested_state(body)? {
        V2State::UploadComplete => v2_lifecycle::close(state, job_id, ctx.now)?,
        _ => v2_lifecycle::abort(state, job_id, kind, ctx.now)?,
    }
    answer(state, job_id, kind, Detail::Full, ctx)
}

/// `DELETE /jobs/{kind}/{id}` → `204`, no body.
pub(crate) fn delete(
    state: &mut State,
    job_id: &str,
    kind: V2Kind,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    v2_lifecycle::delete(state, job_id, kind, ctx.now)?;
    Ok(Reply::new(StatusCode::NO_CONTENT, MEDIA_JSON, Vec::new()))
}

/// `GET /jobs/{kind}[?queryLocator=…][&jobType=…]`: 1,000 jobs a page, Bulk 1.0 jobs
/// (`Classic`) included, oldest first.
pub(crate) fn list(
    state: &State,
    kind: V2Kind,
    params: &HashMap<String, String>,
    version: &str,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let offset = match params.get("queryLocator") {
        None => 0,
        Some(locator) => parse_list_locator(locator).ok_or_else(|| {
            RestError::bad_request("INVALID_QUERY_LOCATOR", "invalid query locator")
        })?,
    };
    let job_type = params.get("jobType").map(String::as_str);
    let classic = state
        .jobs
        .values()
        .filter(|j| j.operation.is_query() == (kind == V2Kind::Query))
        .map(|j| (j.id.as_str(), "Classic"));
    let v2 = state
        .v2_jobs
        .values()
        .filter(|j| j.kind == kind)
        .map(|j| (j.id.as_str(), kind.job_type()));
    let mut ids: Vec<(&str, &str)> = classic
        .chain(v2)
        .filter(|(_, t)| job_type.is_none_or(|wanted| wanted == *t))
        .collect();
    ids.sort_unstable();
    let end = (offset + V2_LIST_PAGE).min(ids.len());
    let records: Vec<JobInfo> = ids
        .get(offset.min(end)..end)
        .unwrap_or_default()
        .iter()
        .filter_map(|(id, _)| match state.v2_jobs.get(*id) {
            Some(job) => Some(job_info(job, Detail::Full, ctx.now)),
            None => state.jobs.get(*id).map(classic_job_info),
        })
        .collect();
    let next = (end < ids.len()).then(|| {
        let path = match kind {
            V2Kind::Ingest => "ingest",
            V2Kind::Query => "query",
        };
        let filter = job_type.map_or_else(String::new, |t| format!("&jobType={t}"));
        format!(
            "/services/data/v{version}/jobs/{path}?queryLocator={}{filter}",
            list_locator(end)
        )
    });
    let doc = JobList {
        done: next.is_none(),
        records,
        next_records_url: next,
    };
    Ok(Reply::json(StatusCode::OK, &doc, ctx.pretty))
}

fn answer(
    state: &State,
    job_id: &str,
    kind: V2Kind,
    detail: Detail,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let job = v2_lifecycle::job(state, job_id, kind)?;
    Ok(Reply::json(
        StatusCode::OK,
        &job_info(job, detail, ctx.now),
        ctx.pretty,
    ))
}
