//! Ingest batches: reading records (CSV, XML, JSON, ZIP manifests), applying
//! insert/update/upsert/delete/hardDelete to the store, and rendering the results.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read as _};
use std::time::SystemTime;

use serde_json::Value;

use super::model::Operation;
use super::store::{
    Record, Store, Table, id15, is_known_field, parse_relationship, required_fields,
};
use super::wire::{
    DataFormat, JsonResultDoc, NS, ResultErrorDoc, ResultsDoc, XmlResultDoc, xml_document,
};
use super::xml;

/// A value read from a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldValue {
    Set(String),
    /// `#N/A` in CSV, `xsi:nil="true"` in XML, `null` in JSON.
    Null,
    /// Empty: leave the field unchanged.
    Unchanged,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InputRecord {
    pub fields: Vec<(String, FieldValue)>,
    /// An error found while reading the record (it is then not applied).
    pub error: Option<ResultErrorDoc>,
}

/// The result of one record, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordResult {
    pub id: Option<String>,
    pub success: bool,
    pub created: bool,
    pub errors: Vec<ResultErrorDoc>,
}

impl RecordResult {
    fn ok(id: String, created: bool) -> RecordResult {
        RecordResult {
            id: Some(id),
            success: true,
            created,
            errors: Vec::new(),
        }
    }

    fn failed(error: ResultErrorDoc) -> RecordResult {
        RecordResult {
            id: None,
            success: false,
            created: false,
            errors: vec![error],
        }
    }
}

fn record_error(status_code: &str, message: impl Into<String>, fields: &[&str]) -> ResultErrorDoc {
    ResultErrorDoc {
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        message: message.into(),
        status_code: status_code.to_owned(),
    }
}

/// Reads the records of a batch body; `Err` is the `stateMessage` of a failed batch.
pub(crate) fn parse(bytes: &[u8], format: DataFormat) -> Result<Vec<InputRecord>, String> {
    match format {
        DataFormat::Csv => parse_csv(bytes),
        DataFormat::Xml => parse_xml(bytes),
        DataFormat::Json => parse_json(bytes),
    }
}

