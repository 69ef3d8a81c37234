//! Salesforce's Bulk API 1.0 limits and the client's own caps: the one place each number
//! is spelled.

/// Most records Salesforce accepts in one batch.
pub const MAX_BATCH_RECORDS: usize = 10_000;
/// Most bytes Salesforce accepts in one batch (10 MB).
pub const MAX_BATCH_BYTES: usize = 10_000_000;
/// Most characters Salesforce accepts in one batch.
pub const MAX_BATCH_CHARS: usize = 10_000_000;
/// Largest PK chunk size Salesforce accepts.
pub const MAX_PK_CHUNK_SIZE: u32 = 250_000;
/// Largest reply body read for control documents and error bodies (8 MiB).
pub const MAX_CONTROL_BYTES: usize = 8 << 20;
/// Largest body read whole: a result file or a batch request (1 GiB, Salesforce's per-file
/// maximum); use a reader for files that do not fit in memory.
pub const MAX_FILE_BYTES: usize = 1 << 30;
/// Most bytes one Bulk API 2.0 job's upload may have (Salesforce takes 150 MB after base64,
/// about 100 MB of raw CSV).
pub const MAX_UPLOAD_BYTES: usize = 100_000_000;
/// Most rows a query results page may be asked for (`maxRecords`).
pub const MAX_QUERY_PAGE_RECORDS: u32 = 1_000_000;
/// The page size whole queries ask for by default.
pub const DEFAULT_QUERY_PAGE_RECORDS: u32 = 100_000;
