//! sfbulk: the Salesforce Bulk API 1.0 as a WebAssembly component.
//!
//! Module map:
//! - [`model`]: domain types (jobs, batches, results) with `Unknown` fallbacks.
//! - [`error`]: errors by stage.
//! - [`wire`]: the XML, JSON and CSV wire formats (parsers and writers).
//! - [`protocol`]: sans-IO request builders and response parsers over `http` types.
//! - `component` and `transport` (wasm32 only): the WIT exports and the wasi:http glue.

pub mod backoff;
pub mod error;
pub mod gzip;
pub mod join;
pub mod model;
pub mod protocol;
pub mod split;
pub mod wire;

pub use error::Error;

#[cfg(target_arch = "wasm32")]
mod bindings {
    wit_bindgen::generate!({ world: "connector", path: "wit" });
}
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod transport;

// The export symbols only link on wasm32 (docs/toolchain.md, G1).
#[cfg(target_arch = "wasm32")]
use component::Component;
#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);
