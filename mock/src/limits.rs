//! The service limits the mock enforces and reports, each spelled once.

/// Largest batch body (after `Content-Encoding` decoding), in bytes.
pub(crate) const MAX_BATCH_BYTES: usize = 10_000_000;

/// Most records one batch may hold.
pub(crate) const MAX_RECORDS_PER_BATCH: usize = 10_000;

/// Largest PK chunk size (`Sforce-Enable-PKChunking: chunkSize=…`).
pub(crate) const MAX_CHUNK_SIZE: usize = 250_000;

/// Most files in a ZIP batch.
pub(crate) const MAX_ZIP_FILES: usize = 1_000;

/// Largest total size of the files of a ZIP batch, unzipped.
pub(crate) const MAX_UNZIPPED_BYTES: u64 = 20 * 1024 * 1024;

/// Daily API request allocation (`/limits`, `Sforce-Limit-Info`).
pub(crate) const DAILY_API_REQUESTS: u64 = 15_000;

/// Daily Bulk API batch allocation (`/limits`).
pub(crate) const DAILY_BULK_BATCHES: u64 = 15_000;

/// Largest Bulk 2.0 upload, raw: 150 MB after the service's base64 encoding.
pub(crate) const V2_MAX_UPLOAD_BYTES: usize = 150_000_000 / 4 * 3;

/// Records per internal batch of a Bulk 2.0 ingest job (each counts against the daily batch
/// allocation).
pub(crate) const V2_BATCH_RECORDS: usize = 10_000;

/// Records per chunk (one transaction) of an internal batch.
pub(crate) const V2_CHUNK_RECORDS: usize = 200;

/// Jobs per page of a Bulk 2.0 job listing.
pub(crate) const V2_LIST_PAGE: usize = 1_000;

/// Result page links per `resultPages` answer.
pub(crate) const V2_RESULT_PAGES_PER_ANSWER: usize = 5;

/// First API version with Bulk 2.0 ingest, query, and `resultPages`.
pub(crate) const V2_INGEST_SINCE: f64 = 41.0;
pub(crate) const V2_QUERY_SINCE: f64 = 47.0;
pub(crate) const V2_RESULT_PAGES_SINCE: f64 = 58.0;

/// First API version whose failed results carry `sf__Id`.
pub(crate) const V2_FAILED_ID_SINCE: f64 = 53.0;
