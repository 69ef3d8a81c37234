// Drives the sfbulk component, transpiled by jco, from Node through @bytecodealliance/preview2-shim.
//
//   node drive.mjs <transpiled sfbulk.js> <mock url> <access token>
//
// The mock Salesforce must run in ANOTHER process (or a worker thread): the shim's wasi:http is
// synchronous and blocks this thread in Atomics.wait while a request is in flight, so a server
// on this thread would never answer (docs/toolchain.md G9).
//
// Every step is asserted here; on success one JSON line (the report) goes to stdout and the
// exit code is 0. Any failed assertion or unexpected error exits non-zero with the reason on
// stderr. The Rust test (tests/integration/hosts_node.rs) checks the report against the mock's own state.

import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

const [modulePath, mockUrl, token] = process.argv.slice(2);
if (!modulePath || !mockUrl || !token) {
  console.error('usage: node drive.mjs <transpiled sfbulk.js> <mock url> <access token>');
  process.exit(2);
}

const t0 = performance.now();
const { bulk } = await import(pathToFileURL(modulePath).href);
const loadMs = performance.now() - t0;

const config = { apiVersion: '59.0', accessToken: token, apiUrl: mockUrl };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `f`, which must throw the component's error record; returns that record. */
function thrown(f) {
  try {
    const value = f();
    assert.fail(`expected a thrown error, got ${JSON.stringify(value, bigints)}`);
  } catch (e) {
    assert.ok(e instanceof Error, `a thrown Error, got ${e}`);
    assert.ok('payload' in e, `the error carries the WIT error record as .payload: ${e.stack}`);
    return e.payload;
  }
}

/** JSON.stringify replacer: u64 fields arrive as BigInt. */
function bigints(_key, value) {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Polls a batch until it has finished (10 s at most). */
async function waitBatch(jobId, batchId) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = bulk.getBatchStatus(config, jobId, batchId);
    if (['completed', 'failed', 'not-processed'].includes(info.state.tag)) return info;
    assert.ok(Date.now() < deadline, `batch ${batchId} still ${info.state.tag}`);
    await sleep(10);
  }
}

const report = {};
const t1 = performance.now();

// init: validates the config, sends nothing.
report.init = bulk.init(config);
assert.equal(report.init, `${mockUrl}/services/async/59.0`);

// An ingest job: create, add a CSV batch, close, wait, read the per-record results.
const job = bulk.createJob(config, {
  operation: { tag: 'insert' },
  object: 'Contact',
  contentType: { tag: 'csv' },
});
assert.equal(job.id.length, 18);
assert.deepEqual(job.state, { tag: 'open' });
assert.deepEqual(job.operation, { tag: 'insert' });
assert.deepEqual(job.contentType, { tag: 'csv' });
assert.equal(job.object, 'Contact');
assert.equal(typeof job.numberRecordsProcessed, 'bigint');

const csv = 'FirstName,LastName\nAda,Lovelace\nNo,\nÉmile,Zola\n';
const batch = bulk.addBatch(config, job.id, {
  tag: 'raw',
  val: { mediaType: 'text/csv', data: new TextEncoder().encode(csv) },
});
assert.equal(batch.jobId, job.id);
assert.deepEqual(batch.state, { tag: 'queued' });

const stored = bulk.getBatchRequest(config, job.id, batch.id);
assert.ok(stored instanceof Uint8Array);
assert.equal(new TextDecoder().decode(stored), csv, 'get-batch-request returns the exact bytes');

const closed = bulk.updateJob(config, job.id, 'closed');
assert.deepEqual(closed.state, { tag: 'closed' });

const done = await waitBatch(job.id, batch.id);
assert.deepEqual(done.state, { tag: 'completed' });
assert.equal(done.numberRecordsProcessed, 3n);
assert.equal(done.numberRecordsFailed, 1n);

