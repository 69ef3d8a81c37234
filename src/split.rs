//! Streaming CSV batch splitter: cuts one CSV input into Bulk API 1.0 batches.
//!
//! Bytes go in through [`CsvSplitter::push`] in chunks of any size; full batches come out.
//! Each batch is the header line plus whole records, copied byte for byte from the input
//! (record terminators included), so no value is ever re-quoted. Record boundaries come from
//! the CSV reader (`crate::wire::scan_record`'s fast path, csv-core for the rest): quoted
//! values may hold commas, `""`, CR, LF and CRLF.
//!
//! The input rules are those of [`crate::csv_input`], whose reader it shares with
//! [`crate::join`].
//!
//! Memory: the current batch plus the record being read. A record that cannot fit in a batch
//! is refused as soon as it is known to be too large, so an unterminated quote cannot make
//! the splitter hold the rest of the input. A splitter made [`CsvSplitter::with_blocks`]
//! keeps a batch in blocks of whole records instead of one buffer that doubles as it grows:
//! a 2.0 job's upload (up to 100 MB) then takes its size in memory, not up to twice that.

use std::mem;

use bytes::Bytes;
use sfbulk_hot::out::put;

use crate::csv_input::{Rec, Records};
use crate::protocol::limits::{MAX_BATCH_BYTES, MAX_BATCH_CHARS, MAX_BATCH_RECORDS};

/// The size limits of one batch (Bulk API 1.0 values by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitLimits {
    /// Records per batch (10,000).
    pub max_records: usize,
    /// Bytes per batch, header included (10,000,000).
    pub max_bytes: usize,
    /// UTF-8 characters per batch, header included (10,000,000).
    pub max_chars: usize,
}

impl Default for SplitLimits {
    fn default() -> Self {
        SplitLimits {
            max_records: MAX_BATCH_RECORDS,
            max_bytes: MAX_BATCH_BYTES,
            max_chars: MAX_BATCH_CHARS,
        }
    }
}

/// One batch, ready to POST as `text/csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The batch's first bytes, in blocks of whole records, when the splitter was made
    /// [`CsvSplitter::with_blocks`] (empty otherwise); `data` follows them.
    pub blocks: Vec<Bytes>,
    /// The header line, then the records, each ending with a line terminator (after
    /// `blocks`).
    pub data: Vec<u8>,
    /// How many records it holds (the header not counted).
    pub records: usize,
    /// 0-based index of its first record in the input (the header not counted).
    pub first_record: u64,
}

/// Splits a CSV input into batches within [`SplitLimits`]; see the module docs.
#[derive(Debug)]
pub struct CsvSplitter {
    reader: Records,
    builder: Builder,
}

#[derive(Debug)]
struct Builder {
    max_records: usize,
    max_bytes: usize,
    max_chars: usize,
    header: Option<Vec<u8>>,
    /// The header's terminator as read.
    header_term: &'static [u8],
    /// Header content + terminator, and its characters.
    header_line: Vec<u8>,
    header_chars: usize,
    batch: Vec<u8>,
    /// Full blocks of the open batch (`block` > 0), before `batch`.
    blocks: Vec<Bytes>,
    /// Block size; 0: the batch in one buffer.
    block: usize,
    /// The last batch's size: a batch in one buffer starts with room for as much and an
    /// eighth (inputs are mostly alike, records often a little longer as they go), instead
    /// of doubling its way there, a copy each time.
    last_size: usize,
    batch_bytes: usize,
    batch_records: usize,
    batch_chars: usize,
    batch_first: u64,
    seen: u64,
    /// Every record's terminator written as this one, when set.
    terminator: Option<&'static [u8]>,
}

