// Whole jobs over the component's resources: a load from a file or a stream (Bulk API 2.0:
// ingest-load, wait-for-jobs, ingest-join; 1.0: csv-load, wait-for-batches, result-join) and a
// query to a file or as CSV chunks (2.0: query-stream by locator; 1.0: query-stream of every
// batch). Every component call runs in the worker; here only files are read and written.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { handOver } from './client.js';
import { StillRunningError } from './gen/errors.js';
import type * as b1 from './gen/bulk.js';
import type * as b2 from './gen/bulk2.js';

/** Bytes per read of the input, per write to the worker and per read of a query stream. */
export const CHUNK = 1 << 20;

/** Where a load or a query is. */
export type Progress =
  | { stage: 'upload'; bytes: number; jobs: number }
  | { stage: 'wait'; done: number; of: number }
  | { stage: 'join'; bytes: number }
  | { stage: 'read'; jobId: string; bytes: number }
  | { stage: 'done' };

export interface LoadOptions {
  /** The sObject, e.g. `Account`. */
  object: string;
  /** Default `insert`. */
  operation?: b1.Operation;
  /** The CSV input (header first): a file… */
  file?: string;
  /** …or a stream (a Node `Readable`, or any async iterable of bytes or strings). */
  stream?: AsyncIterable<Uint8Array | string>;
  /**
   * Where to write the input again with each row's result (`sf__Id`, `sf__Success`,
   * `sf__Created`, `sf__Error`), in input order. Without it only the counts are read.
   */
  results?: string;
  /** Bulk API 2.0 (default) or 1.0. */
  bulkApi?: 1 | 2;
  /** Required for upsert. */
  externalIdFieldName?: string;
  /** Of the input; default LF. */
  lineEnding?: b1.LineEnding;
  /** Of the input (2.0 only); default comma. */
  columnDelimiter?: b2.ColumnDelimiter;
  assignmentRuleId?: string;
  /** 2.0: bytes per job's upload (default 100,000,000). */
  maxJobBytes?: number;
  /** 1.0: batch limits (default Salesforce's maximum: 10,000 records, 10 MB). */
  split?: b1.SplitOptions;
  /** How to wait for the jobs (default 100 ms doubling to 5 s, no deadline). */
  wait?: b1.WaitOptions;
  onProgress?: (p: Progress) => void;
}

export interface LoadSummary {
  bulkApi: 1 | 2;
  /** The jobs that loaded the rows, in input order. */
  jobIds: string[];
  /** Input records. */
  records: number;
  succeeded: number;
  failed: number;
  /** Records never processed (their job failed or was aborted). */
  unprocessed: number;
  /** The joined results file, when `results` was given. */
  results?: string;
}

export interface QueryOptions {
  /** Bulk API 2.0 (default) or 1.0. */
  bulkApi?: 1 | 2;
  /** `queryAll`: deleted and archived records too. */
  all?: boolean;
  /** 1.0: the sObject (default: the one after FROM). */
  object?: string;
  /** 1.0: PK chunking. */
  pkChunking?: b1.PkChunking;
  /** 2.0: rows per page (default 100,000). */
  maxRecords?: number;
  /** How to wait for the job (default 100 ms doubling to 5 s, no deadline). */
  wait?: b1.WaitOptions;
  onProgress?: (p: Progress) => void;
}

export interface QuerySummary {
  jobId: string;
  /** Data rows (the header not counted). */
  records: number;
  /** Bytes of CSV. */
  bytes: number;
  /** The file written, for `query`. */
  output?: string;
}

export interface Apis {
  bulk: b1.Api;
  bulk2: b2.Api;
}

const DEFAULT_WAIT: b1.WaitOptions = { firstIntervalMs: 100, maxIntervalMs: 5000 };

