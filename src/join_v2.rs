//! Bulk API 2.0 results joined to the input. Salesforce returns a job's results in three
//! files (successful, failed, unprocessed), in any order, each row echoing the input's
//! values by column name. A job's result rows are indexed by a fingerprint of those values;
//! the input is read again and every record takes one result whose fingerprint is its own
//! (identical records are interchangeable). Memory holds one job's index.
//!
//! The index keeps, per result row, 16 bytes (a 96-bit fingerprint of the echoed values in
//! input column order, and where its outcome is) plus the outcome: the id and a flag, and
//! for a failure where its error text is (a text repeated from the row before is kept
//! once). The result files are read as they stream in, never whole: about 35 bytes per row
//! with 18-character ids, whatever the width of the rows. Two records whose fingerprints
//! are equal are taken for identical: for different values the chance is about 2^-96 per
//! pair (10^-16 for a job of three million rows), and a result taken by the wrong record
//! leaves another record without one, which is an error.
//!
//! Output, comma-separated with LF line ends whatever the input's dialect: each input
//! record's values (a comma-separated record as it came, quotes and all; other delimiters'
//! values written again with commas, quoted where needed), then `sf__Id`, `sf__Success`, `sf__Created`, `sf__Error` (an unprocessed
//! record: not a success, `sf__Error` `UNPROCESSED`).

use crate::csv_input::{Rec, Records};
use crate::join::push_cell_with;
use crate::model::v2::ResultKind;
use crate::wire::{PooledReader, Scan, Span, scan_record, spans_of, unquote};
use sfbulk_hot::fingerprint::{Key, key_of, key_of_spans, key_of_spans_at};
use sfbulk_hot::index::{Entry, sort, untaken};
use sfbulk_hot::out::{push_result, put};

/// What happened to one record. Its texts are UTF-8 (checked when the result was read),
/// kept as bytes: they are only written out again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Saved: its id, and whether it was created.
    Saved {
        /// `sf__Id`.
        id: &'a [u8],
        /// `sf__Created`.
        created: bool,
    },
    /// Refused: its id (empty for a failed insert) and `sf__Error`.
    Failed {
        /// `sf__Id`.
        id: &'a [u8],
        /// `sf__Error`.
        error: &'a [u8],
    },
    /// Never attempted (the job failed or was aborted first).
    Unprocessed,
}

/// Outcome records: a tag byte (`SAVED` + created, `FAILED`, `UNPROCESSED`), then for
/// saved and failed rows the id's length (one byte) and bytes, and for failed rows where the
/// error text is (4 bytes): its length (4 bytes) and bytes.
const SAVED: u8 = 0;
const FAILED: u8 = 2;
const UNPROCESSED: u8 = 3;

/// One job's results, keyed by the echoed input values.
#[derive(Debug)]
pub struct ResultIndex {
    /// The input's column names, in input order.
    columns: Vec<String>,
    /// Sorted by key (then file order) once sealed.
    entries: Vec<Entry>,
    /// Once sealed: where the entries whose key starts with each 16-bit value begin (and,
    /// last, their count), so that a search looks at one such run only.
    starts: Vec<u32>,
    /// Which entries were taken (by sorted position). Entries of one key are taken in
    /// order, so the taken ones of a key come first.
    taken: Vec<u64>,
    n_taken: usize,
    outcomes: Vec<u8>,
    /// Where the last error text is (a repeated one is kept once).
    last_error: Option<u32>,
    sealed: bool,
    counts: [u64; 3],
    file: Option<ResultFile>,
}

/// A results file being read.
#[derive(Debug)]
struct ResultFile {
    kind: ResultKind,
    /// The input's delimiter (that of the unprocessed file).
    delimiter: u8,
    /// The first bytes, until its delimiter can be told.
    head: Vec<u8>,
    reader: Option<Values>,
    columns: Option<FileColumns>,
    /// Where doubled `sf__Id` and `sf__Created`/`sf__Error` values are unquoted.
    scratch: [Vec<u8>; 2],
    rows: u64,
}

/// Where a results file holds what the index needs.
#[derive(Debug)]
struct FileColumns {
    width: usize,
    /// The input's columns, in input order.
    at: Vec<usize>,
    id: usize,
    /// `sf__Created` or `sf__Error`.
    extra: usize,
}

/// CSV records read as they stream in. A record that starts and ends in the bytes at hand is
/// read by the fast path ([`scan_record`]: its values are spans of those bytes), any other
/// by csv-core.
#[derive(Debug)]
struct Values {
    reader: PooledReader,
    delimiter: u8,
    /// csv-core's values of the record being read, and where each ends.
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// The values of the record last read.
    spans: Vec<Span>,
    /// Whether csv-core is inside a record (it has read some of it).
    slow: bool,
    /// Whether csv-core has been given a byte: it drops a BOM at the start of its first
    /// input when that holds 3 bytes or more, so its first input is one byte (a value
    /// that starts with U+FEFF keeps it; the caller drops a file's own BOM).
    fed: bool,
}

/// A record read by [`Values::next`]: its values, `spans` of `src`.
struct Row<'a> {
    src: &'a [u8],
    spans: &'a [Span],
}

impl Row<'_> {
    /// Value `i`, quotes removed (through `scratch` when doubled).
    #[inline(always)]
    fn get<'s>(&'s self, i: usize, scratch: &'s mut Vec<u8>) -> &'s [u8] {
        match self.spans.get(i) {
            Some(&span) => unquote(self.src, span, scratch),
            None => &[],
        }
    }
}

impl Values {
    fn new(delimiter: u8) -> Self {
        Values {
            reader: PooledReader::new(delimiter),
            delimiter,
            bytes: Vec::new(),
            ends: Vec::new(),
            spans: Vec::new(),
            slow: false,
            fed: false,
        }
    }

    /// Reads from `input` until a record is complete (the record; `input` is what is left)
    /// or `input` is used up (`None`). An empty `input` ends the file: a record once more
    /// for a last record without a line end.
    fn next<'s, 'i: 's>(&'s mut self, input: &mut &'i [u8]) -> Option<Row<'s>> {
        let end = input.is_empty();
        if !self.slow && !end {
            // Between records: blank lines (or the LF of a CRLF), then the fast path.
            let blank = input.iter().take_while(|&&b| b == b'\r' || b == b'\n');
            // `get`, not indexing: no panic path, so it is inlined at opt-level "z".
            *input = input.get(blank.count()..).unwrap_or_default();
            if input.is_empty() {
                return None;
            }
            self.spans.clear();
            if let Scan::Record(at) = scan_record(input, self.delimiter, &mut self.spans) {
                let src: &'i [u8] = input;
                // The LF of a CRLF is a blank line to the next call.
                *input = input.get(at + 1..).unwrap_or_default();
                return Some(Row {
                    src,
                    spans: &self.spans,
                });
            }
            self.bytes.clear();
            self.ends.clear();
            self.slow = true;
        }
        loop {
            let given = if self.fed || end { *input } else { &input[..1] };
            self.fed |= !end;
            let (result, read) = self
                .reader
                .read_into(given, &mut self.bytes, &mut self.ends);
            *input = &input[read..];
            match result {
                csv_core::ReadRecordResult::InputEmpty if input.is_empty() => return None,
                csv_core::ReadRecordResult::Record => {
                    self.slow = false;
                    self.spans.clear();
                    spans_of(&self.ends, &mut self.spans);
                    return Some(Row {
                        src: &self.bytes,
                        spans: &self.spans,
                    });
                }
                csv_core::ReadRecordResult::End => return None,
                _ => {}
            }
        }
    }
}

