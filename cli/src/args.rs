//! The command line's grammar (clap definitions) and how it is parsed together with the
//! environment.
//!
//! The connection options may also come from environment variables. Clap would read those
//! from the process environment itself (`Arg::env` calls `std::env::var_os` when the command
//! is built), which an in-process caller cannot replace; so clap is given the commands
//! without their variables, and [`parse`] hands each variable whose option the command line
//! did not give to clap as `--option=value`, from the [`Env`] the caller passes. Values from
//! the environment go through the same value parsers and error messages as flags, and a flag
//! on the command line wins over its variable.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::env::Env;

/// The whole command line.
#[derive(Parser, Debug)]
#[command(
    name = "sfbulk",
    version,
    about = "Salesforce Bulk API 1.0 and 2.0 through the sfbulk WebAssembly component"
)]
pub struct Cli {
    /// How to reach Salesforce.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Connection options (global; each may also come from its environment variable).
#[derive(Args, Debug, Clone, Default)]
pub struct Connection {
    /// Instance URL (https://…my.salesforce.com; http:// only for loopback); optional when
    /// a login gives it
    #[arg(long, env = "SF_API_URL", global = true)]
    pub api_url: Option<String>,
    /// API version
    #[arg(long, env = "SF_API_VERSION", default_value = "59.0", global = true)]
    pub api_version: String,
    /// Session id or OAuth access token
    #[arg(long, env = "SF_ACCESS_TOKEN", global = true, hide_env_values = true)]
    pub access_token: Option<String>,
    /// OAuth refresh token
    #[arg(long, env = "SF_REFRESH_TOKEN", global = true, hide_env_values = true)]
    pub refresh_token: Option<String>,
    /// Connected app consumer key
    #[arg(long, env = "SF_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// Connected app consumer secret
    #[arg(long, env = "SF_CLIENT_SECRET", global = true, hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Token host (default https://login.salesforce.com)
    #[arg(long, env = "SF_TOKEN_ENDPOINT", global = true)]
    pub token_endpoint: Option<String>,
    /// Proactive refresh period in ms
    #[arg(long, env = "SF_INTERVAL_TIME", global = true)]
    pub interval_time: Option<u64>,
    /// Key under which a refreshed token is cached between runs
    #[arg(long, env = "SF_REGISTRY_PATH", global = true)]
    pub registry_path: Option<String>,
    /// With --jwt-key-file: the user the JWT bearer login logs in as
    #[arg(long, env = "SF_USERNAME", global = true)]
    pub username: Option<String>,
    /// PEM RSA private key of the connected app: log in with the JWT bearer grant (with
    /// --username and --client-id)
    #[arg(long, env = "SF_JWT_KEY_FILE", global = true)]
    pub jwt_key_file: Option<PathBuf>,
    /// Take the access token and instance URL from the Salesforce CLI
    /// (`sf org display --target-org ALIAS --json`)
    #[arg(long, env = "SF_TARGET_ORG", global = true)]
    pub target_org: Option<String>,
    /// Folder of the session cache (default ~/.cache/sfbulk)
    #[arg(long, env = "SFBULK_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Extra trusted root certificates (PEM), added to the system's
    #[arg(long, env = "SSL_CERT_FILE", global = true)]
    pub ca_file: Option<PathBuf>,
    /// HTTP proxy for https:// (CONNECT tunnel; user:pass@ sent as Basic) [env: https_proxy,
    /// HTTPS_PROXY; NO_PROXY/no_proxy lists hosts that go direct]
    #[arg(long, global = true)]
    pub proxy: Option<String>,
    /// Uploads/downloads a whole job runs at once (1–64, default 4); at most this many
    /// plus one connections to a host
    #[arg(long, env = "SFBULK_CONCURRENCY", global = true)]
    pub concurrency: Option<u32>,
}

/// One command.
#[derive(Subcommand, Debug)]
pub enum Command {
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
    GetBatchResults {
        job_id: String,
        batch_id: String,
        /// Write to this file instead of stdout (it appears only when complete)
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The batch body exactly as Salesforce stored it
    GetBatchRequest {
        job_id: String,
        batch_id: String,
        /// Write to this file instead of stdout (it appears only when complete)
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The batches of a job → array of batchInfo
    ListBatches { job_id: String },
    /// One query result file, byte for byte
    GetBulkQueryResults {
        job_id: String,
        batch_id: String,
        result_id: String,
        /// Write to this file instead of stdout (it appears only when complete)
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
    Load(Load),
    /// Run a query job and write every row of every result file as one CSV
    Query(Query),
    /// Bulk API 2.0, one command per operation
    #[command(subcommand)]
    V2(crate::args_v2::V2),
    /// Serve the mock Salesforce on 127.0.0.1
    MockServer(MockServer),
    /// A short load and query against the embedded mock Salesforce
    Demo,
}

impl Command {
    /// The command's name as typed (`get-job`), the first word of its stderr line.
    pub fn name(&self) -> &'static str {
        match self {
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
            Command::Load(_) => "load",
            Command::Query(_) => "query",
            Command::V2(v2) => v2.name(),
            Command::MockServer(_) => "mock-server",
            Command::Demo => "demo",
        }
    }
}

/// `mock-server`'s options.
#[derive(Args, Debug)]
pub struct MockServer {
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Account rows present at start
    #[arg(long, default_value_t = 1000)]
    pub seed_accounts: usize,
    /// Rows per query result file (more rows make several files)
    #[arg(long)]
    pub result_file_rows: Option<usize>,
    /// Milliseconds a batch or 2.0 job takes to process (default 50)
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<u64>,
    /// Never gzip a reply, even when the request accepts it
    #[arg(long)]
    pub no_gzip: bool,
    /// Simulated WAN: round-trip time of every request (ms); any --wan-* option turns the WAN on
    #[arg(long, value_name = "MS")]
    pub wan_rtt_ms: Option<u64>,
    /// Simulated WAN: bytes per second per connection and per direction (default: no cap)
    #[arg(long, value_name = "BYTES_PER_S")]
    pub wan_bandwidth: Option<u64>,
    /// Simulated WAN: round trips a new connection costs before its first request (TCP + TLS: 2)
    #[arg(long, value_name = "N")]
    pub wan_connect_rtts: Option<u32>,
}

/// `create-job`'s options.
#[derive(Args, Debug)]
pub struct CreateJob {
    /// insert, update, upsert, delete, hardDelete, query, queryAll
    #[arg(long)]
    pub operation: String,
    /// sObject, e.g. Contact
    #[arg(long)]
    pub object: String,
    /// CSV, XML, JSON, ZIP_CSV, ZIP_XML, ZIP_JSON (Salesforce's default: XML)
    #[arg(long)]
    pub content_type: Option<String>,
    #[arg(long)]
    pub external_id_field_name: Option<String>,
    /// Parallel or Serial
    #[arg(long)]
    pub concurrency_mode: Option<String>,
    #[arg(long)]
    pub assignment_rule_id: Option<String>,
    /// PK chunking; optionally `chunkSize=N; startRow=ID; parent=OBJ`
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub pk_chunking: Option<String>,
    /// Sforce-Disable-Batch-Retry: TRUE
    #[arg(long)]
    pub disable_batch_retry: bool,
    /// LF or CRLF (Sforce-Line-Ending)
    #[arg(long)]
    pub line_ending: Option<String>,
}

/// `load`'s options.
#[derive(Args, Debug)]
pub struct Load {
    /// insert, update, upsert, delete, hardDelete (not with --job-id)
    #[arg(long, required_unless_present = "job_id")]
    pub operation: Option<String>,
    /// sObject, e.g. Contact (not with --job-id)
    #[arg(long, required_unless_present = "job_id")]
    pub object: Option<String>,
    /// The CSV input (with --job-id: the file those jobs were loaded from)
    #[arg(long)]
    pub file: PathBuf,
    #[arg(long)]
    pub external_id_field_name: Option<String>,
    /// Bulk API 1 (batches in one job) or 2 (ingest jobs)
    #[arg(long, default_value = "1", value_parser = ["1", "2"])]
    pub bulk_api: String,
    /// 1.0: records per batch (at most 10,000, the default)
    #[arg(long)]
    pub batch_size: Option<u32>,
    /// 2.0: bytes per job's upload (default and most 100,000,000)
    #[arg(long)]
    pub max_job_bytes: Option<u64>,
    /// Results file (default <file>.results.csv)
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// 1.0: Parallel or Serial
    #[arg(long)]
    pub concurrency_mode: Option<String>,
    /// Case or Lead assignment rule
    #[arg(long)]
    pub assignment_rule_id: Option<String>,
    /// Give up waiting after this many seconds: exit 4, the jobs go on
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Send nothing: wait for these jobs (loaded from --file) and join their results
    #[arg(long, conflicts_with_all = ["operation", "object", "external_id_field_name", "concurrency_mode", "assignment_rule_id"])]
    pub job_id: Vec<String>,
}

/// `query`'s options.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["soql", "job_id"]))]
pub struct Query {
    /// The SOQL statement of a new query job
    #[arg(long)]
    pub soql: Option<String>,
    /// Continue an existing query job instead (wait, then download)
    #[arg(long, conflicts_with_all = ["soql", "query_all", "object", "pk_chunking"])]
    pub job_id: Option<String>,
    /// Bulk API 1 or 2
    #[arg(long, default_value = "1", value_parser = ["1", "2"])]
    pub bulk_api: String,
    /// 1.0: the job's object (default: the object after FROM)
    #[arg(long)]
    pub object: Option<String>,
    /// Include deleted and archived records
    #[arg(long)]
    pub query_all: bool,
    /// 1.0: PK chunking; optionally `chunkSize=N; startRow=ID; parent=OBJ`
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub pk_chunking: Option<String>,
    /// 2.0: rows per results page (default 100,000)
    #[arg(long)]
    pub max_records: Option<u32>,
    #[arg(long)]
    pub output: PathBuf,
    /// Give up waiting after this many seconds: exit 4, the job goes on
    #[arg(long)]
    pub timeout: Option<u64>,
}

/// An option that an environment variable can give.
struct EnvOption {
    id: String,
    long: String,
    var: String,
}

/// The options declared with an environment variable, and their variables.
fn env_options() -> Vec<EnvOption> {
    Cli::command()
        .get_arguments()
        .filter_map(|a| {
            Some(EnvOption {
                id: a.get_id().to_string(),
                long: a.get_long()?.to_string(),
                var: a.get_env()?.to_str()?.to_string(),
            })
        })
        .collect()
}

/// The command as clap parses it: every option's environment variable is named in its help
/// (`[env: SF_API_URL]`, never with its value) instead of being read by clap.
pub fn command() -> clap::Command {
    Cli::command().mut_args(|arg| {
        let Some(var) = arg.get_env().map(|v| v.to_string_lossy().into_owned()) else {
            return arg;
        };
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        arg.env(None::<&'static str>)
            .help(format!("{help} [env: {var}]"))
    })
}

/// Parses a command line (`argv[0]` first) with the variables of `env` standing in for
/// options the command line does not give. A help or version request, and every usage
/// error, comes back as clap's error (render it; `use_stderr` says where it goes).
pub fn parse(argv: Vec<OsString>, env: &Env) -> Result<Cli, clap::Error> {
    // Which options the command line gives: a lenient parse (usage errors are reported by
    // the full parse below, with the variables' options present as clap's own `env` would
    // have them); a help or version request ends here.
    let given = command().ignore_errors(true).try_get_matches_from(&argv)?;
    let mut from_env: Vec<OsString> = Vec::new();
    for option in env_options() {
        if given.value_source(&option.id) == Some(ValueSource::CommandLine) {
            continue;
        }
        if let Some(value) = env.get(&option.var) {
            let mut arg = OsString::from(format!("--{}=", option.long));
            arg.push(value);
            from_env.push(arg);
        }
    }
    // After the user's arguments (as clap adds its `env` values after parsing them), but
    // before a `--`, after which everything reads as positional.
    let at = argv
        .iter()
        .skip(1)
        .position(|a| a == "--")
        .map_or(argv.len(), |i| i + 1);
    let mut full = argv;
    let rest = full.split_off(at);
    full.extend(from_env);
    full.extend(rest);
    let matches = command().try_get_matches_from(full)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()))
}
