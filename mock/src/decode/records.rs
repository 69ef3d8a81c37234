//! The records of an ingest batch body (CSV, XML `<sObjects>`, JSON array), read but not
//! applied: values as sent, relationship references as `[Type:]Rel.Field`, per-record errors.

use std::collections::HashSet;

use serde_json::Value;

use crate::decode::xml_tree;
use crate::formats::{DataFormat, NS};
use crate::model::batch::RecordError;
use crate::schema::is_known_field;

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
    pub error: Option<RecordError>,
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
                .map(|(name, value)| (name.clone(), csv_value(value)))
                .collect();
            Ok(InputRecord {
                fields,
                error: None,
            })
        })
        .collect()
}

/// A CSV value: empty leaves the field unchanged, `#N/A` sets it null.
pub(crate) fn csv_value(value: &str) -> FieldValue {
    match value {
        "" => FieldValue::Unchanged,
        "#N/A" => FieldValue::Null,
        other => FieldValue::Set(other.to_owned()),
    }
}

fn parse_xml(bytes: &[u8]) -> Result<Vec<InputRecord>, String> {
    let root =
        xml_tree::parse(bytes).map_err(|e| format!("InvalidBatch : Failed to parse XML: {e}"))?;
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
                    error: Some(RecordError::new(
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

fn xml_value(element: &xml_tree::Element) -> FieldValue {
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
            error: Some(RecordError::new(
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
        error: Some(RecordError::new(
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
}
