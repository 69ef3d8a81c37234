//! `load` checks the whole input file before its first request (both APIs): a malformed
//! file is refused with exit 2, the file, line and record of its first problem, and
//! nothing sent — no job exists afterwards.

use sfbulk_mock::Route;

use crate::cli_util::*;
use crate::common::*;

/// A file of about 3.5 MB whose record 120,001 (of 150,000) has a field too many; every
/// 10th record spans two lines.
#[test]
fn a_malformed_row_far_into_a_multi_mb_file_is_refused_before_any_job_exists() {
    let mock = mock();
    let dir = TempDir::new("far");
    let mut text = accounts(150_000, &[]);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Record 120,001 is a one-line record (every 10th has two lines).
    let mut out = String::new();
    let mut record = 0;
    let mut i = 1; // skip the header
    out.push_str(lines[0]);
    while i < lines.len() {
        record += 1;
        let two = record % 10 == 0;
        let rec: String = if two {
            format!("{}{}", lines[i], lines[i + 1])
        } else {
            lines[i].to_string()
        };
        i += if two { 2 } else { 1 };
        if record == 120_001 {
            out.push_str(&rec.replace('\n', ",extra\n"));
        } else {
            out.push_str(&rec);
        }
    }
    text = out;
    assert!(text.len() > 3_000_000, "{} bytes", text.len());
    let file = dir.file("accounts.csv");
    std::fs::write(&file, &text).unwrap();
    // Line of record 120,001: the header, 120,000 records before it, 12,000 of them two
    // lines.
    let line = 1 + 120_000 + 12_000 + 1;
    for api in ["1", "2"] {
        let before = mock.request_count();
        let run = sfbulk(
            &mock,
            &[
                "load",
                "--bulk-api",
                api,
                "--operation",
                "insert",
                "--object",
                "Account",
                "--file",
                &file,
            ],
        );
        run.expect(2);
        assert!(run.stdout.is_empty());
        let expected = format!(
            "load: invalid input: {file}: line {line}, record 120001: has 3 fields, the header has 2; nothing was sent\n"
        );
        assert_eq!(run.stderr, expected, "api {api}");
        assert_eq!(mock.request_count(), before, "api {api}: nothing sent");
    }
    assert_eq!(mock.counters().served("POST", Route::Jobs), 0, "no 1.0 job");
    assert_eq!(mock.counters().v2_jobs_created(), 0, "no 2.0 job");
    assert_eq!(dir.names(), vec!["accounts.csv"], "no results file");
}

/// Each kind of problem, named with its line and record; nothing sent for any.
#[test]
fn every_kind_of_malformed_input_is_refused_with_its_line_and_record() {
    let mock = mock();
    let dir = TempDir::new("kinds");
    let long = "x".repeat(131_073);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "unterminated quote",
            b"Name,Description\nA,\"open\nB,b\n".to_vec(),
            "line 2, record 1: field 2: expected a closing quote, found the end of the file",
        ),
        (
            "text after a closing quote",
            b"Name,Description\nA,a\nB,\"b\"x\n".to_vec(),
            "line 3, record 2: field 2: expected a delimiter or a line end after the closing quote, found 'x'",
        ),
        (
            "not UTF-8",
            b"Name,Description\r\nA,a\r\nB,\xff\r\n".to_vec(),
            "line 3, record 2: expected UTF-8 text, found the byte 0xff",
        ),
        (
            "fewer fields",
            b"Name,Description\nA,a\n\nB\n".to_vec(),
            "line 4, record 2: has 1 fields, the header has 2",
        ),
        (
            "a header name that is no API name",
            b"Name,Bad Name\nA,a\n".to_vec(),
            "line 1, the header: field 2: expected a field API name",
        ),
        (
            "a header name twice",
            b"Name,name\nA,a\n".to_vec(),
            "line 1, the header: expected each field once, found \"name\" twice",
        ),
        (
            "an empty header name",
            b"Name,,Phone\nA,a,1\n".to_vec(),
            "line 1, the header: field 2: expected a name, found an empty one",
        ),
        (
            "a field over 131,072 characters",
            format!("Name,Description\nA,a\nB,{long}\n").into_bytes(),
            "line 3, record 2: field 2: expected at most 131072 characters, found more",
        ),
        (
            "an empty file",
            Vec::new(),
            "line 1, the header: expected a header line, found an empty file",
        ),
    ];
    for (what, body, expected) in cases {
        let file = dir.file("in.csv");
        std::fs::write(&file, &body).unwrap();
        let before = mock.request_count();
        let run = sfbulk(
            &mock,
            &[
                "load",
                "--operation",
                "insert",
                "--object",
                "Account",
                "--file",
                &file,
            ],
        );
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        let prefix = format!("load: invalid input: {file}: {expected}");
        assert!(
            run.stderr.starts_with(&prefix),
            "{what}:\n  got      {}\n  expected {prefix}",
            run.stderr
        );
        assert!(
            run.stderr.ends_with("; nothing was sent\n"),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(mock.request_count(), before, "{what}: nothing sent");
    }
}

/// Limits count characters, not bytes: a value of exactly 131,072 two-byte characters is
/// accepted, one more is refused; a 2.0 record that cannot fit in one upload is refused.
#[test]
fn limits_count_characters_and_the_upload_size() {
    let mock = mock();
    let dir = TempDir::new("limits");
    let file = dir.file("in.csv");
    let at_limit = "é".repeat(131_072);
    std::fs::write(&file, format!("Name,Description\nA,\"{at_limit}\"\n")).unwrap();
    let run = sfbulk(
        &mock,
        &[
            "load",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--file",
            &file,
        ],
    );
    run.expect(0);
    assert_eq!(mock.record_count("Account"), 1);

    std::fs::write(&file, format!("Name,Description\nA,\"{at_limit}é\"\n")).unwrap();
    let before = mock.request_count();
    let run = sfbulk(
        &mock,
        &[
            "load",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--file",
            &file,
        ],
    );
    run.expect(2);
    assert!(
        run.stderr
            .contains("line 2, record 1: field 2: expected at most 131072 characters"),
        "{}",
        run.stderr
    );

    // 2.0: with uploads of at most 40 bytes, a 29-byte record does not fit with the
    // 17-byte header.
    let record = format!("{},b\n", "B".repeat(26));
    std::fs::write(&file, format!("Name,Description\nA,a\n{record}")).unwrap();
    let needed = 17 + record.len();
    let run = sfbulk(
        &mock,
        &[
            "load",
            "--bulk-api",
            "2",
            "--max-job-bytes",
            "40",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--file",
            &file,
        ],
    );
    run.expect(2);
    let expected = format!(
        "line 3, record 2: does not fit in one job's upload with the header: expected at most 40 bytes, found {needed}"
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    // Limits of the options themselves.
    for args in [
        &["--batch-size", "10001"][..],
        &["--batch-size", "0"][..],
        &["--bulk-api", "2", "--max-job-bytes", "100000001"][..],
        &["--bulk-api", "2", "--batch-size", "10"][..],
        &["--max-job-bytes", "1000"][..],
    ] {
        let mut all = vec![
            "load",
            "--operation",
            "insert",
            "--object",
            "Account",
            "--file",
            &file,
        ];
        all.extend_from_slice(args);
        let run = sfbulk(&mock, &all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    assert_eq!(mock.request_count(), before, "nothing sent");
}