fn parse_csv(bytes: &[u8]) -> Result<Vec<InputRecord>, String> {
    // Quotes pair up in valid CSV; the csv crate would accept a dangling one.
    if bytes.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        return Err(
            "InvalidBatch : Failed to parse CSV: found an unescaped or unterminated quote".into(),
        );
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let mut headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("InvalidBatch : Failed to parse CSV header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    // csv strips a UTF-8 BOM; Salesforce reads it as part of the first column name.
    if bytes.starts_with(b"\xEF\xBB\xBF")
        && let Some(first) = headers.first_mut()
    {
        first.insert(0, '\u{feff}');
    }
    if headers.iter().all(String::is_empty) {
        return Err("InvalidBatch : Failed to parse CSV header: no columns".into());
    }
    let mut seen = HashSet::new();
    for header in &headers {
        if !is_known_field(header) {
            return Err(format!("InvalidBatch : Field name not found : {header}"));
        }
        if !seen.insert(header.to_ascii_lowercase()) {
            return Err(format!("InvalidBatch : Duplicate field name: {header}"));
        }
    }
    reader
        .records()
        .map(|row| {
            let row = row.map_err(|e| format!("InvalidBatch : Failed to parse CSV: {e}"))?;
            let fields = headers
                .iter()
                .zip(row.iter())
                .map(|(name, value)| {
                    let value = match value {
                        "" => FieldValue::Unchanged,
                        "#N/A" => FieldValue::Null,
                        other => FieldValue::Set(other.to_owned()),
                    };
                    (name.clone(), value)
                })
                .collect();
            Ok(InputRecord {
                fields,
                error: None,
            })
        })
        .collect()
}

fn parse_xml(bytes: &[u8]) -> Result<Vec<InputRecord>, String> {
    let root = xml::parse(bytes).map_err(|e| format!("InvalidBatch : Failed to parse XML: {e}"))?;
    if root.name != "sObjects" {
        return Err(format!(
            "InvalidBatch : Failed to parse XML: expected root element sObjects, found {}",
            root.name
        ));
    }
    Ok(root
        .children
        .iter()
        .map(|record| {
            if record.name != "sObject" {
                return InputRecord {
                    fields: Vec::new(),
                    error: Some(record_error(
                        "INVALID_FIELD",
                        format!("Unexpected element {{{NS}}}{}", record.name),
                        &[],
                    )),
                };
            }
            let mut fields = Vec::new();
            for field in &record.children {
                match field.children.iter().find(|c| c.name == "sObject") {
                    Some(parent) => {
                        let hint = parent.children.iter().find(|c| c.name == "type");
                        for key in parent.children.iter().filter(|c| c.name != "type") {
                            let name = relationship_name(
                                hint.map(|h| h.text.trim()),
                                &field.name,
                                &key.name,
                            );
                            fields.push((name, xml_value(key)));
                        }
                    }
                    None => fields.push((field.name.clone(), xml_value(field))),
                }
            }
            InputRecord {
                fields,
                error: None,
            }
        })
        .collect())
}

fn xml_value(element: &xml::Element) -> FieldValue {
    if element.nil {
        FieldValue::Null
    } else if element.text.is_empty() {
        FieldValue::Unchanged
    } else {
        FieldValue::Set(element.text.clone())
    }
}

fn relationship_name(type_hint: Option<&str>, rel: &str, field: &str) -> String {
    match type_hint {
        Some(hint) if !hint.is_empty() => format!("{hint}:{rel}.{field}"),
        _ => format!("{rel}.{field}"),
    }
}

fn parse_json(bytes: &[u8]) -> Result<Vec<InputRecord>, String> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("InvalidBatch : Failed to parse JSON: {e}"))?;
    let Value::Array(items) = value else {
        return Err("InvalidBatch : Failed to parse JSON: expected an array of records".into());
    };
    Ok(items.iter().map(json_record).collect())
}

fn json_record(item: &Value) -> InputRecord {
    let Value::Object(map) = item else {
        return InputRecord {
            fields: Vec::new(),
            error: Some(record_error(
                "INVALID_FIELD",
                "record is not a JSON object",
                &[],
            )),
        };
    };
    let mut fields = Vec::new();
    for (name, value) in map {
        if name == "attributes" {
            continue;
        }
        match value {
            Value::Object(parent) => {
                let hint = parent
                    .get("attributes")
                    .and_then(|a| a.get("type"))
                    .and_then(Value::as_str);
                for (key, value) in parent.iter().filter(|(k, _)| *k != "attributes") {
                    let Some(value) = json_scalar(value) else {
                        return invalid_json_value(name);
                    };
                    fields.push((relationship_name(hint, name, key), value));
                }
            }
            other => match json_scalar(other) {
                Some(value) => fields.push((name.clone(), value)),
                None => return invalid_json_value(name),
            },
        }
    }
    InputRecord {
        fields,
        error: None,
    }
}

fn invalid_json_value(name: &str) -> InputRecord {
    InputRecord {
        fields: Vec::new(),
        error: Some(record_error(
            "INVALID_FIELD",
            format!("Cannot deserialize value of field {name}"),
            &[name],
        )),
    }
}

