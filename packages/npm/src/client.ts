// The client: one worker thread holding one component instance (and so its sessions), and the
// operations of every WIT interface as async functions with the config bound.

import { Worker } from 'node:worker_threads';
import { SfbulkError, SfbulkTrapError } from './error.js';
import { errorClasses } from './gen/errors.js';
import { schema } from './gen/schema.js';
import { camel } from './schema.js';
import type { Reply, Request } from './worker.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; what: string };
type Call = { op: 'call'; iface: string; func: string; args: unknown[] } | { op: 'method'; handle: number; method: string; args: unknown[] } | { op: 'drop'; handle: number };

/** One worker thread and the component instance in it, started on the first call. */
export class Channel {
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #pending = new Map<number, Pending>();
  #next = 1;
  #closed = false;
  /** Incremented when a worker is replaced: handles of an older one are dead. */
  generation = 0;
  readonly #drops = new FinalizationRegistry<{ handle: number; generation: number }>((h) => {
    if (h.generation === this.generation && this.#worker) void this.send({ op: 'drop', handle: h.handle }, []).catch(() => {});
  });

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: Reply) => {
        worker.off('error', reject);
        if (m.id === 0 && m.ok) resolve();
        else reject(new Error('sfbulk: the worker did not start'));
      });
    });
    this.#ready
      .then(() => {
        worker.on('message', (m: Reply) => this.#reply(m));
        worker.on('error', (e) => this.#fail(e));
        worker.on('exit', (code) => this.#fail(new Error(`sfbulk: the worker exited (code ${code})`)));
      })
      .catch(() => {});
    return this.#ready;
  }

  #reply(m: Reply): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (m.ok) p.resolve(m.value);
    else if ('error' in m) {
      const Cls = errorClasses[m.error.case];
      p.reject(Cls ? new Cls(m.error.detail as never, p.what) : new SfbulkError(m.error.case, m.error.detail, p.what));
    } else if (m.fault.name === 'TypeError') {
      p.reject(new TypeError(`${p.what}: ${m.fault.message}`));
    } else {
      // A trap: the instance is unusable. Replace the worker on the next call.
      p.reject(new SfbulkTrapError(`${m.fault.name}: ${m.fault.message}`, p.what));
      this.#reset();
    }
  }

  #fail(e: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#reset();
    for (const p of pending) p.reject(new SfbulkTrapError(e instanceof Error ? e.message : String(e), p.what));
  }

  #reset(): void {
    const w = this.#worker;
    this.#worker = null;
    this.#ready = null;
    this.generation += 1;
    if (w) {
      w.removeAllListeners();
      w.on('error', () => {});
      void w.terminate();
    }
  }

  async send(call: Call, transfer: ArrayBuffer[], what = ''): Promise<unknown> {
    if (this.#closed) throw new Error(`sfbulk: ${what || call.op}: the client is closed`);
    await this.#start();
    const worker = this.#worker;
    if (worker === null) throw new Error(`sfbulk: ${what}: the worker is gone`);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, what });
      worker.ref();
      worker.postMessage({ id, ...call } as Request, transfer);
    });
  }

  track(proxy: object, handle: number): void {
    this.#drops.register(proxy, { handle, generation: this.generation });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }
}

/** Wraps a resource handle from the worker as an object of async methods. */
function resourceProxy(channel: Channel, iface: string, kind: string, handle: number): object {
  let [home, def] = [iface, schema.interfaces[iface]?.types[kind]];
  if (def?.kind === 'use') [home, def] = [def.from, schema.interfaces[def.from]?.types[kind]];
  const proxy: Record<string | symbol, unknown> = {};
  let closed = false;
  if (def?.kind === 'resource') {
    for (const m of def.methods) {
      proxy[camel(m.name)] = async (...args: unknown[]) => {
        if (closed) throw new Error(`sfbulk: ${kind}.${m.name}: the resource is closed`);
        return wrap(channel, home, await channel.send({ op: 'method', handle, method: m.name, args }, transferables(args), `${kind}.${m.name}`));
      };
    }
  }
  const close = async () => {
    if (closed) return;
    closed = true;
    await channel.send({ op: 'drop', handle }, []).catch(() => {});
  };
  proxy.close = close;
  proxy[Symbol.asyncDispose] = close;
  channel.track(proxy, handle);
  return proxy;
}

function wrap(channel: Channel, iface: string, v: unknown): unknown {
  if (typeof v === 'object' && v !== null && '$handle' in v && '$resource' in v) {
    const r = v as { $resource: string; $handle: number };
    return resourceProxy(channel, iface, r.$resource, r.$handle);
  }
  return v;
}

/** Buffers passed by the library itself (chunks it read) move to the worker instead of being copied. */
const owned = new WeakSet<ArrayBuffer>();
export function handOver(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) owned.add(bytes.buffer);
  return bytes;
}
function transferables(args: unknown[]): ArrayBuffer[] {
  return args.flatMap((a) => (a instanceof Uint8Array && a.buffer instanceof ArrayBuffer && owned.has(a.buffer) ? [a.buffer] : []));
}

/** The operations of one interface, `config` bound. */
export function api(channel: Channel, iface: string, config: () => unknown): Record<string, (...a: unknown[]) => Promise<unknown>> {
  const out: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const f of schema.interfaces[iface]?.funcs ?? []) {
    const bind = f.params[0]?.name === 'config';
    out[camel(f.name)] = async (...args: unknown[]) => {
      const all = bind ? [config(), ...args] : args;
      return wrap(channel, iface, await channel.send({ op: 'call', iface, func: f.name, args: all }, transferables(args), f.name));
    };
  }
  return out;
}
