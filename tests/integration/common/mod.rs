//! Shared helpers of the integration tests: a mock Salesforce and a component instance.

use std::time::{Duration, Instant};

pub use host_test::*;
pub use sfbulk_mock::{MockConfig, MockServer};

/// The access token the mock accepts by default.
pub fn token() -> String {
    MockConfig::default().access_tokens[0].clone()
}

/// A mock with fast batch processing.
pub fn mock() -> MockServer {
    MockServer::start(MockConfig {
        processing_delay: Duration::from_millis(20),
        ..MockConfig::default()
    })
}

/// A config pointing at `mock`.
pub fn cfg(mock: &MockServer) -> Config {
    host_test::config(&mock.url(), &token())
}

/// A fresh component instance (the component is compiled once per test binary).
pub async fn instance() -> Instance {
    Runtime::shared()
        .instantiate()
        .await
        .expect("instantiate the component")
}

/// Unwraps a call that must succeed, showing the error otherwise.
#[track_caller]
pub fn ok<T>(r: CallResult<T>) -> T {
    match r.expect("component trapped") {
        Ok(v) => v,
        Err(e) => panic!("operation failed: {e:?}"),
    }
}

/// Unwraps a call that must fail with an operation error.
#[track_caller]
pub fn err<T: std::fmt::Debug>(r: CallResult<T>) -> Error {
    match r.expect("component trapped") {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// The Salesforce exceptionCode of an API error.
#[track_caller]
pub fn api_code(e: &Error) -> String {
    match e {
        Error {
            kind: ErrorKind::Api,
            code: Some(code),
            ..
        } => code.clone(),
        other => panic!("expected an api error, got {other:?}"),
    }
}

/// Polls a batch until it is Completed, Failed or NotProcessed (10 s at most).
pub async fn wait_batch(inst: &mut Instance, cfg: &Config, job: &str, batch: &str) -> BatchInfo {
    let start = Instant::now();
    loop {
        let info = ok(inst.get_batch_status(cfg, job, batch).await);
        if matches!(
            info.state,
            BatchState::Completed | BatchState::Failed | BatchState::NotProcessed
        ) {
            return info;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "batch {batch} still {:?}",
            info.state
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A raw CSV batch body.
pub fn csv(text: &str) -> BatchContent {
    BatchContent::Raw(RawBody {
        media_type: "text/csv".into(),
        data: text.as_bytes().to_vec(),
    })
}

/// Ingest results of a batch (panics on a query result list).
pub async fn ingest_results(
    inst: &mut Instance,
    cfg: &Config,
    job: &str,
    batch: &str,
) -> Vec<RecordResult> {
    match ok(inst.get_batch_results(cfg, job, batch).await) {
        BatchResults::Ingest(rows) => rows,
        BatchResults::Query(ids) => panic!("expected ingest results, got result ids {ids:?}"),
    }
}
