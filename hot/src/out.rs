//! Output written in the hot loops. At the component's opt-level "z" an
//! `extend_from_slice` stays a chain of four calls (~100 instructions for a short value) and
//! a `push` one call; here they are inlined into one function per kind of write.
//!
//! A copy of a length not known at compile time is WebAssembly's `memory.copy`, which
//! wasmtime runs as a call out of the compiled code into the runtime (a bounds check, then
//! `memmove`): ~100 instructions, whatever the length. Most values copied here are short
//! (ids, flags, one record), so [`put`] copies up to 64 bytes with loads and stores of fixed
//! size instead.

use crate::scan::eq;

/// Copies of at most this many bytes are made inline by [`put`].
const INLINE: usize = 64;

/// `out.extend_from_slice(bytes)`, as one call; up to [`INLINE`] bytes without a call to
/// `memory.copy`. One copy of it, called: inlined into each writer it made the component
/// 216 bytes larger for ~3 % fewer instructions of a 1.0 insert.
#[inline(never)]
pub fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if n > INLINE {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(n);
    let len = out.len();
    let src = bytes.as_ptr();
    // SAFETY: `reserve` made room for `n` bytes after `len`. Every read below is inside
    // `bytes` and every write inside those `n` bytes: two copies of a fixed size, one from
    // each end, that overlap when `n` is under twice their size (for 1-3 bytes: the first,
    // the middle and the last byte).
    unsafe {
        let dst = out.as_mut_ptr().add(len);
        if n >= 32 {
            let a = src.cast::<[u8; 32]>().read_unaligned();
            let b = src.add(n - 32).cast::<[u8; 32]>().read_unaligned();
            dst.cast::<[u8; 32]>().write_unaligned(a);
            dst.add(n - 32).cast::<[u8; 32]>().write_unaligned(b);
        } else if n >= 16 {
            let a = src.cast::<[u8; 16]>().read_unaligned();
            let b = src.add(n - 16).cast::<[u8; 16]>().read_unaligned();
            dst.cast::<[u8; 16]>().write_unaligned(a);
            dst.add(n - 16).cast::<[u8; 16]>().write_unaligned(b);
        } else if n >= 8 {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        out.set_len(len + n);
    }
}

/// A CSV value, quoted only when it holds the delimiter, a quote, CR or LF (both joiners'
/// output).
pub fn push_cell_with(out: &mut Vec<u8>, cell: &[u8], delimiter: u8) {
    // 8 bytes at a time (ids and most values need no quotes), the last 0-7 one by one.
    let special = |b: u8| b == delimiter || matches!(b, b'"' | b'\r' | b'\n');
    let (words, tail) = cell.as_chunks::<8>();
    let mut quote = tail.iter().any(|&b| special(b));
    for w in words {
        let w = u64::from_le_bytes(*w);
        quote |= eq(w, delimiter) | eq(w, b'"') | eq(w, b'\r') | eq(w, b'\n') != 0;
    }
    if quote {
        out.push(b'"');
        for part in cell.split_inclusive(|&b| b == b'"') {
            put(out, part);
            if part.last() == Some(&b'"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        put(out, cell);
    }
}

/// The 2.0 join's columns after a record's values, comma-separated:
/// `,sf__Id,sf__Success,sf__Created,sf__Error` and LF.
pub fn push_result(out: &mut Vec<u8>, id: &[u8], success: bool, created: bool, error: &[u8]) {
    push_result_with(out, id, success, created, error, b"\n");
}

/// [`push_result`] ending with `term` (the 1.0 join keeps each record's line terminator).
pub fn push_result_with(
    out: &mut Vec<u8>,
    id: &[u8],
    success: bool,
    created: bool,
    error: &[u8],
    term: &[u8],
) {
    out.push(b',');
    push_cell_with(out, id, b',');
    // One write for both flags, none for the usual empty error and one byte for LF: each
    // `put` is a call.
    put(
        out,
        match (success, created) {
            (true, true) => b",true,true,",
            (true, false) => b",true,false,",
            (false, true) => b",false,true,",
            (false, false) => b",false,false,",
        },
    );
    if !error.is_empty() {
        push_cell_with(out, error, b',');
    }
    match term {
        [b] => out.push(*b),
        _ => put(out, term),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to past the inline limit, from every offset of the source, after
    /// output of every length and spare room: the bytes `extend_from_slice` writes.
    #[test]
    fn put_writes_what_extend_from_slice_writes() {
        let source: Vec<u8> = (0..100u8)
            .map(|b| b.wrapping_mul(37).wrapping_add(11))
            .collect();
        for n in 0..=INLINE + 8 {
            for from in 0..4 {
                for before in [0, 1, 7, 16, 31] {
                    for room in [0, 1, 64] {
                        let bytes = &source[from..from + n];
                        let mut out: Vec<u8> = Vec::with_capacity(before + room);
                        out.extend(source.iter().rev().take(before));
                        let mut expected = out.clone();
                        expected.extend_from_slice(bytes);
                        put(&mut out, bytes);
                        assert_eq!(out, expected, "{n} bytes from {from} after {before}");
                    }
                }
            }
        }
    }

    /// The result columns as each value written on its own would make them.
    #[test]
    fn push_result_with_writes_each_column() {
        let flag = |b: bool| if b { "true" } else { "false" };
        for id in ["", "001A00000001AAAQAA", "a,b"] {
            for (success, created) in [(true, true), (true, false), (false, true), (false, false)] {
                for error in ["", "CODE:text:Name --", "x \"y\", z"] {
                    for term in ["\n", "\r\n", "\r"] {
                        let mut out = b"rec".to_vec();
                        push_result_with(
                            &mut out,
                            id.as_bytes(),
                            success,
                            created,
                            error.as_bytes(),
                            term.as_bytes(),
                        );
                        let cell = |v: &str| {
                            if v.contains([',', '"', '\r', '\n']) {
                                format!("\"{}\"", v.replace('"', "\"\""))
                            } else {
                                v.to_string()
                            }
                        };
                        let expected = format!(
                            "rec,{},{},{},{}{term}",
                            cell(id),
                            flag(success),
                            flag(created),
                            cell(error)
                        );
                        assert_eq!(String::from_utf8(out).unwrap(), expected);
                    }
                }
            }
        }
    }
}
