//! The commands: one function per operation, each printing its JSON document (or bytes) on
//! stdout and returning a [`Failure`] otherwise.

use std::io::Write;
use std::path::Path;

use host_test::{BatchContent, Config, ContentType, Instance, RawBody};
use sfbulk_mock::{MockConfig, WanLink};

use crate::args::{Cli, Command, CreateJob, MockServer as MockServerArgs};
use crate::connection::Connected;
use crate::download::Sink;
use crate::env::Env;
use crate::input::read_input;
use crate::output::{Failure, print_json};
use crate::request::{
    batch_media_type, job_request, parse_content_type, parse_operation, parse_state_change,
};
use crate::{commands_v2, demo, json, load, query};

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
        Command::MockServer(args) => return mock_server(args).await,
        Command::Demo => return demo::run(stdout).await,
        _ => {}
    }
    let mut run = Connected::open(&cli.conn, env).await?;
    let outcome = operation(cli.command, &run.cfg, &mut run.inst, env, stdout, stderr).await;
    run.close(stderr).await;
    outcome
}

/// The commands that talk to Salesforce.
async fn operation(
    command: Command,
    cfg: &Config,
    inst: &mut Instance,
    env: &Env,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
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
        Command::GetBatchResults {
            job_id,
            batch_id,
            output,
        } => {
            let sink = Sink::new(output.as_deref(), env)?;
            get_batch_results(inst, cfg, &job_id, &batch_id, sink, stdout).await
        }
        Command::GetBatchRequest {
            job_id,
            batch_id,
            output,
        } => {
            let sink = Sink::new(output.as_deref(), env)?;
            get_batch_request(inst, cfg, &job_id, &batch_id, sink, stdout).await
        }
        Command::ListBatches { job_id } => list_batches(inst, cfg, &job_id, stdout).await,
        Command::GetBulkQueryResults {
            job_id,
            batch_id,
            result_id,
            output,
        } => {
            let sink = Sink::new(output.as_deref(), env)?;
            get_bulk_query_results(inst, cfg, [&job_id, &batch_id, &result_id], sink, stdout).await
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
        Command::Load(args) => load::run(inst, cfg, args, stdout, stderr).await,
        Command::Query(args) => query::run(inst, cfg, args, stdout).await,
        Command::V2(v2) => commands_v2::run(v2, cfg, inst, env, stdout).await,
        Command::MockServer(_) | Command::Demo => Ok(()),
    }
}

/// `mock-server`: serves the mock Salesforce until killed.
async fn mock_server(args: MockServerArgs) -> Result<(), Failure> {
    let port = args.port;
    let mut cfg = MockConfig::standalone();
    cfg.seed_accounts = args.seed_accounts;
    if let Some(n) = args.result_file_rows {
        cfg.result_file_rows = n.max(1);
    }
    if let Some(ms) = args.delay_ms {
        cfg.processing_delay = std::time::Duration::from_millis(ms);
    }
    cfg.gzip_replies = !args.no_gzip;
    if args.wan_rtt_ms.is_some() || args.wan_bandwidth.is_some() || args.wan_connect_rtts.is_some()
    {
        cfg.wan = Some(WanLink {
            rtt: std::time::Duration::from_millis(args.wan_rtt_ms.unwrap_or(0)),
            bandwidth: args.wan_bandwidth,
            connect_rtts: args.wan_connect_rtts.unwrap_or(0),
        });
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

/// `get-batch-results` → an array of record results, or of result ids (to stdout or
/// `--output`, once complete).
async fn get_batch_results(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    batch_id: &str,
    mut sink: Sink,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let results = call!(inst.get_batch_results(cfg, job_id, batch_id));
    let mut text = serde_json::to_vec_pretty(&json::batch_results(&results)).unwrap_or_default();
    text.push(b'\n');
    sink.write(&text)?;
    sink.commit(stdout)
}

/// `get-batch-request` → the stored body, byte for byte (to stdout or `--output`, once
/// complete).
async fn get_batch_request(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
    batch_id: &str,
    mut sink: Sink,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = call!(inst.get_batch_request(cfg, job_id, batch_id));
    sink.write(&bytes)?;
    sink.commit(stdout)
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

/// `get-bulk-query-results` → one result file, byte for byte, read in 1 MiB pieces, to
/// stdout or `--output` once complete (see `download`).
async fn get_bulk_query_results(
    inst: &mut Instance,
    cfg: &Config,
    [job_id, batch_id, result_id]: [&str; 3],
    mut sink: Sink,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let reader = call!(inst.open_query_result(cfg, job_id, batch_id, result_id));
    loop {
        let chunk = call!(inst.read(&reader, 1 << 20));
        if chunk.is_empty() {
            break;
        }
        sink.write(&chunk)?;
    }
    inst.close(reader).await.map_err(Failure::trap)?;
    sink.commit(stdout)
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
