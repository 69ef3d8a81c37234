//! `limits`: inputs generated around every large-input guard, which libFuzzer's small
//! inputs never reach. The input is `[guard, offset, rest…]`: the guard picks the limit,
//! the offset (-128..127) how far from it the generated input lands, the rest fills it.
//!
//! | guard | what is generated | checked |
//! |---|---|---|
//! | 0 | a jobInfo / batchInfo / batchInfoList / error document (XML or JSON) of 8 MiB + offset bytes | refused with the size error exactly when over [`MAX_DOC_BYTES`] |
//! | 1 | a batch-result body (CSV / XML / JSON) of 32 MiB + offset bytes | the same at [`MAX_RESULTS_BYTES`] |
//! | 2 | a gzip header whose name/comment is 65,535 + offset bytes, fed in pieces | decoded (the payload, as flate2 does) exactly up to 65,535 |
//! | 3 | gzip of 16 MiB + offset decoded bytes (two members) | the streaming decoder reaches the fuzzer's 16 MiB bomb guard exactly when over; `gunzip_at_most(16 MiB)` refuses exactly when over, else gives the bytes |
//! | 4 | CSV of 10,000 + offset records | split with Salesforce's limits: batches of at most 10,000 records, consecutive, holding every record; joined back: one row each |
//! | 5 | CSV of 10,000,000 + offset bytes (one batch's worth) in records of 1,000-26,500 bytes, or one record that large | one batch when it fits, else two, holding the input (or the record refused, naming it) |

use std::sync::OnceLock;

use sfbulk::gzip;
use sfbulk::join::ResultJoiner;
use sfbulk::model::RecordResult;
use sfbulk::protocol::limits::{MAX_BATCH_BYTES, MAX_BATCH_RECORDS};
use sfbulk::split::SplitLimits;
use sfbulk::wire::{self, DocFormat, MAX_DOC_BYTES, MAX_RESULTS_BYTES};

use crate::{
    GUNZIP_LIMIT, MAX_GZIP_FIELD, Streamed, check_gunzip, chunks, gunzip_streaming,
    long_header_gzip, run_split,
};

