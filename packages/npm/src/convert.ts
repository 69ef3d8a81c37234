// Plain JavaScript values <-> what jco's bindings take and give, driven by the WIT schema.
//
// In: records as objects with camelCase fields (unknown fields refused), variants by their
// shape (a string for enum-like ones, the primitive itself for `field-value`-like ones,
// { tag, val } otherwise), u64 as number or bigint, list<u8> as Uint8Array (or a string,
// sent as UTF-8). Out: the same shapes, u64 as number.

import { camel, type Iface, type Schema, type Type, type TypeDef } from './schema.js';

/** Resources given out by the worker, by handle. */
export interface Handles {
  add(kind: string, resource: object): { $resource: string; $handle: number };
}

export class Converter {
  constructor(private readonly schema: Schema) {}

  /** The definition of a named type, following `use`. */
  resolve(iface: string, name: string): [string, TypeDef] {
    const def = this.iface(iface).types[name];
    if (def === undefined) throw new TypeError(`wit: no type ${name} in ${iface}`);
    if (def.kind === 'use') return this.resolve(def.from, name);
    return [iface, def];
  }

  iface(name: string): Iface {
    const i = this.schema.interfaces[name];
    if (i === undefined) throw new TypeError(`wit: no interface ${name}`);
    return i;
  }

  lower(iface: string, t: Type, v: unknown, path: string): unknown {
    if (typeof t === 'string') return lowerPrim(t, v, path);
    if ('list' in t) {
      if (t.list === 'u8') {
        if (v instanceof Uint8Array) return v;
        if (typeof v === 'string') return new TextEncoder().encode(v);
        throw new TypeError(`${path}: expected a Uint8Array or a string, came ${what(v)}`);
      }
      if (!Array.isArray(v)) throw new TypeError(`${path}: expected an array, came ${what(v)}`);
      return v.map((e, i) => this.lower(iface, t.list, e, `${path}[${i}]`));
    }
    if ('option' in t) return v === undefined || v === null ? undefined : this.lower(iface, t.option, v, path);
    if ('result' in t) throw new TypeError(`${path}: a result cannot be passed in`);
    const [home, def] = this.resolve(iface, t.ref);
    switch (def.kind) {
      case 'record': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          throw new TypeError(`${path}: expected an object (${t.ref}), came ${what(v)}`);
        }
        const fields = new Map(def.fields.map((f) => [camel(f.name), f]));
        for (const k of Object.keys(v)) {
          if (!fields.has(k) && (v as Record<string, unknown>)[k] !== undefined) {
            throw new TypeError(`${path}: unknown field ${k} (expected one of ${[...fields.keys()].join(', ')})`);
          }
        }
        const out: Record<string, unknown> = {};
        for (const [k, f] of fields) {
          const fv = (v as Record<string, unknown>)[k];
          if (fv === undefined && !(typeof f.type === 'object' && 'option' in f.type)) {
            throw new TypeError(`${path}.${k}: expected a value, came nothing`);
          }
          out[k] = this.lower(home, f.type, fv, `${path}.${k}`);
        }
        return out;
      }
      case 'enum': {
        if (typeof v !== 'string' || !def.cases.some((c) => c.name === v)) {
          throw new TypeError(`${path}: expected one of ${def.cases.map((c) => `'${c.name}'`).join(', ')}, came ${what(v, true)}`);
        }
        return v;
      }
      case 'variant':
        return this.lowerVariant(home, t.ref, def, v, path);
      case 'alias':
        return this.lower(home, def.type, v, path);
      default:
        throw new TypeError(`${path}: a ${def.kind} cannot be passed in`);
    }
  }

  private lowerVariant(
    iface: string,
    name: string,
    def: Extract<TypeDef, { kind: 'variant' }>,
    v: unknown,
    path: string,
  ): unknown {
    const caseOf = (tag: unknown) => def.cases.find((c) => c.name === tag);
    if (typeof v === 'object' && v !== null && 'tag' in v) {
      const c = caseOf((v as { tag: unknown }).tag);
      if (c === undefined) {
        throw new TypeError(`${path}: expected a tag of ${name} (${def.cases.map((c) => c.name).join(', ')}), came ${what((v as { tag: unknown }).tag, true)}`);
      }
      if (c.type === null) return { tag: c.name };
      return { tag: c.name, val: this.lower(iface, c.type, (v as { val?: unknown }).val, `${path}.val`) };
    }
    if (def.shape === 'enum' && typeof v === 'string') {
      const c = caseOf(v);
      if (c !== undefined && c.type === null) return { tag: c.name };
      if (caseOf('other') !== undefined) return { tag: 'other', val: v };
    }
    if (def.shape === 'primitive') {
      if (v === null || v === undefined) {
        const c = def.cases.find((c) => c.type === null);
        if (c !== undefined) return { tag: c.name };
      } else {
        const c = def.cases.find((c) => c.type !== null && kindOf(c.type) === typeof v);
        if (c !== undefined && c.type !== null) return { tag: c.name, val: this.lower(iface, c.type, v, path) };
      }
    }
    const expected =
      def.shape === 'enum'
        ? def.cases.filter((c) => c.type === null).map((c) => `'${c.name}'`).join(', ')
        : def.shape === 'primitive'
          ? def.cases.map((c) => (c.type === null ? 'null' : kindOf(c.type))).join(', ')
          : `{ tag, val } with a tag of ${def.cases.map((c) => c.name).join(', ')}`;
    throw new TypeError(`${path}: expected ${expected} (${name}), came ${what(v, typeof v === 'string')}`);
  }

  lift(iface: string, t: Type, v: unknown, handles: Handles): unknown {
    if (typeof t === 'string') return typeof v === 'bigint' ? Number(v) : v;
    if ('list' in t) {
      if (t.list === 'u8') return v;
      return (v as unknown[]).map((e) => this.lift(iface, t.list, e, handles));
    }
    if ('option' in t) return v === undefined || v === null ? undefined : this.lift(iface, t.option, v, handles);
    if ('result' in t) {
      // A nested result (never at the top: jco throws the err of a returned result).
      const r = v as { tag: 'ok' | 'err'; val: unknown };
      const inner = r.tag === 'ok' ? t.result[0] : t.result[1];
      return { tag: r.tag, val: inner === null ? undefined : this.lift(iface, inner, r.val, handles) };
    }
    const [home, def] = this.resolve(iface, t.ref);
    switch (def.kind) {
      case 'record': {
        const out: Record<string, unknown> = {};
        for (const f of def.fields) {
          const k = camel(f.name);
          const fv = this.lift(home, f.type, (v as Record<string, unknown>)[k], handles);
          if (fv !== undefined) out[k] = fv;
        }
        return out;
      }
      case 'variant': {
        const { tag, val } = v as { tag: string; val?: unknown };
        const c = def.cases.find((c) => c.name === tag);
        const payload = c?.type ? this.lift(home, c.type, val, handles) : undefined;
        if (def.shape === 'enum') return tag === 'other' ? payload : tag;
        if (def.shape === 'primitive') return c?.type ? payload : null;
        return c?.type ? { tag, val: payload } : { tag };
      }
      case 'alias':
        return this.lift(home, def.type, v, handles);
      case 'resource':
        return handles.add(t.ref, v as object);
      default:
        return v;
    }
  }
}

