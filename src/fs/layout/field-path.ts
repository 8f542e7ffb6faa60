// One field of a declared struct named by a path (`i_addr[5]`, `i_ext.blk`, `entries[3].nid`, `valid_map[7]`), read and
// written as raw bytes: what field injection (set-super, set-inode, ...) edits. Names and offsets come from the struct
// declarations only.
import type { Scalar, Spec, Struct } from '../../util/struct.js';

/** A located leaf: a scalar, or a byte run (a `bytes` field, or one byte of it when indexed). */
export interface FieldSlot {
  path: string;
  /** Byte offset from the struct start. */
  offset: number;
  size: number;
  type: Scalar | 'bytes';
}

const SCALAR_BYTES: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8, u64n: 8 };

function sizeOf(spec: Spec): number {
  if (typeof spec === 'string') return SCALAR_BYTES[spec];
  if ('kind' in spec) return spec.size;
  if ('bytes' in spec) return spec.bytes;
  return sizeOf(spec.array) * spec.count;
}

function typeName(spec: Spec): string {
  if (typeof spec === 'string') return spec === 'u64n' ? 'u64' : spec;
  if ('kind' in spec) return spec.name;
  if ('bytes' in spec) return `u8[${spec.bytes}]`;
  return `${typeName(spec.array)}[${spec.count}]`;
}

/** Every field of `s` for `--list`: nested structs flattened with `.`, arrays shown once with their element count. */
export function listFields(s: Struct<unknown>, prefix = '', base = 0): { path: string; offset: number; size: number; type: string }[] {
  const out: { path: string; offset: number; size: number; type: string }[] = [];
  for (const [name, spec] of s.fields) {
    const at = base + (s.offsets as Record<string, number>)[name];
    if (typeof spec === 'object' && 'kind' in spec) out.push(...listFields(spec, `${prefix}${name}.`, at));
    else if (typeof spec === 'object' && 'array' in spec && typeof spec.array === 'object' && 'kind' in spec.array) {
      for (const f of listFields(spec.array, '', 0)) out.push({ ...f, path: `${prefix}${name}[0..${spec.count - 1}].${f.path}`, offset: at + f.offset });
    } else out.push({ path: `${prefix}${name}`, offset: at, size: sizeOf(spec), type: typeName(spec) });
  }
  return out;
}

/** The leaf `path` names in `s`, or null when `s` has no such field (or an index is out of range). */
export function locateField(s: Struct<unknown>, path: string): FieldSlot | null {
  const parts = path.split('.');
  let spec: Spec = s;
  let offset = 0;
  for (const part of parts) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || typeof spec !== 'object' || !('kind' in spec)) return null;
    const fields: readonly (readonly [string, Spec])[] = spec.fields;
    const field = fields.find(([n]) => n === m[1]);
    if (!field) return null;
    offset += (spec.offsets as Record<string, number>)[m[1]];
    spec = field[1];
    for (const ix of m[2].match(/\d+/g) ?? []) {
      const i = Number(ix);
      if (typeof spec === 'object' && 'array' in spec) {
        if (i >= spec.count) return null;
        spec = spec.array;
        offset += i * sizeOf(spec);
      } else if (typeof spec === 'object' && 'bytes' in spec) {
        if (i >= spec.bytes) return null;
        spec = 'u8';
        offset += i;
      } else return null;
    }
  }
  if (typeof spec === 'string') return { path, offset, size: SCALAR_BYTES[spec], type: spec };
  if ('bytes' in spec) return { path, offset, size: spec.bytes, type: 'bytes' };
  return null; // a whole struct or array: name one of its elements
}

/** The raw value of a slot at `at` (the struct start) in `buf`: a bigint for scalars, a copy for byte runs. */
export function readField(buf: Buffer, at: number, slot: FieldSlot): bigint | Buffer {
  const off = at + slot.offset;
  if (slot.type === 'bytes') return Buffer.from(buf.subarray(off, off + slot.size));
  return slot.size === 8 ? buf.readBigUInt64LE(off) : BigInt(buf.readUIntLE(off, slot.size));
}

/** Writes `value` into a slot: scalars wrap to their width (the caller has range-checked), byte runs are zero-padded. */
export function writeField(buf: Buffer, at: number, slot: FieldSlot, value: bigint | Buffer): void {
  const off = at + slot.offset;
  if (Buffer.isBuffer(value)) {
    value.copy(buf, off, 0, Math.min(value.length, slot.size));
    buf.fill(0, off + Math.min(value.length, slot.size), off + slot.size);
  } else if (slot.size === 8) buf.writeBigUInt64LE(BigInt.asUintN(64, value), off);
  else buf.writeUIntLE(Number(BigInt.asUintN(slot.size * 8, value)), off, slot.size);
}
