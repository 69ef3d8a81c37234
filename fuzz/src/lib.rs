//! The bodies of the fuzz targets, one function per target, so that `tests/regressions.rs`
//! can replay saved inputs on stable with `cargo test`.
//!
//! Wire targets: the first byte picks the format (or the `Content-Type`), the rest is the
//! body; they must not panic. `split` and `join` also check invariants against a reference
//! CSV reader. `gunzip` decodes gzip streaming and whole (same result) and checks what it
//! decodes against flate2. `join_v2` and `parse_v2` cover Bulk API 2.0; `limits` generates
//! inputs around every large-input guard.

mod limits;
mod v2;

pub use limits::{limits, limits_real};
pub use v2::{join_v2, parse_v2};

use sfbulk::join::ResultJoiner;
use sfbulk::model::{RecordError, RecordResult};
use sfbulk::split::{Batch, CsvSplitter, SplitLimits};
use sfbulk::wire::{self, DocFormat};

use sfbulk::gzip::{self, Gunzip, GzipError};

use std::cell::RefCell;
use std::io::{Read as _, Write as _};
use std::mem;

use csv_core::ReadFieldResult;

pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

fn doc_format(selector: u8) -> DocFormat {
    if selector & 1 == 0 {
        DocFormat::Xml
    } else {
        DocFormat::Json
    }
}

fn with_format(data: &[u8], parse: impl FnOnce(&[u8], DocFormat)) {
    if let Some((&selector, body)) = data.split_first() {
        parse(body, doc_format(selector));
    }
}

pub fn parse_job_info(data: &[u8]) {
    with_format(data, |body, fmt| {
        let _ = wire::parse_job_info(body, fmt);
    });
}

pub fn parse_batch_info(data: &[u8]) {
    with_format(data, |body, fmt| {
        let _ = wire::parse_batch_info(body, fmt);
    });
}

pub fn parse_batch_list(data: &[u8]) {
    with_format(data, |body, fmt| {
        let _ = wire::parse_batch_list(body, fmt);
    });
}

pub fn parse_error(data: &[u8]) {
    with_format(data, |body, fmt| {
        let _ = wire::parse_error(body, fmt);
        let _ = wire::detect_format(None, body);
    });
}

/// Content types for `parse_batch_results`, picked by the first byte.
const RESULT_TYPES: [Option<&str>; 8] = [
    None,
    Some("text/csv"),
    Some("application/xml"),
    Some("application/json"),
    Some("text/csv; charset=UTF-8"),
    Some("text/xml;charset=utf-8"),
    Some("Application/JSON"),
    Some("text/plain"),
];

pub fn parse_batch_results(data: &[u8]) {
    if let Some((&selector, body)) = data.split_first() {
        let content_type = RESULT_TYPES[usize::from(selector) % RESULT_TYPES.len()];
        let _ = wire::parse_batch_results(body, content_type);
    }
}

/// The wire's record counter against the reference reader: `Ok(n)` exactly when the input
/// is UTF-8 and every record has the header's number of fields, `n` being the records after
/// the header (one leading BOM dropped, blank lines skipped).
pub fn count_csv_records(data: &[u8]) {
    let counted = wire::count_csv_records(data);
    let body = data.strip_prefix(BOM).unwrap_or(data);
    let records = parse_csv(body);
    let even = records.iter().all(|r| r.len() == records[0].len());
    match (std::str::from_utf8(body).is_ok() && even, counted) {
        (true, Ok(n)) => assert_eq!(n, records.len().saturating_sub(1)),
        (false, Err(e)) => assert!(!e.is_empty()),
        (ok, got) => panic!("utf-8 with even records: {ok}; counted {got:?}; records {records:?}"),
    }
}

pub fn check_attachment_zip(data: &[u8]) {
    let _ = wire::check_attachment_zip(data);
}

