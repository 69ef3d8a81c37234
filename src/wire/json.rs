//! JSON: documents read into the shared [`Value`] tree by a small reader (RFC 8259: any
//! value at the top, strings with every escape, numbers validated and kept as their text,
//! at most [`MAX_DEPTH`] nested arrays and objects), bodies written by a small writer
//! (strings escaped as JSON requires, numbers in the shortest round-trip form, field order
//! kept). One reader for every document: no per-struct serde code.

use crate::model::{BatchInfo, BatchResults, FieldValue, JobInfo};

use super::control::{self, Value};
use super::records::{self, Node};

/// The deepest nesting of arrays and objects read (as serde_json); deeper input is refused.
const MAX_DEPTH: usize = 128;

/// A JSON text being read; `at` is the byte offset of the next byte.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// `expected …, found … at byte n`.
    fn error(&self, expected: &str) -> String {
        match self
            .text
            .get(self.at..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => format!("expected {expected}, found {c:?} at byte {}", self.at),
            None => format!("expected {expected}, found the end at byte {}", self.at),
        }
    }

    /// Skips `byte` (after whitespace) when it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    /// One value; `depth` arrays and objects may still open.
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        self.skip_whitespace();
        let nested = matches!(self.peek(), Some(b'[' | b'{'));
        if nested && depth == 0 {
            return Err(format!(
                "expected at most {MAX_DEPTH} nested arrays and objects, found more at byte {}",
                self.at
            ));
        }
        match self.peek() {
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth - 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("`,` or `]`"));
                        }
                    }
                }
                Ok(Value::List(items))
            }
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_whitespace();
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.error("`:`"));
                        }
                        fields.push((key, self.value(depth - 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("`,` or `}`"));
                        }
                    }
                }
                Ok(Value::Map(fields))
            }
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Num),
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.text[self.at..].starts_with(word) {
                        self.at += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("a json value"))
            }
        }
    }

    /// A number, validated (`-? int frac? exp?`) and kept as its text.
    fn number(&mut self) -> Result<String, String> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Ok(self.text[start..self.at].to_string())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), String> {
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(self.error("a digit"));
        }
        self.digits();
        Ok(())
    }

    /// A string with its escapes resolved; control characters must be escaped.
    fn string(&mut self) -> Result<String, String> {
        if self.peek() != Some(b'"') {
            return Err(self.error("a string"));
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            // Stops only at ASCII bytes: both ends are character boundaries.
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(self.error("`\"` or an escaped character")),
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let short = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let unit = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate: a `\uDC00`–`\uDFFF` low surrogate must follow.
                    if !self.text[self.at..].starts_with("\\u") {
                        return Err(self.error("a low surrogate escape"));
                    }
                    self.at += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        self.at -= 6;
                        return Err(self.error("a low surrogate escape"));
                    }
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    unit
                };
                return char::from_u32(code).ok_or_else(|| {
                    self.at -= 6;
                    self.error("an escape of a unicode scalar value")
                });
            }
            _ => return Err(self.error("an escape character")),
        };
        self.at += 1;
        Ok(short)
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.text.get(self.at..self.at + 4).unwrap_or("");
        match u32::from_str_radix(hex, 16) {
            Ok(n) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.at += 4;
                Ok(n)
            }
            _ => Err(self.error("four hex digits")),
        }
    }
}

/// Reads one JSON text: a value, with nothing but whitespace around it.
pub(crate) fn read(text: &str) -> Result<Value, String> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value(MAX_DEPTH)?;
    reader.skip_whitespace();
    if reader.at < text.len() {
        return Err(reader.error("the end of the json text"));
    }
    Ok(value)
}

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

/// Reads any JSON document; `what` names it in the error.
fn parse(text: &str, what: &str) -> Result<Value, String> {
    read(text).map_err(|e| format!("malformed {what} json: {e}"))
}

/// Reads a JSON object.
fn parse_object(text: &str, what: &str) -> Result<Value, String> {
    if !starts_with(text, b'{') {
        return Err(format!(
            "expected a {what} json object, found {}",
            describe_start(text)
        ));
    }
    parse(text, what)
}

pub(crate) fn parse_job_info(text: &str) -> Result<JobInfo, String> {
    control::job_info(&parse_object(text, "jobInfo")?, false)
}

pub(crate) fn parse_batch_info(text: &str) -> Result<BatchInfo, String> {
    control::batch_info(&parse_object(text, "batchInfo")?, false)
}

/// `{"batchInfo": one or many}` (absent or null = none), or a bare array of batches.
pub(crate) fn parse_batch_list(text: &str) -> Result<Vec<BatchInfo>, String> {
    if starts_with(text, b'[') {
        match parse(text, "batchInfo list")? {
            Value::List(items) => control::batch_list(&items, false),
            _ => Err("expected a batchInfo json array, found something else".into()),
        }
    } else {
        control::batch_info_list(&parse_object(text, "batchInfo list")?, false)
    }
}

