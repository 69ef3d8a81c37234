//! Query execution over the store and the query result files (CSV, XML `<queryResult>`, JSON).

use std::cmp::Ordering;

use quick_xml::Writer;
use quick_xml::events::{BytesStart, BytesText, Event};
use serde::Serialize;
use serde::ser::SerializeMap as _;

use super::model::IdRange;
use super::soql::{CmpOp, Expr, Literal, OrderKey, Soql};
use super::store::{Record, Store, id15, is_known_field, is_known_name, parse_relationship};
use super::wire::{DataFormat, NS, XSI, parse_datetime_millis, xml_declaration};

/// Body of an empty CSV query result on the real service.
pub(crate) const CSV_NO_RECORDS: &str = "Records not found for this query";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryRow {
    pub id: String,
    pub values: Vec<Option<String>>,
}

#[derive(Debug)]
pub(crate) struct QueryResult {
    pub object: String,
    pub fields: Vec<String>,
    pub rows: Vec<QueryRow>,
}

/// Runs `soql` for a job on `job_object`; `Err` is the detail of `Failed to process query: …`.
pub(crate) fn execute(
    store: &Store,
    job_object: &str,
    soql: &Soql,
    include_deleted: bool,
    range: Option<&IdRange>,
) -> Result<QueryResult, String> {
    if !is_known_name(&soql.object) {
        return Err(format!(
            "INVALID_TYPE: sObject type '{}' is not supported.",
            soql.object
        ));
    }
    if !soql.object.eq_ignore_ascii_case(job_object) {
        return Err(format!(
            "INVALID_TYPE_FOR_OPERATION: The root entity of the requested query ({}) does not match the entity of the requested Bulk API Job ({job_object}).",
            soql.object
        ));
    }
    let referenced = soql
        .fields
        .iter()
        .map(String::as_str)
        .chain(soql.filter.iter().flat_map(Expr::fields))
        .chain(soql.order.iter().map(|k| k.field.as_str()));
    for field in referenced {
        if !is_known_field(field) {
            return Err(format!(
                "INVALID_FIELD: No such column '{field}' on entity '{}'.",
                soql.object
            ));
        }
    }
    let Some(table) = store.table(&soql.object) else {
        return Ok(QueryResult {
            object: soql.object.clone(),
            fields: soql.fields.clone(),
            rows: Vec::new(),
        });
    };
    let mut records: Vec<&Record> = table
        .records
        .iter()
        .filter(|(key, _)| range.is_none_or(|r| r.contains(key)))
        .map(|(_, record)| record)
        .filter(|r| include_deleted || !r.deleted)
        .filter(|r| soql.filter.as_ref().is_none_or(|f| matches(store, r, f)))
        .collect();
    if !soql.order.is_empty() {
        let mut keyed: Vec<(Vec<Option<String>>, &Record)> = records
            .into_iter()
            .map(|r| {
                let keys = soql
                    .order
                    .iter()
                    .map(|k| value(store, r, &k.field))
                    .collect();
                (keys, r)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            soql.order
                .iter()
                .zip(a.iter().zip(b))
                .map(|(key, (x, y))| order_values(x.as_deref(), y.as_deref(), key))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        records = keyed.into_iter().map(|(_, r)| r).collect();
    }
    if let Some(limit) = soql.limit {
        records.truncate(limit);
    }
    let rows = records
        .into_iter()
        .map(|record| QueryRow {
            id: record.id.clone(),
            values: soql
                .fields
                .iter()
                .map(|f| value(store, record, f))
                .collect(),
        })
        .collect();
    Ok(QueryResult {
        object: table.name.clone(),
        fields: soql.fields.clone(),
        rows,
    })
}

/// A field of a record; `Rel.Field` follows the lookup field to the parent record.
fn value(store: &Store, record: &Record, field: &str) -> Option<String> {
    match parse_relationship(field) {
        None => record.get(field),
        Some(reference) => {
            let parent_id = record.get(&reference.lookup_field())?;
            let (_, parent) = store.find_by_id(&parent_id)?;
            parent.get(reference.field)
        }
    }
}

/// One ORDER BY key: nulls first unless `NULLS LAST` (the default for `DESC`).
fn order_values(x: Option<&str>, y: Option<&str>, key: &OrderKey) -> Ordering {
    match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) if key.nulls_last => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) if key.nulls_last => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) if key.descending => compare_values(x, y).reverse(),
        (Some(x), Some(y)) => compare_values(x, y),
    }
}

