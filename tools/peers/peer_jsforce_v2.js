#!/usr/bin/env node
// Run jsforce's own Bulk API 2.0 client (`conn.bulk2`, npm 3.10.16) against a Salesforce at
// BASE (the sfbulk mock on loopback), one scenario per run:
//
//   NODE_PATH=<dir>/node_modules node peer_jsforce_v2.js --base http://127.0.0.1:PORT --scenario NAME
//
// Scenarios: ingest-failed-row, query-onepage. Exit status 0 means the scenario ended as it
// should; the last line printed says what was seen. No login: a session id the mock accepts;
// jsforce uses instanceUrl verbatim (plain http allowed).
//
// Bench modes (tools/bench/v2.sh times them; the harness checks the counts they print or the
// rows they write):
//   --scenario bench-ingest --file IN.csv [--object Account]
//     `conn.bulk2.loadAndWaitForResults` with the file as a read stream (sent as it is), all
//     three results read as jsforce reads them (parsed into records); prints their counts
//   --scenario bench-query --soql SOQL --out FILE
//     `conn.bulk2.query`, its CSV data stream (`.stream()`) piped into FILE; prints its bytes.
//     One locator page only (see below): the server's page size must hold every row.
//
// Not a scenario: a query whose results span several locator pages. jsforce 3.10.16 pipes
// every page into one CSV parser and fails with ERR_STREAM_WRITE_AFTER_END against any server
// (jsforce#1546); see README.md.
const fs = require('fs');
const jsforce = require('jsforce');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const POLL = { pollInterval: 50, pollTimeout: 30000 };

function check(ok, summary) {
  console.log(summary);
  if (!ok) process.exit(1);
}

async function ingestFailedRow(conn) {
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: [
      { Name: 'jsforce insert 1', Description: 'first' },
      { Name: '', Description: 'no name: fails' },
      { Name: 'jsforce insert 2', Description: 'second, with a comma' },
    ],
    ...POLL,
  });
  const errors = res.failedResults.map((r) => r.sf__Error);
  check(
    res.successfulResults.length === 2 &&
      res.successfulResults.every((r) => String(r.sf__Id).startsWith('001')) &&
      res.unprocessedRecords.length === 0 &&
      errors.length === 1 &&
      errors[0] === 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --',
    `successful=${res.successfulResults.length} failed=${res.failedResults.length} ` +
      `unprocessed=${res.unprocessedRecords.length} errors=${JSON.stringify(errors)}`,
  );
}

async function queryOnePage(conn) {
  const stream = await conn.bulk2.query(
    "SELECT Id, Name FROM Account WHERE Name LIKE 'Seed Account%'",
    POLL,
  );
  const records = await new Promise((resolve, reject) => {
    const out = [];
    stream.on('record', (r) => out.push(r));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
  const headerRows = records.filter((r) => r.Id === 'Id').length;
  check(
    records.length === 1000 && headerRows === 0 && String(records[0].Id).startsWith('001'),
    `rows=${records.length} header-rows-as-records=${headerRows}`,
  );
}

async function benchIngest(conn) {
  const res = await conn.bulk2.loadAndWaitForResults({
    object: arg('object', 'Account'),
    operation: 'insert',
    input: fs.createReadStream(arg('file')),
    ...POLL,
  });
  console.log(
    `successful=${res.successfulResults.length} failed=${res.failedResults.length} ` +
      `unprocessed=${res.unprocessedRecords.length}`,
  );
}

async function benchQuery(conn) {
  const records = await conn.bulk2.query(arg('soql'), POLL);
  const out = fs.createWriteStream(arg('out'));
  await new Promise((resolve, reject) => {
    records.on('error', reject);
    out.on('error', reject);
    out.on('finish', resolve);
    records.stream().pipe(out);
  });
  console.log(`bytes=${out.bytesWritten}`);
}

const SCENARIOS = {
  'ingest-failed-row': ingestFailedRow,
  'query-onepage': queryOnePage,
  'bench-ingest': benchIngest,
  'bench-query': benchQuery,
};

(async () => {
  const scenario = SCENARIOS[arg('scenario', '')];
  if (!scenario) {
    console.error(`usage: peer_jsforce_v2.js --base URL --scenario ${Object.keys(SCENARIOS).join('|')}`);
    process.exit(2);
  }
  const conn = new jsforce.Connection({
    instanceUrl: arg('base', 'http://127.0.0.1:8765'),
    accessToken: arg('session', '00DFAKE!SESSIONTOKEN'),
    version: arg('version', '62.0'),
  });
  await scenario(conn);
})().catch((e) => {
  console.error('FAILED', e && e.stack ? e.stack : e);
  process.exit(1);
});
