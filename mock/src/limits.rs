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