function kindOf(t: Type): string | null {
  if (t === 'string' || t === 'char') return 'string';
  if (t === 'bool') return 'boolean';
  if (typeof t === 'string') return 'number';
  return null;
}

function lowerPrim(t: string, v: unknown, path: string): unknown {
  switch (t) {
    case 'string':
    case 'char':
      if (typeof v === 'string') return v;
      break;
    case 'bool':
      if (typeof v === 'boolean') return v;
      break;
    case 'f32':
    case 'f64':
      if (typeof v === 'number') return v;
      break;
    case 'u64':
    case 's64':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v) && (t === 's64' || v >= 0)) return v;
      break;
    default:
      if (typeof v === 'number' && Number.isInteger(v) && (t.startsWith('s') || v >= 0)) return v;
  }
  const expected = { string: 'a string', char: 'a string', bool: 'a boolean', f32: 'a number', f64: 'a number' }[t] ?? `an integer (${t})`;
  throw new TypeError(`${path}: expected ${expected}, came ${what(v)}`);
}

/** What a value is, for an error; its text only for `show` (names and tags, never data: a
 * config field may hold a secret). */
function what(v: unknown, show = false): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'string') return show ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : 'a string';
  if (typeof v === 'object') return 'an object';
  return show ? `${typeof v} ${String(v)}` : `a ${typeof v}`;
}
