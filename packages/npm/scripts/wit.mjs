// A reader of the WIT subset sfbulk's world uses (wit/world.wit): interfaces with `use`,
// records, variants, enums, resources with methods, and functions. It turns the file into a
// plain JSON schema that the build turns into TypeScript types and that the worker uses to
// lower plain JavaScript values into what jco's bindings expect.
//
// Schema: { interfaces: { NAME: { docs, types: { NAME: TypeDef }, funcs: [Func] } } }
//   TypeDef: { kind: 'record', docs, fields: [{ name, type, docs }] }
//          | { kind: 'variant', docs, cases: [{ name, type|null, docs }] }
//          | { kind: 'enum', docs, cases: [{ name, docs }] }
//          | { kind: 'resource', docs, methods: [Func] }
//          | { kind: 'use', from: INTERFACE }
//   Func: { name, docs, params: [{ name, type }], result: Type|null }
//   Type: 'string' | 'bool' | 'u8' … 'f64' | { list } | { option } | { result: [ok|null, err|null] }
//       | { ref: NAME } (a type of the same interface, `use`d ones included)

const PUNCT = new Set(['{', '}', '(', ')', '<', '>', ',', ':', ';', '.', '=', '@', '/', '_', '*']);

function tokenize(text) {
  const tokens = [];
  let docs = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (text.startsWith('///', i)) {
      const end = text.indexOf('\n', i);
      const line = text.slice(i + 3, end < 0 ? text.length : end);
      docs.push(line.startsWith(' ') ? line.slice(1) : line);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i);
      i = end < 0 ? text.length : end + 2;
    } else if (text.startsWith('->', i)) {
      tokens.push({ t: '->', docs: [] });
      i += 2;
    } else if (/[A-Za-z%]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9-]/.test(text[j])) j += 1;
      tokens.push({ t: text.slice(i, j).replace(/^%/, ''), id: true, docs });
      docs = [];
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z.+-]/.test(text[j])) j += 1;
      tokens.push({ t: text.slice(i, j), docs: [] });
      i = j;
    } else if (PUNCT.has(c)) {
      tokens.push({ t: c, docs: c === '_' ? [] : docs });
      if (c !== '_') docs = [];
      i += 1;
    } else {
      throw new Error(`wit: unexpected character ${JSON.stringify(c)} at offset ${i}`);
    }
  }
  return tokens;
}

