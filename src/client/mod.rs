//! The client core: sessions, renewal, retries, outcome-unknown reconciliation and whole
//! jobs, over a small [`Transport`] trait. Native code with no wasi dependency: the
//! component plugs in wasi:http (`crate::wasi_http`), the tests a scripted transport.
//!
//! - [`transport`]: the seam (send, open a body, sleep, clocks) and the body reader.
//! - [`settings`]: a config resolved once.
//! - [`state`]: what an instance remembers (sessions, job kinds).
//! - [`call`]: the [`Client`] and its one retry/renewal loop.
//! - `ops`: the Bulk API 1.0 operations on [`Client`].
//! - `ops_v2`: the Bulk API 2.0 operations on [`Client`].
//! - [`resume`]: a body read through breaks (opened again, what was read skipped), for
//!   every result GET.
//! - [`load`], [`result_join`], [`query_stream`]: whole 1.0 jobs; [`ingest_v2`],
//!   [`query_v2`]: whole 2.0 jobs.

pub mod call;
pub mod ingest_v2;
pub mod load;
mod ops;
mod ops_v2;
pub mod query_stream;
pub mod query_v2;
pub mod result_join;
pub mod resume;
pub mod settings;
pub mod state;
pub mod transport;

#[cfg(test)]
pub(crate) mod scripted;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_login;
#[cfg(test)]
mod tests_v2;

pub use call::{Client, Replay};
pub use ingest_v2::{IngestJobRef, IngestJoin, IngestLoad};
pub use load::{BatchRef, CsvLoad, SplitOptions};
pub use query_stream::{QueryPosition, QueryStream};
pub use query_v2::{QueryPositionV2, QueryStreamV2};
pub use result_join::{JoinCounts, ResultJoin};
pub use resume::ResumingBody;
pub use settings::{Config, Settings, WaitOptions};
pub use state::State;
pub use transport::{
    Body, BodyReader, Opened, RawBody, SendFailure, Started, Timeouts, Transport, body,
};
