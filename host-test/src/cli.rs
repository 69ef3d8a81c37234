//! The `sfbulk` command line (see `shared/cli-contract.md`). [`run`] is the whole program,
//! callable in-process: arguments in, bytes to stdout and stderr, an exit code out.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::{
    BatchContent, Config, ContentType, Error, Instance, JobRequest, JobStateChange, Operation,
    PkChunking, RawBody, Runtime, json,
};
use crate::{jobs, session_cache};
use sfbulk_mock::{MockConfig, MockServer};

/// Exit code: a failure reported by Salesforce or the network.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: bad usage, or input refused before anything was sent.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of `load`: the job finished, but some records failed.
pub const EXIT_RECORDS_FAILED: i32 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "sfbulk",
    version,
    about = "Salesforce Bulk API 1.0 through the sfbulk WebAssembly component"
)]
struct Cli {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: Command,
}

/// Connection options (global; each may also come from its environment variable).
#[derive(Args, Debug, Clone, Default)]
struct Connection {
    /// Instance URL (https://…my.salesforce.com; http:// only for loopback)
    #[arg(long, env = "SF_API_URL", global = true)]
    api_url: Option<String>,
    /// API version
    #[arg(long, env = "SF_API_VERSION", default_value = "59.0", global = true)]
    api_version: String,
    /// Session id or OAuth access token
    #[arg(long, env = "SF_ACCESS_TOKEN", global = true, hide_env_values = true)]
    access_token: Option<String>,
    /// OAuth refresh token
    #[arg(long, env = "SF_REFRESH_TOKEN", global = true, hide_env_values = true)]
    refresh_token: Option<String>,
    /// Connected app consumer key
    #[arg(long, env = "SF_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// Connected app consumer secret
    #[arg(long, env = "SF_CLIENT_SECRET", global = true, hide_env_values = true)]
    client_secret: Option<String>,
    /// Token host (default https://login.salesforce.com)
    #[arg(long, env = "SF_TOKEN_ENDPOINT", global = true)]
    token_endpoint: Option<String>,
    /// Proactive refresh period in ms
    #[arg(long, env = "SF_INTERVAL_TIME", global = true)]
    interval_time: Option<u64>,
    /// Key under which a refreshed token is cached between runs
    #[arg(long, env = "SF_REGISTRY_PATH", global = true)]
    registry_path: Option<String>,
    /// Folder of the session cache (default ~/.cache/sfbulk)
    #[arg(long, env = "SFBULK_CACHE_DIR", global = true)]
    cache_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a job → jobInfo
    CreateJob(CreateJob),
    /// Close or abort a job → jobInfo
    UpdateJob {
        job_id: String,
        /// Closed or Aborted
        #[arg(long)]
        state: String,
    },
    /// Read a job → jobInfo
    GetJob { job_id: String },
    /// Add a batch (a file, or a SOQL query) → batchInfo
    AddBatch {
        job_id: String,
        /// Batch body file, `-` for stdin
        #[arg(long, conflicts_with = "query", required_unless_present = "query")]
        file: Option<String>,
        /// SOQL statement for a query job
        #[arg(long)]
        query: Option<String>,
        /// Media type of the body (default: from the job)
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Read a batch → batchInfo
    GetBatchStatus { job_id: String, batch_id: String },
    /// Per-record results of an ingest batch, or the result ids of a query batch
    GetBatchResults { job_id: String, batch_id: String },
    /// The batch body exactly as Salesforce stored it
    GetBatchRequest { job_id: String, batch_id: String },
    /// The batches of a job → array of batchInfo
    ListBatches { job_id: String },
    /// One query result file, byte for byte
    GetBulkQueryResults {
        job_id: String,
        batch_id: String,
        result_id: String,
        /// Write to this file instead of stdout
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Create a ZIP_* job for binary attachments → jobInfo
    CreateJobToUploadBatchFile {
        #[arg(long)]
        object: String,
        /// ZIP_CSV, ZIP_XML or ZIP_JSON
        #[arg(long)]
        content_type: String,
        /// Default insert
        #[arg(long, default_value = "insert")]
        operation: String,
    },
    /// Upload a zip (request.txt + files) as a batch → batchInfo
    UploadBatchFile {
        job_id: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Load a CSV file of any size: split, add, close, wait, results joined to the input
    Load {
        /// insert, update, upsert, delete, hardDelete
        #[arg(long)]
        operation: String,
        #[arg(long)]
        object: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        external_id_field_name: Option<String>,
        /// Records per batch (at most 10,000, the default)
        #[arg(long)]
        batch_size: Option<u32>,
        /// Results file (default <file>.results.csv)
        #[arg(long)]
        results: Option<PathBuf>,
        /// Parallel or Serial
        #[arg(long)]
        concurrency_mode: Option<String>,
        /// Give up waiting after this many seconds (the job goes on)
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Run a query job and write every row of every result file as one CSV
    Query {
        #[arg(long)]
        soql: String,
        /// Default: the object after FROM
        #[arg(long)]
        object: Option<String>,
        /// Include deleted and archived records
        #[arg(long)]
        query_all: bool,
        /// PK chunking; optionally `chunkSize=N; startRow=ID; parent=OBJ`
        #[arg(long, num_args = 0..=1, default_missing_value = "")]
        pk_chunking: Option<String>,
        #[arg(long)]
        output: PathBuf,
        /// Give up waiting after this many seconds (the job goes on)
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Serve the mock Salesforce on 127.0.0.1
    MockServer {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Account rows present at start
        #[arg(long, default_value_t = 1000)]
        seed_accounts: usize,
        /// Rows per query result file (more rows make several files)
        #[arg(long)]
        result_file_rows: Option<usize>,
    },
    /// A short load and query against the embedded mock Salesforce
    Demo,
}

#[derive(Args, Debug)]
struct CreateJob {
    /// insert, update, upsert, delete, hardDelete, query, queryAll
    #[arg(long)]
    operation: String,
    /// sObject, e.g. Contact
    #[arg(long)]
    object: String,
    /// CSV, XML, JSON, ZIP_CSV, ZIP_XML, ZIP_JSON (Salesforce's default: XML)
    #[arg(long)]
    content_type: Option<String>,
    #[arg(long)]
    external_id_field_name: Option<String>,
    /// Parallel or Serial
    #[arg(long)]
    concurrency_mode: Option<String>,
    #[arg(long)]
    assignment_rule_id: Option<String>,
    /// PK chunking; optionally `chunkSize=N; startRow=ID; parent=OBJ`
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pk_chunking: Option<String>,
    /// Sforce-Disable-Batch-Retry: TRUE
    #[arg(long)]
    disable_batch_retry: bool,
    /// LF or CRLF (Sforce-Line-Ending)
    #[arg(long)]
    line_ending: Option<String>,
}

/// A failure with its exit code and the one stderr line.
struct Failure {
    code: i32,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    fn trap(e: wasmtime::Error) -> Self {
        Failure {
            code: EXIT_FAILURE,
            message: format!("the component failed: {e}"),
        }
    }
}

/// The one-line description of an operation error and its exit code.
pub fn describe(e: &Error) -> (i32, String) {
    match e {
        Error::InvalidInput(m) => (EXIT_USAGE, format!("invalid input: {m}")),
        Error::Transport(m) => (EXIT_FAILURE, format!("transport error: {m}")),
        Error::Timeout(m) => (EXIT_FAILURE, format!("timed out: {m}")),
        Error::UnexpectedResponse(u) => (
            EXIT_FAILURE,
            format!(
                "unexpected response (http {}): {}; body starts {:?}",
                u.http_status, u.detail, u.excerpt
            ),
        ),
        Error::Api(a) => (
            EXIT_FAILURE,
            format!(
                "{}: {} (http {})",
                a.exception_code, a.exception_message, a.http_status
            ),
        ),
        Error::SessionExpired(m) => (EXIT_FAILURE, format!("InvalidSessionId: {m}")),
        Error::Auth(a) => (
            EXIT_FAILURE,
            format!("token refresh failed: {}: {}", a.error, a.description),
        ),
        Error::OutcomeUnknown(m) => (EXIT_FAILURE, format!("outcome unknown: {m}")),
        Error::StillRunning(r) => (
            EXIT_FAILURE,
            format!(
                "still running: job {} has {} batches not finished ({}); nothing was aborted",
                r.job_id,
                r.pending_batch_ids.len(),
                r.pending_batch_ids.join(", ")
            ),
        ),
    }
}

fn op_failure(e: Error) -> Failure {
    let (code, message) = describe(&e);
    Failure { code, message }
}

/// Runs the command line. Returns the process exit code.
pub fn run(args: Vec<OsString>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let text = e.render().to_string();
            let _ = if code == 0 {
                stdout.write_all(text.as_bytes())
            } else {
                stderr.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let name = command_name(&cli.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(stderr, "{name}: cannot start the async runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(execute(cli, stdout, stderr)) {
        Ok(()) => 0,
        Err(f) => {
            let _ = writeln!(stderr, "{name}: {}", f.message);
            f.code
        }
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::CreateJob(_) => "create-job",
        Command::UpdateJob { .. } => "update-job",
        Command::GetJob { .. } => "get-job",
        Command::AddBatch { .. } => "add-batch",
        Command::GetBatchStatus { .. } => "get-batch-status",
        Command::GetBatchResults { .. } => "get-batch-results",
        Command::GetBatchRequest { .. } => "get-batch-request",
        Command::ListBatches { .. } => "list-batches",
        Command::GetBulkQueryResults { .. } => "get-bulk-query-results",
        Command::CreateJobToUploadBatchFile { .. } => "create-job-to-upload-batch-file",
        Command::UploadBatchFile { .. } => "upload-batch-file",
        Command::Load { .. } => "load",
        Command::Query { .. } => "query",
        Command::MockServer { .. } => "mock-server",
        Command::Demo => "demo",
    }
}

fn connection_config(c: &Connection) -> Result<Config, Failure> {
    let api_url = c
        .api_url
        .clone()
        .ok_or_else(|| Failure::usage("missing --api-url (or SF_API_URL)"))?;
    let access_token = c
        .access_token
        .clone()
        .ok_or_else(|| Failure::usage("missing --access-token (or SF_ACCESS_TOKEN)"))?;
    Ok(Config {
        api_version: c.api_version.clone(),
        access_token,
        api_url,
        token_endpoint_hostname: c.token_endpoint.clone(),
        refresh_token: c.refresh_token.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        interval_time: c.interval_time,
        registry_path: c.registry_path.clone(),
        timeouts: None,
        retry: None,
    })
}

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

fn job_request_from(args: CreateJob) -> Result<JobRequest, Failure> {
    let operation = parse_operation(&args.operation).map_err(Failure::usage)?;
    let content_type = args
        .content_type
        .as_deref()
        .map(parse_content_type)
        .transpose()
        .map_err(Failure::usage)?;
    let concurrency_mode = args
        .concurrency_mode
        .as_deref()
        .map(|m| match m.to_ascii_lowercase().as_str() {
            "parallel" => Ok(crate::ConcurrencyMode::Parallel),
            "serial" => Ok(crate::ConcurrencyMode::Serial),
            _ => Err(Failure::usage(format!(
                "unknown concurrency mode {m:?}: expected Parallel or Serial"
            ))),
        })
        .transpose()?;
    let line_ending = args
        .line_ending
        .as_deref()
        .map(|m| match m.to_ascii_uppercase().as_str() {
            "LF" => Ok(crate::LineEnding::Lf),
            "CRLF" => Ok(crate::LineEnding::Crlf),
            _ => Err(Failure::usage(format!(
                "unknown line ending {m:?}: expected LF or CRLF"
            ))),
        })
        .transpose()?;
    let pk_chunking = args
        .pk_chunking
        .as_deref()
        .map(parse_pk_chunking)
        .transpose()
        .map_err(Failure::usage)?;
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

fn print_json(stdout: &mut dyn Write, value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    writeln!(stdout, "{text}").map_err(|e| Failure {
        code: EXIT_FAILURE,
        message: format!("cannot write to stdout: {e}"),
    })
}

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

/// Unwraps a call: a trap is exit 1, an operation error is described.
macro_rules! call {
    ($e:expr) => {
        $e.await.map_err(Failure::trap)?.map_err(op_failure)?
    };
}

async fn execute(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<(), Failure> {
    match cli.command {
        Command::MockServer {
            port,
            seed_accounts,
            result_file_rows,
        } => {
            let mut cfg = MockConfig::standalone();
            cfg.seed_accounts = seed_accounts;
            if let Some(n) = result_file_rows {
                cfg.result_file_rows = n.max(1);
            }
            return tokio::task::spawn_blocking(move || sfbulk_mock::serve_forever(cfg, port))
                .await
                .map_err(|e| Failure {
                    code: EXIT_FAILURE,
                    message: e.to_string(),
                })?
                .map_err(|e| Failure {
                    code: EXIT_FAILURE,
                    message: format!("cannot serve on port {port}: {e}"),
                });
        }
        Command::Demo => return demo(stdout, stderr).await,
        _ => {}
    }
    let cfg = connection_config(&cli.conn)?;
    let mut inst = Runtime::shared()
        .instantiate()
        .await
        .map_err(Failure::trap)?;
    let cache_dir = cli
        .conn
        .cache_dir
        .clone()
        .or_else(session_cache::default_dir);
    if let Some(cached) = cache_dir
        .as_deref()
        .and_then(|d| session_cache::load(d, &cfg))
    {
        // A cache that does not fit (e.g. a bad URL in it) is ignored.
        let _ = inst.set_session(&cfg, &cached).await;
    }
    let outcome = run_command(cli.command, &cfg, &mut inst, stdout).await;
    // Keep a renewed token for the next run (never printed).
    if let Ok(Some(session)) = inst.get_session(&cfg).await
        && session.access_token != cfg.access_token
        && let Some(dir) = cache_dir.as_deref()
        && let Err(e) = session_cache::store(dir, &cfg, &session)
    {
        let _ = writeln!(stderr, "warning: cannot store the session cache: {e}");
    }
    outcome
}

async fn run_command(
    command: Command,
    cfg: &Config,
    inst: &mut Instance,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let cfg = cfg.clone();
    match command {
        Command::CreateJob(args) => {
            let req = job_request_from(args)?;
            let job = call!(inst.create_job(&cfg, &req));
            print_json(stdout, &json::job_info(&job))
        }
        Command::UpdateJob { job_id, state } => {
            let state = match state.to_ascii_lowercase().as_str() {
                "closed" => JobStateChange::Closed,
                "aborted" => JobStateChange::Aborted,
                _ => {
                    return Err(Failure::usage(format!(
                        "--state must be Closed or Aborted, got {state:?}"
                    )));
                }
            };
            let job = call!(inst.update_job(&cfg, &job_id, state));
            print_json(stdout, &json::job_info(&job))
        }
        Command::GetJob { job_id } => {
            let job = call!(inst.get_job(&cfg, &job_id));
            print_json(stdout, &json::job_info(&job))
        }
        Command::AddBatch {
            job_id,
            file,
            query,
            content_type,
        } => {
            let content = match (file, query) {
                (_, Some(q)) => BatchContent::Query(q),
                (Some(path), None) => {
                    let data = read_input(&path)?;
                    let media_type = match content_type {
                        Some(m) => m,
                        None => media_type_of_job(inst, &cfg, &job_id).await?,
                    };
                    BatchContent::Raw(RawBody { media_type, data })
                }
                (None, None) => return Err(Failure::usage("add-batch needs --file or --query")),
            };
            let batch = call!(inst.add_batch(&cfg, &job_id, &content));
            print_json(stdout, &json::batch_info(&batch))
        }
        Command::GetBatchStatus { job_id, batch_id } => {
            let batch = call!(inst.get_batch_status(&cfg, &job_id, &batch_id));
            print_json(stdout, &json::batch_info(&batch))
        }
        Command::GetBatchResults { job_id, batch_id } => {
            let results = call!(inst.get_batch_results(&cfg, &job_id, &batch_id));
            print_json(stdout, &json::batch_results(&results))
        }
        Command::GetBatchRequest { job_id, batch_id } => {
            let bytes = call!(inst.get_batch_request(&cfg, &job_id, &batch_id));
            stdout.write_all(&bytes).map_err(|e| Failure {
                code: EXIT_FAILURE,
                message: format!("cannot write to stdout: {e}"),
            })
        }
        Command::ListBatches { job_id } => {
            let list = call!(inst.list_batches(&cfg, &job_id));
            print_json(
                stdout,
                &serde_json::Value::Array(list.iter().map(json::batch_info).collect()),
            )
        }
        Command::GetBulkQueryResults {
            job_id,
            batch_id,
            result_id,
            output,
        } => {
            let mut file;
            let out: &mut dyn Write = match &output {
                Some(path) => {
                    file = std::fs::File::create(path).map_err(|e| {
                        Failure::usage(format!("cannot create {}: {e}", path.display()))
                    })?;
                    &mut file
                }
                None => stdout,
            };
            copy_result(inst, &cfg, &job_id, &batch_id, &result_id, out).await?;
            Ok(())
        }
        Command::CreateJobToUploadBatchFile {
            object,
            content_type,
            operation,
        } => {
            let mut req = crate::job_request(
                parse_operation(&operation).map_err(Failure::usage)?,
                &object,
                Some(parse_content_type(&content_type).map_err(Failure::usage)?),
            );
            req.concurrency_mode = None;
            let job = call!(inst.create_job_to_upload_batch_file(&cfg, &req));
            print_json(stdout, &json::job_info(&job))
        }
        Command::UploadBatchFile { job_id, file } => {
            let zip = read_input(&file.to_string_lossy())?;
            let batch = call!(inst.upload_batch_file(&cfg, &job_id, &zip, None));
            print_json(stdout, &json::batch_info(&batch))
        }
        Command::Load {
            operation,
            object,
            file,
            external_id_field_name,
            batch_size,
            results,
            concurrency_mode,
            timeout,
        } => {
            let mut request = job_request_from(CreateJob {
                operation,
                object,
                content_type: Some("CSV".into()),
                external_id_field_name,
                concurrency_mode,
                assignment_rule_id: None,
                pk_chunking: None,
                disable_batch_retry: false,
                line_ending: None,
            })?;
            request.content_type = Some(ContentType::Csv);
            let results = results.unwrap_or_else(|| {
                let mut name = file.clone().into_os_string();
                name.push(".results.csv");
                PathBuf::from(name)
            });
            let args = jobs::LoadArgs {
                request,
                input: &file,
                batch_size,
                results,
                wait: jobs::default_wait(timeout.map(Duration::from_secs)),
            };
            let summary = jobs::load(inst, &cfg, args, &jobs::Progress::auto())
                .await
                .map_err(job_failure)?;
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
        Command::Query {
            soql,
            object,
            query_all,
            pk_chunking,
            output,
            timeout,
        } => {
            let object = match object.or_else(|| jobs::soql_object(&soql)) {
                Some(o) => o,
                None => {
                    return Err(Failure::usage(
                        "cannot tell the object from the query; give --object",
                    ));
                }
            };
            let mut request = jobs::query_request(&object, query_all);
            request.pk_chunking = pk_chunking
                .as_deref()
                .map(parse_pk_chunking)
                .transpose()
                .map_err(Failure::usage)?;
            let args = jobs::QueryArgs {
                request,
                soql: &soql,
                output: &output,
                wait: jobs::default_wait(timeout.map(Duration::from_secs)),
            };
            let summary = jobs::query(inst, &cfg, args, &jobs::Progress::auto())
                .await
                .map_err(job_failure)?;
            print_json(
                stdout,
                &serde_json::json!({ "jobId": summary.job_id, "records": summary.records }),
            )
        }
        Command::MockServer { .. } | Command::Demo => Ok(()),
    }
}

fn job_failure(f: jobs::JobFailure) -> Failure {
    match f {
        jobs::JobFailure::Op(e) => op_failure(e),
        jobs::JobFailure::Trap(e) => Failure::trap(e),
        jobs::JobFailure::Io(m) => Failure::usage(m),
    }
}

/// The media type of batches for a job, read with get-job.
async fn media_type_of_job(
    inst: &mut Instance,
    cfg: &Config,
    job_id: &str,
) -> Result<String, Failure> {
    let job = call!(inst.get_job(cfg, job_id));
    let media = match job.content_type.unwrap_or(ContentType::Xml) {
        ContentType::Xml => "application/xml",
        ContentType::Csv => "text/csv",
        ContentType::Json => "application/json",
        ContentType::ZipXml => "zip/xml",
        ContentType::ZipCsv => "zip/csv",
        ContentType::ZipJson => "zip/json",
        ContentType::Other(o) => {
            return Err(Failure::usage(format!(
                "the job has content type {o:?}; give --content-type"
            )));
        }
    };
    Ok(media.to_string())
}

/// Streams one result file into `out` in 1 MiB pieces.
async fn copy_result(
    inst: &mut Instance,
    cfg: &Config,
    job: &str,
    batch: &str,
    result: &str,
    out: &mut dyn Write,
) -> Result<u64, Failure> {
    let reader = call!(inst.open_query_result(cfg, job, batch, result));
    let mut total = 0u64;
    loop {
        let chunk = call!(inst.read(&reader, 1 << 20));
        if chunk.is_empty() {
            break;
        }
        total += chunk.len() as u64;
        out.write_all(&chunk).map_err(|e| Failure {
            code: EXIT_FAILURE,
            message: format!("cannot write the result: {e}"),
        })?;
    }
    inst.close(reader).await.map_err(Failure::trap)?;
    Ok(total)
}

/// The demo's input: `n` contacts, every 500th without the required LastName, with
/// commas, quotes, line breaks and non-ASCII text in the values.
pub fn demo_csv(n: usize) -> String {
    let mut csv = String::from("FirstName,LastName,Email,Description\n");
    for i in 1..=n {
        let last = if i % 500 == 0 {
            String::new()
        } else {
            format!("Doe-{i}")
        };
        let first = if i % 7 == 0 {
            format!("Zoë {i}")
        } else {
            format!("Jane {i}")
        };
        csv.push_str(&format!(
            "{first},{last},jane{i}@example.com,\"likes \"\"quotes\"\", commas\nand line breaks\"\n"
        ));
    }
    csv
}

async fn demo(stdout: &mut dyn Write, _stderr: &mut dyn Write) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure {
        code: EXIT_FAILURE,
        message: format!("cannot write: {e}"),
    };
    let mock = MockServer::start(MockConfig {
        processing_delay: Duration::from_millis(200),
        ..MockConfig::default()
    });
    let cfg = crate::config(&mock.url(), &MockConfig::default().access_tokens[0]);
    let mut inst = Runtime::shared()
        .instantiate()
        .await
        .map_err(Failure::trap)?;
    let dir = std::env::temp_dir().join(format!("sfbulk-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let input = dir.join("contacts.csv");
    std::fs::write(&input, demo_csv(3000)).map_err(io)?;
    writeln!(
        stdout,
        "sfbulk demo: the connector component in wasmtime, against a mock Salesforce on {}",
        mock.url()
    )
    .map_err(io)?;
    writeln!(stdout).map_err(io)?;

    // 1. Load.
    writeln!(
        stdout,
        "1. load {} (3,000 contacts, 6 without LastName) in batches of 1,000",
        input.display()
    )
    .map_err(io)?;
    let t = std::time::Instant::now();
    let args = jobs::LoadArgs {
        request: crate::job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        input: &input,
        batch_size: Some(1000),
        results: dir.join("contacts.results.csv"),
        wait: jobs::default_wait(Some(Duration::from_secs(60))),
    };
    let load = jobs::load(&mut inst, &cfg, args, &jobs::Progress::quiet())
        .await
        .map_err(job_failure)?;
    writeln!(
        stdout,
        "   job {}: {} batches, {} records, {} succeeded, {} failed ({:.1} s)",
        load.job_id,
        load.batches.len(),
        load.records,
        load.succeeded,
        load.failed,
        t.elapsed().as_secs_f64()
    )
    .map_err(io)?;
    let results = std::fs::read_to_string(&load.results).map_err(io)?;
    let mut reader = csv::Reader::from_reader(results.as_bytes());
    for (i, row) in reader.records().filter_map(Result::ok).enumerate() {
        if row.get(5) == Some("false") {
            writeln!(stdout, "   row {:>4}: {}", i + 1, row.get(7).unwrap_or("")).map_err(io)?;
        }
    }
    writeln!(
        stdout,
        "   every input row has its result in {}",
        load.results.display()
    )
    .map_err(io)?;
    writeln!(stdout).map_err(io)?;

    // 2. Query them back with PK chunking.
    let soql = "SELECT Id, FirstName, LastName FROM Contact";
    writeln!(
        stdout,
        "2. query \"{soql}\" with PK chunking (chunkSize=1000)"
    )
    .map_err(io)?;
    let t = std::time::Instant::now();
    let mut request = jobs::query_request("Contact", false);
    request.pk_chunking = Some(PkChunking {
        chunk_size: Some(1000),
        start_row: None,
        parent: None,
    });
    let output = dir.join("contacts.query.csv");
    let args = jobs::QueryArgs {
        request,
        soql,
        output: &output,
        wait: jobs::default_wait(Some(Duration::from_secs(60))),
    };
    let q = jobs::query(&mut inst, &cfg, args, &jobs::Progress::quiet())
        .await
        .map_err(job_failure)?;
    writeln!(
        stdout,
        "   job {}: {} chunk batches (the original batch NotProcessed, as expected), {} rows in one CSV ({:.1} s)",
        q.job_id,
        q.batches,
        q.records,
        t.elapsed().as_secs_f64()
    )
    .map_err(io)?;
    let text = std::fs::read_to_string(&output).map_err(io)?;
    for line in text.lines().take(3) {
        writeln!(stdout, "   {line}").map_err(io)?;
    }
    writeln!(stdout, "   … written to {}", output.display()).map_err(io)?;
    Ok(())
}

/// Entry point of the `sfbulk` binary.
pub fn main() -> i32 {
    // Unlocked handles: the mock server (mock-server) prints its banner from its own thread.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    run(std::env::args_os().collect(), &mut out, &mut err)
}
