//! CSV: ingest results read with csv-core (RFC 4180 quoting, blank lines skipped), record
//! batches written by hand (quoting rules of the Bulk API data loader), record counting.

use std::cell::RefCell;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use crate::model::{FieldValue, IngestOutcomes, RecordError, RecordResult, error_text};
use crate::substr;

use super::control;
use super::records;
use super::{Scan, Span, scan_record};
use sfbulk_hot::result_row::plain_row;

/// What Salesforce reads as null in a CSV batch.
const NULL: &str = "#N/A";

/// A csv-core reader for one delimiter, in its initial state, taken from a per-thread pool
/// and given back when dropped. Building one (its DFA) costs about 75 µs natively, more than
/// reading most bodies; csv-core's `Clone` cannot stand in (it copies only part of the DFA).
#[derive(Debug)]
pub(crate) struct PooledReader {
    delimiter: u8,
    reader: Option<Reader>,
}

thread_local! {
    static POOL: RefCell<Vec<(u8, Reader)>> = const { RefCell::new(Vec::new()) };
}

/// Readers kept per thread (a few delimiters, a few in use at once).
const POOL_MAX: usize = 16;

impl PooledReader {
    /// A reader for fields separated by `delimiter`.
    pub(crate) fn new(delimiter: u8) -> Self {
        let kept = POOL
            .try_with(|pool| {
                let mut pool = pool.try_borrow_mut().ok()?;
                let at = pool.iter().position(|(d, _)| *d == delimiter)?;
                Some(pool.swap_remove(at).1)
            })
            .ok()
            .flatten();
        let mut reader = kept.unwrap_or_else(|| ReaderBuilder::new().delimiter(delimiter).build());
        reader.reset();
        PooledReader {
            delimiter,
            reader: Some(reader),
        }
    }

    /// csv-core's `read_record`.
    pub(crate) fn read_record(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        ends: &mut [usize],
    ) -> (ReadRecordResult, usize, usize, usize) {
        match &mut self.reader {
            Some(r) => r.read_record(input, output, ends),
            None => (ReadRecordResult::End, 0, 0, 0),
        }
    }
}

impl PooledReader {
    /// One csv-core step over `input` that appends the values it reads to `vals` and where
    /// each ends to `ends` (both grown as needed; csv-core counts ends from the record's
    /// start, so `vals` must hold this record's values only): the result and the bytes read.
    /// Never returns `OutputFull` or `OutputEndsFull`.
    pub(crate) fn read_into(
        &mut self,
        mut input: &[u8],
        vals: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> (ReadRecordResult, usize) {
        let mut read = 0;
        loop {
            let (v, e) = (vals.len(), ends.len());
            // The room already there (grown below when csv-core fills it).
            vals.resize(vals.capacity().max(v + 64), 0);
            ends.resize(ends.capacity().max(e + 8), 0);
            let (res, nin, nout, nend) = self.read_record(input, &mut vals[v..], &mut ends[e..]);
            vals.truncate(v + nout);
            ends.truncate(e + nend);
            read += nin;
            input = &input[nin..];
            match res {
                ReadRecordResult::OutputFull => vals.reserve(vals.len().max(64)),
                ReadRecordResult::OutputEndsFull => ends.reserve(ends.len().max(8)),
                res => return (res, read),
            }
        }
    }
}

impl Drop for PooledReader {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = POOL.try_with(|pool| {
                if let Ok(mut pool) = pool.try_borrow_mut()
                    && pool.len() < POOL_MAX
                {
                    pool.push((self.delimiter, reader));
                }
            });
        }
    }
}

/// The records of a CSV text, one at a time: a record of plain or simply quoted values by
/// the fast path ([`scan_record`]: its values are slices of the text), any other by csv-core
/// from the same start.
struct Records<'a> {
    reader: PooledReader,
    text: &'a str,
    input: &'a [u8],
    /// The unquoted fields of the current record, back to back (csv-core's).
    fields: Vec<u8>,
    /// Where each field of the current record ends in `fields`.
    ends: Vec<usize>,
    /// How many fields the current record has.
    len: usize,
    /// Whether csv-core has been given a byte (see `advance`).
    fed: bool,
    /// The current record when the fast path read it: its values, spans of `text` from `base`.
    spans: Vec<Span>,
    base: usize,
    fast: bool,
}

