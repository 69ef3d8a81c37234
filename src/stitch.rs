//! Query result files stitched into one CSV: every file starts with the same header line,
//! which is written once; a file holding only Salesforce's "no records" text adds nothing;
//! a file whose last row has no line terminator gets one. Rows are counted as they pass
//! (line ends outside quotes). Pure: bytes in, bytes out, in pieces of any size.

/// The body the real service sends for a query result with no rows.
pub const NO_RECORDS: &[u8] = b"Records not found for this query";

/// The longest first line a result file may have (1 MiB).
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Stitches files one after another; see the module doc.
#[derive(Debug, Default)]
pub struct Stitcher {
    header_written: bool,
    rows: u64,
    in_quotes: bool,
    /// The current file's first line while it is not complete (`None` once it is).
    head: Option<Vec<u8>>,
    last_byte: Option<u8>,
}

impl Stitcher {
    /// A stitcher that has written nothing.
    pub fn new() -> Self {
        Stitcher::default()
    }

    /// A stitcher continuing an output that already has its header (a resumed query).
    pub fn after_header() -> Self {
        Stitcher {
            header_written: true,
            ..Stitcher::default()
        }
    }

    /// Data rows written so far (headers not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// A new file starts.
    pub fn begin_file(&mut self) {
        self.head = Some(Vec::new());
        self.last_byte = None;
        self.in_quotes = false;
    }

    /// The next piece of the current file; returns what to write (possibly nothing while
    /// its first line is incomplete). Errors when the first line outgrows
    /// [`MAX_HEADER_BYTES`], with that line.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        if chunk.is_empty() {
            return Ok(Vec::new());
        }
        self.last_byte = chunk.last().copied();
        let Some(head) = self.head.as_mut() else {
            count_rows(chunk, &mut self.in_quotes, &mut self.rows);
            return Ok(chunk.to_vec());
        };
        head.extend_from_slice(chunk);
        let Some(nl) = head.iter().position(|b| *b == b'\n') else {
            if head.len() > MAX_HEADER_BYTES {
                return Err(std::mem::take(head));
            }
            return Ok(Vec::new());
        };
        let mut rest = head.split_off(nl + 1);
        let line = std::mem::take(head);
        self.head = None;
        let mut out = self.first_line(line, true);
        count_rows(&rest, &mut self.in_quotes, &mut self.rows);
        out.append(&mut rest);
        Ok(out)
    }

    /// The current file goes on after an `end_file` that wrote nothing (the same file,
    /// read again past what was read): its first line is already behind it.
    pub fn begin_file_continuing(&mut self) {
        self.head = None;
        self.last_byte = Some(b'\n');
    }

    /// The current file ended; returns what is left to write.
    pub fn end_file(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(head) = self.head.take() {
            // A file that never completed its first line: a header only, or the
            // no-records text.
            out = self.first_line(head, false);
        } else if self.last_byte.is_some_and(|b| b != b'\n') && !self.in_quotes {
            self.rows += 1;
            out.push(b'\n');
        }
        self.in_quotes = false;
        self.last_byte = None;
        out
    }

    /// A file's first line: the no-records text (skipped), a header (written once).
    fn first_line(&mut self, line: Vec<u8>, complete: bool) -> Vec<u8> {
        let text = line.trim_ascii();
        if text.is_empty() || text == NO_RECORDS || self.header_written {
            return Vec::new();
        }
        self.header_written = true;
        let mut line = line;
        if !complete {
            line.push(b'\n');
        }
        line
    }
}

