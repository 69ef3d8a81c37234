//! Bulk API 2.0 replies: job infos, listings, empty successes, query result pages.

use http::Response;
use http::header::{HeaderMap, HeaderName};

use crate::error::Error;
use crate::model::v2::{JobInfo, JobList, ResultPages};
use crate::wire::v2 as wire;

use crate::protocol::response::{doc_error, success_body};

/// The locator of the next query results page; the literal `null` on the last one.
pub const LOCATOR_HEADER: HeaderName = HeaderName::from_static("sforce-locator");
/// The number of rows in a query results page.
pub const NUMBER_OF_RECORDS_HEADER: HeaderName = HeaderName::from_static("sforce-numberofrecords");

/// A job info reply (create, get, patch).
pub fn parse_job_info(resp: &Response<Vec<u8>>) -> Result<JobInfo, Error> {
    let body = success_body(resp)?;
    wire::parse_job_info(&body).map_err(|d| doc_error(resp, "job info", d, &body))
}

/// A job listing page.
pub fn parse_job_list(resp: &Response<Vec<u8>>) -> Result<JobList, Error> {
    let body = success_body(resp)?;
    wire::parse_job_list(&body).map_err(|d| doc_error(resp, "job list", d, &body))
}

/// A `resultPages` reply.
pub fn parse_result_pages(resp: &Response<Vec<u8>>) -> Result<ResultPages, Error> {
    let body = success_body(resp)?;
    wire::parse_result_pages(&body).map_err(|d| doc_error(resp, "result pages", d, &body))
}

/// A reply that only says it worked (upload 201, delete 204).
pub fn parse_empty(resp: &Response<Vec<u8>>) -> Result<(), Error> {
    success_body(resp).map(|_| ())
}

/// The paging headers of a query results page: the next locator (`None` on the last page)
/// and the page's row count, when sent. Header names are formatted by `as_str`: linking
/// `HeaderName`'s `Display` cost the component ~2.5 KB.
pub fn page_headers(headers: &HeaderMap) -> Result<(Option<String>, Option<u64>), String> {
    let text = |name: &HeaderName| {
        headers
            .get(name)
            .map(|v| {
                v.to_str()
                    .map(str::trim)
                    .map_err(|_| format!("{} is not text", name.as_str()))
            })
            .transpose()
    };
    let locator = text(&LOCATOR_HEADER)?
        .filter(|l| !l.is_empty() && *l != "null")
        .map(str::to_string);
    let count = match text(&NUMBER_OF_RECORDS_HEADER)? {
        None => None,
        Some(n) => Some(n.parse::<u64>().map_err(|_| {
            format!(
                "expected a row count in {}, got {n:?}",
                NUMBER_OF_RECORDS_HEADER.as_str()
            )
        })?),
    };
    Ok((locator, count))
}
