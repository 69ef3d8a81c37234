//! Reading requests: paths, headers, control documents, batch bodies and SOQL. Nothing here
//! touches the state.

pub(crate) mod job_info;
pub(crate) mod path;
pub(crate) mod records;
pub(crate) mod request;
pub(crate) mod soql;
pub(crate) mod token_params;
pub(crate) mod v2_job_spec;
pub(crate) mod v2_path;
pub(crate) mod v2_upload;
pub(crate) mod xml_tree;
pub(crate) mod zip_batch;
