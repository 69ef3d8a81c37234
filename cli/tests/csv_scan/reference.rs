//! The input check's scanner as it was before its fast path (commit 2c4654f), kept as the
//! reference the new one must agree with.

use sfbulk_cli::csv_rules::{
    Checked, MAX_FIELD_CHARS, MAX_FIELDS, MAX_HEADER_CHARS_V2, MAX_RECORD_CHARS, Problem, Rules,
    check_names,
};
use sfbulk_core::wire::find_or_line_end;

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Before a field's first byte (or between records when no record is open).
    FieldStart,
    /// Inside an unquoted value.
    Unquoted,
    /// Inside a quoted value.
    Quoted,
    /// Right after a quote inside a quoted value: its end, or the first of `""`.
    QuoteAfter,
}

/// The byte-level reader of the pass.
pub struct Scanner {
    delim: u8,
    rules: Rules,
    state: State,
    /// Absolute offset of the next byte.
    offset: u64,
    /// Current physical line (1-based) and whether the last byte was a CR.
    line: u64,
    cr_last: bool,
    /// A record is open (bytes of it were seen).
    in_record: bool,
    record: u64,
    rec_line: u64,
    rec_start: u64,
    fields: usize,
    field_start: u64,
    field_quoted: bool,
    field_escapes: u64,
    /// The header ended with CR: is the next byte its LF?
    header_cr: bool,
    crlf: bool,
    header_fields: usize,
    header_bytes: u64,
    /// The header record's raw bytes (kept to read its names).
    header_raw: Vec<u8>,
    columns: Vec<String>,
}

impl Scanner {
    pub fn new(delim: u8, rules: Rules, offset: u64) -> Self {
        Scanner {
            delim,
            rules,
            state: State::FieldStart,
            offset,
            line: 1,
            cr_last: false,
            in_record: false,
            record: 0,
            rec_line: 1,
            rec_start: offset,
            fields: 0,
            field_start: offset,
            field_quoted: false,
            field_escapes: 0,
            header_cr: false,
            crlf: false,
            header_fields: 0,
            header_bytes: 0,
            header_raw: Vec::new(),
            columns: Vec::new(),
        }
    }

    fn problem(&self, what: impl Into<String>) -> Problem {
        Problem {
            line: self.rec_line,
            record: self.record,
            what: what.into(),
        }
    }

    /// A problem at the current byte (its own line, not the record's first).
    pub fn problem_here(&self, what: String) -> Problem {
        Problem {
            line: self.line,
            record: self.record,
            what,
        }
    }

    /// Counts a line break byte.
    #[inline]
    fn line_byte(&mut self, b: u8) {
        if b == b'\r' {
            self.line += 1;
            self.cr_last = true;
        } else {
            if !self.cr_last {
                self.line += 1;
            }
            self.cr_last = false;
        }
    }