pub(crate) fn parse_error(text: &str) -> Option<(String, String)> {
    control::error_pair(&parse_object(text, "error").ok()?, false)
}

/// A JSON array of result objects (ingest) or of result id strings (query).
pub(crate) fn parse_batch_results(text: &str) -> Result<BatchResults, String> {
    if !starts_with(text, b'[') {
        return Err(format!(
            "expected a json array of results or result ids, found {}",
            describe_start(text)
        ));
    }
    match parse(text, "result")? {
        Value::List(items) => control::json_results(&items),
        _ => Err("expected a json array of results or result ids, found something else".into()),
    }
}

/// See [`super::json_string_fields`].
pub(crate) fn string_fields<const N: usize>(
    text: &str,
    names: [&'static str; N],
) -> Option<[Option<String>; N]> {
    let value = parse_object(text, "json").ok()?;
    let picked = control::pick(&value, names)?;
    let mut out = [const { None }; N];
    for (slot, value) in out.iter_mut().zip(picked) {
        *slot = match value {
            None | Some(Value::Null) => None,
            Some(Value::Str(s)) => Some(s.clone()),
            Some(_) => return None,
        };
    }
    Some(out)
}

/// A flat object of string fields, in the given order.
pub(crate) fn write_object(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(b'{');
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(&mut out, name);
        out.push(b':');
        push_string(&mut out, value);
    }
    out.push(b'}');
    out
}

/// The records as a JSON array of objects, in field order.
pub(crate) fn write_records(tree: &[(&str, Node)], rows: &[Vec<FieldValue>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_record(&mut out, tree, row);
    }
    out.push(b']');
    out
}

fn push_record(out: &mut Vec<u8>, tree: &[(&str, Node)], row: &[FieldValue]) {
    out.push(b'{');
    for (i, (name, node)) in tree.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(out, name);
        out.push(b':');
        match node {
            Node::Parent(children) => push_record(out, children, row),
            Node::Value(column) => match row.get(*column).unwrap_or(&FieldValue::Null) {
                FieldValue::Null => out.extend_from_slice(b"null"),
                FieldValue::Text(t) => push_string(out, t),
                FieldValue::Boolean(b) => {
                    out.extend_from_slice(if *b { b"true" } else { b"false" });
                }
                // Finite (checked by the caller): the shortest round-trip form is a JSON number.
                FieldValue::Number(n) => {
                    out.extend_from_slice(records::format_number(*n).as_bytes());
                }
            },
        }
    }
    out.push(b'}');
}