impl<'a> Records<'a> {
    fn new(text: &'a str) -> Self {
        Records {
            reader: PooledReader::new(b','),
            text,
            input: text.as_bytes(),
            fields: vec![0; 1024],
            ends: vec![0; 16],
            len: 0,
            fed: false,
            spans: Vec::new(),
            base: 0,
            fast: false,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    fn advance(&mut self) -> bool {
        // Between records: blank lines (or the LF of a CRLF), then the fast path for a record
        // without doubled quotes; csv-core reads any other from the same start.
        let blank = self.input.iter().take_while(|&&b| b == b'\r' || b == b'\n');
        self.input = self.input.get(blank.count()..).unwrap_or_default();
        self.spans.clear();
        if !self.input.is_empty()
            && let Scan::Record(at) = scan_record(self.input, b',', &mut self.spans)
            && !self.spans.iter().any(|s| s.doubled)
        {
            self.base = self.text.len() - self.input.len();
            self.input = self.input.get(at + 1..).unwrap_or_default();
            self.len = self.spans.len();
            self.fast = true;
            return true;
        }
        self.fast = false;
        self.slow()
    }

    /// Reads the next record with csv-core.
    fn slow(&mut self) -> bool {
        let (mut written, mut ended) = (0, 0);
        loop {
            // The caller dropped the body's BOM; csv-core would drop a second one at the start
            // of its first input when that holds 3 bytes or more: it gets one byte first.
            let input = if self.fed {
                self.input
            } else {
                &self.input[..self.input.len().min(1)]
            };
            self.fed = true;
            let (result, read, wrote, ends) = self.reader.read_record(
                input,
                &mut self.fields[written..],
                &mut self.ends[ended..],
            );
            self.input = &self.input[read..];
            written += wrote;
            ended += ends;
            match result {
                // All of the input was given at once: the next call (with no input) ends it.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    self.len = ended;
                    return true;
                }
                ReadRecordResult::End => {
                    self.len = 0;
                    return false;
                }
            }
        }
    }

    /// The number of fields of the current record.
    fn len(&self) -> usize {
        self.len
    }

    /// A field of the current record. csv-core only drops ASCII quotes from UTF-8 input, so
    /// a field is UTF-8 too.
    fn get(&self, i: usize) -> Option<&str> {
        if i >= self.len {
            return None;
        }
        if self.fast {
            // Spans start and end at ASCII bytes (quotes, commas, line ends): char boundaries.
            let s = self.spans.get(i)?;
            return self.text.get(self.base + s.start..self.base + s.end);
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::str::from_utf8(self.fields.get(start..self.ends[i])?).ok()
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len).map(|i| self.get(i).unwrap_or_default())
    }
}

/// Ingest results: `"Id","Success","Created","Error"`, columns found by name (any order and
/// case; `Created` and `Error` optional). An empty body is no results.
pub(crate) fn parse_results(text: &str) -> Result<Vec<RecordResult>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut records = Records::new(text);
    records.advance();
    let header: Vec<String> = records.iter().map(|h| h.trim().to_string()).collect();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(id), Some(success)) = (column("Id"), column("Success")) else {
        // The header row as read, comma-separated (not `join`: see `records::format_number`).
        let mut row = String::new();
        for (i, h) in records.iter().enumerate() {
            if i > 0 {
                row.push(',');
            }
            row.push_str(h);
        }
        let found: String = row.chars().take(80).collect();
        return Err(format!(
            "expected csv result columns \"Id\" and \"Success\", found header {found:?}"
        ));
    };
    let (created, error) = (column("Created"), column("Error"));
    let mut results = Vec::new();
    while records.advance() {
        let cell = |c: Option<usize>| c.and_then(|c| records.get(c));
        let errors = cell(error).map(parse_error_text).unwrap_or_default();
        let result =
            control::record_result(cell(Some(id)), cell(Some(success)), cell(created), errors)
                .map_err(|e| format!("result {}: {e}", results.len() + 1))?;
        results.push(result);
    }
    Ok(results)
}

