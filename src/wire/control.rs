//! Control documents and results as one format-neutral [`Value`] tree, converted once into
//! the domain types for XML and JSON alike.
//!
//! Read side: the XML and JSON readers build a [`Value`]; the converters here pick the fields
//! they know by name (unknown ones are ignored, order is free, a repeated single-valued field
//! is refused), take every value as text (trimmed, empty = absent), parse counters (a missing
//! counter is 0) and keep unknown enum values in `Unknown(..)`. A list field takes one value or
//! many: repeated XML elements, a JSON array or a single JSON value.
//!
//! Write side: the create-job and state-change bodies as `(element, text)` pairs in schema
//! order, written by the XML and JSON writers.

use crate::model::{
    BatchInfo, BatchResults, BatchState, ConcurrencyMode, ContentType, JobInfo, JobRequest,
    JobState, Operation, RecordError, RecordResult,
};

/// A parsed document: XML elements or JSON values in one shape.
#[derive(Debug, PartialEq)]
pub(crate) enum Value {
    /// JSON `null`, or an XML element with `xsi:nil="true"`.
    Null,
    /// An XML element without child elements and without text other than whitespace.
    Empty,
    /// XML element text or a JSON string.
    Str(String),
    /// A JSON number, as text.
    Num(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON array.
    List(Vec<Value>),
    /// A JSON object or an XML element with child elements (by local name, repeats kept, in
    /// document order).
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The value as text, when it is a scalar.
    fn as_text(&self) -> Option<&str> {
        match self {
            Value::Empty => Some(""),
            Value::Str(s) | Value::Num(s) => Some(s),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }),
            Value::Null | Value::List(_) | Value::Map(_) => None,
        }
    }

    /// The fields of an object; an empty XML element has none.
    fn fields(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Map(fields) => Some(fields),
            Value::Empty => Some(&[]),
            _ => None,
        }
    }

    /// What the value is, for error messages.
    fn describe(&self, xml: bool) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Empty => "an empty element",
            Value::Str(_) if xml => "text",
            Value::Str(_) => "a string",
            Value::Num(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::List(_) => "an array",
            Value::Map(_) if xml => "child elements",
            Value::Map(_) => "an object",
        }
    }

    /// One value or many: the items of an array, nothing for null, else the value itself.
    fn items(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            Value::Null => &[],
            one => std::slice::from_ref(one),
        }
    }
}

/// The document being converted: its name and format, for error messages.
#[derive(Clone, Copy)]
struct Doc {
    /// The element or JSON object name, e.g. `jobInfo`.
    name: &'static str,
    /// XML (else JSON).
    xml: bool,
}

impl Doc {
    /// A shape error: `malformed <jobInfo>: …` / `malformed jobInfo json: …`.
    fn malformed(self, detail: &str) -> String {
        if self.xml {
            format!("malformed <{}>: {detail}", self.name)
        } else {
            format!("malformed {} json: {detail}", self.name)
        }
    }

    /// The fields of `value`, which must be an object.
    fn fields(self, value: &Value) -> Result<&[(String, Value)], String> {
        value.fields().ok_or_else(|| {
            let what = if self.xml {
                "child elements"
            } else {
                "an object"
            };
            self.malformed(&format!(
                "expected {what}, found {}",
                value.describe(self.xml)
            ))
        })
    }

    /// The values of the single-valued fields `names` (absent → `None`); a field given
    /// twice is refused.
    fn pick<'a, const N: usize>(
        self,
        fields: &'a [(String, Value)],
        names: [&'static str; N],
    ) -> Result<[Option<&'a Value>; N], String> {
        let mut out = [None; N];
        pick_into(fields, &names, &mut out)
            .map_err(|name| self.malformed(&format!("duplicate field `{name}`")))?;
        Ok(out)
    }

    /// Like [`Doc::pick`], every value a scalar (null reads as absent).
    fn scalars<'a, const N: usize>(
        self,
        value: &'a Value,
        names: [&'static str; N],
    ) -> Result<[Option<&'a str>; N], String> {
        let picked = self.pick(self.fields(value)?, names)?;
        let mut out = [None; N];
        for ((slot, value), name) in out.iter_mut().zip(picked).zip(names) {
            *slot = self.scalar(name, value)?;
        }
        Ok(out)
    }

