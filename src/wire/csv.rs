//! CSV: ingest results read with the `csv` crate, record batches written by hand (quoting
//! rules of the Bulk API data loader), record counting.

use ::csv::{ByteRecord, ErrorKind, ReaderBuilder};

use crate::model::{FieldValue, RecordError, RecordResult};

use super::control;
use super::records;

/// What Salesforce reads as null in a CSV batch.
const NULL: &str = "#N/A";

/// Ingest results: `"Id","Success","Created","Error"`, columns found by name (any order and
/// case; `Created` and `Error` optional). An empty body is no results.
pub(crate) fn parse_results(text: &str) -> Result<Vec<RecordResult>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut reader = ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("expected a csv result header, found {}", describe(&e)))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(id), Some(success)) = (column("Id"), column("Success")) else {
        let found: String = header
            .iter()
            .collect::<Vec<_>>()
            .join(",")
            .chars()
            .take(80)
            .collect();
        return Err(format!(
            "expected csv result columns \"Id\" and \"Success\", found header {found:?}"
        ));
    };
    let (created, error) = (column("Created"), column("Error"));
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record.map_err(|e| {
                format!(
                    "result {}: expected a csv row, found {}",
                    i + 1,
                    describe(&e)
                )
            })?;
            let cell = |c: Option<usize>| c.and_then(|c| record.get(c));
            let errors = cell(error).map(parse_error_text).unwrap_or_default();
            control::record_result(cell(Some(id)), &cell(Some(success)), &cell(created), errors)
                .map_err(|e| format!("result {}: {e}", i + 1))
        })
        .collect()
}

/// Reads the `Error` cell: `STATUS_CODE:message:field1,field2 --`, possibly several in a row.
///
/// The status code runs to the first `:`. The fields follow the last `:` when that part is a
/// comma-separated list of names directly after the colon (an English `: ` inside the message
/// is not taken for it); otherwise there are none. Text without a leading `CODE:` is kept as
/// the message with an empty status code.
pub(crate) fn parse_error_text(text: &str) -> Vec<RecordError> {
    let mut errors = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (one, next) = split_at_terminator(rest).unwrap_or((rest, ""));
        let one = one.trim();
        if !one.is_empty() {
            errors.push(parse_one_error(one));
        }
        rest = next.trim_start();
    }
    errors
}

/// Splits at the `--` that ends one error: the one followed by nothing or by the next `CODE:`.
fn split_at_terminator(text: &str) -> Option<(&str, &str)> {
    text.match_indices("--").find_map(|(at, dashes)| {
        let before = text.get(..at)?;
        let after = text.get(at + dashes.len()..)?;
        let next = after.trim_start();
        (next.is_empty() || leading_status_code(next).is_some()).then_some((before, after))
    })
}

/// A leading `STATUS_CODE:` (`[A-Z][A-Z0-9_]*` then a colon): the code and what follows the colon.
fn leading_status_code(text: &str) -> Option<(&str, &str)> {
    let (code, rest) = text.split_once(':')?;
    let mut bytes = code.bytes();
    let is_code = bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    is_code.then_some((code, rest))
}

fn parse_one_error(text: &str) -> RecordError {
    let Some((code, rest)) = leading_status_code(text) else {
        return control::record_error(None, Some(text), []);
    };
    let (message, fields) = match rest.rsplit_once(':') {
        Some((message, fields)) if is_field_list(fields) => (message, fields),
        _ => (rest, ""),
    };
    control::record_error(Some(code), Some(message), fields.split(','))
}

/// Empty, or names (`[A-Za-z0-9_.]`) separated by commas, starting right after the colon.
fn is_field_list(text: &str) -> bool {
    let text = text.trim_end();
    text.is_empty()
        || (!text.starts_with(char::is_whitespace)
            && text.split(',').all(|f| {
                let f = f.trim();
                !f.is_empty()
                    && f.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            }))
}

/// The records as CSV: header row, then rows; `\n` after every row. Fields are checked by
/// the caller.
pub(crate) fn write_records(fields: &[String], rows: &[Vec<FieldValue>]) -> Vec<u8> {
    let mut out = String::new();
    let single = fields.len() == 1;
    push_row(&mut out, fields.iter().map(String::as_str), single);
    for row in rows {
        let cells = row
            .iter()
            .map(|v| records::value_text(v).unwrap_or(NULL.into()));
        push_row(&mut out, cells, single);
    }
    out.into_bytes()
}

