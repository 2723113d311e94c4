/**
 * Account layouts computed from the IDL at run time (C layout of the program's zero-copy
 * accounts: `#[repr(C)]`, fields aligned to their type), and a generic decoder on top. Nothing
 * here hard-codes an offset: a field added to the program shows up after `scripts/idl.py` and
 * `npm run gen:idl`.
 */
import { PublicKey } from "@solana/web3.js";
import { IDL } from "./idl";

type IdlType = string | { array: [IdlType, number] } | { defined: { name: string } } | { option: IdlType } | { vec: IdlType };
interface IdlField {
  name: string;
  type: IdlType;
}

export interface FieldLayout {
  name: string;
  /** camelCase, as Anchor's TS client names it. */
  key: string;
  offset: number;
  size: number;
  type: IdlType;
}

export interface StructLayout {
  name: string;
  size: number;
  align: number;
  fields: Map<string, FieldLayout>;
  order: FieldLayout[];
}

const PRIMS: Record<string, number> = { bool: 1, u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, u128: 16, i128: 16, pubkey: 32 };

export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

const typeDefs = new Map<string, { fields: IdlField[] }>();
for (const t of IDL.types as unknown as { name: string; type: { kind: string; fields?: IdlField[] } }[]) {
  if (t.type.kind === "struct" && t.type.fields) typeDefs.set(t.name, { fields: t.type.fields });
}
const cache = new Map<string, StructLayout>();

function sizeAlign(t: IdlType): [number, number] {
  if (typeof t === "string") {
    const s = PRIMS[t];
    if (s === undefined) throw new Error(`layout: unsupported type ${t}`);
    return [s, t === "pubkey" ? 1 : Math.min(s, 8)];
  }
  if ("array" in t) {
    const [inner, n] = t.array;
    const [s, a] = sizeAlign(inner);
    return [s * n, a];
  }
  if ("defined" in t) {
    const l = structLayout(t.defined.name);
    return [l.size, l.align];
  }
  throw new Error(`layout: variable-size type in a zero-copy struct: ${JSON.stringify(t)}`);
}

/** The C layout of the IDL struct `name`. */
export function structLayout(name: string): StructLayout {
  const hit = cache.get(name);
  if (hit) return hit;
  const def = typeDefs.get(name);
  if (!def) throw new Error(`layout: no struct ${name} in the IDL`);
  let offset = 0;
  let align = 1;
  const order: FieldLayout[] = [];
  for (const f of def.fields) {
    const [s, a] = sizeAlign(f.type);
    offset = Math.ceil(offset / a) * a;
    order.push({ name: f.name, key: camel(f.name), offset, size: s, type: f.type });
    offset += s;
    align = Math.max(align, a);
  }
  const size = Math.ceil(offset / align) * align;
  const l: StructLayout = { name, size, align, fields: new Map(order.map((f) => [f.name, f])), order };
  cache.set(name, l);
  return l;
}

/** Offset of `path` (e.g. "perps", "quote_balance") in account `name`, after the 8-byte discriminator. */
export function fieldOffset(name: string, field: string): number {
  const f = structLayout(name).fields.get(field);
  if (!f) throw new Error(`layout: ${name} has no field ${field}`);
  return 8 + f.offset;
}

/** The 8-byte discriminator of account `name`. */
export function accountDiscriminator(name: string): Buffer {
  const a = (IDL.accounts as unknown as { name: string; discriminator: number[] }[]).find((x) => x.name === name);
  if (!a) throw new Error(`no account ${name} in the IDL`);
  return Buffer.from(a.discriminator);
}

/** Account data size (discriminator included). */
export const accountSize = (name: string): number => 8 + structLayout(name).size;

function readValue(buf: Buffer, off: number, t: IdlType): unknown {
  if (typeof t === "string") {
    switch (t) {
      case "bool": return buf[off] !== 0;
      case "u8": return buf.readUInt8(off);
      case "i8": return buf.readInt8(off);
      case "u16": return buf.readUInt16LE(off);
      case "i16": return buf.readInt16LE(off);
      case "u32": return buf.readUInt32LE(off);
      case "i32": return buf.readInt32LE(off);
      case "u64": return buf.readBigUInt64LE(off);
      case "i64": return buf.readBigInt64LE(off);
      case "u128": return buf.readBigUInt64LE(off) + (buf.readBigUInt64LE(off + 8) << 64n);
      case "i128": return BigInt.asIntN(128, buf.readBigUInt64LE(off) + (buf.readBigUInt64LE(off + 8) << 64n));
      case "pubkey": return new PublicKey(buf.subarray(off, off + 32));
    }
    throw new Error(`layout: unsupported type ${t}`);
  }
  if ("array" in t) {
    const [inner, n] = t.array;
    if (inner === "u8") return Uint8Array.from(buf.subarray(off, off + n));
    const [s] = sizeAlign(inner);
    return Array.from({ length: n }, (_, i) => readValue(buf, off + i * s, inner));
  }
  if ("defined" in t) return decodeStruct(t.defined.name, buf, off);
  throw new Error("layout: unsupported type");
}

/** Decodes struct `name` at `offset` into an object with camelCase keys (u64/i64/i128 as bigint). */
export function decodeStruct(name: string, buf: Buffer, offset = 0): Record<string, unknown> {
  const l = structLayout(name);
  const out: Record<string, unknown> = {};
  for (const f of l.order) {
    if (f.name.startsWith("_pad") || f.name === "reserved") continue;
    out[f.key] = readValue(buf, offset + f.offset, f.type);
  }
  return out;
}

/** Decodes program account `name` (checks the discriminator). */
export function decodeAccount<T>(name: string, data: Buffer): T {
  const disc = accountDiscriminator(name);
  if (data.length < 8 + structLayout(name).size || !data.subarray(0, 8).equals(disc)) {
    throw new Error(`not a ${name} account`);
  }
  return decodeStruct(name, data, 8) as T;
}

/** Little-endian i128 from 16 bytes (the program stores i128 as `[u8; 16]`). */
export function i128FromBytes(b: Uint8Array): bigint {
  const buf = Buffer.from(b.buffer, b.byteOffset, 16);
  return BigInt.asIntN(128, buf.readBigUInt64LE(0) + (buf.readBigUInt64LE(8) << 64n));
}
