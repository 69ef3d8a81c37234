//! XML: control documents and results read with quick-xml's serde, request bodies written
//! with quick-xml's serializer and event writer.
//!
//! Every document is first scanned with the event reader to learn its root element and to
//! refuse input that is not well-formed (unclosed elements, text or a second element beside
//! the root), because the serde layer ignores the root name and stops at the root's end.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;
use serde::{Deserialize, Serialize};

use crate::model::{BatchInfo, BatchResults, FieldValue, JobInfo, RecordError, RecordResult};

use super::control::{self, BatchInfoWire, ErrorWire, JobInfoWire};
use super::records::{self, Node};
use super::{NS, XSI_NS};

/// The local name of the root element, after checking the document is well-formed.
fn root_element(text: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut root: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "expected well-formed xml, found {e} at byte {}",
                reader.error_position()
            )
        })?;
        let opens = match &event {
            Event::Start(start) | Event::Empty(start) => {
                Some((start.local_name(), matches!(event, Event::Start(_))))
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                None
            }
            Event::Text(t) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err("expected an xml element, found text outside of it".into());
            }
            Event::CData(_) | Event::GeneralRef(_) if depth == 0 => {
                return Err("expected an xml element, found text outside of it".into());
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some((name, is_start)) = opens {
            if depth == 0 {
                let name = String::from_utf8_lossy(name.as_ref()).into_owned();
                if let Some(first) = &root {
                    return Err(format!(
                        "expected one root element, found <{first}> and <{name}>"
                    ));
                }
                root = Some(name);
            }
            if is_start {
                depth += 1;
            }
        }
    }
    match root {
        None => Err("expected an xml element, found none".into()),
        Some(name) if depth > 0 => Err(format!(
            "expected a complete <{name}> document, found it cut off"
        )),
        Some(name) => Ok(name),
    }
}

/// Deserialises a document whose root must be `<expected>`.
fn parse_doc<'de, W: Deserialize<'de>>(text: &'de str, expected: &str) -> Result<W, String> {
    let root = root_element(text)?;
    if root != expected {
        return Err(format!("expected <{expected}>, found <{root}>"));
    }
    deserialize(text, expected)
}

fn deserialize<'de, W: Deserialize<'de>>(text: &'de str, root: &str) -> Result<W, String> {
    quick_xml::de::from_str(text).map_err(|e| format!("malformed <{root}>: {e}"))
}

pub(crate) fn parse_job_info(text: &str) -> Result<JobInfo, String> {
    parse_doc::<JobInfoWire<String>>(text, "jobInfo")?.into_model()
}

pub(crate) fn parse_batch_info(text: &str) -> Result<BatchInfo, String> {
    parse_doc::<BatchInfoWire<String>>(text, "batchInfo")?.into_model()
}

#[derive(Deserialize)]
struct BatchInfoListXml {
    #[serde(rename = "batchInfo", default)]
    batch_info: Vec<BatchInfoWire<String>>,
}

pub(crate) fn parse_batch_list(text: &str) -> Result<Vec<BatchInfo>, String> {
    control::batch_list(parse_doc::<BatchInfoListXml>(text, "batchInfoList")?.batch_info)
}

pub(crate) fn parse_error(text: &str) -> Option<(String, String)> {
    parse_doc::<ErrorWire<String>>(text, "error")
        .ok()?
        .into_pair()
}

/// `<results>`: ingest results.
#[derive(Deserialize)]
struct ResultsXml {
    #[serde(default)]
    result: Vec<ResultXml>,
}

#[derive(Deserialize)]
struct ResultXml {
    #[serde(default)]
    errors: Vec<ErrorXml>,
    id: Option<String>,
    success: Option<String>,
    created: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorXml {
    #[serde(default)]
    fields: Vec<String>,
    message: Option<String>,
    status_code: Option<String>,
}

/// `<result-list>`: query result ids.
#[derive(Deserialize)]
struct ResultListXml {
    #[serde(default)]
    result: Vec<String>,
}

pub(crate) fn parse_batch_results(text: &str) -> Result<BatchResults, String> {
    match root_element(text)?.as_str() {
        "results" => {
            let results: ResultsXml = deserialize(text, "results")?;
            results
                .result
                .into_iter()
                .enumerate()
                .map(|(i, r)| ingest_result(r).map_err(|e| format!("result {}: {e}", i + 1)))
                .collect::<Result<Vec<RecordResult>, String>>()
                .map(BatchResults::Ingest)
        }
        "result-list" => {
            let list: ResultListXml = deserialize(text, "result-list")?;
            Ok(BatchResults::Query(
                list.result
                    .into_iter()
                    .filter_map(|id| control::text(Some(id)))
                    .collect(),
            ))
        }
        other => Err(format!(
            "expected <results> or <result-list>, found <{other}>"
        )),
    }
}

fn ingest_result(r: ResultXml) -> Result<RecordResult, String> {
    let errors: Vec<RecordError> = r
        .errors
        .into_iter()
        .map(|e| control::record_error(e.status_code, e.message, e.fields))
        .collect();
    control::record_result(r.id, &r.success, &r.created, errors)
}

fn declaration() -> Event<'static> {
    Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))
}

/// A serde value as a document: declaration, then `<root …>`.
pub(crate) fn write_document<T: Serialize>(root: &str, value: &T) -> Result<Vec<u8>, String> {
    let mut writer = Writer::new(Vec::new());
    writer
        .write_event(declaration())
        .map_err(|e| format!("cannot write <{root}>: {e}"))?;
    writer
        .write_serializable(root, value)
        .map_err(|e| format!("cannot write <{root}>: {e}"))?;
    Ok(writer.into_inner())
}

