//! Command-line words into the component's values: operations, content types, PK chunking
//! options, job requests, state changes, batch media types. Errors are lowercase lines
//! saying what was expected and what came (the caller makes them usage failures, exit 2).

use host_test::{
    ConcurrencyMode, ContentType, JobRequest, JobStateChange, LineEnding, Operation, PkChunking,
};

use crate::args::CreateJob;

/// Parses an operation name as Salesforce spells it (case-insensitive here).
pub fn parse_operation(s: &str) -> Result<Operation, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "insert" => Operation::Insert,
        "update" => Operation::Update,
        "upsert" => Operation::Upsert,
        "delete" => Operation::Delete,
        "harddelete" | "hard-delete" => Operation::HardDelete,
        "query" => Operation::Query,
        "queryall" | "query-all" => Operation::QueryAll,
        _ => {
            return Err(format!(
                "unknown operation {s:?}: expected insert, update, upsert, delete, hardDelete, query or queryAll"
            ));
        }
    })
}

/// Parses a job content type (`CSV`, `ZIP_JSON`, …; case-insensitive).
pub fn parse_content_type(s: &str) -> Result<ContentType, String> {
    Ok(match s.to_ascii_uppercase().replace('-', "_").as_str() {
        "XML" => ContentType::Xml,
        "CSV" => ContentType::Csv,
        "JSON" => ContentType::Json,
        "ZIP_XML" => ContentType::ZipXml,
        "ZIP_CSV" => ContentType::ZipCsv,
        "ZIP_JSON" => ContentType::ZipJson,
        _ => {
            return Err(format!(
                "unknown content type {s:?}: expected CSV, XML, JSON, ZIP_CSV, ZIP_XML or ZIP_JSON"
            ));
        }
    })
}

/// Parses `--pk-chunking` options: empty, or `chunkSize=N; startRow=ID; parent=OBJ`.
pub fn parse_pk_chunking(s: &str) -> Result<PkChunking, String> {
    let mut pk = PkChunking {
        chunk_size: None,
        start_row: None,
        parent: None,
    };
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("true") {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("pk chunking option {part:?} is not key=value"))?;
        match k.trim().to_ascii_lowercase().as_str() {
            "chunksize" => {
                pk.chunk_size = Some(
                    v.trim()
                        .parse()
                        .map_err(|_| format!("chunkSize must be a number, got {v:?}"))?,
                )
            }
            "startrow" => pk.start_row = Some(v.trim().to_string()),
            "parent" => pk.parent = Some(v.trim().to_string()),
            other => {
                return Err(format!(
                    "unknown pk chunking option {other:?}: expected chunkSize, startRow or parent"
                ));
            }
        }
    }
    Ok(pk)
}

/// Parses `--concurrency-mode` (case-insensitive).
pub fn parse_concurrency_mode(m: &str) -> Result<ConcurrencyMode, String> {
    match m.to_ascii_lowercase().as_str() {
        "parallel" => Ok(ConcurrencyMode::Parallel),
        "serial" => Ok(ConcurrencyMode::Serial),
        _ => Err(format!(
            "unknown concurrency mode {m:?}: expected Parallel or Serial"
        )),
    }
}

/// Parses `--line-ending` (case-insensitive).
pub fn parse_line_ending(m: &str) -> Result<LineEnding, String> {
    match m.to_ascii_uppercase().as_str() {
        "LF" => Ok(LineEnding::Lf),
        "CRLF" => Ok(LineEnding::Crlf),
        _ => Err(format!("unknown line ending {m:?}: expected LF or CRLF")),
    }
}

/// Parses `update-job --state` (case-insensitive).
pub fn parse_state_change(state: &str) -> Result<JobStateChange, String> {
    match state.to_ascii_lowercase().as_str() {
        "closed" => Ok(JobStateChange::Closed),
        "aborted" => Ok(JobStateChange::Aborted),
        _ => Err(format!("--state must be Closed or Aborted, got {state:?}")),
    }
}

/// The job request `create-job`'s options describe.
pub fn job_request(args: CreateJob) -> Result<JobRequest, String> {
    let operation = parse_operation(&args.operation)?;
    let content_type = args
        .content_type
        .as_deref()
        .map(parse_content_type)
        .transpose()?;
    let concurrency_mode = args
        .concurrency_mode
        .as_deref()
        .map(parse_concurrency_mode)
        .transpose()?;
    let line_ending = args
        .line_ending
        .as_deref()
        .map(parse_line_ending)
        .transpose()?;
    let pk_chunking = args
        .pk_chunking
        .as_deref()
        .map(parse_pk_chunking)
        .transpose()?;
    Ok(JobRequest {
        operation,
        object: args.object,
        content_type,
        external_id_field_name: args.external_id_field_name,
        concurrency_mode,
        assignment_rule_id: args.assignment_rule_id,
        pk_chunking,
        disable_batch_retry: args.disable_batch_retry.then_some(true),
        line_ending,
    })
}

/// The media type of a job's batches (`add-batch` without `--content-type`).
pub fn batch_media_type(job_type: &ContentType) -> Result<&'static str, String> {
    Ok(match job_type {
        ContentType::Xml => "application/xml",
        ContentType::Csv => "text/csv",
        ContentType::Json => "application/json",
        ContentType::ZipXml => "zip/xml",
        ContentType::ZipCsv => "zip/csv",
        ContentType::ZipJson => "zip/json",
        ContentType::Other(o) => {
            return Err(format!(
                "the job has content type {o:?}; give --content-type"
            ));
        }
    })
}