    /// A scalar as text; absent or null → `None`; an array or object is refused.
    fn scalar<'a>(self, name: &str, value: Option<&'a Value>) -> Result<Option<&'a str>, String> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_text().map(Some).ok_or_else(|| {
                let what = if self.xml {
                    "text"
                } else {
                    "a string, number or boolean"
                };
                self.malformed(&format!(
                    "expected {what} in `{name}`, found {}",
                    v.describe(self.xml)
                ))
            }),
        }
    }
}

/// The fields `names` of an object (absent → `None`); `None` when `value` is not an object
/// or a field is given twice.
pub(crate) fn pick<'a, const N: usize>(
    value: &'a Value,
    names: [&'static str; N],
) -> Option<[Option<&'a Value>; N]> {
    let mut out = [None; N];
    pick_into(value.fields()?, &names, &mut out).ok()?;
    Some(out)
}

/// Fills `out[i]` with the value of the field named `names[i]`; `Err(name)` on a repeat.
fn pick_into<'a>(
    fields: &'a [(String, Value)],
    names: &[&'static str],
    out: &mut [Option<&'a Value>],
) -> Result<(), &'static str> {
    for (key, value) in fields {
        let slot = names
            .iter()
            .zip(out.iter_mut())
            .find(|(name, _)| *name == key);
        if let Some((name, slot)) = slot
            && slot.replace(value).is_some()
        {
            return Err(name);
        }
    }
    Ok(())
}

/// Every value of a list field: repeated entries, each one value or an array of values.
///
/// A `Vec`, read by plain loops: a filter-flatten iterator collected into `Result`s, one
/// copy per caller, cost the component 6.8 KB.
fn all<'a>(fields: &'a [(String, Value)], name: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    for (key, value) in fields {
        if key == name {
            out.extend(value.items());
        }
    }
    out
}

/// The trimmed text of a value; empty or absent → `None`.
fn text(value: Option<&str>) -> Option<String> {
    let trimmed = value?.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A non-negative whole number; absent or empty → 0. An integral decimal (`3.0`) is accepted;
/// the exponent form (`1e3`) is not (integers are parsed as integers, never through `f64`).
fn count(name: &str, value: Option<&str>) -> Result<u64, String> {
    let Some(s) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(0);
    };
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    match whole.parse::<u64>() {
        Ok(n) if fraction.bytes().all(|b| b == b'0') => Ok(n),
        _ => Err(format!("expected a whole number in `{name}`, found {s:?}")),
    }
}

fn count32(name: &str, value: Option<&str>) -> Result<u32, String> {
    let n = count(name, value)?;
    u32::try_from(n).map_err(|_| format!("expected `{name}` to fit in 32 bits, found {n}"))
}

/// `34` (WSO2 samples, JSON integer) reads as `34.0`, like the JSON number `34.0`.
fn api_version(value: Option<&str>) -> Option<String> {
    let v = text(value)?;
    Some(if v.bytes().all(|b| b.is_ascii_digit()) {
        v + ".0"
    } else {
        v
    })
}

/// `jobInfo`: every known field, in schema order.
pub(crate) fn job_info(value: &Value, xml: bool) -> Result<JobInfo, String> {
    let doc = Doc {
        name: "jobInfo",
        xml,
    };
    let [
        id,
        operation,
        object,
        created_by_id,
        created_date,
        system_modstamp,
        state,
        external_id_field_name,
        concurrency_mode,
        content_type,
        batches_queued,
        batches_in_progress,
        batches_completed,
        batches_failed,
        batches_total,
        records_processed,
        retries,
        version,
        assignment_rule_id,
        records_failed,
        total_time,
        api_time,
        apex_time,
    ] = doc.scalars(
        value,
        [
            "id",
            "operation",
            "object",
            "createdById",
            "createdDate",
            "systemModstamp",
            "state",
            "externalIdFieldName",
            "concurrencyMode",
            "contentType",
            "numberBatchesQueued",
            "numberBatchesInProgress",
            "numberBatchesCompleted",
            "numberBatchesFailed",
            "numberBatchesTotal",
            "numberRecordsProcessed",
            "numberRetries",
            "apiVersion",
            "assignmentRuleId",
            "numberRecordsFailed",
            "totalProcessingTime",
            "apiActiveProcessingTime",
            "apexProcessingTime",
        ],
    )?;
    Ok(JobInfo {
        number_batches_queued: count32("numberBatchesQueued", batches_queued)?,
        number_batches_in_progress: count32("numberBatchesInProgress", batches_in_progress)?,
        number_batches_completed: count32("numberBatchesCompleted", batches_completed)?,
        number_batches_failed: count32("numberBatchesFailed", batches_failed)?,
        number_batches_total: count32("numberBatchesTotal", batches_total)?,
        number_records_processed: count("numberRecordsProcessed", records_processed)?,
        number_retries: count32("numberRetries", retries)?,
        number_records_failed: count("numberRecordsFailed", records_failed)?,
        total_processing_time: count("totalProcessingTime", total_time)?,
        api_active_processing_time: count("apiActiveProcessingTime", api_time)?,
        apex_processing_time: count("apexProcessingTime", apex_time)?,
        id: text(id).ok_or("expected a jobInfo with an `id`, found none")?,
        operation: text(operation).map(|s| Operation::from_wire(&s)),
        object: text(object).unwrap_or_default(),
        created_by_id: text(created_by_id),
        created_date: text(created_date),
        system_modstamp: text(system_modstamp),
        state: text(state).map(|s| JobState::from_wire(&s)),
        external_id_field_name: text(external_id_field_name),
        concurrency_mode: text(concurrency_mode).map(|s| ConcurrencyMode::from_wire(&s)),
        content_type: text(content_type).map(|s| ContentType::from_wire(&s)),
        api_version: api_version(version),
        assignment_rule_id: text(assignment_rule_id),
    })
}