fn json_scalar(value: &Value) -> Option<FieldValue> {
    Some(match value {
        Value::Null => FieldValue::Null,
        Value::String(s) if s.is_empty() => FieldValue::Unchanged,
        Value::String(s) => FieldValue::Set(s.clone()),
        Value::Bool(b) => FieldValue::Set(b.to_string()),
        Value::Number(n) => FieldValue::Set(n.to_string()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// Limits of binary-attachment batches.
const MAX_ZIP_FILES: usize = 1_000;
const MAX_UNZIPPED_BYTES: u64 = 20 * 1024 * 1024;

/// Fields whose value, in a ZIP batch, names a file of the archive (`#path`).
const BINARY_FIELDS: &[(&str, &str)] = &[("Body", "BodyLength"), ("VersionData", "ContentSize")];

/// Reads a ZIP batch: `request.txt` (the manifest, in `format`) plus the files it references.
/// A binary field becomes its length field (`Body` → `BodyLength`); a bad reference fails
/// that record with `INVALID_FIELD`.
pub(crate) fn parse_zip(bytes: &[u8], format: DataFormat) -> Result<Vec<InputRecord>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("InvalidBatch : Failed to read zip file: {e}"))?;
    let mut entries: HashMap<String, (bool, u64)> = HashMap::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("InvalidBatch : Failed to read zip file: {e}"))?;
        let name = entry.name().trim_end_matches('/').to_owned();
        entries.insert(name, (entry.is_dir(), entry.size()));
    }
    let files = entries.values().filter(|(dir, _)| !dir).count();
    if files > MAX_ZIP_FILES {
        return Err(format!(
            "InvalidBatch : The zip file contains more than {MAX_ZIP_FILES} files"
        ));
    }
    let unzipped: u64 = entries.values().map(|(_, size)| size).sum();
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(format!(
            "InvalidBatch : The total size of the unzipped files exceeds {MAX_UNZIPPED_BYTES} bytes"
        ));
    }
    let manifest = match entries.get("request.txt") {
        Some((false, _)) => {
            let mut file = archive
                .by_name("request.txt")
                .map_err(|e| format!("InvalidBatch : Failed to read request.txt: {e}"))?;
            let mut manifest = Vec::new();
            // Sizes in the zip directory may lie: never inflate more than the limit.
            file.by_ref()
                .take(MAX_UNZIPPED_BYTES)
                .read_to_end(&mut manifest)
                .map_err(|e| format!("InvalidBatch : Failed to read request.txt: {e}"))?;
            manifest
        }
        Some((true, _)) => return Err("InvalidBatch : request.txt is a directory".into()),
        None => {
            return Err(
                "InvalidBatch : The zip file does not contain request.txt at its root".into(),
            );
        }
    };
    let mut records = parse(&manifest, format)?;
    for record in records.iter_mut().filter(|r| r.error.is_none()) {
        if let Err(error) = resolve_attachments(record, &entries) {
            record.error = Some(error);
        }
    }
    Ok(records)
}

fn resolve_attachments(
    record: &mut InputRecord,
    entries: &HashMap<String, (bool, u64)>,
) -> Result<(), ResultErrorDoc> {
    let mut lengths = Vec::new();
    for (name, value) in &mut record.fields {
        let Some((field, length_field)) = BINARY_FIELDS
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let FieldValue::Set(reference) = value else {
            continue;
        };
        let Some(path) = reference.strip_prefix('#') else {
            return Err(record_error(
                "INVALID_FIELD",
                format!("The value of {field} must reference a file of the zip as #path"),
                &[field],
            ));
        };
        match entries.get(path.trim_start_matches('/')) {
            Some((false, size)) => lengths.push(((*length_field).to_owned(), size.to_string())),
            Some((true, _)) => {
                return Err(record_error(
                    "INVALID_FIELD",
                    format!("Binary attachment {path} is a directory"),
                    &[field],
                ));
            }
            None => {
                return Err(record_error(
                    "INVALID_FIELD",
                    format!("Unable to find binary attachment {path} in the zip file"),
                    &[field],
                ));
            }
        }
    }
    record.fields.retain(|(name, _)| {
        !BINARY_FIELDS
            .iter()
            .any(|(f, _)| f.eq_ignore_ascii_case(name))
    });
    record.fields.extend(
        lengths
            .into_iter()
            .map(|(name, size)| (name, FieldValue::Set(size))),
    );
    Ok(())
}

