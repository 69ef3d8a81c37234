//! JSON: control documents and results read with serde_json into the shared wire structs,
//! record batches written with a streaming `Serialize` over the field tree (field order kept).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::model::{BatchInfo, BatchResults, FieldValue, JobInfo, RecordResult};

use super::control::{self, BatchInfoWire, ErrorWire, JobInfoWire, Scalar};
use super::records::Node;

/// What a JSON text starts with, for error messages.
fn describe_start(text: &str) -> &'static str {
    match text.trim_start().bytes().next() {
        None => "nothing",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'<') => "xml",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(_) => "something else",
    }
}

fn starts_with(text: &str, byte: u8) -> bool {
    text.trim_start().as_bytes().first() == Some(&byte)
}

/// Deserialises a JSON object (serde would also take an array for a struct: refused here).
fn parse_object<'de, W: Deserialize<'de>>(text: &'de str, what: &str) -> Result<W, String> {
    if !starts_with(text, b'{') {
        return Err(format!(
            "expected a {what} json object, found {}",
            describe_start(text)
        ));
    }
    serde_json::from_str(text).map_err(|e| format!("malformed {what} json: {e}"))
}

pub(crate) fn parse_job_info(text: &str) -> Result<JobInfo, String> {
    parse_object::<JobInfoWire<Scalar>>(text, "jobInfo")?.into_model()
}

pub(crate) fn parse_batch_info(text: &str) -> Result<BatchInfo, String> {
    parse_object::<BatchInfoWire<Scalar>>(text, "batchInfo")?.into_model()
}

#[derive(Deserialize)]
struct BatchListJson {
    #[serde(rename = "batchInfo")]
    batch_info: Option<OneOrMany<BatchInfoWire<Scalar>>>,
}

pub(crate) fn parse_batch_list(text: &str) -> Result<Vec<BatchInfo>, String> {
    let items = if starts_with(text, b'[') {
        serde_json::from_str::<Vec<BatchInfoWire<Scalar>>>(text)
            .map_err(|e| format!("malformed batchInfo list json: {e}"))?
    } else {
        parse_object::<BatchListJson>(text, "batchInfo list")?
            .batch_info
            .map(|b| b.0)
            .unwrap_or_default()
    };
    control::batch_list(items)
}

pub(crate) fn parse_error(text: &str) -> Option<(String, String)> {
    parse_object::<ErrorWire<Scalar>>(text, "error")
        .ok()?
        .into_pair()
}

/// One value or an array of values; `null` is none.
pub(crate) struct OneOrMany<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("one value or an array of values")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|one| OneOrMany(vec![one]))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::<E>::new(v))
                    .map(|one| OneOrMany(vec![one]))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
        }

        d.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

/// An item of a result array: a query result id or an ingest result object.
enum ResultItem {
    Id(String),
    Record(ResultJson),
}

impl<'de> Deserialize<'de> for ResultItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;

        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = ResultItem;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a result object or a result id string")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ResultItem, E> {
                Ok(ResultItem::Id(v.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ResultItem, A::Error> {
                ResultJson::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ResultItem::Record)
            }
        }

        d.deserialize_any(ItemVisitor)
    }
}

#[derive(Deserialize)]
struct ResultJson {
    id: Option<Scalar>,
    success: Option<Scalar>,
    created: Option<Scalar>,
    errors: Option<OneOrMany<ErrorJson>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorJson {
    fields: Option<OneOrMany<String>>,
    message: Option<Scalar>,
    status_code: Option<Scalar>,
}

pub(crate) fn parse_batch_results(text: &str) -> Result<BatchResults, String> {
    if !starts_with(text, b'[') {
        return Err(format!(
            "expected a json array of results or result ids, found {}",
            describe_start(text)
        ));
    }
    let items: Vec<ResultItem> =
        serde_json::from_str(text).map_err(|e| format!("malformed result json: {e}"))?;
    if matches!(items.first(), Some(ResultItem::Id(_))) {
        let ids = items.into_iter().enumerate().map(|(i, item)| match item {
            ResultItem::Id(id) => Ok(id.trim().to_string()),
            ResultItem::Record(_) => Err(format!(
                "result {}: expected a result id string like the first item, found an object",
                i + 1
            )),
        });
        return ids
            .filter(|id| !matches!(id, Ok(s) if s.is_empty()))
            .collect::<Result<_, _>>()
            .map(BatchResults::Query);
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            ResultItem::Record(r) => ingest_result(r).map_err(|e| format!("result {}: {e}", i + 1)),
            ResultItem::Id(_) => Err(format!(
                "result {}: expected a result object like the first item, found a string",
                i + 1
            )),
        })
        .collect::<Result<Vec<RecordResult>, String>>()
        .map(BatchResults::Ingest)
}

fn ingest_result(r: ResultJson) -> Result<RecordResult, String> {
    let errors = r
        .errors
        .map(|e| e.0)
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let fields = e
                .fields
                .map(|f| f.0)
                .unwrap_or_default()
                .into_iter()
                .map(Scalar);
            control::record_error(e.status_code, e.message, fields)
        })
        .collect();
    control::record_result(r.id, &r.success, &r.created, errors)
}

/// The records as a JSON array of objects, in field order.
pub(crate) fn write_records(
    tree: &[(&str, Node)],
    rows: &[Vec<FieldValue>],
) -> Result<Vec<u8>, String> {
    serde_json::to_vec(&JsonRows { tree, rows })
        .map_err(|e| format!("cannot write records json: {e}"))
}

struct JsonRows<'a> {
    tree: &'a [(&'a str, Node<'a>)],
    rows: &'a [Vec<FieldValue>],
}

impl Serialize for JsonRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&JsonRecord {
                tree: self.tree,
                row,
            })?;
        }
        seq.end()
    }
}

struct JsonRecord<'a> {
    tree: &'a [(&'a str, Node<'a>)],
    row: &'a [FieldValue],
}

impl Serialize for JsonRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.tree.len()))?;
        for (name, node) in self.tree {
            match node {
                Node::Parent(children) => map.serialize_entry(
                    name,
                    &JsonRecord {
                        tree: children,
                        row: self.row,
                    },
                )?,
                Node::Value(column) => {
                    let value = self.row.get(*column).unwrap_or(&FieldValue::Null);
                    map.serialize_entry(name, &JsonValue(value))?;
                }
            }
        }
        map.end()
    }
}

struct JsonValue<'a>(&'a FieldValue);

/// The largest integer a double holds exactly (2^53).
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            FieldValue::Null => s.serialize_unit(),
            FieldValue::Text(t) => s.serialize_str(t),
            FieldValue::Boolean(b) => s.serialize_bool(*b),
            FieldValue::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INT => {
                s.serialize_i64(*n as i64)
            }
            FieldValue::Number(n) => s.serialize_f64(*n),
        }
    }
}
