//! Domain types of the Bulk API 1.0, independent of any binding or wire format.
//!
//! Every closed vocabulary is an enum with an `Unknown` fallback that keeps the value
//! Salesforce sent, so a new server value never breaks parsing.

use sfbulk_hot::out::put;
use std::fmt;

/// `[A-Za-z][A-Za-z0-9_]*`: an sObject or field API name (the one owner of the rule).
pub fn is_api_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Declares a wire-string enum with an `Unknown(String)` fallback.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this crate does not know, as Salesforce sent it.
            Unknown(String),
        }

        impl $name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(s) => s,
                }
            }

            /// Reads a wire value; unknown values are kept in `Unknown`.
            pub fn from_wire(s: &str) -> Self {
                match s.trim() {
                    $($wire $(| $alias)* => Self::$variant,)+
                    other => Self::Unknown(other.to_string()),
                }
            }

            /// Whether this is a value the crate knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// A Bulk API operation (case-sensitive on the wire).
    Operation {
        Insert = "insert",
        Update = "update",
        Upsert = "upsert",
        Delete = "delete",
        HardDelete = "hardDelete",
        Query = "query",
        QueryAll = "queryAll",
    }
}

impl Operation {
    /// Whether the operation reads records (query, queryAll).
    pub fn is_query(&self) -> bool {
        matches!(self, Self::Query | Self::QueryAll)
    }
}

wire_enum! {
    /// The data format of a job.
    ContentType {
        Xml = "XML",
        Csv = "CSV",
        Json = "JSON",
        ZipXml = "ZIP_XML",
        ZipCsv = "ZIP_CSV",
        ZipJson = "ZIP_JSON",
    }
}

impl ContentType {
    /// The media type of batch bodies for this job format (`text/csv`, `zip/json`, …).
    pub fn batch_media_type(&self) -> Option<&'static str> {
        Some(match self {
            Self::Xml => "application/xml",
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::ZipXml => "zip/xml",
            Self::ZipCsv => "zip/csv",
            Self::ZipJson => "zip/json",
            Self::Unknown(_) => return None,
        })
    }

    /// Whether batches of this job are zip files with binary attachments.
    pub fn is_zip(&self) -> bool {
        matches!(self, Self::ZipXml | Self::ZipCsv | Self::ZipJson)
    }

    /// Whether the job's control documents (job, batch, errors) are JSON.
    pub fn is_json(&self) -> bool {
        matches!(self, Self::Json | Self::ZipJson)
    }

    /// The format of the records inside a batch (the manifest's format for zip jobs).
    pub fn record_format(&self) -> Option<RecordFormat> {
        Some(match self {
            Self::Xml | Self::ZipXml => RecordFormat::Xml,
            Self::Csv | Self::ZipCsv => RecordFormat::Csv,
            Self::Json | Self::ZipJson => RecordFormat::Json,
            Self::Unknown(_) => return None,
        })
    }
}

/// The format records are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// `<sObjects>` XML.
    Xml,
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl RecordFormat {
    /// The media type of a batch in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Xml => "application/xml",
            Self::Csv => "text/csv",
            Self::Json => "application/json",
        }
    }
}

wire_enum! {
    /// How the batches of a job are processed.
    ConcurrencyMode {
        Parallel = "Parallel" | "0",
        Serial = "Serial" | "1",
    }
}

wire_enum! {
    /// State of a job.
    JobState {
        Open = "Open",
        Closed = "Closed",
        Aborted = "Aborted",
        Failed = "Failed",
    }
}

wire_enum! {
    /// State of a batch. `Not Processed` (old docs) reads as `NotProcessed`.
    BatchState {
        Queued = "Queued",
        InProgress = "InProgress",
        Completed = "Completed",
        Failed = "Failed",
        NotProcessed = "NotProcessed" | "Not Processed",
    }
}

impl BatchState {
    /// Whether the batch will not change state any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::NotProcessed)
    }
}

