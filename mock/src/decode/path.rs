//! The Bulk API 1.0 path under `/services/async/{version}/`: the API version and the
//! resource it names.

use crate::api_error::ApiError;
use crate::counters::Route;

/// The Bulk API 1.0 resources under `/services/async/{version}/`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resource<'a> {
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
    /// The route counted for this resource.
    pub(crate) fn route(&self) -> Route {
        match self {
            Resource::Jobs => Route::Jobs,
            Resource::Job(_) => Route::Job,
            Resource::Batches(_) => Route::Batches,
            Resource::Batch(..) => Route::Batch,
            Resource::BatchRequest(..) => Route::BatchRequest,
            Resource::BatchResult(..) => Route::BatchResult,
            Resource::ResultFile(..) => Route::ResultFile,
            Resource::Spec(_) => Route::Spec,
        }
    }

    pub(crate) fn job_id(&self) -> Option<&str> {
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

/// The resource `segments` (the path after the version) name.
pub(crate) fn parse_resource<'a>(segments: &[&'a str]) -> Result<Resource<'a>, ApiError> {
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
pub(crate) fn parse_version(segment: &str) -> Result<String, ApiError> {
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
