//! Reading the one upload of a Bulk API 2.0 ingest job with the job's dialect, as the service
//! does at `UploadComplete`: records end at a line break outside quotes; the declared line
//! ending must be the one used (`ClientInputError : LineEnding is invalid on user data…`);
//! the header is split on the declared delimiter, so a file with another delimiter has one
//! unknown field name (`InvalidBatch : Field name not found : Name|Description`).

use std::collections::HashSet;
use std::ops::Range;

use crate::decode::records::{FieldValue, InputRecord, csv_value};
use crate::dialect::{Dialect, LineEnding};
use crate::model::v2job::{UploadRow, UploadRows};
use crate::schema::is_known_field;

/// Reads `bytes`; a problem that fails the whole job is in [`UploadRows::problem`] (the raw
/// rows are still there, to be reported unprocessed).
pub(crate) fn read_upload(bytes: &[u8], dialect: Dialect) -> UploadRows {
    let (records, open_quote) = split_records(bytes);
    let mut problem = line_ending_problem(bytes, &records, dialect.line_ending);
    if problem.is_none() && std::str::from_utf8(bytes).is_err() {
        problem = Some("InvalidBatch : Failed to parse CSV: the upload is not valid utf-8".into());
    }
    if problem.is_none() && open_quote {
        problem = Some(
            "InvalidBatch : Failed to parse CSV: found an unescaped or unterminated quote".into(),
        );
    }
    let mut records = records.into_iter().filter(|r| !is_blank(&bytes[r.clone()]));
    let Some(header_raw) = records.next() else {
        return UploadRows {
            problem: Some(
                problem.unwrap_or_else(|| {
                    "InvalidBatch : Failed to parse CSV header: no columns".into()
                }),
            ),
            ..UploadRows::default()
        };
    };
    let headers = split_fields(&bytes[header_raw.clone()], dialect.delimiter.byte());
    if problem.is_none() {
        problem = header_problem(&headers);
    }
    let rows: Vec<UploadRow> = records
        .map(|raw| UploadRow {
            values: split_fields(&bytes[raw.clone()], dialect.delimiter.byte()),
            raw,
        })
        .collect();
    if problem.is_none()
        && let Some((n, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, row)| row.values.len() != headers.len())
    {
        problem = Some(format!(
            "InvalidBatch : Failed to parse CSV: record {} has {} fields, the header has {}",
            n + 1,
            row.values.len(),
            headers.len()
        ));
    }
    UploadRows {
        header_raw,
        headers,
        rows,
        problem,
    }
}

/// The row as ingest records are: `""` leaves a field unchanged, `#N/A` sets it null.
pub(crate) fn input_record(headers: &[String], values: &[String]) -> InputRecord {
    InputRecord {
        fields: headers
            .iter()
            .zip(values)
            .map(|(name, value)| (name.clone(), csv_value(value)))
            .collect::<Vec<(String, FieldValue)>>(),
        error: None,
    }
}

/// Byte ranges of the records (terminators included) and whether a quote was left open.
fn split_records(bytes: &[u8]) -> (Vec<Range<usize>>, bool) {
    let mut records = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                records.push(start..i + 1);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < bytes.len() {
        records.push(start..bytes.len());
    }
    (records, in_quotes)
}

/// The service's message when a record ends with the other line ending.
fn line_ending_problem(
    bytes: &[u8],
    records: &[Range<usize>],
    declared: LineEnding,
) -> Option<String> {
    let mismatch = records.iter().any(|r| {
        let record = &bytes[r.clone()];
        if !record.ends_with(b"\n") {
            return false;
        }
        let crlf = record.ends_with(b"\r\n");
        match declared {
            LineEnding::Lf => crlf,
            LineEnding::Crlf => !crlf,
        }
    });
    mismatch.then(|| {
        format!(
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {}",
            declared.name()
        )
    })
}

fn header_problem(headers: &[String]) -> Option<String> {
    if headers.iter().all(String::is_empty) {
        return Some("InvalidBatch : Failed to parse CSV header: no columns".into());
    }
    let mut seen = HashSet::new();
    for header in headers {
        if !is_known_field(header) {
            return Some(format!("InvalidBatch : Field name not found : {header}"));
        }
        if !seen.insert(header.to_ascii_lowercase()) {
            return Some(format!("InvalidBatch : Duplicate field name: {header}"));
        }
    }
    None
}

fn is_blank(record: &[u8]) -> bool {
    record.iter().all(|b| matches!(b, b'\r' | b'\n'))
}

/// The fields of one record (its terminator dropped). A quoted field keeps delimiters and
/// line breaks, `""` is one quote; text after a closing quote is kept as written.
fn split_fields(record: &[u8], delimiter: u8) -> Vec<String> {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut i = 0;
    loop {
        if record.get(i) == Some(&b'"') {
            i += 1;
            while i < record.len() {
                match (record[i], record.get(i + 1)) {
                    (b'"', Some(b'"')) => {
                        field.push(b'"');
                        i += 2;
                    }
                    (b'"', _) => {
                        i += 1;
                        break;
                    }
                    (b, _) => {
                        field.push(b);
                        i += 1;
                    }
                }
            }
        }
        while i < record.len() && record[i] != delimiter {
            field.push(record[i]);
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&field).into_owned());
        field.clear();
        if i >= record.len() {
            break;
        }
        i += 1;
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::ColumnDelimiter;

    fn dialect(delimiter: ColumnDelimiter, line_ending: LineEnding) -> Dialect {
        Dialect {
            delimiter,
            line_ending,
        }
    }

    #[test]
    fn quoted_fields_and_raw_rows() {
        let body = b"Name|Description\nA|\"x|y\n\"\"z\"\"\"\nB|#N/A\n";
        let rows = read_upload(body, dialect(ColumnDelimiter::Pipe, LineEnding::Lf));
        assert_eq!(rows.problem, None);
        assert_eq!(rows.headers, ["Name", "Description"]);
        assert_eq!(rows.rows[0].values, ["A", "x|y\n\"z\""]);
        assert_eq!(&body[rows.rows[1].raw.clone()], b"B|#N/A\n");
    }

    #[test]
    fn mismatches_fail_the_job() {
        let crlf = read_upload(b"Name\r\nA\r\n", Dialect::DEFAULT);
        assert_eq!(
            crlf.problem.as_deref(),
            Some(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
            )
        );
        let lf = read_upload(
            b"Name\nA\n",
            dialect(ColumnDelimiter::Comma, LineEnding::Crlf),
        );
        assert!(lf.problem.unwrap().ends_with("setting is CRLF"));
        let pipe = read_upload(b"Name|Description\nA|b\n", Dialect::DEFAULT);
        assert_eq!(
            pipe.problem.as_deref(),
            Some("InvalidBatch : Field name not found : Name|Description")
        );
        assert_eq!(pipe.rows.len(), 1);
    }
}