pub fn limits(data: &[u8]) {
    let Some((&[guard, offset], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let offset = i64::from(offset as i8);
    let at = |limit: usize| (limit as i64 + offset) as usize;
    match guard % 6 {
        0 => control_document(rest, at(MAX_DOC_BYTES)),
        1 => batch_results(rest, at(MAX_RESULTS_BYTES)),
        2 => long_gzip_header(guard, data[1], rest),
        3 => gzip_bomb(rest, at(GUNZIP_LIMIT)),
        4 => many_records(rest, at(MAX_BATCH_RECORDS)),
        _ => big_batch(guard, rest, at(MAX_BATCH_BYTES)),
    }
}

/// Exactly `len` bytes: `rest`'s first two bytes say where its middle starts and ends (as
/// fractions of the rest); the prefix, the middle repeated (a space when empty), the suffix.
pub(crate) fn expand(rest: &[u8], len: usize) -> Vec<u8> {
    let (a, b, body) = match rest {
        [a, b, body @ ..] => (*a, *b, body),
        _ => (0, 255, rest),
    };
    let cut = |x: u8| body.len() * usize::from(x) / 255;
    let (i, j) = (cut(a.min(b)), cut(a.max(b)));
    let (prefix, middle, suffix) = (&body[..i], &body[i..j], &body[j..]);
    let middle: &[u8] = if middle.is_empty() { b" " } else { middle };
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&prefix[..prefix.len().min(len)]);
    let start = out.len();
    let end = len.saturating_sub(suffix.len()).max(start);
    if end > start {
        out.extend_from_slice(&middle[..(end - start).min(middle.len())]);
        // Doubling copies keep the period: the copied part is always whole middles.
        while out.len() < end {
            let n = (out.len() - start).min(end - out.len());
            out.extend_from_within(start..start + n);
        }
    }
    let room = len - out.len();
    out.extend_from_slice(&suffix[..suffix.len().min(room)]);
    assert_eq!(out.len(), len);
    out
}

/// The size error's words, as the wire writes them.
fn size_error(limit: usize, len: usize) -> String {
    format!("of at most {limit} bytes, found {len} bytes")
}

/// Refused with the size error exactly when over the limit.
fn check_cap(result: Result<(), String>, limit: usize, len: usize) {
    let said = result
        .as_ref()
        .err()
        .is_some_and(|e| e.contains(&size_error(limit, len)));
    assert_eq!(said, len > limit, "{len} bytes against {limit}: {result:?}");
}

fn control_document(rest: &[u8], len: usize) {
    let Some((&pick, rest)) = rest.split_first() else {
        return;
    };
    let body = expand(rest, len);
    let fmt = if pick & 1 == 0 {
        DocFormat::Xml
    } else {
        DocFormat::Json
    };
    match (pick >> 1) % 4 {
        0 => check_cap(
            wire::parse_job_info(&body, fmt).map(drop),
            MAX_DOC_BYTES,
            len,
        ),
        1 => check_cap(
            wire::parse_batch_info(&body, fmt).map(drop),
            MAX_DOC_BYTES,
            len,
        ),
        2 => check_cap(
            wire::parse_batch_list(&body, fmt).map(drop),
            MAX_DOC_BYTES,
            len,
        ),
        _ => {
            if len > MAX_DOC_BYTES {
                assert_eq!(wire::parse_error(&body, fmt), None);
            } else {
                let _ = wire::parse_error(&body, fmt);
            }
        }
    }
}

fn batch_results(rest: &[u8], len: usize) {
    let Some((&pick, rest)) = rest.split_first() else {
        return;
    };
    let ct = [
        Some("text/csv"),
        Some("application/xml"),
        Some("application/json"),
        None,
    ][usize::from(pick % 4)];
    let body = expand(rest, len);
    check_cap(
        wire::parse_batch_results(&body, ct).map(drop),
        MAX_RESULTS_BYTES,
        len,
    );
}

/// A header field of 65,535 + offset bytes, decoded in pieces of up to 64 bytes (the
/// selector's high bits pick the output buffer) and whole.
fn long_gzip_header(guard: u8, offset: u8, rest: &[u8]) {
    let Some((&which, rest)) = rest.split_first() else {
        return;
    };
    let params = [&[which, offset][..], rest].concat();
    let Some((gz, payload, longest)) = long_header_gzip(&params) else {
        return;
    };
    let decoded = check_gunzip(&gz, (guard & 0xc0) | 0x3f, GUNZIP_LIMIT);
    assert_eq!(
        decoded.as_ref(),
        (longest <= MAX_GZIP_FIELD).then_some(&payload)
    );
}

/// The first member of [`gzip_bomb`]: 16 MiB - 64 KiB of zeros, compressed once.
fn bomb_head() -> &'static (Vec<u8>, usize) {
    static HEAD: OnceLock<(Vec<u8>, usize)> = OnceLock::new();
    HEAD.get_or_init(|| {
        use std::io::Write as _;
        let n = GUNZIP_LIMIT - 64 * 1024;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; n]).unwrap();
        (enc.finish().unwrap(), n)
    })
}

/// Two members decoding to exactly `total` bytes: the cached zeros, then `rest` cycled.
fn gzip_bomb(rest: &[u8], total: usize) {
    use std::io::Write as _;
    let (head, zeros) = bomb_head();
    let tail: Vec<u8> = expand(rest, total - zeros);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&tail).unwrap();
    let input = [head.as_slice(), &enc.finish().unwrap()].concat();
    assert!(
        input.len() < total / 100,
        "a bomb: {} bytes inflate to {total}",
        input.len()
    );

    // The bounded whole decode.
    match gzip::gunzip_at_most(&input, GUNZIP_LIMIT) {
        Ok(out) => {
            assert!(
                total <= GUNZIP_LIMIT,
                "{total} bytes decoded past the limit"
            );
            assert_eq!(out.len(), total);
            assert!(out[..*zeros].iter().all(|&b| b == 0) && out[*zeros..] == tail[..]);
        }
        Err(e) => {
            assert!(total > GUNZIP_LIMIT, "{total} bytes refused: {e}");
            assert_eq!(e.0, "the decoded body is larger than the limit");
        }
    }
    // The streaming decoder under the fuzzer's guard (pieces of up to 64 KiB, 64 KiB reads,
    // as the transport does).
    let pieces: Vec<&[u8]> = input.chunks(64 * 1024).collect();
    match gunzip_streaming(&pieces, 64 * 1024, GUNZIP_LIMIT) {
        Streamed::Over(_) => assert!(total > GUNZIP_LIMIT),
        Streamed::Done(out) => assert!(total <= GUNZIP_LIMIT && out.len() == total),
        Streamed::Refused(e) => panic!("a valid bomb refused: {e}"),
    }
}

