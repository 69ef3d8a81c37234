//! The hot loops of sfbulk's CSV ingest, in a crate of their own so that the component's
//! profile can compile them for speed (`[profile.component.package.sfbulk-hot]` in the
//! workspace's `Cargo.toml`) while the rest of the component is built for size: the CSV
//! fast path ([`scan`]), the 2.0 join's fingerprint ([`fingerprint`]), its result index's
//! sort and search ([`index`]) and the joined output ([`out`]). Pure functions on bytes; their tests against csv-core and the
//! reference fingerprints are in the root crate, which re-exports them.

pub mod fingerprint;
pub mod index;
pub mod out;
pub mod scan;
