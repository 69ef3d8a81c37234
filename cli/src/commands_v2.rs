//! The Bulk API 2.0 low-level commands (`v2 ingest …`, `v2 query …`): one component call
//! each (a listing follows every page), Salesforce's JSON on stdout.

use std::io::Write;
use std::path::Path;

use host_test::bulk2::{IngestRequest, JobKind, QueryRequest};
use host_test::{Config, Instance, Operation};

use crate::args_v2::{Ingest, QueryJob, V2};
use crate::download::{AtomicFile, Sink};
use crate::env::Env;
use crate::input::read_input;
use crate::json_v2::{self, parse_delimiter, parse_result_kind};
use crate::output::{Failure, print_json};
use crate::request::{parse_line_ending, parse_operation};

/// Unwraps a component call: a trap is exit 1, an operation error is described.
macro_rules! call {
    ($e:expr) => {
        $e.await.map_err(Failure::trap)?.map_err(Failure::op)?
    };
}

/// Runs one `v2` command.
pub async fn run(
    command: V2,
    cfg: &Config,
    inst: &mut Instance,
    env: &Env,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    match command {
        V2::Ingest(i) => ingest(i, cfg, inst, env, stdout).await,
        V2::Query(q) => query(q, cfg, inst, stdout).await,
    }
}

async fn ingest(
    command: Ingest,
    cfg: &Config,
    inst: &mut Instance,
    env: &Env,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let kind = JobKind::Ingest;
    let job = match command {
        Ingest::Create {
            operation,
            object,
            external_id_field_name,
            column_delimiter,
            line_ending,
            assignment_rule_id,
        } => {
            let req = IngestRequest {
                object,
                operation: ingest_operation(&operation)?,
                external_id_field_name,
                column_delimiter: column_delimiter
                    .as_deref()
                    .map(parse_delimiter)
                    .transpose()
                    .map_err(Failure::usage)?,
                line_ending: line_ending
                    .as_deref()
                    .map(parse_line_ending)
                    .transpose()
                    .map_err(Failure::usage)?,
                assignment_rule_id,
            };
            call!(inst.create_ingest_job(cfg, &req))
        }
        Ingest::Upload { job_id, file } => {
            let data = read_input(&file)?;
            call!(inst.upload_job_data(cfg, &job_id, &data));
            return print_json(
                stdout,
                &serde_json::json!({ "jobId": job_id, "bytes": data.len() }),
            );
        }
        Ingest::Close { job_id } => call!(inst.close_ingest_job(cfg, &job_id)),
        Ingest::Abort { job_id } => call!(inst.abort_job(cfg, kind, &job_id)),
        Ingest::Get { job_id } => call!(inst.get_job_info(cfg, kind, &job_id)),
        Ingest::Delete { job_id } => {
            call!(inst.delete_job(cfg, kind, &job_id));
            return Ok(());
        }
        Ingest::List => return list(cfg, inst, kind, stdout).await,
        Ingest::Results {
            job_id,
            kind: which,
            output,
        } => {
            let which = parse_result_kind(&which).map_err(Failure::usage)?;
            // The destination first: an unwritable one is refused before anything is sent.
            let mut sink = Sink::new(output.as_deref(), env)?;
            let data = call!(inst.get_ingest_results(cfg, &job_id, which));
            sink.write(&data)?;
            return sink.commit(stdout);
        }
    };
    print_json(stdout, &json_v2::job_info(&job))
}

async fn query(
    command: QueryJob,
    cfg: &Config,
    inst: &mut Instance,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let kind = JobKind::Query;
    let job = match command {
        QueryJob::Create {
            soql,
            query_all,
            column_delimiter,
            line_ending,
        } => {
            let req = QueryRequest {
                query: soql,
                operation: if query_all {
                    Operation::QueryAll
                } else {
                    Operation::Query
                },
                column_delimiter: column_delimiter
                    .as_deref()
                    .map(parse_delimiter)
                    .transpose()
                    .map_err(Failure::usage)?,
                line_ending: line_ending
                    .as_deref()
                    .map(parse_line_ending)
                    .transpose()
                    .map_err(Failure::usage)?,
            };
            call!(inst.create_query_job(cfg, &req))
        }
        QueryJob::Get { job_id } => call!(inst.get_job_info(cfg, kind, &job_id)),
        QueryJob::Abort { job_id } => call!(inst.abort_job(cfg, kind, &job_id)),
        QueryJob::Delete { job_id } => {
            call!(inst.delete_job(cfg, kind, &job_id));
            return Ok(());
        }
        QueryJob::List => return list(cfg, inst, kind, stdout).await,
        QueryJob::Results {
            job_id,
            locator,
            max_records,
            output,
        } => return results_page(cfg, inst, &job_id, locator, max_records, &output, stdout).await,
    };
    print_json(stdout, &json_v2::job_info(&job))
}

/// The operation of an ingest job (2.0 has no query operations there).
pub fn ingest_operation(s: &str) -> Result<Operation, Failure> {
    let op = parse_operation(s).map_err(Failure::usage)?;
    if matches!(op, Operation::Query | Operation::QueryAll) {
        return Err(Failure::usage(format!(
            "unknown ingest operation {s:?}: expected insert, update, upsert, delete or hardDelete"
        )));
    }
    Ok(op)
}

/// Every page of a listing, as one array.
async fn list(
    cfg: &Config,
    inst: &mut Instance,
    kind: JobKind,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let mut jobs = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = call!(inst.list_jobs(cfg, kind, next.as_deref()));
        jobs.extend(page.jobs.iter().map(json_v2::job_info));
        match page.next_records_url {
            // A listing that points at the page it came from would never end.
            Some(url) if next.as_deref() != Some(url.as_str()) => next = Some(url),
            _ => break,
        }
    }
    print_json(stdout, &serde_json::Value::Array(jobs))
}

/// `v2 query results`: one page to `output`, byte for byte.
async fn results_page(
    cfg: &Config,
    inst: &mut Instance,
    job_id: &str,
    locator: Option<String>,
    max_records: Option<u32>,
    output: &Path,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let mut file = AtomicFile::create(output)?;
    let page = call!(inst.get_query_results(cfg, job_id, locator.as_deref(), max_records));
    file.write(&page.data)?;
    file.commit()?;
    print_json(
        stdout,
        &serde_json::json!({
            "locator": page.next_locator,
            "numberOfRecords": page.number_of_records,
        }),
    )
}
