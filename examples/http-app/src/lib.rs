//! A Spin-style HTTP app around the sfbulk connector.
//!
//! It exports `wasi:http/incoming-handler` (what Spin's HTTP trigger, `wasmtime serve` and any
//! `wasi:http/proxy` host call) and imports `sfbulk:connector/bulk@0.1.0`, which the connector
//! component provides once the two are composed (`wac plug`, or Spin component dependencies).
//!
//! Routes (JSON out, Salesforce's camelCase names):
//!
//! | route | operations |
//! |---|---|
//! | `POST /jobs?object=Contact` + a CSV body | create-job (insert, CSV), add-batch, update-job (Closed) → 201 `{"jobId","batchId"}` |
//! | `GET /jobs/{id}` | get-job |
//! | `GET /jobs/{id}/batches` | list-batches |
//! | `GET /jobs/{id}/batches/{batch}/results` | get-batch-results |
//!
//! Connection settings come from the environment (Spin: the component's `environment`;
//! `wasmtime serve`: `--env`): `SF_API_URL`, `SF_ACCESS_TOKEN`, optional `SF_API_VERSION`
//! (default `59.0`). Connector errors become JSON `{"error": {"kind": …}}` with 400
//! (invalid input), 404 (`InvalidJob`/`InvalidBatch`), 504 (timeout) or 502 (anything else
//! upstream).

#![cfg(target_arch = "wasm32")]

mod bindings {
    wit_bindgen::generate!({
        inline: "
            package sfbulk:http-app@0.1.0;
            world app {
                import sfbulk:connector/bulk@0.1.0;
            }
        ",
        path: "../../wit",
        world: "sfbulk:http-app/app",
        generate_all,
    });
}

use std::io::{Read as _, Write as _};

use bindings::sfbulk::connector::bulk::{
    self, BatchContent, BatchInfo, BatchResults, BatchState, Config, ContentType, Error, ErrorKind,
    JobInfo, JobRequest, JobState, JobStateChange, Operation, RawBody,
};
use serde_json::{Value, json};
use wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct App;

wasi::http::proxy::export!(App);

impl wasi::exports::http::incoming_handler::Guest for App {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let (status, body) = route(&request);
        respond(out, status, &body);
    }
}

/// Largest request body read (the Bulk API's batch limit).
const MAX_BODY: u64 = 10_000_000;

fn route(request: &IncomingRequest) -> (u16, Value) {
    let target = request.path_with_query().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let cfg = match config() {
        Ok(cfg) => cfg,
        Err(msg) => {
            return (
                500,
                json!({ "error": { "kind": "config", "message": msg } }),
            );
        }
    };
    let method = request.method();
    let result = match (&method, parts.as_slice()) {
        (Method::Get, ["jobs", job]) => bulk::get_job(&cfg, job).map(|j| job_json(&j)),
        (Method::Get, ["jobs", job, "batches"]) => bulk::list_batches(&cfg, job)
            .map(|list| Value::Array(list.iter().map(batch_json).collect())),
        (Method::Get, ["jobs", job, "batches", batch, "results"]) => {
            bulk::get_batch_results(&cfg, job, batch).map(|r| results_json(&r))
        }
        (Method::Post, ["jobs"]) => {
            let Some(object) = query_param(query, "object") else {
                return bad_request("POST /jobs needs ?object=<sObject>");
            };
            let data = match read_body(request) {
                Ok(data) => data,
                Err(msg) => return bad_request(&msg),
            };
            return match load_csv(&cfg, &object, data) {
                Ok(v) => (201, v),
                Err(e) => error_response(&e),
            };
        }
        (Method::Get | Method::Post, _) => {
            return (
                404,
                json!({ "error": { "kind": "not-found", "message": path } }),
            );
        }
        _ => {
            return (405, json!({ "error": { "kind": "method-not-allowed" } }));
        }
    };
    match result {
        Ok(v) => (200, v),
        Err(e) => error_response(&e),
    }
}

/// create-job (insert, CSV) → add-batch → update-job (Closed).
fn load_csv(cfg: &Config, object: &str, data: Vec<u8>) -> Result<Value, Error> {
    let job = bulk::create_job(
        cfg,
        &JobRequest {
            operation: Operation::Insert,
            object: object.to_string(),
            content_type: Some(ContentType::Csv),
            external_id_field_name: None,
            concurrency_mode: None,
            assignment_rule_id: None,
            pk_chunking: None,
            disable_batch_retry: None,
            line_ending: None,
        },
    )?;
    let batch = bulk::add_batch(
        cfg,
        &job.id,
        &BatchContent::Raw(RawBody {
            media_type: "text/csv".into(),
            data,
        }),
    )?;
    bulk::update_job(cfg, &job.id, JobStateChange::Closed)?;
    Ok(json!({ "jobId": job.id, "batchId": batch.id }))
}