    pub fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        let base = self.offset;
        let mut i = 0;
        let n = data.len();
        while i < n {
            let b = data[i];
            if self.header_cr {
                self.header_cr = false;
                self.crlf = b == b'\n';
            }
            match self.state {
                State::FieldStart => {
                    if !self.in_record {
                        if b == b'\r' || b == b'\n' {
                            // A blank line (or the LF of a CRLF).
                            self.line_byte(b);
                            i += 1;
                            continue;
                        }
                        self.in_record = true;
                        self.rec_line = self.line;
                        self.rec_start = base + i as u64;
                        if self.record == 0 && data[i..].starts_with(BOM) {
                            return Err(self.problem(
                                "expected a field name, found a byte order mark (U+FEFF); \
                                 only one, at the very start of the file, is dropped",
                            ));
                        }
                    }
                    self.cr_last = false;
                    self.field_start = base + i as u64;
                    self.field_quoted = false;
                    self.field_escapes = 0;
                    if b == b'"' {
                        self.field_quoted = true;
                        self.state = State::Quoted;
                        i += 1;
                    } else if b == self.delim {
                        self.end_field(base + i as u64, reread)?;
                        i += 1;
                    } else if b == b'\r' || b == b'\n' {
                        self.line_end(data, base, i, reread)?;
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                        i += 1;
                    }
                }
                State::Unquoted => {
                    let k = find_or_line_end(data, i, self.delim).unwrap_or(n);
                    if k > i {
                        self.cr_last = false;
                    }
                    i = k;
                    if i == n {
                        break;
                    }
                    if data[i] == self.delim {
                        self.end_field(base + i as u64, reread)?;
                    } else {
                        self.line_end(data, base, i, reread)?;
                    }
                    self.state = State::FieldStart;
                    i += 1;
                }
                State::Quoted => {
                    let k = find_or_line_end(data, i, b'"').unwrap_or(n);
                    if k > i {
                        self.cr_last = false;
                    }
                    i = k;
                    if i == n {
                        break;
                    }
                    let b = data[i];
                    if b == b'"' {
                        self.cr_last = false;
                        self.state = State::QuoteAfter;
                    } else {
                        self.line_byte(b);
                    }
                    i += 1;
                }
                State::QuoteAfter => {
                    if b == b'"' {
                        self.field_escapes += 1;
                        self.cr_last = false;
                        self.state = State::Quoted;
                        i += 1;
                    } else if b == self.delim {
                        self.end_field(base + i as u64, reread)?;
                        self.state = State::FieldStart;
                        i += 1;
                    } else if b == b'\r' || b == b'\n' {
                        self.line_end(data, base, i, reread)?;
                        self.state = State::FieldStart;
                        i += 1;
                    } else {
                        let shown = String::from_utf8_lossy(&data[i..(i + 4).min(n)])
                            .chars()
                            .next()
                            .unwrap_or('?');
                        return Err(self.problem_here(format!(
                            "field {}: expected a delimiter or a line end after the closing quote, found {shown:?}",
                            self.fields + 1
                        )));
                    }
                }
            }
        }
        if self.record == 0 && self.in_record {
            let from = (self.rec_start.max(base) - base) as usize;
            self.header_raw.extend_from_slice(&data[from.min(n)..]);
        }
        self.offset = base + n as u64;
        // A value or record still open: refuse it as soon as its bytes settle a limit.
        if self.in_record {
            if matches!(
                self.state,
                State::Quoted | State::Unquoted | State::QuoteAfter
            ) {
                let bytes = self.offset - self.field_start;
                if bytes > 4 * MAX_FIELD_CHARS + 2 + 2 * self.field_escapes {
                    return Err(self.field_too_long());
                }
            }
            if self.offset - self.rec_start > 4 * MAX_RECORD_CHARS {
                return Err(self.record_too_long());
            }
        }
        Ok(())
    }

    /// The line end at `data[i]` ends the open field and record.
    fn line_end(
        &mut self,
        data: &[u8],
        base: u64,
        i: usize,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        if self.record == 0 {
            let from = (self.rec_start.max(base) - base) as usize;
            self.header_raw.extend_from_slice(&data[from.min(i)..i]);
        }
        let end = base + i as u64;
        self.end_field(end, reread)?;
        self.end_record(end, data[i], reread)?;
        self.line_byte(data[i]);
        Ok(())
    }

    fn field_too_long(&self) -> Problem {
        self.problem(format!(
            "field {}: expected at most {MAX_FIELD_CHARS} characters, found more",
            self.fields + 1
        ))
    }

    fn record_too_long(&self) -> Problem {
        self.problem(format!(
            "expected at most {MAX_RECORD_CHARS} characters in a record, found more"
        ))
    }

    /// A field ends at absolute offset `end` (its delimiter or line end).
    fn end_field(
        &mut self,
        end: u64,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        self.fields += 1;
        let raw = end - self.field_start;
        let quotes = if self.field_quoted { 2 } else { 0 };
        let bytes = raw.saturating_sub(quotes + self.field_escapes);
        if bytes > MAX_FIELD_CHARS {
            // Bytes do not settle it: count the characters (of the raw value: quotes and
            // escapes are ASCII, one character per byte).
            let chars = reread(self.field_start, raw).map_err(|e| self.problem(e))?;
            if chars.saturating_sub(quotes + self.field_escapes) > MAX_FIELD_CHARS {
                self.fields -= 1;
                return Err(self.field_too_long());
            }
        }
        if self.record == 0 && self.fields > MAX_FIELDS {
            return Err(self.problem(format!("expected at most {MAX_FIELDS} fields, found more")));
        }
        Ok(())
    }

    /// A record ends at absolute offset `end` with the line end byte `term`.
    fn end_record(
        &mut self,
        end: u64,
        term: u8,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        let bytes = end - self.rec_start;
        if bytes > MAX_RECORD_CHARS {
            let chars = reread(self.rec_start, bytes).map_err(|e| self.problem(e))?;
            if chars > MAX_RECORD_CHARS {
                return Err(self.record_too_long());
            }
        }
        if self.record == 0 {
            self.end_header(bytes, term, reread)?;
        } else {
            if self.fields != self.header_fields {
                return Err(self.problem(format!(
                    "has {} fields, the header has {}",
                    self.fields, self.header_fields
                )));
            }
            if let Some(max) = self.rules.max_job_bytes {
                // The line end of the upload: CRLF when the header has one, else LF.
                let term = if self.crlf { 2 } else { 1 };
                if self.header_bytes + bytes + term > max {
                    return Err(self.problem(format!(
                        "does not fit in one job's upload with the header: expected at most {max} bytes, found {}",
                        self.header_bytes + bytes + term
                    )));
                }
            }
        }
        self.in_record = false;
        self.fields = 0;
        self.record += 1;
        Ok(())
    }

    fn end_header(
        &mut self,
        bytes: u64,
        term: u8,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        self.header_fields = self.fields;
        if term == b'\r' {
            self.header_cr = true;
        }
        // CRLF is settled by the next byte; count two bytes to be safe.
        self.header_bytes = bytes + if term == b'\r' { 2 } else { 1 };
        if self.rules.max_job_bytes.is_some() && bytes > MAX_HEADER_CHARS_V2 {
            let chars = reread(self.rec_start, bytes).map_err(|e| self.problem(e))?;
            if chars > MAX_HEADER_CHARS_V2 {
                return Err(self.problem(format!(
                    "expected a header line of at most {MAX_HEADER_CHARS_V2} characters, found {chars}"
                )));
            }
        }
        let raw = std::mem::take(&mut self.header_raw);
        self.columns = read_names(&raw, self.delim);
        check_names(&self.columns).map_err(|e| self.problem(e))
    }

    /// End of the file.
    pub fn finish(
        mut self,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<Checked, Problem> {
        if self.in_record {
            let end = self.offset;
            match self.state {
                State::Quoted => {
                    return Err(self.problem(format!(
                        "field {}: expected a closing quote, found the end of the file",
                        self.fields + 1
                    )));
                }
                _ => {
                    // (A header without a line end: its bytes are all in header_raw.)
                    self.end_field(end, reread)?;
                    self.end_record(end, b'\n', reread)?;
                }
            }
        }
        if self.record == 0 {
            return Err(Problem {
                line: self.line,
                record: 0,
                what: "expected a header line, found an empty file".into(),
            });
        }
        Ok(Checked {
            records: self.record - 1,
            delimiter: self.delim,
            crlf: self.crlf,
            columns: self.columns,
        })
    }
}

/// The header's names, unquoted.
fn read_names(raw: &[u8], delim: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .flexible(true)
        .from_reader(raw);
    match rdr.byte_records().next() {
        Some(Ok(rec)) => rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
        _ => Vec::new(),
    }
}
