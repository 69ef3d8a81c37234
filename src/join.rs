//! Joins batch results to the input records: one output row per input record, in order.
//!
//! The input is read again, chunk by chunk, with the splitter's rules (see [`crate::split`]);
//! each record is written back byte for byte followed by `sf__Id`, `sf__Success`,
//! `sf__Created` and `sf__Error`. Results are fetched one batch at a time, when the first
//! record of that batch is reached, so memory holds one batch's results.

use crate::csv_input::{Rec, Records};
use crate::model::IngestOutcomes;
pub(crate) use sfbulk_hot::out::push_cell_with;
use sfbulk_hot::out::{push_result_with, put};

/// The columns appended to the input header.
const RESULT_COLUMNS: &[u8] = b",sf__Id,sf__Success,sf__Created,sf__Error";

/// The results of one batch as the joiner consumes them.
type Results<'a> = &'a mut dyn FnMut(usize) -> Result<IngestOutcomes, String>;

/// Writes the input records with their results; see the module docs.
#[derive(Debug)]
pub struct ResultJoiner {
    reader: Records,
    state: State,
}

#[derive(Debug)]
struct State {
    batch_records: Vec<usize>,
    /// The batch the next record belongs to, once `left` is 0.
    next_batch: usize,
    /// Records still to come in the current batch.
    left: usize,
    /// The current batch's results and the next one to take, or its failure text.
    current: Result<(IngestOutcomes, usize), String>,
    records: u64,
    succeeded: u64,
    failed: u64,
}

impl ResultJoiner {
    /// `batch_records`: how many input records each batch holds, in order (from the
    /// splitter). Batches of 0 records are skipped.
    pub fn new(batch_records: Vec<usize>) -> Self {
        ResultJoiner {
            reader: Records::new(usize::MAX, usize::MAX),
            state: State {
                batch_records,
                next_batch: 0,
                left: 0,
                current: Ok((IngestOutcomes::default(), 0)),
                records: 0,
                succeeded: 0,
                failed: 0,
            },
        }
    }

    /// Feeds the next bytes of the same input the splitter saw. `results(i)` is called once,
    /// when the first record of batch `i` (0-based) is reached, and returns that batch's
    /// results in record order or the batch's failure text. Returns the output CSV produced.
    pub fn push(&mut self, data: &[u8], results: Results<'_>) -> Result<Vec<u8>, String> {
        // About what comes in, plus the results (~35 bytes a record): no copy to grow.
        let mut out = Vec::with_capacity(2 * data.len());
        let state = &mut self.state;
        self.reader
            .push(data, &mut |rec| state.row(rec, results, &mut out))?;
        Ok(out)
    }

    /// End of input: the last row, if any. Errors when the input had fewer records than the
    /// batches.
    pub fn finish(&mut self, results: Results<'_>) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let state = &mut self.state;
        self.reader
            .finish(&mut |rec| state.row(rec, results, &mut out))?;
        let s = &self.state;
        let expected: usize = s.batch_records.iter().sum();
        if s.left > 0
            || s.batch_records[s.next_batch.min(s.batch_records.len())..]
                .iter()
                .any(|&n| n > 0)
        {
            return Err(format!(
                "expected {expected} records (the batches' total), found {} in the input",
                s.records
            ));
        }
        Ok(out)
    }

    /// Records written, of which succeeded and failed.
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.state.records, self.state.succeeded, self.state.failed)
    }
}

impl State {
    fn row(&mut self, rec: Rec<'_>, results: Results<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        put(out, rec.content);
        if rec.index == 0 {
            out.extend_from_slice(RESULT_COLUMNS);
            out.extend_from_slice(rec.term);
            return Ok(());
        }
        if self.left == 0 {
            self.next_batch_results(rec.index, results)?;
        }
        self.left -= 1;
        self.records += 1;
        let (id, success, created, error) = match &mut self.current {
            Err(text) => (&b""[..], false, false, text.as_bytes()),
            Ok((rows, next)) => {
                *next += 1;
                // The length was checked against the batch's record count.
                rows.get(*next - 1).unwrap_or((b"", false, false, b""))
            }
        };
        if success {
            self.succeeded += 1;
        } else {
            self.failed += 1;
        }
        // One call into the hot loops' writer (each write its own call here cost ~5 % of a
        // 100,000-row load's CPU).
        push_result_with(out, id, success, created, error, rec.term);
        Ok(())
    }