/// The records of a whole CSV text as fields (quotes removed). A leading BOM is data: the
/// caller drops a file's own.
pub fn csv_rows(data: &[u8], delimiter: u8) -> Result<Vec<Vec<String>>, String> {
    let mut values = Values::new(delimiter);
    let mut rows = Vec::new();
    let mut input = data;
    let mut scratch = Vec::new();
    loop {
        let at_end = input.is_empty();
        let Some(read) = values.next(&mut input) else {
            if at_end {
                return Ok(rows);
            }
            continue;
        };
        let mut row = Vec::with_capacity(read.spans.len());
        for i in 0..read.spans.len() {
            let text = std::str::from_utf8(read.get(i, &mut scratch))
                .map_err(|_| format!("row {} is not utf-8", rows.len() + 1))?;
            row.push(text.to_string());
        }
        rows.push(row);
    }
}

/// The delimiter of a successful or failed results file: the byte after its first column
/// (`"sf__Id"` or `sf__Id`); a comma when it cannot be told.
pub fn sniff_delimiter(data: &[u8]) -> u8 {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    for head in [&b"\"sf__Id\""[..], b"sf__Id"] {
        if let Some(rest) = data.strip_prefix(head)
            && let Some(&d) = rest.first()
            && !matches!(d, b'\r' | b'\n' | b'"')
        {
            return d;
        }
    }
    b','
}

/// Bytes [`sniff_delimiter`] needs: a BOM, `"sf__Id"` and the byte after it.
const SNIFF_BYTES: usize = 12;

impl ResultIndex {
    /// An empty index for an input with these column names.
    pub fn new(columns: Vec<String>) -> Self {
        ResultIndex {
            columns,
            entries: Vec::new(),
            starts: Vec::new(),
            taken: Vec::new(),
            n_taken: 0,
            // Every unprocessed row's outcome.
            outcomes: vec![UNPROCESSED],
            last_error: None,
            sealed: false,
            counts: [0; 3],
            file: None,
        }
    }

    /// [`ResultIndex::new`] with room for `rows` result rows of saved records with ids of
    /// up to 18 characters: the index is not copied (its old and new buffers held at once)
    /// while it grows.
    pub fn with_rows(columns: Vec<String>, rows: usize) -> Self {
        let mut index = Self::new(columns);
        let _ = index.entries.try_reserve_exact(rows);
        let _ = index.outcomes.try_reserve_exact(rows.saturating_mul(20));
        index
    }

    /// Adds one whole results file. `delimiter` is the input's (the unprocessed file keeps
    /// it); the other two files' delimiter is read from their header.
    pub fn add(&mut self, kind: ResultKind, data: &[u8], delimiter: u8) -> Result<(), String> {
        self.begin(kind, delimiter);
        self.push(data)?;
        self.end()
    }

    /// Starts reading a results file (as [`ResultIndex::add`], in pieces: then
    /// [`ResultIndex::push`] each and [`ResultIndex::end`]).
    pub fn begin(&mut self, kind: ResultKind, delimiter: u8) {
        self.file = Some(ResultFile {
            kind,
            delimiter,
            head: Vec::new(),
            reader: None,
            columns: None,
            scratch: [Vec::new(), Vec::new()],
            rows: 0,
        });
    }

    /// The next piece of the file begun.
    pub fn push(&mut self, data: &[u8]) -> Result<(), String> {
        let Some(mut file) = self.file.take() else {
            return Err("results given before the file was begun".into());
        };
        let result = self.read(&mut file, data, false);
        self.file = Some(file);
        result
    }

    /// The end of the file begun.
    pub fn end(&mut self) -> Result<(), String> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        self.read(&mut file, &[], true)?;
        self.counts[file.kind as usize] += file.rows;
        Ok(())
    }

    fn read(&mut self, file: &mut ResultFile, data: &[u8], end: bool) -> Result<(), String> {
        if file.reader.is_none() {
            file.head.extend_from_slice(data);
            if file.head.len() < SNIFF_BYTES && !end {
                return Ok(());
            }
            let delimiter = match file.kind {
                ResultKind::Unprocessed => file.delimiter,
                _ => sniff_delimiter(&file.head),
            };
            file.reader = Some(Values::new(delimiter));
            let head = std::mem::take(&mut file.head);
            let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
            if !body.is_empty() {
                self.rows(file, body)?;
            }
            return if end { self.rows(file, &[]) } else { Ok(()) };
        }
        if data.is_empty() && !end {
            return Ok(());
        }
        self.rows(file, data)
    }

    /// Reads the rows completed by `input` (empty: the end of the file).
    fn rows(&mut self, file: &mut ResultFile, mut input: &[u8]) -> Result<(), String> {
        let end = input.is_empty();
        let ResultFile {
            kind,
            reader: Some(values),
            columns,
            scratch,
            rows,
            ..
        } = file
        else {
            return Ok(());
        };
        while end || !input.is_empty() {
            let Some(row) = values.next(&mut input) else {
                break;
            };
            match columns {
                None => *columns = Some(header(*kind, &row, &self.columns)?),
                Some(cols) => {
                    *rows += 1;
                    self.row(*kind, *rows, cols, &row, scratch)?;
                }
            }
        }
        Ok(())
    }

    fn row(
        &mut self,
        kind: ResultKind,
        n: u64,
        cols: &FileColumns,
        values: &Row<'_>,
        [s0, s1]: &mut [Vec<u8>; 2],
    ) -> Result<(), String> {
        let what = kind.path();
        if self.n_taken > 0 {
            return Err(format!("{what}: results added after records took theirs"));
        }
        if values.spans.len() != cols.width {
            return Err(format!(
                "{what}: row {n} has {} fields, the header has {}",
                values.spans.len(),
                cols.width
            ));
        }
        let key = key_of_spans_at(values.src, values.spans, &cols.at);
        let at = match kind {
            ResultKind::Unprocessed => 0,
            _ => {
                let at = u32::try_from(self.outcomes.len())
                    .map_err(|_| format!("{what}: more than 4 GiB of ids and errors in one job"))?;
                let id = values.get(cols.id, s0);
                let extra = values.get(cols.extra, s1);
                let id_len = u8::try_from(id.len())
                    .map_err(|_| format!("{what}: row {n}: an sf__Id of {} bytes", id.len()))?;
                // ASCII (nearly always) without a call per value.
                let ascii = id.is_ascii() && extra.is_ascii();
                if !ascii
                    && (std::str::from_utf8(id).is_err() || std::str::from_utf8(extra).is_err())
                {
                    return Err(format!("{what}: row {n} is not utf-8"));
                }
                let tag = match kind {
                    ResultKind::Successful => {
                        SAVED + u8::from(extra == b"true" || extra.eq_ignore_ascii_case(b"true"))
                    }
                    _ => FAILED,
                };
                put(&mut self.outcomes, &[tag, id_len]);
                put(&mut self.outcomes, id);
                if tag == FAILED {
                    // A new text goes right after its pointer; a repeated one points back.
                    let here = self.outcomes.len() + 4;
                    let error = match self.last_error {
                        Some(t) if self.stored_text(t) == extra => t,
                        _ => u32::try_from(here).map_err(|_| {
                            format!("{what}: more than 4 GiB of ids and errors in one job")
                        })?,
                    };
                    self.outcomes.extend_from_slice(&error.to_le_bytes());
                    if error as usize == here {
                        self.outcomes
                            .extend_from_slice(&(extra.len() as u32).to_le_bytes());
                        self.outcomes.extend_from_slice(extra);
                        self.last_error = Some(error);
                    }
                }
                at
            }
        };
        self.entries.push(Entry {
            hi: key.0,
            lo: key.1,
            at,
        });
        self.sealed = false;
        Ok(())
    }

    fn stored_text(&self, at: u32) -> &[u8] {
        let at = at as usize;
        let len = self
            .outcomes
            .get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        self.outcomes.get(at + 4..at + 4 + len).unwrap_or_default()
    }
}