/// Counts CSV record ends (newlines outside quotes) in `data`: eight bytes at a time, only
/// the quotes and newlines among them looked at.
fn count_rows(data: &[u8], in_quotes: &mut bool, rows: &mut u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    /// The high bit of each byte of `w` that equals `b` (exactly: no carries across bytes).
    #[inline(always)]
    fn bytes_equal(w: u64, b: u8) -> u64 {
        let x = w ^ (ONES * u64::from(b));
        !(((x & LOW7) + LOW7) | x) & !LOW7
    }
    #[inline(always)]
    fn bytes_equal_either(w: u64) -> u64 {
        bytes_equal(w, b'"') | bytes_equal(w, b'\n')
    }
    let mut rest = data;
    while !rest.is_empty() {
        let word = match rest.split_first_chunk::<8>() {
            Some((w, more)) => {
                rest = more;
                u64::from_le_bytes(*w)
            }
            None => {
                // The last bytes padded with zeros, which are neither quotes nor newlines.
                let mut w = 0;
                for (i, &b) in rest.iter().enumerate() {
                    w |= u64::from(b) << (8 * i);
                }
                rest = &[];
                w
            }
        };
        let mut found = bytes_equal_either(word);
        while found != 0 {
            // The byte found: a quote toggles, a newline outside quotes ends a row.
            if (word >> (found.trailing_zeros() & !7)) as u8 == b'"' {
                *in_quotes = !*in_quotes;
            } else if !*in_quotes {
                *rows += 1;
            }
            found &= found - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stitch(files: &[&[u8]], piece: usize) -> (Vec<u8>, u64) {
        let mut s = Stitcher::new();
        let mut out = Vec::new();
        for f in files {
            s.begin_file();
            for c in f.chunks(piece.max(1)) {
                out.extend(s.push(c).unwrap());
            }
            out.extend(s.end_file());
        }
        (out, s.rows())
    }

    #[test]
    fn one_header_for_many_files_at_any_piece_size() {
        let files: [&[u8]; 4] = [
            b"Id,Name\n1,a\n2,\"b\nc\"\n",
            b"Id,Name\n",
            b"Records not found for this query",
            b"Id,Name\n3,d",
        ];
        for piece in [1, 2, 3, 7, 100] {
            let (out, rows) = stitch(&files, piece);
            assert_eq!(out, b"Id,Name\n1,a\n2,\"b\nc\"\n3,d\n", "piece {piece}");
            assert_eq!(rows, 3, "piece {piece}");
        }
    }

    #[test]
    fn a_header_only_file_without_terminator_still_gives_the_header() {
        let (out, rows) = stitch(&[b"Id,Name", b"Id,Name\n1,a\n"], 4);
        assert_eq!(out, b"Id,Name\n1,a\n");
        assert_eq!(rows, 1);
    }

    #[test]
    fn nothing_but_no_records_gives_nothing() {
        let (out, rows) = stitch(&[NO_RECORDS, b"\n"], 5);
        assert!(out.is_empty());
        assert_eq!(rows, 0);
    }

    /// Rows are counted as a byte-by-byte reading counts them, wherever quotes and newlines
    /// fall among the eight-byte words.
    #[test]
    fn rows_are_counted_eight_bytes_at_a_time_as_one_at_a_time() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        [
                            b'"',
                            b'\n',
                            b'a',
                            b',',
                            b'\r',
                            0x22 ^ 0x80,
                            0x0a ^ 0x80,
                            b'"',
                        ][(x % 8) as usize]
                    })
                    .collect();
                for start in [false, true] {
                    let (mut q, mut n) = (start, 0);
                    count_rows(&data, &mut q, &mut n);
                    let (mut q2, mut n2) = (start, 0);
                    for &b in &data {
                        match b {
                            b'"' => q2 = !q2,
                            b'\n' if !q2 => n2 += 1,
                            _ => {}
                        }
                    }
                    assert_eq!((q, n), (q2, n2), "{data:?}");
                }
            }
        }
    }

    #[test]
    fn an_endless_first_line_is_refused() {
        let mut s = Stitcher::new();
        s.begin_file();
        let big = vec![b'x'; MAX_HEADER_BYTES + 1];
        assert_eq!(s.push(&big).unwrap_err().len(), MAX_HEADER_BYTES + 1);
    }
}
