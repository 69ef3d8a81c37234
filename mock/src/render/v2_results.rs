//! The CSV files of Bulk API 2.0: an ingest job's three result files (rows in a seeded
//! shuffled order, `sf__` columns quoted, echoed columns as uploaded) and the pages of a
//! query job's results (every page with its header, every value quoted).

use crate::dialect::Dialect;
use crate::limits::V2_FAILED_ID_SINCE;
use crate::model::rows::Rows;
use crate::model::v2job::{ResultKind, RowOutcome, V2Job};
use crate::render::csv_out::CsvOut;
use crate::render::ingest_results::error_text;

/// How the ingest result files are written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultStyle {
    /// `None` keeps the upload order.
    pub shuffle_seed: Option<u64>,
    /// Use the job's delimiter and line ending for the successful and failed files (else
    /// comma and LF).
    pub in_job_dialect: bool,
}

/// One of the three result files of an ingest job (so far, while it runs).
pub(crate) fn ingest_result(job: &V2Job, kind: ResultKind, style: ResultStyle) -> Vec<u8> {
    let upload = job.ingest.upload.as_deref().unwrap_or_default();
    let rows = &job.ingest.rows;
    let mut order: Vec<usize> = match kind {
        ResultKind::Unprocessed => {
            let mut out = upload[rows.header_raw.clone()].to_vec();
            let raws: Vec<&[u8]> = job
                .unprocessed_rows()
                .map(|r| &upload[r.raw.clone()])
                .collect();
            for i in shuffled(raws.len(), style.shuffle_seed, job.seq) {
                out.extend_from_slice(raws[i]);
            }
            return out;
        }
        ResultKind::Successful | ResultKind::Failed => (0..rows.rows.len()).collect(),
    };
    order.retain(|&i| {
        matches!(
            (kind, job.ingest.outcomes.get(i)),
            (
                ResultKind::Successful,
                Some(Some(RowOutcome::Succeeded { .. }))
            ) | (ResultKind::Failed, Some(Some(RowOutcome::Failed { .. })))
        )
    });
    let dialect = if style.in_job_dialect {
        job.dialect
    } else {
        Dialect::DEFAULT
    };
    let mut out = CsvOut::new(dialect, 0);
    let with_id = kind == ResultKind::Successful
        || job.api_version.parse::<f64>().unwrap_or(0.0) >= V2_FAILED_ID_SINCE;
    if with_id {
        out.quoted("sf__Id");
    }
    out.quoted(match kind {
        ResultKind::Successful => "sf__Created",
        _ => "sf__Error",
    });
    for header in &rows.headers {
        out.plain(header);
    }
    out.end_line();
    for pos in shuffled(order.len(), style.shuffle_seed, job.seq) {
        let i = order[pos];
        match &job.ingest.outcomes[i] {
            Some(RowOutcome::Succeeded { id, created }) => {
                out.quoted(id);
                out.quoted(if *created { "true" } else { "false" });
            }
            Some(RowOutcome::Failed { id, errors }) => {
                if with_id {
                    out.quoted(id);
                }
                out.quoted(&error_text(errors));
            }
            None => continue,
        }
        for value in &rows.rows[i].values {
            out.plain(value);
        }
        out.end_line();
    }
    out.into_bytes()
}

/// One page of a query job's results: the header, then `rows`, in the job's dialect.
pub(crate) fn query_page(job: &V2Job, rows: &Rows) -> Vec<u8> {
    // Values, a quote pair and a delimiter each, and a line ending per row (ids not written:
    // a little spare room).
    let capacity = rows.text_len() + rows.len() * 3 * (job.query.fields.len() + 1);
    let mut out = CsvOut::new(job.dialect, capacity);
    for field in &job.query.fields {
        out.quoted(field);
    }
    out.end_line();
    for row in rows.iter() {
        for value in row.values() {
            match value {
                Some(v) => out.quoted(v),
                None => out.plain(""),
            }
        }
        out.end_line();
    }
    out.into_bytes()
}

/// `0..n` in an order fixed by `seed` and the job (`None`: in order).
fn shuffled(n: usize, seed: Option<u64>, job_seq: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let Some(seed) = seed else { return order };
    let mut rng = seed ^ job_seq.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for i in (1..n).rev() {
        let j = (splitmix64(&mut rng) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffles_are_permutations_fixed_by_seed() {
        let a = shuffled(50, Some(7), 1);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(a, sorted);
        assert_eq!(a, shuffled(50, Some(7), 1));
        assert_ne!(a, shuffled(50, Some(7), 2));
        assert_eq!(shuffled(5, None, 1), [0, 1, 2, 3, 4]);
    }
}