impl ResultIndex {
    /// Results added: successful, failed, unprocessed.
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.counts[0], self.counts[1], self.counts[2])
    }

    /// Results not taken yet.
    pub fn left(&self) -> usize {
        self.entries.len() - self.n_taken
    }

    /// Takes the result of a record with these values (in input column order).
    pub fn take<S: AsRef<[u8]>>(&mut self, values: &[S]) -> Option<Outcome<'_>> {
        self.take_key(key_of(values.iter().map(AsRef::as_ref)))
    }

    fn take_key(&mut self, key: Key) -> Option<Outcome<'_>> {
        let (at, _) = self.take_at(key)?;
        Some(self.outcome(at))
    }

    /// Takes the result whose fingerprint is `key`: where its outcome is, and its tag (read
    /// here, so that [`ResultIndex::outcome`] then finds the outcome in the cache).
    fn take_at(&mut self, key: Key) -> Option<(u32, u8)> {
        if !self.sealed {
            self.starts = sort(&mut self.entries);
            self.taken = vec![0; self.entries.len().div_ceil(64)];
            self.sealed = true;
        }
        let (lo, at) = untaken(&self.entries, &self.starts, &self.taken, key)?;
        self.taken[lo / 64] |= 1 << (lo % 64);
        self.n_taken += 1;
        Some((
            at,
            self.outcomes
                .get(at as usize)
                .copied()
                .unwrap_or(UNPROCESSED),
        ))
    }

    fn outcome(&self, at: u32) -> Outcome<'_> {
        let o = self.outcomes.get(at as usize..).unwrap_or_default();
        let (tag, n) = match o {
            [tag, n, ..] if *tag != UNPROCESSED => (*tag, usize::from(*n)),
            _ => return Outcome::Unprocessed,
        };
        let id = o.get(2..2 + n).unwrap_or_default();
        if tag != FAILED {
            return Outcome::Saved {
                id,
                created: tag == SAVED + 1,
            };
        }
        let error = match o.get(2 + n..6 + n) {
            Some(&[a, b, c, d]) => self.stored_text(u32::from_le_bytes([a, b, c, d])),
            _ => b"",
        };
        Outcome::Failed { id, error }
    }
}

/// The columns of a results file's header the index reads.
fn header(kind: ResultKind, values: &Row<'_>, columns: &[String]) -> Result<FileColumns, String> {
    let what = kind.path();
    let mut names = Vec::with_capacity(values.spans.len());
    let mut scratch = Vec::new();
    for i in 0..values.spans.len() {
        let name = std::str::from_utf8(values.get(i, &mut scratch))
            .map_err(|_| format!("{what}: its header is not utf-8"))?;
        names.push(name.to_string());
    }
    let find = |name: &str| names.iter().position(|h| h == name);
    let mut at = Vec::with_capacity(columns.len());
    for c in columns {
        at.push(find(c).ok_or_else(|| {
            format!("{what}: expected the input's column {c:?}, found columns {names:?}")
        })?);
    }
    let need = |name: &str| {
        find(name).ok_or_else(|| format!("{what}: expected a {name} column, found {names:?}"))
    };
    let (id, extra) = match kind {
        ResultKind::Successful => (need("sf__Id")?, need("sf__Created")?),
        ResultKind::Failed => (need("sf__Id")?, need("sf__Error")?),
        ResultKind::Unprocessed => (0, 0),
    };
    Ok(FileColumns {
        width: names.len(),
        at,
        id,
        extra,
    })
}

/// Job `i`'s results, for an input with these columns.
pub type JobIndex<'a> = &'a mut dyn FnMut(usize, &[String]) -> Result<ResultIndex, String>;

/// Writes the input records with their results; see the module doc.
#[derive(Debug)]
pub struct IngestJoiner {
    reader: Records,
    join: Join,
}

/// What the joiner knows besides its input reader (borrowed apart from it while records are
/// handed over).
#[derive(Debug)]
struct Join {
    /// Whether the input is comma-separated: its records are then written as they are.
    comma: bool,
    job_records: Vec<u64>,
    next_job: usize,
    left: u64,
    index: Option<ResultIndex>,
    columns: Option<Vec<String>>,
    counts: [u64; 4],
    /// Records of the current job read but not written yet (see [`Join::flush`]).
    pending: Vec<Pending>,
    /// Their values when they are not a piece of the bytes pushed: written again with
    /// commas, or carried over from an earlier push.
    scratch: Vec<u8>,
}

/// A record waiting for its result: its fingerprint, where its output values are (a piece
/// of the bytes pushed, or of [`Join::scratch`]), and, once looked up, where its outcome is.
#[derive(Debug)]
struct Pending {
    key: Key,
    record: u64,
    start: usize,
    end: usize,
    in_scratch: bool,
    at: u32,
    tag: u8,
}

