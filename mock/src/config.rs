//! The settings a mock starts with.

use std::time::Duration;

/// A second session id a stand-alone mock accepts, for other Bulk API clients run against it
/// with a fixed token (`00DFAKE!SESSIONTOKEN`).
pub const PEER_SESSION_TOKEN: &str = "00DFAKE!SESSIONTOKEN";

/// Settings of a mock server; every field can be changed before [`crate::MockServer::start`].
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Time a batch stays `Queued`/`InProgress` before it finishes (`Queued` for the first third).
    pub processing_delay: Duration,
    /// Maximum rows per query result file; more rows give several result ids.
    pub result_file_rows: usize,
    /// Accepted `X-SFDC-Session` values.
    pub access_tokens: Vec<String>,
    /// Accepted OAuth refresh tokens.
    pub refresh_tokens: Vec<String>,
    /// Accepted OAuth client id.
    pub client_id: String,
    /// Accepted OAuth client secret.
    pub client_secret: String,
    /// Number of `Account` rows (`Name` = `Seed Account 0001`, …) present at start.
    pub seed_accounts: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            processing_delay: Duration::from_millis(50),
            result_file_rows: 100_000,
            access_tokens: vec!["00DMOCK!mock-access-token".into()],
            refresh_tokens: vec!["mock-refresh-token".into()],
            client_id: "mock-client-id".into(),
            client_secret: "mock-client-secret".into(),
            seed_accounts: 0,
        }
    }
}

impl MockConfig {
    /// The configuration of a stand-alone mock (`sfbulk mock-server`, the `mock_server`
    /// example): the defaults plus 1000 seeded accounts and the fixed session id
    /// [`PEER_SESSION_TOKEN`].
    #[must_use]
    pub fn standalone() -> Self {
        let mut cfg = MockConfig {
            seed_accounts: 1000,
            ..MockConfig::default()
        };
        cfg.access_tokens.push(PEER_SESSION_TOKEN.into());
        cfg
    }
}