/// `<sObjects>` with one `<sObject>` per row; `tree` comes from [`records::tree`].
pub(crate) fn write_records(
    fields: &[String],
    tree: &[(&str, Node)],
    rows: &[Vec<FieldValue>],
) -> Result<Vec<u8>, String> {
    let mut out = RecordWriter {
        writer: Writer::new(Vec::new()),
        fields,
    };
    out.event(declaration())?;
    let mut root = BytesStart::new("sObjects");
    root.push_attribute(("xmlns", NS));
    root.push_attribute(("xmlns:xsi", XSI_NS));
    out.event(Event::Start(root))?;
    for (i, row) in rows.iter().enumerate() {
        out.event(Event::Start(BytesStart::new("sObject")))?;
        out.nodes(tree, row, i + 1)?;
        out.event(Event::End(BytesEnd::new("sObject")))?;
    }
    out.event(Event::End(BytesEnd::new("sObjects")))?;
    Ok(out.writer.into_inner())
}

struct RecordWriter<'a> {
    writer: Writer<Vec<u8>>,
    fields: &'a [String],
}

impl RecordWriter<'_> {
    fn event(&mut self, event: Event<'_>) -> Result<(), String> {
        self.writer
            .write_event(event)
            .map_err(|e| format!("cannot write sObjects xml: {e}"))
    }

    fn nodes(
        &mut self,
        tree: &[(&str, Node)],
        row: &[FieldValue],
        row_no: usize,
    ) -> Result<(), String> {
        for (name, node) in tree {
            match node {
                Node::Parent(children) => {
                    self.event(Event::Start(BytesStart::new(*name)))?;
                    self.event(Event::Start(BytesStart::new("sObject")))?;
                    self.nodes(children, row, row_no)?;
                    self.event(Event::End(BytesEnd::new("sObject")))?;
                    self.event(Event::End(BytesEnd::new(*name)))?;
                }
                Node::Value(column) => {
                    let field = self.fields.get(*column).map_or("", String::as_str);
                    let value = row.get(*column).ok_or_else(|| {
                        format!("row {row_no}: expected a value for field `{field}`, found none")
                    })?;
                    let text = match value {
                        FieldValue::Null => {
                            let mut empty = BytesStart::new(*name);
                            empty.push_attribute(("xsi:nil", "true"));
                            self.event(Event::Empty(empty))?;
                            continue;
                        }
                        other => records::value_text(other).unwrap_or_default(),
                    };
                    let escaped = escape_text(&text)
                        .map_err(|c| format!("row {row_no}, field `{field}`: expected text xml can carry, found character U+{:04X}", u32::from(c)))?;
                    self.event(Event::Start(BytesStart::new(*name)))?;
                    self.event(Event::Text(BytesText::from_escaped(escaped)))?;
                    self.event(Event::End(BytesEnd::new(*name)))?;
                }
            }
        }
        Ok(())
    }
}

/// Escapes element text (`<`, `>`, `&` by quick-xml; CR as `&#13;` so a parser's line-end
/// normalisation keeps it); a character XML 1.0 forbids is returned as the error.
fn escape_text(text: &str) -> Result<Cow<'_, str>, char> {
    if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
        return Err(bad);
    }
    let escaped = quick_xml::escape::partial_escape(text);
    Ok(if escaped.contains('\r') {
        Cow::Owned(escaped.replace('\r', "&#13;"))
    } else {
        escaped
    })
}

/// XML 1.0 `Char`: tab, LF, CR, and U+0020 upwards except U+FFFE and U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_element_refuses_what_is_not_one_document() {
        assert_eq!(
            root_element("<?xml version=\"1.0\"?>\n<a xmlns=\"x\"><b/></a>\n"),
            Ok("a".into())
        );
        assert_eq!(root_element("<p:a xmlns:p=\"x\"/>"), Ok("a".into()));
        assert_eq!(
            root_element(""),
            Err("expected an xml element, found none".into())
        );
        assert_eq!(
            root_element("<?xml version=\"1.0\"?>"),
            Err("expected an xml element, found none".into())
        );
        assert_eq!(
            root_element("<a><b></b>"),
            Err("expected a complete <a> document, found it cut off".into())
        );
        assert_eq!(
            root_element("<a/><b/>"),
            Err("expected one root element, found <a> and <b>".into())
        );
        assert_eq!(
            root_element("hello"),
            Err("expected an xml element, found text outside of it".into())
        );
        assert!(
            root_element("<a><b></a>")
                .unwrap_err()
                .starts_with("expected well-formed xml, found")
        );
    }

    #[test]
    fn text_escaping_keeps_cr_and_refuses_control_characters() {
        assert_eq!(
            escape_text("a<b>&c\"'"),
            Ok(Cow::Borrowed("a&lt;b&gt;&amp;c\"'"))
        );
        assert_eq!(escape_text("l1\r\nl2").unwrap(), "l1&#13;\nl2");
        assert_eq!(escape_text("bell\u{7}"), Err('\u{7}'));
        assert_eq!(escape_text("\u{FFFF}"), Err('\u{FFFF}'));
        assert_eq!(escape_text("tab\tÄ😀").unwrap(), "tab\tÄ😀");
    }
}