export function parseWit(text) {
  const toks = tokenize(text);
  let p = 0;
  const peek = () => toks[p]?.t;
  const next = () => {
    if (p >= toks.length) throw new Error('wit: unexpected end of file');
    return toks[p++];
  };
  const expect = (t) => {
    const got = next();
    if (got.t !== t) throw new Error(`wit: expected ${JSON.stringify(t)}, came ${JSON.stringify(got.t)}`);
    return got;
  };
  const ident = () => {
    const got = next();
    if (!got.id) throw new Error(`wit: expected a name, came ${JSON.stringify(got.t)}`);
    return got;
  };
  const doc = (tok) => tok.docs.join('\n');

  function type() {
    const name = ident().t;
    if (name === 'list' || name === 'option') {
      expect('<');
      const inner = type();
      expect('>');
      return { [name]: inner };
    }
    if (name === 'result') {
      if (peek() !== '<') return { result: [null, null] };
      expect('<');
      let ok = null;
      if (peek() === '_') next();
      else ok = type();
      let err = null;
      if (peek() === ',') {
        next();
        err = type();
      }
      expect('>');
      return { result: [ok, err] };
    }
    if (name === 'tuple') throw new Error('wit: tuple is not supported by this reader');
    const prims = ['string', 'bool', 'char', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64'];
    return prims.includes(name) ? name : { ref: name };
  }

  function params() {
    expect('(');
    const out = [];
    while (peek() !== ')') {
      const name = ident().t;
      expect(':');
      out.push({ name, type: type() });
      if (peek() === ',') next();
    }
    expect(')');
    let result = null;
    if (peek() === '->') {
      next();
      result = type();
    }
    return { params: out, result };
  }

  function func(nameTok) {
    expect(':');
    expect('func');
    const f = { name: nameTok.t, docs: doc(nameTok), ...params() };
    expect(';');
    return f;
  }

  function block(item) {
    expect('{');
    const out = [];
    while (peek() !== '}') {
      out.push(item());
      if (peek() === ',') next();
    }
    expect('}');
    return out;
  }

  function iface(name) {
    const types = {};
    const funcs = [];
    expect('{');
    while (peek() !== '}') {
      const kw = ident();
      switch (kw.t) {
        case 'use': {
          const from = ident().t;
          expect('.');
          for (const n of block(() => ident().t)) types[n] = { kind: 'use', from };
          expect(';');
          break;
        }
        case 'record': {
          const n = ident().t;
          const fields = block(() => {
            const f = ident();
            expect(':');
            return { name: f.t, type: type(), docs: doc(f) };
          });
          types[n] = { kind: 'record', docs: doc(kw), fields };
          break;
        }
        case 'variant': {
          const n = ident().t;
          const cases = block(() => {
            const c = ident();
            let t = null;
            if (peek() === '(') {
              next();
              t = type();
              expect(')');
            }
            return { name: c.t, type: t, docs: doc(c) };
          });
          types[n] = { kind: 'variant', docs: doc(kw), cases };
          break;
        }
        case 'enum': {
          const n = ident().t;
          const cases = block(() => {
            const c = ident();
            return { name: c.t, docs: doc(c) };
          });
          types[n] = { kind: 'enum', docs: doc(kw), cases };
          break;
        }
        case 'resource': {
          const n = ident().t;
          const methods = [];
          if (peek() === '{') {
            next();
            while (peek() !== '}') methods.push(func(ident()));
            expect('}');
          } else {
            expect(';');
          }
          types[n] = { kind: 'resource', docs: doc(kw), methods };
          break;
        }
        case 'type': {
          const n = ident().t;
          expect('=');
          types[n] = { kind: 'alias', docs: doc(kw), type: type() };
          expect(';');
          break;
        }
        default:
          funcs.push(func(kw));
      }
    }
    expect('}');
    return { name, types, funcs };
  }

  const interfaces = {};
  let docsOfNext = '';
  while (p < toks.length) {
    const kw = ident();
    if (kw.t === 'package') {
      while (next().t !== ';');
    } else if (kw.t === 'interface') {
      const n = ident().t;
      docsOfNext = doc(kw);
      interfaces[n] = { docs: docsOfNext, ...iface(n) };
    } else if (kw.t === 'world') {
      ident();
      let depth = 0;
      do {
        const t = next().t;
        if (t === '{') depth += 1;
        if (t === '}') depth -= 1;
      } while (depth > 0);
    } else {
      throw new Error(`wit: expected interface or world, came ${JSON.stringify(kw.t)}`);
    }
  }
  return { interfaces };
}

/** lowerCamel of a kebab name, as jco names fields and functions. */
export function camel(name) {
  return name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** UpperCamel of a kebab name, as jco names types. */
export function pascal(name) {
  const c = camel(name);
  return c[0].toUpperCase() + c.slice(1);
}

/** What a WIT primitive becomes in JavaScript ('string', 'boolean', 'number'), else null. */
export function primitiveKind(type) {
  if (type === 'string' || type === 'char') return 'string';
  if (type === 'bool') return 'boolean';
  if (typeof type === 'string') return 'number';
  return null;
}

/**
 * How a variant is shown in JavaScript (and Python):
 * - 'enum': every case without a payload, but for an `other(string)` case: a string (the case
 *   name, or the `other` text);
 * - 'primitive': at most one case without a payload and the others each with a primitive
 *   payload of its own kind (string, number, boolean): the payload itself, null for the empty
 *   case;
 * - 'tagged': { tag, val }.
 */
export function variantShape(def) {
  const isOther = (c) => c.name === 'other' && c.type === 'string';
  if (def.cases.every((c) => c.type === null || isOther(c))) return 'enum';
  const empty = def.cases.filter((c) => c.type === null);
  const kinds = def.cases.filter((c) => c.type !== null).map((c) => primitiveKind(c.type));
  if (
    empty.length <= 1 &&
    !def.cases.some((c) => c.name === 'other') &&
    kinds.every((k) => k !== null) &&
    new Set(kinds).size === kinds.length
  ) {
    return 'primitive';
  }
  return 'tagged';
}

/** The schema with each variant's shape set, docs dropped: what the worker needs. */
export function runtimeSchema(schema) {
  const interfaces = {};
  for (const [name, iface] of Object.entries(schema.interfaces)) {
    const types = {};
    for (const [tn, def] of Object.entries(iface.types)) {
      const { docs: _d, ...rest } = def;
      if (def.kind === 'variant') rest.shape = variantShape(def);
      if (def.kind === 'record') rest.fields = def.fields.map(({ name, type }) => ({ name, type }));
      if (def.kind === 'variant') rest.cases = def.cases.map(({ name, type }) => ({ name, type }));
      if (def.kind === 'enum') rest.cases = def.cases.map(({ name }) => ({ name }));
      if (def.kind === 'resource') rest.methods = def.methods.map(({ docs: _m, ...m }) => m);
      types[tn] = rest;
    }
    interfaces[name] = { types, funcs: iface.funcs.map(({ docs: _f, ...f }) => f) };
  }
  return { interfaces };
}
