//! A CSV writer for one dialect, fields quoted always or only when needed: the query result
//! files of Bulk API 1.0 and the result files and pages of 2.0. Written by hand (not with the
//! `csv` crate) so that a million-row result is a few `memcpy`s per value into one buffer
//! sized up front.

use crate::dialect::{Dialect, LineEnding};

pub(crate) struct CsvOut {
    bytes: Vec<u8>,
    delimiter: u8,
    line_ending: LineEnding,
    at_line_start: bool,
}

impl CsvOut {
    /// A writer in `dialect` whose buffer first holds `capacity` bytes.
    pub(crate) fn new(dialect: Dialect, capacity: usize) -> CsvOut {
        CsvOut {
            bytes: Vec::with_capacity(capacity),
            delimiter: dialect.delimiter.byte(),
            line_ending: dialect.line_ending,
            at_line_start: true,
        }
    }

    fn separate(&mut self) {
        if !self.at_line_start {
            self.bytes.push(self.delimiter);
        }
        self.at_line_start = false;
    }

    /// In quotes, quotes inside doubled.
    pub(crate) fn quoted(&mut self, value: &str) {
        self.separate();
        self.bytes.push(b'"');
        let mut pieces = value.split('"');
        if let Some(first) = pieces.next() {
            self.bytes.extend_from_slice(first.as_bytes());
        }
        for piece in pieces {
            self.bytes.extend_from_slice(b"\"\"");
            self.bytes.extend_from_slice(piece.as_bytes());
        }
        self.bytes.push(b'"');
    }

    /// As written, unless it holds the delimiter, a quote or a line break.
    pub(crate) fn plain(&mut self, value: &str) {
        let needs_quotes = value
            .bytes()
            .any(|b| b == self.delimiter || matches!(b, b'"' | b'\r' | b'\n'));
        if needs_quotes {
            self.quoted(value);
        } else {
            self.separate();
            self.bytes.extend_from_slice(value.as_bytes());
        }
    }

    pub(crate) fn end_line(&mut self) {
        self.bytes.extend_from_slice(self.line_ending.terminator());
        self.at_line_start = true;
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::ColumnDelimiter;

    #[test]
    fn plain_fields_quote_only_when_needed() {
        let mut out = CsvOut::new(
            Dialect {
                delimiter: ColumnDelimiter::Pipe,
                line_ending: LineEnding::Crlf,
            },
            0,
        );
        out.quoted("sf__Id");
        out.plain("a,b");
        out.plain("a|b");
        out.end_line();
        assert_eq!(out.into_bytes(), b"\"sf__Id\"|a,b|\"a|b\"\r\n");
    }

    #[test]
    fn quotes_inside_are_doubled() {
        let mut out = CsvOut::new(Dialect::DEFAULT, 0);
        for value in ["", "\"", "a\"b\"\"c", "\"x\""] {
            out.quoted(value);
        }
        out.end_line();
        assert_eq!(
            out.into_bytes(),
            b"\"\",\"\"\"\",\"a\"\"b\"\"\"\"c\",\"\"\"x\"\"\"\n"
        );
    }
}
