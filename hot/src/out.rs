//! Output written in the hot loops. At the component's opt-level "z" an
//! `extend_from_slice` stays a chain of four calls (~100 instructions for a short value) and
//! a `push` one call; here they are inlined into one function per kind of write.

use crate::scan::eq;

/// `out.extend_from_slice(bytes)`, as one call.
pub fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
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
            out.extend_from_slice(part);
            if part.last() == Some(&b'"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(cell);
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
    out.extend_from_slice(if success { b",true" } else { b",false" });
    out.extend_from_slice(if created { b",true," } else { b",false," });
    push_cell_with(out, error, b',');
    out.extend_from_slice(term);
}
