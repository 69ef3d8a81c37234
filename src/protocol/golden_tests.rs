//! Golden tests: every request builder and reply parser (filled in below).
