//! Bulk API 2.0 results joined to the input. Salesforce returns a job's results in three
//! files (successful, failed, unprocessed), in any order, each row echoing the input's
//! values by column name. A job's rows are indexed by those values; the input is read
//! again and every record takes one result with its values (identical records are
//! interchangeable). Memory holds one job's index.
//!
//! Output, comma-separated with LF line ends whatever the input's dialect: each input
//! record's values, then `sf__Id`, `sf__Success`, `sf__Created`, `sf__Error` (an unprocessed
//! record: not a success, `sf__Error` `UNPROCESSED`).

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::csv_input::{Rec, Records};
use crate::join::push_cell_with;
use crate::model::v2::ResultKind;
use crate::wire::PooledReader;

/// What happened to one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Saved: its id, and whether it was created.
    Saved { id: String, created: bool },
    /// Refused: its id (empty for a failed insert) and `sf__Error`.
    Failed { id: String, error: String },
    /// Never attempted (the job failed or was aborted first).
    Unprocessed,
}

/// One job's results, keyed by the echoed input values.
#[derive(Debug)]
pub struct ResultIndex {
    /// The input's column names, in input order.
    columns: Vec<String>,
    /// (key of the values, outcome, taken), sorted by key once sealed.
    rows: Vec<(u128, Outcome, bool)>,
    sealed: bool,
    counts: [u64; 3],
}

/// The key of a record's values: two differently seeded 64-bit hashes of the values, each
/// followed by a byte UTF-8 never holds.
fn key<S: AsRef<str>>(values: &[S]) -> u128 {
    let mut a = DefaultHasher::new();
    let mut b = DefaultHasher::new();
    0x5f_u8.hash(&mut b);
    for v in values {
        for h in [&mut a, &mut b] {
            h.write(v.as_ref().as_bytes());
            h.write_u8(0xff);
        }
    }
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The records of a whole CSV text as fields (quotes removed). A leading BOM is data: the
/// caller drops a file's own.
pub fn csv_rows(data: &[u8], delimiter: u8) -> Result<Vec<Vec<String>>, String> {
    rows_with(&mut PooledReader::new(delimiter), data)
}

/// [`csv_rows`] with a reader of the caller's (reset here).
fn rows_with(reader: &mut PooledReader, data: &[u8]) -> Result<Vec<Vec<String>>, String> {
    reader.reset();
    let mut rows = Vec::new();
    let mut input = data;
    let mut field = vec![0u8; 1024];
    let mut ends = vec![0usize; 64];
    let (mut written, mut ended) = (0, 0);
    // csv-core drops a BOM at the start of its first input when that holds 3 bytes or more:
    // its first input is one byte, so a value that starts with U+FEFF keeps it.
    let mut fed = false;
    loop {
        let given = if fed {
            input
        } else {
            &input[..input.len().min(1)]
        };
        fed = true;
        let (result, read, wrote, n_ends) =
            reader.read_record(given, &mut field[written..], &mut ends[ended..]);
        input = &input[read..];
        written += wrote;
        ended += n_ends;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => field.resize(field.len() * 2, 0),
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::Record => {
                let mut start = 0;
                let mut row = Vec::with_capacity(ended);
                for &end in &ends[..ended] {
                    let text = std::str::from_utf8(&field[start..end])
                        .map_err(|_| format!("row {} is not utf-8", rows.len() + 1))?;
                    row.push(text.to_string());
                    start = end;
                }
                rows.push(row);
                (written, ended) = (0, 0);
            }
            csv_core::ReadRecordResult::End => return Ok(rows),
        }
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

impl ResultIndex {
    /// An empty index for an input with these column names.
    pub fn new(columns: Vec<String>) -> Self {
        ResultIndex {
            columns,
            rows: Vec::new(),
            sealed: false,
            counts: [0; 3],
        }
    }

    /// Adds one results file. `delimiter` is the input's (the unprocessed file keeps it);
    /// the other two files' delimiter is read from their header.
    pub fn add(&mut self, kind: ResultKind, data: &[u8], delimiter: u8) -> Result<(), String> {
        let what = kind.path();
        let delimiter = match kind {
            ResultKind::Unprocessed => delimiter,
            _ => sniff_delimiter(data),
        };
        let rows = csv_rows(
            data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data),
            delimiter,
        )?;
        let Some((header, rows)) = rows.split_first() else {
            return Ok(());
        };
        let find = |name: &str| header.iter().position(|h| h == name);
        // The input's columns, by name.
        let mut at = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            at.push(find(c).ok_or_else(|| {
                format!("{what}: expected the input's column {c:?}, found columns {header:?}")
            })?);
        }
        let need = |name: &str| {
            find(name).ok_or_else(|| format!("{what}: expected a {name} column, found {header:?}"))
        };
        let (id, extra) = match kind {
            ResultKind::Successful => (Some(need("sf__Id")?), Some(need("sf__Created")?)),
            ResultKind::Failed => (Some(need("sf__Id")?), Some(need("sf__Error")?)),
            ResultKind::Unprocessed => (None, None),
        };
        for (n, row) in rows.iter().enumerate() {
            if row.len() != header.len() {
                return Err(format!(
                    "{what}: row {} has {} fields, the header has {}",
                    n + 1,
                    row.len(),
                    header.len()
                ));
            }
            let values: Vec<&str> = at.iter().map(|&i| row[i].as_str()).collect();
            let cell = |i: Option<usize>| i.map(|i| row[i].clone()).unwrap_or_default();
            let outcome = match kind {
                ResultKind::Successful => Outcome::Saved {
                    id: cell(id),
                    created: cell(extra).eq_ignore_ascii_case("true"),
                },
                ResultKind::Failed => Outcome::Failed {
                    id: cell(id),
                    error: cell(extra),
                },
                ResultKind::Unprocessed => Outcome::Unprocessed,
            };
            self.rows.push((key(&values), outcome, false));
        }
        self.counts[kind as usize] += rows.len() as u64;
        self.sealed = false;
        Ok(())
    }

    /// Results added: successful, failed, unprocessed.
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.counts[0], self.counts[1], self.counts[2])
    }

    /// Results not taken yet.
    pub fn left(&self) -> usize {
        self.rows.iter().filter(|r| !r.2).count()
    }

    /// Takes the result of a record with these values (in input column order).
    pub fn take<S: AsRef<str>>(&mut self, values: &[S]) -> Option<Outcome> {
        if !self.sealed {
            self.rows.sort_by_key(|r| r.0);
            self.sealed = true;
        }
        let k = key(values);
        let start = self.rows.partition_point(|r| r.0 < k);
        let row = self.rows[start..]
            .iter_mut()
            .take_while(|r| r.0 == k)
            .find(|r| !r.2)?;
        row.2 = true;
        Some(row.1.clone())
    }
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
    /// Reads one record's values.
    values: PooledReader,
    job_records: Vec<u64>,
    next_job: usize,
    left: u64,
    index: Option<ResultIndex>,
    columns: Option<Vec<String>>,
    counts: [u64; 4],
}

