//! The settings a mock starts with.

use std::time::Duration;

use crate::wan_link::WanLink;

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
    /// Rows per Bulk 2.0 query results page when a request gives no `maxRecords` (at least 1).
    pub v2_page_rows: usize,
    /// Seed of the order of Bulk 2.0 ingest result rows (each job shuffled differently, the
    /// same on every run); `None` keeps the upload order.
    pub v2_shuffle_seed: Option<u64>,
    /// What `GET …/jobs/query/{id}/resultPages` answers.
    pub v2_result_pages: ResultPagesShape,
    /// Whether `successfulResults` and `failedResults` use the job's `columnDelimiter` and
    /// `lineEnding` instead of comma and LF.
    pub v2_results_in_job_dialect: bool,
    /// Whether replies are gzip-compressed for requests that send `Accept-Encoding: gzip`
    /// (as Salesforce does); `false` answers every request uncompressed.
    pub gzip_replies: bool,
    /// A simulated WAN between the clients and the mock (`wan_link`): the mock's URL is then
    /// a shaping front, and [`crate::MockServer::direct_url`] the mock without it.
    pub wan: Option<WanLink>,
}

/// The answer of `GET …/jobs/query/{id}/resultPages` (API 58.0 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultPagesShape {
    /// `404 NOT_FOUND`, as for an org without the partial-download preference.
    Off,
    /// The documented shape: `{"resultPages":[{"resultUrl":"/services/data/vXX.X/jobs/query/ID/results?locator=…"}],"nextRecordsUrl":…,"done":…}`.
    Documented,
    /// The shape orgs were seen to return: `{"resultChunks":[{"resultLink":"/jobs/query/ID/results?locator=…"}],"nextRecordsUrl":…,"done":…}`,
    /// links relative to `/services/data/vXX.X`.
    Observed,
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
            v2_page_rows: 100_000,
            v2_shuffle_seed: Some(0x5eed_2024),
            v2_result_pages: ResultPagesShape::Documented,
            v2_results_in_job_dialect: false,
            gzip_replies: true,
            wan: None,
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
