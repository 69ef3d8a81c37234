//! The fast path of CSV reading: one record read the way csv-core reads it (any one-byte
//! delimiter, `"` quotes doubled inside quoted values, CR, LF or CRLF ending a record), for
//! the shapes nearly every record has: plain values, and quoted values closed right before a
//! delimiter or a line end. Values are found 16 bytes at a time where the target has 128-bit
//! vectors (simd128, SSE2), else 8 ([`find`]: most are shorter than the set-up of a `memchr`
//! call) and handed over as spans of the record, not copied: a quoted value's span is what
//! is between its quotes, flagged when it holds doubled quotes (see [`unquote`]). Anything
//! else — text after a closing quote, or a record that runs past the end of the bytes at
//! hand — is left to csv-core, which the caller runs from the same record start: both paths
//! give the same values (checked by the tests below against csv-core on generated inputs).

use memchr::memchr;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = ONES * 0x7F;

/// The high bit of each byte of `w` that equals `b`, exactly (no carry between bytes).
#[inline(always)]
pub fn eq(w: u64, b: u8) -> u64 {
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
/// from `at` on, looked for 16 bytes at a time where the target has 128-bit vectors ([`wide`])
/// while 16 remain, then 8 at a time; `None` when there is none, or when `data` is shorter
/// than 8 bytes (the caller's record then goes the slow way). Inlined into the scan for each
/// kind of value (~85 M fewer instructions over a 100,000-row 2.0 load with its results, for
/// ~500 bytes of component).
#[inline(always)]
fn find(data: &[u8], at: usize, quoted: bool, delimiter: u8) -> Option<usize> {
    let mut rest = data.get(at..)?;
    let mut pos = at;
    #[cfg(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        target_arch = "x86_64"
    ))]
    while let Some((v, more)) = rest.split_first_chunk::<16>() {
        let h = wide::hits(v, quoted, delimiter);
        if h != 0 {
            return Some(pos + h.trailing_zeros() as usize);
        }
        rest = more;
        pos += 16;
    }
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

/// [`hits`] for 16 bytes in one 128-bit vector: WebAssembly's simd128 (enabled for every
/// wasm32-wasip2 build, `.cargo/config.toml`), and SSE2, which every x86_64 has (the command
/// line's check of an input file). One compare per byte looked for and a byte mask, where
/// the words take two rounds of masks and adds: over a 100,000-row 2.0 insert with its
/// results, −31 M instructions in the scan and −15 M in the command line's check, for 180
/// bytes of component.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wide {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128_load, v128_or};

    /// Bit `i` set when byte `i` of `v` is a quote (`quoted`), or else a `delimiter`, CR or
    /// LF.
    #[inline(always)]
    pub fn hits(v: &[u8; 16], quoted: bool, delimiter: u8) -> u32 {
        // SAFETY: `v` is 16 readable bytes, and `v128.load` takes any alignment.
        let v = unsafe { v128_load(v.as_ptr().cast()) };
        let m = if quoted {
            u8x16_eq(v, u8x16_splat(b'"'))
        } else {
            v128_or(
                v128_or(
                    u8x16_eq(v, u8x16_splat(delimiter)),
                    u8x16_eq(v, u8x16_splat(b'\r')),
                ),
                u8x16_eq(v, u8x16_splat(b'\n')),
            )
        };
        u32::from(u8x16_bitmask(m))
    }
}

/// See the wasm32 `wide` above.
#[cfg(target_arch = "x86_64")]
mod wide {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Bit `i` set when byte `i` of `v` is a quote (`quoted`), or else a `delimiter`, CR or
    /// LF.
    #[inline(always)]
    pub fn hits(v: &[u8; 16], quoted: bool, delimiter: u8) -> u32 {
        // SAFETY: SSE2 is part of every x86_64 CPU (the target's baseline: these
        // intrinsics are only unsafe for being `#[target_feature]` functions), and `v` is 16
        // readable bytes, which `_mm_loadu_si128` reads at any alignment.
        unsafe {
            let v = _mm_loadu_si128(v.as_ptr().cast());
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            let m = if quoted {
                eq(b'"')
            } else {
                _mm_or_si128(_mm_or_si128(eq(delimiter), eq(b'\r')), eq(b'\n'))
            };
            _mm_movemask_epi8(m) as u32
        }
    }
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
pub enum Scan {
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
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub doubled: bool,
}

impl Span {
    /// The span's bytes in `src` (a doubled one still doubled).
    pub fn raw(self, src: &[u8]) -> &[u8] {
        src.get(self.start..self.end).unwrap_or_default()
    }
}

/// The value of `span` in `src`: its bytes, or for a doubled span its bytes with each `""`
/// read as `"`, written to `scratch`.
pub fn unquote<'a>(src: &'a [u8], span: Span, scratch: &'a mut Vec<u8>) -> &'a [u8] {
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
pub fn spans_of(ends: &[usize], spans: &mut Vec<Span>) {
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

/// The quote that closes the quoted value whose text starts at `at` (the first quote not
/// followed by another: `""` stands for one quote), and whether the value holds such pairs;
/// `None` when `data` ends first. Pairs inside one 16-byte window are passed over in its
/// mask, without looking at the bytes again (a value like `"a ""b"""` takes one look, not
/// three).
#[inline(always)]
fn close_quote(data: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut doubled = false;
    #[cfg(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        target_arch = "x86_64"
    ))]
    while let Some(v) = data.get(at..).and_then(|r| r.first_chunk::<16>()) {
        let mut m = wide::hits(v, true, 0);
        // A quote with another right after it (bit 15's next byte is outside the mask).
        while m != 0 && m & (2 << m.trailing_zeros()) != 0 {
            doubled = true;
            m &= !(3 << m.trailing_zeros());
        }
        if m == 0 {
            at += 16;
            continue;
        }
        let q = at + m.trailing_zeros() as usize;
        if data.get(q + 1) != Some(&b'"') {
            return Some((q, doubled));
        }
        doubled = true;
        at = q + 2;
    }
    loop {
        let q = find(data, at, true, 0)?;
        if data.get(q + 1) != Some(&b'"') {
            return Some((q, doubled));
        }
        doubled = true;
        at = q + 2;
    }
}

