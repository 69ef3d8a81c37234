//! The batch resources: add, list, get, `…/request`, `…/result`, `…/result/{id}`, and
//! `…/spec`.

use http::StatusCode;

use crate::api_error::ApiError;
use crate::apply::lifecycle;
use crate::decode::request::Ctx;
use crate::formats::{ContentType, Format, NS, xmlns};
use crate::model::State;
use crate::model::batch::{Batch, BatchKind, BatchState, Outcome, ResultData};
use crate::render::info_docs::{BatchInfoListDoc, ResultListDoc, batch_info};
use crate::render::reply::Reply;
use crate::render::{ingest_results, query_results};

/// `POST …/job/{id}/batch`: 201 with a `Queued` batchInfo; processing happens later.
pub(crate) fn add(
    state: &mut State,
    job_id: &str,
    body: Result<Vec<u8>, String>,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let id = lifecycle::add_batch(state, job_id, body, ctx.now)?;
    let format = state.job(job_id)?.content_type.control_format();
    let mut doc = batch_info(state.batch(job_id, &id)?, format, true, ctx.now);
    // The answer to the POST always shows the batch as it was accepted.
    doc.state = BatchState::Queued.name();
    doc.state_message = None;
    Ok(Reply::doc(
        StatusCode::CREATED,
        format,
        "batchInfo",
        &doc,
        ctx.pretty,
    ))
}

/// `GET …/job/{id}/batch`.
pub(crate) fn list(state: &State, job_id: &str, ctx: &Ctx) -> Result<Reply, ApiError> {
    let job = state.job(job_id)?;
    let format = job.content_type.control_format();
    let doc = BatchInfoListDoc {
        xmlns: xmlns(format),
        batch_info: job
            .batch_ids
            .iter()
            .filter_map(|id| state.batches.get(id))
            .map(|batch| batch_info(batch, format, false, ctx.now))
            .collect(),
    };
    Ok(Reply::doc(
        StatusCode::OK,
        format,
        "batchInfoList",
        &doc,
        ctx.pretty,
    ))
}

/// `GET …/job/{id}/batch/{batchId}`.
pub(crate) fn get(
    state: &State,
    job_id: &str,
    batch_id: &str,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let format = state.job(job_id)?.content_type.control_format();
    let batch = state.batch(job_id, batch_id)?;
    let doc = batch_info(batch, format, true, ctx.now);
    Ok(Reply::doc(
        StatusCode::OK,
        format,
        "batchInfo",
        &doc,
        ctx.pretty,
    ))
}

/// `GET …/batch/{batchId}/request`: the stored body, byte for byte.
pub(crate) fn request(state: &State, job_id: &str, batch_id: &str) -> Result<Reply, ApiError> {
    let content_type = state.job(job_id)?.content_type;
    let batch = state.batch(job_id, batch_id)?;
    Ok(Reply::new(
        StatusCode::OK,
        content_type.batch_media_type(),
        batch.payload.clone(),
    ))
}

/// `GET …/batch/{batchId}/result`: ingest results, or the query result ids.
pub(crate) fn result(
    state: &State,
    job_id: &str,
    batch_id: &str,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let content_type = state.job(job_id)?.content_type;
    let batch = state.batch(job_id, batch_id)?;
    match &finished(batch, ctx)?.data {
        ResultData::Ingest(results) => {
            let (media, body) =
                ingest_results::render_results(results, content_type.data_format(), ctx.pretty)
                    .map_err(ApiError::internal)?;
            Ok(Reply::new(StatusCode::OK, media, body))
        }
        ResultData::Query { files, .. } => {
            let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
            Ok(match content_type.control_format() {
                Format::Xml => {
                    let doc = ResultListDoc {
                        xmlns: NS,
                        result: ids,
                    };
                    Reply::doc(StatusCode::OK, Format::Xml, "result-list", &doc, ctx.pretty)
                }
                Format::Json => Reply::json(StatusCode::OK, &ids, ctx.pretty),
            })
        }
        ResultData::None => Err(ApiError::invalid_batch(format!(
            "Batch {batch_id} has no results"
        ))),
    }
}

/// `GET …/batch/{batchId}/result/{resultId}`: one query result file.
pub(crate) fn result_file(
    state: &State,
    job_id: &str,
    batch_id: &str,
    result_id: &str,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let job = state.job(job_id)?;
    let batch = state.batch(job_id, batch_id)?;
    let ResultData::Query {
        object,
        fields,
        files,
    } = &finished(batch, ctx)?.data
    else {
        return Err(ApiError::invalid_batch(format!(
            "Batch {batch_id} is not a query batch"
        )));
    };
    let file = files
        .iter()
        .find(|f| f.id == result_id)
        .ok_or_else(|| ApiError::invalid_batch(format!("Invalid result id: {result_id}")))?;
    let (media, body) = query_results::render(
        object,
        fields,
        &file.rows,
        job.content_type.data_format(),
        &job.api_version,
        ctx.pretty,
    )
    .map_err(ApiError::internal)?;
    Ok(Reply::new(StatusCode::OK, media, body))
}

/// `POST …/job/{id}/spec`: a CSV transformation spec (accepted and ignored; CSV jobs only).
pub(crate) fn spec(state: &State, job_id: &str) -> Result<Reply, ApiError> {
    let job = state.job(job_id)?;
    if job.content_type != ContentType::Csv {
        return Err(ApiError::invalid_job(
            "A transformation spec can only be uploaded for a CSV job",
        ));
    }
    Ok(Reply::new(StatusCode::CREATED, "text/plain", Vec::new()))
}

/// The outcome of a Completed batch, or why there are no results.
fn finished<'a>(batch: &'a Batch, ctx: &Ctx) -> Result<&'a Outcome, ApiError> {
    match (batch.state(ctx.now), &batch.outcome) {
        (BatchState::Completed, Some(outcome)) => Ok(outcome),
        (BatchState::Failed, Some(outcome)) => Err(ApiError::invalid_batch(format!(
            "Batch {} failed: {}",
            batch.id,
            outcome.message.as_deref().unwrap_or("no reason given")
        ))),
        (BatchState::NotProcessed, _) if batch.kind == BatchKind::PkParent => {
            Err(ApiError::invalid_batch(format!(
                "Batch {} was split into PK chunks and has no results; read the chunk batches",
                batch.id
            )))
        }
        (BatchState::NotProcessed, _) => Err(ApiError::invalid_batch(format!(
            "Batch {} was not processed",
            batch.id
        ))),
        _ => Err(ApiError::invalid_batch(format!(
            "Batch {} not completed",
            batch.id
        ))),
    }
}
