//! The hot loops of sfbulk's CSV ingest, in a crate of their own so that the component's
//! profile can compile them for speed (`[profile.component.package.sfbulk-hot]` in the
//! workspace's `Cargo.toml`) while the rest of the component is built for size: the CSV
//! fast path ([`scan`]), the 2.0 join's fingerprint ([`fingerprint`]), its result index's
//! sort and search ([`index`]), the joined output ([`out`]) and the common row of a 1.0
//! results file ([`result_row`]). Pure functions on bytes;
//! the root crate re-exports them and tests them against csv-core and the reference
//! fingerprints.

pub mod fingerprint;
pub mod index;
pub mod out;
pub mod result_row;
pub mod scan;
