//! XML: documents read from quick-xml's event reader into the shared [`Value`] tree, bodies
//! written by a small writer (fixed markup, checked element names, escaped text).
//!
//! The reader checks that the input is one well-formed document (end tags match, nothing
//! but whitespace beside the root, not cut off) and builds the tree without recursion:
//! elements by local name (any namespace prefix), text with entities, character references
//! and CDATA resolved, line ends normalised (XML 1.0), `xsi:nil="true"` as null.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::model::{BatchInfo, BatchResults, FieldValue, JobInfo};
use crate::substr;

use super::control::{self, Value};
use super::records::{self, Node};
use super::{NS, XSI_NS};

/// The deepest element nesting read (control documents nest 4 deep); deeper input is refused
/// rather than risking the stack when the tree is dropped.
const MAX_DEPTH: usize = 64;

/// An element being read: its local name, its child elements, its text.
struct Open {
    name: String,
    children: Vec<(String, Value)>,
    text: String,
    nil: bool,
}

impl Open {
    fn new(start: &BytesStart<'_>) -> Self {
        Open {
            name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
            children: Vec::new(),
            text: String::new(),
            nil: is_nil(start),
        }
    }

    fn into_value(self) -> (String, Value) {
        let value = if self.nil {
            Value::Null
        } else if !self.children.is_empty() {
            Value::Map(self.children)
        } else if self.text.trim().is_empty() {
            Value::Empty
        } else {
            Value::Str(self.text)
        };
        (self.name, value)
    }
}

/// `xsi:nil="true"` (any prefix; `1` also counts), found in the raw attributes: `name =
/// "value"` pairs (either quote) separated by whitespace; anything else ends the search.
fn is_nil(start: &BytesStart<'_>) -> bool {
    let mut rest = start.attributes_raw();
    while let Some(eq) = rest.iter().position(|&b| b == b'=') {
        let name = rest[..eq].trim_ascii();
        let value = rest[eq + 1..].trim_ascii_start();
        let Some((&quote, value)) = value
            .split_first()
            .filter(|(q, _)| matches!(q, b'"' | b'\''))
        else {
            return false;
        };
        let Some(end) = value.iter().position(|&b| b == quote) else {
            return false;
        };
        if name.ends_with(b":nil") && matches!(&value[..end], b"true" | b"1") {
            return true;
        }
        rest = &value[end + 1..];
    }
    false
}

/// Reads one XML document: the root's local name and its content.
pub(crate) fn parse(text: &str) -> Result<(String, Value), String> {
    let mut reader = Reader::from_str(text);
    let mut open: Vec<Open> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "expected well-formed xml, found {e} at byte {}",
                reader.error_position()
            )
        })?;
        let element = match event {
            Event::Start(start) => {
                if open.len() >= MAX_DEPTH {
                    return Err(format!(
                        "expected at most {MAX_DEPTH} nested xml elements, found more"
                    ));
                }
                open.push(Open::new(&start));
                continue;
            }
            Event::Empty(start) => Open::new(&start).into_value(),
            Event::End(_) => match open.pop() {
                Some(element) => element.into_value(),
                // quick-xml reports an end tag without a start tag as an error.
                None => continue,
            },
            Event::Text(t) => {
                let blank = t.iter().all(u8::is_ascii_whitespace);
                let t = t
                    .xml10_content()
                    .map_err(|e| format!("expected utf-8 text, found {e}"))?;
                push_text(&mut open, &t, blank)?;
                continue;
            }
            Event::CData(t) => {
                let t = t
                    .xml10_content()
                    .map_err(|e| format!("expected utf-8 text, found {e}"))?;
                push_text(&mut open, &t, false)?;
                continue;
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap_or_default();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&name)
                        .map(Cow::Borrowed)
                        .ok_or_else(|| {
                            format!("expected a predefined xml entity, found &{name};")
                        })?,
                    Err(_) => {
                        return Err(format!(
                            "expected a valid character reference, found &{name};"
                        ));
                    }
                };
                push_text(&mut open, &resolved, false)?;
                continue;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => continue,
        };
        match (open.last_mut(), &root) {
            (Some(parent), _) => parent.children.push(element),
            (None, Some((first, _))) => {
                return Err(format!(
                    "expected one root element, found <{first}> and <{}>",
                    element.0
                ));
            }
            (None, None) => root = Some(element),
        }
    }
    match (open.first(), root) {
        (Some(element), _) => Err(format!(
            "expected a complete <{}> document, found it cut off",
            element.name
        )),
        (None, None) => Err("expected an xml element, found none".into()),
        (None, Some(root)) => Ok(root),
    }
}

