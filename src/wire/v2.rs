//! Bulk API 2.0 JSON documents: job requests and state changes written, job infos, job
//! listings and result-page listings read. Unknown fields are ignored; `apiVersion` may be
//! a number or a string; counters absent are 0.

use crate::model::v2::{IngestRequest, JobInfo, JobList, JobState, QueryRequest, ResultPages};

use super::control::{self, Value};
use super::json;

/// The body of `POST /jobs/ingest`.
pub(crate) fn write_ingest_request(req: &IngestRequest) -> Vec<u8> {
    let fields = [
        ("object", Some(req.object.as_str())),
        ("operation", Some(req.operation.as_str())),
        ("externalIdFieldName", req.external_id_field_name.as_deref()),
        ("contentType", Some("CSV")),
        ("columnDelimiter", req.column_delimiter.map(|d| d.as_str())),
        ("lineEnding", req.line_ending.map(|l| l.as_str())),
        ("assignmentRuleId", req.assignment_rule_id.as_deref()),
    ];
    object(&fields)
}

/// The body of `POST /jobs/query`.
pub(crate) fn write_query_request(req: &QueryRequest) -> Vec<u8> {
    let fields = [
        ("operation", Some(req.operation.as_str())),
        ("query", Some(req.query.as_str())),
        ("contentType", Some("CSV")),
        ("columnDelimiter", req.column_delimiter.map(|d| d.as_str())),
        ("lineEnding", req.line_ending.map(|l| l.as_str())),
    ];
    object(&fields)
}

/// `{"state":"…"}`.
pub(crate) fn write_state(state: &JobState) -> Vec<u8> {
    json::write_object(&[("state", state.as_str())])
}

fn object(fields: &[(&'static str, Option<&str>)]) -> Vec<u8> {
    json::write_object(&control::present(fields))
}

/// The fields of an object, or an error naming what it was.
fn fields<'a>(value: &'a Value, what: &str) -> Result<&'a [(String, Value)], String> {
    match value {
        Value::Map(fields) => Ok(fields),
        _ => Err(format!(
            "expected a {what} json object, found something else"
        )),
    }
}

fn get<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A scalar as text (numbers as written, booleans as `true`/`false`); null or absent → None.
fn text(fields: &[(String, Value)], name: &str) -> Option<String> {
    match get(fields, name)? {
        Value::Str(s) | Value::Num(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn count(fields: &[(String, Value)], name: &str) -> Result<u64, String> {
    let Some(s) = text(fields, name) else {
        return Ok(0);
    };
    let (whole, fraction) = s.split_once('.').unwrap_or((&s, ""));
    match whole.parse::<u64>() {
        Ok(n) if fraction.bytes().all(|b| b == b'0') => Ok(n),
        _ => Err(format!("expected a whole number in `{name}`, found {s:?}")),
    }
}

fn job(value: &Value) -> Result<JobInfo, String> {
    let f = fields(value, "job info")?;
    let id = text(f, "id").ok_or("job info has no id")?;
    let api_version = text(f, "apiVersion").map(|v| {
        if v.bytes().all(|b| b.is_ascii_digit()) {
            v + ".0"
        } else {
            v
        }
    });
    Ok(JobInfo {
        id,
        operation: text(f, "operation").unwrap_or_default(),
        object: text(f, "object").unwrap_or_default(),
        state: text(f, "state").map(|s| JobState::parse(&s)),
        api_version,
        content_url: text(f, "contentUrl"),
        column_delimiter: text(f, "columnDelimiter"),
        line_ending: text(f, "lineEnding"),
        external_id_field_name: text(f, "externalIdFieldName"),
        job_type: text(f, "jobType"),
        number_records_processed: count(f, "numberRecordsProcessed")?,
        number_records_failed: count(f, "numberRecordsFailed")?,
        error_message: text(f, "errorMessage"),
        created_date: text(f, "createdDate"),
        system_modstamp: text(f, "systemModstamp"),
    })
}

fn read(body: &[u8], what: &str) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|_| format!("the {what} is not utf-8"))?;
    json::read(text).map_err(|e| format!("malformed {what} json: {e}"))
}

/// A job info (create, get, patch).
pub fn parse_job_info(body: &[u8]) -> Result<JobInfo, String> {
    job(&read(body, "job info")?)
}

/// A job listing page: `{"done", "records": [...], "nextRecordsUrl"}`.
pub fn parse_job_list(body: &[u8]) -> Result<JobList, String> {
    let value = read(body, "job list")?;
    let f = fields(&value, "job list")?;
    // Plain loops, not `collect::<Result<…>>()` (see `control::all`).
    let jobs = match get(f, "records") {
        Some(Value::List(items)) => {
            let mut jobs = Vec::with_capacity(items.len());
            for item in items {
                jobs.push(job(item)?);
            }
            jobs
        }
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err("expected `records` to be an array".into()),
    };
    let done = matches!(get(f, "done"), Some(Value::Bool(true)));
    Ok(JobList {
        jobs,
        next_records_url: text(f, "nextRecordsUrl").filter(|_| !done),
    })
}

/// The locator in a result URL (`…/results?locator=X&…`); `None` without one.
pub fn locator_of(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "locator")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty() && v != "null")
}