/// `batchInfo`: every known field, in schema order.
pub(crate) fn batch_info(value: &Value, xml: bool) -> Result<BatchInfo, String> {
    let doc = Doc {
        name: "batchInfo",
        xml,
    };
    let [
        id,
        job_id,
        state,
        state_message,
        created_date,
        system_modstamp,
        records_processed,
        records_failed,
        total_time,
        api_time,
        apex_time,
    ] = doc.scalars(
        value,
        [
            "id",
            "jobId",
            "state",
            "stateMessage",
            "createdDate",
            "systemModstamp",
            "numberRecordsProcessed",
            "numberRecordsFailed",
            "totalProcessingTime",
            "apiActiveProcessingTime",
            "apexProcessingTime",
        ],
    )?;
    Ok(BatchInfo {
        number_records_processed: count("numberRecordsProcessed", records_processed)?,
        number_records_failed: count("numberRecordsFailed", records_failed)?,
        total_processing_time: count("totalProcessingTime", total_time)?,
        api_active_processing_time: count("apiActiveProcessingTime", api_time)?,
        apex_processing_time: count("apexProcessingTime", apex_time)?,
        id: text(id).ok_or("expected a batchInfo with an `id`, found none")?,
        job_id: text(job_id).unwrap_or_default(),
        state: text(state).map(|s| BatchState::from_wire(&s)),
        state_message: text(state_message),
        created_date: text(created_date),
        system_modstamp: text(system_modstamp),
    })
}

/// Converts a list of batches, naming the position of a bad one (counted from 1).
pub(crate) fn batch_list<'a>(
    items: impl IntoIterator<Item = &'a Value>,
    xml: bool,
) -> Result<Vec<BatchInfo>, String> {
    let mut batches = Vec::new();
    for (i, b) in items.into_iter().enumerate() {
        batches.push(batch_info(b, xml).map_err(|e| format!("batchInfo {}: {e}", i + 1))?);
    }
    Ok(batches)
}

/// `<batchInfoList>` / `{"batchInfo": …}`: the batches, one or many; none when absent.
pub(crate) fn batch_info_list(value: &Value, xml: bool) -> Result<Vec<BatchInfo>, String> {
    let doc = Doc {
        name: "batchInfoList",
        xml,
    };
    batch_list(all(doc.fields(value)?, "batchInfo"), xml)
}

/// `error` → `(code, message)` when there is a code.
pub(crate) fn error_pair(value: &Value, xml: bool) -> Option<(String, String)> {
    let doc = Doc { name: "error", xml };
    let [code, message] = doc
        .scalars(value, ["exceptionCode", "exceptionMessage"])
        .ok()?;
    Some((text(code)?, message.unwrap_or_default().trim().to_string()))
}