/// Adds text to the innermost open element; outside the root only whitespace may appear.
fn push_text(open: &mut [Open], content: &str, blank: bool) -> Result<(), String> {
    match open.last_mut() {
        Some(element) => element.text.push_str(content),
        None if blank => {}
        None => return Err("expected an xml element, found text outside of it".into()),
    }
    Ok(())
}

/// Reads a document whose root must be `<expected>`.
fn parse_doc(text: &str, expected: &str) -> Result<Value, String> {
    let (root, value) = parse(text)?;
    if root != expected {
        return Err(format!("expected <{expected}>, found <{root}>"));
    }
    Ok(value)
}

pub(crate) fn parse_job_info(text: &str) -> Result<JobInfo, String> {
    control::job_info(&parse_doc(text, "jobInfo")?, true)
}

pub(crate) fn parse_batch_info(text: &str) -> Result<BatchInfo, String> {
    control::batch_info(&parse_doc(text, "batchInfo")?, true)
}

pub(crate) fn parse_batch_list(text: &str) -> Result<Vec<BatchInfo>, String> {
    control::batch_info_list(&parse_doc(text, "batchInfoList")?, true)
}

pub(crate) fn parse_error(text: &str) -> Option<(String, String)> {
    control::error_pair(&parse_doc(text, "error").ok()?, true)
}

/// `<results>` (ingest results) or `<result-list>` (query result ids).
pub(crate) fn parse_batch_results(text: &str) -> Result<BatchResults, String> {
    let (root, value) = parse(text)?;
    control::xml_results(&root, &value)
}

/// An XML body being written: the declaration, then elements. Element names are API names
/// checked by the caller or constants; text is escaped by [`escape_text`].
struct XmlWriter {
    out: Vec<u8>,
}

impl XmlWriter {
    /// The declaration and the start tag of `root` with the namespace declarations `xmlns`
    /// (constant URIs: nothing in them needs escaping).
    fn new(root: &str, xmlns: &[(&str, &str)]) -> Self {
        let mut out = br#"<?xml version="1.0" encoding="UTF-8"?><"#.to_vec();
        out.extend_from_slice(root.as_bytes());
        for (name, uri) in xmlns {
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            out.extend_from_slice(uri.as_bytes());
            out.push(b'"');
        }
        out.push(b'>');
        XmlWriter { out }
    }