fn push_row<S: AsRef<str>>(out: &mut String, cells: impl Iterator<Item = S>, single: bool) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell.as_ref(), single);
    }
    out.push('\n');
}

/// Quotes a cell only when needed: a comma, quote, CR or LF; leading or trailing whitespace
/// (kept, not trimmed); or an empty lone cell, which would otherwise be a blank line.
fn push_cell(out: &mut String, cell: &str, single: bool) {
    let needs_quotes = cell.contains([',', '"', '\r', '\n'])
        || cell.starts_with([' ', '\t'])
        || cell.ends_with([' ', '\t'])
        || (single && cell.is_empty());
    if needs_quotes {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// Counts data rows (header excluded); see [`super::count_csv_records`].
pub(crate) fn count_records(body: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(super::strip_bom(body))
        .map_err(|e| format!("expected a utf-8 csv batch, found {e}"))?;
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut record = ByteRecord::new();
    let mut count = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => count += 1,
            Ok(false) => return Ok(count),
            Err(e) => {
                return Err(format!(
                    "record {}: expected a csv row, found {}",
                    count + 1,
                    describe(&e)
                ));
            }
        }
    }
}

/// A csv error in the house style.
fn describe(e: &::csv::Error) -> String {
    match e.kind() {
        ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} values where the header has {expected_len}")
        }
        ErrorKind::Utf8 { err, .. } => format!("invalid utf-8 ({err})"),
        _ => e.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str, fields: &[&str]) -> RecordError {
        RecordError {
            status_code: code.into(),
            message: message.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn error_text_in_all_known_shapes() {
        assert_eq!(
            parse_error_text(
                "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
            ),
            vec![err(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [LastName]",
                &["LastName"]
            )]
        );
        assert_eq!(
            parse_error_text(
                "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--"
            ),
            vec![err(
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record",
                &[]
            )]
        );
        assert_eq!(
            parse_error_text("INVALID_FIELD:Error: bad value for field --"),
            vec![err("INVALID_FIELD", "Error: bad value for field", &[])]
        );
        assert_eq!(
            parse_error_text("DUPLICATE_VALUE:duplicate value found: Email, Phone:Email,Phone --"),
            vec![err(
                "DUPLICATE_VALUE",
                "duplicate value found: Email, Phone",
                &["Email", "Phone"]
            )]
        );
        assert_eq!(
            parse_error_text("A_B:first:X -- C_D:second, with -- inside:Y --"),
            vec![
                err("A_B", "first", &["X"]),
                err("C_D", "second, with -- inside", &["Y"])
            ]
        );
        assert_eq!(
            parse_error_text("something odd"),
            vec![err("", "something odd", &[])]
        );
        assert_eq!(parse_error_text("  "), vec![]);
        assert_eq!(parse_error_text("CODE:"), vec![err("CODE", "", &[])]);
        assert_eq!(parse_error_text("--"), vec![]);
    }

    #[test]
    fn cells_are_quoted_only_when_needed() {
        let cell = |s: &str, single| {
            let mut out = String::new();
            push_cell(&mut out, s, single);
            out
        };
        assert_eq!(cell("plain", false), "plain");
        assert_eq!(cell("a,b", false), "\"a,b\"");
        assert_eq!(cell("say \"hi\"", false), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("l1\nl2", false), "\"l1\nl2\"");
        assert_eq!(cell("cr\r", false), "\"cr\r\"");
        assert_eq!(cell(" lead", false), "\" lead\"");
        assert_eq!(cell("trail\t", false), "\"trail\t\"");
        assert_eq!(cell("", false), "");
        assert_eq!(cell("", true), "\"\"");
        assert_eq!(cell("in ner", false), "in ner");
    }

    #[test]
    fn count_reports_unequal_rows_and_bad_utf8() {
        assert_eq!(
            count_records(b"a,b\n1,2\n3\n"),
            Err("record 2: expected a csv row, found 1 values where the header has 2".into())
        );
        let e = count_records(b"a\n\xff\n").unwrap_err();
        assert!(
            e.starts_with("expected a utf-8 csv batch, found invalid utf-8"),
            "{e}"
        );
    }
}
