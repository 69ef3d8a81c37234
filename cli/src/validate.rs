//! The first pass of `load`: the whole input file is checked before any job exists, so
//! that a malformed file is refused (exit 2) with nothing sent. The input is a file, so it
//! can be read twice; this pass holds one piece of the file at a time.
//!
//! It checks what the component would refuse part-way through a load, and what Salesforce
//! would fail the job for:
//! - UTF-8 (one BOM at the very start is dropped; a second one opening the header is
//!   refused, as the component refuses it);
//! - quoting: a quoted value must be closed before the end of the input, and a closing
//!   quote must be followed by a delimiter or a line end;
//! - every record has as many fields as the header (blank lines between records are
//!   skipped and not counted, as the component skips them);
//! - header names are API names (`Name`, `ns__Field__c`, `Account.ExternalId__c`,
//!   `Type:Relationship.Field`), each once;
//! - Salesforce's limits: 131,072 characters per field, 400,000 per record, 5,000 fields;
//!   Bulk API 2.0 also a header of at most 32,000 characters and a record that fits, with
//!   the header, in one job's upload (`--max-job-bytes`).
//!
//! Problems are reported with the file, the line (1-based, counting every line break,
//! also those inside quoted values) where the record starts, and the record (data records
//! numbered from 1 as the component numbers them; the header is "the header").
//!
//! The Bulk API 2.0 column delimiter is detected here from the header line: each of the
//! six candidates is counted outside quotes and the most frequent wins (ties: comma, tab,
//! semicolon, pipe, caret, backquote); a header with none of them is comma-separated.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::csv_rules::{BOM, Scanner};
pub use crate::csv_rules::{
    Checked, DELIMITERS, MAX_FIELD_CHARS, MAX_FIELDS, MAX_HEADER_CHARS_V2, MAX_RECORD_CHARS,
    Problem, Rules, check_names,
};

/// Size of the pieces the pass reads.
const PIECE: usize = 1 << 20;

/// Why a file was not accepted.
#[derive(Debug)]
pub enum Refused {
    /// The file could not be read.
    Io(String),
    /// The file is malformed.
    Bad(Problem),
}

/// Checks a whole file.
pub fn check_file(path: &Path, rules: Rules) -> Result<Checked, Refused> {
    let io = |e: std::io::Error| Refused::Io(format!("cannot read {}: {e}", path.display()));
    let mut file = File::open(path).map_err(io)?;
    let mut again = File::open(path).map_err(io)?;
    let mut reread = |start: u64, len: u64| -> Result<u64, String> {
        count_chars(&mut again, start, len).map_err(|e| format!("cannot read the file again: {e}"))
    };
    let mut buf = vec![0u8; PIECE];
    let mut filled = read_full(&mut file, &mut buf).map_err(io)?;
    let mut start = 0;
    if buf[..filled].starts_with(BOM) {
        start = BOM.len();
    }
    let delimiter = rules
        .delimiter
        .unwrap_or_else(|| detect_delimiter(&buf[start..filled]));
    let mut scan = Scanner::new(delimiter, rules, start as u64);
    let mut carry: Vec<u8> = Vec::new();
    let fail = |p: Problem| Refused::Bad(p);
    loop {
        let piece = &buf[start..filled];
        let eof = filled < buf.len();
        // UTF-8 of this piece, with the incomplete character the last one ended with.
        let mut joined;
        let text: &[u8] = if carry.is_empty() {
            piece
        } else {
            joined = std::mem::take(&mut carry);
            joined.extend_from_slice(piece);
            &joined[..]
        };
        let carried = text.len() - piece.len();
        let (good, bad) = match std::str::from_utf8(text) {
            Ok(_) => (piece.len(), None),
            Err(e) if e.error_len().is_none() && !eof => {
                carry = text[e.valid_up_to()..].to_vec();
                (piece.len(), None)
            }
            Err(e) => {
                let at = e.valid_up_to().saturating_sub(carried);
                let what = match e.error_len() {
                    Some(_) => format!(
                        "expected UTF-8 text, found the byte 0x{:02x}",
                        text[e.valid_up_to()]
                    ),
                    None => {
                        "expected UTF-8 text, found a truncated character at the end of the file"
                            .into()
                    }
                };
                (at, Some(what))
            }
        };
        scan.scan(&piece[..good], &mut reread).map_err(fail)?;
        if let Some(what) = bad {
            return Err(fail(scan.problem_here(what)));
        }
        if eof {
            break;
        }
        start = 0;
        filled = read_full(&mut file, &mut buf).map_err(io)?;
    }
    scan.finish(&mut reread).map_err(fail)
}

/// Fills `buf` as far as the file allows; fewer bytes only at its end.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Characters in `len` bytes of the file from `start` (only for values long enough that
/// their byte count does not settle a limit).
fn count_chars(file: &mut File, start: u64, len: u64) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let mut left = len;
    let mut chars = 0u64;
    let mut buf = vec![0u8; PIECE];
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        file.read_exact(&mut buf[..want])?;
        chars += buf[..want].iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        left -= want as u64;
    }
    Ok(chars)
}

/// The delimiter of a header line: the candidate found most often outside quotes.
pub fn detect_delimiter(data: &[u8]) -> u8 {
    let mut counts = [0usize; 6];
    let mut quoted = false;
    for &b in data {
        match b {
            b'"' => quoted = !quoted,
            b'\r' | b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}
