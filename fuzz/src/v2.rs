//! Bulk API 2.0 targets: `join_v2` (results joined by echoed values, `sfbulk::join_v2`) and
//! `parse_v2` (the 2.0 JSON documents, `sfbulk::wire::v2`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::mem;

use csv_core::ReadFieldResult;
use sfbulk::join_v2::{IngestJoiner, ResultIndex};
use sfbulk::model::v2::ResultKind;
use sfbulk::wire::v2 as wire_v2;

use crate::{BOM, Rng, chunks};

const DELIMITERS: [u8; 4] = [b',', b'|', b'\t', b';'];

thread_local! {
    /// Reference readers (csv-core's NFA mode; the code under test runs the DFA), one per
    /// delimiter, built once.
    static READERS: RefCell<Vec<csv_core::Reader>> = RefCell::new(
        DELIMITERS
            .iter()
            .chain([&b','])
            .map(|&d| csv_core::ReaderBuilder::new().nfa(true).delimiter(d).build())
            .collect(),
    );
}

/// Records of fields with the reference reader for `delimiter` (a BOM is added first and
/// dropped by the reader, so one BOM of `data` stays data).
fn parse_with(data: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
    let at = DELIMITERS.iter().position(|&d| d == delimiter).unwrap_or(0);
    READERS.with_borrow_mut(|readers| {
        let reader = &mut readers[at];
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

/// What became of one record, as the joined output writes it: id, success, created, error.
type Outcome = (String, bool, bool, String);

const ERRORS: [&str; 4] = [
    "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
    "odd, \"quoted\"\r\nline",
    "DUPLICATE_VALUE:valeur en double : é",
    "",
];

/// A CSV value: quoted always (`all`) or only when it must be (a delimiter, quote, CR or LF;
/// or the only value of its row and empty, which would be a blank line).
fn cell(out: &mut Vec<u8>, value: &[u8], delimiter: u8, all: bool, alone: bool) {
    let needs = value
        .iter()
        .any(|&b| b == delimiter || matches!(b, b'"' | b'\r' | b'\n'))
        || (alone && value.is_empty());
    if all || needs {
        out.push(b'"');
        for &b in value {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value);
    }
}

/// One CSV row.
fn row(out: &mut Vec<u8>, values: &[&[u8]], d: u8, all: bool, eol: &[u8]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(d);
        }
        cell(out, v, d, all, values.len() == 1);
    }
    out.extend_from_slice(eol);
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// One job's three results files as Salesforce could send them: rows in any order, the
/// successful and failed files' columns `sf__Id` first then the input's in any order.
struct JobFiles {
    files: Vec<(ResultKind, Vec<u8>)>,
}

/// How the made-up results are damaged (each makes some record or result unmatched).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Damage {
    None,
    /// One result row left out.
    Drop,
    /// One result row twice.
    Duplicate,
    /// One echoed value changed.
    Change,
}

fn job_files(
    header: &[Vec<u8>],
    records: &[&Vec<Vec<u8>>],
    outcomes: &[Outcome],
    d: u8,
    rng: &mut Rng,
    style: u8,
    damage: Damage,
) -> JobFiles {
    let all = style & 1 != 0;
    let eol: &[u8] = if style & 2 != 0 { b"\r\n" } else { b"\n" };
    let mut order: Vec<usize> = (0..header.len()).collect();
    shuffle(&mut order, rng);
    // (kind, values of a row), before shuffling.
    let mut rows: Vec<(ResultKind, Vec<Vec<u8>>)> = Vec::new();
    for (rec, (id, success, created, error)) in records.iter().zip(outcomes) {
        let values = |lead: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
            lead.into_iter()
                .chain(
                    order
                        .iter()
                        .map(|&i| rec.get(i).cloned().unwrap_or_default()),
                )
                .collect()
        };
        if *success {
            let created = if *created { "true" } else { "false" };
            rows.push((
                ResultKind::Successful,
                values(vec![id.clone().into_bytes(), created.into()]),
            ));
        } else if error == "UNPROCESSED" {
            rows.push((ResultKind::Unprocessed, (*rec).clone()));
        } else {
            rows.push((
                ResultKind::Failed,
                values(vec![id.clone().into_bytes(), error.clone().into_bytes()]),
            ));
        }
    }
    if !rows.is_empty() {
        let at = rng.below(rows.len());
        match damage {
            Damage::None => {}
            Damage::Drop => {
                rows.remove(at);
            }
            Damage::Duplicate => rows.push(rows[at].clone()),
            Damage::Change => {
                let values = &mut rows[at].1;
                let n = values.len();
                values[n - 1].push(b'x');
            }
        }
    }
    shuffle(&mut rows, rng);
    let named = |lead: &[&str]| -> Vec<Vec<u8>> {
        lead.iter()
            .map(|s| s.as_bytes().to_vec())
            .chain(order.iter().map(|&i| header[i].clone()))
            .collect()
    };
    let mut files = Vec::new();
    for (kind, head) in [
        (ResultKind::Successful, named(&["sf__Id", "sf__Created"])),
        (ResultKind::Failed, named(&["sf__Id", "sf__Error"])),
        (ResultKind::Unprocessed, header.to_vec()),
    ] {
        let mut out = Vec::new();
        let refs: Vec<&[u8]> = head.iter().map(Vec::as_slice).collect();
        row(&mut out, &refs, d, all, eol);
        for (_, values) in rows.iter().filter(|(k, _)| *k == kind) {
            let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            row(&mut out, &refs, d, all, eol);
        }
        files.push((kind, out));
    }
    // The files come in any order.
    shuffle(&mut files, rng);
    JobFiles { files }
}

