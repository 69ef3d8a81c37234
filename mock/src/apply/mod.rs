//! Changing the state: job and batch lifecycle, batch processing over time, ingest and query
//! against the store, token grants.

pub(crate) mod ingest;
pub(crate) mod lifecycle;
pub(crate) mod oauth;
pub(crate) mod processing;
pub(crate) mod query;
pub(crate) mod v2_lifecycle;
pub(crate) mod v2_processing;