/// Numbers compare as numbers, dates as instants, everything else case-insensitively.
fn compare_values(x: &str, y: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (x.parse::<f64>(), y.parse::<f64>()) {
        return a.partial_cmp(&b).unwrap_or(Ordering::Equal);
    }
    if let (Some(a), Some(b)) = (parse_datetime_millis(x), parse_datetime_millis(y)) {
        return a.cmp(&b);
    }
    x.to_lowercase().cmp(&y.to_lowercase())
}

fn matches(store: &Store, record: &Record, expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) => matches(store, record, a) && matches(store, record, b),
        Expr::Or(a, b) => matches(store, record, a) || matches(store, record, b),
        Expr::Not(inner) => !matches(store, record, inner),
        Expr::Compare {
            field,
            op,
            value: literal,
        } => compare(value(store, record, field).as_deref(), field, *op, literal),
        Expr::In {
            field,
            values,
            negated,
        } => {
            let actual = value(store, record, field);
            let found = values
                .iter()
                .any(|v| compare(actual.as_deref(), field, CmpOp::Eq, v));
            found != *negated
        }
        Expr::Like {
            field,
            pattern,
            negated,
        } => {
            let actual = value(store, record, field);
            let found = actual.is_some_and(|v| like(&v.to_lowercase(), &pattern.to_lowercase()));
            found != *negated
        }
    }
}

fn compare(actual: Option<&str>, field: &str, op: CmpOp, literal: &Literal) -> bool {
    let Some(actual) = actual else {
        // SOQL: null = null is true, null != 'x' is true, any ordering with null is false.
        return match op {
            CmpOp::Eq => *literal == Literal::Null,
            CmpOp::Ne => *literal != Literal::Null,
            _ => false,
        };
    };
    let ordering = match literal {
        Literal::Null => return op == CmpOp::Ne,
        Literal::Bool(b) => Some(actual.to_ascii_lowercase().cmp(&b.to_string())),
        Literal::Number(n) => actual.parse::<f64>().ok().and_then(|a| a.partial_cmp(n)),
        Literal::Date(d) => parse_datetime_millis(actual)
            .zip(parse_datetime_millis(d))
            .map(|(a, b)| a.cmp(&b)),
        Literal::Text(t) => {
            let is_id = field.eq_ignore_ascii_case("Id") || field.ends_with("Id");
            if is_id && matches!(actual.len(), 15 | 18) && matches!(t.len(), 15 | 18) {
                Some(id15(actual).cmp(id15(t)))
            } else {
                Some(actual.to_lowercase().cmp(&t.to_lowercase()))
            }
        }
    };
    let Some(ordering) = ordering else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }
}

/// SQL `LIKE` with `%` and `_` (both arguments already lower-cased).
fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // dp[j]: pattern[..i] matches text[..j]
    let mut dp = vec![false; text.len() + 1];
    dp[0] = true;
    for p in &pattern {
        let mut next = vec![false; text.len() + 1];
        match p {
            '%' => {
                let mut any = false;
                for j in 0..=text.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=text.len() {
                    next[j] = dp[j - 1] && (*p == '_' || *p == text[j - 1]);
                }
            }
        }
        dp = next;
    }
    dp[text.len()]
}