/// A results file as Salesforce writes it: the header `"Id","Success","Created","Error"`,
/// then rows of four values with no doubled quote, ids with no white space around them,
/// `true` or `false`, LF line ends. Read a row at a time (the common row by
/// [`plain_row`], any other by [`scan_record`]), each row handed
/// to `each` as its id, success, created and `Error` cell (pieces of `text`, no copy): what
/// [`parse_results`] reads from it (tested against it), for fewer instructions. `None`
/// (after any number of rows) for any other file, which [`parse_results`] reads.
fn plain_rows<'t>(
    text: &'t [u8],
    mut each: impl FnMut(&'t [u8], bool, bool, &'t [u8]),
) -> Option<()> {
    let mut rest = text.strip_prefix(b"\"Id\",\"Success\",\"Created\",\"Error\"\n")?;
    let mut spans = Vec::with_capacity(4);
    let flag = |v: &[u8]| match v {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    };
    while let Some(&first) = rest.first() {
        if let Some((id, success, created, after)) = plain_row(rest) {
            each(id, success, created, b"");
            rest = after;
            continue;
        }
        spans.clear();
        // A blank line (scan_record's caller's to skip) is left to the general reader.
        if first == b'\n' {
            return None;
        }
        let Scan::Record(end) = scan_record(rest, b',', &mut spans) else {
            return None;
        };
        let [id, success, created, error] = spans[..] else {
            return None;
        };
        if id.doubled || error.doubled {
            return None;
        }
        // The general reader trims white space around an id (any Unicode white space).
        let bare = |b: Option<&u8>| b.is_none_or(u8::is_ascii_graphic);
        let id = id.raw(rest);
        if !bare(id.first()) || !bare(id.last()) {
            return None;
        }
        each(
            id,
            flag(success.raw(rest))?,
            flag(created.raw(rest))?,
            error.raw(rest),
        );
        rest = rest.get(end..)?.strip_prefix(b"\n")?;
    }
    Some(())
}

