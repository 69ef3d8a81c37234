// The shape of the runtime schema (src/gen/schema.ts, generated from the WIT).

export type Prim = 'string' | 'char' | 'bool' | 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'f32' | 'f64';
export type Type = Prim | { list: Type } | { option: Type } | { result: [Type | null, Type | null] } | { ref: string };

export interface Func {
  name: string;
  params: { name: string; type: Type }[];
  result: Type | null;
}

export type TypeDef =
  | { kind: 'record'; fields: { name: string; type: Type }[] }
  | { kind: 'variant'; shape: 'enum' | 'primitive' | 'tagged'; cases: { name: string; type: Type | null }[] }
  | { kind: 'enum'; cases: { name: string }[] }
  | { kind: 'resource'; methods: Func[] }
  | { kind: 'alias'; type: Type }
  | { kind: 'use'; from: string };

export interface Iface {
  types: Record<string, TypeDef>;
  funcs: Func[];
}

export interface Schema {
  interfaces: Record<string, Iface>;
}

/** lowerCamel of a kebab name, as jco names fields and functions. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
