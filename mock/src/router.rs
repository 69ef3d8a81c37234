//! Routing of a decoded request to its handler, authentication, and the choice between XML
//! and JSON error documents.

use std::time::SystemTime;

use http::Method;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName};

use super::model::State;
use super::wire::{ApiError, Format, Reply};
use super::{Shared, batches, jobs, oauth};

/// A request as the handlers see it (body already de-chunked and content-decoded).
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Path without the query string.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The decoded body, or why `Content-Encoding` could not be decoded.
    pub body: Result<Vec<u8>, String>,
}

impl Req {
    /// First value of a header, if it is valid text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request's Content-Type says JSON (`application/json`, with any parameters).
    pub(crate) fn content_type_is_json(&self) -> bool {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
    }
}

/// Per-request facts shared by the handlers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub now: SystemTime,
    /// `X-PrettyPrint: 1`: indent JSON answers.
    pub pretty: bool,
}

/// The Bulk API 1.0 resources under `/services/async/{version}/`.
#[derive(Debug, PartialEq, Eq)]
enum Resource<'a> {
    Jobs,
    Job(&'a str),
    Batches(&'a str),
    Batch(&'a str, &'a str),
    BatchRequest(&'a str, &'a str),
    BatchResult(&'a str, &'a str),
    ResultFile(&'a str, &'a str, &'a str),
    Spec(&'a str),
}

impl Resource<'_> {
    fn job_id(&self) -> Option<&str> {
        match *self {
            Resource::Jobs => None,
            Resource::Job(job)
            | Resource::Batches(job)
            | Resource::Batch(job, _)
            | Resource::BatchRequest(job, _)
            | Resource::BatchResult(job, _)
            | Resource::ResultFile(job, _, _)
            | Resource::Spec(job) => Some(job),
        }
    }
}

fn parse_resource<'a>(segments: &[&'a str]) -> Result<Resource<'a>, ApiError> {
    let Some((&first, rest)) = segments.split_first() else {
        return Err(ApiError::invalid_url(
            "Failed to parse URL. Was expecting 'job' but found nothing",
        ));
    };
    if first != "job" {
        return Err(ApiError::invalid_url(format!(
            "Failed to parse URL. Was expecting 'job' but found:{first}"
        )));
    }
    Ok(match rest {
        [] => Resource::Jobs,
        [job] => Resource::Job(job),
        [job, "batch"] => Resource::Batches(job),
        [job, "spec"] => Resource::Spec(job),
        [job, "batch", batch] => Resource::Batch(job, batch),
        [job, "batch", batch, "request"] => Resource::BatchRequest(job, batch),
        [job, "batch", batch, "result"] => Resource::BatchResult(job, batch),
        [job, "batch", batch, "result", result] => Resource::ResultFile(job, batch, result),
        _ => {
            return Err(ApiError::invalid_url(format!(
                "Failed to parse URL: unknown resource /{}",
                segments.join("/")
            )));
        }
    })
}

/// `34` and `34.0` are accepted (reported as `34.0`); retired versions (< 31.0) are refused.
fn parse_version(segment: &str) -> Result<String, ApiError> {
    let valid = !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && segment.parse::<f64>().is_ok();
    if !valid {
        return Err(ApiError::invalid_url(format!(
            "Failed to parse URL: invalid API version {segment}"
        )));
    }
    let version = if segment.contains('.') {
        segment.to_owned()
    } else {
        format!("{segment}.0")
    };
    if version.parse::<f64>().is_ok_and(|v| v < 31.0) {
        return Err(ApiError::new(
            "InvalidVersion",
            format!("API version {version} is retired"),
        ));
    }
    Ok(version)
}

