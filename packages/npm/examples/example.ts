// The package as a user sees it: loads and queries against the org (or the mock) named by
// SF_API_URL and SF_ACCESS_TOKEN, in the folder given as the first argument. Prints one JSON
// report line. tests/integration/packages_npm.rs type-checks it (tsc --noEmit, strict) in a
// fresh project that installed the packed tarball, runs it against the mock and checks the
// report against the mock's own state.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ApiError, InvalidInputError, Sfbulk, SfbulkError, type bulk2, type Config, type Progress } from 'sfbulk';

const dir = process.argv[2] ?? '.';
const config: Config = {
  apiVersion: '62.0',
  apiUrl: process.env.SF_API_URL ?? '',
  accessToken: process.env.SF_ACCESS_TOKEN ?? '',
};
const sf = new Sfbulk(config);

// 1. Bulk API 2.0: 2,500 contacts from a file, one without the required LastName, values with
//    a comma, a quote, a line break and non-ASCII; every row's result joined to the input.
const rows = ['FirstName,LastName,Description'];
for (let i = 1; i <= 2500; i++) {
  rows.push(i === 1000 ? 'No,,missing last name' : `Émile ${i},"Zola, ""${i}""","line one\nline two"`);
}
const input = join(dir, 'contacts.csv');
writeFileSync(input, rows.join('\n') + '\n');
const stages = new Set<Progress['stage']>();
const loaded = await sf.load({
  object: 'Contact',
  file: input,
  results: join(dir, 'contacts.results.csv'),
  onProgress: (p) => stages.add(p.stage),
});
const results = readFileSync(join(dir, 'contacts.results.csv'), 'utf8');

// 2. Bulk API 1.0: three contacts from a Node stream.
const streamed = await sf.load({
  object: 'Contact',
  bulkApi: 1,
  stream: Readable.from(['FirstName,LastName\n', 'Ada,Lovelace\n', 'Grace,Hopper\n', 'Alan,Turing\n']),
  results: join(dir, 'streamed.results.csv'),
});

// 3. A query into a file (2.0), and the same query as CSV chunks (1.0).
const queried = await sf.query('SELECT Id, LastName FROM Contact', join(dir, 'contacts.out.csv'));
// (No value of these two fields holds a line break: rows are lines, less the header.)
let chunkRows = -1;
for await (const chunk of sf.queryChunks('SELECT Id, LastName FROM Contact', { bulkApi: 1 })) {
  chunkRows += chunk.filter((b) => b === 0x0a).length;
}

// 4. One operation, typed, and errors by case.
const info: bulk2.JobInfo = await sf.bulk2.getJobInfo('ingest', loaded.jobIds[0] ?? '');
const state: bulk2.JobState | undefined = info.state;
let apiError: { case: string; code: string | undefined } | null = null;
try {
  await sf.bulk.getJob('750000000000000AAA');
} catch (e) {
  if (e instanceof ApiError) apiError = { case: e.case, code: e.detail.code };
}
let invalid: string | null = null;
try {
  await sf.bulk2.createIngestJob({ object: 'Contact', operation: 'upsert' });
} catch (e) {
  if (e instanceof InvalidInputError && e instanceof SfbulkError) invalid = e.case;
}
await sf.close();

console.log(
  JSON.stringify({
    loaded,
    stages: [...stages],
    resultLines: results.trimEnd().split('\n').length,
    resultIds: [...results.matchAll(/\b003[0-9A-Za-z]{15}\b/g)].map((m) => m[0]),
    streamed,
    queried,
    chunkRows,
    state,
    processed: info.numberRecordsProcessed,
    apiError,
    invalid,
  }),
);
