//! `limits` and `limits_real`: inputs generated around every large-input guard, which
//! libFuzzer's small inputs never reach.
//!
//! `limits_real` (the input `[guard, offset, rest…]`) generates them at the real limits:
//! the guard picks the limit, the offset (-128..127) how far from it the generated input
//! lands, the rest fills it. Each execution builds and reads 64 KiB - 32 MiB (about 16 a
//! second), so it is run for minutes, and `cargo test` runs it at -1, 0 and +1 of every
//! limit (`tests/limits.rs`).
//!
//! `limits` (the input `[guard, offset, scale, rest…]`) runs the same generators and checks
//! against the same guard code at small limits picked by `scale`, passed as parameters to
//! the production functions (`wire::parse_*_at_most`, `Gunzip::with_max_header_field`,
//! `gunzip_at_most`, `SplitLimits`; production passes the constants): thousands of
//! executions a second, so a 10 M-execution campaign crosses every guard, on both sides,
//! many times.
//!
//! | guard | what is generated (real limit; `limits`' limits) | checked |
//! |---|---|---|
//! | 0 | a jobInfo / batchInfo / batchInfoList / error document (XML or JSON) of limit + offset bytes (8 MiB; 256-4,336 B) | refused with the size error exactly when over the limit |
//! | 1 | a batch-result body (CSV / XML / JSON) of limit + offset bytes (32 MiB; 256-4,336 B) | the same |
//! | 2 | a gzip header whose name/comment is limit + offset bytes (65,535; 256-4,336 B), fed in pieces | decoded (the payload, as flate2 does) exactly up to the limit, streaming and whole |
//! | 3 | gzip of limit + offset decoded bytes, two members (16 MiB; 1,024-131,074 B) | `gunzip_at_most(limit)` refuses exactly when over, else gives the bytes; the streaming decoder passes the limit exactly when over (`limits`: and agrees with flate2, [`check_gunzip`]) |
//! | 4 | CSV of limit + offset records (10,000; 128-383) | split with that record limit: batches of at most the limit, consecutive, holding every record; joined back: one row each |
//! | 5 | CSV of limit + offset bytes in records of 0.01-0.27 % of the limit (at least 16 bytes), or one record that large (guard bit 7) (10,000,000 bytes; 256-16,576 bytes, or with guard bit 6 characters: the character limit binding, the byte limit twice as large) | one batch when it fits, else two, holding the input (or the record refused, naming it) |

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use sfbulk::gzip::{self, Gunzip};
use sfbulk::join::ResultJoiner;
use sfbulk::model::RecordResult;
use sfbulk::protocol::limits::{MAX_BATCH_BYTES, MAX_BATCH_RECORDS};
use sfbulk::split::SplitLimits;
use sfbulk::wire::{self, DocFormat, MAX_DOC_BYTES, MAX_RESULTS_BYTES};

use crate::{
    GUNZIP_LIMIT, GUNZIP_OUT, MAX_GZIP_FIELD, Streamed, check_gunzip, chunks, gunzip_streaming,
    long_header_gzip, run_split,
};