/// `resultPages`, in either shape seen: the documented `resultPages[].resultUrl` and the one
/// orgs return, `resultChunks[].resultLink`.
pub fn parse_result_pages(body: &[u8]) -> Result<ResultPages, String> {
    let value = read(body, "result pages")?;
    let f = fields(&value, "result pages")?;
    let (list, key) = match (get(f, "resultPages"), get(f, "resultChunks")) {
        (Some(Value::List(items)), _) => (items, "resultUrl"),
        (_, Some(Value::List(items))) => (items, "resultLink"),
        _ => return Err("expected `resultPages` or `resultChunks` to be an array".into()),
    };
    let mut locators = Vec::with_capacity(list.len());
    for item in list {
        let f = fields(item, "result page")?;
        let url = text(f, key).ok_or_else(|| format!("a result page has no `{key}`"))?;
        locators.push(locator_of(&url));
    }
    let done = matches!(get(f, "done"), Some(Value::Bool(true)));
    Ok(ResultPages {
        locators,
        next_records_url: text(f, "nextRecordsUrl")
            .or_else(|| text(f, "nextRecordUrl"))
            .filter(|_| !done),
    })
}

/// A REST error array `[{"errorCode","message"}, …]` (also `statusCode`) → the first
/// error's code and message.
pub(crate) fn parse_error_array(body: &str) -> Option<(String, String)> {
    let Ok(Value::List(items)) = json::read(body) else {
        return None;
    };
    let f = fields(items.first()?, "error").ok()?;
    let code = text(f, "errorCode").or_else(|| text(f, "statusCode"))?;
    Some((code, text(f, "message").unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_info_reads_numbers_as_versions_and_ignores_unknown_fields() {
        let job = parse_job_info(
            br#"{"id":"7505e000000001AAA","operation":"insert","object":"Account","state":"Open","apiVersion":59,"contentUrl":"services/data/v59.0/jobs/ingest/7505e000000001AAA/batches","extra":{"a":[1]},"numberRecordsProcessed":12,"numberRecordsFailed":2.0,"errorMessage":"ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"}"#,
        )
        .unwrap();
        assert_eq!(job.api_version.as_deref(), Some("59.0"));
        assert_eq!(job.state, Some(JobState::Open));
        assert_eq!(
            (job.number_records_processed, job.number_records_failed),
            (12, 2)
        );
        assert_eq!(job.error_kind(), Some("ClientInputError"));
        assert!(parse_job_info(br#"{"state":"Open"}"#).is_err());
    }

    #[test]
    fn result_pages_in_both_shapes() {
        let documented = parse_result_pages(br#"{"resultPages":[{"resultUrl":"/services/data/v59.0/jobs/query/750/results?locator=MTAw"},{"resultUrl":"/services/data/v59.0/jobs/query/750/results"}],"nextRecordsUrl":"/services/data/v59.0/jobs/query/750/resultpages?locator=x","done":false}"#).unwrap();
        assert_eq!(documented.locators, [Some("MTAw".to_string()), None]);
        assert!(documented.next_records_url.is_some());
        let real = parse_result_pages(
            br#"{"resultChunks":[{"resultLink":"/jobs/query/750/results?locator=QQ%3D%3D&maxRecords=5"}],"nextRecordsUrl":null,"done":true}"#,
        )
        .unwrap();
        assert_eq!(real.locators, [Some("QQ==".to_string())]);
        assert_eq!(real.next_records_url, None);
    }

    #[test]
    fn error_arrays() {
        assert_eq!(
            parse_error_array(
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
            ),
            Some((
                "INVALID_SESSION_ID".into(),
                "Session expired or invalid".into()
            ))
        );
        assert_eq!(
            parse_error_array(r#"[{"statusCode":"NOT_FOUND","message":"x"}]"#)
                .unwrap()
                .0,
            "NOT_FOUND"
        );
        assert_eq!(parse_error_array("[]"), None);
        assert_eq!(parse_error_array(r#"{"errorCode":"X"}"#), None);
    }
}