impl Builder {
    fn add(&mut self, rec: Rec<'_>, out: &mut Vec<Batch>) {
        let term = self.terminator.unwrap_or(rec.term);
        let size = rec.content.len() + term.len();
        let chars = rec.chars + term.len();
        if rec.index == 0 {
            self.header = Some(rec.content.to_vec());
            self.header_term = rec.term;
            self.header_line = [rec.content, term].concat();
            self.header_chars = chars;
            return;
        }
        // `Records` refused any record that does not fit in a batch of its own.
        if self.batch_records > 0
            && (self.batch_bytes + size > self.max_bytes
                || self.batch_chars + chars > self.max_chars)
        {
            out.extend(self.take());
        }
        if self.batch_records == 0 {
            if self.block > 0 {
                self.batch = Vec::with_capacity(self.block.max(self.header_line.len() + size));
            } else {
                self.batch
                    .reserve((self.last_size + self.last_size / 8).min(self.max_bytes));
            }
            self.batch_bytes = self.header_line.len();
            self.batch.extend_from_slice(&self.header_line);
            self.batch_chars = self.header_chars;
            self.batch_first = rec.index - 1;
        }
        // In blocks: a record that does not fit in the block's room starts a new block,
        // made with room for it, so a block is never copied to grow.
        if self.block > 0 && self.batch.len() + size > self.batch.capacity() {
            self.new_block(size);
        }
        put(&mut self.batch, rec.content);
        put(&mut self.batch, term);
        self.batch_bytes += size;
        self.batch_chars += chars;
        self.batch_records += 1;
        self.seen += 1;
        if self.batch_records >= self.max_records {
            out.extend(self.take());
        }
    }

    /// Starts a block with room for a record of `size` bytes.
    #[cold]
    #[inline(never)]
    fn new_block(&mut self, size: usize) {
        let full = mem::replace(&mut self.batch, Vec::with_capacity(self.block.max(size)));
        debug_assert!(
            full.capacity() <= self.block.max(full.len()),
            "a block grew"
        );
        if !full.is_empty() {
            self.blocks.push(Bytes::from(full));
        }
    }

    /// Closes the open batch when the record being read cannot join it, however it ends: its
    /// terminator is at least one byte. Then `finish`, whose record (one at most) ends with
    /// one byte, never has to close two batches.
    fn close_if_full(&mut self, (bytes, chars): (usize, usize), out: &mut Vec<Batch>) {
        if bytes > 0
            && self.batch_records > 0
            && (self.batch_bytes + bytes + 1 > self.max_bytes
                || self.batch_chars + chars + 1 > self.max_chars)
        {
            out.extend(self.take());
        }
    }

    fn take(&mut self) -> Option<Batch> {
        if self.batch_records == 0 {
            return None;
        }
        self.last_size = self.batch.len();
        let batch = Batch {
            blocks: mem::take(&mut self.blocks),
            data: mem::take(&mut self.batch),
            records: self.batch_records,
            first_record: self.batch_first,
        };
        self.batch_records = 0;
        self.batch_chars = 0;
        Some(batch)
    }
}

impl CsvSplitter {
    /// A splitter cutting batches within `limits` (a `max_records` of 0 counts as 1).
    pub fn new(limits: SplitLimits) -> Self {
        CsvSplitter {
            reader: Records::new(limits.max_bytes, limits.max_chars),
            builder: Builder {
                max_records: limits.max_records.max(1),
                max_bytes: limits.max_bytes,
                max_chars: limits.max_chars,
                header: None,
                header_term: b"",
                header_line: Vec::new(),
                header_chars: 0,
                batch: Vec::new(),
                blocks: Vec::new(),
                block: 0,
                last_size: 0,
                batch_bytes: 0,
                batch_records: 0,
                batch_chars: 0,
                batch_first: 0,
                seen: 0,
                terminator: None,
            },
        }
    }

    /// The same splitter for fields separated by `delimiter` (field counts are checked with
    /// it), writing every record's terminator as `terminator` when set (a file with mixed
    /// line endings comes out with one). Call before any input.
    pub fn with_format(mut self, delimiter: u8, terminator: Option<&'static [u8]>) -> Self {
        self.reader = self.reader.with_delimiter(delimiter);
        self.builder.terminator = terminator;
        self
    }

