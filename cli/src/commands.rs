//! The commands: one function per operation, each printing its JSON document (or bytes) on
//! stdout and returning a [`Failure`] otherwise.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use host_test::{BatchContent, Config, ContentType, Instance, RawBody};
use sfbulk_mock::MockConfig;

use crate::args::{Cli, Command, CreateJob, Load, Query};
use crate::connection::Connected;
use crate::env::Env;
use crate::output::{EXIT_RECORDS_FAILED, Failure, print_json};
use crate::request::{
    batch_media_type, job_request, parse_content_type, parse_operation, parse_pk_chunking,
    parse_state_change,
};
use crate::{demo, json, whole_jobs};

/// Unwraps a component call: a trap is exit 1, an operation error is described.
macro_rules! call {
    ($e:expr) => {
        $e.await.map_err(Failure::trap)?.map_err(Failure::op)?
    };
}

/// Runs a parsed command line.
pub async fn execute(
    cli: Cli,
    env: &Env,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    match cli.command {
        Command::MockServer {
            port,
            seed_accounts,
            result_file_rows,
        } => return mock_server(port, seed_accounts, result_file_rows).await,
        Command::Demo => return demo::run(stdout).await,
        _ => {}
    }
    let mut run = Connected::open(&cli.conn, env).await?;
    let outcome = operation(cli.command, &run.cfg, &mut run.inst, stdout).await;
    run.close(stderr).await;
    outcome
}

/// The commands that talk to Salesforce.
async fn operation(
    command: Command,
    cfg: &Config,
    inst: &mut Instance,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    match command {
        Command::CreateJob(args) => create_job(inst, cfg, args, stdout).await,
        Command::UpdateJob { job_id, state } => {
            update_job(inst, cfg, &job_id, &state, stdout).await
        }
        Command::GetJob { job_id } => get_job(inst, cfg, &job_id, stdout).await,
        Command::AddBatch {
            job_id,
            file,
            query,
            content_type,
        } => add_batch(inst, cfg, &job_id, file, query, content_type, stdout).await,
        Command::GetBatchStatus { job_id, batch_id } => {
            get_batch_status(inst, cfg, &job_id, &batch_id, stdout).await
        }
        Command::GetBatchResults { job_id, batch_id } => {
            get_batch_results(inst, cfg, &job_id, &batch_id, stdout).await
        }
        Command::GetBatchRequest { job_id, batch_id } => {
            get_batch_request(inst, cfg, &job_id, &batch_id, stdout).await
        }
        Command::ListBatches { job_id } => list_batches(inst, cfg, &job_id, stdout).await,
        Command::GetBulkQueryResults {
            job_id,
            batch_id,
            result_id,
            output,
        } => {
            get_bulk_query_results(inst, cfg, [&job_id, &batch_id, &result_id], output, stdout)
                .await
        }
        Command::CreateJobToUploadBatchFile {
            object,
            content_type,
            operation,
        } => {
            create_job_to_upload_batch_file(inst, cfg, &object, &content_type, &operation, stdout)
                .await
        }
        Command::UploadBatchFile { job_id, file } => {
            upload_batch_file(inst, cfg, &job_id, &file, stdout).await
        }
        Command::Load(args) => load(inst, cfg, args, stdout).await,
        Command::Query(args) => query(inst, cfg, args, stdout).await,
        Command::MockServer { .. } | Command::Demo => Ok(()),
    }
}

/// `mock-server`: serves the mock Salesforce until killed.
async fn mock_server(
    port: u16,
    seed_accounts: usize,
    result_file_rows: Option<usize>,
) -> Result<(), Failure> {
    let mut cfg = MockConfig::standalone();
    cfg.seed_accounts = seed_accounts;
    if let Some(n) = result_file_rows {
        cfg.result_file_rows = n.max(1);
    }
    tokio::task::spawn_blocking(move || sfbulk_mock::serve_forever(cfg, port))
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?
        .map_err(|e| Failure::runtime(format!("cannot serve on port {port}: {e}")))
}

/// `create-job` → jobInfo.
async fn create_job(
    inst: &mut Instance,
    cfg: &Config,
    args: CreateJob,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let req = job_request(args).map_err(Failure::usage)?;
    let job = call!(inst.create_job(cfg, &req));
    print_json(stdout, &json::job_info(&job))
}

/// `update-job` → jobInfo.
async fn update_job(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    state: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let state = parse_state_change(state).map_err(Failure::usage)?;
    let job = call!(inst.update_job(cfg, job_id, state));
    print_json(stdout, &json::job_info(&job))
}

/// `get-job` → jobInfo.
async fn get_job(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let job = call!(inst.get_job(cfg, job_id));
    print_json(stdout, &json::job_info(&job))
}

/// `add-batch` → batchInfo. A file's media type comes from `--content-type`, else from
/// the job (one get-job call).
async fn add_batch(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    file: Option<String>,
    query: Option<String>,
    content_type: Option<String>,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let content = match (file, query) {
        (_, Some(q)) => BatchContent::Query(q),
        (Some(path), None) => {
            let data = read_input(&path)?;
            let media_type = match content_type {
                Some(m) => m,
                None => {
                    let job = call!(inst.get_job(cfg, job_id));
                    batch_media_type(&job.content_type.unwrap_or(ContentType::Xml))
                        .map_err(Failure::usage)?
                        .to_string()
                }
            };
            BatchContent::Raw(RawBody { media_type, data })
        }
        (None, None) => return Err(Failure::usage("add-batch needs --file or --query")),
    };
    let batch = call!(inst.add_batch(cfg, job_id, &content));
    print_json(stdout, &json::batch_info(&batch))
}

