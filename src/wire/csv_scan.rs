//! The fast path of CSV reading: one record read the way csv-core reads it (any one-byte
//! delimiter, `"` quotes doubled inside quoted values, CR, LF or CRLF ending a record), for
//! the shapes nearly every record has: plain values, and quoted values closed right before a
//! delimiter or a line end. Values are found with `memchr` (16 bytes at a time when the
//! component is built with simd128). Anything else — text after a closing quote, or a record
//! that runs past the end of the bytes at hand — is left to csv-core, which the caller runs
//! from the same record start: both paths give the same values (checked by the tests below
//! against csv-core on generated inputs).

use memchr::{memchr, memchr3};

/// What [`scan_record`] found at the start of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A whole record: its content is `data[..end]`; `data[end]`, `\r` or `\n`, starts its
    /// line terminator.
    Record(usize),
    /// Not read here: read it with csv-core from the same start.
    Slow,
}

/// Reads the record at the start of `data`, which starts a record (it does not start with a
/// line terminator: blank lines are the caller's). Its values, quotes removed, are appended
/// to `vals` and where each ends in `vals` to `ends`. On [`Scan::Slow`] what was appended is
/// left there for the caller to drop.
pub(crate) fn scan_record(
    data: &[u8],
    delimiter: u8,
    vals: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> Scan {
    if matches!(delimiter, b'"' | b'\r' | b'\n') {
        return Scan::Slow;
    }
    let mut at = 0;
    loop {
        // `at` starts a value.
        if data.get(at) == Some(&b'"') {
            at += 1;
            loop {
                let Some(n) = memchr(b'"', &data[at..]) else {
                    return Scan::Slow;
                };
                vals.extend_from_slice(&data[at..at + n]);
                at += n + 1;
                match data.get(at) {
                    Some(b'"') => {
                        vals.push(b'"');
                        at += 1;
                    }
                    Some(&b) if b == delimiter => {
                        ends.push(vals.len());
                        at += 1;
                        break;
                    }
                    Some(b'\r' | b'\n') => {
                        ends.push(vals.len());
                        return Scan::Record(at);
                    }
                    // Text after the closing quote (csv-core keeps it), or the end of `data`.
                    _ => return Scan::Slow,
                }
            }
        } else {
            // A quote inside a plain value is data, as in csv-core.
            let rest = &data[at..];
            let Some(n) = memchr3(delimiter, b'\r', b'\n', rest) else {
                return Scan::Slow;
            };
            vals.extend_from_slice(&rest[..n]);
            ends.push(vals.len());
            at += n;
            if data[at] != delimiter {
                return Scan::Record(at);
            }
            at += 1;
        }
    }
}

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
        let (mut vals, mut ends) = (b"junk".to_vec(), Vec::new());
        vals.clear();
        match scan_record(data, delimiter, &mut vals, &mut ends) {
            Scan::Record(end) => Some((split(&vals, &ends), end)),
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
        for case in cases {
            assert!(agrees(case, b','), "{case:?} went the slow way");
        }
        for d in [b'\t', b';', b'|', b'^', b'`'] {
            let s = format!("a{0}\"b{0}c\"{0}\"d\"\"e\"{0}{0}f\r\n", char::from(d));
            assert!(agrees(s.as_bytes(), d));
            // The comma is data with another delimiter.
            assert!(agrees(b"a,b\n", d));
            assert_eq!(fast(b"a,b\n", d).unwrap().0, [b"a,b".to_vec()]);
        }
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