/// Answers one request; the state is advanced to "now" first.
pub(crate) fn dispatch(shared: &Shared, req: &Req) -> Reply {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let ctx = Ctx {
        now: SystemTime::now(),
        pretty: req
            .header("x-prettyprint")
            .is_some_and(|v| matches!(v.trim(), "1" | "true")),
    };
    shared.with_state(|state| {
        if segments.first() == Some(&"services") {
            state.api_requests += 1;
        }
        match segments.as_slice() {
            ["services", "oauth2", "token"] => oauth::token(state, req, &ctx),
            ["services", "data", version, "limits"] if version.starts_with('v') => {
                oauth::limits(state, req, &ctx)
            }
            ["services", "async", version, rest @ ..] => {
                let mut reply = bulk(state, req, version, rest, &ctx);
                reply.headers.push((
                    HeaderName::from_static("sforce-limit-info"),
                    format!("api-usage={}/15000", state.api_requests),
                ));
                reply
            }
            _ => oauth::not_found(&ctx),
        }
    })
}

fn bulk(state: &mut State, req: &Req, version: &str, rest: &[&str], ctx: &Ctx) -> Reply {
    let request_format = if req.content_type_is_json() {
        Format::Json
    } else {
        Format::Xml
    };
    let resource = match parse_version(version).and_then(|v| Ok((v, parse_resource(rest)?))) {
        Ok(parsed) => parsed,
        Err(err) => return err.reply(request_format, ctx.pretty),
    };
    let (version, resource) = resource;
    // Job create/update answers follow the request; everything else follows the job's type,
    // and errors are JSON for JSON jobs or JSON requests.
    let job_format = resource
        .job_id()
        .and_then(|id| state.jobs.get(id))
        .map(|job| job.content_type.control_format());
    let error_format = match (job_format, request_format) {
        (Some(Format::Json), _) | (_, Format::Json) => Format::Json,
        _ => Format::Xml,
    };
    let authorized = req
        .header("x-sfdc-session")
        .is_some_and(|token| state.auth.accepts(token.trim()));
    if !authorized {
        return ApiError::invalid_session().reply(error_format, ctx.pretty);
    }
    route(state, req, &version, &resource, ctx)
        .unwrap_or_else(|err| err.reply(error_format, ctx.pretty))
}

fn route(
    state: &mut State,
    req: &Req,
    version: &str,
    resource: &Resource<'_>,
    ctx: &Ctx,
) -> Result<Reply, ApiError> {
    let body = || {
        req.body
            .as_deref()
            .map_err(|reason| ApiError::new("ClientInputError", reason.to_owned()))
    };
    match (&req.method, resource) {
        (&Method::POST, Resource::Jobs) => jobs::create(state, req, body()?, version, ctx),
        (&Method::GET, Resource::Job(job)) => jobs::get(state, job, ctx),
        (&Method::POST, Resource::Job(job)) => jobs::update(state, job, req, body()?, ctx),
        (&Method::POST, Resource::Batches(job)) => batches::add(state, job, req.body.clone(), ctx),
        (&Method::GET, Resource::Batches(job)) => batches::list(state, job, ctx),
        (&Method::GET, Resource::Batch(job, batch)) => batches::get(state, job, batch, ctx),
        (&Method::GET, Resource::BatchRequest(job, batch)) => batches::request(state, job, batch),
        (&Method::GET, Resource::BatchResult(job, batch)) => {
            batches::result(state, job, batch, ctx)
        }
        (&Method::GET, Resource::ResultFile(job, batch, result)) => {
            batches::result_file(state, job, batch, result, ctx)
        }
        (&Method::POST, Resource::Spec(job)) => batches::spec(state, job),
        (method, _) => Err(ApiError::invalid_url(format!(
            "Failed to parse URL: {method} is not supported on {}",
            req.path
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_versions() {
        assert_eq!(parse_resource(&["job"]).unwrap(), Resource::Jobs);
        assert_eq!(
            parse_resource(&["job", "750", "batch", "751", "result", "752"]).unwrap(),
            Resource::ResultFile("750", "751", "752")
        );
        assert_eq!(parse_resource(&["jobs"]).unwrap_err().code, "InvalidUrl");
        assert_eq!(
            parse_resource(&["job", "1", "x"]).unwrap_err().code,
            "InvalidUrl"
        );
        assert_eq!(parse_version("34").unwrap(), "34.0");
        assert_eq!(parse_version("62.0").unwrap(), "62.0");
        assert_eq!(parse_version("v62").unwrap_err().code, "InvalidUrl");
        assert_eq!(parse_version("29.0").unwrap_err().code, "InvalidVersion");
    }
}
