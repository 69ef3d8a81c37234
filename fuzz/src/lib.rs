//! The bodies of the fuzz targets, one function per target, so that `tests/regressions.rs`
//! can replay saved inputs on stable with `cargo test`.
//!
//! Wire targets: the first byte picks the format (or the `Content-Type`), the rest is the
//! body; they must not panic. `split` and `join` also check invariants against a reference
//! CSV reader. `gunzip` decodes gzip streaming and whole (same result) and checks what it
//! decodes against flate2.

use sfbulk::join::ResultJoiner;
use sfbulk::model::{RecordError, RecordResult};
use sfbulk::split::{Batch, CsvSplitter, SplitLimits};
use sfbulk::wire::{self, DocFormat};

use sfbulk::gzip::{self, Gunzip, GzipError};

use std::cell::RefCell;
use std::io::Read as _;
use std::mem;

use csv_core::ReadFieldResult;

const BOM: &[u8] = b"\xEF\xBB\xBF";

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

pub fn count_csv_records(data: &[u8]) {
    let _ = wire::count_csv_records(data);
}

pub fn check_attachment_zip(data: &[u8]) {
    let _ = wire::check_attachment_zip(data);
}

/// A small deterministic generator for chunk sizes and results.
struct Rng(u64);

impl Rng {
    fn new(seed: u8) -> Self {
        Rng(0x9E37_79B9_7F4A_7C15 ^ (u64::from(seed) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9))
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Cuts `data` into chunks: one chunk for seed 0, else random sizes up to `1 + seed % 64`.
fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
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
fn limits(params: &[u8; 3]) -> SplitLimits {
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
fn parse_csv(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
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

fn run_split(input: &[u8], limits: SplitLimits, seed: u8) -> Result<Split, String> {
    let mut splitter = CsvSplitter::new(limits);
    let mut batches = Vec::new();
    for chunk in chunks(input, seed) {
        batches.extend(splitter.push(chunk)?);
    }
    batches.extend(splitter.finish()?);
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
    let limits = limits(&[params[0], params[1], params[2]]);
    let whole = run_split(input, limits, 0);
    let chunked = run_split(input, limits, params[3]);
    assert_eq!(whole, chunked, "chunking changed the result");
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
        plans[i].clone()
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
    let limits = limits(&[params[0], params[1], params[2]]);
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

/// Decoded bytes beyond which `gunzip` skips an input. Deflate inflates up to ~1032x, so
/// inputs up to 16 KB never reach it; longer ones (a bomb) must not exhaust the fuzzer's
/// memory (`-rss_limit_mb=2048`).
const GUNZIP_LIMIT: usize = 16 << 20;

/// Output buffer sizes for the streaming decoder, picked by the selector's two high bits:
/// 1 byte, odd small, across the 32 KB window, more than `gunzip()`'s 64 KB.
const GUNZIP_OUT: [usize; 4] = [1, 7, 4093, 100_000];

/// Feeds `chunks` one by one, reading until 0 after each, then finishes. `None` once the
/// output passes [`GUNZIP_LIMIT`].
fn gunzip_streaming(chunks: &[&[u8]], out_size: usize) -> Option<Result<Vec<u8>, GzipError>> {
    let mut g = Gunzip::new();
    let mut out = Vec::new();
    let mut buf = vec![0u8; out_size];
    for chunk in chunks {
        g.feed(chunk);
        loop {
            let n = match g.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Some(Err(e)),
            };
            out.extend_from_slice(&buf[..n]);
            if out.len() > GUNZIP_LIMIT {
                return None;
            }
        }
    }
    if let Err(e) = g.finish() {
        return Some(Err(e));
    }
    // Bytes after the last member that do not start another one are an error.
    g.feed(b"junk");
    assert!(g.read(&mut buf).is_err(), "junk after the last member accepted");
    Some(Ok(out))
}

/// The first byte picks the feed pieces (low 6 bits: 0 = all at once, else random sizes up to
/// 1 + n) and the output buffer size (high 2 bits); the rest is the gzip input. Decoding it
/// streaming and whole gives the same result (both Ok with the same bytes, or both Err);
/// what decodes is what flate2's `MultiGzDecoder` decodes (members one after the other, the
/// header CRC checked, names and comments up to 65,535 bytes, nothing after the last member).
pub fn gunzip(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let pieces = chunks(input, selector & 0x3f);
    let out_size = GUNZIP_OUT[usize::from(selector >> 6)];
    // Streaming first, as it stops at the limit; the whole decode then has as much to do
    // unless the two disagree.
    let Some(streamed) = gunzip_streaming(&pieces, out_size) else {
        return;
    };
    let whole = gzip::gunzip(input);
    match (&streamed, &whole) {
        (Ok(a), Ok(b)) => assert!(a == b, "streaming and whole decodes differ"),
        (Err(_), Err(_)) => {}
        _ => panic!("streaming: {streamed:?}\nwhole: {whole:?}"),
    }
    let Ok(ours) = whole else {
        return;
    };
    let mut theirs = Vec::new();
    let flate = flate2::read::MultiGzDecoder::new(input)
        .take(GUNZIP_LIMIT as u64 + 1)
        .read_to_end(&mut theirs);
    if let Err(e) = flate {
        panic!("we decoded {} bytes, flate2 refused: {e}", ours.len());
    }
    assert!(ours == theirs, "flate2 decodes other bytes");
}
