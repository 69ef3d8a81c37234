//! Control documents as wire structs, shared by XML and JSON.
//!
//! Read side: every value is kept as text (XML element text, or a JSON string, number or
//! boolean turned into text by [`Scalar`]) and converted once into the domain types: trimmed,
//! empty = absent, counters parsed (a missing counter is 0), unknown enum values kept in
//! `Unknown(..)`. Unknown elements and keys are ignored by serde; element order is free.
//!
//! Write side: the create-job and state-change bodies, fields declared in schema order
//! because serde writes them in declaration order.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::model::{
    BatchInfo, BatchState, ConcurrencyMode, ContentType, JobInfo, JobRequest, JobState,
    JobStateChange, Operation, RecordError, RecordResult,
};

use super::NS;

/// A JSON scalar (string, number, boolean) kept as text; JSON `null` reads as an absent
/// `Option<Scalar>`. Objects and arrays are refused.
#[derive(Debug)]
pub(crate) struct Scalar(pub(crate) String);

impl AsRef<str> for Scalar {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                // Debug keeps the `.0` of integral values: `36.0` stays `36.0`.
                Ok(Scalar(format!("{v:?}")))
            }
        }

        d.deserialize_any(ScalarVisitor)
    }
}

/// The trimmed text of a value; empty or absent → `None`.
pub(crate) fn text<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    let value = value?;
    let trimmed = value.as_ref().trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A non-negative whole number; absent or empty → 0. Integral JSON floats (`3.0`) are accepted.
pub(crate) fn count<T: AsRef<str>>(name: &str, value: &Option<T>) -> Result<u64, String> {
    let Some(s) = value
        .as_ref()
        .map(|v| v.as_ref().trim())
        .filter(|s| !s.is_empty())
    else {
        return Ok(0);
    };
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
            Ok(f as u64)
        }
        _ => Err(format!("expected a whole number in `{name}`, found {s:?}")),
    }
}

fn count32<T: AsRef<str>>(name: &str, value: &Option<T>) -> Result<u32, String> {
    let n = count(name, value)?;
    u32::try_from(n).map_err(|_| format!("expected `{name}` to fit in 32 bits, found {n}"))
}

/// `34` (WSO2 samples, JSON integer) reads as `34.0`, like the JSON number `34.0`.
fn api_version<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    let v = text(value)?;
    Some(if v.bytes().all(|b| b.is_ascii_digit()) {
        v + ".0"
    } else {
        v
    })
}

/// `jobInfo` as sent, every value as text. `T` is `String` for XML and [`Scalar`] for JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobInfoWire<T> {
    id: Option<T>,
    operation: Option<T>,
    object: Option<T>,
    created_by_id: Option<T>,
    created_date: Option<T>,
    system_modstamp: Option<T>,
    state: Option<T>,
    external_id_field_name: Option<T>,
    concurrency_mode: Option<T>,
    content_type: Option<T>,
    number_batches_queued: Option<T>,
    number_batches_in_progress: Option<T>,
    number_batches_completed: Option<T>,
    number_batches_failed: Option<T>,
    number_batches_total: Option<T>,
    number_records_processed: Option<T>,
    number_retries: Option<T>,
    api_version: Option<T>,
    assignment_rule_id: Option<T>,
    number_records_failed: Option<T>,
    total_processing_time: Option<T>,
    api_active_processing_time: Option<T>,
    apex_processing_time: Option<T>,
}

