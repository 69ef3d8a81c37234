//! The CSV input reader shared by the splitter ([`crate::split`]) and the result joiner
//! ([`crate::join`]): records read from chunks of any size, with the input rules of both.
//!
//! - a UTF-8 BOM at the very start is dropped; the input must be UTF-8; a header that
//!   still starts with a BOM (a second one, or one after blank lines) is an error, as it
//!   would open every batch and be taken for the batch's BOM;
//! - blank lines between records are skipped;
//! - the first record is the header; data records are numbered from 1 in errors
//!   ("record 17"), the header is not counted;
//! - every record has as many fields as the header;
//! - a final record without a line terminator gets `\n`;
//! - a quoted value still open at the end of the input is an error;
//! - a record that cannot fit with the header into the size limits is refused as soon as
//!   it is known to be too large.

use std::mem;

#[cfg(test)]
use crate::wire::unquote;
use crate::wire::{PooledReader, Scan, Span, scan_record, spans_of};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One complete record as read from the input.
#[derive(Debug)]
pub(crate) struct Rec<'a> {
    /// 0 for the header, then 1, 2, … for data records.
    pub index: u64,
    /// The raw bytes of the record, without its line terminator; valid UTF-8.
    pub content: &'a [u8],
    /// Its line terminator (`\n`, `\r\n` or `\r`); `\n` for a final record without one.
    pub term: &'static [u8],
    /// Characters in `content` (its bytes, when the character limit is not below the byte
    /// limit and so never decides).
    pub chars: usize,
    /// Where its values are: `content` itself when [`scan_record`] read the record (whole
    /// in the bytes at hand), else the values csv-core read, back to back.
    pub src: &'a [u8],
    /// Its values in `src`, in order (see [`Span`]: a doubled one holds `""` for `"`).
    pub spans: &'a [Span],
}

impl Rec<'_> {
    /// The values as csv-core reads them (quotes removed), copied.
    #[cfg(test)]
    pub fn fields(&self) -> Vec<Vec<u8>> {
        let mut scratch = Vec::new();
        let each = |&span| unquote(self.src, span, &mut scratch).to_vec();
        self.spans.iter().map(each).collect()
    }
}

/// The record reader behind [`CsvSplitter`] and [`crate::join::ResultJoiner`]: BOM, blank
/// lines, terminators, UTF-8, field counts and record sizes, independent of chunking.
#[derive(Debug)]
pub(crate) struct Records {
    csv: PooledReader,
    /// The first bytes while it is undecided whether they are a BOM.
    bom: Vec<u8>,
    bom_done: bool,
    /// Whether csv-core has been given a byte (see `feed`).
    fed: bool,
    /// Raw bytes of the record being read by csv-core (one that did not end in the bytes
    /// at hand, or that the fast path left to it), leading terminators (blank lines)
    /// dropped; empty between records.
    cur: Vec<u8>,
    cur_chars: usize,
    /// The values csv-core read of the record being read so far, and where each ended.
    vals: Vec<u8>,
    ends: Vec<usize>,
    /// The spans of the record handed over (see [`Rec::spans`]).
    spans: Vec<Span>,
    /// Addresses of the bytes of the piece at hand known to be UTF-8 (checked once for the
    /// piece): a record read whole inside them is not checked again.
    utf8: (usize, usize),
    /// `cur` is a whole record ended by `\r`; the next byte tells whether it was `\r\n`.
    pending_cr: bool,
    /// `cur` is such a record read by [`scan_record`]: `spans` point into it.
    cur_spans: bool,
    index: u64,
    header_fields: usize,
    header_bytes: usize,
    header_chars: usize,
    max_bytes: usize,
    max_chars: usize,
    /// The field delimiter (to tell whether a quote opens a value).
    delimiter: u8,
    failed: Option<String>,
    finished: bool,
}

impl Records {
    /// A reader refusing records that do not fit with the header into `max_bytes` bytes and
    /// `max_chars` characters (`usize::MAX` for no limit).
    pub(crate) fn new(max_bytes: usize, max_chars: usize) -> Self {
        Records {
            csv: PooledReader::new(b','),
            bom: Vec::new(),
            bom_done: false,
            fed: false,
            cur: Vec::new(),
            cur_chars: 0,
            vals: Vec::new(),
            ends: Vec::new(),
            spans: Vec::new(),
            utf8: (0, 0),
            pending_cr: false,
            cur_spans: false,
            index: 0,
            header_fields: 0,
            header_bytes: 0,
            header_chars: 0,
            max_bytes,
            max_chars,
            delimiter: b',',
            failed: None,
            finished: false,
        }
    }

