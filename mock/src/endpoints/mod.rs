//! One module per resource: each reads the request (`decode`), changes the state (`apply`)
//! and answers (`render`).

pub(crate) mod batch_resource;
pub(crate) mod job_resource;
pub(crate) mod limits;
pub(crate) mod token;
pub(crate) mod v2_data;
pub(crate) mod v2_jobs;
