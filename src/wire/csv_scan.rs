//! The fast path of CSV reading: one record read the way csv-core reads it (any one-byte
//! delimiter, `"` quotes doubled inside quoted values, CR, LF or CRLF ending a record), for
//! the shapes nearly every record has: plain values, and quoted values closed right before a
//! delimiter or a line end. Values are found 8 bytes at a time ([`find`]: most are shorter
//! than the set-up of a `memchr` call) and handed over as spans of the record, not copied: a
//! quoted value's span is what is between its quotes, flagged when it holds doubled quotes
//! (see [`unquote`]). Anything else — text after a closing quote, or a record that runs past
//! the end of the bytes at hand — is left to csv-core, which the caller runs from the same
//! record start: both paths give the same values (checked by the tests below against
//! csv-core on generated inputs).

use memchr::memchr;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = ONES * 0x7F;

/// The high bit of each byte of `w` that equals `b`, exactly (no carry between bytes).
#[inline(always)]
pub(crate) fn eq(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

/// The high bit of each byte of `w` that is a quote (`quoted`), or else a `delimiter`, CR
/// or LF.
#[inline(always)]
fn hits(w: u64, quoted: bool, delimiter: u8) -> u64 {
    if quoted {
        eq(w, b'"')
    } else {
        eq(w, delimiter) | eq(w, b'\r') | eq(w, b'\n')
    }
}

/// Where the first quote (`quoted`), or else the first `delimiter`, CR or LF, is in `data`
/// from `at` on, looked for 8 bytes at a time; `None` when there is none, or when `data` is
/// shorter than 8 bytes (the caller's record then goes the slow way). Inlined into the
/// scan for each kind of value (~85 M fewer instructions over a 100,000-row 2.0 load with
/// its results, for ~500 bytes of component).
#[inline(always)]
fn find(data: &[u8], at: usize, quoted: bool, delimiter: u8) -> Option<usize> {
    let mut rest = data.get(at..)?;
    let mut pos = at;
    while let Some((w, more)) = rest.split_first_chunk::<8>() {
        let h = hits(u64::from_le_bytes(*w), quoted, delimiter);
        if h != 0 {
            return Some(pos + (h.trailing_zeros() / 8) as usize);
        }
        rest = more;
        pos += 8;
    }
    if rest.is_empty() {
        return None;
    }
    // The last 1–7 bytes: the word that ends `data`, without the bytes before them.
    let w = data.last_chunk::<8>()?;
    let h = hits(u64::from_le_bytes(*w), quoted, delimiter) >> (8 * (8 - rest.len()));
    (h != 0).then(|| pos + (h.trailing_zeros() / 8) as usize)
}

/// Where the first `byte`, CR or LF is in `data` from `at` on, found 8 bytes at a time;
/// `None` when there is none. The command line's check of a whole input file looks for the
/// end of each value with it (a `memchr3` call per value cost more on short values).
pub fn find_or_line_end(data: &[u8], at: usize, byte: u8) -> Option<usize> {
    if data.len() >= 8 {
        return find(data, at, false, byte);
    }
    let rest = data.get(at..)?;
    let k = rest
        .iter()
        .position(|&b| b == byte || b == b'\r' || b == b'\n')?;
    Some(at + k)
}

/// What [`scan_record`] found at the start of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A whole record: its content is `data[..end]`; `data[end]`, `\r` or `\n`, starts its
    /// line terminator.
    Record(usize),
    /// Not read here: read it with csv-core from the same start.
    Slow,
}

/// One value of a record: `start..end` of the bytes it was read from, without the quotes
/// around it. `doubled`: the value is quoted and holds doubled quotes, each `""` of the span
/// standing for one `"` (see [`unquote`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
    pub doubled: bool,
}

impl Span {
    /// The span's bytes in `src` (a doubled one still doubled).
    pub(crate) fn raw(self, src: &[u8]) -> &[u8] {
        src.get(self.start..self.end).unwrap_or_default()
    }
}