/// A boolean result flag: `true`/`false` (any case) or `1`/`0`; absent or empty → false.
fn flag(name: &str, value: Option<&str>) -> Result<bool, String> {
    // As Salesforce writes them (every row of a result file), before any trimming.
    match value {
        Some("true") => return Ok(true),
        Some("false") => return Ok(false),
        _ => {}
    }
    let Some(s) = value.map(str::trim).filter(|s| !s.is_empty()) else {
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
pub(crate) fn record_result(
    id: Option<&str>,
    success: Option<&str>,
    created: Option<&str>,
    errors: Vec<RecordError>,
) -> Result<RecordResult, String> {
    Ok(RecordResult {
        id: text(id),
        success: flag("success", success)?,
        created: flag("created", created)?,
        errors,
    })
}

/// One record error from its parts as text; empty field names are dropped. (A slice, not
/// a generic iterator: one copy for the XML, JSON and CSV readers.)
pub(crate) fn record_error(
    status_code: Option<&str>,
    message: Option<&str>,
    fields: &[&str],
) -> RecordError {
    let mut names = Vec::new();
    for f in fields {
        names.extend(text(Some(f)));
    }
    RecordError {
        status_code: text(status_code).unwrap_or_default(),
        message: text(message).unwrap_or_default(),
        fields: names,
    }
}

/// One ingest result object: `id`, `success`, `created` and `errors` (one or many, each with
/// `statusCode`, `message` and `fields`, one or many).
fn ingest_result(value: &Value, xml: bool) -> Result<RecordResult, String> {
    let doc = Doc {
        name: "result",
        xml,
    };
    let fields = doc.fields(value)?;
    let [id, success, created] = doc.pick(fields, ["id", "success", "created"])?;
    let mut errors = Vec::new();
    for error in all(fields, "errors") {
        let doc = Doc {
            name: "errors",
            xml,
        };
        let fields = doc.fields(error)?;
        let [code, message] = doc.pick(fields, ["statusCode", "message"])?;
        let mut names = Vec::new();
        for f in all(fields, "fields") {
            names.push(doc.scalar("fields", Some(f))?.unwrap_or_default());
        }
        errors.push(record_error(
            doc.scalar("statusCode", code)?,
            doc.scalar("message", message)?,
            &names,
        ));
    }
    record_result(
        doc.scalar("id", id)?,
        doc.scalar("success", success)?,
        doc.scalar("created", created)?,
        errors,
    )
}

/// `<results>` (ingest) or `<result-list>` (query result ids), by the root's name.
pub(crate) fn xml_results(root: &str, value: &Value) -> Result<BatchResults, String> {
    let (name, query) = match root {
        "results" => ("results", false),
        "result-list" => ("result-list", true),
        other => {
            return Err(format!(
                "expected <results> or <result-list>, found <{other}>"
            ));
        }
    };
    let doc = Doc { name, xml: true };
    let items = all(doc.fields(value)?, "result");
    if query {
        let mut ids = Vec::new();
        for id in items {
            ids.extend(text(doc.scalar("result", Some(id))?));
        }
        Ok(BatchResults::Query(ids))
    } else {
        let mut results = Vec::new();
        for (i, r) in items.into_iter().enumerate() {
            results.push(ingest_result(r, true).map_err(|e| format!("result {}: {e}", i + 1))?);
        }
        Ok(BatchResults::Ingest(results))
    }
}

/// A JSON results array: result id strings (query) or result objects (ingest), as the
/// first item says. An empty array is `Ingest(vec![])`.
pub(crate) fn json_results(items: &[Value]) -> Result<BatchResults, String> {
    if matches!(items.first(), Some(Value::Str(_))) {
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Str(id) => ids.extend(text(Some(id))),
                other => {
                    return Err(item_error(
                        i,
                        "a result id string like the first item",
                        other,
                    ));
                }
            }
        }
        return Ok(BatchResults::Query(ids));
    }
    let mut results = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        results.push(match item {
            Value::Map(_) => {
                ingest_result(item, false).map_err(|e| format!("result {}: {e}", i + 1))?
            }
            other => return Err(item_error(i, "a result object like the first item", other)),
        });
    }
    Ok(BatchResults::Ingest(results))
}

fn item_error(i: usize, expected: &str, found: &Value) -> String {
    let expected = match found {
        Value::Map(_) | Value::Str(_) => expected,
        _ => "a result object or a result id string",
    };
    format!(
        "result {}: expected {expected}, found {}",
        i + 1,
        found.describe(false)
    )
}