/// Applies `records` to the store, in order.
pub(crate) fn apply(
    store: &mut Store,
    operation: Operation,
    object: &str,
    external_id: Option<&str>,
    records: Vec<InputRecord>,
    at: SystemTime,
) -> Vec<RecordResult> {
    records
        .into_iter()
        .map(|record| {
            apply_one(store, operation, object, external_id, record, at)
                .unwrap_or_else(RecordResult::failed)
        })
        .collect()
}

fn apply_one(
    store: &mut Store,
    operation: Operation,
    object: &str,
    external_id: Option<&str>,
    record: InputRecord,
    at: SystemTime,
) -> Result<RecordResult, ResultErrorDoc> {
    if let Some(error) = record.error {
        return Err(error);
    }
    if let Some((name, _)) = record.fields.iter().find(|(n, _)| !is_known_field(n)) {
        return Err(record_error(
            "INVALID_FIELD",
            format!("No such column '{name}' on entity '{object}'"),
            &[name.as_str()],
        ));
    }
    let id = record.fields.iter().find_map(|(name, value)| match value {
        FieldValue::Set(v) if name.eq_ignore_ascii_case("Id") => Some(v.clone()),
        _ => None,
    });
    let fields = resolve_relationships(store, record.fields)?;
    match operation {
        Operation::Insert => {
            if id.is_some() {
                return Err(record_error(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    &["Id"],
                ));
            }
            insert(store, object, fields, at)
        }
        Operation::Update => {
            let id = id.ok_or_else(|| {
                record_error(
                    "MISSING_ARGUMENT",
                    "Id not specified in an update call",
                    &[],
                )
            })?;
            update(store, object, &id, fields, at)
        }
        Operation::Upsert => upsert(store, object, external_id.unwrap_or("Id"), id, fields, at),
        Operation::Delete | Operation::HardDelete => {
            let id = id.ok_or_else(|| {
                record_error("MISSING_ARGUMENT", "Id not specified in a delete call", &[])
            })?;
            delete(store, object, &id, operation == Operation::HardDelete, at)
        }
        Operation::Query | Operation::QueryAll => Err(record_error(
            "INVALID_OPERATION",
            "records cannot be loaded into a query job",
            &[],
        )),
    }
}

/// Replaces `[Type:]Rel.Field` references by the parent's id in the lookup field.
fn resolve_relationships(
    store: &Store,
    fields: Vec<(String, FieldValue)>,
) -> Result<Vec<(String, FieldValue)>, ResultErrorDoc> {
    fields
        .into_iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("Id"))
        .map(|(name, value)| {
            let Some(reference) = parse_relationship(&name) else {
                return Ok((name, value));
            };
            let lookup = reference.lookup_field();
            let FieldValue::Set(key) = value else {
                return Ok((lookup, value));
            };
            let wanted = reference.type_hint.unwrap_or(reference.rel);
            let tables: Vec<&Table> = match store.table(wanted) {
                Some(table) => vec![table],
                None => store.tables().collect(),
            };
            let candidates: Vec<&str> = tables
                .into_iter()
                .flat_map(|t| t.records.values())
                .filter(|r| !r.deleted)
                .filter(|r| {
                    if reference.field.eq_ignore_ascii_case("Id") {
                        id15(&r.id) == id15(&key)
                    } else {
                        r.get(reference.field).as_deref() == Some(key.as_str())
                    }
                })
                .map(|r| r.id.as_str())
                .collect();
            match candidates.as_slice() {
                [id] => Ok((lookup, FieldValue::Set((*id).to_owned()))),
                [] => Err(record_error(
                    "INVALID_FIELD",
                    format!(
                        "Foreign key external ID: {key} not found for field {} in entity {}",
                        reference.field, wanted
                    ),
                    &[name.as_str()],
                )),
                _ => Err(record_error(
                    "INVALID_FIELD",
                    format!(
                        "Foreign key external ID: {key} matches more than one record for field {}",
                        reference.field
                    ),
                    &[name.as_str()],
                )),
            }
        })
        .collect()
}