    /// The same reader for fields separated by `delimiter` (before any input).
    pub(crate) fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.csv = PooledReader::new(delimiter);
        self.delimiter = delimiter;
        self
    }

    /// Reads `data`, handing every record completed by it to `sink`. After an error every
    /// call returns that error.
    pub(crate) fn push(
        &mut self,
        data: &[u8],
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.guard(|me| {
            if me.finished {
                return Err("expected no more input after the end of the input".into());
            }
            match me.skip_bom(data) {
                Some(data) => me.feed(data, sink),
                None => Ok(()),
            }
        })
    }

    /// End of input: hands the last record, if any, to `sink`.
    pub(crate) fn finish(
        &mut self,
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.guard(|me| {
            if me.finished {
                return Ok(());
            }
            me.finished = true;
            if !me.bom_done {
                // A proper prefix of a BOM and nothing else: data (invalid UTF-8).
                me.bom_done = true;
                me.feed(&[], sink)?;
            }
            if me.pending_cr {
                me.deliver(b"\r", sink)?;
            }
            loop {
                let res = me.read(&[]).0;
                match res {
                    csv_core::ReadRecordResult::Record => me.deliver_last(sink)?,
                    csv_core::ReadRecordResult::End => return Ok(()),
                    _ => {}
                }
            }
        })
    }

    fn guard(&mut self, f: impl FnOnce(&mut Self) -> Result<(), String>) -> Result<(), String> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = f(self);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Drops a BOM at the very start, however the first three bytes are chunked: `None`
    /// while undecided; bytes that started like a BOM but were not one are kept in `bom`
    /// and read first by `feed`.
    fn skip_bom<'d>(&mut self, mut data: &'d [u8]) -> Option<&'d [u8]> {
        if self.bom_done {
            return Some(data);
        }
        while self.bom.len() < BOM.len() && BOM.starts_with(&self.bom) {
            let (&b, rest) = data.split_first()?;
            self.bom.push(b);
            data = rest;
        }
        self.bom_done = true;
        if self.bom == BOM {
            self.bom.clear();
        }
        Some(data)
    }

    fn feed(
        &mut self,
        mut data: &[u8],
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        if !self.bom.is_empty() {
            // Bytes that looked like the start of a BOM but were not one.
            let head = mem::take(&mut self.bom);
            self.feed(&head, sink)?;
        }
        // UTF-8 checked once for the piece, from its first character (a piece may start
        // inside one: that record started in the piece before and is checked on its own).
        let from = data
            .iter()
            .take(3)
            .take_while(|&&b| b & 0xC0 == 0x80)
            .count();
        let valid = utf8_prefix(&data[from..]);
        let at = data.as_ptr() as usize + from;
        self.utf8 = (at, at + valid);
        while let Some(&first) = data.first() {
            if self.pending_cr {
                let term: &'static [u8] = if first == b'\n' { b"\r\n" } else { b"\r" };
                self.deliver(term, sink)?;
            }
            if self.cur.is_empty() {
                // Between records: blank lines (or the LF of a CRLF), then the fast path.
                let blank = data.iter().take_while(|&&b| b == b'\r' || b == b'\n');
                // `get`, not indexing: no panic path, so it is inlined at opt-level "z".
                data = data.get(blank.count()..).unwrap_or_default();
                if data.is_empty() {
                    break;
                }
                if let Scan::Record(end) = scan_record(data, self.delimiter, &mut self.spans) {
                    data = self.scanned(data, end, sink)?;
                    continue;
                }
                self.spans.clear();
            }
            // csv-core drops a BOM itself when its first input holds three or more bytes;
            // the BOM is handled above, so its first input is one byte (no chunk dependence).
            let input = if self.fed { data } else { &data[..1] };
            self.fed = true;
            let (res, nin) = self.read(input);
            let mut read = &data[..nin];
            if self.cur.is_empty() {
                // Blank lines, or the LF of a CRLF.
                let blank = read.iter().take_while(|&&b| b == b'\r' || b == b'\n');
                read = &read[blank.count()..];
            }
            self.cur.extend_from_slice(read);
            self.cur_chars += self.chars(read);
            data = &data[nin..];
            if res == csv_core::ReadRecordResult::Record {
                // The last byte read ended the record: a line terminator.
                let term = self.cur.pop();
                self.cur_chars -= 1;
                if term == Some(b'\r') {
                    self.pending_cr = true;
                } else {
                    self.deliver(b"\n", sink)?;
                }
            } else {
                self.check_size(0)?;
            }
        }
        Ok(())
    }

    /// One csv-core step over `input` into the record's values: the result and the bytes
    /// read.
    fn read(&mut self, input: &[u8]) -> (csv_core::ReadRecordResult, usize) {
        self.csv.read_into(input, &mut self.vals, &mut self.ends)
    }

    /// Hands over the record the fast path read at the start of `data` (its content ends at
    /// `end`, where its terminator starts): the bytes after it.
    fn scanned<'d>(
        &mut self,
        data: &'d [u8],
        end: usize,
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<&'d [u8], String> {
        let content = &data[..end];
        let chars = self.chars(content);
        let term: &'static [u8] = match data.get(end..end + 2) {
            Some(b"\r\n") => b"\r\n",
            Some([b'\r', _]) => b"\r",
            // A CR at the end of `data`: the next byte tells whether it was a CRLF.
            None if data[end] == b'\r' => {
                // Delivered from `cur` (csv-core's values are not needed: the spans are
                // made to point into `cur`).
                self.cur.extend_from_slice(content);
                self.cur_chars = chars;
                self.pending_cr = true;
                self.cur_spans = true;
                return Ok(&[]);
            }
            _ => b"\n",
        };
        let at = content.as_ptr() as usize;
        let known = self.utf8.0 <= at && at + content.len() <= self.utf8.1;
        self.deliver_content(content, chars, term, content, known, sink)?;
        Ok(data.get(end + term.len()..).unwrap_or_default())
    }

    /// Characters in `bytes`, or its bytes when the character limit never decides (see
    /// [`Rec::chars`]).
    fn chars(&self, bytes: &[u8]) -> usize {
        if self.max_chars < self.max_bytes {
            bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
        } else {
            bytes.len()
        }
    }

    fn name(&self) -> String {
        match self.index {
            0 => "the header".into(),
            n => format!("record {n}"),
        }
    }

    /// Refuses `cur` (plus `extra` terminator bytes) when it cannot fit in a batch.
    fn check_size(&self, extra: usize) -> Result<(), String> {
        self.check_size_of(self.cur.len(), self.cur_chars, extra)
    }

    /// Refuses a record of `bytes` and `chars` (plus `extra` terminator bytes) when it
    /// cannot fit in a batch. Inlined (it runs for every record); the refusal is not.
    #[inline(always)]
    fn check_size_of(&self, bytes: usize, chars: usize, extra: usize) -> Result<(), String> {
        let bytes = self.header_bytes + bytes + extra;
        let chars = self.header_chars + chars + extra;
        if bytes <= self.max_bytes && chars <= self.max_chars {
            return Ok(());
        }
        Err(self.too_large())
    }

    #[cold]
    #[inline(never)]
    fn too_large(&self) -> String {
        let with = if self.index == 0 {
            ""
        } else {
            " with the header"
        };
        format!(
            "{} does not fit in a batch: expected at most {} bytes and {} characters{with}, \
             found more",
            self.name(),
            self.max_bytes,
            self.max_chars
        )
    }

    /// At the end of the input, a quoted value must have been closed.
    fn check_closed_quotes(&self) -> Result<(), String> {
        #[derive(PartialEq)]
        enum S {
            Start,
            Plain,
            Quoted,
            QuoteInQuoted,
        }
        let mut s = S::Start;
        for &b in &self.cur {
            s = match (s, b) {
                (S::Start, b'"') | (S::QuoteInQuoted, b'"') => S::Quoted,
                (S::Quoted, b'"') => S::QuoteInQuoted,
                (S::Quoted, _) => S::Quoted,
                (_, d) if d == self.delimiter => S::Start,
                _ => S::Plain,
            };
        }
        if s == S::Quoted {
            return Err(format!(
                "{}: expected a closing quote, found the end of the input",
                self.name()
            ));
        }
        Ok(())
    }

    /// The record at the end of the input, which had no line terminator: it gets `\n`.
    fn deliver_last(
        &mut self,
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.check_size(1)?;
        self.check_closed_quotes()?;
        self.deliver(b"\n", sink)
    }

    /// Bytes and characters of the record being read (or of a record ended by `\r` that
    /// waits for a possible `\n`), without its terminator; `(0, 0)` between records.
    pub(crate) fn partial(&self) -> (usize, usize) {
        (self.cur.len(), self.cur_chars)
    }

    /// Checks the complete record in `cur`, hands it to `sink` and starts the next one.
    fn deliver(
        &mut self,
        term: &'static [u8],
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        self.pending_cr = false;
        let cur = mem::take(&mut self.cur);
        let vals = mem::take(&mut self.vals);
        let src = if mem::take(&mut self.cur_spans) {
            &cur
        } else {
            spans_of(&self.ends, &mut self.spans);
            &vals
        };
        let delivered = self.deliver_content(&cur, self.cur_chars, term, src, false, sink);
        self.cur = cur;
        self.cur.clear();
        self.cur_chars = 0;
        self.vals = vals;
        self.vals.clear();
        self.ends.clear();
        delivered
    }

    /// Checks a complete record (`content`, its values' `spans` in `src`), hands it to
    /// `sink` and starts the next one. `utf8`: `content` is known to be UTF-8.
    fn deliver_content(
        &mut self,
        content: &[u8],
        chars: usize,
        term: &'static [u8],
        src: &[u8],
        utf8: bool,
        sink: &mut dyn FnMut(Rec<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        let fields = self.spans.len();
        self.check_size_of(content.len(), chars, term.len())?;
        if !utf8 && let Err(e) = std::str::from_utf8(content) {
            let at = e.valid_up_to();
            let found = match e.error_len() {
                Some(_) => format!("byte 0x{:02x} at offset {at} of the record", content[at]),
                None => "a truncated character at its end".into(),
            };
            return Err(format!(
                "{}: expected utf-8 text, found {found}",
                self.name()
            ));
        }
        if self.index == 0 {
            if content.starts_with(BOM) {
                // It would open every batch, where Salesforce takes it for the input's BOM.
                return Err(
                    "the header: expected a field name, found a byte order mark \
                     (U+FEFF); only one, at the very start of the input, is dropped"
                        .into(),
                );
            }
            self.header_fields = fields;
            self.header_bytes = content.len() + term.len();
            self.header_chars = chars + term.len();
        } else if fields != self.header_fields {
            return Err(format!(
                "{} has {fields} fields, the header has {}",
                self.name(),
                self.header_fields
            ));
        }
        // After an error the reader is done: the spans are cleared for the next record only.
        sink(Rec {
            index: self.index,
            content,
            term,
            chars,
            src,
            spans: &self.spans,
        })?;
        self.spans.clear();
        self.index += 1;
        Ok(())
    }
}