/// The guards at the real limits: `[guard, offset, rest…]`.
pub fn limits_real(data: &[u8]) {
    let Some((&[guard, offset], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let at = |limit: usize| (limit as i64 + i64::from(offset as i8)) as usize;
    match guard % 6 {
        0 => control_document(rest, MAX_DOC_BYTES, at(MAX_DOC_BYTES)),
        1 => batch_results(rest, MAX_RESULTS_BYTES, at(MAX_RESULTS_BYTES)),
        2 => long_gzip_header(guard, offset, rest, MAX_GZIP_FIELD),
        3 => gzip_bomb(rest, GUNZIP_LIMIT, at(GUNZIP_LIMIT)),
        4 => many_records(rest, SplitLimits::default(), at(MAX_BATCH_RECORDS)),
        // Both real limits are 10,000,000: the byte limit binds (an input has no more
        // characters than bytes).
        _ => big_batch(guard, rest, SplitLimits::default(), at(MAX_BATCH_BYTES)),
    }
}

/// The same guards at small limits: `[guard, offset, scale, rest…]`, the limit picked by
/// `scale` (see the module doc).
pub fn limits(data: &[u8]) {
    let Some((&[guard, offset, scale], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let s = usize::from(scale);
    let at = |limit: usize| (limit as i64 + i64::from(offset as i8)) as usize;
    match guard % 6 {
        0 => control_document(rest, 256 + 16 * s, at(256 + 16 * s)),
        1 => batch_results(rest, 256 + 16 * s, at(256 + 16 * s)),
        2 => long_gzip_header(guard, offset, rest, 256 + 16 * s),
        // 1,024-131,074 bytes, mostly small (a decode costs its size): within one and across
        // several of `gunzip_at_most`'s 64 KiB pieces.
        3 => gzip_bomb(rest, 1024 + 2 * s * s, at(1024 + 2 * s * s)),
        4 => {
            let limits = SplitLimits {
                max_records: 128 + s,
                ..SplitLimits::default()
            };
            many_records(rest, limits, at(128 + s))
        }
        _ => {
            let limit = 256 + 64 * s;
            let limits = if guard & 0x40 != 0 {
                SplitLimits {
                    max_chars: limit,
                    max_bytes: 2 * limit,
                    ..SplitLimits::default()
                }
            } else {
                SplitLimits {
                    max_bytes: limit,
                    ..SplitLimits::default()
                }
            };
            big_batch(guard, rest, limits, at(limit))
        }
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

/// Refused with the size error exactly when over the limit: the whole error, as the wire
/// writes it for `what` (another error may quote the body, and the body may hold the size
/// error's words: `regressions/limits/size-error-words-in-the-body`).
fn check_cap(result: Result<(), String>, what: &str, limit: usize, len: usize) {
    let size_error = format!("expected a {what} of at most {limit} bytes, found {len} bytes");
    let said = result.as_ref().err() == Some(&size_error);
    assert_eq!(said, len > limit, "{len} bytes against {limit}: {result:?}");
}

fn control_document(rest: &[u8], limit: usize, len: usize) {
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
            wire::parse_job_info_at_most(&body, fmt, limit).map(drop),
            "jobInfo document",
            limit,
            len,
        ),
        1 => check_cap(
            wire::parse_batch_info_at_most(&body, fmt, limit).map(drop),
            "batchInfo document",
            limit,
            len,
        ),
        2 => check_cap(
            wire::parse_batch_list_at_most(&body, fmt, limit).map(drop),
            "batchInfoList document",
            limit,
            len,
        ),
        _ => {
            let parsed = wire::parse_error_at_most(&body, fmt, limit);
            if len > limit {
                assert_eq!(parsed, None);
            }
        }
    }
}

fn batch_results(rest: &[u8], limit: usize, len: usize) {
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
        wire::parse_batch_results_at_most(&body, ct, limit).map(drop),
        "batch result body",
        limit,
        len,
    );
}

/// A header field of `max` + offset bytes (the other, if any, 64 bytes shorter), decoded in
/// pieces and whole (the selector's high bits pick the output buffer). At the real limit,
/// in pieces of up to 64 bytes, flate2's own limit (65,535) is the reference
/// ([`check_gunzip`]); at a smaller one, in 2-17 pieces cut anywhere (`which >> 2`: the
/// decoder scans a header again from its start at each read until it is complete, so pieces
/// of a few bytes would cost the square of its length), flate2 decodes every such member,
/// and ours, streaming and whole, decodes it exactly when its fields are within the limit,
/// else refuses it for the field.
fn long_gzip_header(guard: u8, offset: u8, rest: &[u8], max: usize) {
    let Some((&which, rest)) = rest.split_first() else {
        return;
    };
    let params = [&[which, offset][..], rest].concat();
    let Some((gz, payload, longest)) = long_header_gzip(&params, max) else {
        return;
    };
    let want = (longest <= max).then_some(&payload);
    if max == MAX_GZIP_FIELD {
        let decoded = check_gunzip(&gz, (guard & 0xc0) | 0x3f, GUNZIP_LIMIT);
        assert_eq!(decoded.as_ref(), want);
        return;
    }
    use std::io::Read as _;
    let mut theirs = Vec::new();
    flate2::read::MultiGzDecoder::new(gz.as_slice())
        .read_to_end(&mut theirs)
        .expect("a valid member for flate2");
    assert_eq!(theirs, payload);
    let too_long = "gzip header name or comment is too long";
    let pieces = cut(&gz, 2 + usize::from(which >> 2) % 16, which);
    let out_size = GUNZIP_OUT[usize::from(guard >> 6)];
    match gunzip_streaming(
        Gunzip::with_max_header_field(max),
        &pieces,
        out_size,
        usize::MAX,
    ) {
        Streamed::Done(ours) => assert_eq!(Some(&ours), want, "decoded streaming"),
        Streamed::Refused(e) => assert!(want.is_none() && e.0 == too_long, "{e}"),
        Streamed::Over(_) => unreachable!("no limit"),
    }
    match gunzip_streaming(
        Gunzip::with_max_header_field(max),
        &[&gz],
        64 * 1024,
        usize::MAX,
    ) {
        Streamed::Done(ours) => assert_eq!(Some(&ours), want, "decoded whole"),
        Streamed::Refused(e) => assert!(want.is_none() && e.0 == too_long, "{e}"),
        Streamed::Over(_) => unreachable!("no limit"),
    }
}

/// `data` in `n` pieces (some may be empty) cut at places picked by `seed`.
fn cut(data: &[u8], n: usize, seed: u8) -> Vec<&[u8]> {
    let mut rng = crate::Rng::new(seed);
    let mut at: Vec<usize> = (1..n).map(|_| rng.below(data.len() + 1)).collect();
    at.sort_unstable();
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for end in at.into_iter().chain([data.len()]) {
        pieces.push(&data[start..end]);
        start = end;
    }
    pieces
}

/// The first member of [`gzip_bomb`] for a limit: `limit` less 64 KiB (the real limit) or
/// less 512 bytes (a small one: the second member, made for each input, stays small) of
/// zeros, compressed once per limit.
fn bomb_head(limit: usize) -> Rc<(Vec<u8>, usize)> {
    thread_local! {
        static HEADS: RefCell<HashMap<usize, Rc<(Vec<u8>, usize)>>> = RefCell::default();
    }
    HEADS.with_borrow_mut(|heads| {
        heads
            .entry(limit)
            .or_insert_with(|| {
                use std::io::Write as _;
                let n = limit
                    - if limit == GUNZIP_LIMIT {
                        64 * 1024
                    } else {
                        512
                    };
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                enc.write_all(&vec![0u8; n]).unwrap();
                Rc::new((enc.finish().unwrap(), n))
            })
            .clone()
    })
}

/// Two members decoding to exactly `total` bytes: the cached zeros, then `rest` cycled.
fn gzip_bomb(rest: &[u8], limit: usize, total: usize) {
    use std::io::Write as _;
    let head = bomb_head(limit);
    let (head, zeros) = (&head.0, head.1);
    let tail: Vec<u8> = expand(rest, total - zeros);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&tail).unwrap();
    let input = [head.as_slice(), &enc.finish().unwrap()].concat();
    if limit == GUNZIP_LIMIT {
        assert!(
            input.len() < total / 100,
            "a bomb: {} bytes inflate to {total}",
            input.len()
        );
    }

    // The bounded whole decode.
    match gzip::gunzip_at_most(&input, limit) {
        Ok(out) => {
            assert!(total <= limit, "{total} bytes decoded past the limit");
            assert_eq!(out.len(), total);
            assert!(out[..zeros].iter().all(|&b| b == 0) && out[zeros..] == tail[..]);
        }
        Err(e) => {
            assert!(total > limit, "{total} bytes refused: {e}");
            assert_eq!(e.0, "the decoded body is larger than the limit");
        }
    }
    if limit < GUNZIP_LIMIT {
        // Small: also the streaming decoder in pieces of up to 64 bytes, 4,093-byte reads,
        // against `gunzip_at_most` and flate2.
        let decoded = check_gunzip(&input, 0xbf, limit);
        assert_eq!(decoded.map(|d| d.len()), (total <= limit).then_some(total));
        return;
    }
    // The streaming decoder under the guard (pieces of up to 64 KiB, 64 KiB reads, as the
    // transport does).
    let pieces: Vec<&[u8]> = input.chunks(64 * 1024).collect();
    match gunzip_streaming(Gunzip::new(), &pieces, 64 * 1024, limit) {
        Streamed::Over(_) => assert!(total > limit),
        Streamed::Done(out) => assert!(total <= limit && out.len() == total),
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

/// `n` records split with `limits` (the record limit binding), then joined back.
fn many_records(rest: &[u8], limits: SplitLimits, n: usize) {
    let Some((&width, rest)) = rest.split_first() else {
        return;
    };
    let chars: Vec<char> = String::from_utf8_lossy(rest).chars().collect();
    let mut input = b"Value,Index\n".to_vec();
    for i in 0..n {
        input.extend(line(&chars, i, usize::from(width % 16)));
    }
    let (batches, _, seen) = run_split(&input, limits, 0).expect("a valid csv");
    assert_eq!(seen as usize, n);
    assert_eq!(batches.len(), n.div_ceil(limits.max_records));
    let mut first = 0u64;
    for b in &batches {
        assert!(b.records <= limits.max_records && b.data.len() <= limits.max_bytes);
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
        ]
        .into())
    };
    let mut out = Vec::new();
    for piece in chunks(&input, 63) {
        out.extend(joiner.push(piece, &mut results).unwrap());
    }
    out.extend(joiner.finish(&mut results).unwrap());
    assert_eq!(joiner.counts(), (n as u64, n as u64, 0));
    assert_eq!(wire::count_csv_records(&out), Ok(n));
}

/// Header `V\n`, then ASCII records (a plain value and `\n` each) of 0.01-0.27 % of the
/// batch's limit (at the real limit 1,000-26,500 bytes; at least 16) up to `total` bytes in
/// all; or (guard bit 7) one record of `total - 2` bytes. The input is ASCII, so its
/// characters are its bytes: it fits in a batch when within both limits of `limits`.
fn big_batch(guard: u8, rest: &[u8], limits: SplitLimits, total: usize) {
    let Some((&w, rest)) = rest.split_first() else {
        return;
    };
    let cap = limits.max_bytes.min(limits.max_chars);
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
        (cap * (10 + usize::from(w)) / 100_000).max(16)
    };
    while input.len() + 2 <= total {
        let n = width.min(total - input.len());
        input.extend(filler(n - 1));
        input.push(b'\n');
    }
    let split = run_split(&input, limits, 0);
    if one {
        match split {
            Ok((batches, _, _)) => {
                assert!(input.len() <= cap);
                assert_eq!(batches.len(), 1);
                assert_eq!(batches[0].data, input);
            }
            Err(e) => {
                assert!(input.len() > cap, "{} bytes refused: {e}", input.len());
                assert!(e.starts_with("record 1 does not fit in a batch"), "{e}");
            }
        }
        return;
    }
    let (batches, _, _) = split.expect("records of a few KB");
    let expected = if input.len() <= cap { 1 } else { 2 };
    assert_eq!(batches.len(), expected, "{} bytes", input.len());
    let mut joined = header.to_vec();
    for b in &batches {
        assert!(b.data.len() <= limits.max_bytes && b.records <= limits.max_records);
        joined.extend_from_slice(&b.data[header.len()..]);
    }
    assert_eq!(joined, input);
}