/// The state a client may move a job to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStateChange {
    /// No more batches; submitted ones keep processing.
    Closed,
    /// Queued batches are not processed.
    Aborted,
}

impl JobStateChange {
    /// The value as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "Closed",
            Self::Aborted => "Aborted",
        }
    }
}

/// `Sforce-Line-Ending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnding {
    /// `LF`
    Lf,
    /// `CRLF`
    Crlf,
}

impl LineEnding {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lf => "LF",
            Self::Crlf => "CRLF",
        }
    }
}

/// PK-chunking options; present means enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkChunking {
    /// Rows per chunk.
    pub chunk_size: Option<u32>,
    /// Id of the first record of the first chunk.
    pub start_row: Option<String>,
    /// Parent object for Share and History tables.
    pub parent: Option<String>,
}

/// What create-job sends.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRequest {
    /// The operation.
    pub operation: Operation,
    /// The sObject name.
    pub object: String,
    /// The job's format; absent = Salesforce's default (XML).
    pub content_type: Option<ContentType>,
    /// Upsert key field.
    pub external_id_field_name: Option<String>,
    /// Parallel or Serial.
    pub concurrency_mode: Option<ConcurrencyMode>,
    /// Case/Lead assignment rule.
    pub assignment_rule_id: Option<String>,
    /// `Sforce-Enable-PKChunking`.
    pub pk_chunking: Option<PkChunking>,
    /// `Sforce-Disable-Batch-Retry: TRUE`.
    pub disable_batch_retry: bool,
    /// `Sforce-Line-Ending`.
    pub line_ending: Option<LineEnding>,
}

impl JobRequest {
    /// A request with only the required fields.
    pub fn new(operation: Operation, object: impl Into<String>) -> Self {
        JobRequest {
            operation,
            object: object.into(),
            content_type: None,
            external_id_field_name: None,
            concurrency_mode: None,
            assignment_rule_id: None,
            pk_chunking: None,
            disable_batch_retry: false,
            line_ending: None,
        }
    }
}

/// A job as Salesforce reports it (schema order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobInfo {
    /// `750…`
    pub id: String,
    /// The operation.
    pub operation: Option<Operation>,
    /// The sObject.
    pub object: String,
    /// `005…`
    pub created_by_id: Option<String>,
    /// UTC timestamp.
    pub created_date: Option<String>,
    /// UTC timestamp.
    pub system_modstamp: Option<String>,
    /// The state.
    pub state: Option<JobState>,
    /// Upsert key field.
    pub external_id_field_name: Option<String>,
    /// Parallel or Serial.
    pub concurrency_mode: Option<ConcurrencyMode>,
    /// The job's format.
    pub content_type: Option<ContentType>,
    /// Counter.
    pub number_batches_queued: u32,
    /// Counter.
    pub number_batches_in_progress: u32,
    /// Counter.
    pub number_batches_completed: u32,
    /// Counter.
    pub number_batches_failed: u32,
    /// Counter (a PK-chunking parent is not counted).
    pub number_batches_total: u32,
    /// Counter.
    pub number_records_processed: u64,
    /// Save retries.
    pub number_retries: u32,
    /// e.g. `59.0` (JSON sends a number; it is kept as text).
    pub api_version: Option<String>,
    /// Case/Lead assignment rule.
    pub assignment_rule_id: Option<String>,
    /// Counter.
    pub number_records_failed: u64,
    /// Milliseconds.
    pub total_processing_time: u64,
    /// Milliseconds.
    pub api_active_processing_time: u64,
    /// Milliseconds.
    pub apex_processing_time: u64,
}

/// A batch as Salesforce reports it (schema order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchInfo {
    /// `751…`
    pub id: String,
    /// `750…`
    pub job_id: String,
    /// The state.
    pub state: Option<BatchState>,
    /// Why it failed.
    pub state_message: Option<String>,
    /// UTC timestamp.
    pub created_date: Option<String>,
    /// UTC timestamp.
    pub system_modstamp: Option<String>,
    /// Counter.
    pub number_records_processed: u64,
    /// Counter.
    pub number_records_failed: u64,
    /// Milliseconds.
    pub total_processing_time: u64,
    /// Milliseconds.
    pub api_active_processing_time: u64,
    /// Milliseconds.
    pub apex_processing_time: u64,
}

