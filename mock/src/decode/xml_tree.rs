//! A minimal element tree for the XML the mock reads (`<jobInfo>`, `<sObjects>`): local names
//! only (namespaces and prefixes are ignored), text unescaped, `xsi:nil` noted.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    /// `xsi:nil="true"` (any prefix) was present.
    pub nil: bool,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    fn open(start: &BytesStart<'_>) -> Result<Element, String> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut nil = false;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            if attr.key.local_name().as_ref() == b"nil" {
                let value = attr.unescape_value().map_err(|e| e.to_string())?;
                nil = value.trim() == "true";
            }
        }
        Ok(Element {
            name,
            nil,
            ..Element::default()
        })
    }
}

/// Deepest element nesting accepted (the tree is dropped recursively).
const MAX_DEPTH: usize = 64;

/// Parses a whole document into its root element.
pub(crate) fn parse(bytes: &[u8]) -> Result<Element, String> {
    let mut reader = Reader::from_reader(bytes);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("{e} at byte {}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH} levels"));
                }
                stack.push(Element::open(&start)?);
            }
            Event::Empty(start) => {
                let element = Element::open(&start)?;
                close(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced end tag")?;
                close(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let text = text.xml_content().map_err(|e| e.to_string())?;
                append_text(&mut stack, &text)?;
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| e.to_string())?;
                append_text(&mut stack, &text)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference.decode().map_err(|e| e.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_owned()
                    }
                };
                append_text(&mut stack, &resolved)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn close(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err("more than one root element".into()),
    }
    Ok(())
}

fn append_text(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err("text outside the root element".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_nil_and_entities() {
        let doc = br#"<?xml version="1.0"?><s:sObjects xmlns:s="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:sObject><Name>A &amp; B &#x41;</Name><Description xsi:nil="true"/></s:sObject></s:sObjects>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "sObjects");
        let record = &root.children[0];
        assert_eq!(record.children[0].text, "A & B A");
        assert!(record.children[1].nil);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }
}