/// [`plain_rows`] as a join reads them: one buffer of ids and error texts. (A text's pieces
/// cut at quotes and commas are UTF-8 too.)
pub(crate) fn plain_outcomes(text: &str) -> Option<IngestOutcomes> {
    let mut outcomes = IngestOutcomes::with_capacity(text.len() / 40 + 1, text.len() / 2);
    plain_rows(text.as_bytes(), |id, success, created, error| match error {
        [] => outcomes.push(id, success, created, b""),
        error => {
            let errors = parse_error_text(&String::from_utf8_lossy(error));
            outcomes.push(id, success, created, error_text(&errors).as_bytes());
        }
    })?;
    Some(outcomes)
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
    let mut from = 0;
    while let Some(at) = substr::find_from(text, "--", from) {
        let (before, after) = (&text[..at], &text[at + 2..]);
        let next = after.trim_start();
        if next.is_empty() || leading_status_code(next).is_some() {
            return Some((before, after));
        }
        // Matches do not overlap (as `match_indices`): `---` holds one.
        from = at + 2;
    }
    None
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
        return control::record_error(None, Some(text), &[]);
    };
    let (message, fields) = match rest.rsplit_once(':') {
        Some((message, fields)) if is_field_list(fields) => (message, fields),
        _ => (rest, ""),
    };
    let fields: Vec<&str> = fields.split(',').collect();
    control::record_error(Some(code), Some(message), &fields)
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
        substr::push_replaced(out, cell, '"', "\"\"");
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// Counts data rows (header excluded); see [`super::count_csv_records`].
pub(crate) fn count_records(body: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(super::strip_bom(body))
        .map_err(|e| format!("expected a utf-8 csv batch, found {e}"))?;
    let mut records = Records::new(text);
    if !records.advance() {
        return Ok(0);
    }
    let expected = records.len();
    let mut count = 0usize;
    while records.advance() {
        if records.len() != expected {
            return Err(format!(
                "record {}: expected a csv row, found {} values where the header has {expected}",
                count + 1,
                records.len()
            ));
        }
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reader gives what the general one gives, on files in Salesforce's shape and
    /// on ones a byte away from it (which it leaves to the general reader).
    #[test]
    fn plain_outcomes_read_as_the_general_reader_does() {
        let ids = [
            "001A00000001AAA",
            "001A00000001AAAQAA",
            "",
            "a b",
            "0\"1",
            "x,y",
            "é1",
            " 001",
            "1\t",
            "1\u{a0}",
            "001A0000000,1AAAQA",
            "001A000000 1AAAQAA",
            "001A000000é1AAAQA",
        ];
        let flags = ["true", "false", "TRUE", "1", "", "true\"", " true"];
        let errors = [
            "",
            "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
            "A:b, \"c\"",
            "A:x\ry",
            "A:x\ny",
            "CODE:one -- OTHER:two --",
            " ",
        ];
        let headers = [
            "\"Id\",\"Success\",\"Created\",\"Error\"\n",
            "Id,Success,Created,Error\n",
            "\"Id\",\"Success\",\"Created\",\"Error\"\r\n",
            "\u{feff}\"Id\",\"Success\",\"Created\",\"Error\"\n",
            "\"Id\",\"Success\",\"Error\",\"Created\"\n",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut plain, mut general) = (0, 0);
        for round in 0..4000 {
            // Salesforce's shape; in odd rounds one thing anywhere in the file changed.
            let rows = 1 + next(3);
            let odd = round % 2 == 1;
            let (change_row, change) = (next(rows), if odd { 1 + next(6) } else { 0 });
            let mut text = String::from(headers[if change == 1 { next(5) } else { 0 }]);
            for row in 0..rows {
                let this = if row == change_row { change } else { 0 };
                let any = |k: usize, n: usize, i: usize| if this == k { i } else { i % n };
                let id = ids[any(2, 3, next(ids.len()))];
                let success = flags[any(3, 2, next(flags.len()))];
                let created = flags[any(4, 2, next(flags.len()))];
                let error = errors[any(5, 2, next(errors.len()))].replace('"', "\"\"");
                text += &format!("\"{id}\",\"{success}\",\"{created}\",\"{error}\"");
                text += ["\n", "\r\n", "\n\n", ""][if this == 6 { next(4) } else { 0 }];
            }
            match plain_outcomes(&text) {
                Some(outcomes) => {
                    plain += 1;
                    let general = parse_results(&text).map(IngestOutcomes::from);
                    assert_eq!(Ok(outcomes), general, "{text:?}");
                }
                None => general += 1,
            }
        }
        // Both kinds of file were made, and Salesforce's shape is read by the plain reader.
        assert!(
            plain >= 2000 && general > 1000,
            "{plain} plain, {general} general"
        );
        let file = "\"Id\",\"Success\",\"Created\",\"Error\"\n\"001A\",\"true\",\"true\",\"\"\n\
                    \"\",\"false\",\"false\",\"A:b --\"\n";
        let outcomes = plain_outcomes(file).unwrap();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes.get(1), Some((&b""[..], false, false, &b"A:b"[..])));
    }

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

    /// All records of `text` as owned fields.
    fn read_all(text: &str) -> Vec<Vec<String>> {
        let mut records = Records::new(text);
        let mut all = Vec::new();
        while records.advance() {
            all.push(records.iter().map(String::from).collect());
        }
        all
    }

    #[test]
    fn records_are_read_with_quotes_and_blank_lines() {
        assert_eq!(read_all(""), Vec::<Vec<String>>::new());
        assert_eq!(
            read_all("a,\"b,\"\"c\"\"\"\r\n\r\n\n\"multi\nline\",\n,x\n\"\""),
            vec![
                vec!["a".to_string(), "b,\"c\"".into()],
                vec!["multi\nline".into(), "".into()],
                vec!["".into(), "x".into()],
                vec!["".into()],
            ]
        );
        // Long fields and many fields grow the buffers.
        let wide: Vec<String> = (0..100).map(|i| "é".repeat(i * 7)).collect();
        let line = wide.join(",");
        assert_eq!(
            read_all(&format!("{line}\n{line}")),
            vec![wide.clone(), wide]
        );
    }

    /// The fast path and csv-core read every text alike: every text of up to 6 characters
    /// from `a é , " CR LF` (every quoting, blank line and ending), alone and followed by a
    /// line of 21 bytes (the fast path needs 8 bytes from a record's start), read as the
    /// `csv` crate (csv-core, blank lines skipped) reads it.
    #[test]
    fn every_short_text_is_read_as_csv_core_reads_it() {
        let alphabet = ["a", "é", ",", "\"", "\r", "\n"];
        let mut texts = vec![String::new()];
        let mut from = 0;
        for _ in 0..6 {
            let end = texts.len();
            for i in from..end {
                for c in alphabet {
                    let t = format!("{}{c}", texts[i]);
                    texts.push(t);
                }
            }
            from = end;
        }
        let mut fast = 0;
        for short in &texts {
            for text in [short.clone(), format!("{short}\n0123456789,0123456789\n")] {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let want: Vec<Vec<String>> = reader
                    .records()
                    .map(|r| r.unwrap().iter().map(String::from).collect())
                    .collect();
                let mut records = Records::new(&text);
                let mut got = Vec::new();
                while records.advance() {
                    fast += usize::from(records.fast);
                    got.push(records.iter().map(String::from).collect::<Vec<_>>());
                }
                assert_eq!(got, want, "{text:?}");
            }
        }
        assert!(fast > 50_000, "the fast path read {fast} records");
    }

    /// Found by the `count_csv_records` fuzz target
    /// (fuzz/regressions/count_csv_records/second-bom-as-a-line): after the body's BOM, csv-core
    /// dropped a second one, so a line holding only U+FEFF was not counted.
    #[test]
    fn only_one_bom_is_dropped() {
        assert_eq!(count_records(b"\xef\xbb\xbf\xef\xbb\xbf\na\nb\n"), Ok(2));
        assert_eq!(count_records(b"\xef\xbb\xbfa\nb\n"), Ok(1));
        assert_eq!(count_records(b"\xef\xbb\xbfa"), Ok(0));
        assert_eq!(count_records(b"a"), Ok(0));
        assert_eq!(count_records(b""), Ok(0));
    }

    #[test]
    fn a_pooled_reader_starts_afresh_whoever_used_it_before() {
        for d in [b',', b';'] {
            // Left inside a quoted value, then dropped into the pool.
            let mut r = PooledReader::new(d);
            let (mut out, mut ends) = ([0u8; 64], [0usize; 8]);
            r.read_record(b"x\"open", &mut out, &mut ends);
            drop(r);
            let mut r = PooledReader::new(d);
            let input = [b'a', d, b'b', b'\n'];
            let (res, _, n, nend) = r.read_record(&input, &mut out, &mut ends);
            assert_eq!(
                (res, &out[..n], &ends[..nend]),
                (ReadRecordResult::Record, &b"ab"[..], &[1, 2][..])
            );
        }
        // More held at once than the pool keeps: all given back or dropped, none shared.
        let held: Vec<PooledReader> = (0..2 * POOL_MAX).map(|_| PooledReader::new(b',')).collect();
        drop(held);
        let texts: Vec<String> = (0..40).map(|i| format!("h\n{}", "x\n".repeat(i))).collect();
        let counted: Vec<_> = texts.iter().map(|t| count_records(t.as_bytes())).collect();
        assert_eq!(counted, (0..40).map(Ok).collect::<Vec<_>>());
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