/// One result file in the job's data format: `(media type, body)`.
pub(crate) fn render(
    object: &str,
    fields: &[String],
    rows: &[QueryRow],
    format: DataFormat,
    api_version: &str,
    pretty: bool,
) -> Result<(&'static str, Vec<u8>), String> {
    let body = match format {
        DataFormat::Csv => render_csv(fields, rows).map_err(|e| e.to_string())?,
        DataFormat::Xml => render_xml(object, fields, rows).map_err(|e| e.to_string())?,
        DataFormat::Json => {
            let doc: Vec<JsonRecord<'_>> = rows
                .iter()
                .map(|row| JsonRecord {
                    object,
                    api_version,
                    fields,
                    row,
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

/// Header of the selected fields, then one row per record, every value quoted; no rows gives
/// the text `Records not found for this query`.
fn render_csv(fields: &[String], rows: &[QueryRow]) -> Result<Vec<u8>, csv::Error> {
    if rows.is_empty() {
        return Ok(CSV_NO_RECORDS.as_bytes().to_vec());
    }
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(fields)?;
    for row in rows {
        writer.write_record(row.values.iter().map(|v| v.as_deref().unwrap_or("")))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// `<queryResult>`: per row `<records xsi:type="sObject">` with `<type>`, the record `<Id>`
/// (nil when not selected), then the selected fields in order (nulls as `xsi:nil`).
fn render_xml(object: &str, fields: &[String], rows: &[QueryRow]) -> std::io::Result<Vec<u8>> {
    let selects_id = fields.iter().any(|f| f.eq_ignore_ascii_case("Id"));
    let mut writer = Writer::new(xml_declaration());
    let root = BytesStart::new("queryResult").with_attributes([("xmlns", NS), ("xmlns:xsi", XSI)]);
    writer.write_event(Event::Start(root.borrow()))?;
    for row in rows {
        writer
            .create_element("records")
            .with_attribute(("xsi:type", "sObject"))
            .write_inner_content(|w| {
                w.create_element("type")
                    .write_text_content(BytesText::new(object))?;
                if selects_id {
                    w.create_element("Id")
                        .write_text_content(BytesText::new(&row.id))?;
                } else {
                    w.create_element("Id")
                        .with_attribute(("xsi:nil", "true"))
                        .write_empty()?;
                }
                for (field, value) in fields.iter().zip(&row.values) {
                    match parse_relationship(field) {
                        Some(reference) => {
                            w.create_element(reference.rel)
                                .with_attribute(("xsi:type", "sObject"))
                                .write_inner_content(|w| {
                                    w.create_element("type")
                                        .write_text_content(BytesText::new(reference.rel))?;
                                    w.create_element("Id")
                                        .with_attribute(("xsi:nil", "true"))
                                        .write_empty()?;
                                    write_value(w, reference.field, value.as_deref())
                                })?;
                        }
                        None => write_value(w, field, value.as_deref())?,
                    }
                }
                Ok(())
            })?;
    }
    writer.write_event(Event::End(root.to_end()))?;
    Ok(writer.into_inner())
}

fn write_value(w: &mut Writer<Vec<u8>>, name: &str, value: Option<&str>) -> std::io::Result<()> {
    match value {
        Some(value) => w
            .create_element(name)
            .write_text_content(BytesText::new(value))?,
        None => w
            .create_element(name)
            .with_attribute(("xsi:nil", "true"))
            .write_empty()?,
    };
    Ok(())
}

/// A JSON query record: `attributes` (`type`, `url`), then the selected fields in order;
/// `Rel.Field` becomes a nested object.
struct JsonRecord<'a> {
    object: &'a str,
    api_version: &'a str,
    fields: &'a [String],
    row: &'a QueryRow,
}

#[derive(Serialize)]
struct Attributes {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

impl Serialize for JsonRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(
            "attributes",
            &Attributes {
                kind: self.object.to_owned(),
                url: format!(
                    "/services/data/v{}/sobjects/{}/{}",
                    self.api_version, self.object, self.row.id
                ),
            },
        )?;
        for (field, value) in self.fields.iter().zip(&self.row.values) {
            match parse_relationship(field) {
                Some(reference) => map.serialize_entry(
                    reference.rel,
                    &JsonParent {
                        rel: reference.rel,
                        field: reference.field,
                        value: value.as_deref(),
                    },
                )?,
                None => map.serialize_entry(field, value)?,
            }
        }
        map.end()
    }
}

struct JsonParent<'a> {
    rel: &'a str,
    field: &'a str,
    value: Option<&'a str>,
}

impl Serialize for JsonParent<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("attributes", &serde_json::json!({ "type": self.rel }))?;
        map.serialize_entry(self.field, &self.value)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("acme 12", "acme%"));
        assert!(like("acme 12", "%1_"));
        assert!(!like("acme", "b%"));
        assert!(like("", "%"));
    }

    #[test]
    fn csv_empty_and_quoted() {
        assert_eq!(
            render_csv(&["Id".into()], &[]).unwrap(),
            CSV_NO_RECORDS.as_bytes()
        );
        let rows = [QueryRow {
            id: "001".into(),
            values: vec![Some("001".into()), None],
        }];
        let body = render_csv(&["Id".into(), "Name".into()], &rows).unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "\"Id\",\"Name\"\n\"001\",\"\"\n"
        );
    }
}
