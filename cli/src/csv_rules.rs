//! What a record of `load`'s input must be, checked byte by byte as the file streams by
//! ([`Scanner`], driven by [`crate::validate`]): quoting, field counts, header names and
//! Salesforce's limits, each problem with its line and record. See `validate` for the rules.

use std::path::Path;

use sfbulk_core::model::is_api_name;
use sfbulk_core::wire::find_or_line_end;

/// Most characters in one field value (Salesforce's limit).
pub const MAX_FIELD_CHARS: u64 = 131_072;
/// Most characters in one record (Salesforce's limit).
pub const MAX_RECORD_CHARS: u64 = 400_000;
/// Most fields in one record (Salesforce's limit).
pub const MAX_FIELDS: usize = 5_000;
/// Most characters in the header line of a Bulk API 2.0 upload.
pub const MAX_HEADER_CHARS_V2: u64 = 32_000;

/// The six column delimiters of Bulk API 2.0, in the order that breaks ties.
pub const DELIMITERS: [u8; 6] = [b',', b'\t', b';', b'|', b'^', b'`'];

pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the pass checks besides the common rules.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// The column delimiter; `None`: detect it from the header line (Bulk API 2.0).
    pub delimiter: Option<u8>,
    /// Bulk API 2.0: the largest upload of one job; the header, one record and their line
    /// ends must fit in it. Also switches on the 2.0 header limit.
    pub max_job_bytes: Option<u64>,
}

impl Rules {
    /// Bulk API 1.0: comma-separated.
    pub fn bulk1() -> Self {
        Rules {
            delimiter: Some(b','),
            max_job_bytes: None,
        }
    }

    /// Bulk API 2.0: the delimiter detected, records within `max_job_bytes`.
    pub fn bulk2(max_job_bytes: u64) -> Self {
        Rules {
            delimiter: None,
            max_job_bytes: Some(max_job_bytes),
        }
    }
}

/// What the pass learnt about a good file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Data records (the header not counted).
    pub records: u64,
    /// The column delimiter (given or detected).
    pub delimiter: u8,
    /// Whether the header line ends with CRLF (else LF, or a lone CR, or nothing).
    pub crlf: bool,
    /// The header's field names.
    pub columns: Vec<String>,
}

/// The first problem found, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line where the record starts (or where the bad byte is).
    pub line: u64,
    /// 0 for the header, then 1, 2, … for data records.
    pub record: u64,
    /// What was expected and what came.
    pub what: String,
}