fn missing_required(object: &str, has_value: impl Fn(&str) -> bool) -> Result<(), ResultErrorDoc> {
    let missing: Vec<&str> = required_fields(object)
        .iter()
        .copied()
        .filter(|f| !has_value(f))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(record_error(
        "REQUIRED_FIELD_MISSING",
        format!("Required fields are missing: [{}]", missing.join(", ")),
        &missing,
    ))
}

fn insert(
    store: &mut Store,
    object: &str,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, ResultErrorDoc> {
    let values: Vec<(String, Option<String>)> = fields
        .into_iter()
        .filter_map(|(name, value)| match value {
            FieldValue::Set(v) => Some((name, Some(v))),
            FieldValue::Null => Some((name, None)),
            FieldValue::Unchanged => None,
        })
        .collect();
    missing_required(object, |f| {
        values
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(f) && v.as_deref().is_some_and(|v| !v.is_empty()))
    })?;
    let id = store.insert(object, values, at);
    Ok(RecordResult::ok(id, true))
}

fn update(
    store: &mut Store,
    object: &str,
    id: &str,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, ResultErrorDoc> {
    let record = live_record(store, object, id)?;
    missing_required(object, |f| {
        match fields.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
            Some((_, FieldValue::Set(v))) => !v.is_empty(),
            Some((_, FieldValue::Null)) => false,
            Some((_, FieldValue::Unchanged)) | None => record.has_value(f),
        }
    })?;
    for (name, value) in fields {
        match value {
            FieldValue::Set(v) => record.set(&name, Some(v)),
            FieldValue::Null => record.set(&name, None),
            FieldValue::Unchanged => {}
        }
    }
    record.modified = at;
    Ok(RecordResult::ok(record.id.clone(), false))
}

fn live_record<'a>(
    store: &'a mut Store,
    object: &str,
    id: &str,
) -> Result<&'a mut Record, ResultErrorDoc> {
    match store.get_mut(object, id) {
        Some(record) if record.deleted => {
            Err(record_error("ENTITY_IS_DELETED", "entity is deleted", &[]))
        }
        Some(record) => Ok(record),
        None => Err(record_error(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &[],
        )),
    }
}

fn upsert(
    store: &mut Store,
    object: &str,
    external_id: &str,
    id: Option<String>,
    fields: Vec<(String, FieldValue)>,
    at: SystemTime,
) -> Result<RecordResult, ResultErrorDoc> {
    if external_id.eq_ignore_ascii_case("Id") {
        return match id {
            Some(id) => update(store, object, &id, fields, at),
            None => insert(store, object, fields, at),
        };
    }
    let key = fields.iter().find_map(|(name, value)| match value {
        FieldValue::Set(v) if name.eq_ignore_ascii_case(external_id) => Some(v.clone()),
        _ => None,
    });
    let Some(key) = key else {
        return Err(record_error(
            "MISSING_ARGUMENT",
            format!("{external_id} not specified"),
            &[external_id],
        ));
    };
    let matches: Vec<String> = store.table(object).map_or_else(Vec::new, |t| {
        t.records
            .values()
            .filter(|r| !r.deleted && r.get(external_id).as_deref() == Some(key.as_str()))
            .map(|r| r.id.clone())
            .collect()
    });
    match matches.as_slice() {
        [] => insert(store, object, fields, at),
        [id] => update(store, object, id, fields, at),
        ids => Err(record_error(
            "DUPLICATE_EXTERNAL_ID",
            format!(
                "{external_id}: more than one record found for external id field: [{}]",
                ids.join(", ")
            ),
            &[external_id],
        )),
    }
}

fn delete(
    store: &mut Store,
    object: &str,
    id: &str,
    hard: bool,
    at: SystemTime,
) -> Result<RecordResult, ResultErrorDoc> {
    let record = match store.get_mut(object, id) {
        Some(record) if record.deleted && !hard => {
            return Err(record_error("ENTITY_IS_DELETED", "entity is deleted", &[]));
        }
        Some(record) => record,
        None => {
            return Err(record_error(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                &[],
            ));
        }
    };
    let id = record.id.clone();
    if hard {
        store.remove(object, &id);
    } else {
        record.deleted = true;
        record.modified = at;
    }
    Ok(RecordResult::ok(id, false))
}

