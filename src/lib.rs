//! sfbulk: the Salesforce Bulk API 1.0 as a WebAssembly component.
//!
//! Module map, from the bottom up (no module imports one above it):
//! - [`model`], [`error`]: domain types (enums keep unknown values) and errors by stage;
//!   `substr`: substring search and replacement.
//! - [`wire`]: the XML, JSON and CSV wire formats (readers and writers only).
//! - [`gzip`]: a streaming gzip decoder.
//! - [`protocol`]: sans-IO request builders and reply parsers over `http` types; it owns
//!   every validation rule and limit.
//! - `csv_input`, [`split`], [`join`], [`stitch`], [`backoff`]: pure CSV input reading,
//!   batch splitting, result joining, query-file stitching, retry and poll policies.
//! - [`client`]: sessions, renewal, retries, reconciliation and whole jobs over a
//!   [`client::Transport`] — native code, tested with scripted exchanges.
//! - `component` and `wasi_http` (wasm32 only): the WIT exports and the wasi:http
//!   transport, thin glue over the above.

pub mod backoff;
pub mod client;
pub(crate) mod csv_input;
pub mod error;
pub mod gzip;
pub mod join;
pub mod join_v2;
pub mod model;
pub mod protocol;
pub mod split;
pub mod stitch;
pub(crate) mod substr;
pub mod wire;

pub use error::Error;

#[cfg(target_arch = "wasm32")]
mod bindings {
    wit_bindgen::generate!({ world: "connector", path: "wit" });
}
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod wasi_http;
#[cfg(target_arch = "wasm32")]
mod wasi_pump;

// The export symbols only link on wasm32 (docs/toolchain.md, G1).
#[cfg(target_arch = "wasm32")]
use component::Component;
#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);