impl Problem {
    /// `contacts.csv: line 11502, record 11501: …`.
    pub fn describe(&self, file: &Path) -> String {
        let record = match self.record {
            0 => "the header".to_string(),
            n => format!("record {n}"),
        };
        format!(
            "{}: line {}, {record}: {}",
            file.display(),
            self.line,
            self.what
        )
    }
}

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
pub(crate) struct Scanner {
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
    pub(crate) fn new(delim: u8, rules: Rules, offset: u64) -> Self {
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
    pub(crate) fn problem_here(&self, what: String) -> Problem {
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

    pub(crate) fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        let base = self.offset;
        let mut i = 0;
        let n = data.len();
        if self.header_cr && n > 0 {
            self.header_cr = false;
            self.crlf = data[0] == b'\n';
        }
        while i < n {
            if self.state == State::FieldStart && !self.in_record && self.record > 0 {
                i = self.records_fast(data, i);
                if i == n {
                    break;
                }
            }
            let b = data[i];
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
        if self.header_cr && i + 1 < data.len() {
            // CRLF or not is settled by the next byte (else by the next piece's first).
            self.header_cr = false;
            self.crlf = data[i + 1] == b'\n';
        }
        Ok(())
    }

    /// The fast path: data records from `data[i]`, where no record is open, read whole
    /// while they have the common shape — plain values, and quoted values closed right
    /// before a delimiter or a line end — and are within every limit without counting
    /// characters; blank lines between them skipped. Returns where the state machine takes
    /// over: the end of `data`, or the start of a record not read here (nothing of it
    /// taken: anything unusual, a record cut by the end of the piece, or any problem is
    /// left to the state machine, which reads the record from its start and so gives the
    /// same results and the same first problem). The bytes that matter (quotes, delimiters,
    /// CR, LF) are found 16 at a time ([`Structural`]), each visited once.
    fn records_fast(&mut self, data: &[u8], mut i: usize) -> usize {
        let n = data.len();
        if n < W {
            return i;
        }
        let delim = self.delim;
        let mut at = Structural::new(data, i, delim);
        let mut line = self.line;
        let mut cr = self.cr_last;
        let mut record = self.record;
        let header_fields = self.header_fields;
        // The most bytes a record may have for its upload with the header.
        let max_bytes = match self.rules.max_job_bytes {
            Some(max) => max.saturating_sub(self.header_bytes + if self.crlf { 2 } else { 1 }),
            None => u64::MAX,
        }
        .min(MAX_RECORD_CHARS);
        'records: while i < n {
            let b = data[i];
            if b == b'\r' || b == b'\n' {
                // A blank line (or the LF of a CRLF).
                if b == b'\r' || !cr {
                    line += 1;
                }
                cr = b == b'\r';
                i += 1;
                continue;
            }
            // Lines of the record (line breaks inside quoted values).
            let mut rec_lines = line;
            let mut p = i;
            let mut fields = 0usize;
            let end = loop {
                fields += 1;
                let end;
                if data[p] == b'"' {
                    let mut escapes = 0u64;
                    let mut q = p + 1;
                    loop {
                        let Some(k) = at.next::<true>(data, q) else {
                            break 'records;
                        };
                        q = k + 1;
                        match data[k] {
                            b'"' => {
                                let Some(&a) = data.get(k + 1) else {
                                    break 'records;
                                };
                                if a == b'"' {
                                    escapes += 1;
                                    q = k + 2;
                                } else if a == delim || a == b'\r' || a == b'\n' {
                                    end = k + 1;
                                    break;
                                } else {
                                    break 'records;
                                }
                            }
                            // An LF counts unless it ends a CRLF (the byte before it is in
                            // the value: at worst its opening quote).
                            b'\r' => rec_lines += 1,
                            _ if data[k - 1] != b'\r' => rec_lines += 1,
                            _ => {}
                        }
                    }
                    if (end - p) as u64 - 2 - escapes > MAX_FIELD_CHARS {
                        break 'records;
                    }
                } else {
                    let mut k = p;
                    loop {
                        let Some(h) = at.next::<false>(data, k) else {
                            break 'records;
                        };
                        // Quotes inside a plain value are its text.
                        if data[h] != b'"' {
                            k = h;
                            break;
                        }
                        k = h + 1;
                    }
                    if (k - p) as u64 > MAX_FIELD_CHARS {
                        break 'records;
                    }
                    end = k;
                }
                if data[end] != delim {
                    break end;
                }
                p = end + 1;
                if p == n {
                    break 'records;
                }
            };
            if fields != header_fields || (end - i) as u64 > max_bytes {
                break;
            }
            record += 1;
            line = rec_lines + 1;
            cr = data[end] == b'\r';
            i = end + 1;
        }
        self.line = line;
        self.cr_last = cr;
        self.record = record;
        i
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
    pub(crate) fn finish(
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

/// Where the next quote, delimiter, CR or LF is in a piece of at least [`W`] bytes, found
/// 16 bytes at a time: the bits of one window of `W` bytes are kept and used up one by one.
struct Structural {
    delim: u8,
    /// Offset of the window, and a bit for each byte of it that is one of the four.
    base: usize,
    mask: u64,
    /// The bits of the quotes, CRs and LFs only (what ends a run of a quoted value).
    quotes: u64,
}

/// Bytes in a window of [`Structural`].
const W: usize = 64;

/// The bits of the window of `data` from `base` (`W` bytes there): of the four, and of
/// the quotes, CRs and LFs.
#[inline(always)]
fn window(data: &[u8], base: usize, delim: u8) -> (u64, u64) {
    let w: &[u8; W] = data[base..base + W].try_into().expect("a window");
    let (mut mask, mut quotes) = (0, 0);
    for (j, v) in w.chunks_exact(16).enumerate() {
        let v: &[u8; 16] = v.try_into().expect("16 bytes");
        let (m, q) = structural(v, delim);
        mask |= u64::from(m) << (16 * j);
        quotes |= u64::from(q) << (16 * j);
    }
    (mask, quotes)
}

impl Structural {
    /// The window from `from` (`data` has at least [`W`] bytes).
    fn new(data: &[u8], from: usize, delim: u8) -> Self {
        let base = from.min(data.len() - W);
        let (mask, quotes) = window(data, base, delim);
        Structural {
            delim,
            base,
            mask,
            quotes,
        }
    }

    /// The first of the four in `data[from..]` (`from` never less than the last call's).
    #[inline(always)]
    /// `QUOTED`: only a quote, CR or LF.
    fn next<const QUOTED: bool>(&mut self, data: &[u8], from: usize) -> Option<usize> {
        let n = data.len();
        let mut start = from;
        let mut off = from.wrapping_sub(self.base);
        loop {
            if off < W {
                let m = if QUOTED { self.quotes } else { self.mask } & (u64::MAX << off);
                if m != 0 {
                    return Some(self.base + m.trailing_zeros() as usize);
                }
                start = self.base + W;
            }
            if start >= n {
                return None;
            }
            // The last window of the piece ends with it (bits before `start` dropped).
            let base = start.min(n - W);
            (self.mask, self.quotes) = window(data, base, self.delim);
            self.base = base;
            off = start - base;
        }
    }
}

/// Bit `i` set when byte `i` of `v` is a quote, `delim`, CR or LF; and when it is a quote,
/// CR or LF. SSE2, which every x86_64 has.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn structural(v: &[u8; 16], delim: u8) -> (u32, u32) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, and `v` is 16 readable bytes, which
    // `_mm_loadu_si128` reads at any alignment.
    unsafe {
        let v = _mm_loadu_si128(v.as_ptr().cast());
        let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let q = _mm_or_si128(eq(b'"'), _mm_or_si128(eq(b'\r'), eq(b'\n')));
        let m = _mm_or_si128(q, eq(delim));
        (_mm_movemask_epi8(m) as u32, _mm_movemask_epi8(q) as u32)
    }
}

/// See the x86_64 `structural`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn structural(v: &[u8; 16], delim: u8) -> (u32, u32) {
    let (mut m, mut q) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        if b == b'"' || b == b'\r' || b == b'\n' {
            q |= 1 << i;
        }
        if b == delim || b == b'"' || b == b'\r' || b == b'\n' {
            m |= 1 << i;
        }
    }
    (m, q)
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

/// Header names: API names, dotted for a relationship, `Type:Rel.Field` for a polymorphic
/// one, each once (the component's rule for CSV field names).
pub fn check_names(names: &[String]) -> Result<(), String> {
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(format!(
                "field {}: expected a name, found an empty one",
                i + 1
            ));
        }
        if names[..i].iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(format!("expected each field once, found {name:?} twice"));
        }
        let path = match name.split_once(':') {
            None => name.as_str(),
            Some((kind, path)) if is_api_name(kind) && path.contains('.') => path,
            Some(_) => {
                return Err(format!(
                    "field {}: expected `Type:Relationship.Field` for a polymorphic field, found {name:?}",
                    i + 1
                ));
            }
        };
        if !path.split('.').all(is_api_name) {
            return Err(format!(
                "field {}: expected a field API name (letters, digits and underscores, starting with a letter; dotted for a relationship), found {name:?}",
                i + 1
            ));
        }
    }
    Ok(())
}

/// The [`Scanner`] for the tests of `cli/tests/` (`csv_scan.rs` checks it against a plain
/// reader on generated inputs cut into pieces every way): not part of the interface.
#[doc(hidden)]
pub struct TestScanner(Scanner);

#[doc(hidden)]
impl TestScanner {
    pub fn new(delim: u8, rules: Rules, offset: u64) -> Self {
        TestScanner(Scanner::new(delim, rules, offset))
    }

    pub fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        self.0.scan(data, reread)
    }

    pub fn problem_here(&self, what: String) -> Problem {
        self.0.problem_here(what)
    }

    pub fn finish(
        self,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<Checked, Problem> {
        self.0.finish(reread)
    }
}