impl IngestJoiner {
    /// `job_records`: how many input records each job holds, in order.
    pub fn new(job_records: Vec<u64>, delimiter: u8) -> Self {
        IngestJoiner {
            reader: Records::new(usize::MAX, usize::MAX).with_delimiter(delimiter),
            join: Join {
                comma: delimiter == b',',
                job_records,
                next_job: 0,
                left: 0,
                index: None,
                columns: None,
                counts: [0; 4],
                pending: Vec::new(),
                scratch: Vec::new(),
            },
        }
    }

    /// The input's column names, once its header was read.
    pub fn columns(&self) -> Option<&[String]> {
        self.join.columns.as_deref()
    }

    /// Records written: all, saved, failed, unprocessed.
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let c = &self.join.counts;
        (c[0], c[1], c[2], c[3])
    }

    /// Feeds more of the input; `index(i)` gives job `i`'s results when its first record is
    /// reached. Returns the output produced.
    pub fn push(&mut self, data: &[u8], index: JobIndex<'_>) -> Result<Vec<u8>, String> {
        // About what comes in, plus the results (~35 bytes a record).
        let mut out = Vec::with_capacity(2 * data.len());
        let join = &mut self.join;
        let read = self
            .reader
            .push(data, &mut |rec| join.row(rec, index, data, &mut out));
        // The records read before an error in the input take their results first: an error
        // of theirs comes first, as when each record took its result as it was read (the
        // same error however the input is cut).
        join.flush(data, &mut out)?;
        read?;
        Ok(out)
    }

    /// Ends the input; checks every record and every result was accounted for.
    pub fn finish(&mut self, index: JobIndex<'_>) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let join = &mut self.join;
        let read = self
            .reader
            .finish(&mut |rec| join.row(rec, index, &[], &mut out));
        join.flush(&[], &mut out)?;
        read?;
        join.end_job()?;
        let total: u64 = join.job_records.iter().sum();
        if join.counts[0] != total {
            return Err(format!(
                "expected {total} records (the jobs' total), found {} in the input",
                join.counts[0]
            ));
        }
        Ok(out)
    }
}

impl Join {
    /// Checks that the finished job's results were all taken.
    fn end_job(&mut self) -> Result<(), String> {
        if let Some(index) = self.index.take() {
            let left = index.left();
            if left > 0 {
                return Err(format!(
                    "job {}: {left} results match no input record (their echoed values differ \
                     from the input's)",
                    self.next_job - 1
                ));
            }
        }
        Ok(())
    }

    /// Reads one record: the header is written at once; a data record waits in
    /// [`Join::pending`] for [`Join::flush`]. `data`: the bytes being pushed (a record that
    /// is a piece of them is not copied).
    fn row(
        &mut self,
        rec: Rec<'_>,
        index: JobIndex<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        if rec.index == 0 {
            self.flush(data, out)?;
            values(&rec, self.comma, out);
            out.extend_from_slice(b",sf__Id,sf__Success,sf__Created,sf__Error\n");
            let mut scratch = Vec::new();
            let names = rec
                .spans
                .iter()
                .map(|&s| String::from_utf8_lossy(unquote(rec.src, s, &mut scratch)).into_owned());
            self.columns = Some(names.collect());
            return Ok(());
        }
        if self.left == 0 {
            // The job's records take their results before its index goes.
            self.flush(data, out)?;
        }
        while self.left == 0 {
            self.end_job()?;
            let Some(&n) = self.job_records.get(self.next_job) else {
                let total: u64 = self.job_records.iter().sum();
                return Err(format!(
                    "record {} is in no job: expected {total} records (the jobs' total), found \
                     more in the input",
                    rec.index
                ));
            };
            let columns = self.columns.clone().unwrap_or_default();
            self.index = Some(index(self.next_job, &columns)?);
            self.next_job += 1;
            self.left = n;
        }
        self.left -= 1;
        // Where its values are: a piece of `data` as it came, or written to `scratch`.
        let within = (rec.content.as_ptr() as usize)
            .checked_sub(data.as_ptr() as usize)
            .filter(|&at| self.comma && at + rec.content.len() <= data.len());
        let (start, end, in_scratch) = match within {
            Some(at) => (at, at + rec.content.len(), false),
            None => {
                let start = self.scratch.len();
                values(&rec, self.comma, &mut self.scratch);
                (start, self.scratch.len(), true)
            }
        };
        self.pending.push(Pending {
            key: key_of_spans(rec.src, rec.spans),
            record: rec.index,
            start,
            end,
            in_scratch,
            at: 0,
            tag: UNPROCESSED,
        });
        Ok(())
    }

    /// Writes the pending records with their results, in input order. Their results are
    /// looked up first, all together: a lookup lands anywhere in the job's index (its keys
    /// are hashes), and lookups that do not wait for one another's output overlap their
    /// memory reads (one at a time they took a fifth of a 100,000-row load's CPU).
    fn flush(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        // Taken out whatever happens: after an error they are not looked up again (a later
        // flush would find the results they took gone and report another record).
        let mut pending = std::mem::take(&mut self.pending);
        let written = self.write(&mut pending, data, out);
        pending.clear();
        self.pending = pending;
        self.scratch.clear();
        written
    }

    /// [`Join::flush`] of `pending`.
    fn write(
        &mut self,
        pending: &mut [Pending],
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        if pending.is_empty() {
            return Ok(());
        }
        let job = self.next_job - 1;
        let Some(index) = self.index.as_mut() else {
            return Err(format!("job {job}: records without its results"));
        };
        for p in pending.iter_mut() {
            (p.at, p.tag) = index.take_at(p.key).ok_or_else(|| {
                format!(
                    "record {} (job {job}) has no result: none of the job's results echoes its \
                     values",
                    p.record
                )
            })?;
        }
        for p in pending.iter() {
            let src = if p.in_scratch { &self.scratch } else { data };
            put(out, src.get(p.start..p.end).unwrap_or_default());
            self.counts[0] += 1;
            let outcome = match p.tag {
                UNPROCESSED => Outcome::Unprocessed,
                _ => index.outcome(p.at),
            };
            let (id, success, created, error): (&[u8], _, _, &[u8]) = match outcome {
                Outcome::Saved { id, created } => {
                    self.counts[1] += 1;
                    (id, true, created, b"")
                }
                Outcome::Failed { id, error } => {
                    self.counts[2] += 1;
                    (id, false, false, error)
                }
                Outcome::Unprocessed => {
                    self.counts[3] += 1;
                    (b"", false, false, b"UNPROCESSED")
                }
            };
            push_result(out, id, success, created, error);
        }
        Ok(())
    }
}