fn config() -> Result<Config, String> {
    let env: Vec<(String, String)> = wasi::cli::environment::get_environment();
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Ok(Config {
        api_version: var("SF_API_VERSION").unwrap_or_else(|| "59.0".into()),
        access_token: var("SF_ACCESS_TOKEN").ok_or("SF_ACCESS_TOKEN is not set")?,
        api_url: var("SF_API_URL").ok_or("SF_API_URL is not set")?,
        token_endpoint_hostname: None,
        refresh_token: None,
        client_id: None,
        client_secret: None,
        interval_time: None,
        registry_path: None,
        timeouts: None,
        retry: None,
        username: None,
        jwt_private_key: None,
        concurrency: None,
    })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, String> {
    let body = request
        .consume()
        .map_err(|()| "request body already taken")?;
    let mut data = Vec::new();
    {
        let mut stream = body.stream().map_err(|()| "request body stream")?;
        let read = (&mut stream)
            .take(MAX_BODY + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("reading the request body: {e}"))?;
        if read as u64 > MAX_BODY {
            return Err(format!("request body larger than {MAX_BODY} bytes"));
        }
    }
    drop(wasi::http::types::IncomingBody::finish(body));
    Ok(data)
}

fn respond(out: ResponseOutparam, status: u16, body: &Value) {
    let headers = Fields::new();
    let _ = headers.set("content-type", &[b"application/json".to_vec()]);
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let Ok(outgoing) = response.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    if let Ok(mut stream) = outgoing.write() {
        let _ = stream.write_all(&bytes);
        let _ = stream.flush();
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

fn bad_request(message: &str) -> (u16, Value) {
    (
        400,
        json!({ "error": { "kind": "bad-request", "message": message } }),
    )
}

fn error_response(e: &Error) -> (u16, Value) {
    let status = match e.kind {
        ErrorKind::InvalidInput => 400,
        ErrorKind::Api if matches!(e.code.as_deref(), Some("InvalidJob" | "InvalidBatch")) => 404,
        ErrorKind::Timeout | ErrorKind::StillRunning => 504,
        _ => 502,
    };
    let kind = match e.kind {
        ErrorKind::InvalidInput => "invalid-input",
        ErrorKind::Transport => "transport",
        ErrorKind::Timeout => "timeout",
        ErrorKind::UnexpectedResponse => "unexpected-response",
        ErrorKind::Api => "api",
        ErrorKind::SessionExpired => "session-expired",
        ErrorKind::Auth => "auth",
        ErrorKind::OutcomeUnknown => "outcome-unknown",
        ErrorKind::StillRunning => "still-running",
    };
    let error = json!({
        "kind": kind,
        "message": e.message,
        "httpStatus": e.http_status,
        "code": e.code,
    });
    (status, json!({ "error": error }))
}

fn job_json(j: &JobInfo) -> Value {
    json!({
        "id": j.id,
        "object": j.object,
        "operation": operation_name(&j.operation),
        "state": match &j.state {
            JobState::Open => "Open",
            JobState::Closed => "Closed",
            JobState::Aborted => "Aborted",
            JobState::Failed => "Failed",
            JobState::Other(s) => s,
        },
        "contentType": j.content_type.as_ref().map(content_type_name),
        "numberBatchesTotal": j.number_batches_total,
        "numberBatchesCompleted": j.number_batches_completed,
        "numberRecordsProcessed": j.number_records_processed,
        "numberRecordsFailed": j.number_records_failed,
    })
}

fn batch_json(b: &BatchInfo) -> Value {
    json!({
        "id": b.id,
        "jobId": b.job_id,
        "state": match &b.state {
            BatchState::Queued => "Queued",
            BatchState::InProgress => "InProgress",
            BatchState::Completed => "Completed",
            BatchState::Failed => "Failed",
            BatchState::NotProcessed => "NotProcessed",
            BatchState::Other(s) => s,
        },
        "stateMessage": b.state_message,
        "numberRecordsProcessed": b.number_records_processed,
        "numberRecordsFailed": b.number_records_failed,
    })
}

fn results_json(r: &BatchResults) -> Value {
    match r {
        BatchResults::Ingest(rows) => Value::Array(
            rows.iter()
                .map(|row| {
                    json!({
                        "id": row.id,
                        "success": row.success,
                        "created": row.created,
                        "errors": row.errors.iter().map(|e| json!({
                            "statusCode": e.status_code,
                            "message": e.message,
                            "fields": e.fields,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        ),
        BatchResults::Query(ids) => json!({ "resultIds": ids }),
    }
}

fn operation_name(o: &Operation) -> &str {
    match o {
        Operation::Insert => "insert",
        Operation::Update => "update",
        Operation::Upsert => "upsert",
        Operation::Delete => "delete",
        Operation::HardDelete => "hardDelete",
        Operation::Query => "query",
        Operation::QueryAll => "queryAll",
        Operation::Other(s) => s,
    }
}

fn content_type_name(c: &ContentType) -> &str {
    match c {
        ContentType::Xml => "XML",
        ContentType::Csv => "CSV",
        ContentType::Json => "JSON",
        ContentType::ZipXml => "ZIP_XML",
        ContentType::ZipCsv => "ZIP_CSV",
        ContentType::ZipJson => "ZIP_JSON",
        ContentType::Other(s) => s,
    }
}
