//! The `load` command, both APIs: options checked, the whole file checked
//! ([`crate::validate`]) before anything is sent, then a new load ([`crate::whole_jobs`],
//! [`crate::whole_jobs_v2`]) or the results of earlier jobs joined ([`crate::resume`]).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use host_test::bulk2::IngestRequest;
use host_test::{Config, ContentType, Instance, WaitOptions};

use crate::args::{CreateJob, Load};
use crate::commands_v2::ingest_operation;
use crate::connection;
use crate::download::AtomicFile;
use crate::json_v2::delimiter_of;
use crate::output::{EXIT_RECORDS_FAILED, Failure, print_json};
use crate::request::{job_request, parse_operation};
use crate::resume::{self, Dialect};
use crate::validate::{self, Checked, Refused, Rules};
use crate::whole_jobs::{self, Progress};
use crate::whole_jobs_v2;

/// Most records in a 1.0 batch.
const MAX_BATCH_RECORDS: u32 = sfbulk_core::protocol::MAX_BATCH_RECORDS as u32;
/// Most bytes in a 2.0 upload.
const MAX_UPLOAD_BYTES: u64 = sfbulk_core::protocol::MAX_UPLOAD_BYTES as u64;

/// `load`: 1.0 → `{"jobId","records","succeeded","failed"}`, 2.0 → `{"jobIds","records",
/// "succeeded","failed","unprocessed"}`; exit 3 when records failed (or were not processed).
pub async fn run(
    inst: &mut Instance,
    cfg: &Config,
    args: Load,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let v2 = args.bulk_api == "2";
    check_options(&args, v2)?;
    let results = args.results.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".results.csv");
        PathBuf::from(name)
    });
    // An unwritable results file is refused now, not after the load.
    drop(AtomicFile::create(&results)?);
    let rules = if v2 {
        Rules::bulk2(args.max_job_bytes.unwrap_or(MAX_UPLOAD_BYTES))
    } else {
        Rules::bulk1()
    };
    // The whole file, before anything is sent.
    let checked = match validate::check_file(&args.file, rules) {
        Ok(c) => c,
        Err(Refused::Io(m)) => return Err(Failure::usage(m)),
        Err(Refused::Bad(p)) => {
            return Err(Failure::usage(format!(
                "invalid input: {}; nothing was sent",
                p.describe(&args.file)
            )));
        }
    };
    let wait = whole_jobs::default_wait(args.timeout.map(Duration::from_secs));
    let progress = Progress::auto();
    if v2 {
        load_v2(
            inst, cfg, args, checked, results, &wait, &progress, stdout, stderr,
        )
        .await
    } else {
        load_v1(inst, cfg, args, checked, results, &wait, &progress, stdout).await
    }
}