/// A CSV line for record `i`: a quoted value of `width` characters cycled from `chars`,
/// and the index.
fn line(chars: &[char], i: usize, width: usize) -> Vec<u8> {
    let text: String = if chars.is_empty() {
        String::new()
    } else {
        chars
            .iter()
            .cycle()
            .skip(i % chars.len())
            .take(width)
            .collect()
    };
    let mut out = b"\"".to_vec();
    out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
    out.extend_from_slice(format!("\",{i}\n").as_bytes());
    out
}

fn many_records(rest: &[u8], n: usize) {
    let Some((&width, rest)) = rest.split_first() else {
        return;
    };
    let chars: Vec<char> = String::from_utf8_lossy(rest).chars().collect();
    let mut input = b"Value,Index\n".to_vec();
    for i in 0..n {
        input.extend(line(&chars, i, usize::from(width % 16)));
    }
    let (batches, _, seen) = run_split(&input, SplitLimits::default(), 0).expect("a valid csv");
    assert_eq!(seen as usize, n);
    assert_eq!(batches.len(), n.div_ceil(MAX_BATCH_RECORDS));
    let mut first = 0u64;
    for b in &batches {
        assert!(b.records <= MAX_BATCH_RECORDS && b.data.len() <= MAX_BATCH_BYTES);
        assert_eq!(b.first_record, first);
        assert_eq!(wire::count_csv_records(&b.data), Ok(b.records));
        first += b.records as u64;
    }
    // Joined back with every record saved: one output row per input record.
    let sizes: Vec<usize> = batches.iter().map(|b| b.records).collect();
    let mut joiner = ResultJoiner::new(sizes.clone());
    let mut results = |i: usize| {
        Ok(vec![
            RecordResult {
                id: Some("001000000000001AAA".into()),
                success: true,
                created: true,
                errors: vec![],
            };
            sizes[i]
        ])
    };
    let mut out = Vec::new();
    for piece in chunks(&input, 63) {
        out.extend(joiner.push(piece, &mut results).unwrap());
    }
    out.extend(joiner.finish(&mut results).unwrap());
    assert_eq!(joiner.counts(), (n as u64, n as u64, 0));
    assert_eq!(wire::count_csv_records(&out), Ok(n));
}

/// Header `V\n`, then records of 1,000-26,500 bytes (a plain value and `\n` each) up to
/// `total` bytes in all; or (guard bit 7) one record of `total - 2` bytes.
fn big_batch(guard: u8, rest: &[u8], total: usize) {
    let Some((&w, rest)) = rest.split_first() else {
        return;
    };
    // One plain ASCII value: no delimiter, quote or line end.
    let filler = |len: usize| -> Vec<u8> {
        let mut v = expand(rest, len);
        for b in &mut v {
            if matches!(*b, b',' | b'"' | b'\r' | b'\n') || *b >= 0x80 {
                *b = b'v';
            }
        }
        v
    };
    let header = b"V\n";
    let mut input = header.to_vec();
    let one = guard & 0x80 != 0;
    let width = if one {
        total
    } else {
        1000 + 100 * usize::from(w)
    };
    while input.len() + 2 <= total {
        let n = width.min(total - input.len());
        input.extend(filler(n - 1));
        input.push(b'\n');
    }
    let split = run_split(&input, SplitLimits::default(), 0);
    if one {
        match split {
            Ok((batches, _, _)) => {
                assert!(input.len() <= MAX_BATCH_BYTES);
                assert_eq!(batches.len(), 1);
                assert_eq!(batches[0].data, input);
            }
            Err(e) => {
                assert!(
                    input.len() > MAX_BATCH_BYTES,
                    "{} bytes refused: {e}",
                    input.len()
                );
                assert!(e.starts_with("record 1 does not fit in a batch"), "{e}");
            }
        }
        return;
    }
    let (batches, _, _) = split.expect("records of a few KB");
    let expected = if input.len() <= MAX_BATCH_BYTES { 1 } else { 2 };
    assert_eq!(batches.len(), expected, "{} bytes", input.len());
    let mut joined = header.to_vec();
    for b in &batches {
        assert!(b.data.len() <= MAX_BATCH_BYTES && b.records <= MAX_BATCH_RECORDS);
        joined.extend_from_slice(&b.data[header.len()..]);
    }
    assert_eq!(joined, input);
}