/// A record's values, comma-separated (see the module doc); `comma`: the input's delimiter
/// is a comma.
fn values(rec: &Rec<'_>, comma: bool, out: &mut Vec<u8>) {
    let d = b',';
    if comma {
        // The same values: a record is written as it came, like Bulk API 1.0's join.
        put(out, rec.content);
        return;
    }
    for (i, span) in rec.spans.iter().enumerate() {
        if i > 0 {
            out.push(d);
        }
        if span.doubled {
            // Written again it is quoted, each quote doubled: as it came.
            out.push(b'"');
            put(out, span.raw(rec.src));
            out.push(b'"');
        } else {
            push_cell_with(out, span.raw(rec.src), d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfbulk_hot::fingerprint::{Fingerprint, tail};
    use sfbulk_hot::index::SMALL_INDEX;

    fn index(columns: &[&str], files: &[(ResultKind, &[u8])]) -> ResultIndex {
        let mut i = ResultIndex::new(columns.iter().map(|c| c.to_string()).collect());
        for (kind, data) in files {
            i.add(*kind, data, b',').unwrap();
        }
        i
    }

    #[test]
    fn shuffled_results_join_in_input_order_with_identical_rows_interchangeable() {
        let input = b"Name,Phone\na,1\nb,\"2,3\"\na,1\nc,\n";
        let files: [(ResultKind, &[u8]); 3] = [
            (
                ResultKind::Successful,
                b"\"sf__Id\",\"sf__Created\",Phone,Name\n\"001B\",\"true\",\"2,3\",b\n\"001A\",\"true\",1,a\n\"001C\",\"true\",1,a\n",
            ),
            (
                ResultKind::Failed,
                b"\"sf__Id\",\"sf__Error\",Name,Phone\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Phone]:Phone --\",c,\n",
            ),
            (ResultKind::Unprocessed, b"Name,Phone\n"),
        ];
        for piece in [1, 3, 100] {
            let mut j = IngestJoiner::new(vec![4], b',');
            let mut make = |_i: usize, _c: &[String]| Ok(index(&["Name", "Phone"], &files));
            let mut out = Vec::new();
            for c in input.chunks(piece) {
                out.extend(j.push(c, &mut make).unwrap());
            }
            out.extend(j.finish(&mut make).unwrap());
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(
                lines[0],
                "Name,Phone,sf__Id,sf__Success,sf__Created,sf__Error"
            );
            assert!(lines[1].starts_with("a,1,001"), "{text}");
            assert_eq!(lines[2], "b,\"2,3\",001B,true,true,");
            assert!(lines[3].starts_with("a,1,001"), "{text}");
            assert_ne!(
                lines[1], lines[3],
                "each identical row takes its own result"
            );
            assert!(
                lines[4].starts_with("c,,,false,false,REQUIRED_FIELD_MISSING"),
                "{text}"
            );
            assert_eq!(j.counts(), (4, 3, 1, 0));
        }
    }

    /// Records wait for their results until the end of a push or of their job
    /// (`Join::flush`): pushed in pieces of every size, over three jobs, a comma-separated
    /// input (its records written as pieces of the bytes pushed, or carried over) and a
    /// semicolon-separated one (written again) come out the same as in one push.
    #[test]
    fn records_wait_for_their_results_across_pieces_and_jobs() {
        let rows = [
            ("a", "1"),
            ("b", "x\"y"),
            ("c", "2 3"),
            ("d", "p\nq"),
            ("a", "1"),
            ("e", ""),
        ];
        // Records 0 and 4 are alike, in jobs of their own: each takes its own job's result.
        let jobs = [2u64, 3, 1];
        for d in [b',', b';'] {
            let quoted = |v: &str| {
                if v.contains(['"', '\n', d as char, ',']) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.to_string()
                }
            };
            let mut input = format!("Name{}Note\n", d as char);
            for (n, v) in rows {
                input += &format!("{n}{}{}\n", d as char, quoted(v));
            }
            let expected: String =
                std::iter::once("Name,Note,sf__Id,sf__Success,sf__Created,sf__Error\n".to_string())
                    .chain(rows.iter().enumerate().map(|(i, (n, v))| {
                        let v = if v.contains(['"', '\n', ',']) {
                            format!("\"{}\"", v.replace('"', "\"\""))
                        } else {
                            v.to_string()
                        };
                        match i {
                            5 => format!("{n},{v},,false,false,UNPROCESSED\n"),
                            _ => format!("{n},{v},001{i},true,true,\n"),
                        }
                    }))
                    .collect();
            let make_index = |job: usize| {
                let first: u64 = jobs[..job].iter().sum();
                let mut i = ResultIndex::new(vec!["Name".into(), "Note".into()]);
                let mut ok = String::from("\"sf__Id\",\"sf__Created\",Note,Name\n");
                let mut unprocessed = format!("Name{}Note\n", d as char);
                // Last row first: results come in any order.
                for r in (first..first + jobs[job]).rev() {
                    let (n, v) = rows[r as usize];
                    if r == 5 {
                        unprocessed += &format!("{n}{}{}\n", d as char, quoted(v));
                    } else {
                        let v = format!("\"{}\"", v.replace('"', "\"\""));
                        ok += &format!("\"001{r}\",\"true\",{v},{n}\n");
                    }
                }
                i.add(ResultKind::Successful, ok.as_bytes(), d).unwrap();
                i.add(ResultKind::Unprocessed, unprocessed.as_bytes(), d)
                    .unwrap();
                i
            };
            for piece in 1..=input.len() {
                let mut j = IngestJoiner::new(jobs.to_vec(), d);
                let mut made = 0;
                let mut make = |job: usize, _c: &[String]| {
                    made += 1;
                    Ok(make_index(job))
                };
                let mut out = Vec::new();
                for c in input.as_bytes().chunks(piece) {
                    out.extend(j.push(c, &mut make).unwrap());
                }
                out.extend(j.finish(&mut make).unwrap());
                let text = String::from_utf8(out).unwrap();
                assert_eq!(
                    text, expected,
                    "delimiter {:?}, pieces of {piece}",
                    d as char
                );
                assert_eq!(j.counts(), (6, 5, 0, 1));
                assert_eq!(made, 3);
            }
        }
    }

    /// The first error of a join of `input` pushed in pieces of `piece` bytes (it must fail).
    fn first_error(j: &mut IngestJoiner, input: &[u8], piece: usize, make: JobIndex<'_>) -> String {
        for c in input.chunks(piece) {
            if let Err(e) = j.push(c, make) {
                return e;
            }
        }
        j.finish(make).unwrap_err()
    }

    /// Records wait for their results, but an error of theirs still comes before an error
    /// in the input after them, however the input is cut (found by the `join_v2` fuzz
    /// target: fuzz/regressions/join_v2/error-after-a-record-without-result).
    #[test]
    fn a_record_without_a_result_fails_before_a_bad_record_after_it() {
        let files: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            b"\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",x\n",
        )];
        let input = b"Name\ny\nz,extra\n";
        for piece in 1..=input.len() {
            let mut j = IngestJoiner::new(vec![2], b',');
            let mut make = |_i: usize, _c: &[String]| Ok(index(&["Name"], &files));
            let err = first_error(&mut j, input, piece, &mut make);
            assert!(
                err.contains("record 1 (job 0) has no result"),
                "{piece}: {err}"
            );
        }
    }

    /// A job's records that failed to take their results are not looked up again when the
    /// push ends: the error is the first record's without one, however the input is cut
    /// (found by the `join_v2` fuzz target: fuzz/regressions/join_v2/an-error-reported-once).
    #[test]
    fn a_record_without_a_result_is_reported_once_whatever_the_pieces() {
        let job0: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            b"\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",a\n",
        )];
        let job1: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            b"\"sf__Id\",\"sf__Created\",Name\n\"001C\",\"true\",c\n",
        )];
        let input = b"Name\na\nb\nc\n";
        for piece in 1..=input.len() {
            let mut j = IngestJoiner::new(vec![2, 1], b',');
            let mut make =
                |i: usize, _c: &[String]| Ok(index(&["Name"], if i == 0 { &job0 } else { &job1 }));
            let err = first_error(&mut j, input, piece, &mut make);
            assert!(
                err.contains("record 2 (job 0) has no result"),
                "{piece}: {err}"
            );
        }
    }

    #[test]
    fn a_record_without_a_result_and_a_result_without_a_record_are_errors() {
        let files: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            b"\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",x\n",
        )];
        let mut j = IngestJoiner::new(vec![1], b',');
        let mut make = |_i: usize, _c: &[String]| Ok(index(&["Name"], &files));
        let err = j.push(b"Name\ny\n", &mut make).unwrap_err();
        assert!(err.contains("record 1 (job 0) has no result"), "{err}");

        let files: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            b"\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",x\n\"001B\",\"true\",z\n",
        )];
        let mut j = IngestJoiner::new(vec![1], b',');
        let mut make = |_i: usize, _c: &[String]| Ok(index(&["Name"], &files));
        j.push(b"Name\nx\n", &mut make).unwrap();
        let err = j.finish(&mut make).unwrap_err();
        assert!(err.contains("1 results match no input record"), "{err}");
    }

    #[test]
    fn unprocessed_rows_and_other_delimiters() {
        let files: [(ResultKind, &[u8]); 2] = [
            (
                ResultKind::Successful,
                b"\"sf__Id\"|\"sf__Created\"|Name\n\"001A\"|\"false\"|x\n",
            ),
            (ResultKind::Unprocessed, b"Name\ny\n"),
        ];
        let mut i = ResultIndex::new(vec!["Name".into()]);
        for (k, d) in files {
            i.add(k, d, b'|').unwrap();
        }
        assert_eq!(i.counts(), (1, 0, 1));
        let mut j = IngestJoiner::new(vec![2], b'|');
        let mut slot = Some(i);
        let mut make = |_i: usize, _c: &[String]| Ok(slot.take().unwrap());
        let mut out = j.push(b"Name\nx\ny\n", &mut make).unwrap();
        out.extend(j.finish(&mut make).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Name,sf__Id,sf__Success,sf__Created,sf__Error\nx,001A,true,false,\ny,,false,false,UNPROCESSED\n"
        );
        assert_eq!(j.counts(), (2, 1, 0, 1));
    }

    /// Found by the `join_v2` fuzz target (fuzz/regressions/join_v2/bom-opening-a-record):
    /// a record whose first value starts with U+FEFF lost it when read again for the join,
    /// so it matched no result (the results echo it) and the output dropped it.
    #[test]
    fn a_value_starting_with_a_bom_keeps_it_and_joins() {
        assert_eq!(
            csv_rows("\u{feff}a,b\n".as_bytes(), b',').unwrap(),
            [["\u{feff}a", "b"]]
        );
        let files: [(ResultKind, &[u8]); 1] = [(
            ResultKind::Successful,
            "\"sf__Id\",\"sf__Created\",Name\n\"001A\",\"true\",\"\u{feff}x\"\n".as_bytes(),
        )];
        let mut j = IngestJoiner::new(vec![1], b',');
        let mut make = |_i: usize, _c: &[String]| Ok(index(&["Name"], &files));
        let mut out = j.push("Name\n\u{feff}x\n".as_bytes(), &mut make).unwrap();
        out.extend(j.finish(&mut make).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Name,sf__Id,sf__Success,sf__Created,sf__Error\n\u{feff}x,001A,true,true,\n"
        );
    }

    /// An index made with room for its rows holds them without growing, and takes more
    /// (a failure's text, more rows than announced) as one made empty does.
    #[test]
    fn an_index_with_room_for_its_rows_reads_them_as_an_empty_one() {
        let files: [(ResultKind, &[u8]); 2] = [
            (
                ResultKind::Successful,
                b"\"sf__Id\",\"sf__Created\",Name\n001A00000000000AAA,true,a\n001A00000000000AAB,false,b\n",
            ),
            (
                ResultKind::Failed,
                b"\"sf__Id\",\"sf__Error\",Name\n\"\",\"DUPLICATE: \"\"c\"\"\",c\n",
            ),
        ];
        let mut roomy = ResultIndex::with_rows(vec!["Name".into()], 2);
        let (entries, outcomes) = (roomy.entries.capacity(), roomy.outcomes.capacity());
        assert!(entries >= 2 && outcomes >= 40);
        roomy.add(files[0].0, files[0].1, b',').unwrap();
        assert_eq!(roomy.entries.capacity(), entries);
        assert_eq!(roomy.outcomes.capacity(), outcomes);
        roomy.add(files[1].0, files[1].1, b',').unwrap();
        let mut empty = index(&["Name"], &files);
        assert_eq!(roomy.counts(), (2, 1, 0));
        for name in ["c", "b", "a"] {
            assert_eq!(roomy.take(&[name]), empty.take(&[name]));
        }
        assert_eq!(
            roomy.take(&["c"]),
            None,
            "one result each, however the index was made"
        );
    }

    /// The words of the value `v` as the first version made them, a byte at a time: the
    /// fingerprints (and so the keys of indexes) are the same, read a word at a time.
    fn value_bytewise(f: &mut Fingerprint, v: &[u8]) {
        let (mut last, mut n) = (0u64, 0);
        for &b in v {
            last |= u64::from(b) << (8 * n);
            n += 1;
            if n == 8 {
                f.word(last);
                (last, n) = (0, 0);
            }
        }
        f.word(last);
        f.word(v.len() as u64);
    }

    #[test]
    fn values_have_the_bytewise_fingerprint() {
        for n in 0..=20usize {
            let v: Vec<u8> = (1..=n as u8).collect();
            let k = n % 8;
            let want = v[n - k..]
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &x)| w | u64::from(x) << (8 * i));
            assert_eq!(tail(&v, k), want, "{n} bytes");
        }
        // Quotes alone, in pairs, at the ends, runs across word boundaries.
        let mut seed = 7u32;
        for len in 0..60 {
            for _ in 0..20 {
                let value: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        if seed >> 28 < 5 {
                            b'"'
                        } else {
                            b'a' + (seed >> 20) as u8 % 26
                        }
                    })
                    .collect();
                let doubled: Vec<u8> = value
                    .iter()
                    .flat_map(|&b| if b == b'"' { vec![b; 2] } else { vec![b] })
                    .collect();
                // (the bytes, whether doubled, the value they stand for)
                let cases = [
                    (&value, false, &value),
                    (&doubled, true, &value),
                    (&doubled, false, &doubled),
                ];
                for (v, d, stands_for) in cases {
                    let (mut a, mut b) = (Fingerprint::new(), Fingerprint::new());
                    a.value(v, d);
                    value_bytewise(&mut b, stands_for);
                    assert_eq!(
                        a.finish(),
                        b.finish(),
                        "{:?} {d}",
                        String::from_utf8_lossy(v)
                    );
                }
            }
        }
    }

    /// A doubled span's fingerprint is that of the value it stands for, at every length
    /// (the words of 8 bytes, the last one, the length).
    #[test]
    fn a_doubled_value_has_the_fingerprint_of_its_unquoted_value() {
        let mut value = Vec::new();
        for i in 0..40u8 {
            value.push(if i % 3 == 1 { b'"' } else { b'a' + i % 26 });
            let doubled: Vec<u8> = value
                .iter()
                .flat_map(|&b| if b == b'"' { vec![b; 2] } else { vec![b] })
                .collect();
            let (mut a, mut b) = (Fingerprint::new(), Fingerprint::new());
            a.value(&doubled, true);
            b.value(&value, false);
            assert_eq!(
                a.finish(),
                b.finish(),
                "{:?}",
                String::from_utf8_lossy(&value)
            );
            // Not doubled, the same bytes are another value.
            let mut c = Fingerprint::new();
            c.value(&doubled, false);
            assert_eq!(c.finish() == b.finish(), i == 0);
        }
    }

    #[test]
    fn blank_lines_are_no_records_but_a_quoted_empty_value_is() {
        assert_eq!(
            csv_rows(b"a\n\n\"\"\n\r\nb", b',').unwrap(),
            [["a"], [""], ["b"]]
        );
    }

    /// A saved outcome under a chosen fingerprint (as if a result row had it).
    fn saved_with_key(i: &mut ResultIndex, key: Key, id: &str) {
        let at = i.outcomes.len() as u32;
        i.outcomes.extend_from_slice(&[SAVED, id.len() as u8]);
        i.outcomes.extend_from_slice(id.as_bytes());
        i.entries.push(Entry {
            hi: key.0,
            lo: key.1,
            at,
        });
        i.sealed = false;
    }

    fn id_of(o: Option<Outcome<'_>>) -> Option<String> {
        match o? {
            Outcome::Saved { id, .. } | Outcome::Failed { id, .. } => {
                Some(String::from_utf8_lossy(id).into_owned())
            }
            Outcome::Unprocessed => Some("-".into()),
        }
    }

    /// The sort: by fingerprint, then file order, whatever the order given.
    #[test]
    fn entries_sort_by_key_then_file_order() {
        // Both paths (8-bit runs searched whole below SMALL_INDEX, 16-bit runs with a prefix
        // index above), entries given in file order or not.
        for n in [5000, 5001, SMALL_INDEX + 5000, SMALL_INDEX + 5001] {
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            let mut entries = Vec::new();
            for at in 0..n as u32 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Few distinct values in some bits: equal keys, equal first 64 bits.
                let hi = x & 0xFFFF_0000_00FF_00F0;
                entries.push(Entry {
                    hi,
                    lo: (x >> 60) as u32 & 1,
                    at,
                });
            }
            if n % 2 == 1 {
                // Any given order: the sort orders by file order (`at`) itself.
                entries.reverse();
                entries.rotate_left(n / 3);
            }
            let mut expected = entries.clone();
            expected.sort_by_key(|e| (e.key(), e.at));
            let starts = sort(&mut entries);
            let key = |v: &[Entry]| v.iter().map(|e| (e.hi, e.lo, e.at)).collect::<Vec<_>>();
            assert_eq!(key(&entries), key(&expected));
            if n < SMALL_INDEX {
                assert!(starts.is_empty());
                continue;
            }
            // Every entry lies in the run of its top 16 bits.
            for (i, e) in entries.iter().enumerate() {
                let top = (e.hi >> 48) as usize;
                assert!((starts[top] as usize..starts[top + 1] as usize).contains(&i));
            }
            assert_eq!(starts[1 << 16] as usize, entries.len());
        }
        let mut none = Vec::new();
        sort(&mut none);
        assert!(none.is_empty());
        // One run of identical rows, given backwards: file order again.
        let same = |at| Entry {
            hi: 7 << 60,
            lo: 3,
            at,
        };
        let mut run: Vec<Entry> = (0..SMALL_INDEX as u32 * 2).rev().map(same).collect();
        sort(&mut run);
        assert!(run.iter().enumerate().all(|(i, e)| e.at as usize == i));
    }

    #[test]
    fn an_entry_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    /// Fingerprints that share their first 64 bits (or their last 32) are different keys;
    /// equal fingerprints are one key whose results are taken in turn, each once.
    #[test]
    fn colliding_fingerprints_are_told_apart_by_every_bit_and_equal_ones_taken_in_turn() {
        let mut i = ResultIndex::new(vec!["Name".into()]);
        let (a, b, c) = (Key(7, 1), Key(7, 2), Key(8, 1));
        saved_with_key(&mut i, b, "B1");
        saved_with_key(&mut i, a, "A1");
        saved_with_key(&mut i, c, "C1");
        saved_with_key(&mut i, a, "A2");
        saved_with_key(&mut i, b, "B2");
        let mut got = Vec::new();
        for k in [a, b, a, c, b] {
            got.push(id_of(i.take_key(k)).unwrap());
        }
        // Equal fingerprints: in the order the results came.
        assert_eq!(got, ["A1", "B1", "A2", "C1", "B2"]);
        assert_eq!(i.left(), 0);
        for k in [a, b, c, Key(7, 3), Key(6, 1)] {
            assert_eq!(i.take_key(k), None, "{k:?}");
        }
    }

    /// Many identical records: each takes its own result, in time that does not grow with
    /// the results already taken.
    #[test]
    fn thousands_of_identical_rows_each_take_one_result() {
        let n = 20_000;
        let mut files = b"\"sf__Id\",\"sf__Created\",Name\n".to_vec();
        for k in 0..n {
            files.extend_from_slice(format!("\"001{k:015}\",\"true\",same\n").as_bytes());
        }
        let mut i = ResultIndex::new(vec!["Name".into()]);
        i.add(ResultKind::Successful, &files, b',').unwrap();
        let mut ids = std::collections::BTreeSet::new();
        for _ in 0..n {
            assert!(ids.insert(id_of(i.take(&["same"])).unwrap()));
        }
        assert_eq!(i.take(&["same"]), None);
        assert_eq!((ids.len(), i.left()), (n, 0));
    }

    #[test]
    fn a_failed_insert_has_no_id_and_repeated_errors_are_kept_once() {
        let failed: &[u8] = b"\"sf__Id\",\"sf__Error\",Name\n\
            \"\",\"REQUIRED_FIELD_MISSING:Name\",a\n\
            \"\",\"REQUIRED_FIELD_MISSING:Name\",b\n\
            \"001X\",\"DUPLICATE_VALUE:id 001X, \"\"q\"\"\",c\n\
            \"\",\"REQUIRED_FIELD_MISSING:Name\",d\n\
            \"\",\"\",e\n";
        let mut i = ResultIndex::new(vec!["Name".into()]);
        i.add(ResultKind::Failed, failed, b',').unwrap();
        assert_eq!(i.counts(), (0, 5, 0));
        let missing = "REQUIRED_FIELD_MISSING:Name";
        // Once for a and b, again after c's text for d.
        assert_eq!(
            i.outcomes
                .windows(missing.len())
                .filter(|w| *w == missing.as_bytes())
                .count(),
            2
        );
        for (name, id, error) in [
            ("d", "", missing),
            ("c", "001X", "DUPLICATE_VALUE:id 001X, \"q\""),
            ("a", "", missing),
            ("e", "", ""),
            ("b", "", missing),
        ] {
            assert_eq!(
                i.take(&[name]),
                Some(Outcome::Failed {
                    id: id.as_bytes(),
                    error: error.as_bytes()
                }),
                "{name}"
            );
        }
        assert_eq!(i.left(), 0);
    }

    /// The fingerprint is of the list of values: where one ends counts, and so do empty
    /// values and trailing zero bytes.
    #[test]
    fn values_that_concatenate_alike_have_different_fingerprints() {
        let lists: [&[&[u8]]; 10] = [
            &[b"ab", b"c"],
            &[b"a", b"bc"],
            &[b"abc"],
            &[b"abc", b""],
            &[b"", b"abc"],
            &[b""],
            &[b"", b""],
            &[],
            &[b"abcdefgh"],
            &[b"abcdefgh\0"],
        ];
        let keys: std::collections::BTreeSet<Key> =
            lists.iter().map(|l| key_of(l.iter().copied())).collect();
        assert_eq!(keys.len(), lists.len());
        assert_eq!(
            key_of([&b"abc"[..]].into_iter()),
            key_of([&b"abc"[..]].into_iter())
        );
    }

    /// A results file read in pieces of any size, its BOM and header split anywhere, gives
    /// the index it gives whole.
    #[test]
    fn results_read_in_pieces_of_any_size_index_alike() {
        let ok: &[u8] = b"\xEF\xBB\xBF\"sf__Id\"\t\"sf__Created\"\tPhone\tName\n\
            \"001A\"\t\"true\"\t1\t\"a\tb\"\n\"001B\"\t\"false\"\t\"2\n3\"\tc";
        let unprocessed: &[u8] = b"Name\tPhone\nz\t9\n";
        let tiny: &[u8] = b"Name\tPhone\n";
        for piece in [1, 2, 3, 5, 11, 12, 13, 1000] {
            let mut i = ResultIndex::new(vec!["Name".into(), "Phone".into()]);
            for (kind, data) in [
                (ResultKind::Successful, ok),
                (ResultKind::Unprocessed, unprocessed),
                (ResultKind::Unprocessed, tiny),
                (ResultKind::Failed, &b""[..]),
            ] {
                i.begin(kind, b'\t');
                for c in data.chunks(piece) {
                    i.push(c).unwrap();
                }
                i.end().unwrap();
            }
            assert_eq!(i.counts(), (2, 0, 1), "pieces of {piece}");
            assert_eq!(
                i.take(&["c", "2\n3"]),
                Some(Outcome::Saved {
                    id: b"001B",
                    created: false
                })
            );
            assert_eq!(i.take(&["z", "9"]), Some(Outcome::Unprocessed));
            assert_eq!(
                i.take(&["a\tb", "1"]),
                Some(Outcome::Saved {
                    id: b"001A",
                    created: true
                })
            );
            assert_eq!(i.left(), 0);
        }
    }

    #[test]
    fn ragged_rows_missing_columns_and_late_results_are_errors() {
        let mut i = ResultIndex::new(vec!["Name".into()]);
        let err = i
            .add(
                ResultKind::Successful,
                b"\"sf__Id\",\"sf__Created\",Name\n1,true\n",
                b',',
            )
            .unwrap_err();
        assert_eq!(
            err,
            "successfulResults: row 1 has 2 fields, the header has 3"
        );
        let err = i
            .add(ResultKind::Failed, b"\"sf__Id\",Name\n1,a\n", b',')
            .unwrap_err();
        assert!(
            err.starts_with("failedResults: expected a sf__Error column"),
            "{err}"
        );
        let err = i
            .add(ResultKind::Unprocessed, b"Phone\n1\n", b',')
            .unwrap_err();
        assert!(
            err.contains("expected the input's column \"Name\""),
            "{err}"
        );
        i.add(ResultKind::Unprocessed, b"Name\nx\ny\n", b',')
            .unwrap();
        assert_eq!(i.take(&["x"]), Some(Outcome::Unprocessed));
        let err = i
            .add(ResultKind::Unprocessed, b"Name\nw\n", b',')
            .unwrap_err();
        assert!(err.contains("after records took theirs"), "{err}");
    }

    #[test]
    fn the_delimiter_is_read_from_the_results_header() {
        assert_eq!(sniff_delimiter(b"\"sf__Id\",\"sf__Error\""), b',');
        assert_eq!(sniff_delimiter(b"\"sf__Id\"\t\"sf__Error\""), b'\t');
        assert_eq!(sniff_delimiter(b"sf__Id;sf__Error"), b';');
        assert_eq!(sniff_delimiter(b"Name"), b',');
    }
}