/// Reads the record at the start of `data`, which starts a record (it does not start with a
/// line terminator: blank lines are the caller's). The spans of its values in `data` are
/// appended to `spans`. On [`Scan::Slow`] what was appended is left there for the caller to
/// drop.
pub fn scan_record(data: &[u8], delimiter: u8, spans: &mut Vec<Span>) -> Scan {
    if matches!(delimiter, b'"' | b'\r' | b'\n') {
        return Scan::Slow;
    }
    let mut at = 0;
    loop {
        // `at` starts a value.
        if matches!(data.get(at), Some(b'"')) {
            let start = at + 1;
            let Some((end, doubled)) = close_quote(data, start) else {
                return Scan::Slow;
            };
            at = end + 1;
            match data.get(at) {
                Some(&b) if b == delimiter => {
                    spans.push(Span {
                        start,
                        end,
                        doubled,
                    });
                    at += 1;
                }
                Some(b'\r' | b'\n') => {
                    spans.push(Span {
                        start,
                        end,
                        doubled,
                    });
                    return Scan::Record(at);
                }
                // Text after the closing quote (csv-core keeps it), or the end of `data`.
                _ => return Scan::Slow,
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

    /// The first `byte`, CR or LF from every start, in inputs of every length (past 40: two
    /// vectors and a word), is the one a plain search finds.
    #[test]
    fn find_or_line_end_finds_the_first_of_the_three() {
        let mut seed = 3u32;
        for len in 0..48 {
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

    /// What `find` gives: the first match from `at` by a byte-by-byte search, `None` when
    /// `data` is shorter than 8 bytes.
    fn expected(data: &[u8], at: usize, quoted: bool, delimiter: u8) -> Option<usize> {
        let is = |b: u8| {
            if quoted {
                b == b'"'
            } else {
                b == delimiter || b == b'\r' || b == b'\n'
            }
        };
        (data.len() >= 8).then_some(())?;
        data[at..].iter().position(|&b| is(b)).map(|i| at + i)
    }

    /// `find` against a byte-by-byte search, for every length (up to 48: vectors, then words,
    /// then a tail) and start, with the bytes it looks for (and their neighbours, which the
    /// vector compares and the word trick must not take for them) anywhere.
    #[test]
    fn find_finds_what_a_byte_loop_finds() {
        let alphabet = [
            b'a', b',', b'"', b'\r', b'\n', b'!', b'#', b'\x0b', 0, 0x80, 0xAC, b';',
        ];
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        for round in 0..4_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 48) as usize;
            let data: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 16 * 4)) as usize + i * round) % alphabet.len()])
                .collect();
            for delimiter in [b',', b';', 0, b'\x0c'] {
                for at in 0..=len {
                    for quoted in [false, true] {
                        assert_eq!(
                            find(&data, at, quoted, delimiter),
                            expected(&data, at, quoted, delimiter),
                            "{data:?} from {at}, quoted {quoted}, delimiter {delimiter}"
                        );
                    }
                }
            }
        }
    }

    /// `find` where only one byte, at every place (or none), is looked for, among bytes
    /// next to those looked for: each lane of a vector and of a word, and the hand-over from
    /// vectors to words to the tail, from every start, in inputs of every length up to 48.
    #[test]
    fn find_finds_a_lone_match_at_every_place() {
        let near = [
            b'a', b'!', b'#', b'\x0b', b'\x0c', b'\x0e', 0x80, 0xAC, 0x8D,
        ];
        for len in 0..48 {
            let filler: Vec<u8> = (0..len).map(|i| near[i * 7 % near.len()]).collect();
            for (quoted, delimiter, byte) in [
                (true, b',', b'"'),
                (false, b',', b','),
                (false, b',', b'\r'),
                (false, b';', b'\n'),
                (false, 0, 0),
            ] {
                for place in 0..=len {
                    let mut data = filler.clone();
                    if let Some(b) = data.get_mut(place) {
                        *b = byte;
                    }
                    for at in 0..=len {
                        assert_eq!(
                            find(&data, at, quoted, delimiter),
                            expected(&data, at, quoted, delimiter),
                            "{data:?} from {at}, quoted {quoted}, delimiter {delimiter}"
                        );
                    }
                }
            }
        }
    }
}