/// How many of the first bytes of `bytes` are UTF-8 text: ASCII 8 bytes at a time, then
/// `from_utf8` from the first word that is not.
fn utf8_prefix(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    while let Some((w, more)) = rest.split_first_chunk::<8>() {
        if u64::from_le_bytes(*w) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        rest = more;
    }
    let ascii = bytes.len() - rest.len();
    match std::str::from_utf8(rest) {
        Ok(_) => bytes.len(),
        Err(e) => ascii + e.valid_up_to(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], delimiter: u8) -> Result<Vec<Vec<u8>>, String> {
        let mut r = Records::new(usize::MAX, usize::MAX).with_delimiter(delimiter);
        let mut out = Vec::new();
        r.push(input, &mut |rec| {
            out.push(rec.content.to_vec());
            Ok(())
        })?;
        r.finish(&mut |rec| {
            out.push(rec.content.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    /// Everything a record hands over, owned.
    type Seen = (u64, Vec<u8>, Vec<u8>, usize, Vec<Vec<u8>>);

    /// Reads `input` in pieces of `chunk` bytes: the records, or the error.
    fn read_chunked(
        input: &[u8],
        delimiter: u8,
        chunk: usize,
        max_chars: usize,
    ) -> Result<Vec<Seen>, String> {
        let mut r = Records::new(usize::MAX, max_chars).with_delimiter(delimiter);
        let mut out = Vec::new();
        let mut sink = |rec: Rec<'_>| {
            out.push((
                rec.index,
                rec.content.to_vec(),
                rec.term.to_vec(),
                rec.chars,
                rec.fields(),
            ));
            Ok(())
        };
        for piece in input.chunks(chunk) {
            r.push(piece, &mut sink)?;
        }
        r.finish(&mut sink)?;
        Ok(out)
    }

    /// In pieces of one byte no record ends inside a piece: csv-core reads every one. Whole,
    /// the fast path reads most. Both must hand over the same records, values and errors.
    fn fast_and_slow_agree(input: &[u8], delimiter: u8) -> Result<Vec<Seen>, String> {
        let whole = read_chunked(input, delimiter, input.len().max(1), usize::MAX);
        for chunk in [1, 2, 3, 7] {
            assert_eq!(
                read_chunked(input, delimiter, chunk, usize::MAX),
                whole,
                "{:?} in pieces of {chunk}",
                String::from_utf8_lossy(input)
            );
        }
        // Characters counted (a character limit below the byte limit) the same way too.
        let counted = read_chunked(input, delimiter, input.len().max(1), usize::MAX - 1);
        assert_eq!(
            counted.map(|r| r.len()),
            read_chunked(input, delimiter, 1, usize::MAX - 1).map(|r| r.len())
        );
        whole
    }

    #[test]
    fn the_utf8_prefix_is_what_from_utf8_finds() {
        let texts: [&[u8]; 7] = [
            b"",
            b"plain ascii, longer than a word\n",
            "Zürich,東京\n and then ascii for a while".as_bytes(),
            b"ascii ascii ascii \xff more",
            b"ascii ascii ascii \xE6\x9D",
            b"\xE6\x9D\xB1",
            b"12345678\x80",
        ];
        for t in texts {
            for end in 0..=t.len() {
                let expected = match std::str::from_utf8(&t[..end]) {
                    Ok(_) => end,
                    Err(e) => e.valid_up_to(),
                };
                assert_eq!(utf8_prefix(&t[..end]), expected, "{:?}", &t[..end]);
            }
        }
    }

    /// UTF-8 is checked once per piece; a record that is not all inside the checked part
    /// of its piece (a piece cut inside a character, bad bytes) is checked on its own, with
    /// the same error whatever the pieces.
    #[test]
    fn utf8_errors_name_the_record_however_the_input_is_cut() {
        let good = "h\né1\nü2\n東京3\n".as_bytes();
        for chunk in 1..=good.len() {
            assert_eq!(
                read_chunked(good, b',', chunk, usize::MAX).unwrap().len(),
                4
            );
        }
        let bad = b"h\n\xc3\xa91\nx\xff2\n\xE6\x9D\xB13\n";
        for chunk in 1..=bad.len() {
            assert_eq!(
                read_chunked(bad, b',', chunk, usize::MAX),
                Err(
                    "record 2: expected utf-8 text, found byte 0xff at offset 1 of the record"
                        .into()
                ),
                "pieces of {chunk}"
            );
        }
        let cut = b"h\n1\nab\xE6\x9D";
        assert_eq!(
            read_chunked(cut, b',', 3, usize::MAX),
            Err("record 2: expected utf-8 text, found a truncated character at its end".into())
        );
    }

    #[test]
    fn the_fast_path_reads_what_csv_core_reads() {
        let got = fast_and_slow_agree(
            "\u{FEFF}Name,Note\r\n\r\nplain,\"q, \"\"x\"\"\"\r\n\"multi\nline\",\r\n,\"\"\n\
             é,\"a\"b\nlast,\"cr\"\rend,x"
                .as_bytes(),
            b',',
        )
        .unwrap();
        let values: Vec<Vec<Vec<u8>>> = got.iter().map(|r| r.4.clone()).collect();
        let v = |s: &[&str]| s.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            values,
            [
                v(&["Name", "Note"]),
                v(&["plain", "q, \"x\""]),
                v(&["multi\nline", ""]),
                v(&["", ""]),
                v(&["é", "ab"]),
                v(&["last", "cr"]),
                v(&["end", "x"]),
            ]
        );
        let terms: Vec<&[u8]> = got.iter().map(|r| &r.2[..]).collect();
        assert_eq!(
            terms,
            [&b"\r\n"[..], b"\r\n", b"\r\n", b"\n", b"\n", b"\r", b"\n"]
        );
        // Errors are the same whichever path read the record.
        for bad in [
            &b"a,b\n1,2\n3\n"[..],
            b"a,b\n1,\"2\n",
            b"a,b\n1,\xff\n",
            b"\xEF\xBB\xBF\xEF\xBB\xBFa\n1\n",
        ] {
            assert!(fast_and_slow_agree(bad, b',').is_err());
        }
    }

    /// Generated inputs of quoted and plain values, CR, LF and CRLF line ends, blank lines
    /// and other delimiters: the fast path and csv-core agree, and so does the `csv` crate.
    #[test]
    fn generated_inputs_read_the_same_either_way() {
        let pieces: [&str; 11] = ["a", "bc", ",", ";", "\"", "\n", "\r\n", "\r", " ", "ü", ""];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..600 {
            let d = if round % 4 == 0 { b';' } else { b',' };
            let width = 1 + next(3);
            let mut input = Vec::new();
            for _ in 0..1 + next(12) {
                for f in 0..width {
                    if f > 0 {
                        input.push(d);
                    }
                    let mut value = String::new();
                    for _ in 0..next(4) {
                        value.push_str(pieces[next(pieces.len())]);
                    }
                    let plain = !value.bytes().any(|b| matches!(b, b'"' | b'\r' | b'\n'))
                        && !value.as_bytes().contains(&d);
                    if plain && next(2) == 0 {
                        input.extend_from_slice(value.as_bytes());
                    } else {
                        input.push(b'"');
                        input.extend_from_slice(value.replace('"', "\"\"").as_bytes());
                        input.push(b'"');
                    }
                }
                input.extend_from_slice([&b"\n"[..], b"\r\n", b"\r", b"\n\n"][next(4)]);
            }
            if next(3) == 0 {
                input.pop();
            }
            let Ok(got) = fast_and_slow_agree(&input, d) else {
                continue;
            };
            let expected: Vec<Vec<Vec<u8>>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(d)
                .from_reader(&input[..])
                .byte_records()
                .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
                .collect();
            let values: Vec<Vec<Vec<u8>>> = got.into_iter().map(|r| r.4).collect();
            assert_eq!(values, expected, "{:?}", String::from_utf8_lossy(&input));
        }
    }

    /// Found by the `join_v2` fuzz target (fuzz/regressions/join_v2/open-quote-after-semicolon):
    /// the end-of-input check knew only the comma, so with another delimiter a value opened
    /// by a quote after it was taken for a plain one and the open quote was accepted.
    #[test]
    fn a_quote_left_open_at_the_end_is_refused_whatever_the_delimiter() {
        for d in [b',', b';', b'|', b'\t'] {
            let sep = char::from(d);
            let open = format!("a{sep}b\n1{sep}\"2\n3");
            assert_eq!(
                read_all(open.as_bytes(), d),
                Err("record 1: expected a closing quote, found the end of the input".into()),
                "delimiter {d:?}"
            );
            let closed = format!("a{sep}b\n1{sep}\"2\n3\"");
            assert_eq!(
                read_all(closed.as_bytes(), d).unwrap().len(),
                2,
                "delimiter {d:?}"
            );
            // Another delimiter's byte is data: the quote after it does not open a value.
            let other = if d == b',' { ';' } else { ',' };
            let plain = format!("a\n1{other}\"2");
            assert!(read_all(plain.as_bytes(), d).is_ok(), "delimiter {d:?}");
        }
        // The fuzzer's input: a quoted header value, then one left open after `;`.
        assert_eq!(
            read_all(b"\"a;b\n1;2\n\"3;\"\n", b';'),
            Err("the header: expected a closing quote, found the end of the input".into())
        );
    }
}
