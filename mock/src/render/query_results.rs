//! Query result files in the job's data format: CSV, XML `<queryResult>` or a JSON array of
//! records.

use quick_xml::Writer;
use quick_xml::events::{BytesStart, BytesText, Event};
use serde::Serialize;
use serde::ser::SerializeMap as _;

use crate::dialect::Dialect;
use crate::formats::{DataFormat, NS, XSI};
use crate::model::rows::{Row, Rows};
use crate::render::csv_out::CsvOut;
use crate::render::reply::xml_declaration;
use crate::schema::parse_relationship;

/// Body of an empty CSV query result on the real service.
pub(crate) const CSV_NO_RECORDS: &str = "Records not found for this query";

/// One result file in the job's data format: `(media type, body)`.
pub(crate) fn render(
    object: &str,
    fields: &[String],
    rows: &Rows,
    format: DataFormat,
    api_version: &str,
    pretty: bool,
) -> Result<(&'static str, Vec<u8>), String> {
    let body = match format {
        DataFormat::Csv => render_csv(fields, rows),
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

/// Header of the selected fields, then one row per record, every value quoted (nulls as `""`),
/// comma-separated, LF-terminated; no rows gives the text `Records not found for this query`.
fn render_csv(fields: &[String], rows: &Rows) -> Vec<u8> {
    if rows.is_empty() {
        return CSV_NO_RECORDS.as_bytes().to_vec();
    }
    // Values, a quote pair and a comma each, and a line ending per row (ids not written: a
    // little spare room).
    let capacity = rows.text_len() + rows.len() * 3 * (fields.len() + 1);
    let mut out = CsvOut::new(Dialect::DEFAULT, capacity);
    for field in fields {
        out.quoted(field);
    }
    out.end_line();
    for row in rows.iter() {
        for value in row.values() {
            out.quoted(value.unwrap_or_default());
        }
        out.end_line();
    }
    out.into_bytes()
}

/// `<queryResult>`: per row `<records xsi:type="sObject">` with `<type>`, the record `<Id>`
/// (nil when not selected), then the selected fields in order (nulls as `xsi:nil`).
fn render_xml(object: &str, fields: &[String], rows: &Rows) -> std::io::Result<Vec<u8>> {
    let selects_id = fields.iter().any(|f| f.eq_ignore_ascii_case("Id"));
    let mut writer = Writer::new(xml_declaration());
    let root = BytesStart::new("queryResult").with_attributes([("xmlns", NS), ("xmlns:xsi", XSI)]);
    writer.write_event(Event::Start(root.borrow()))?;
    for row in rows.iter() {
        writer
            .create_element("records")
            .with_attribute(("xsi:type", "sObject"))
            .write_inner_content(|w| {
                w.create_element("type")
                    .write_text_content(BytesText::new(object))?;
                if selects_id {
                    w.create_element("Id")
                        .write_text_content(BytesText::new(row.id()))?;
                } else {
                    w.create_element("Id")
                        .with_attribute(("xsi:nil", "true"))
                        .write_empty()?;
                }
                for (field, value) in fields.iter().zip(row.values()) {
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
                                    write_value(w, reference.field, value)
                                })?;
                        }
                        None => write_value(w, field, value)?,
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
    row: Row<'a>,
}

#[derive(Serialize)]
struct Attributes<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    url: String,
}

impl Serialize for JsonRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(
            "attributes",
            &Attributes {
                kind: self.object,
                url: format!(
                    "/services/data/v{}/sobjects/{}/{}",
                    self.api_version,
                    self.object,
                    self.row.id()
                ),
            },
        )?;
        for (field, value) in self.fields.iter().zip(self.row.values()) {
            match parse_relationship(field) {
                Some(reference) => map.serialize_entry(
                    reference.rel,
                    &JsonParent {
                        rel: reference.rel,
                        field: reference.field,
                        value,
                    },
                )?,
                None => map.serialize_entry(field, &value)?,
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
    use crate::model::rows::RowsBuilder;

    fn rows(data: &[(&str, &[Option<&str>])]) -> Rows {
        let mut builder = RowsBuilder::new(data.first().map_or(0, |(_, v)| v.len()));
        for (id, values) in data {
            builder.start_row(id).unwrap();
            for value in *values {
                builder.push_value(*value).unwrap();
            }
        }
        builder.finish()
    }

    #[test]
    fn csv_empty_and_quoted() {
        assert_eq!(
            render_csv(&["Id".into()], &rows(&[])),
            CSV_NO_RECORDS.as_bytes()
        );
        let rows = rows(&[("001", &[Some("001"), None])]);
        let body = render_csv(&["Id".into(), "Name".into()], &rows);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "\"Id\",\"Name\"\n\"001\",\"\"\n"
        );
    }

    /// The hand-written CSV is byte for byte what the `csv` crate wrote with every field
    /// quoted, LF-terminated (the writer the mock used before).
    #[test]
    fn csv_matches_the_csv_crate() {
        let fields: Vec<String> = ["Id", "Name", "Note\"d", "Account.Name"]
            .map(String::from)
            .to_vec();
        let data: Vec<(&str, &[Option<&str>])> = vec![
            ("001A", &[Some("001A"), Some("a, \"b\""), None, Some("")]),
            (
                "001B",
                &[Some("001B"), Some("line\nbreak\r\n"), Some("\""), None],
            ),
            (
                "001C",
                &[
                    Some("001C"),
                    Some("é ü 😀"),
                    Some("\"\"x\"\""),
                    Some("p|q;r\t"),
                ],
            ),
        ];
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer.write_record(&fields).unwrap();
        for (_, values) in &data {
            writer
                .write_record(values.iter().map(|v| v.unwrap_or("")))
                .unwrap();
        }
        let expected = writer.into_inner().unwrap();
        assert_eq!(render_csv(&fields, &rows(&data)), expected);
        assert_eq!(
            render_csv(&fields, &rows(&data).slice(1..2)),
            [
                "\"Id\",\"Name\",\"Note\"\"d\",\"Account.Name\"\n",
                "\"001B\",\"line\nbreak\r\n\",\"\"\"\",\"\"\n"
            ]
            .concat()
            .as_bytes()
        );
    }
}