    /// Moves to the next batch holding records and fetches its results.
    fn next_batch_results(&mut self, record: u64, results: Results<'_>) -> Result<(), String> {
        loop {
            let Some(&n) = self.batch_records.get(self.next_batch) else {
                let total: usize = self.batch_records.iter().sum();
                return Err(format!(
                    "record {record} is in no batch: expected {total} records (the batches' \
                     total), found more in the input"
                ));
            };
            let batch = self.next_batch;
            self.next_batch += 1;
            if n == 0 {
                continue;
            }
            self.left = n;
            self.current = match results(batch) {
                Ok(rows) if rows.len() != n => {
                    return Err(format!(
                        "batch {batch}: expected {n} results (one per record), found {}",
                        rows.len()
                    ));
                }
                Ok(rows) => Ok((rows, 0)),
                Err(text) => Err(text),
            };
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RecordError, RecordResult};
    use crate::split::tests::parse;

    /// Quoted exactly when a byte needs it, wherever it is (the 8-byte words and the tail).
    #[test]
    fn a_cell_is_quoted_when_any_byte_needs_it() {
        for delimiter in [b',', b';', b'\t'] {
            for len in 0..=19 {
                let plain = vec![b'a'; len];
                let mut out = Vec::new();
                push_cell_with(&mut out, &plain, delimiter);
                assert_eq!(out, plain);
                for at in 0..len {
                    for special in [delimiter, b'"', b'\r', b'\n', b',' ^ 1] {
                        let mut cell = plain.clone();
                        cell[at] = special;
                        let mut out = Vec::new();
                        push_cell_with(&mut out, &cell, delimiter);
                        let needs = matches!(special, b'"' | b'\r' | b'\n') || special == delimiter;
                        let expected = if needs {
                            let doubled = String::from_utf8(cell.clone())
                                .unwrap()
                                .replace('"', "\"\"");
                            format!("\"{doubled}\"").into_bytes()
                        } else {
                            cell.clone()
                        };
                        assert_eq!(out, expected, "{cell:?} with {delimiter}");
                    }
                }
            }
        }
    }

    fn ok(id: &str, created: bool) -> RecordResult {
        RecordResult {
            id: Some(id.into()),
            success: true,
            created,
            errors: vec![],
        }
    }

    fn failed(errors: &[(&str, &str)]) -> RecordResult {
        RecordResult {
            id: None,
            success: false,
            created: false,
            errors: errors
                .iter()
                .map(|(code, message)| RecordError {
                    status_code: code.to_string(),
                    message: message.to_string(),
                    fields: vec![],
                })
                .collect(),
        }
    }

    /// Batches of 2, 3 and 2 records: batch 0 with one failed record, batch 1 failed as a
    /// whole, batch 2 all saved.
    fn results(batch: usize) -> Result<IngestOutcomes, String> {
        match batch {
            0 => Ok(vec![
                ok("001A", true),
                failed(&[
                    (
                        "REQUIRED_FIELD_MISSING",
                        "Required fields are missing: [LastName]",
                    ),
                    ("INVALID_FIELD", "bad, \"quoted\" value"),
                ]),
            ]
            .into()),
            1 => Err("InvalidBatch : Field name not found : Foo".into()),
            2 => Ok(vec![ok("001B", false), ok("001C", true)].into()),
            _ => panic!("no batch {batch}"),
        }
    }

    const INPUT: &[u8] =
        b"\xEF\xBB\xBFName,Note\r\nA,\"x,y\"\r\n\r\nB,\"multi\nline\"\r\nC,\"q\"\"\"\nD,d\n\nE,e\nF,f\nG,g";

    const EXPECTED: &str = "Name,Note,sf__Id,sf__Success,sf__Created,sf__Error\r\n\
        A,\"x,y\",001A,true,true,\r\n\
        B,\"multi\nline\",,false,false,\"REQUIRED_FIELD_MISSING:Required fields are missing: \
        [LastName]; INVALID_FIELD:bad, \"\"quoted\"\" value\"\r\n\
        C,\"q\"\"\",,false,false,InvalidBatch : Field name not found : Foo\n\
        D,d,,false,false,InvalidBatch : Field name not found : Foo\n\
        E,e,,false,false,InvalidBatch : Field name not found : Foo\n\
        F,f,001B,true,false,\n\
        G,g,001C,true,true,\n";

    /// The output and the counts.
    type Joined = (Vec<u8>, (u64, u64, u64));

    fn join_chunked(
        input: &[u8],
        batches: Vec<usize>,
        chunk: usize,
        results: &mut dyn FnMut(usize) -> Result<IngestOutcomes, String>,
    ) -> Result<Joined, String> {
        let mut j = ResultJoiner::new(batches);
        let mut out = Vec::new();
        for part in input.chunks(chunk.max(1)) {
            out.extend(j.push(part, results)?);
        }
        out.extend(j.finish(results)?);
        Ok((out, j.counts()))
    }

    #[test]
    fn joins_three_batches_with_failed_records_and_a_failed_batch() {
        let mut calls = Vec::new();
        let (out, counts) = join_chunked(INPUT, vec![2, 3, 2], INPUT.len(), &mut |i| {
            calls.push(i);
            results(i)
        })
        .unwrap();
        assert_eq!(String::from_utf8(out.clone()).unwrap(), EXPECTED);
        assert_eq!(calls, [0, 1, 2], "results fetched once per batch, in order");
        assert_eq!(counts, (7, 3, 4));
        // Every input record is one output row: its fields, then the four result columns.
        let input_rows = parse(INPUT);
        let output_rows = parse(&out);
        assert_eq!(input_rows.len(), output_rows.len());
        for (i, o) in input_rows.iter().zip(&output_rows) {
            assert_eq!(&o[..i.len()], &i[..]);
            assert_eq!(o.len(), i.len() + 4);
        }
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        for chunk in [1, 2, 3, 7, 4096] {
            let (out, counts) = join_chunked(INPUT, vec![2, 3, 2], chunk, &mut results).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), EXPECTED, "chunk {chunk}");
            assert_eq!(counts, (7, 3, 4));
        }
    }

    #[test]
    fn results_are_fetched_when_the_batch_is_reached() {
        let mut j = ResultJoiner::new(vec![1, 1]);
        let calls = std::cell::RefCell::new(Vec::new());
        let mut fetch = |i: usize| {
            calls.borrow_mut().push(i);
            Ok(vec![ok(&format!("id{i}"), true)].into())
        };
        assert_eq!(
            j.push(b"h\na\n", &mut fetch).unwrap(),
            b"h,sf__Id,sf__Success,sf__Created,sf__Error\na,id0,true,true,\n"
        );
        assert_eq!(*calls.borrow(), [0]);
        assert_eq!(j.push(b"b", &mut fetch).unwrap(), b"");
        assert_eq!(j.finish(&mut fetch).unwrap(), b"b,id1,true,true,\n");
        assert_eq!(*calls.borrow(), [0, 1]);
    }

    #[test]
    fn a_results_list_of_the_wrong_length_is_an_error() {
        let err = join_chunked(INPUT, vec![2, 3, 2], 5, &mut |i| match i {
            2 => Ok(vec![ok("001B", false)].into()),
            _ => results(i),
        })
        .unwrap_err();
        assert_eq!(err, "batch 2: expected 2 results (one per record), found 1");
        let err = join_chunked(INPUT, vec![2, 3, 2], 5, &mut |i| match i {
            0 => Ok(vec![ok("1", true), ok("2", true), ok("3", true)].into()),
            _ => results(i),
        })
        .unwrap_err();
        assert_eq!(err, "batch 0: expected 2 results (one per record), found 3");
    }

    #[test]
    fn input_and_batches_must_hold_the_same_records() {
        assert_eq!(
            join_chunked(INPUT, vec![2, 3, 1], 4096, &mut |i| match i {
                2 => Ok(vec![ok("x", true)].into()),
                _ => results(i),
            })
            .unwrap_err(),
            "record 7 is in no batch: expected 6 records (the batches' total), found more in \
             the input"
        );
        assert_eq!(
            join_chunked(INPUT, vec![2, 3, 2, 0, 4], 4096, &mut results).unwrap_err(),
            "expected 11 records (the batches' total), found 7 in the input"
        );
        assert_eq!(
            join_chunked(b"h\n1\n", vec![], 1, &mut results).unwrap_err(),
            "record 1 is in no batch: expected 0 records (the batches' total), found more in \
             the input"
        );
        // Empty input, no batches: nothing to write.
        assert_eq!(join_chunked(b"", vec![], 1, &mut results).unwrap().0, b"");
        // A malformed record is refused as by the splitter.
        assert_eq!(
            join_chunked(b"a,b\n1\n", vec![1], 1, &mut |_| Ok(
                vec![ok("x", true)].into()
            ))
            .unwrap_err(),
            "record 1 has 1 fields, the header has 2"
        );
    }
}
