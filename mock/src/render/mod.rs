//! Writing answers: control documents, ingest results and query result files (XML, JSON,
//! CSV), the error documents and the REST-style JSON answers.

pub(crate) mod csv_out;
pub(crate) mod info_docs;
pub(crate) mod ingest_results;
pub(crate) mod query_results;
pub(crate) mod reply;
pub(crate) mod rest;
pub(crate) mod v2_docs;
pub(crate) mod v2_results;
