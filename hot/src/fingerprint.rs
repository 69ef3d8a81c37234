//! The 2.0 join's fingerprint of a record's values (`sfbulk::join_v2` indexes result rows
//! and takes them by it; its tests are there).

use crate::scan::Span;

/// The fingerprint of a record's values: two 64-bit lanes (an xxHash64 and a MurmurHash3
/// step on the same words, differently seeded) over each value's bytes, 8 at a time, the
/// last word zero-padded, then its length (so no two lists of values give the same words).
#[derive(Clone, Copy)]
pub struct Fingerprint {
    a: u64,
    b: u64,
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const M1: u64 = 0x87C3_7B91_1142_53D5;
const M2: u64 = 0x4CF5_AD43_2745_937F;

impl Fingerprint {
    /// The fingerprint of no values.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Fingerprint {
            a: 0x27D4_EB2F_1656_67C5,
            b: 0x5f5f_5f5f_5f5f_5f5f,
        }
    }

    /// One word (a value's 8 bytes, its zero-padded last bytes, or its length).
    #[inline(always)]
    pub fn word(&mut self, w: u64) {
        self.a = (self.a ^ w.wrapping_mul(P2).rotate_left(31).wrapping_mul(P1))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(0x85EB_CA77_C2B2_AE63);
        self.b = (self.b ^ w.wrapping_mul(M1).rotate_left(31).wrapping_mul(M2))
            .rotate_left(27)
            .wrapping_mul(5)
            .wrapping_add(0x52DC_E729);
    }

    /// One value. `doubled`: `v` is a doubled span (each `""` stands for `"`), hashed as the
    /// value it stands for: a short one unquoted on the stack ([`unquote_short`]), a longer
    /// one read byte by byte (unquoting into a heap buffer first, with its `memchr` and copy
    /// calls per run, cost more on short values).
    pub fn value(&mut self, v: &[u8], doubled: bool) {
        let mut buf = [0u8; SHORT + 8];
        let v = match doubled.then(|| unquote_short(v, &mut buf)) {
            None => v,
            Some(Some(n)) => &buf[..n],
            Some(None) => return self.doubled_bytes(v),
        };
        // One copy of `plain` (two were partly moved out of line by the IR outliner).
        self.plain(v)
    }

    /// A doubled span's value byte by byte, without a copy. Out of line and cold: inlined,
    /// its last two words were moved out of line by the IR outliner together with
    /// [`plain`](Self::plain)'s, a call per value (~7 M instructions over a 100,000-row 2.0
    /// load with its results).
    #[cold]
    #[inline(never)]
    fn doubled_bytes(&mut self, v: &[u8]) {
        let (mut last, mut n, mut len, mut skip) = (0u64, 0, 0usize, false);
        for &b in v {
            if skip {
                skip = false;
                continue;
            }
            skip = b == b'"';
            last |= u64::from(b) << (8 * n);
            len += 1;
            n += 1;
            if n == 8 {
                self.word(last);
                (last, n) = (0, 0);
            }
        }
        self.word(last);
        self.word(len as u64);
    }

    /// The words of a value: its bytes 8 at a time, then the last 0–7 (zero above them),
    /// then its length.
    #[inline(always)]
    fn plain(&mut self, v: &[u8]) {
        let mut rest = v;
        while let Some((w, more)) = rest.split_first_chunk::<8>() {
            self.word(u64::from_le_bytes(*w));
            rest = more;
        }
        self.word(tail(v, rest.len()));
        self.word(v.len() as u64);
    }

    /// 96 bits: each lane mixed to the end (xxHash64's and MurmurHash3's finalizers).
    pub fn finish(self) -> Key {
        let mut a = self.a;
        a ^= a >> 33;
        a = a.wrapping_mul(P2);
        a ^= a >> 29;
        a = a.wrapping_mul(0x1656_67B1_9E37_79F9);
        a ^= a >> 32;
        let mut b = self.b;
        b ^= b >> 33;
        b = b.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        b ^= b >> 33;
        b = b.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        b ^= b >> 33;
        Key(a, (b >> 32) as u32)
    }
}

/// The longest doubled span [`unquote_short`] takes.
const SHORT: usize = 32;

