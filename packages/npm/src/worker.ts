// The worker thread that holds the component instance. The component's calls are synchronous
// (jco's wasi:http shim blocks its thread while a request is in flight), so they run here and
// never on the caller's event loop. One message in, one reply out, in order.

import { parentPort } from 'node:worker_threads';
import { Converter, type Handles } from './convert.js';
import { camel, type Func } from './schema.js';
import { schema } from './gen/schema.js';

export type Request =
  | { id: number; op: 'call'; iface: string; func: string; args: unknown[] }
  | { id: number; op: 'method'; handle: number; method: string; args: unknown[] }
  | { id: number; op: 'drop'; handle: number };

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { case: string; detail: unknown } }
  | { id: number; ok: false; fault: { name: string; message: string } };

type Fn = (...args: unknown[]) => unknown;

const port = parentPort;
if (port === null) throw new Error('sfbulk: worker.js runs only as a worker thread');

const component = (await import(new URL('./component/sfbulk.js', import.meta.url).href)) as Record<string, Record<string, Fn>>;
const convert = new Converter(schema);

const resources = new Map<number, { iface: string; kind: string; value: Record<string, Fn> }>();
let nextHandle = 1;
function handlesOf(iface: string): Handles {
  return {
    add(kind, value) {
      const handle = nextHandle++;
      resources.set(handle, { iface, kind, value: value as Record<string, Fn> });
      return { $resource: kind, $handle: handle };
    },
  };
}

function invoke(iface: string, f: Func, target: Fn, self: unknown, args: unknown[]): unknown {
  const lowered = f.params.map((p, i) => convert.lower(iface, p.type, args[i], p.name));
  const ret = target.apply(self, lowered);
  if (f.result === null) return undefined;
  const ok = typeof f.result === 'object' && 'result' in f.result ? f.result.result[0] : f.result;
  return ok === null ? undefined : convert.lift(iface, ok, ret, handlesOf(iface));
}

/** The `err` type of a function's result, to lift a thrown payload with. */
function errType(f: Func) {
  return typeof f.result === 'object' && f.result !== null && 'result' in f.result ? f.result.result[1] : null;
}

function handle(msg: Request): Reply {
  let iface = '';
  let f: Func | undefined;
  try {
    if (msg.op === 'drop') {
      const r = resources.get(msg.handle);
      resources.delete(msg.handle);
      (r?.value as { [Symbol.dispose]?: () => void } | undefined)?.[Symbol.dispose]?.();
      return { id: msg.id, ok: true, value: undefined };
    }
    if (msg.op === 'call') {
      iface = msg.iface;
      f = convert.iface(iface).funcs.find((x) => x.name === msg.func);
      const target = component[iface]?.[camel(msg.func)];
      if (f === undefined || target === undefined) throw new TypeError(`no operation ${msg.func} in ${iface}`);
      return { id: msg.id, ok: true, value: invoke(iface, f, target, component[iface], msg.args) };
    }
    const r = resources.get(msg.handle);
    if (r === undefined) throw new TypeError(`${msg.method}: the resource was closed`);
    iface = r.iface;
    const [, def] = convert.resolve(r.iface, r.kind);
    f = def.kind === 'resource' ? def.methods.find((m) => m.name === msg.method) : undefined;
    const target = r.value[camel(msg.method)];
    if (f === undefined || target === undefined) throw new TypeError(`no method ${msg.method} on ${r.kind}`);
    return { id: msg.id, ok: true, value: invoke(iface, f, target, r.value, msg.args) };
  } catch (e) {
    const err = f ? errType(f) : null;
    if (err !== null && e instanceof Error && 'payload' in e) {
      const v = convert.lift(iface, err, e.payload, handlesOf(iface)) as { kind: string };
      return { id: msg.id, ok: false, error: { case: v.kind, detail: v } };
    }
    const name = e instanceof Error ? e.name : 'Error';
    const message = e instanceof Error ? e.message : String(e);
    return { id: msg.id, ok: false, fault: { name, message } };
  }
}

port.on('message', (msg: Request) => {
  const reply = handle(msg);
  const value = reply.ok ? reply.value : undefined;
  // Bytes that own their buffer move to the caller instead of being copied.
  const transfer = value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer ? [value.buffer] : [];
  port.postMessage(reply, transfer);
});
port.postMessage({ id: 0, ok: true, value: 'ready' });
