//! The `limits_real` target at every guard, one below, at and one above its real limit, and
//! `limits` there at its smallest and largest scaled limits: the targets' own assertions say
//! what must happen there (refused with the size error exactly when over, decoded exactly up
//! to the limit, batches within the limits). `cargo test` in `fuzz/` (stable is enough).

use std::fs;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// `[guard, offset]` + `params` + `body`, for offsets -1, 0 and +1, through `limits_real`;
/// and through `limits` with scales 0, 1 and 255 (the smallest limits and the largest),
/// also at the farthest offsets.
fn at_the_limit(guard: u8, params: &[u8], body: &[u8]) {
    for offset in [-1i8, 0, 1] {
        let input = [&[guard, offset as u8], params, body].concat();
        sfbulk_fuzz::limits_real(&input);
    }
    for scale in [0u8, 1, 255] {
        for offset in [-128i8, -1, 0, 1, 127] {
            let input = [&[guard, offset as u8, scale], params, body].concat();
            sfbulk_fuzz::limits(&input);
        }
    }
}

#[test]
fn control_documents_at_8_mib() {
    // batchInfoList XML (its batches repeated) and a jobInfo JSON (spaces in the middle).
    at_the_limit(0, &[4, 0x40, 0xc0], &fixture("batch-info-list-many.xml"));
    at_the_limit(0, &[1, 0x80, 0x80], &fixture("job-info.json"));
    at_the_limit(0, &[7, 0x80, 0x80], &fixture("error-invalid-job.json"));
}

#[test]
fn batch_results_at_32_mib() {
    at_the_limit(1, &[0, 0x40, 0xff], &fixture("ingest-results.csv"));
    at_the_limit(1, &[1, 0x40, 0xc0], &fixture("ingest-results.xml"));
}

#[test]
fn gzip_names_and_comments_at_65535_bytes() {
    for which in 0..4 {
        at_the_limit(2, &[which], b"name bytes|Id,Name\n001,Acme\n");
    }
}

#[test]
fn gzip_bomb_guard_at_16_mib() {
    at_the_limit(3, &[0, 0xff], &fixture("ingest-results.csv"));
}

#[test]
fn batches_at_10000_records_and_10000000_bytes() {
    at_the_limit(4, &[5], "Zürich, \"quoted\"\r\nline".as_bytes());
    at_the_limit(5, &[0, 0, 0xff], &fixture("ingest-results.csv"));
    // One record of the whole batch's size.
    at_the_limit(0x83, &[0, 0, 0xff], &fixture("ingest-results.csv"));
    // `limits` only: the character limit binding (bit 6), records and one record.
    for guard in [0x47, 0xc5] {
        for scale in [0u8, 1, 255] {
            for offset in [-128i8, -1, 0, 1, 127] {
                let input = [&[guard, offset as u8, scale, 0xff, 0, 0xff][..], b"abc"].concat();
                sfbulk_fuzz::limits(&input);
            }
        }
    }
}

/// The `gunzip` target's own bomb guards (33,000 bytes for 1-byte reads, 40,000 for 7-byte
/// reads, 65,536 and 100,000 for the large reads), one below, at and one above each: the
/// target checks the streaming decoder, `gunzip_at_most` and flate2 against each other there.
#[test]
fn gunzip_target_bomb_guards() {
    use std::io::Write as _;
    for (high, limit) in [(0u8, 33_000usize), (1, 40_000), (2, 65_536), (3, 100_000)] {
        for len in [limit - 1, limit, limit + 1] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&vec![b'z'; len]).unwrap();
            let gz = enc.finish().unwrap();
            assert!(gz.len() < 4096, "within the target's -max_len");
            for pieces in [0u8, 5, 63] {
                sfbulk_fuzz::gunzip(&[&[(high << 6) | pieces][..], &gz].concat());
            }
        }
    }
}