/// The value the doubled span `v` stands for (each `""` read as `"`), written to the start
/// of `buf` up to 8 bytes at a time, and its length; `None` when `v` is longer than
/// [`SHORT`]. Each piece ends after a quote (whose pair is then skipped) or after 8 bytes,
/// and is stored as a whole word (the bytes past it are overwritten by the next piece or
/// lie past the value). A byte at a time took ~25 instructions a byte: this is ~26 M fewer
/// over a 100,000-row 2.0 load with its results, whose values all hold doubled quotes, for
/// ~560 bytes of component.
#[inline(always)]
fn unquote_short(v: &[u8], buf: &mut [u8; SHORT + 8]) -> Option<usize> {
    if v.len() > SHORT {
        return None;
    }
    let (mut i, mut o) = (0, 0);
    while i < v.len() {
        // The bytes from `i`: 8, or those left (a short `v` is one word, `tail`'s).
        let w = match v.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            Some(w) => u64::from_le_bytes(*w),
            None if v.len() >= 8 => tail(v, v.len() - i),
            None => tail(v, v.len()) >> (8 * i),
        };
        // Up to the first quote and it, or all 8 (a `tail` word is zero above its bytes,
        // and zero is no quote).
        let q = crate::scan::eq(w, b'"');
        let k = if q == 0 {
            8.min(v.len() - i)
        } else {
            (q.trailing_zeros() / 8 + 1) as usize
        };
        // `o` ≤ `i` < `v.len()` ≤ SHORT: the word fits.
        *buf.get_mut(o..)?.first_chunk_mut::<8>()? = w.to_le_bytes();
        o += k;
        i += k + usize::from(q != 0);
    }
    Some(o)
}

/// The last `k` (0–7) bytes of `v` as a little-endian word, zero above them, without a
/// loop: from the word that ends `v` when it has 8 bytes, else in two overlapping loads (or
/// three of one byte).
#[inline(always)]
pub fn tail(v: &[u8], k: usize) -> u64 {
    let n = v.len();
    if k == 0 {
        return 0;
    }
    let end = |w: usize| n.checked_sub(w).and_then(|i| v.get(i..));
    if let Some(w) = end(8).and_then(<[u8]>::first_chunk::<8>) {
        return u64::from_le_bytes(*w) >> (8 * (8 - k));
    }
    let byte = |i: usize| u64::from(v.get(i).copied().unwrap_or(0));
    match (
        v.first_chunk::<4>(),
        end(4).and_then(<[u8]>::first_chunk::<4>),
    ) {
        (Some(lo), Some(hi)) => {
            u64::from(u32::from_le_bytes(*lo))
                | (u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4)))
        }
        _ => byte(0) | (byte(n / 2) << (8 * (n / 2))) | (byte(n - 1) << (8 * (n - 1))),
    }
}

/// A record's fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub u64, pub u32);

/// The fingerprint of these values (plain bytes).
pub fn key_of<'v>(values: impl Iterator<Item = &'v [u8]>) -> Key {
    let mut f = Fingerprint::new();
    for v in values {
        f.value(v, false);
    }
    f.finish()
}

/// [`key_of`] the values of a record whose values are `spans` of `src`, doubled ones read
/// without a copy.
pub fn key_of_spans(src: &[u8], spans: &[Span]) -> Key {
    let mut f = Fingerprint::new();
    for span in spans {
        f.value(span.raw(src), span.doubled);
    }
    f.finish()
}

/// [`key_of_spans`] of the values `at` (in that order).
pub fn key_of_spans_at(src: &[u8], spans: &[Span], at: &[usize]) -> Key {
    let mut f = Fingerprint::new();
    for &i in at {
        if let Some(&span) = spans.get(i) {
            f.value(span.raw(src), span.doubled);
        }
    }
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A doubled span has the fingerprint of the value it stands for, for values of every
    /// length up to 48 with quotes (alone and in runs) anywhere: pieces ending at a quote,
    /// at 8 bytes and at the end, and spans past [`SHORT`] (read byte by byte).
    #[test]
    fn a_doubled_span_hashes_as_its_value() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = round % 49;
            let value: Vec<u8> = (0..len)
                .map(|i| match (seed >> (i % 32 * 2)) & 3 {
                    0 => b'"',
                    1 => 0,
                    _ => b'a' + (i as u8) % 26,
                })
                .collect();
            let doubled: Vec<u8> = value
                .iter()
                .flat_map(|&b| if b == b'"' { vec![b; 2] } else { vec![b] })
                .collect();
            let (mut a, mut b) = (Fingerprint::new(), Fingerprint::new());
            a.value(&doubled, true);
            b.value(&value, false);
            assert_eq!(a.finish(), b.finish(), "{value:?}");
        }
    }
}
