//! The `query` command, both APIs: a new query job (`--soql`) or an existing one
//! (`--job-id`), waited for and written as one CSV ([`crate::whole_jobs`],
//! [`crate::whole_jobs_v2`]).

use std::io::Write;
use std::time::Duration;

use host_test::bulk2::QueryRequest;
use host_test::{Config, Instance, Operation};

use crate::args::Query;
use crate::connection;
use crate::output::{Failure, print_json};
use crate::request::parse_pk_chunking;
use crate::whole_jobs::{self, Progress};
use crate::whole_jobs_v2::{self, QueryJob};

/// `query` → `{"jobId","records"}`.
pub async fn run(
    inst: &mut Instance,
    cfg: &Config,
    args: Query,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let wait = whole_jobs::default_wait(args.timeout.map(Duration::from_secs));
    let progress = Progress::auto();
    let (job_id, records) = if args.bulk_api == "2" {
        if args.object.is_some() || args.pk_chunking.is_some() {
            return Err(Failure::usage(
                "--object and --pk-chunking are for --bulk-api 1 (2.0 chunks queries itself)",
            ));
        }
        let job = match (args.job_id, args.soql) {
            (Some(id), _) => QueryJob::Existing(id),
            (None, Some(soql)) => QueryJob::New(QueryRequest {
                query: soql,
                operation: if args.query_all {
                    Operation::QueryAll
                } else {
                    Operation::Query
                },
                column_delimiter: None,
                line_ending: None,
            }),
            (None, None) => return Err(Failure::usage("query needs --soql or --job-id")),
        };
        open_ahead(inst, cfg);
        let s = whole_jobs_v2::query(
            inst,
            cfg,
            job,
            &args.output,
            args.max_records,
            &wait,
            &progress,
        )
        .await?;
        (s.job_id, s.records)
    } else {
        if args.max_records.is_some() {
            return Err(Failure::usage("--max-records is for --bulk-api 2"));
        }
        let s = match (args.job_id, args.soql) {
            (Some(id), _) => {
                open_ahead(inst, cfg);
                whole_jobs::continue_query(inst, cfg, &id, &args.output, &wait, &progress).await?
            }
            (None, Some(soql)) => {
                let object = args
                    .object
                    .or_else(|| whole_jobs::soql_object(&soql))
                    .ok_or_else(|| {
                        Failure::usage("cannot tell the object from the query; give --object")
                    })?;
                let mut request = whole_jobs::query_request(&object, args.query_all);
                request.pk_chunking = args
                    .pk_chunking
                    .as_deref()
                    .map(parse_pk_chunking)
                    .transpose()
                    .map_err(Failure::usage)?;
                open_ahead(inst, cfg);
                let query = whole_jobs::QueryArgs {
                    request,
                    soql: &soql,
                    output: &args.output,
                    wait,
                };
                whole_jobs::query(inst, cfg, query, &progress).await?
            }
            (None, None) => return Err(Failure::usage("query needs --soql or --job-id")),
        };
        (s.job_id, s.records)
    };
    print_json(
        stdout,
        &serde_json::json!({ "jobId": job_id, "records": records }),
    )
}

/// Opens the connections the query's downloads will run over, `--concurrency` of them, before
/// its first request (`connection::open_ahead`). How many files or pages a query has is known
/// only once it has run; a bulk query is usually large, and the ones not taken are closed
/// after 30 s (or when the command ends). `--concurrency 1` opens none.
fn open_ahead(inst: &Instance, cfg: &Config) {
    connection::open_ahead(inst, cfg, u64::MAX);
}
