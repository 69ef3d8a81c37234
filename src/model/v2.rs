//! Bulk API 2.0 domain types: ingest and query jobs, their states and result files.

use super::{LineEnding, Operation};

/// A 2.0 job's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Created, waiting for its one upload (ingest only).
    Open,
    /// Closed by the client (ingest) or just created (query): queued for processing.
    UploadComplete,
    /// Being processed.
    InProgress,
    /// Done.
    JobComplete,
    /// Could not be processed completely (rows already processed stay).
    Failed,
    /// Aborted by a client.
    Aborted,
    /// A state this client does not know.
    Unknown(String),
}

impl JobState {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Open => "Open",
            Self::UploadComplete => "UploadComplete",
            Self::InProgress => "InProgress",
            Self::JobComplete => "JobComplete",
            Self::Failed => "Failed",
            Self::Aborted => "Aborted",
            Self::Unknown(s) => s,
        }
    }

    /// From the wire name.
    pub fn parse(s: &str) -> Self {
        match s {
            "Open" => Self::Open,
            "UploadComplete" => Self::UploadComplete,
            "InProgress" => Self::InProgress,
            "JobComplete" => Self::JobComplete,
            "Failed" => Self::Failed,
            "Aborted" => Self::Aborted,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// Whether processing has ended (complete, failed or aborted).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::JobComplete | Self::Failed | Self::Aborted)
    }
}

/// The column delimiter of a job's CSV (upload and query results).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColumnDelimiter {
    /// `` ` ``
    Backquote,
    /// `^`
    Caret,
    /// `,` (the default)
    #[default]
    Comma,
    /// `|`
    Pipe,
    /// `;`
    Semicolon,
    /// a tab
    Tab,
}

impl ColumnDelimiter {
    /// Every delimiter.
    pub const ALL: [ColumnDelimiter; 6] = [
        Self::Backquote,
        Self::Caret,
        Self::Comma,
        Self::Pipe,
        Self::Semicolon,
        Self::Tab,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backquote => "BACKQUOTE",
            Self::Caret => "CARET",
            Self::Comma => "COMMA",
            Self::Pipe => "PIPE",
            Self::Semicolon => "SEMICOLON",
            Self::Tab => "TAB",
        }
    }

    /// The byte it stands for.
    pub fn byte(self) -> u8 {
        match self {
            Self::Backquote => b'`',
            Self::Caret => b'^',
            Self::Comma => b',',
            Self::Pipe => b'|',
            Self::Semicolon => b';',
            Self::Tab => b'\t',
        }
    }

    /// From the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What `POST /jobs/ingest` creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestRequest {
    /// The sObject.
    pub object: String,
    /// insert, update, upsert, delete or hardDelete.
    pub operation: Operation,
    /// The external id field of an upsert.
    pub external_id_field_name: Option<String>,
    /// The upload's delimiter (default comma).
    pub column_delimiter: Option<ColumnDelimiter>,
    /// The upload's line ending (default LF).
    pub line_ending: Option<LineEnding>,
    /// A Case or Lead assignment rule.
    pub assignment_rule_id: Option<String>,
}

impl IngestRequest {
    /// A request with only the operation and object.
    pub fn new(operation: Operation, object: impl Into<String>) -> Self {
        IngestRequest {
            object: object.into(),
            operation,
            external_id_field_name: None,
            column_delimiter: None,
            line_ending: None,
            assignment_rule_id: None,
        }
    }
}

/// What `POST /jobs/query` creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRequest {
    /// The SOQL statement.
    pub query: String,
    /// query or queryAll.
    pub operation: Operation,
    /// The result files' delimiter (default comma).
    pub column_delimiter: Option<ColumnDelimiter>,
    /// The result files' line ending (default LF).
    pub line_ending: Option<LineEnding>,
}

/// A 2.0 job as Salesforce describes it (ingest or query). Counters absent on the wire are 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobInfo {
    /// `750…`.
    pub id: String,
    /// The operation as sent.
    pub operation: String,
    /// The sObject.
    pub object: String,
    /// The state; `None` when absent.
    pub state: Option<JobState>,
    /// The API version the job was made with (`59.0`): results must be read with it.
    pub api_version: Option<String>,
    /// Where the one upload goes, relative to the instance (ingest, while `Open`).
    pub content_url: Option<String>,
    /// `COMMA`, `PIPE`, …
    pub column_delimiter: Option<String>,
    /// `LF` or `CRLF`.
    pub line_ending: Option<String>,
    /// The external id field of an upsert.
    pub external_id_field_name: Option<String>,
    /// `V2Ingest`, `V2Query`, `Classic`, …
    pub job_type: Option<String>,
    /// Rows processed, failed ones included (ingest), or rows in the result (query).
    pub number_records_processed: u64,
    /// Rows that failed (ingest).
    pub number_records_failed: u64,
    /// Why the job failed: `ClientInputError : LineEnding is invalid on user data. …`.
    pub error_message: Option<String>,
    /// When it was made.
    pub created_date: Option<String>,
    /// When it last changed.
    pub system_modstamp: Option<String>,
}

impl JobInfo {
    /// The exception name a failed job's message starts with (`ClientInputError`), if any.
    pub fn error_kind(&self) -> Option<&str> {
        let (kind, _) = crate::substr::split_once(self.error_message.as_deref()?, " : ")?;
        let kind = kind.trim();
        (!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some(kind)
    }
}

/// One page of a job listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobList {
    /// The jobs of this page.
    pub jobs: Vec<JobInfo>,
    /// Where the next page is (server-absolute path), when there is one.
    pub next_records_url: Option<String>,
}

/// The three result files of an ingest job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// `successfulResults`: `sf__Id`, `sf__Created`, the input's columns.
    Successful,
    /// `failedResults`: `sf__Id`, `sf__Error`, the input's columns.
    Failed,
    /// `unprocessedrecords`: the input's columns of rows never attempted.
    Unprocessed,
}

impl ResultKind {
    /// The path segment.
    pub fn path(self) -> &'static str {
        match self {
            Self::Successful => "successfulResults",
            Self::Failed => "failedResults",
            Self::Unprocessed => "unprocessedrecords",
        }
    }
}

/// One page of query results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryPage {
    /// The page: a CSV with its own header line.
    pub data: Vec<u8>,
    /// The locator of the next page; `None` on the last one (`Sforce-Locator: null`).
    pub next_locator: Option<String>,
    /// Rows in this page (`Sforce-NumberOfRecords`), when sent.
    pub number_of_records: Option<u64>,
}

/// A query's parallel result pages (`resultPages`, v58+): locators of pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultPages {
    /// The locators of these pages (`None` for the first page).
    pub locators: Vec<Option<String>>,
    /// Where the next set of pages is, when there is one.
    pub next_records_url: Option<String>,
}
