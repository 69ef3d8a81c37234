// sfbulk for Node: the Salesforce Bulk API 1.0 and 2.0 through the sfbulk WebAssembly
// component, run in a worker thread so that no call blocks the event loop.

import { api, Channel } from './client.js';
import type * as bulk from './gen/bulk.js';
import type * as bulk2 from './gen/bulk2.js';
import { load, queryChunks, queryToFile, type Apis, type LoadOptions, type LoadSummary, type QueryOptions, type QuerySummary } from './jobs.js';

export type * as bulk from './gen/bulk.js';
export type * as bulk2 from './gen/bulk2.js';
export type { Config } from './gen/bulk.js';
export { SfbulkError, SfbulkTrapError } from './error.js';
export * from './gen/errors.js';
export type { LoadOptions, LoadSummary, Progress, QueryOptions, QuerySummary } from './jobs.js';

/**
 * A connection to one org: a worker thread holding one instance of the component, and so one
 * set of sessions (a renewed token is kept for the next call). Every method returns a Promise.
 *
 * ```ts
 * const sf = new Sfbulk({ apiVersion: '62.0', apiUrl: 'https://acme.my.salesforce.com', accessToken });
 * const job = await sf.bulk2.createIngestJob({ object: 'Account', operation: 'insert' });
 * ```
 *
 * The worker starts on the first call and does not keep the process alive while idle;
 * `close()` ends it.
 */
export class Sfbulk {
  /** Bulk API 1.0: every operation of the `bulk` interface, `config` bound. */
  readonly bulk: bulk.Api;
  /** Bulk API 2.0: every operation of the `bulk2` interface, `config` bound. */
  readonly bulk2: bulk2.Api;
  readonly #channel = new Channel();
  readonly #config: bulk.Config;

  constructor(config: bulk.Config) {
    this.#config = { ...config };
    this.bulk = api(this.#channel, 'bulk', () => this.#config) as unknown as bulk.Api;
    this.bulk2 = api(this.#channel, 'bulk2', () => this.#config) as unknown as bulk2.Api;
  }

  get #apis(): Apis {
    return { bulk: this.bulk, bulk2: this.bulk2 };
  }

  /**
   * Loads a CSV file or stream of any size (Bulk API 2.0 by default: as many ingest jobs as it
   * needs), waits for the jobs, and with `results` writes every input row with its result.
   */
  load(options: LoadOptions): Promise<LoadSummary> {
    return load(this.#apis, options);
  }

  /** Runs a query and writes every row into `output` as one CSV (renamed into place when complete). */
  query(soql: string, output: string, options?: QueryOptions): Promise<QuerySummary> {
    return queryToFile(this.#apis, soql, output, options);
  }

  /**
   * Runs a query and yields its CSV in chunks (about 1 MiB each; one header first). The
   * generator's return value is the summary; leaving the loop early stops reading.
   */
  queryChunks(soql: string, options?: QueryOptions): AsyncGenerator<Uint8Array, QuerySummary, undefined> {
    return queryChunks(this.#apis, soql, options);
  }

  /** Ends the worker thread; the client cannot be used after it. */
  close(): Promise<void> {
    return this.#channel.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