/// A JSON string: `"` and `\` escaped, control characters as `\n`, `\r`, `\t`, `\b`, `\f`
/// or `\u00XX`; everything else (all of Unicode) as it is.
fn push_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut done = 0;
    for (at, byte) in s.bytes().enumerate() {
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[done..at]);
        done = at + 1;
        if short == 0 {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
    }
    out.extend_from_slice(&s.as_bytes()[done..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json_requires() {
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        for s in [
            "plain",
            "",
            "quote \" backslash \\ slash /",
            "line\nfeed\r\ttab",
            &all_controls,
            "\u{7f} Zoë 日本語 😀 \u{2028}",
        ] {
            let mut out = Vec::new();
            push_string(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
            assert_eq!(
                out,
                serde_json::to_vec(s).unwrap(),
                "same as serde_json: {s:?}"
            );
        }
    }

    #[test]
    fn objects_keep_field_order() {
        assert_eq!(
            write_object(&[("b", "1"), ("a", "x\"y")]),
            br#"{"b":"1","a":"x\"y"}"#
        );
        assert_eq!(write_object(&[]), b"{}");
    }

    #[test]
    fn values_of_every_kind() {
        let value = read(
            r#" {"s":"t\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","n":-3,"u":18446744073709551616,"f":36.0,"g":1.5E+300,
                "b":false,"z":null,"a":[1,{},[]],"s":""} "#,
        )
        .unwrap();
        let e = |k: &str, v: Value| (k.to_string(), v);
        let num = |n: &str| Value::Num(n.into());
        assert_eq!(
            value,
            Value::Map(vec![
                e("s", Value::Str("té😀\"\\/\u{8}\u{c}\n\r\t".into())),
                e("n", num("-3")),
                e("u", num("18446744073709551616")),
                e("f", num("36.0")),
                e("g", num("1.5E+300")),
                e("b", Value::Bool(false)),
                e("z", Value::Null),
                e(
                    "a",
                    Value::List(vec![num("1"), Value::Map(vec![]), Value::List(vec![])])
                ),
                e("s", Value::Str(String::new())),
            ])
        );
    }

    #[test]
    fn malformed_json_is_refused_with_its_position() {
        for (text, error) in [
            ("", "expected a json value, found the end at byte 0"),
            ("{\"a\":1", "expected `,` or `}`, found the end at byte 6"),
            ("{\"a\" 1}", "expected `:`, found '1' at byte 5"),
            ("{a:1}", "expected a string, found 'a' at byte 1"),
            ("[1,]", "expected a json value, found ']' at byte 3"),
            ("[1 2]", "expected `,` or `]`, found '2' at byte 3"),
            (
                "01",
                "expected the end of the json text, found '1' at byte 1",
            ),
            ("-", "expected a digit, found the end at byte 1"),
            ("1.", "expected a digit, found the end at byte 2"),
            ("1e+", "expected a digit, found the end at byte 3"),
            ("tru", "expected a json value, found 't' at byte 0"),
            (
                "\"a\tb\"",
                "expected `\"` or an escaped character, found '\\t' at byte 2",
            ),
            (
                "\"\\x\"",
                "expected an escape character, found 'x' at byte 2",
            ),
            (
                "\"\\u12g4\"",
                "expected four hex digits, found '1' at byte 3",
            ),
            (
                "\"\\ud800\"",
                "expected a low surrogate escape, found '\"' at byte 7",
            ),
            (
                "\"\\ud800\\u0041\"",
                "expected a low surrogate escape, found '\\\\' at byte 7",
            ),
            (
                "\"\\udc00\"",
                "expected an escape of a unicode scalar value, found '\\\\' at byte 1",
            ),
            (
                "\"é",
                "expected `\"` or an escaped character, found the end at byte 3",
            ),
            (
                "{} x",
                "expected the end of the json text, found 'x' at byte 3",
            ),
        ] {
            assert_eq!(read(text), Err(error.to_string()), "{text:?}");
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(read(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            read(&deep(MAX_DEPTH + 1)),
            Err(format!(
                "expected at most {MAX_DEPTH} nested arrays and objects, found more at byte {MAX_DEPTH}"
            ))
        );
    }

    /// The reader's tree as a serde_json value (numbers through serde_json, the last of
    /// repeated keys winning, as serde_json's map does).
    fn to_serde(value: &Value) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            Value::Null | Value::Empty => J::Null,
            Value::Str(s) => J::String(s.clone()),
            Value::Num(n) => serde_json::from_str(n).unwrap(),
            Value::Bool(b) => J::Bool(*b),
            Value::List(items) => J::Array(items.iter().map(to_serde).collect()),
            Value::Map(fields) => J::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), to_serde(v)))
                    .collect(),
            ),
        }
    }

    /// Agrees with serde_json on what is JSON and what it means (except for numbers out of
    /// the range of f64, which serde_json refuses).
    fn agrees(text: &str) {
        let ours = read(text);
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        match (&ours, &theirs) {
            (Ok(v), Ok(j)) => assert_eq!(&to_serde(v), j, "{text:?}"),
            (Err(_), Err(_)) => {}
            // Numbers are kept as text: one beyond f64 is still a number here.
            (Ok(_), Err(e)) if e.to_string().starts_with("number out of range") => {}
            _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    #[test]
    fn reader_agrees_with_serde_json() {
        let samples = [
            include_str!("../../tests/fixtures/job-info.json"),
            include_str!("../../tests/fixtures/job-info-tolerant.json"),
            include_str!("../../tests/fixtures/batch-info.json"),
            include_str!("../../tests/fixtures/batch-info-list.json"),
            include_str!("../../tests/fixtures/batch-info-list-single.json"),
            include_str!("../../tests/fixtures/ingest-results.json"),
            include_str!("../../tests/fixtures/result-list.json"),
            include_str!("../../tests/fixtures/error-invalid-job.json"),
            r#"[-0, 0.5e-3, 1E2, -12.75, 123456789012345678901234567890, "\u0000\u001f", "\ud834\udd1e"]"#,
            r#"{"a":{"b":[true,false,null,{"c":"\\\""}]},"a":1}"#,
            " \t\r\n[ ] ",
        ];
        for text in samples {
            agrees(text);
            // Every prefix, and every byte replaced by a character that matters to JSON.
            for (at, _) in text.char_indices() {
                agrees(&text[..at]);
                for c in [
                    "\"", "\\", "{", "]", ",", ":", "0", "-", "e", ".", " ", "u", "\u{1}",
                ] {
                    let mut bad = text.to_string();
                    let len = bad[at..].chars().next().map_or(0, char::len_utf8);
                    bad.replace_range(at..at + len, c);
                    agrees(&bad);
                }
            }
        }
    }
}
