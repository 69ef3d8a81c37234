//! The Bulk API 2.0 data resources: the upload (`PUT …/batches`), an ingest job's three
//! result files, a query job's result pages (`…/results`) and their list (`…/resultPages`).

use std::collections::HashMap;

use http::StatusCode;
use http::header::HeaderName;

use crate::apply::v2_lifecycle;
use crate::config::ResultPagesShape;
use crate::counters::FaultKind;
use crate::decode::request::Ctx;
use crate::formats::{MEDIA_CSV, MEDIA_JSON};
use crate::limits::V2_RESULT_PAGES_PER_ANSWER;
use crate::locators::{parse_result_locator, result_locator};
use crate::model::State;
use crate::model::v2job::{ResultKind, V2Job, V2Kind, V2State};
use crate::render::reply::Reply;
use crate::render::v2_docs::{documented_pages, observed_pages};
use crate::render::v2_results::{ResultStyle, ingest_result, query_page};
use crate::rest_error::RestError;

/// `PUT /jobs/ingest/{id}/batches` → `201`, no body.
pub(crate) fn upload(
    state: &mut State,
    job_id: &str,
    body: Result<Vec<u8>, String>,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    v2_lifecycle::upload(state, job_id, body, ctx.now)?;
    Ok(Reply::new(StatusCode::CREATED, MEDIA_JSON, Vec::new()))
}

/// `GET /jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords`: the whole file
/// (so far, while the job runs).
pub(crate) fn ingest_results(
    state: &State,
    job_id: &str,
    kind: ResultKind,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let job = v2_lifecycle::job(state, job_id, V2Kind::Ingest)?;
    if job.state(ctx.now) == V2State::Open {
        return Err(RestError::invalid_job_state(format!(
            "job {job_id} is Open; it has no results before UploadComplete"
        )));
    }
    let style = ResultStyle {
        shuffle_seed: state.v2.shuffle_seed,
        in_job_dialect: state.v2.results_in_job_dialect,
    };
    Ok(Reply::new(
        StatusCode::OK,
        MEDIA_CSV,
        ingest_result(job, kind, style),
    ))
}

/// A finished query job read with the version it was created with.
fn complete_query<'a>(
    state: &'a State,
    job_id: &str,
    version: &str,
    ctx: &Ctx,
) -> Result<&'a V2Job, RestError> {
    let job = v2_lifecycle::job(state, job_id, V2Kind::Query)?;
    if job.api_version != version {
        return Err(RestError::new(
            StatusCode::CONFLICT,
            "INVALIDVERSION",
            format!(
                "job {job_id} was created with api version {}; fetch its results with that version",
                job.api_version
            ),
        ));
    }
    let current = job.state(ctx.now);
    if current != V2State::JobComplete {
        return Err(RestError::invalid_job_state(format!(
            "job {job_id} is {}; results are available once it is JobComplete",
            current.name()
        )));
    }
    Ok(job)
}

/// `maxRecords`: a positive count, or the server's default page size.
fn max_records(params: &HashMap<String, String>, default: usize) -> Result<usize, RestError> {
    match params.get("maxRecords") {
        None => Ok(default),
        Some(text) => text.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            RestError::bad_request(
                "INVALID_FIELD",
                format!("maxRecords must be a positive integer, not '{text}'"),
            )
        }),
    }
}

fn invalid_locator() -> RestError {
    RestError::bad_request("INVALID_QUERY_LOCATOR", "invalid query locator")
}

/// `GET /jobs/query/{id}/results[?locator=…][&maxRecords=…]`: one page with its own header,
/// `Sforce-NumberOfRecords` and `Sforce-Locator` (the text `null` after the last page).
pub(crate) fn query_results(
    state: &mut State,
    job_id: &str,
    version: &str,
    params: &HashMap<String, String>,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let job = complete_query(state, job_id, version, ctx)?;
    let (offset, fixed) = match params.get("locator").map(String::as_str) {
        None | Some("") => (0, None),
        Some(locator) => parse_result_locator(locator).ok_or_else(invalid_locator)?,
    };
    let count = match fixed {
        Some(count) => count,
        None => max_records(params, state.v2.page_rows)?,
    };
    let total = job.query.rows.len();
    if offset > total {
        return Err(invalid_locator());
    }
    let end = offset.saturating_add(count).min(total);
    let rows = job.query.rows.slice(offset..end);
    let short = state.v2.short_pages > 0 && !rows.is_empty();
    // A short page leaves out its last row (its count and locator stay those of the page).
    let sent = rows.slice(0..rows.len() - usize::from(short));
    let mut reply = Reply::new(StatusCode::OK, MEDIA_CSV, query_page(job, &sent));
    let next = if end < total {
        result_locator(end, None)
    } else {
        "null".to_owned()
    };
    reply.headers.extend([
        (HeaderName::from_static("sforce-locator"), next),
        (
            HeaderName::from_static("sforce-numberofrecords"),
            rows.len().to_string(),
        ),
    ]);
    if short {
        state.v2.short_pages -= 1;
        state.counters.note_fired(FaultKind::ShortPage);
    }
    Ok(reply)
}

/// `GET /jobs/query/{id}/resultPages[?locator=…][&maxRecords=…]`: up to five page links
/// and the link to the next five, in the shape the knob chooses (`404` when off).
pub(crate) fn result_pages(
    state: &State,
    job_id: &str,
    version: &str,
    params: &HashMap<String, String>,
    ctx: &Ctx,
) -> Result<Reply, RestError> {
    let shape = state.v2.result_pages;
    if shape == ResultPagesShape::Off {
        return Err(RestError::not_found());
    }
    let job = complete_query(state, job_id, version, ctx)?;
    let size = max_records(params, state.v2.page_rows)?;
    let first = match params.get("locator").map(String::as_str) {
        None | Some("") => 0,
        Some(locator) => match parse_result_locator(locator) {
            Some((page, None)) => page,
            _ => return Err(invalid_locator()),
        },
    };
    let total = job.query.rows.len();
    let pages = total.div_ceil(size).max(1);
    if first >= pages {
        return Err(invalid_locator());
    }
    let last = (first + V2_RESULT_PAGES_PER_ANSWER).min(pages);
    let prefix = match shape {
        ResultPagesShape::Observed => String::new(),
        _ => format!("/services/data/v{version}"),
    };
    let urls = (first..last)
        .map(|page| {
            let offset = page * size;
            let count = size.min(total - offset);
            let locator = result_locator(offset, Some(count));
            format!("{prefix}/jobs/query/{job_id}/results?locator={locator}")
        })
        .collect();
    let next = (last < pages).then(|| {
        let size_param = params
            .get("maxRecords")
            .map_or_else(String::new, |m| format!("&maxRecords={m}"));
        format!(
            "{prefix}/jobs/query/{job_id}/resultPages?locator={}{size_param}",
            result_locator(last, None)
        )
    });
    Ok(match shape {
        ResultPagesShape::Observed => observed_pages(urls, next, ctx.pretty),
        _ => documented_pages(urls, next, ctx.pretty),
    })
}