/// One field value of a typed record.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// Sets the field to null.
    Null,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Boolean(bool),
}

/// Typed records: field names, then rows of values in the same order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordSet {
    /// Field names; dotted names address a parent by an indexed field.
    pub fields: Vec<String>,
    /// One row per record.
    pub rows: Vec<Vec<FieldValue>>,
}

/// One error of a record result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordError {
    /// e.g. `REQUIRED_FIELD_MISSING`.
    pub status_code: String,
    /// Human-readable text.
    pub message: String,
    /// Fields involved.
    pub fields: Vec<String>,
}

/// The result of one input record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordResult {
    /// The record id; `None` when it failed.
    pub id: Option<String>,
    /// Whether it was saved.
    pub success: bool,
    /// Whether it was created (false for updates).
    pub created: bool,
    /// Why it failed.
    pub errors: Vec<RecordError>,
}

/// A record result's errors as one text: `STATUS_CODE:message` per error, joined with
/// `; ` (the message alone without a code). The joined output's `sf__Error`.
pub fn error_text(errors: &[RecordError]) -> String {
    let mut text = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        if !e.status_code.is_empty() {
            text.push_str(&e.status_code);
            text.push(':');
        }
        text.push_str(&e.message);
    }
    text
}

/// A batch's ingest results as a join reads them, in input order: each record's id, whether
/// it was saved and created, and its [`error_text`], every text in one buffer (no
/// allocation per record: a 100,000-row load made and freed one per record's id). The texts
/// are UTF-8 (pieces of a checked body, or strings), kept as the bytes the join writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestOutcomes {
    text: Vec<u8>,
    rows: Vec<OutcomeRow>,
}

/// Where a record's texts end in [`IngestOutcomes::text`] (its id starts where the record
/// before ends), and its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OutcomeRow {
    id_end: usize,
    error_end: usize,
    success: bool,
    created: bool,
}

impl IngestOutcomes {
    /// Empty, with room for `rows` records and `text` bytes of ids and errors.
    pub fn with_capacity(rows: usize, text: usize) -> Self {
        IngestOutcomes {
            text: Vec::with_capacity(text),
            rows: Vec::with_capacity(rows),
        }
    }

    /// Adds the next record's outcome.
    pub fn push(&mut self, id: &[u8], success: bool, created: bool, error: &[u8]) {
        put(&mut self.text, id);
        let id_end = self.text.len();
        if !error.is_empty() {
            put(&mut self.text, error);
        }
        self.rows.push(OutcomeRow {
            id_end,
            error_end: self.text.len(),
            success,
            created,
        });
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Record `i`'s id (empty: none), success, created and error text.
    pub fn get(&self, i: usize) -> Option<(&[u8], bool, bool, &[u8])> {
        let row = self.rows.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.rows[i - 1].error_end,
        };
        let id = self.text.get(start..row.id_end)?;
        let error = self.text.get(row.id_end..row.error_end)?;
        Some((id, row.success, row.created, error))
    }
}

impl From<Vec<RecordResult>> for IngestOutcomes {
    fn from(results: Vec<RecordResult>) -> Self {
        let mut outcomes = IngestOutcomes::with_capacity(results.len(), 0);
        for r in &results {
            let id = r.id.as_deref().unwrap_or_default().as_bytes();
            outcomes.push(id, r.success, r.created, error_text(&r.errors).as_bytes());
        }
        outcomes
    }
}

/// What get-batch-results returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchResults {
    /// One result per input record, in input order.
    Ingest(Vec<RecordResult>),
    /// The result file ids of a query batch.
    Query(Vec<String>),
}

pub mod v2;
