//! The fast path of CSV reading is in the `sfbulk-hot` crate (`hot/src/scan.rs`), which the
//! component's profile compiles for speed (see `Cargo.toml`); here it is checked against
//! csv-core.

pub use sfbulk_hot::scan::{Scan, Span, find_or_line_end, scan_record, spans_of, unquote};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::PooledReader;

    /// The first record of `data` as csv-core reads it: its values, and where its content
    /// ends (before the terminator) — `None` when csv-core needs more input to end it.
    fn csv_core(data: &[u8], delimiter: u8) -> Option<(Vec<Vec<u8>>, usize)> {
        let mut r = PooledReader::new(delimiter);
        let (mut vals, mut ends) = (Vec::new(), Vec::new());
        // csv-core drops a BOM at the start of a first input of 3 bytes or more.
        let (res, n1) = r.read_into(&data[..1], &mut vals, &mut ends);
        let (res, n) = if res == csv_core::ReadRecordResult::Record {
            (res, n1)
        } else {
            let (res, n2) = r.read_into(&data[1..], &mut vals, &mut ends);
            (res, n1 + n2)
        };
        if res != csv_core::ReadRecordResult::Record {
            return None;
        }
        Some((split(&vals, &ends), n - 1))
    }

    fn split(vals: &[u8], ends: &[usize]) -> Vec<Vec<u8>> {
        let mut start = 0;
        ends.iter()
            .map(|&e| {
                let v = vals[start..e].to_vec();
                start = e;
                v
            })
            .collect()
    }

    fn fast(data: &[u8], delimiter: u8) -> Option<(Vec<Vec<u8>>, usize)> {
        let mut spans = Vec::new();
        match scan_record(data, delimiter, &mut spans) {
            Scan::Record(end) => {
                // Unquoted through one scratch buffer, holding junk from the value before.
                let mut scratch = b"junk".to_vec();
                let values = spans
                    .iter()
                    .map(|&s| unquote(data, s, &mut scratch).to_vec())
                    .collect();
                // Only a span holding a quote is doubled (a plain value's quote is data).
                for s in &spans {
                    if s.doubled {
                        assert!(s.raw(data).windows(2).any(|w| w == b"\"\""));
                    }
                }
                Some((values, end))
            }
            Scan::Slow => None,
        }
    }

    /// Whenever the fast path reads a record, csv-core reads the same values and the same end.
    fn agrees(data: &[u8], delimiter: u8) -> bool {
        let Some(got) = fast(data, delimiter) else {
            return false;
        };
        assert_eq!(
            Some(got),
            csv_core(data, delimiter),
            "{:?} with {:?}",
            String::from_utf8_lossy(data),
            char::from(delimiter)
        );
        true
    }

    #[test]
    fn plain_and_quoted_values_read_as_csv_core_reads_them() {
        let cases: [&[u8]; 14] = [
            b"a,b,c\n",
            b"a,b,c\r\nx",
            b"a,b,c\rx",
            b",,\n",
            b"\"\",\"\"\n",
            b"\"a,b\",\"c\"\"d\"\"\",e\n",
            b"\"line\nbreak\",\"cr\r\nlf\"\r\n",
            b"plain \"quote\" inside,x\n",
            b"\"\"\"\"\n",
            b"Bench Account 1,\"row, 1 \"\"q\"\"\"\n",
            "Zürich,東京\n".as_bytes(),
            b"\xEF\xBB\xBFa,b\n",
            b" \"a\",b\n",
            b"a,\"\"\n",
        ];
        // Followed by more bytes: in fewer than 8 the fast path leaves a record to csv-core.
        let more = |case: &[u8]| [case, b"next,record\n"].concat();
        for case in cases {
            assert!(agrees(&more(case), b','), "{case:?} went the slow way");
        }
        for d in [b'\t', b';', b'|', b'^', b'`'] {
            let s = format!("a{0}\"b{0}c\"{0}\"d\"\"e\"{0}{0}f\r\n", char::from(d));
            assert!(agrees(s.as_bytes(), d));
            // The comma is data with another delimiter.
            assert!(agrees(&more(b"a,b\n"), d));
            assert_eq!(fast(&more(b"a,b\n"), d).unwrap().0, [b"a,b".to_vec()]);
        }
    }

    #[test]
    fn values_are_spans_of_the_record_and_only_doubled_ones_are_copied() {
        let data = b"plain,\"q,x\",\"a\"\"b\"\"\",\"\"\"\"\n";
        let mut spans = Vec::new();
        assert_eq!(scan_record(data, b',', &mut spans), Scan::Record(25));
        let span = |start, end, doubled| Span {
            start,
            end,
            doubled,
        };
        assert_eq!(
            spans,
            [
                span(0, 5, false),
                span(7, 10, false),
                span(13, 19, true),
                span(22, 24, true)
            ]
        );
        let mut scratch = Vec::new();
        // Undoubled values are the record's own bytes.
        for s in &spans[..2] {
            let v = unquote(data, *s, &mut scratch);
            assert_eq!(v.as_ptr(), data[s.start..].as_ptr());
        }
        assert_eq!(unquote(data, spans[2], &mut scratch), b"a\"b\"");
        assert_eq!(unquote(data, spans[3], &mut scratch), b"\"");
        // csv-core's values, back to back: spans of them, none doubled.
        let mut from_ends = vec![span(9, 9, true)];
        spans_of(&[3, 3, 7], &mut from_ends);
        assert_eq!(
            from_ends,
            [
                span(9, 9, true),
                span(0, 3, false),
                span(3, 3, false),
                span(3, 7, false)
            ]
        );
    }

    #[test]
    fn the_unusual_and_the_unfinished_go_the_slow_way() {
        for case in [
            &b"\"a\"b,c\n"[..], // text after a closing quote
            b"a,\"b\" ,c\n",
            b"a,b",       // no terminator yet
            b"a,\"b\nc",  // a quoted value still open
            b"a,\"b\"",   // a closing quote, then the end of the bytes
            b"a,\"b\"\"", // a doubled quote at the end
            b"a,",
            b"\"",
        ] {
            assert_eq!(fast(case, b','), None, "{case:?}");
        }
        // A delimiter that is a quote or a line end is csv-core's alone.
        for d in [b'"', b'\n', b'\r'] {
            assert_eq!(fast(b"a,b\n", d), None);
        }
    }

    /// Generated records of values drawn from pieces that matter to CSV: every one the fast
    /// path reads is read the same by csv-core, and the fast path reads most.
    #[test]
    fn generated_records_agree_with_csv_core() {
        let pieces: [&[u8]; 12] = [
            b"a",
            b"xyz",
            b",",
            b";",
            b"\"",
            b"\"\"",
            b"\n",
            b"\r",
            b"\r\n",
            b" ",
            "é".as_bytes(),
            b"0123456789abcdefghij",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut fast_ones = 0;
        for round in 0..20_000 {
            let delimiter = if round % 3 == 0 { b';' } else { b',' };
            let mut rec = Vec::new();
            for f in 0..1 + next(4) {
                if f > 0 {
                    rec.push(delimiter);
                }
                let quoted = next(2) == 0;
                let mut value = Vec::new();
                for _ in 0..next(4) {
                    value.extend_from_slice(pieces[next(pieces.len())]);
                }
                if quoted {
                    rec.push(b'"');
                    for &b in &value {
                        rec.push(b);
                        if b == b'"' {
                            rec.push(b'"');
                        }
                    }
                    rec.push(b'"');
                    // Now and then something csv-core reads in its own way.
                    if next(16) == 0 {
                        rec.extend_from_slice(pieces[next(pieces.len())]);
                    }
                } else {
                    rec.extend_from_slice(&value);
                }
            }
            rec.extend_from_slice([&b"\n"[..], b"\r\n", b"\r"][next(3)]);
            // A record starts with a value, never with a line end.
            if matches!(rec[0], b'\r' | b'\n') {
                continue;
            }
            // Whole, and cut anywhere: the fast path reads it or leaves it to csv-core.
            fast_ones += usize::from(agrees(&rec, delimiter));
            let cut = next(rec.len());
            if let Some(got) = fast(&rec[..cut], delimiter) {
                assert_eq!(Some(got), csv_core(&rec[..cut], delimiter));
            }
        }
        assert!(fast_ones > 8_000, "{fast_ones} of 20,000 read fast");
    }
}