/// `get-batch-status` → batchInfo.
async fn get_batch_status(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    batch_id: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let batch = call!(inst.get_batch_status(cfg, job_id, batch_id));
    print_json(stdout, &json::batch_info(&batch))
}

/// `get-batch-results` → an array of record results, or of result ids.
async fn get_batch_results(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    batch_id: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let results = call!(inst.get_batch_results(cfg, job_id, batch_id));
    print_json(stdout, &json::batch_results(&results))
}

/// `get-batch-request` → the stored body, byte for byte.
async fn get_batch_request(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    batch_id: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = call!(inst.get_batch_request(cfg, job_id, batch_id));
    stdout
        .write_all(&bytes)
        .map_err(|e| Failure::runtime(format!("cannot write to stdout: {e}")))
}

/// `list-batches` → an array of batchInfo (also for zero or one batch).
async fn list_batches(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let list = call!(inst.list_batches(cfg, job_id));
    print_json(
        stdout,
        &serde_json::Value::Array(list.iter().map(json::batch_info).collect()),
    )
}

/// `get-bulk-query-results` → one result file, byte for byte, to stdout or `--output`,
/// streamed in 1 MiB pieces.
async fn get_bulk_query_results(
    inst: &mut Instance,
    cfg: &Config,
    [job_id, batch_id, result_id]: [&str; 3],
    output: Option<PathBuf>,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let mut file;
    let out: &mut dyn Write = match &output {
        Some(path) => {
            file = std::fs::File::create(path)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?;
            &mut file
        }
        None => stdout,
    };
    let reader = call!(inst.open_query_result(cfg, job_id, batch_id, result_id));
    loop {
        let chunk = call!(inst.read(&reader, 1 << 20));
        if chunk.is_empty() {
            break;
        }
        out.write_all(&chunk)
            .map_err(|e| Failure::runtime(format!("cannot write the result: {e}")))?;
    }
    inst.close(reader).await.map_err(Failure::trap)
}

/// `create-job-to-upload-batch-file` → jobInfo (operation insert unless given).
async fn create_job_to_upload_batch_file(
    inst: &mut Instance,
    cfg: &Config,
    object: &str,
    content_type: &str,
    operation: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let mut req = host_test::job_request(
        parse_operation(operation).map_err(Failure::usage)?,
        object,
        Some(parse_content_type(content_type).map_err(Failure::usage)?),
    );
    req.concurrency_mode = None;
    let job = call!(inst.create_job_to_upload_batch_file(cfg, &req));
    print_json(stdout, &json::job_info(&job))
}

/// `upload-batch-file` → batchInfo.
async fn upload_batch_file(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    file: &Path,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let zip = read_input(&file.to_string_lossy())?;
    let batch = call!(inst.upload_batch_file(cfg, job_id, &zip, None));
    print_json(stdout, &json::batch_info(&batch))
}

/// `load` → `{"jobId","records","succeeded","failed"}`; exit 3 when records failed.
async fn load(
    inst: &mut Instance,
    cfg: &Config,
    args: Load,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let mut request = job_request(CreateJob {
        operation: args.operation,
        object: args.object,
        content_type: Some("CSV".into()),
        external_id_field_name: args.external_id_field_name,
        concurrency_mode: args.concurrency_mode,
        assignment_rule_id: None,
        pk_chunking: None,
        disable_batch_retry: false,
        line_ending: None,
    })
    .map_err(Failure::usage)?;
    request.content_type = Some(ContentType::Csv);
    let results = args.results.unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".results.csv");
        PathBuf::from(name)
    });
    let load = whole_jobs::LoadArgs {
        request,
        input: &args.file,
        batch_size: args.batch_size,
        results,
        wait: whole_jobs::default_wait(args.timeout.map(Duration::from_secs)),
    };
    let summary = whole_jobs::load(inst, cfg, load, &whole_jobs::Progress::auto()).await?;
    print_json(
        stdout,
        &serde_json::json!({
            "jobId": summary.job_id,
            "records": summary.records,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
        }),
    )?;
    if summary.failed > 0 {
        return Err(Failure {
            code: EXIT_RECORDS_FAILED,
            message: format!(
                "{} of {} records failed; see {}",
                summary.failed,
                summary.records,
                summary.results.display()
            ),
        });
    }
    Ok(())
}

/// `query` → `{"jobId","records"}`.
async fn query(
    inst: &mut Instance,
    cfg: &Config,
    args: Query,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let object = args
        .object
        .or_else(|| whole_jobs::soql_object(&args.soql))
        .ok_or_else(|| Failure::usage("cannot tell the object from the query; give --object"))?;
    let mut request = whole_jobs::query_request(&object, args.query_all);
    request.pk_chunking = args
        .pk_chunking
        .as_deref()
        .map(parse_pk_chunking)
        .transpose()
        .map_err(Failure::usage)?;
    let query = whole_jobs::QueryArgs {
        request,
        soql: &args.soql,
        output: &args.output,
        wait: whole_jobs::default_wait(args.timeout.map(Duration::from_secs)),
    };
    let summary = whole_jobs::query(inst, cfg, query, &whole_jobs::Progress::auto()).await?;
    print_json(
        stdout,
        &serde_json::json!({ "jobId": summary.job_id, "records": summary.records }),
    )
}

/// The bytes of a file, or of stdin for `-`.
fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut data).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut data).map(|_| ()))
    };
    read.map_err(|e| Failure::usage(format!("cannot read {path}: {e}")))?;
    Ok(data)
}
