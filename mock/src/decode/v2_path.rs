//! The Bulk API 2.0 path under `/services/data/vXX.X/jobs/`: the API version and the
//! resource it names. Result file names match in any case, and a trailing slash is ignored
//! (the router drops empty segments).

use crate::counters::Route;
use crate::model::v2job::{ResultKind, V2Kind};

/// The Bulk API 2.0 resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V2Resource<'a> {
    /// `/jobs/ingest` or `/jobs/query`.
    Jobs(V2Kind),
    /// `/jobs/ingest/{id}` or `/jobs/query/{id}`.
    Job(V2Kind, &'a str),
    /// `/jobs/ingest/{id}/batches`.
    Upload(&'a str),
    /// `/jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords`.
    IngestResult(&'a str, ResultKind),
    /// `/jobs/query/{id}/results`.
    QueryResults(&'a str),
    /// `/jobs/query/{id}/resultPages`.
    ResultPages(&'a str),
}

impl V2Resource<'_> {
    /// The route counted for this resource.
    pub(crate) fn route(self) -> Route {
        match self {
            V2Resource::Jobs(V2Kind::Ingest) => Route::IngestJobs,
            V2Resource::Jobs(V2Kind::Query) => Route::QueryJobs,
            V2Resource::Job(V2Kind::Ingest, _) => Route::IngestJob,
            V2Resource::Job(V2Kind::Query, _) => Route::QueryJob,
            V2Resource::Upload(_) => Route::IngestUpload,
            V2Resource::IngestResult(_, ResultKind::Successful) => Route::SuccessfulResults,
            V2Resource::IngestResult(_, ResultKind::Failed) => Route::FailedResults,
            V2Resource::IngestResult(_, ResultKind::Unprocessed) => Route::UnprocessedRecords,
            V2Resource::QueryResults(_) => Route::QueryResults,
            V2Resource::ResultPages(_) => Route::QueryResultPages,
        }
    }

    pub(crate) fn kind(self) -> V2Kind {
        match self {
            V2Resource::Jobs(kind) | V2Resource::Job(kind, _) => kind,
            V2Resource::Upload(_) | V2Resource::IngestResult(..) => V2Kind::Ingest,
            V2Resource::QueryResults(_) | V2Resource::ResultPages(_) => V2Kind::Query,
        }
    }
}

/// The resource named by the segments after `jobs`; `None` when there is none (a 404).
pub(crate) fn parse_v2_resource<'a>(segments: &[&'a str]) -> Option<V2Resource<'a>> {
    let (&kind, rest) = segments.split_first()?;
    let kind = if kind.eq_ignore_ascii_case("ingest") {
        V2Kind::Ingest
    } else if kind.eq_ignore_ascii_case("query") {
        V2Kind::Query
    } else {
        return None;
    };
    let lower = |s: &str| s.to_ascii_lowercase();
    Some(match (kind, rest) {
        (_, []) => V2Resource::Jobs(kind),
        (_, [id]) => V2Resource::Job(kind, id),
        (V2Kind::Ingest, [id, tail]) => match lower(tail).as_str() {
            "batches" => V2Resource::Upload(id),
            "successfulresults" => V2Resource::IngestResult(id, ResultKind::Successful),
            "failedresults" => V2Resource::IngestResult(id, ResultKind::Failed),
            "unprocessedrecords" => V2Resource::IngestResult(id, ResultKind::Unprocessed),
            _ => return None,
        },
        (V2Kind::Query, [id, tail]) => match lower(tail).as_str() {
            "results" => V2Resource::QueryResults(id),
            "resultpages" => V2Resource::ResultPages(id),
            _ => return None,
        },
        _ => return None,
    })
}

/// `v62.0` → `62.0` (`v62` → `62.0`); `None` for anything else.
pub(crate) fn parse_data_version(segment: &str) -> Option<String> {
    let digits = segment.strip_prefix('v')?;
    let (major, minor) = digits.split_once('.').unwrap_or((digits, "0"));
    let numeric = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(major) && numeric(minor)).then(|| format!("{major}.{minor}"))
}

/// A version as a number, for the availability checks.
pub(crate) fn version_number(version: &str) -> f64 {
    version.parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_versions() {
        assert_eq!(
            parse_v2_resource(&["ingest", "750x", "UnprocessedRecords"]),
            Some(V2Resource::IngestResult("750x", ResultKind::Unprocessed))
        );
        assert_eq!(
            parse_v2_resource(&["query", "750x", "resultpages"]),
            Some(V2Resource::ResultPages("750x"))
        );
        assert_eq!(parse_v2_resource(&["query", "750x", "batches"]), None);
        assert_eq!(parse_v2_resource(&["other"]), None);
        assert_eq!(parse_data_version("v62.0").as_deref(), Some("62.0"));
        assert_eq!(parse_data_version("v59").as_deref(), Some("59.0"));
        assert_eq!(parse_data_version("62.0"), None);
        assert_eq!(parse_data_version("vx"), None);
    }
}