const results = bulk.getBatchResults(config, job.id, batch.id);
assert.equal(results.tag, 'ingest');
assert.equal(results.val.length, 3);
assert.ok(results.val[0].success && results.val[0].created);
assert.match(results.val[0].id, /^003/);
assert.equal(results.val[1].success, false);
assert.equal(results.val[1].id, undefined);
assert.equal(results.val[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
assert.deepEqual(results.val[1].errors[0].fields, ['LastName']);
assert.ok(results.val[2].success);

const batches = bulk.listBatches(config, job.id);
assert.deepEqual(batches.map((b) => b.id), [batch.id]);

const info = bulk.getJob(config, job.id);
assert.equal(info.numberBatchesCompleted, 1);
assert.equal(info.numberRecordsProcessed, 3n);
assert.equal(info.numberRecordsFailed, 1n);

report.ingest = {
  jobId: job.id,
  batchId: batch.id,
  ids: results.val.map((r) => r.id ?? null),
  errors: results.val.map((r) => r.errors.map((e) => e.statusCode)),
};

// A query job: the rows just inserted come back as a CSV result file.
const qjob = bulk.createJob(config, {
  operation: { tag: 'query' },
  object: 'Contact',
  contentType: { tag: 'csv' },
});
const qbatch = bulk.addBatch(config, qjob.id, {
  tag: 'query',
  val: 'SELECT Id, LastName FROM Contact ORDER BY LastName',
});
const qdone = await waitBatch(qjob.id, qbatch.id);
assert.deepEqual(qdone.state, { tag: 'completed' });
const qresults = bulk.getBatchResults(config, qjob.id, qbatch.id);
assert.equal(qresults.tag, 'query');
assert.equal(qresults.val.length, 1);
const file = new TextDecoder().decode(
  bulk.getBulkQueryResults(config, qjob.id, qbatch.id, qresults.val[0]),
);
const lines = file.trim().split(/\r?\n/);
assert.equal(lines[0], '"Id","LastName"');
assert.deepEqual(
  lines.slice(1).map((l) => l.split(',')[1]),
  ['"Lovelace"', '"Zola"'],
);

// The same file through the result-reader resource, in 16-byte pieces.
const reader = bulk.openQueryResult(config, qjob.id, qbatch.id, qresults.val[0]);
let streamed = '';
let pieces = 0;
for (;;) {
  const piece = reader.read(16);
  if (piece.length === 0) break;
  assert.ok(piece.length <= 16);
  streamed += new TextDecoder().decode(piece, { stream: true });
  pieces += 1;
}
reader[Symbol.dispose]?.();
assert.equal(streamed, file);
assert.ok(pieces > 1);

report.query = { jobId: qjob.id, batchId: qbatch.id, resultId: qresults.val[0], file, pieces };

// Errors arrive as thrown errors carrying the WIT error record.
const unknownJob = thrown(() => bulk.getJob(config, '750000000000000AAA'));
assert.equal(unknownJob.kind, 'api');
assert.equal(unknownJob.httpStatus, 400);
assert.equal(unknownJob.code, 'InvalidJob');
assert.match(unknownJob.message, /^InvalidJob: /);

const badId = thrown(() => bulk.getJob(config, 'not an id'));
assert.equal(badId.kind, 'invalid-input');
assert.match(badId.message, /^invalid input: /);

const badUpsert = thrown(() =>
  bulk.createJob(config, { operation: { tag: 'upsert' }, object: 'Contact' }),
);
assert.equal(badUpsert.kind, 'invalid-input');

const expired = thrown(() => bulk.getJob({ ...config, accessToken: 'wrong-token' }, job.id));
assert.equal(expired.kind, 'session-expired');

const refused = thrown(() => bulk.getJob({ ...config, apiUrl: 'http://127.0.0.1:9' }, job.id));
assert.equal(refused.kind, 'transport');

report.errors = { unknownJob, badId, badUpsert, expired, refused };

// A batch body far larger than the shim's request buffer (about 32 KiB before the request is
// sent): the component writes what the shim takes, hands the request over and streams the rest
// (docs/toolchain.md, G7). Waiting for room before sending hung here.
const bigJob = bulk.createJob(config, {
  operation: { tag: 'insert' },
  object: 'Account',
  contentType: { tag: 'csv' },
});
let big = 'Name\n';
for (let i = 0; big.length < 200_000; i++) big += `Account number ${i} of the big batch\n`;
const bigRows = big.split('\n').length - 2;
const bigBatch = bulk.addBatch(config, bigJob.id, {
  tag: 'raw',
  val: { mediaType: 'text/csv', data: new TextEncoder().encode(big) },
});
bulk.updateJob(config, bigJob.id, 'closed');
const bigDone = await waitBatch(bigJob.id, bigBatch.id);
assert.deepEqual(bigDone.state, { tag: 'completed' });
assert.equal(bigDone.numberRecordsProcessed, BigInt(bigRows));
report.bigBatch = { bytes: big.length, rows: bigRows };
report.timing = { loadMs: Math.round(loadMs), callsMs: Math.round(performance.now() - t1) };

console.log(JSON.stringify(report, bigints));