type Joined = (Vec<u8>, (u64, u64, u64, u64), Vec<usize>);

fn run_join(
    input: &[u8],
    sizes: &[u64],
    jobs: &[JobFiles],
    d: u8,
    seed: u8,
) -> Result<Joined, String> {
    let mut joiner = IngestJoiner::new(sizes.to_vec(), d);
    let mut calls = Vec::new();
    let mut index = |i: usize, columns: &[String]| -> Result<ResultIndex, String> {
        calls.push(i);
        let mut index = ResultIndex::new(columns.to_vec());
        for (kind, data) in &jobs[i].files {
            index.add(*kind, data, d)?;
        }
        Ok(index)
    };
    let mut out = Vec::new();
    for chunk in chunks(input, seed) {
        out.extend(joiner.push(chunk, &mut index)?);
    }
    out.extend(joiner.finish(&mut index)?);
    Ok((out, joiner.counts(), calls))
}

/// Bulk API 2.0 results joined by echoed values. `params`: delimiter and results style
/// (quoting, CRLF), chunking, a seed for outcomes and shuffles, records per job and how many
/// jobs at most (1-3, the last taking the rest), damage.
/// Results are made up for the input's records as the reference reader reads them, in three
/// shuffled files per job with shuffled columns. Joining whole and in chunks gives the same
/// result. For a clean input (UTF-8, every record with the header's field count, column
/// names unique and none `sf__…`): undamaged results join, one output row per input record,
/// in input order, with its values and one of its own results (identical records of a job
/// are interchangeable: per job, the multiset of (values, result) is the one made up), and
/// the counts match; damaged results (a row left out, twice, or an echoed value changed) are
/// an error naming the job.
pub fn join_v2(data: &[u8]) {
    let Some((params, input)) = data.split_first_chunk::<4>() else {
        return;
    };
    let d = DELIMITERS[usize::from(params[0] & 3)];
    let style = params[0] >> 2;
    let damage = [
        Damage::None,
        Damage::None,
        Damage::None,
        Damage::None,
        Damage::Drop,
        Damage::Duplicate,
        Damage::Change,
        Damage::None,
    ][usize::from(params[0] >> 5)];
    let mut rng = Rng::new(params[2]);
    let per_job = 1 + usize::from(params[3] % 8);
    // At most 1-3 jobs, the last one taking every record left: each job's index is sorted
    // once per join, and sorting costs about the same whatever the job's size (a radix sort
    // of 16-bit digits: four passes over 65,536 counters), so jobs, not records, set the
    // cost of an execution. One to three jobs still give a first, a middle and a last job;
    // the last one can hold more than 64 results (the index's second word of taken flags).
    let max_jobs = [1, 2, 2, 3][usize::from(params[3] >> 3) % 4];

    let body = input.strip_prefix(BOM).unwrap_or(input);
    let parsed = parse_with(body, d);
    let Some((header, records)) = parsed.split_first() else {
        // No header: nothing to join; it must not panic.
        let _ = run_join(input, &[], &[], d, params[1]);
        return;
    };
    // Column names unique (a set, not a sort: sorting a header of many fields was a fifth
    // of the target's time).
    let mut names = HashSet::new();
    let unique = header.iter().all(|h| names.insert(h.as_slice()));
    // A quoted value still open at the end: the reference reader takes the rest of the
    // input into it, so a record added after the end is absorbed.
    let open_quote = parse_with(&[body, b"\nX\n"].concat(), d).len() == parsed.len();
    let clean = std::str::from_utf8(body).is_ok()
        && !header[0].starts_with(BOM)
        && unique
        && !header.iter().any(|h| h.starts_with(b"sf__"))
        && records.iter().all(|r| r.len() == header.len());

    // Jobs of 1..=per_job records (the last of `max_jobs` takes the rest), and an outcome
    // for each record.
    let mut sizes = Vec::new();
    let mut left = records.len();
    while left > 0 {
        let n = if sizes.len() + 1 == max_jobs {
            left
        } else {
            (1 + rng.below(per_job)).min(left)
        };
        sizes.push(n as u64);
        left -= n;
    }
    let outcomes: Vec<Outcome> = (0..records.len())
        .map(|i| match rng.below(4) {
            0 | 1 => (format!("001R{i}"), true, rng.below(2) == 0, String::new()),
            2 => {
                let id = if rng.below(2) == 0 {
                    format!("001F{i}")
                } else {
                    String::new()
                };
                (
                    id,
                    false,
                    false,
                    ERRORS[rng.below(ERRORS.len())].to_string(),
                )
            }
            _ => (String::new(), false, false, "UNPROCESSED".to_string()),
        })
        .collect();
    let damaged_job = if sizes.is_empty() {
        0
    } else {
        rng.below(sizes.len())
    };
    let mut jobs = Vec::new();
    let mut at = 0;
    for (j, &n) in sizes.iter().enumerate() {
        let n = n as usize;
        let recs: Vec<&Vec<Vec<u8>>> = records[at..at + n].iter().collect();
        let dmg = if j == damaged_job {
            damage
        } else {
            Damage::None
        };
        jobs.push(job_files(
            header,
            &recs,
            &outcomes[at..at + n],
            d,
            &mut rng,
            style,
            dmg,
        ));
        at += n;
    }
    let whole = run_join(input, &sizes, &jobs, d, 0);
    let chunked = run_join(input, &sizes, &jobs, d, params[1]);
    assert_eq!(whole, chunked, "chunking changed the result");
    if !clean {
        if let Err(e) = &whole {
            assert!(!e.is_empty());
        }
        return;
    }
    let damaged = damage != Damage::None && !records.is_empty();
    if open_quote || damaged {
        let e = whole.expect_err("an open quote at the end, or damaged results, are an error");
        let quote = open_quote && e.contains("expected a closing quote");
        let job = damaged && e.contains("job ");
        assert!(
            quote || job,
            "open quote {open_quote}, damage {damage:?}: {e}"
        );
        return;
    }
    let (out, counts, calls) = whole.unwrap_or_else(|e| panic!("a clean input did not join: {e}"));
    assert_eq!(
        calls,
        (0..sizes.len()).collect::<Vec<_>>(),
        "each job's results read once, in order"
    );
    let mut rows = parse_with(&out, b',').into_iter();
    let mut head = header.clone();
    for c in ["sf__Id", "sf__Success", "sf__Created", "sf__Error"] {
        head.push(c.into());
    }
    assert_eq!(rows.next(), Some(head));
    // Per job: the output rows' values are the input's, in order, and the multiset of
    // (values, outcome) is the one made up.
    let mut at = 0;
    let (mut saved, mut failed, mut unprocessed) = (0u64, 0u64, 0u64);
    for &n in &sizes {
        let mut want: HashMap<(Vec<Vec<u8>>, Outcome), usize> = HashMap::new();
        for i in at..at + n as usize {
            *want
                .entry((records[i].clone(), outcomes[i].clone()))
                .or_default() += 1;
        }
        for i in at..at + n as usize {
            let mut got = rows.next().expect("an output row per input record");
            assert_eq!(got.len(), header.len() + 4);
            let tail = got.split_off(header.len());
            assert_eq!(&got, &records[i], "the output row holds the input's values");
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            let outcome = (
                text(&tail[0]),
                tail[1] == b"true",
                tail[2] == b"true",
                text(&tail[3]),
            );
            match (outcome.1, outcome.3.as_str()) {
                (true, _) => saved += 1,
                (false, "UNPROCESSED") => unprocessed += 1,
                _ => failed += 1,
            }
            let slot = want.get_mut(&(got, outcome.clone())).unwrap_or_else(|| {
                panic!("record {}: a result not made for it: {outcome:?}", i + 1)
            });
            assert!(*slot > 0, "record {}: a result used twice", i + 1);
            *slot -= 1;
        }
        at += n as usize;
    }
    assert_eq!(rows.next(), None, "one output row per input record");
    assert_eq!(counts, (records.len() as u64, saved, failed, unprocessed));
}

/// The 2.0 JSON parsers: the first byte picks job info, job list, result pages or a result
/// URL's locator. None panics; what they accept is sane: a job has a non-empty trimmed id,
/// a locator is never empty or `null`.
pub fn parse_v2(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let sane_job = |j: &sfbulk::model::v2::JobInfo| {
        assert!(!j.id.is_empty() && j.id.trim() == j.id, "{:?}", j.id);
    };
    match selector % 4 {
        0 => {
            if let Ok(job) = wire_v2::parse_job_info(body) {
                sane_job(&job);
            }
        }
        1 => {
            if let Ok(list) = wire_v2::parse_job_list(body) {
                list.jobs.iter().for_each(sane_job);
            }
        }
        2 => {
            if let Ok(pages) = wire_v2::parse_result_pages(body) {
                for l in pages.locators.iter().flatten() {
                    assert!(!l.is_empty() && l != "null");
                }
            }
        }
        _ => {
            if let Some(l) = wire_v2::locator_of(&String::from_utf8_lossy(body)) {
                assert!(!l.is_empty() && l != "null");
            }
        }
    }
}