impl<T: AsRef<str>> JobInfoWire<T> {
    pub(crate) fn into_model(self) -> Result<JobInfo, String> {
        Ok(JobInfo {
            number_batches_queued: count32("numberBatchesQueued", &self.number_batches_queued)?,
            number_batches_in_progress: count32(
                "numberBatchesInProgress",
                &self.number_batches_in_progress,
            )?,
            number_batches_completed: count32(
                "numberBatchesCompleted",
                &self.number_batches_completed,
            )?,
            number_batches_failed: count32("numberBatchesFailed", &self.number_batches_failed)?,
            number_batches_total: count32("numberBatchesTotal", &self.number_batches_total)?,
            number_records_processed: count(
                "numberRecordsProcessed",
                &self.number_records_processed,
            )?,
            number_retries: count32("numberRetries", &self.number_retries)?,
            number_records_failed: count("numberRecordsFailed", &self.number_records_failed)?,
            total_processing_time: count("totalProcessingTime", &self.total_processing_time)?,
            api_active_processing_time: count(
                "apiActiveProcessingTime",
                &self.api_active_processing_time,
            )?,
            apex_processing_time: count("apexProcessingTime", &self.apex_processing_time)?,
            id: text(self.id).ok_or("expected a jobInfo with an `id`, found none")?,
            operation: text(self.operation).map(|s| Operation::from_wire(&s)),
            object: text(self.object).unwrap_or_default(),
            created_by_id: text(self.created_by_id),
            created_date: text(self.created_date),
            system_modstamp: text(self.system_modstamp),
            state: text(self.state).map(|s| JobState::from_wire(&s)),
            external_id_field_name: text(self.external_id_field_name),
            concurrency_mode: text(self.concurrency_mode).map(|s| ConcurrencyMode::from_wire(&s)),
            content_type: text(self.content_type).map(|s| ContentType::from_wire(&s)),
            api_version: api_version(self.api_version),
            assignment_rule_id: text(self.assignment_rule_id),
        })
    }
}

/// `batchInfo` as sent, every value as text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchInfoWire<T> {
    id: Option<T>,
    job_id: Option<T>,
    state: Option<T>,
    state_message: Option<T>,
    created_date: Option<T>,
    system_modstamp: Option<T>,
    number_records_processed: Option<T>,
    number_records_failed: Option<T>,
    total_processing_time: Option<T>,
    api_active_processing_time: Option<T>,
    apex_processing_time: Option<T>,
}

impl<T: AsRef<str>> BatchInfoWire<T> {
    pub(crate) fn into_model(self) -> Result<BatchInfo, String> {
        Ok(BatchInfo {
            number_records_processed: count(
                "numberRecordsProcessed",
                &self.number_records_processed,
            )?,
            number_records_failed: count("numberRecordsFailed", &self.number_records_failed)?,
            total_processing_time: count("totalProcessingTime", &self.total_processing_time)?,
            api_active_processing_time: count(
                "apiActiveProcessingTime",
                &self.api_active_processing_time,
            )?,
            apex_processing_time: count("apexProcessingTime", &self.apex_processing_time)?,
            id: text(self.id).ok_or("expected a batchInfo with an `id`, found none")?,
            job_id: text(self.job_id).unwrap_or_default(),
            state: text(self.state).map(|s| BatchState::from_wire(&s)),
            state_message: text(self.state_message),
            created_date: text(self.created_date),
            system_modstamp: text(self.system_modstamp),
        })
    }
}

/// Converts a list of batches, naming the position of a bad one (counted from 1).
pub(crate) fn batch_list<T: AsRef<str>>(
    items: Vec<BatchInfoWire<T>>,
) -> Result<Vec<BatchInfo>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            b.into_model()
                .map_err(|e| format!("batchInfo {}: {e}", i + 1))
        })
        .collect()
}

/// `error` as sent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorWire<T> {
    exception_code: Option<T>,
    exception_message: Option<T>,
}

impl<T: AsRef<str>> ErrorWire<T> {
    /// `(code, message)` when there is a code.
    pub(crate) fn into_pair(self) -> Option<(String, String)> {
        let code = text(self.exception_code)?;
        let message = self
            .exception_message
            .map(|m| m.as_ref().trim().to_string())
            .unwrap_or_default();
        Some((code, message))
    }
}

/// A boolean result flag: `true`/`false` (any case) or `1`/`0`; absent or empty → false.
pub(crate) fn flag<T: AsRef<str>>(name: &str, value: &Option<T>) -> Result<bool, String> {
    let Some(s) = value
        .as_ref()
        .map(|v| v.as_ref().trim())
        .filter(|s| !s.is_empty())
    else {
        return Ok(false);
    };
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Ok(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Ok(false)
    } else {
        Err(format!("expected true or false in `{name}`, found {s:?}"))
    }
}

/// One ingest result from its parts as text; an empty id reads as none.
pub(crate) fn record_result<T: AsRef<str>>(
    id: Option<T>,
    success: &Option<T>,
    created: &Option<T>,
    errors: Vec<RecordError>,
) -> Result<RecordResult, String> {
    Ok(RecordResult {
        id: text(id),
        success: flag("success", success)?,
        created: flag("created", created)?,
        errors,
    })
}