/// A small deterministic generator for chunk sizes and results.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u8) -> Self {
        Rng(0x9E37_79B9_7F4A_7C15 ^ (u64::from(seed) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9))
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Cuts `data` into chunks: one chunk for seed 0, else random sizes up to `1 + seed % 64`.
pub(crate) fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    if seed == 0 {
        return vec![data];
    }
    let mut rng = Rng::new(seed);
    let max = 1 + usize::from(seed) % 64;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at((1 + rng.below(max)).min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// Small limits so that inputs of a few hundred bytes make several batches.
fn small_limits(params: &[u8; 3]) -> SplitLimits {
    SplitLimits {
        max_records: 1 + usize::from(params[0]) % 16,
        max_bytes: 4 + usize::from(params[1]) * 4,
        max_chars: 4 + usize::from(params[2]) * 4,
    }
}

thread_local! {
    /// The reference reader: csv-core in its NFA mode (the splitter runs the DFA), built
    /// once because building one costs more than a small input.
    static REFERENCE: RefCell<csv_core::Reader> =
        RefCell::new(csv_core::ReaderBuilder::new().nfa(true).build());
}

/// Records of fields. One leading BOM of `data` is kept as data: the reference reader drops
/// the BOM added here instead.
pub(crate) fn parse_csv(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
    REFERENCE.with_borrow_mut(|reader| {
        reader.reset();
        let input = [BOM, data].concat();
        let mut rest = input.as_slice();
        let (mut out, mut field, mut fields, mut records) = ([0u8; 256], vec![], vec![], vec![]);
        loop {
            let (res, nin, nout) = reader.read_field(rest, &mut out);
            rest = &rest[nin..];
            field.extend_from_slice(&out[..nout]);
            match res {
                ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
                ReadFieldResult::Field { record_end } => {
                    fields.push(mem::take(&mut field));
                    if record_end {
                        records.push(mem::take(&mut fields));
                    }
                }
                ReadFieldResult::End => return records,
            }
        }
    })
}

type Split = (Vec<Batch>, Option<Vec<u8>>, u64);

pub(crate) fn run_split(input: &[u8], limits: SplitLimits, seed: u8) -> Result<Split, String> {
    run_split_blocks(input, limits, seed, 0)
}

/// [`run_split`] with batches gathered in blocks of `block` bytes (0: none); each block must
/// hold whole records, and the batches come back with their blocks joined to their data.
fn run_split_blocks(
    input: &[u8],
    limits: SplitLimits,
    seed: u8,
    block: usize,
) -> Result<Split, String> {
    let mut splitter = CsvSplitter::new(limits);
    if block > 0 {
        splitter = splitter.with_blocks(block);
    }
    let mut batches = Vec::new();
    for chunk in chunks(input, seed) {
        batches.extend(splitter.push(chunk)?);
    }
    batches.extend(splitter.finish()?);
    for b in &mut batches {
        for piece in &b.blocks {
            assert!(piece.ends_with(b"\n") || piece.ends_with(b"\r"), "a block cut a record");
        }
        let mut data: Vec<u8> = b.blocks.iter().flat_map(|p| p.iter().copied()).collect();
        data.extend_from_slice(&b.data);
        b.data = data;
        b.blocks.clear();
    }
    Ok((
        batches,
        splitter.header().map(<[u8]>::to_vec),
        splitter.records_seen(),
    ))
}

/// Split twice (whole, chunked): same result; when Ok, the batches hold exactly the input's
/// records within the limits.
pub fn split(data: &[u8]) {
    let Some((params, input)) = data.split_first_chunk::<4>() else {
        return;
    };
    let limits = small_limits(&[params[0], params[1], params[2]]);
    let whole = run_split(input, limits, 0);
    let chunked = run_split(input, limits, params[3]);
    assert_eq!(whole, chunked, "chunking changed the result");
    // In blocks (as a 2.0 upload is gathered): the same bytes.
    let block = 1 + usize::from(params[3] >> 2);
    let blocks = run_split_blocks(input, limits, params[3], block);
    assert_eq!(whole, blocks, "blocks of {block} bytes changed the result");
    let Ok((batches, header, seen)) = whole else {
        return;
    };
    let mut expected = parse_csv(input.strip_prefix(BOM).unwrap_or(input)).into_iter();
    let header_fields = expected.next();
    let expected: Vec<_> = expected.collect();
    assert_eq!(seen, expected.len() as u64);
    let mut records = Vec::new();
    for batch in &batches {
        assert!(batch.records >= 1 && batch.records <= limits.max_records);
        assert!(batch.data.len() <= limits.max_bytes);
        let text = std::str::from_utf8(&batch.data).expect("batches are utf-8");
        assert!(text.chars().count() <= limits.max_chars);
        assert!(text.ends_with(['\n', '\r']));
        assert_eq!(batch.first_record, records.len() as u64);
        let header = header.as_deref().expect("a header before any batch");
        assert!(batch.data.starts_with(header));
        assert!(matches!(batch.data[header.len()], b'\r' | b'\n'));
        let mut rows = parse_csv(&batch.data).into_iter();
        assert_eq!(rows.next(), header_fields);
        let before = records.len();
        records.extend(rows);
        assert_eq!(records.len() - before, batch.records);
    }
    assert_eq!(records, expected);
    // What the wire's counter makes of the input and of a batch (as posted).
    assert_eq!(wire::count_csv_records(input), Ok(seen as usize));
    if let Some(batch) = batches.first() {
        assert_eq!(wire::count_csv_records(&batch.data), Ok(batch.records));
    }
}

const ERRORS: [(&str, &str); 4] = [
    (
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [LastName]",
    ),
    ("", "odd, \"quoted\"\r\nline"),
    ("DUPLICATE_VALUE", "valeur en double : é"),
    ("X", ""),
];

fn results_for(rng: &mut Rng, n: usize) -> Result<Vec<RecordResult>, String> {
    match rng.below(16) {
        0 => return Err("InvalidBatch : Failed to process query, \"bad\"".into()),
        1 => return Err(String::new()),
        2 => {
            return Ok(vec![
                RecordResult::default();
                n + 1 - 2 * usize::from(n > 0)
            ]);
        }
        _ => {}
    }
    Ok((0..n)
        .map(|i| {
            let success = rng.below(3) > 0;
            let errors = if success {
                vec![]
            } else {
                (0..rng.below(3))
                    .map(|_| {
                        let (code, message) = ERRORS[rng.below(ERRORS.len())];
                        RecordError {
                            status_code: code.into(),
                            message: message.into(),
                            fields: vec![],
                        }
                    })
                    .collect()
            };
            RecordResult {
                id: (success || rng.below(4) == 0).then(|| format!("001x{i},\"{}", rng.below(9))),
                success,
                created: rng.below(2) == 0,
                errors,
            }
        })
        .collect())
}

fn error_text(r: &RecordResult) -> String {
    r.errors
        .iter()
        .map(|e| match e.status_code.as_str() {
            "" => e.message.clone(),
            code => format!("{code}:{}", e.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

type Joined = (Vec<u8>, (u64, u64, u64), Vec<usize>);

fn run_join(
    input: &[u8],
    sizes: &[usize],
    plans: &[Result<Vec<RecordResult>, String>],
    seed: u8,
) -> Result<Joined, String> {
    let mut joiner = ResultJoiner::new(sizes.to_vec());
    let mut calls = Vec::new();
    let mut results = |i: usize| {
        calls.push(i);
        plans[i].clone().map(Into::into)
    };
    let mut out = Vec::new();
    for chunk in chunks(input, seed) {
        out.extend(joiner.push(chunk, &mut results)?);
    }
    out.extend(joiner.finish(&mut results)?);
    Ok((out, joiner.counts(), calls))
}

/// Split, make up results per batch (some failed records, failed batches, wrong lengths),
/// join twice (whole, chunked): same result; when Ok, one row per input record with its
/// fields and its result.
pub fn join(data: &[u8]) {
    let Some((params, input)) = data.split_first_chunk::<5>() else {
        return;
    };
    let limits = small_limits(&[params[0], params[1], params[2]]);
    let Ok((batches, _, _)) = run_split(input, limits, 0) else {
        return;
    };
    let sizes: Vec<usize> = batches.iter().map(|b| b.records).collect();
    let mut rng = Rng::new(params[4]);
    let plans: Vec<_> = sizes.iter().map(|&n| results_for(&mut rng, n)).collect();
    let whole = run_join(input, &sizes, &plans, 0);
    let chunked = run_join(input, &sizes, &plans, params[3]);
    assert_eq!(whole, chunked, "chunking changed the result");
    let first_wrong = plans
        .iter()
        .zip(&sizes)
        .position(|(p, &n)| p.as_ref().is_ok_and(|rows| rows.len() != n));
    if let Some(batch) = first_wrong {
        let err = whole.expect_err("a wrong result count is an error");
        assert!(
            err.starts_with(&format!("batch {batch}: expected")),
            "{err}"
        );
        return;
    }
    let (out, counts, calls) = whole.expect("joining what was split");
    assert_eq!(calls, (0..sizes.len()).collect::<Vec<_>>());
    let mut input_rows = parse_csv(input.strip_prefix(BOM).unwrap_or(input)).into_iter();
    let mut output_rows = parse_csv(&out).into_iter();
    if let Some(mut header) = input_rows.next() {
        for column in ["sf__Id", "sf__Success", "sf__Created", "sf__Error"] {
            header.push(column.into());
        }
        assert_eq!(output_rows.next(), Some(header));
    }
    let expected_rows = plans.iter().zip(&sizes).flat_map(|(plan, &n)| {
        (0..n).map(move |i| match plan {
            Ok(rows) => {
                let r = &rows[i];
                let id = r.id.clone().unwrap_or_default();
                (id, r.success, r.created, error_text(r))
            }
            Err(text) => (String::new(), false, false, text.clone()),
        })
    });
    let (mut records, mut succeeded) = (0u64, 0u64);
    for (input_row, (id, success, created, error)) in input_rows.zip(expected_rows) {
        let mut row = input_row;
        row.push(id.into_bytes());
        row.push(success.to_string().into_bytes());
        row.push(created.to_string().into_bytes());
        row.push(error.into_bytes());
        assert_eq!(output_rows.next(), Some(row));
        records += 1;
        succeeded += u64::from(success);
    }
    assert_eq!(output_rows.next(), None);
    assert_eq!(counts, (records, succeeded, records - succeeded));
    assert_eq!(records, sizes.iter().sum::<usize>() as u64);
}

/// The bomb guard of `limits` (guard 3): `gunzip_at_most` at 16 MiB, and the streaming
/// decoder stopped past it, on inputs generated to inflate to 16 MiB + offset bytes.
pub(crate) const GUNZIP_LIMIT: usize = 16 << 20;

/// Output buffer sizes for the streaming decoder, picked by the selector's two high bits:
/// 1 byte, odd small, across the 32 KB window, more than `gunzip_at_most()`'s 64 KiB pieces.
pub(crate) const GUNZIP_OUT: [usize; 4] = [1, 7, 4093, 100_000];

/// The bomb guard of the `gunzip` target, per output buffer size: the streaming decoder stops
/// past it and `gunzip_at_most` must refuse. Past the 32 KB window for every size, and no
/// more (a bomb costs three decodes up to the guard, and with 1-byte reads a call per byte):
/// 65,536 is exactly one of `gunzip_at_most`'s 64 KiB pieces, 100,000 exactly one 100,000-byte
/// read and not a whole number of pieces. Deflate inflates up to ~1032x, so inputs of about
/// 100 bytes (-max_len 4096) reach every one.
pub(crate) const GUNZIP_LIMITS: [usize; 4] = [33_000, 40_000, 65_536, 100_000];

/// What the streaming decoder made of an input.
#[derive(Debug)]
pub(crate) enum Streamed {
    /// Every member decoded (at most the limit in all).
    Done(Vec<u8>),
    /// Refused (what decoded before the error is dropped).
    Refused(GzipError),
    /// Stopped as soon as more than the limit had decoded: those bytes.
    Over(Vec<u8>),
}

/// Feeds `chunks` to `g` one by one, reading until 0 after each, then finishes; stops once
/// more than `limit` bytes have decoded.
pub(crate) fn gunzip_streaming(
    mut g: Gunzip,
    chunks: &[&[u8]],
    out_size: usize,
    limit: usize,
) -> Streamed {
    let mut out = Vec::new();
    let mut buf = vec![0u8; out_size];
    for chunk in chunks {
        g.feed(chunk);
        loop {
            let n = match g.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Streamed::Refused(e),
            };
            out.extend_from_slice(&buf[..n]);
            if out.len() > limit {
                return Streamed::Over(out);
            }
        }
    }
    if let Err(e) = g.finish() {
        return Streamed::Refused(e);
    }
    // Bytes after the last member that do not start another one are an error.
    g.feed(b"junk");
    assert!(
        g.read(&mut buf).is_err(),
        "junk after the last member accepted"
    );
    Streamed::Done(out)
}

/// The first byte picks the feed pieces (low 6 bits: 0 = all at once, else random sizes up to
/// 1 + n) and the output buffer size and bomb guard (high 2 bits, [`GUNZIP_OUT`] and
/// [`GUNZIP_LIMITS`]); the rest is the gzip input. See [`check_gunzip`]; headers with names
/// and comments around the 65,535-byte limit, and bombs at 16 MiB, are generated by `limits`.
pub fn gunzip(data: &[u8]) {
    if let Some((&selector, input)) = data.split_first() {
        check_gunzip(input, selector, GUNZIP_LIMITS[usize::from(selector >> 6)]);
    }
}

/// The longest file name or comment a gzip header may hold (flate2's limit, and ours).
pub(crate) const MAX_GZIP_FIELD: usize = 65_535;

/// A gzip member whose header has a long name, comment or both, from `params`: byte 0 picks
/// the fields (FNAME, FCOMMENT, both, both + FEXTRA + FHCRC), byte 1 the length as an offset
/// of -128..127 from `max` (65,535 for the real limit, at least 192; the second field 64
/// bytes shorter), the rest the field bytes (cycled, NUL made `n`) and the payload
/// (compressed for real). Returns the member, the payload and the longest field.
pub(crate) fn long_header_gzip(params: &[u8], max: usize) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    let (&[which, offset], rest) = params.split_first_chunk::<2>()?;
    let len = (max as i64 + i64::from(offset as i8)) as usize;
    let (field_src, payload) = rest.split_at(rest.len() / 2);
    let field = |n: usize| -> Vec<u8> {
        let src: &[u8] = if field_src.is_empty() {
            b"name"
        } else {
            field_src
        };
        let mut f: Vec<u8> = src.iter().copied().cycle().take(n).collect();
        for b in &mut f {
            if *b == 0 {
                *b = b'n';
            }
        }
        f.push(0);
        f
    };
    let (flags, fields): (u8, Vec<Vec<u8>>) = match which % 4 {
        0 => (0x08, vec![field(len)]),
        1 => (0x10, vec![field(len)]),
        2 => (0x18, vec![field(len), field(len - 64)]),
        _ => (0x1e, vec![field(len - 64), field(len)]),
    };
    let mut gz = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255];
    if flags & 0x04 != 0 {
        gz.extend_from_slice(&[4, 0, b'a', b'b', 2, 0]);
    }
    for f in &fields {
        gz.extend_from_slice(f);
    }
    if flags & 0x02 != 0 {
        let crc = crc32(&gz);
        gz.extend_from_slice(&(crc as u16).to_le_bytes());
    }
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate.write_all(payload).unwrap();
    gz.extend(deflate.finish().unwrap());
    gz.extend_from_slice(&crc32(payload).to_le_bytes());
    gz.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    Some((gz, payload.to_vec(), len))
}

/// CRC-32 (IEEE), bit by bit: a reference independent of the decoder's tables.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Decodes `input` streaming (pieces and output buffer picked by `selector`) and whole with
/// `gunzip_at_most(limit)`, and with flate2's `MultiGzDecoder` (members one after the other,
/// the header CRC checked, names and comments up to 65,535 bytes, nothing after the last
/// member) read to `limit + 1` bytes:
/// - decoded streaming (at most `limit` bytes): the whole decode gives the same bytes, and
///   so does flate2;
/// - refused streaming: refused whole (also without the limit); flate2 refuses too unless it
///   stopped past the limit;
/// - more than `limit` bytes streaming: refused whole (the limit, or an error its larger
///   pieces met first); those bytes start with flate2's (all `limit + 1` of them unless flate2
///   met an error first: bytes inflated before an error may be dropped, depending on how the
///   input and output are cut).
///
/// Returns what decoded.
pub(crate) fn check_gunzip(input: &[u8], selector: u8, limit: usize) -> Option<Vec<u8>> {
    let pieces = chunks(input, selector & 0x3f);
    let out_size = GUNZIP_OUT[usize::from(selector >> 6)];
    let streamed = gunzip_streaming(Gunzip::new(), &pieces, out_size, limit);
    let whole = gzip::gunzip_at_most(input, limit);
    let mut theirs = Vec::new();
    let flate = flate2::read::MultiGzDecoder::new(input)
        .take(limit as u64 + 1)
        .read_to_end(&mut theirs);
    match streamed {
        Streamed::Done(ours) => {
            match &whole {
                Ok(b) => assert!(&ours == b, "streaming and whole decodes differ"),
                Err(e) => panic!(
                    "decoded streaming ({} bytes), refused whole: {e}",
                    ours.len()
                ),
            }
            if let Err(e) = flate {
                panic!("we decoded {} bytes, flate2 refused: {e}", ours.len());
            }
            assert!(ours == theirs, "flate2 decodes other bytes");
            Some(ours)
        }
        Streamed::Refused(e) => {
            if let Ok(b) = &whole {
                panic!("refused streaming ({e}), decoded whole ({} bytes)", b.len());
            }
            // Whole, it stopped at the limit: without one, it must be refused too (as with no
            // limit at all, streaming and whole agree).
            if whole
                .as_ref()
                .is_err_and(|w| w.0 == "the decoded body is larger than the limit")
                && let Ok(b) = gzip::gunzip(input)
            {
                panic!("refused streaming ({e}), decoded whole ({} bytes)", b.len());
            }
            // flate2 reads a member's header and data lazily: it may take what we refuse only
            // when its reader stops early (here: past the limit).
            assert!(
                flate.is_err() || theirs.len() > limit,
                "flate2 decoded what we refused ({e})"
            );
            None
        }
        Streamed::Over(ours) => {
            if let Ok(b) = &whole {
                panic!(
                    "{} bytes decoded streaming (limit {limit}), {} whole",
                    ours.len(),
                    b.len()
                );
            }
            // A stream corrupt further on: how much of what precedes the error comes out
            // depends on how input and output are cut (a decoder may have inflated bytes into
            // its window that it drops at the error), so flate2, given everything at once, may
            // refuse before the limit what our pieces decoded past it. What both gave agrees.
            if flate.is_ok() {
                assert_eq!(theirs.len(), limit + 1);
            }
            assert!(
                ours.starts_with(&theirs),
                "flate2 decodes other bytes before the limit ({flate:?})"
            );
            None
        }
    }
}