    fn start(&mut self, name: &str) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    fn end(&mut self, name: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    /// `<name>text</name>`; a character XML 1.0 cannot carry is returned as the error.
    fn text_element(&mut self, name: &str, text: &str) -> Result<(), char> {
        let escaped = escape_text(text)?;
        self.start(name);
        self.out.extend_from_slice(escaped.as_bytes());
        self.end(name);
        Ok(())
    }

    /// `<name xsi:nil="true"/>`.
    fn nil_element(&mut self, name: &str) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(br#" xsi:nil="true"/>"#);
    }

    /// Ends the root element and returns the body.
    fn finish(mut self, root: &str) -> Vec<u8> {
        self.end(root);
        self.out
    }
}

/// `<jobInfo xmlns=NS>` with one text element per field, after the declaration.
pub(crate) fn write_job_info(fields: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let mut writer = XmlWriter::new("jobInfo", &[("xmlns", NS)]);
    for (name, value) in fields {
        writer.text_element(name, value).map_err(|c| {
            format!(
                "`{name}`: expected text xml can carry, found character U+{:04X}",
                u32::from(c)
            )
        })?;
    }
    Ok(writer.finish("jobInfo"))
}

/// `<sObjects>` with one `<sObject>` per row; `tree` comes from [`records::tree`].
pub(crate) fn write_records(
    fields: &[String],
    tree: &[(&str, Node)],
    rows: &[Vec<FieldValue>],
) -> Result<Vec<u8>, String> {
    let mut writer = XmlWriter::new("sObjects", &[("xmlns", NS), ("xmlns:xsi", XSI_NS)]);
    for (i, row) in rows.iter().enumerate() {
        writer.start("sObject");
        write_nodes(&mut writer, fields, tree, row, i + 1)?;
        writer.end("sObject");
    }
    Ok(writer.finish("sObjects"))
}

fn write_nodes(
    writer: &mut XmlWriter,
    fields: &[String],
    tree: &[(&str, Node)],
    row: &[FieldValue],
    row_no: usize,
) -> Result<(), String> {
    for (name, node) in tree {
        match node {
            Node::Parent(children) => {
                writer.start(name);
                writer.start("sObject");
                write_nodes(writer, fields, children, row, row_no)?;
                writer.end("sObject");
                writer.end(name);
            }
            Node::Value(column) => {
                let field = fields.get(*column).map_or("", String::as_str);
                let value = row.get(*column).ok_or_else(|| {
                    format!("row {row_no}: expected a value for field `{field}`, found none")
                })?;
                match records::value_text(value) {
                    None => writer.nil_element(name),
                    Some(text) => writer.text_element(name, &text).map_err(|c| {
                        format!(
                            "row {row_no}, field `{field}`: expected text xml can carry, found character U+{:04X}",
                            u32::from(c)
                        )
                    })?,
                }
            }
        }
    }
    Ok(())
}

/// Escapes element text (`<`, `>`, `&` by quick-xml; CR as `&#13;` so a parser's line-end
/// normalisation keeps it); a character XML 1.0 forbids is returned as the error.
fn escape_text(text: &str) -> Result<Cow<'_, str>, char> {
    if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
        return Err(bad);
    }
    let escaped = quick_xml::escape::partial_escape(text);
    Ok(if escaped.contains('\r') {
        let mut out = String::with_capacity(escaped.len() + 16);
        substr::push_replaced(&mut out, &escaped, '\r', "&#13;");
        Cow::Owned(out)
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

    fn root(text: &str) -> Result<String, String> {
        parse(text).map(|(name, _)| name)
    }

    #[test]
    fn parse_refuses_what_is_not_one_document() {
        assert_eq!(
            root("<?xml version=\"1.0\"?>\n<a xmlns=\"x\"><b/></a>\n"),
            Ok("a".into())
        );
        assert_eq!(root("<p:a xmlns:p=\"x\"/>"), Ok("a".into()));
        assert_eq!(root(""), Err("expected an xml element, found none".into()));
        assert_eq!(
            root("<?xml version=\"1.0\"?>"),
            Err("expected an xml element, found none".into())
        );
        assert_eq!(
            root("<a><b></b>"),
            Err("expected a complete <a> document, found it cut off".into())
        );
        assert_eq!(
            root("<a/><b/>"),
            Err("expected one root element, found <a> and <b>".into())
        );
        assert_eq!(
            root("<a/><b></b>"),
            Err("expected one root element, found <a> and <b>".into())
        );
        assert_eq!(
            root("hello"),
            Err("expected an xml element, found text outside of it".into())
        );
        assert_eq!(
            root("<a/>\u{a0}"),
            Err("expected an xml element, found text outside of it".into())
        );
        assert_eq!(root(" \r\n\t<a/>\n "), Ok("a".into()));
        assert_eq!(
            root("<a/>&amp;"),
            Err("expected an xml element, found text outside of it".into())
        );
        assert!(
            root("<a><b></a>")
                .unwrap_err()
                .starts_with("expected well-formed xml, found")
        );
        assert_eq!(
            root("<a>&nbsp;</a>"),
            Err("expected a predefined xml entity, found &nbsp;".into())
        );
        assert_eq!(
            root("<a>&#0;</a>"),
            Err("expected a valid character reference, found &#0;".into())
        );
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            root(&deep),
            Err(format!(
                "expected at most {MAX_DEPTH} nested xml elements, found more"
            ))
        );
        let deepest = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert_eq!(root(&deepest), Ok("a".into()));
    }

    #[test]
    fn nil_is_read_from_the_attributes() {
        let nil = |tag: &str| {
            let mut reader = Reader::from_str(tag);
            match reader.read_event() {
                Ok(Event::Empty(start)) => is_nil(&start),
                other => panic!("{other:?}"),
            }
        };
        assert!(nil(r#"<a xsi:nil="true"/>"#));
        assert!(nil(r#"<a  x="1"   i:nil = '1' />"#));
        assert!(nil(r#"<a x="a=b 'c'" xsi:nil="true"/>"#));
        assert!(!nil(r#"<a nil="true"/>"#));
        assert!(!nil(r#"<a xsi:nil="false"/>"#));
        assert!(!nil(r#"<a xsi:nil="TRUE "/>"#));
        assert!(!nil(r#"<a x="xsi:nil='true'"/>"#));
        assert!(!nil(r#"<a xsi:nil=true/>"#));
        assert!(!nil("<a/>"));
    }

    #[test]
    fn parse_builds_the_tree() {
        let doc = "<r xmlns:xsi=\"x\"><a> t&lt;1\r\n</a><b/><c xsi:nil=\"true\"/><d><e>1</e>\n<e>2</e></d>\
                   <f xsi:nil=\"true\">x</f><g>  </g><h><![CDATA[<x>]]></h></r>";
        let s = |t: &str| Value::Str(t.into());
        let e = |k: &str, v: Value| (k.to_string(), v);
        assert_eq!(
            parse(doc),
            Ok((
                "r".into(),
                Value::Map(vec![
                    e("a", s(" t<1\n")),
                    e("b", Value::Empty),
                    e("c", Value::Null),
                    e("d", Value::Map(vec![e("e", s("1")), e("e", s("2"))])),
                    e("f", Value::Null),
                    e("g", Value::Empty),
                    e("h", s("<x>")),
                ])
            ))
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