/// One record error from its parts as text; empty field names are dropped.
pub(crate) fn record_error<T: AsRef<str>>(
    status_code: Option<T>,
    message: Option<T>,
    fields: impl IntoIterator<Item = T>,
) -> RecordError {
    RecordError {
        status_code: text(status_code).unwrap_or_default(),
        message: text(message).unwrap_or_default(),
        fields: fields.into_iter().filter_map(|f| text(Some(f))).collect(),
    }
}

/// The create-job body: only the writable fields, in schema order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobRequestWire<'a> {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    xmlns: Option<&'static str>,
    operation: &'a Operation,
    object: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id_field_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency_mode: Option<&'a ConcurrencyMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a ContentType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment_rule_id: Option<&'a str>,
}

impl<'a> JobRequestWire<'a> {
    /// Checks `req` and picks the fields to send; `xml` adds the namespace attribute.
    pub(crate) fn new(req: &'a JobRequest, xml: bool) -> Result<Self, String> {
        if req.operation.as_str().trim().is_empty() {
            return Err("expected an operation, found an empty one".into());
        }
        if !super::records::is_api_name(&req.object) {
            return Err(format!(
                "expected an sObject API name (a letter, then letters, digits or underscores), found {:?}",
                req.object
            ));
        }
        let external_id = non_empty(&req.external_id_field_name);
        match (req.operation == Operation::Upsert, external_id) {
            (true, None) => {
                return Err("expected an externalIdFieldName for an upsert job, found none".into());
            }
            (false, Some(field)) => {
                return Err(format!(
                    "expected no externalIdFieldName for operation {}, found {field:?}",
                    req.operation
                ));
            }
            (true, Some(field)) if !super::records::is_api_name(field) => {
                return Err(format!(
                    "expected an externalIdFieldName that is a field API name, found {field:?}"
                ));
            }
            _ => {}
        }
        if req
            .content_type
            .as_ref()
            .is_some_and(|c| c.as_str().trim().is_empty())
        {
            return Err("expected a content type, found an empty one".into());
        }
        if req
            .concurrency_mode
            .as_ref()
            .is_some_and(|c| c.as_str().trim().is_empty())
        {
            return Err("expected a concurrency mode, found an empty one".into());
        }
        Ok(JobRequestWire {
            xmlns: xml.then_some(NS),
            operation: &req.operation,
            object: &req.object,
            external_id_field_name: external_id,
            concurrency_mode: req.concurrency_mode.as_ref(),
            content_type: req.content_type.as_ref(),
            assignment_rule_id: non_empty(&req.assignment_rule_id),
        })
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The close/abort body: the state only.
#[derive(Serialize)]
pub(crate) struct StateChangeWire {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    xmlns: Option<&'static str>,
    state: &'static str,
}

impl StateChangeWire {
    pub(crate) fn new(state: JobStateChange, xml: bool) -> Self {
        StateChangeWire {
            xmlns: xml.then_some(NS),
            state: state.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accept_whole_numbers_only() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(count("n", &some(" 42 ")), Ok(42));
        assert_eq!(count("n", &some("3.0")), Ok(3));
        assert_eq!(count::<String>("n", &None), Ok(0));
        assert_eq!(count("n", &some("")), Ok(0));
        assert_eq!(
            count("n", &some("-1")),
            Err("expected a whole number in `n`, found \"-1\"".into())
        );
        assert_eq!(
            count("n", &some("1.5")),
            Err("expected a whole number in `n`, found \"1.5\"".into())
        );
        assert_eq!(
            count("n", &some("NaN")),
            Err("expected a whole number in `n`, found \"NaN\"".into())
        );
        assert_eq!(
            count32("numberRetries", &some("4294967296")),
            Err("expected `numberRetries` to fit in 32 bits, found 4294967296".into())
        );
    }

    #[test]
    fn api_version_is_normalised() {
        assert_eq!(api_version(Some("34")), Some("34.0".into()));
        assert_eq!(api_version(Some(" 36.0 ")), Some("36.0".into()));
        assert_eq!(api_version(Some("")), None);
    }
}