    /// The same splitter keeping each batch in blocks of whole records of about `size` bytes
    /// ([`Batch::blocks`], then [`Batch::data`]). Call before any input.
    pub fn with_blocks(mut self, size: usize) -> Self {
        self.builder.block = size;
        self
    }

    /// The header's line terminator as read (`\n`, `\r\n` or `\r`), once the header is read.
    pub fn header_terminator(&self) -> Option<&'static [u8]> {
        self.builder
            .header
            .as_ref()
            .map(|_| self.builder.header_term)
    }

    /// Feeds the next bytes of the input (any chunking gives the same batches). Returns the
    /// batches that became full.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Batch>, String> {
        let mut out = Vec::new();
        let builder = &mut self.builder;
        self.reader.push(data, &mut |rec| {
            builder.add(rec, &mut out);
            Ok(())
        })?;
        self.builder.close_if_full(self.reader.partial(), &mut out);
        Ok(out)
    }

    /// End of input: the last batch, if records remain.
    pub fn finish(&mut self) -> Result<Option<Batch>, String> {
        let mut out = Vec::new();
        let builder = &mut self.builder;
        self.reader.finish(&mut |rec| {
            builder.add(rec, &mut out);
            Ok(())
        })?;
        // One record at most came, and `push` made room for it (`close_if_full`): either it
        // filled a batch to `max_records` (`out`) or a batch is open.
        match (out.pop(), self.builder.take()) {
            (Some(_), Some(_)) => Err("expected one last batch, found two (a bug)".into()),
            (full, open) => Ok(full.or(open)),
        }
    }

    /// The header line once read, without its line terminator (and without a BOM).
    pub fn header(&self) -> Option<&[u8]> {
        self.builder.header.as_deref()
    }

    /// Data records placed in batches so far (the header not counted).
    pub fn records_seen(&self) -> u64 {
        self.builder.seen
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses CSV (BOM dropped, blank lines skipped) into records of fields with the `csv`
    /// crate, an implementation independent of the splitter's byte handling.
    pub(crate) fn parse(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        reader
            .byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    fn split_chunked(
        input: &[u8],
        limits: SplitLimits,
        chunk: usize,
    ) -> Result<Vec<Batch>, String> {
        let mut s = CsvSplitter::new(limits);
        let mut batches = Vec::new();
        for part in input.chunks(chunk.max(1)) {
            batches.extend(s.push(part)?);
        }
        batches.extend(s.finish()?);
        assert_eq!(
            s.records_seen(),
            batches.iter().map(|b| b.records as u64).sum::<u64>()
        );
        Ok(batches)
    }

    fn split(input: &[u8], limits: SplitLimits) -> Result<Vec<Batch>, String> {
        split_chunked(input, limits, input.len())
    }

    fn limits(max_records: usize, max_bytes: usize, max_chars: usize) -> SplitLimits {
        SplitLimits {
            max_records,
            max_bytes,
            max_chars,
        }
    }

    /// Checks the batches against the input: same header, same records, limits kept.
    fn check_batches(input: &[u8], batches: &[Batch], l: SplitLimits) {
        let mut expected = parse(input).into_iter();
        let header = expected.next().unwrap();
        let mut records = Vec::new();
        let mut next_first = 0;
        for b in batches {
            assert!(b.records <= l.max_records && b.records > 0);
            assert!(b.data.len() <= l.max_bytes, "{} bytes", b.data.len());
            let chars = std::str::from_utf8(&b.data).unwrap().chars().count();
            assert!(chars <= l.max_chars, "{chars} chars");
            assert!(b.data.ends_with(b"\n") || b.data.ends_with(b"\r"));
            assert_eq!(b.first_record, next_first);
            next_first += b.records as u64;
            let mut rows = parse(&b.data).into_iter();
            assert_eq!(rows.next().unwrap(), header);
            let rows: Vec<_> = rows.collect();
            assert_eq!(rows.len(), b.records);
            records.extend(rows);
        }
        assert_eq!(records, expected.collect::<Vec<_>>());
    }

    /// `n` records with commas, quotes, CR/LF/CRLF inside quotes and non-ASCII text, mixed
    /// LF and CRLF terminators and a few blank lines.
    fn tricky_input(n: usize) -> Vec<u8> {
        let mut s = String::from("Name,Description__c,Amount\r\n");
        for i in 0..n {
            let name = match i % 5 {
                0 => format!("\"Acme, Inc. {i}\""),
                1 => format!("\"say \"\"hi\"\" {i}\""),
                2 => format!("\"line1\nline2\r\nline3\r{i}\""),
                3 => format!("Zürich 東京 {i}"),
                _ => format!("plain{i}"),
            };
            let term = if i % 2 == 0 { "\n" } else { "\r\n" };
            s.push_str(&format!("{name},\"d,{i}\",{i}.5{term}"));
            if i % 997 == 0 {
                s.push_str("\n\r\n");
            }
        }
        s.into_bytes()
    }

    #[test]
    fn splits_25000_records_into_three_batches_at_any_chunking() {
        let input = tricky_input(25_000);
        let l = SplitLimits::default();
        let whole = split(&input, l).unwrap();
        assert_eq!(
            whole.iter().map(|b| b.records).collect::<Vec<_>>(),
            [10_000, 10_000, 5_000]
        );
        assert_eq!(
            whole.iter().map(|b| b.first_record).collect::<Vec<_>>(),
            [0, 10_000, 20_000]
        );
        check_batches(&input, &whole, l);
        for chunk in [1, 7, 4096] {
            assert_eq!(
                split_chunked(&input, l, chunk).unwrap(),
                whole,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn batches_in_blocks_hold_the_same_bytes_in_whole_records_without_growing_a_block() {
        let input = tricky_input(25_000);
        let l = SplitLimits::default();
        let whole = split(&input, l).unwrap();
        for (block, chunk) in [(1, 4096), (100, 7), (64 * 1024, 4096), (1 << 20, 65_536)] {
            let mut s = CsvSplitter::new(l).with_blocks(block);
            let mut batches = Vec::new();
            for part in input.chunks(chunk) {
                batches.extend(s.push(part).unwrap());
            }
            batches.extend(s.finish().unwrap());
            assert_eq!(batches.len(), whole.len(), "block {block}");
            for (b, w) in batches.iter().zip(&whole) {
                assert_eq!((b.records, b.first_record), (w.records, w.first_record));
                let pieces: Vec<&[u8]> = (b.blocks.iter().map(|p| &p[..]))
                    .chain([&b.data[..]])
                    .collect();
                assert_eq!(pieces.concat(), w.data);
                for p in &pieces {
                    // Whole records (each piece is CSV on its own).
                    assert!(p.ends_with(b"\n") || p.ends_with(b"\r"), "block {block}");
                    assert!(std::str::from_utf8(p).is_ok());
                }
                // No block grew past the room it was made with.
                assert!(
                    b.data.capacity() <= block.max(b.data.len()),
                    "block {block}"
                );
                if block == 1 {
                    // One record per block, the header with the first.
                    assert_eq!(pieces.len(), b.records, "block {block}");
                } else if block == 1 << 20 {
                    assert_eq!(pieces.len(), w.data.len().div_ceil(block), "block {block}");
                }
            }
        }
    }
    #[test]
    fn records_are_copied_byte_for_byte() {
        let input = b"a,b\r\n\"x\"\"y\",\"1\r\n2\"\n\n plain , \"q\"\rlast,\"\"";
        let batches = split(input, SplitLimits::default()).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(
            batches[0].data,
            b"a,b\r\n\"x\"\"y\",\"1\r\n2\"\n plain , \"q\"\rlast,\"\"\n"
        );
        assert_eq!(batches[0].records, 3);
    }

    #[test]
    fn byte_and_char_limits_cut_before_the_record_limit() {
        // Header "h1,h2\n" = 6 bytes; each record "é,12345\n" = 9 bytes, 8 chars.
        let mut input = b"h1,h2\n".to_vec();
        for _ in 0..10 {
            input.extend_from_slice("é,12345\n".as_bytes());
        }
        // Bytes: 6 + 3 * 9 = 33 ≤ 40 < 42.
        let by_bytes = split(&input, limits(100, 40, 1000)).unwrap();
        assert_eq!(
            by_bytes.iter().map(|b| b.records).collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        check_batches(&input, &by_bytes, limits(100, 40, 1000));
        // Chars: 6 + 4 * 8 = 38 ≤ 40 < 46 (bytes would allow 4 too: 42 ≤ 1000).
        let by_chars = split(&input, limits(100, 1000, 40)).unwrap();
        assert_eq!(
            by_chars.iter().map(|b| b.records).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        check_batches(&input, &by_chars, limits(100, 1000, 40));
        // Exactly at the limit still fits.
        let exact = split(&input, limits(100, 6 + 2 * 9, 1000)).unwrap();
        assert_eq!(exact[0].records, 2);
        assert_eq!(exact[0].data.len(), 24);
    }

    #[test]
    fn bom_is_stripped_however_chunked() {
        let input = b"\xEF\xBB\xBFName\nA\n";
        for chunk in 1..=input.len() {
            let mut s = CsvSplitter::new(SplitLimits::default());
            let mut batches = Vec::new();
            for part in input.chunks(chunk) {
                batches.extend(s.push(part).unwrap());
            }
            batches.extend(s.finish().unwrap());
            assert_eq!(s.header(), Some(&b"Name"[..]));
            assert_eq!(batches[0].data, b"Name\nA\n", "chunk {chunk}");
        }
        // Only one BOM is dropped; one left at the start of the header would start every
        // batch and be dropped by the reader there (blank line + BOM: the next record would
        // become the header).
        let second = "the header: expected a field name, found a byte order mark (U+FEFF); \
                      only one, at the very start of the input, is dropped";
        for input in [
            &b"\xEF\xBB\xBF\xEF\xBB\xBFName\nA\n"[..],
            b"\r\n\xEF\xBB\xBFName\nA\n",
            &include_bytes!("../fuzz/regressions/split/header-bom-after-blank-line")[4..],
        ] {
            assert_eq!(split(input, SplitLimits::default()).unwrap_err(), second);
        }
        // Inside the header, or in a record, it is data.
        let inside = split(
            "Na\u{FEFF}me\n\u{FEFF}A\n".as_bytes(),
            SplitLimits::default(),
        );
        assert_eq!(inside.unwrap()[0].records, 1);

        // A BOM prefix that is not a BOM is data, here invalid UTF-8.
        assert_eq!(
            split(b"\xEF\xBB", SplitLimits::default()).unwrap_err(),
            "the header: expected utf-8 text, found a truncated character at its end"
        );
    }

    #[test]
    fn invalid_utf8_is_found_across_chunks() {
        // "é" split across two pushes is fine.
        let ok = "Name\nCafé\n".as_bytes();
        let (a, b) = ok.split_at(9);
        let mut s = CsvSplitter::new(SplitLimits::default());
        assert!(s.push(a).unwrap().is_empty());
        assert!(s.push(b).unwrap().is_empty());
        assert_eq!(s.finish().unwrap().unwrap().data, ok);
        // A lead byte followed, in the next push, by a byte that does not continue it.
        let mut s = CsvSplitter::new(SplitLimits::default());
        s.push(b"Name\nok\nCaf\xC3").unwrap();
        let err = s.push(b"(\n").unwrap_err();
        assert_eq!(
            err,
            "record 2: expected utf-8 text, found byte 0xc3 at offset 3 of the record"
        );
        assert_eq!(s.finish().unwrap_err(), err, "errors stick");
        for chunk in [1, 2, 3] {
            assert_eq!(
                split_chunked(b"Name\nok\nCaf\xC3(\n", SplitLimits::default(), chunk).unwrap_err(),
                err
            );
        }
        assert_eq!(
            split(b"Name\nok\nCaf\xC3", SplitLimits::default()).unwrap_err(),
            "record 2: expected utf-8 text, found a truncated character at its end"
        );
    }

    #[test]
    fn a_record_too_large_for_any_batch_is_an_error() {
        let input = b"h\nshort\nthis one is far too long\nx\n";
        let err = split(input, limits(10, 12, 1000)).unwrap_err();
        assert_eq!(
            err,
            "record 2 does not fit in a batch: expected at most 12 bytes and 1000 characters \
             with the header, found more"
        );
        for chunk in [1, 5] {
            assert_eq!(
                split_chunked(input, limits(10, 12, 1000), chunk).unwrap_err(),
                err
            );
        }
        // An unterminated quote is refused once it outgrows a batch, not at the end.
        let mut s = CsvSplitter::new(limits(10, 50, 50));
        s.push(b"h\n\"open").unwrap();
        let err = s.push(&[b'x'; 100]).unwrap_err();
        assert!(err.starts_with("record 1 does not fit in a batch"), "{err}");
        assert!(s.reader.partial().0 <= 100 + 6);
        // The header alone.
        assert_eq!(
            split(b"a_long_header\nx\n", limits(10, 5, 100)).unwrap_err(),
            "the header does not fit in a batch: expected at most 5 bytes and 100 characters, \
             found more"
        );
    }

    #[test]
    fn field_count_must_match_the_header() {
        let input = b"a,b,c,d\n1,2,3,4\n\"x,y\",2,3,4\n1,2,3\n";
        assert_eq!(
            split(input, SplitLimits::default()).unwrap_err(),
            "record 3 has 3 fields, the header has 4"
        );
        assert_eq!(
            split(b"a\n1,2\n", SplitLimits::default()).unwrap_err(),
            "record 1 has 2 fields, the header has 1"
        );
    }

    #[test]
    fn unterminated_quote_at_the_end_is_an_error() {
        assert_eq!(
            split(b"a,b\n1,\"two\n", SplitLimits::default()).unwrap_err(),
            "record 1: expected a closing quote, found the end of the input"
        );
        // A closed quote with an escaped quote is fine.
        let ok = split(b"a,b\n1,\"t\"\"\"", SplitLimits::default()).unwrap();
        assert_eq!(ok[0].data, b"a,b\n1,\"t\"\"\"\n");
    }

    #[test]
    fn empty_and_header_only_inputs_give_no_batch() {
        for input in [
            &b""[..],
            b"\xEF\xBB\xBF",
            b"\n\r\n",
            b"Name,Id",
            b"Name,Id\n",
            b"Name,Id\r\n\r\n\n",
        ] {
            let mut s = CsvSplitter::new(SplitLimits::default());
            assert!(s.push(input).unwrap().is_empty());
            assert_eq!(s.finish().unwrap(), None, "{input:?}");
            assert_eq!(s.records_seen(), 0);
        }
        let mut s = CsvSplitter::new(SplitLimits::default());
        s.push(b"Name,Id\r\n").unwrap();
        s.finish().unwrap();
        assert_eq!(s.header(), Some(&b"Name,Id"[..]));
    }

    #[test]
    fn final_record_gets_a_newline_and_full_batches_come_early() {
        let mut s = CsvSplitter::new(limits(2, 1000, 1000));
        assert!(s.push(b"h\r\n1\r\n").unwrap().is_empty());
        let full = s.push(b"2\r\n3").unwrap();
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].data, b"h\r\n1\r\n2\r\n");
        let last = s.finish().unwrap().unwrap();
        assert_eq!(last.data, b"h\r\n3\n");
        assert_eq!(last.first_record, 2);
        assert_eq!(s.records_seen(), 3);
    }

    #[test]
    fn a_batch_the_last_record_cannot_join_is_closed_before_finish() {
        // Batch 1 = "h\n1\n" (4 bytes) has room for one more record of 2 bytes only; the
        // unterminated last record "22" needs 3. `push` closes batch 1, `finish` gives
        // batch 2 (a `finish` that had to close both could return only one).
        for (input, last) in [
            (&b"h\n1\n22"[..], &b"h\n22\n"[..]),
            (b"h\n1\n22\r", b"h\n22\r"),
        ] {
            for chunk in [1, 2, input.len()] {
                let mut s = CsvSplitter::new(limits(3, 6, 100));
                let mut pushed = Vec::new();
                for part in input.chunks(chunk) {
                    pushed.extend(s.push(part).unwrap());
                }
                assert_eq!(pushed.len(), 1, "{input:?} in chunks of {chunk}");
                assert_eq!(pushed[0].data, b"h\n1\n");
                assert_eq!(s.finish().unwrap().unwrap().data, last);
            }
        }
        // Chars count like bytes here: "é" is 2 bytes, 1 char.
        let mut s = CsvSplitter::new(limits(3, 100, 6));
        assert_eq!(s.push("h\n1\néé".as_bytes()).unwrap().len(), 1);
        assert_eq!(s.finish().unwrap().unwrap().data, "h\néé\n".as_bytes());
    }

    /// Replays the fuzz regressions that failed in the splitter. Their first bytes set the
    /// limits and the chunking as in `fuzz/src/lib.rs` (4 for `split`, 5 for `join`).
    #[test]
    fn fuzz_regressions() {
        let inputs: [(&[u8], usize); 2] = [
            (
                include_bytes!("../fuzz/regressions/split/finish-two-batches"),
                4,
            ),
            (
                include_bytes!("../fuzz/regressions/join/finish-two-batches"),
                5,
            ),
        ];
        for (data, params) in inputs {
            let (p, input) = data.split_at(params);
            let l = limits(
                1 + usize::from(p[0]) % 16,
                4 + usize::from(p[1]) * 4,
                4 + usize::from(p[2]) * 4,
            );
            let whole = split(input, l).unwrap();
            check_batches(input, &whole, l);
            for chunk in 1..=8 {
                assert_eq!(split_chunked(input, l, chunk).unwrap(), whole);
            }
        }
    }

    #[test]
    fn lone_cr_terminators_are_kept() {
        let batches = split_chunked(b"h\r1\r\r2\n", limits(10, 100, 100), 1).unwrap();
        assert_eq!(batches[0].data, b"h\r1\r2\n");
        assert_eq!(batches[0].records, 2);
    }

    #[test]
    fn another_delimiter_and_one_terminator() {
        let input = b"a|b\r\n1|\"x\ny\"\n2|3\r\n";
        let mut s = CsvSplitter::new(limits(10, 1000, 1000)).with_format(b'|', Some(b"\n"));
        assert!(s.push(input).unwrap().is_empty());
        assert_eq!(s.header_terminator(), Some(&b"\r\n"[..]));
        let batch = s.finish().unwrap().unwrap();
        assert_eq!(batch.data, b"a|b\n1|\"x\ny\"\n2|3\n");
        assert_eq!(batch.records, 2);
        // A field count checked with the delimiter, not a comma.
        let mut s = CsvSplitter::new(limits(10, 1000, 1000)).with_format(b'|', None);
        let err = s.push(b"a|b\n1,2\n").unwrap_err();
        assert!(err.contains("record 1"), "{err}");
    }
}