/// The create-job body: only the writable fields, in schema order, absent ones left out.
/// The request was checked by the protocol layer (`protocol::requests::create_job`); this
/// only writes what it is given.
pub(crate) fn job_request(req: &JobRequest) -> Vec<(&'static str, &str)> {
    let fields = [
        ("operation", Some(req.operation.as_str())),
        ("object", Some(req.object.as_str())),
        (
            "externalIdFieldName",
            non_empty(&req.external_id_field_name),
        ),
        (
            "concurrencyMode",
            req.concurrency_mode.as_ref().map(ConcurrencyMode::as_str),
        ),
        (
            "contentType",
            req.content_type.as_ref().map(ContentType::as_str),
        ),
        ("assignmentRuleId", non_empty(&req.assignment_rule_id)),
    ];
    present(&fields)
}

/// The fields that have a value, in order (shared by the 1.0 and 2.0 request writers).
pub(crate) fn present<'a>(
    fields: &[(&'static str, Option<&'a str>)],
) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::with_capacity(fields.len());
    for &(name, value) in fields {
        if let Some(value) = value {
            out.push((name, value));
        }
    }
    out
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accept_whole_numbers_only() {
        assert_eq!(count("n", Some(" 42 ")), Ok(42));
        assert_eq!(count("n", Some("3.0")), Ok(3));
        assert_eq!(count("n", Some("7.")), Ok(7));
        assert_eq!(count("n", None), Ok(0));
        assert_eq!(count("n", Some("")), Ok(0));
        assert_eq!(
            count("n", Some("18446744073709551615")),
            Ok(18_446_744_073_709_551_615)
        );
        assert_eq!(count("n", Some("+5")), Ok(5));
        for bad in [
            "-1",
            "1.5",
            "NaN",
            ".0",
            "1e3",
            "1.0.0",
            "18446744073709551616",
        ] {
            assert_eq!(
                count("n", Some(bad)),
                Err(format!("expected a whole number in `n`, found {bad:?}")),
                "{bad}"
            );
        }
        assert_eq!(
            count32("numberRetries", Some("4294967296")),
            Err("expected `numberRetries` to fit in 32 bits, found 4294967296".into())
        );
    }

    #[test]
    fn api_version_is_normalised() {
        assert_eq!(api_version(Some("34")), Some("34.0".into()));
        assert_eq!(api_version(Some(" 36.0 ")), Some("36.0".into()));
        assert_eq!(api_version(Some("")), None);
    }

    #[test]
    fn fields_are_picked_by_name_once() {
        let entry = |k: &str, v: Value| (k.to_string(), v);
        let doc = Doc {
            name: "x",
            xml: false,
        };
        let v = Value::Map(vec![
            entry("b", Value::Num("2".into())),
            entry("other", Value::List(vec![])),
            entry("a", Value::Str("1".into())),
            entry("d", Value::Null),
            entry("e", Value::Bool(true)),
        ]);
        assert_eq!(
            doc.scalars(&v, ["a", "b", "c", "d", "e"]),
            Ok([Some("1"), Some("2"), None, None, Some("true")])
        );
        let twice = Value::Map(vec![
            entry("a", Value::Str("1".into())),
            entry("a", Value::Null),
        ]);
        assert_eq!(
            doc.scalars(&twice, ["a"]),
            Err("malformed x json: duplicate field `a`".into())
        );
        let nested = Value::Map(vec![entry("a", Value::List(vec![]))]);
        assert_eq!(
            doc.scalars(&nested, ["a"]),
            Err(
                "malformed x json: expected a string, number or boolean in `a`, found an array"
                    .into()
            )
        );
        let xml = Doc { xml: true, ..doc };
        assert_eq!(
            xml.scalars(&Value::Str("t".into()), ["a"]),
            Err("malformed <x>: expected child elements, found text".into())
        );
        assert_eq!(
            xml.scalars(&Value::Map(vec![entry("a", Value::Map(vec![]))]), ["a"]),
            Err("malformed <x>: expected text in `a`, found child elements".into())
        );
        assert_eq!(doc.scalars(&Value::Empty, ["a"]), Ok([None]));
    }

    #[test]
    fn lists_take_one_or_many() {
        let entry = |k: &str, v: Value| (k.to_string(), v);
        let fields = vec![
            entry("x", Value::Str("1".into())),
            entry("y", Value::Str("skip".into())),
            entry(
                "x",
                Value::List(vec![Value::Str("2".into()), Value::Str("3".into())]),
            ),
            entry("x", Value::Null),
        ];
        let texts: Vec<_> = all(&fields, "x")
            .into_iter()
            .filter_map(Value::as_text)
            .collect();
        assert_eq!(texts, ["1", "2", "3"]);
    }
}
