//! The integration tests' package. Its library is empty; the tests are the `integration`
//! test binary (`integration/main.rs`): `cargo test -p sfbulk-tests`, or
//! `cargo test --test integration faults::` for one area.