/// Options of the other API are refused, as are limits out of range and unknown words.
fn check_options(args: &Load, v2: bool) -> Result<(), Failure> {
    if let Some(op) = &args.operation {
        if v2 {
            ingest_operation(op)?;
        } else {
            parse_operation(op).map_err(Failure::usage)?;
        }
    }
    let only = |flag: &str, api: &str| Failure::usage(format!("{flag} is for --bulk-api {api}"));
    if v2 {
        if args.batch_size.is_some() {
            return Err(only(
                "--batch-size",
                "1 (2.0 jobs are cut by --max-job-bytes)",
            ));
        }
        if args.concurrency_mode.is_some() {
            return Err(only("--concurrency-mode", "1"));
        }
        if let Some(n) = args.max_job_bytes
            && !(1..=MAX_UPLOAD_BYTES).contains(&n)
        {
            return Err(Failure::usage(format!(
                "--max-job-bytes must be from 1 to {MAX_UPLOAD_BYTES}, got {n}"
            )));
        }
    } else {
        if args.max_job_bytes.is_some() {
            return Err(only("--max-job-bytes", "2"));
        }
        if args.job_id.len() > 1 {
            return Err(Failure::usage(
                "a Bulk API 1.0 load is one job: give one --job-id",
            ));
        }
        if let Some(n) = args.batch_size
            && !(1..=MAX_BATCH_RECORDS).contains(&n)
        {
            return Err(Failure::usage(format!(
                "--batch-size must be from 1 to {MAX_BATCH_RECORDS}, got {n}"
            )));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn load_v1(
    inst: &mut Instance,
    cfg: &Config,
    args: Load,
    checked: Checked,
    results: PathBuf,
    wait: &WaitOptions,
    progress: &Progress,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let summary = if let Some(job_id) = args.job_id.first() {
        resume::load_v1(
            inst,
            cfg,
            job_id,
            &args.file,
            checked.records,
            args.batch_size,
            results,
            wait,
            progress,
        )
        .await?
    } else {
        let mut request = job_request(CreateJob {
            operation: args.operation.unwrap_or_default(),
            object: args.object.unwrap_or_default(),
            content_type: Some("CSV".into()),
            external_id_field_name: args.external_id_field_name,
            concurrency_mode: args.concurrency_mode,
            assignment_rule_id: args.assignment_rule_id,
            pk_chunking: None,
            disable_batch_retry: false,
            line_ending: None,
        })
        .map_err(Failure::usage)?;
        request.content_type = Some(ContentType::Csv);
        // Batches of the default 10,000 records or fewer: at least this many.
        let per_batch = u64::from(args.batch_size.unwrap_or(MAX_BATCH_RECORDS));
        connection::open_ahead(inst, cfg, checked.records.div_ceil(per_batch));
        let load = whole_jobs::LoadArgs {
            request,
            input: &args.file,
            batch_size: args.batch_size,
            results,
            wait: *wait,
        };
        whole_jobs::load(inst, cfg, load, progress).await?
    };
    print_json(
        stdout,
        &serde_json::json!({
            "jobId": summary.job_id,
            "records": summary.records,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
        }),
    )?;
    if summary.failed > 0 {
        return Err(Failure {
            code: EXIT_RECORDS_FAILED,
            message: format!(
                "{} of {} records failed; see {}",
                summary.failed,
                summary.records,
                summary.results.display()
            ),
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn load_v2(
    inst: &mut Instance,
    cfg: &Config,
    args: Load,
    checked: Checked,
    results: PathBuf,
    wait: &WaitOptions,
    progress: &Progress,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let dialect = Dialect {
        delimiter: checked.delimiter,
        crlf: checked.crlf,
    };
    let summary = if args.job_id.is_empty() {
        let request = IngestRequest {
            object: args.object.unwrap_or_default(),
            operation: ingest_operation(&args.operation.unwrap_or_default())?,
            external_id_field_name: args.external_id_field_name,
            // The input's own dialect, declared (every record's line end is written as
            // the header's).
            column_delimiter: delimiter_of(checked.delimiter),
            line_ending: Some(resume::line_ending(checked.crlf)),
            assignment_rule_id: args.assignment_rule_id,
        };
        let load = whole_jobs_v2::LoadArgs {
            request,
            input: &args.file,
            max_job_bytes: args.max_job_bytes,
            results,
            wait: *wait,
        };
        whole_jobs_v2::load(inst, cfg, load, progress).await?
    } else {
        resume::load_v2(
            inst,
            cfg,
            &args.job_id,
            &args.file,
            checked.records,
            dialect,
            args.max_job_bytes,
            results,
            wait,
            progress,
        )
        .await?
    };
    for (id, state, message) in &summary.ended_badly {
        let _ = writeln!(
            stderr,
            "load: job {id} ended {state}: {}",
            message
                .as_deref()
                .unwrap_or("(Salesforce gave no errorMessage)")
        );
    }
    print_json(
        stdout,
        &serde_json::json!({
            "jobIds": summary.job_ids,
            "records": summary.records,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "unprocessed": summary.unprocessed,
        }),
    )?;
    if summary.failed + summary.unprocessed > 0 {
        return Err(Failure {
            code: EXIT_RECORDS_FAILED,
            message: format!(
                "{} failed and {} unprocessed of {} records; see {}",
                summary.failed,
                summary.unprocessed,
                summary.records,
                summary.results.display()
            ),
        });
    }
    Ok(())
}