/// The value of `span` in `src`: its bytes, or for a doubled span its bytes with each `""`
/// read as `"`, written to `scratch`.
pub(crate) fn unquote<'a>(src: &'a [u8], span: Span, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let mut raw = span.raw(src);
    if !span.doubled {
        return raw;
    }
    scratch.clear();
    while let Some(n) = memchr(b'"', raw) {
        // Up to the first quote of a pair, then past the second.
        scratch.extend_from_slice(&raw[..=n]);
        raw = raw.get(n + 2..).unwrap_or_default();
    }
    scratch.extend_from_slice(raw);
    scratch
}

/// Spans of values read one after another into `vals` (csv-core's values, where each ends
/// in `ends`): none doubled.
pub(crate) fn spans_of(ends: &[usize], spans: &mut Vec<Span>) {
    let mut start = 0;
    for &end in ends {
        spans.push(Span {
            start,
            end,
            doubled: false,
        });
        start = end;
    }
}

/// Reads the record at the start of `data`, which starts a record (it does not start with a
/// line terminator: blank lines are the caller's). The spans of its values in `data` are
/// appended to `spans`. On [`Scan::Slow`] what was appended is left there for the caller to
/// drop.
pub(crate) fn scan_record(data: &[u8], delimiter: u8, spans: &mut Vec<Span>) -> Scan {
    if matches!(delimiter, b'"' | b'\r' | b'\n') {
        return Scan::Slow;
    }
    let mut at = 0;
    loop {
        // `at` starts a value.
        if matches!(data.get(at), Some(b'"')) {
            at += 1;
            let start = at;
            let mut doubled = false;
            loop {
                let Some(end) = find(data, at, true, delimiter) else {
                    return Scan::Slow;
                };
                at = end + 1;
                match data.get(at) {
                    Some(b'"') => {
                        doubled = true;
                        at += 1;
                        continue;
                    }
                    Some(&b) if b == delimiter || b == b'\r' || b == b'\n' => {
                        spans.push(Span {
                            start,
                            end,
                            doubled,
                        });
                        if b != delimiter {
                            return Scan::Record(at);
                        }
                        at += 1;
                        break;
                    }
                    // Text after the closing quote (csv-core keeps it), or the end of `data`.
                    _ => return Scan::Slow,
                }
            }
        } else {
            // A quote inside a plain value is data, as in csv-core.
            let Some(end) = find(data, at, false, delimiter) else {
                return Scan::Slow;
            };
            spans.push(Span {
                start: at,
                end,
                doubled: false,
            });
            at = end;
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

    /// The first `byte`, CR or LF from every start, in inputs of every length, is the one a
    /// plain search finds.
    #[test]
    fn find_or_line_end_finds_the_first_of_the_three() {
        let mut seed = 3u32;
        for len in 0..40 {
            for _ in 0..50 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        b",\r\n\"ab"[(seed >> 16) as usize % 6]
                    })
                    .collect();
                for byte in [b',', b'"'] {
                    for at in 0..=len + 1 {
                        let want = data.get(at..).and_then(|r| {
                            r.iter()
                                .position(|&b| b == byte || b == b'\r' || b == b'\n')
                                .map(|k| at + k)
                        });
                        assert_eq!(find_or_line_end(&data, at, byte), want, "{data:?} {at}");
                    }
                }
            }
        }
    }

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

    /// `find` against a byte-by-byte search, for every length and start, with the bytes it
    /// looks for (and their neighbours, which the word trick must not take for them)
    /// anywhere.
    #[test]
    fn find_looks_8_bytes_at_a_time_and_finds_what_a_byte_loop_finds() {
        let alphabet = [
            b'a', b',', b'"', b'\r', b'\n', b'!', b'#', b'\x0b', 0, 0x80, 0xAC, b';',
        ];
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for round in 0..4_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let data: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 16 * 4)) as usize + i * round) % alphabet.len()])
                .collect();
            for delimiter in [b',', b';', 0, b'\x0c'] {
                for at in 0..=len {
                    for quoted in [false, true] {
                        let expected = (len >= 8).then_some(()).and(
                            data[at..]
                                .iter()
                                .position(|&b| {
                                    if quoted {
                                        b == b'"'
                                    } else {
                                        b == delimiter || b == b'\r' || b == b'\n'
                                    }
                                })
                                .map(|i| at + i),
                        );
                        assert_eq!(
                            find(&data, at, quoted, delimiter),
                            expected,
                            "{data:?} from {at}, quoted {quoted}, delimiter {delimiter}"
                        );
                    }
                }
            }
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
