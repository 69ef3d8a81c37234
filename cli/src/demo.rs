//! `sfbulk demo`: a short load and query against the embedded mock Salesforce, with every
//! step and its result printed on stdout.

use std::io::Write;
use std::time::Duration;

use host_test::{ContentType, Operation, PkChunking, Runtime};
use sfbulk_mock::{MockConfig, MockServer};

use crate::output::Failure;
use crate::whole_jobs;

/// The demo's input: `n` contacts, every 500th without the required LastName, with
/// commas, quotes, line breaks and non-ASCII text in the values.
pub fn demo_csv(n: usize) -> String {
    let mut csv = String::from("FirstName,LastName,Email,Description\n");
    for i in 1..=n {
        let last = if i % 500 == 0 {
            String::new()
        } else {
            format!("Doe-{i}")
        };
        let first = if i % 7 == 0 {
            format!("Zoë {i}")
        } else {
            format!("Jane {i}")
        };
        csv.push_str(&format!(
            "{first},{last},jane{i}@example.com,\"likes \"\"quotes\"\", commas\nand line breaks\"\n"
        ));
    }
    csv
}

/// Runs the demo, printing on `stdout`.
pub async fn run(stdout: &mut dyn Write) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure::runtime(format!("cannot write: {e}"));
    let mock = MockServer::start(MockConfig {
        processing_delay: Duration::from_millis(200),
        ..MockConfig::default()
    });
    let cfg = host_test::config(&mock.url(), &MockConfig::default().access_tokens[0]);
    let mut inst = Runtime::shared()
        .instantiate()
        .await
        .map_err(Failure::trap)?;
    let dir = std::env::temp_dir().join(format!("sfbulk-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let input = dir.join("contacts.csv");
    std::fs::write(&input, demo_csv(3000)).map_err(io)?;
    writeln!(
        stdout,
        "sfbulk demo: the connector component in wasmtime, against a mock Salesforce on {}",
        mock.url()
    )
    .map_err(io)?;
    writeln!(stdout).map_err(io)?;

    // 1. Load.
    writeln!(
        stdout,
        "1. load {} (3,000 contacts, 6 without LastName) in batches of 1,000",
        input.display()
    )
    .map_err(io)?;
    let t = std::time::Instant::now();
    let args = whole_jobs::LoadArgs {
        request: host_test::job_request(Operation::Insert, "Contact", Some(ContentType::Csv)),
        input: &input,
        batch_size: Some(1000),
        results: dir.join("contacts.results.csv"),
        wait: whole_jobs::default_wait(Some(Duration::from_secs(60))),
    };
    let load = whole_jobs::load(&mut inst, &cfg, args, &whole_jobs::Progress::quiet())
        .await
        .map_err(Failure::from)?;
    writeln!(
        stdout,
        "   job {}: {} batches, {} records, {} succeeded, {} failed ({:.1} s)",
        load.job_id,
        load.batches.len(),
        load.records,
        load.succeeded,
        load.failed,
        t.elapsed().as_secs_f64()
    )
    .map_err(io)?;
    let results = std::fs::read_to_string(&load.results).map_err(io)?;
    let mut reader = csv::Reader::from_reader(results.as_bytes());
    for (i, row) in reader.records().filter_map(Result::ok).enumerate() {
        if row.get(5) == Some("false") {
            writeln!(stdout, "   row {:>4}: {}", i + 1, row.get(7).unwrap_or("")).map_err(io)?;
        }
    }
    writeln!(
        stdout,
        "   every input row has its result in {}",
        load.results.display()
    )
    .map_err(io)?;
    writeln!(stdout).map_err(io)?;

    // 2. Query them back with PK chunking.
    let soql = "SELECT Id, FirstName, LastName FROM Contact";
    writeln!(
        stdout,
        "2. query \"{soql}\" with PK chunking (chunkSize=1000)"
    )
    .map_err(io)?;
    let t = std::time::Instant::now();
    let mut request = whole_jobs::query_request("Contact", false);
    request.pk_chunking = Some(PkChunking {
        chunk_size: Some(1000),
        start_row: None,
        parent: None,
    });
    let output = dir.join("contacts.query.csv");
    let args = whole_jobs::QueryArgs {
        request,
        soql,
        output: &output,
        wait: whole_jobs::default_wait(Some(Duration::from_secs(60))),
    };
    let q = whole_jobs::query(&mut inst, &cfg, args, &whole_jobs::Progress::quiet())
        .await
        .map_err(Failure::from)?;
    writeln!(
        stdout,
        "   job {}: {} chunk batches (the original batch NotProcessed, as expected), {} rows in one CSV ({:.1} s)",
        q.job_id,
        q.batches,
        q.records,
        t.elapsed().as_secs_f64()
    )
    .map_err(io)?;
    let text = std::fs::read_to_string(&output).map_err(io)?;
    for line in text.lines().take(3) {
        writeln!(stdout, "   {line}").map_err(io)?;
    }
    writeln!(stdout, "   … written to {}", output.display()).map_err(io)?;
    Ok(())
}