/** The input in chunks of CHUNK bytes (fresh buffers, so that they can move to the worker). */
async function* chunks(opts: { file?: string; stream?: AsyncIterable<Uint8Array | string> }): AsyncGenerator<Uint8Array> {
  if (opts.file !== undefined) {
    const fh = await open(opts.file, 'r');
    try {
      for (;;) {
        const buf = new Uint8Array(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) return;
        yield handOver(bytesRead === CHUNK ? buf : buf.slice(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
  } else if (opts.stream !== undefined) {
    for await (const c of opts.stream) yield typeof c === 'string' ? new TextEncoder().encode(c) : c;
  } else {
    throw new TypeError('load: expected a file or a stream, came neither');
  }
}

/** A file written beside its target and renamed over it only when complete. */
class AtomicFile {
  readonly #tmp: string;
  readonly #out: WriteStream;
  constructor(readonly target: string) {
    this.#tmp = join(dirname(target), `.${target.split('/').pop()}.${process.pid}.part`);
    this.#out = createWriteStream(this.#tmp);
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    if (!this.#out.write(bytes)) await new Promise<void>((r) => this.#out.once('drain', () => r()));
  }
  async commit(): Promise<void> {
    await new Promise<void>((res, rej) => this.#out.end((e?: Error | null) => (e ? rej(e) : res())));
    await rename(this.#tmp, this.target);
  }
  async discard(): Promise<void> {
    this.#out.destroy();
    await rm(this.#tmp, { force: true });
  }
  /** Fails early (before anything is sent) when the file cannot be made. */
  opened(): Promise<void> {
    return new Promise((res, rej) => {
      if (this.#out.pending === false) res();
      this.#out.once('ready', () => res());
      this.#out.once('error', rej);
    });
  }
}

/** Streams the input into a loader (2.0 `ingest-load` or 1.0 `csv-load`), keeping a copy in
 * `spool` when given, and closes it; what the loader sent (jobs or batches). */
async function upload<R>(
  loader: { write(c: Uint8Array): Promise<R[]>; finish(): Promise<R[]>; close(): Promise<void> },
  input: { file?: string; stream?: AsyncIterable<Uint8Array | string> },
  spool: FileHandle | undefined,
  progress: ((p: Progress) => void) | undefined,
): Promise<R[]> {
  const refs: R[] = [];
  let bytes = 0;
  try {
    for await (const chunk of chunks(input)) {
      bytes += chunk.length;
      await spool?.write(chunk);
      refs.push(...(await loader.write(chunk)));
      progress?.({ stage: 'upload', bytes, jobs: refs.length });
    }
    refs.push(...(await loader.finish()));
  } finally {
    await loader.close();
  }
  return refs;
}

/** Streams the input through a result joiner (2.0 or 1.0) into `out`. */
async function joinInto(
  join: { push(c: Uint8Array): Promise<Uint8Array>; finish(): Promise<Uint8Array> },
  input: { file?: string; stream?: AsyncIterable<Uint8Array | string> },
  out: AtomicFile,
  progress: ((p: Progress) => void) | undefined,
): Promise<void> {
  let joined = 0;
  for await (const chunk of chunks(input)) {
    const piece = await join.push(chunk);
    joined += piece.length;
    await out.write(piece);
    progress?.({ stage: 'join', bytes: joined });
  }
  await out.write(await join.finish());
}

/** Waits in rounds of a second (progress between them) until every job is done. `done` counts
 * what is finished (a `still-running` error names it only in its message); it is read only when
 * progress is asked for. */
async function waitRounds<T>(
  of: number,
  wait: b1.WaitOptions,
  round: (w: b1.WaitOptions) => Promise<T>,
  done: () => Promise<number>,
  onProgress?: (p: Progress) => void,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const left = wait.timeoutMs === undefined ? undefined : Math.max(0, wait.timeoutMs - (Date.now() - start));
    try {
      return await round({ ...wait, timeoutMs: left === undefined ? 1000 : Math.min(left, 1000) });
    } catch (e) {
      if (!(e instanceof StillRunningError) || (left !== undefined && left <= 1000)) throw e;
      if (onProgress) onProgress({ stage: 'wait', done: await done(), of });
    }
  }
}

export async function load(apis: Apis, opts: LoadOptions): Promise<LoadSummary> {
  const bulkApi = opts.bulkApi ?? 2;
  const wait = { ...DEFAULT_WAIT, ...opts.wait };
  const progress = opts.onProgress;
  const results = opts.results === undefined ? undefined : new AtomicFile(opts.results);
  let spoolDir: string | undefined;
  let spool: FileHandle | undefined;
  try {
    await results?.opened();
    // A stream cannot be read twice: keep a copy for the join.
    if (results && opts.file === undefined) {
      spoolDir = await mkdtemp(join(tmpdir(), 'sfbulk-load-'));
      spool = await open(join(spoolDir, 'input.csv'), 'w');
    }
    let summary: LoadSummary;
    if (bulkApi === 2) {
      const request: b2.IngestRequest = {
        object: opts.object,
        operation: opts.operation ?? 'insert',
        externalIdFieldName: opts.externalIdFieldName,
        columnDelimiter: opts.columnDelimiter,
        lineEnding: opts.lineEnding,
        assignmentRuleId: opts.assignmentRuleId,
      };
      const loader = await apis.bulk2.startIngestLoad(request, opts.maxJobBytes);
      const refs: b2.IngestJobRef[] = await upload(loader, opts, spool, progress);
      const ids = refs.map((r) => r.jobId);
      const finished = async () => {
        let n = 0;
        for (const id of ids) {
          const s = (await apis.bulk2.getJobInfo('ingest', id)).state;
          if (s === 'job-complete' || s === 'failed' || s === 'aborted') n += 1;
        }
        return n;
      };
      const jobs = await waitRounds(ids.length, wait, (w) => apis.bulk2.waitForJobs('ingest', ids, w), finished, progress);
      if (results) {
        const join = await apis.bulk2.openIngestJoin(refs, opts.columnDelimiter);
        try {
          await joinInto(join, spool ? { file: join_(spoolDir) } : opts, results, progress);
          const c = await join.counts();
          summary = { bulkApi, jobIds: ids, ...c, results: results.target };
        } finally {
          await join.close();
        }
      } else {
        const records = refs.reduce((n, r) => n + r.records, 0);
        const processed = jobs.reduce((n, j) => n + j.numberRecordsProcessed, 0);
        const failed = jobs.reduce((n, j) => n + j.numberRecordsFailed, 0);
        summary = { bulkApi, jobIds: ids, records, succeeded: processed - failed, failed, unprocessed: records - processed };
      }
    } else {
      const request: b1.JobRequest = {
        operation: opts.operation ?? 'insert',
        object: opts.object,
        contentType: 'csv',
        externalIdFieldName: opts.externalIdFieldName,
        assignmentRuleId: opts.assignmentRuleId,
        lineEnding: opts.lineEnding,
      };
      const loader = await apis.bulk.startCsvLoad(request, opts.split);
      let jobId: string;
      try {
        jobId = await loader.jobId();
      } catch (e) {
        await loader.close();
        throw e;
      }
      const refs: b1.BatchRef[] = await upload(loader, opts, spool, progress);
      const ids = refs.map((r) => r.batchId);
      const finished = async () =>
        (await apis.bulk.listBatches(jobId)).filter(
          (b) => ids.includes(b.id) && (b.state === 'completed' || b.state === 'failed' || b.state === 'not-processed'),
        ).length;
      const batches = await waitRounds(ids.length, wait, (w) => apis.bulk.waitForBatches(jobId, ids, w), finished, progress);
      if (results) {
        const join = await apis.bulk.openResultJoin(jobId, refs);
        try {
          await joinInto(join, spool ? { file: join_(spoolDir) } : opts, results, progress);
          const c = await join.counts();
          summary = { bulkApi, jobIds: [jobId], ...c, unprocessed: c.records - c.succeeded - c.failed, results: results.target };
        } finally {
          await join.close();
        }
      } else {
        const records = refs.reduce((n, r) => n + r.records, 0);
        const processed = batches.reduce((n, b) => n + b.numberRecordsProcessed, 0);
        const failed = batches.reduce((n, b) => n + b.numberRecordsFailed, 0);
        summary = { bulkApi, jobIds: [jobId], records, succeeded: processed - failed, failed, unprocessed: records - processed };
      }
    }
    await results?.commit();
    progress?.({ stage: 'done' });
    return summary;
  } catch (e) {
    await results?.discard();
    throw e;
  } finally {
    await spool?.close();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}

function join_(dir: string | undefined): string {
  return join(dir ?? '.', 'input.csv');
}

/** The sObject after FROM, for a 1.0 query job. */
function soqlObject(soql: string): string | undefined {
  return /\bfrom\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(soql)?.[1];
}

/** A query's CSV in chunks: one header, every row. Returns the summary when done. */
export async function* queryChunks(apis: Apis, soql: string, opts: QueryOptions = {}): AsyncGenerator<Uint8Array, QuerySummary, undefined> {
  const wait = { ...DEFAULT_WAIT, ...opts.wait };
  let jobId: string;
  let stream: b1.QueryStream | b2.QueryStream;
  let v1 = false;
  if ((opts.bulkApi ?? 2) === 2) {
    const job = await apis.bulk2.createQueryJob({ query: soql, operation: opts.all ? 'query-all' : 'query' });
    jobId = job.id;
    stream = await apis.bulk2.openQueryJobStream(jobId, undefined, wait, opts.maxRecords);
  } else {
    v1 = true;
    const object = opts.object ?? soqlObject(soql);
    if (object === undefined) throw new TypeError('query: expected FROM <object> in the SOQL or an object option, came neither');
    const job = await apis.bulk.createJob({ operation: opts.all ? 'query-all' : 'query', object, contentType: 'csv', pkChunking: opts.pkChunking });
    jobId = job.id;
    try {
      await apis.bulk.addBatch(jobId, { tag: 'query', val: soql });
    } catch (e) {
      await apis.bulk.updateJob(jobId, 'closed').catch(() => {});
      throw e;
    }
    stream = await apis.bulk.openQueryStream(jobId, [], wait);
  }
  let bytes = 0;
  let pending: Promise<Uint8Array> | undefined = stream.read(CHUNK);
  try {
    for (;;) {
      const chunk: Uint8Array = await pending;
      pending = undefined;
      if (chunk.length === 0) break;
      bytes += chunk.length;
      // The next read runs in the worker while the caller takes this chunk.
      pending = stream.read(CHUNK);
      opts.onProgress?.({ stage: 'read', jobId, bytes });
      yield chunk;
    }
    const position = await stream.position();
    if (v1) {
      const job = await apis.bulk.getJob(jobId);
      if (job.state === 'open') await apis.bulk.updateJob(jobId, 'closed');
    }
    opts.onProgress?.({ stage: 'done' });
    return { jobId, records: position.rows, bytes };
  } finally {
    await pending?.catch(() => {});
    await stream.close();
  }
}

/** A query into a file (written beside it and renamed when complete). */
export async function queryToFile(apis: Apis, soql: string, output: string, opts: QueryOptions = {}): Promise<QuerySummary> {
  const out = new AtomicFile(output);
  try {
    await out.opened();
    const it = queryChunks(apis, soql, opts);
    let r = await it.next();
    while (!r.done) {
      await out.write(r.value);
      r = await it.next();
    }
    await out.commit();
    return { ...r.value, output };
  } catch (e) {
    await out.discard();
    throw e;
  }
}