impl IngestJoiner {
    /// `job_records`: how many input records each job holds, in order.
    pub fn new(job_records: Vec<u64>, delimiter: u8) -> Self {
        IngestJoiner {
            reader: Records::new(usize::MAX, usize::MAX).with_delimiter(delimiter),
            join: Join {
                values: PooledReader::new(delimiter),
                job_records,
                next_job: 0,
                left: 0,
                index: None,
                columns: None,
                counts: [0; 4],
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
        let mut out = Vec::new();
        let join = &mut self.join;
        self.reader
            .push(data, &mut |rec| join.row(rec, index, &mut out))?;
        Ok(out)
    }

    /// Ends the input; checks every record and every result was accounted for.
    pub fn finish(&mut self, index: JobIndex<'_>) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let join = &mut self.join;
        self.reader
            .finish(&mut |rec| join.row(rec, index, &mut out))?;
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

    fn row(&mut self, rec: Rec<'_>, index: JobIndex<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        let fields = rows_with(&mut self.values, &[rec.content, b"\n"].concat())?
            .pop()
            .unwrap_or_default();
        let d = b',';
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(d);
            }
            push_cell_with(out, f, d);
        }
        if rec.index == 0 {
            for name in ["sf__Id", "sf__Success", "sf__Created", "sf__Error"] {
                out.push(d);
                out.extend_from_slice(name.as_bytes());
            }
            out.push(b'\n');
            self.columns = Some(fields);
            return Ok(());
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
        let job = self.next_job - 1;
        let outcome = self
            .index
            .as_mut()
            .and_then(|i| i.take(&fields))
            .ok_or_else(|| {
                format!(
                    "record {} (job {job}) has no result: none of the job's results echoes its \
                     values",
                    rec.index
                )
            })?;
        self.counts[0] += 1;
        let (id, success, created, error) = match outcome {
            Outcome::Saved { id, created } => {
                self.counts[1] += 1;
                (id, true, created, String::new())
            }
            Outcome::Failed { id, error } => {
                self.counts[2] += 1;
                (id, false, false, error)
            }
            Outcome::Unprocessed => {
                self.counts[3] += 1;
                (String::new(), false, false, "UNPROCESSED".to_string())
            }
        };
        for cell in [
            id.as_str(),
            if success { "true" } else { "false" },
            if created { "true" } else { "false" },
            error.as_str(),
        ] {
            out.push(d);
            push_cell_with(out, cell, d);
        }
        out.push(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn blank_lines_are_no_records_but_a_quoted_empty_value_is() {
        assert_eq!(
            csv_rows(b"a\n\n\"\"\n\r\nb", b',').unwrap(),
            [["a"], [""], ["b"]]
        );
    }

    #[test]
    fn the_delimiter_is_read_from_the_results_header() {
        assert_eq!(sniff_delimiter(b"\"sf__Id\",\"sf__Error\""), b',');
        assert_eq!(sniff_delimiter(b"\"sf__Id\"\t\"sf__Error\""), b'\t');
        assert_eq!(sniff_delimiter(b"sf__Id;sf__Error"), b';');
        assert_eq!(sniff_delimiter(b"Name"), b',');
    }
}
