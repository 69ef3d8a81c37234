//! The row Salesforce writes for nearly every record of a Bulk API 1.0 results file:
//! `"001…","true","true",""` and LF. Recognised by a few word compares instead of the CSV
//! scan's four quoted values; any other row is left to the scan.

use crate::scan::eq;

/// A row's id (15 or 18 bytes, quoted, no quote inside, no white space or other byte that
/// is not visible ASCII at either end: what the general reader takes as it is),
/// `"true"` or `"false"` twice, an empty `Error` value and LF: the id, success, created and
/// the bytes after the row. `None` for any other row (also one that is only cut short).
pub fn plain_row(rest: &[u8]) -> Option<(&[u8], bool, bool, &[u8])> {
    // A 15-byte id puts its closing quote at 16; an 18-byte one at 19 (where a shorter id's
    // row has `t` or `f`).
    let len = match (rest.get(16), rest.get(19)) {
        (_, Some(b'"')) => 18,
        (Some(b'"'), _) => 15,
        _ => return None,
    };
    if rest.first() != Some(&b'"') {
        return None;
    }
    let id = &rest[1..1 + len];
    // No quote in it: the words at its start, its end, and for 18 bytes the one after 8.
    let quotes =
        eq(word(id, 0), b'"') | eq(word(id, len - 8), b'"') | eq(word(id, len / 2 - 1), b'"');
    if quotes != 0 || !id[0].is_ascii_graphic() || !id[len - 1].is_ascii_graphic() {
        return None;
    }
    let tail = &rest[1 + len..];
    for (row_end, success, created) in ENDS {
        if starts_with(tail, row_end) {
            return Some((id, success, created, &tail[row_end.len()..]));
        }
    }
    None
}

/// What follows the id, by how often it comes: a record created, updated, then the two a
/// results file does not hold without an error.
const ENDS: [(&[u8], bool, bool); 4] = [
    (b"\",\"true\",\"true\",\"\"\n", true, true),
    (b"\",\"true\",\"false\",\"\"\n", true, false),
    (b"\",\"false\",\"false\",\"\"\n", false, false),
    (b"\",\"false\",\"true\",\"\"\n", false, true),
];

/// `data.starts_with(pattern)` for a pattern of 16 to 24 bytes, as three 8-byte compares
/// (the last overlapping the second): no call to `memcmp`.
#[inline(always)]
fn starts_with(data: &[u8], pattern: &[u8]) -> bool {
    let n = pattern.len();
    debug_assert!((16..=24).contains(&n));
    let Some(data) = data.get(..n) else {
        return false;
    };
    (word(data, 0) ^ word(pattern, 0))
        | (word(data, 8) ^ word(pattern, 8))
        | (word(data, n - 8) ^ word(pattern, n - 8))
        == 0
}

/// The 8 bytes of `s` from `at`, as a little-endian word.
#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The four rows it takes, with both id lengths; the same rows a byte off anywhere
    /// outside the id, or a quote or an invisible byte at the id's ends, are left to the scan.
    #[test]
    fn takes_the_plain_rows_and_no_other() {
        for id in ["001A00000001AAA", "001A00000001AAAQAA"] {
            for (end, success, created) in ENDS {
                let row = [b"\"", id.as_bytes(), end, b"next"].concat();
                assert_eq!(
                    plain_row(&row),
                    Some((id.as_bytes(), success, created, &b"next"[..])),
                    "{}",
                    String::from_utf8_lossy(&row)
                );
                let whole = row.len() - 4;
                for at in 0..whole {
                    for b in [b'x', b'"', b',', b' ', b'\r', b'\n', 0xC3] {
                        let mut changed = row.clone();
                        if changed[at] == b {
                            continue;
                        }
                        changed[at] = b;
                        // Inside the id any byte but a quote; at its ends only visible ASCII.
                        let end = at == 1 || at == id.len();
                        let still_an_id = (1..=id.len()).contains(&at)
                            && b != b'"'
                            && (!end || b.is_ascii_graphic());
                        let taken = plain_row(&changed).map(|(i, s, c, _)| (i.to_vec(), s, c));
                        if still_an_id {
                            assert!(taken.is_some());
                        } else {
                            assert_eq!(taken, None, "{}", String::from_utf8_lossy(&changed));
                        }
                    }
                    // Cut short.
                    assert_eq!(plain_row(&row[..at]), None);
                }
            }
        }
    }
}
