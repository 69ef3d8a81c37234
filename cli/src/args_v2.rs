//! The grammar of the Bulk API 2.0 low-level commands: `sfbulk v2 ingest …` and
//! `sfbulk v2 query …`.

use std::path::PathBuf;

use clap::Subcommand;

/// `v2`: one command per Bulk API 2.0 operation.
#[derive(Subcommand, Debug)]
pub enum V2 {
    /// Ingest jobs (/jobs/ingest)
    #[command(subcommand)]
    Ingest(Ingest),
    /// Query jobs (/jobs/query)
    #[command(subcommand)]
    Query(QueryJob),
}

/// `v2 ingest …`.
#[derive(Subcommand, Debug)]
pub enum Ingest {
    /// Create an ingest job → jobInfo
    Create {
        /// insert, update, upsert, delete, hardDelete
        #[arg(long)]
        operation: String,
        /// sObject, e.g. Contact
        #[arg(long)]
        object: String,
        #[arg(long)]
        external_id_field_name: Option<String>,
        /// COMMA, TAB, PIPE, SEMICOLON, CARET or BACKQUOTE
        #[arg(long)]
        column_delimiter: Option<String>,
        /// LF or CRLF
        #[arg(long)]
        line_ending: Option<String>,
        #[arg(long)]
        assignment_rule_id: Option<String>,
    },
    /// Upload the job's CSV, bytes unchanged (once per job) → {"jobId","bytes"}
    Upload {
        job_id: String,
        /// The CSV, `-` for stdin
        #[arg(long)]
        file: String,
    },
    /// Mark the upload complete (UploadComplete) → jobInfo
    Close { job_id: String },
    /// Abort the job → jobInfo
    Abort { job_id: String },
    /// Read the job → jobInfo
    Get { job_id: String },
    /// Delete a finished job → nothing
    Delete { job_id: String },
    /// Every ingest job (all pages) → array of jobInfo
    List,
    /// One results file, byte for byte
    Results {
        job_id: String,
        /// successful, failed or unprocessed
        #[arg(long)]
        kind: String,
        /// Write to this file instead of stdout (it appears only when complete)
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// `v2 query …`.
#[derive(Subcommand, Debug)]
pub enum QueryJob {
    /// Create a query job → jobInfo
    Create {
        #[arg(long)]
        soql: String,
        /// Include deleted and archived records (queryAll)
        #[arg(long)]
        query_all: bool,
        /// COMMA, TAB, PIPE, SEMICOLON, CARET or BACKQUOTE
        #[arg(long)]
        column_delimiter: Option<String>,
        /// LF or CRLF
        #[arg(long)]
        line_ending: Option<String>,
    },
    /// Read the job → jobInfo
    Get { job_id: String },
    /// Abort the job → jobInfo
    Abort { job_id: String },
    /// Delete a finished job → nothing
    Delete { job_id: String },
    /// Every query job (all pages) → array of jobInfo
    List,
    /// One page of results, byte for byte, to --output → {"locator","numberOfRecords"}
    Results {
        job_id: String,
        /// The page's locator (default: the first page)
        #[arg(long)]
        locator: Option<String>,
        /// Rows in the page
        #[arg(long)]
        max_records: Option<u32>,
        /// The page's CSV (it appears only when complete)
        #[arg(long)]
        output: PathBuf,
    },
}

impl V2 {
    /// The command's name as typed (`v2 ingest get`), the first words of its stderr line.
    pub fn name(&self) -> &'static str {
        match self {
            V2::Ingest(i) => match i {
                Ingest::Create { .. } => "v2 ingest create",
                Ingest::Upload { .. } => "v2 ingest upload",
                Ingest::Close { .. } => "v2 ingest close",
                Ingest::Abort { .. } => "v2 ingest abort",
                Ingest::Get { .. } => "v2 ingest get",
                Ingest::Delete { .. } => "v2 ingest delete",
                Ingest::List => "v2 ingest list",
                Ingest::Results { .. } => "v2 ingest results",
            },
            V2::Query(q) => match q {
                QueryJob::Create { .. } => "v2 query create",
                QueryJob::Get { .. } => "v2 query get",
                QueryJob::Abort { .. } => "v2 query abort",
                QueryJob::Delete { .. } => "v2 query delete",
                QueryJob::List => "v2 query list",
                QueryJob::Results { .. } => "v2 query results",
            },
        }
    }
}
