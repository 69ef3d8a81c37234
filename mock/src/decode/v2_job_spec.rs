//! The JSON bodies of Bulk API 2.0 job requests: create an ingest job, create a query job,
//! change a job's state. Unknown keys are ignored (`concurrencyMode`, a PATCH's `id`).

use serde_json::{Map, Value};

use crate::decode::soql::{self, Soql};
use crate::dialect::{ColumnDelimiter, Dialect, LineEnding};
use crate::model::job::Operation;
use crate::model::v2job::V2State;
use crate::rest_error::RestError;
use crate::schema::{is_known_field, is_known_name};

/// A checked `POST /jobs/ingest`.
#[derive(Debug)]
pub(crate) struct IngestSpec {
    pub operation: Operation,
    pub object: String,
    pub external_id: Option<String>,
    pub assignment_rule_id: Option<String>,
    pub dialect: Dialect,
}

/// A checked `POST /jobs/query`.
#[derive(Debug)]
pub(crate) struct QuerySpec {
    pub operation: Operation,
    pub text: String,
    pub soql: Soql,
    pub dialect: Dialect,
}

fn object(body: &[u8]) -> Result<Map<String, Value>, RestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RestError::json_parser("expected a json object")),
        Err(err) => Err(RestError::json_parser(format!("invalid json: {err}"))),
    }
}

/// A string member; `Ok(None)` when absent or null.
fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, RestError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(RestError::json_parser(format!(
            "{key} must be a string, not {other}"
        ))),
    }
}

fn dialect(map: &Map<String, Value>) -> Result<Dialect, RestError> {
    let delimiter = match text(map, "columnDelimiter")? {
        None => Dialect::DEFAULT.delimiter,
        Some(s) => ColumnDelimiter::parse(s).ok_or_else(|| {
            RestError::json_parser(format!("cannot deserialize columnDelimiter from '{s}'"))
        })?,
    };
    let line_ending = match text(map, "lineEnding")? {
        None => Dialect::DEFAULT.line_ending,
        Some(s) => LineEnding::parse(s).ok_or_else(|| {
            RestError::json_parser(format!("cannot deserialize lineEnding from '{s}'"))
        })?,
    };
    match text(map, "contentType")? {
        None | Some("CSV") => {}
        Some(other) => {
            return Err(RestError::bad_request(
                "INVALIDJOB",
                format!("contentType {other} is not supported; bulk api 2.0 takes CSV"),
            ));
        }
    }
    Ok(Dialect {
        delimiter,
        line_ending,
    })
}

fn required<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, RestError> {
    text(map, key)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| RestError::bad_request("INVALIDJOB", format!("{key} is required")))
}

/// `POST /jobs/ingest`.
pub(crate) fn ingest_spec(body: &[u8]) -> Result<IngestSpec, RestError> {
    let map = object(body)?;
    let op = required(&map, "operation")?;
    let operation = Operation::parse(op)
        .filter(|o| !o.is_query())
        .ok_or_else(|| {
            RestError::bad_request("INVALIDJOB", format!("invalid ingest operation: {op}"))
        })?;
    let object = required(&map, "object")?;
    if !is_known_name(object) {
        return Err(unsupported_entity(object));
    }
    let external_id = text(&map, "externalIdFieldName")?
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if operation == Operation::Upsert {
        match external_id.as_deref() {
            None => {
                return Err(RestError::bad_request(
                    "INVALIDJOB",
                    "externalIdFieldName is required for upsert",
                ));
            }
            Some(field) if !is_known_field(field) => {
                return Err(RestError::bad_request(
                    "INVALIDJOB",
                    format!("externalIdFieldName {field} is not a field of {object}"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(IngestSpec {
        operation,
        object: object.to_owned(),
        external_id: external_id.filter(|_| operation == Operation::Upsert),
        assignment_rule_id: text(&map, "assignmentRuleId")?.map(str::to_owned),
        dialect: dialect(&map)?,
    })
}

/// `POST /jobs/query`: the SOQL is parsed and its names checked here, so a bad query is a
/// `400` at create (`MALFORMED_QUERY`, `INVALIDENTITY`, `INVALID_FIELD`).
pub(crate) fn query_spec(body: &[u8]) -> Result<QuerySpec, RestError> {
    let map = object(body)?;
    let op = required(&map, "operation")?;
    let operation = Operation::parse(op)
        .filter(|o| o.is_query())
        .ok_or_else(|| {
            RestError::bad_request("INVALIDJOB", format!("invalid query operation: {op}"))
        })?;
    let text_soql = required(&map, "query")?;
    let soql = soql::parse(text_soql.trim())
        .map_err(|detail| RestError::bad_request("MALFORMED_QUERY", detail))?;
    if !is_known_name(&soql.object) {
        return Err(unsupported_entity(&soql.object));
    }
    let referenced = soql
        .fields
        .iter()
        .map(String::as_str)
        .chain(soql.filter.iter().flat_map(soql::Expr::fields))
        .chain(soql.order.iter().map(|k| k.field.as_str()));
    for field in referenced {
        if !is_known_field(field) {
            return Err(RestError::bad_request(
                "INVALID_FIELD",
                format!("No such column '{field}' on entity '{}'.", soql.object),
            ));
        }
    }
    Ok(QuerySpec {
        operation,
        text: text_soql.to_owned(),
        soql,
        dialect: dialect(&map)?,
    })
}

/// `PATCH /jobs/…/{id}`: `UploadComplete` or `Aborted`.
pub(crate) fn requested_state(body: &[u8]) -> Result<V2State, RestError> {
    let map = object(body)?;
    match text(&map, "state")? {
        Some("UploadComplete") => Ok(V2State::UploadComplete),
        Some("Aborted") => Ok(V2State::Aborted),
        Some(other) => Err(RestError::invalid_job_state(format!(
            "invalid state: {other}; a job can be set to UploadComplete or Aborted"
        ))),
        None => Err(RestError::invalid_job_state("state is required")),
    }
}

fn unsupported_entity(object: &str) -> RestError {
    RestError::bad_request(
        "INVALIDENTITY",
        format!("Entity '{object}' is not supported by the Bulk API."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals() {
        let spec =
            ingest_spec(br#"{"object":"Account","operation":"insert","concurrencyMode":"Serial"}"#)
                .unwrap();
        assert_eq!(spec.dialect, Dialect::DEFAULT);
        let err = ingest_spec(br#"{"object":"Account","operation":"upsert"}"#).unwrap_err();
        assert_eq!(err.code, "INVALIDJOB");
        let err = ingest_spec(br#"{"object":"Account","operation":"insert","lineEnding":"CR"}"#)
            .unwrap_err();
        assert_eq!(err.code, "JSON_PARSER_ERROR");
        let err = query_spec(br#"{"operation":"query","query":"SELECT Id FROM"}"#).unwrap_err();
        assert_eq!(err.code, "MALFORMED_QUERY");
        assert_eq!(
            requested_state(br#"{"id":"750x","state":"UploadComplete"}"#).unwrap(),
            V2State::UploadComplete
        );
    }
}