/// Ingest results in the job's data format: `(media type, body)`.
pub(crate) fn render_results(
    results: &[RecordResult],
    format: DataFormat,
    pretty: bool,
) -> Result<(&'static str, Vec<u8>), String> {
    let body = match format {
        DataFormat::Csv => results_csv(results).map_err(|e| e.to_string())?,
        DataFormat::Xml => {
            let doc = ResultsDoc {
                xmlns: NS,
                result: results
                    .iter()
                    .map(|r| XmlResultDoc {
                        errors: &r.errors,
                        id: r.id.as_deref(),
                        success: r.success,
                        created: r.created,
                    })
                    .collect(),
            };
            xml_document("results", &doc)?
        }
        DataFormat::Json => {
            let doc: Vec<JsonResultDoc<'_>> = results
                .iter()
                .map(|r| JsonResultDoc {
                    success: r.success,
                    created: r.created,
                    id: r.id.as_deref(),
                    errors: &r.errors,
                })
                .collect();
            let body = if pretty {
                serde_json::to_vec_pretty(&doc)
            } else {
                serde_json::to_vec(&doc)
            };
            body.map_err(|e| e.to_string())?
        }
    };
    Ok((format.media_type(), body))
}

/// `"Id","Success","Created","Error"`, every value quoted; errors as
/// `STATUS_CODE:message:fields --`.
fn results_csv(results: &[RecordResult]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(["Id", "Success", "Created", "Error"])?;
    for result in results {
        let error: Vec<String> = result
            .errors
            .iter()
            .map(|e| {
                let fields = if e.fields.is_empty() {
                    "--".to_owned()
                } else {
                    format!("{} --", e.fields.join(","))
                };
                format!("{}:{}:{fields}", e.status_code, e.message)
            })
            .collect();
        writer.write_record([
            result.id.as_deref().unwrap_or(""),
            if result.success { "true" } else { "false" },
            if result.created { "true" } else { "false" },
            &error.join(" "),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_values_and_bom() {
        let records = parse(b"Name,Description\nA,#N/A\nB,\n", DataFormat::Csv).unwrap();
        assert_eq!(records[0].fields[1].1, FieldValue::Null);
        assert_eq!(records[1].fields[1].1, FieldValue::Unchanged);
        let err = parse(b"\xEF\xBB\xBFName\nA\n", DataFormat::Csv).unwrap_err();
        assert_eq!(err, "InvalidBatch : Field name not found : \u{feff}Name");
        let err = parse(b"Name,Bogus__c\nA,b\n", DataFormat::Csv).unwrap_err();
        assert_eq!(err, "InvalidBatch : Field name not found : Bogus__c");
    }

    #[test]
    fn xml_relationship_and_nil() {
        let body = br#"<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sObject><LastName>X</LastName><Email xsi:nil="true"/><Who><sObject><type>Lead</type><Email>l@x</Email></sObject></Who></sObject></sObjects>"#;
        let records = parse(body, DataFormat::Xml).unwrap();
        assert_eq!(
            records[0].fields,
            vec![
                ("LastName".to_owned(), FieldValue::Set("X".into())),
                ("Email".to_owned(), FieldValue::Null),
                ("Lead:Who.Email".to_owned(), FieldValue::Set("l@x".into())),
            ]
        );
    }

    #[test]
    fn csv_results_shape() {
        let results = vec![
            RecordResult::ok("003x".into(), true),
            RecordResult::failed(record_error(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"],
            )),
        ];
        let (media, body) = render_results(&results, DataFormat::Csv, false).unwrap();
        assert_eq!(media, "text/csv");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "\"Id\",\"Success\",\"Created\",\"Error\"\n\"003x\",\"true\",\"true\",\"\"\n\"\",\"false\",\"false\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --\"\n"
        );
    }
}
