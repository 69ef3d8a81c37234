//! Bulk API 2.0 (`/services/data/vNN.N/jobs/ingest|query`): request builders and reply
//! parsers. Jobs are JSON, data and results CSV, errors REST's JSON arrays, sessions
//! `Authorization: Bearer` (renewed on 401 `INVALID_SESSION_ID`).

pub mod requests;
pub mod response;

pub use requests::*;
pub use response::*;
