// Declarative little-endian struct codec: a struct is declared once as a field list; size, offsets, decode and encode derive from it.

export type Scalar = 'u8' | 'u16' | 'u32' | 'u64' | 'u64n';
/** `u64` decodes to bigint (exact); `u64n` to number (sizes, counts, times: exact below 2^53). */
export type Spec = Scalar | { readonly bytes: number } | { readonly array: Spec; readonly count: number } | Struct<any>;
type FieldList = readonly (readonly [string, Spec])[];

export type Decoded<S> = S extends 'u64'
  ? bigint
  : S extends Scalar
    ? number
    : S extends { readonly bytes: number }
      ? Buffer
      : S extends { readonly array: infer E; readonly count: number }
        ? Decoded<E>[]
        : S extends Struct<infer T>
          ? T
          : never;

type Shape<F extends FieldList> = { [K in F[number] as K[0]]: Decoded<K[1]> };

export interface Struct<T> {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: FieldList;
  readonly size: number;
  /** Byte offset of each field from the struct start. */
  readonly offsets: { readonly [K in keyof T]: number };
  decode(buf: Buffer, off?: number): T;
  /** Accessor for one field, for hot paths that change a single field of a block in place. */
  field<K extends keyof T & string>(name: K): FieldAccess<T[K]>;
  /**
   * A live view of the struct at `off` in `buf`: reading a field decodes it, assigning one encodes it in place. For
   * edits of a few fields of a block the caller owns (no whole decode and re-encode). `bytes` fields read as views
   * of `buf`, not copies. Fields are prototype accessors: spreading a view copies nothing (decode for that).
   */
  view(buf: Buffer, off?: number): T;
  /** Writes `value` into `buf` at `off` (a new zeroed buffer of `size` bytes when absent) and returns the buffer. */
  encode(value: T, buf?: Buffer, off?: number): Buffer;
}

export interface FieldAccess<V> {
  readonly offset: number;
  get(buf: Buffer, structOff?: number): V;
  set(buf: Buffer, value: V, structOff?: number): void;
}

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8, u64n: 8 };
const TWO32 = 4294967296;

// u64n as two u32 halves: exact below 2^53 and rounded above, as Number(bigint) is, without a BigInt per field.
function readU64n(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO32;
}

function writeU64n(buf: Buffer, v: number, off: number): void {
  if (!Number.isInteger(v) || v < 0 || v > TWO32 * TWO32) throw new RangeError(`${v} is not a u64`);
  // 2^64 is what readU64n rounds the largest u64 values up to: written back as the largest, a decoded field re-encodes.
  if (v === TWO32 * TWO32) {
    buf.writeUInt32LE(0xffffffff, off);
    buf.writeUInt32LE(0xffffffff, off + 4);
    return;
  }
  const hi = Math.floor(v / TWO32);
  buf.writeUInt32LE(v - hi * TWO32, off);
  buf.writeUInt32LE(hi, off + 4);
}

function specSize(spec: Spec): number {
  if (typeof spec === 'string') return SCALAR_SIZE[spec];
  if ('kind' in spec) return spec.size;
  if ('bytes' in spec) return spec.bytes;
  return specSize(spec.array) * spec.count;
}

// Scalar readers and writers for field accessors and views (one call, no dispatch on the spec).
const GET: Record<Scalar, (buf: Buffer, at: number) => unknown> = {
  u8: (buf, at) => buf.readUInt8(at),
  u16: (buf, at) => buf.readUInt16LE(at),
  u32: (buf, at) => buf.readUInt32LE(at),
  u64: (buf, at) => buf.readBigUInt64LE(at),
  u64n: readU64n,
};
const SET: Record<Scalar, (buf: Buffer, v: unknown, at: number) => void> = {
  u8: (buf, v, at) => void buf.writeUInt8(v as number, at),
  u16: (buf, v, at) => void buf.writeUInt16LE(v as number, at),
  u32: (buf, v, at) => void buf.writeUInt32LE(v as number, at),
  u64: (buf, v, at) => void buf.writeBigUInt64LE(v as bigint, at),
  u64n: (buf, v, at) => writeU64n(buf, v as number, at),
};

function decodeSpec(spec: Spec, buf: Buffer, off: number): unknown {
  if (typeof spec === 'string') return GET[spec](buf, off);
  if ('kind' in spec) return spec.decode(buf, off);
  if ('bytes' in spec) {
    if (off + spec.bytes > buf.length) throw new RangeError(`field of ${spec.bytes} bytes at ${off} runs past ${buf.length}`);
    // Copy: decoded values must not alias a shared cache page.
    return Buffer.from(buf.subarray(off, off + spec.bytes));
  }
  const elemSize = specSize(spec.array);
  const out = new Array(spec.count);
  if (spec.array === 'u32') {
    for (let i = 0; i < spec.count; i++) out[i] = buf.readUInt32LE(off + 4 * i);
  } else {
    for (let i = 0; i < spec.count; i++) out[i] = decodeSpec(spec.array, buf, off + i * elemSize);
  }
  return out;
}

function encodeSpec(spec: Spec, value: unknown, buf: Buffer, off: number, where: string): void {
  if (typeof spec === 'string') {
    SET[spec](buf, value, off);
    return;
  }
  if ('kind' in spec) {
    spec.encode(value, buf, off);
    return;
  }
  if ('bytes' in spec) {
    const src = value as Buffer;
    if (src.length > spec.bytes) throw new RangeError(`${where}: ${src.length} bytes do not fit in ${spec.bytes}`);
    // Copy, then zero the rest: `src` may be a view of this very field (views hand out aliases).
    src.copy(buf, off);
    buf.fill(0, off + src.length, off + spec.bytes);
    return;
  }
  const arr = value as unknown[];
  if (arr.length !== spec.count) throw new RangeError(`${where}: array of ${arr.length}, expected ${spec.count}`);
  const elemSize = specSize(spec.array);
  for (let i = 0; i < spec.count; i++) encodeSpec(spec.array, arr[i], buf, off + i * elemSize, where);
}

const READ: Record<Scalar, (at: string) => string> = {
  u8: (at) => `buf[${at}]`,
  u16: (at) => `buf.readUInt16LE(${at})`,
  u32: (at) => `buf.readUInt32LE(${at})`,
  u64: (at) => `buf.readBigUInt64LE(${at})`,
  u64n: (at) => `U64N(buf, ${at})`,
};
const WRITE: Record<Scalar, (v: string, at: string) => string> = {
  u8: (v, at) => `buf.writeUInt8(${v}, ${at});`,
  u16: (v, at) => `buf.writeUInt16LE(${v}, ${at});`,
  u32: (v, at) => `buf.writeUInt32LE(${v}, ${at});`,
  u64: (v, at) => `buf.writeBigUInt64LE(${v}, ${at});`,
  u64n: (v, at) => `W64N(buf, ${v}, ${at});`,
};

/**
 * Straight-line decode/encode functions generated from the field list (hot paths decode whole inodes and dentry
 * blocks); nested or unusual specs call back into the generic codec.
 */
function compile(name: string, fields: FieldList, offsets: Record<string, number>) {
  const refs: unknown[] = [];
  const ref = (x: unknown) => `R[${refs.push(x) - 1}]`;
  let dec = 'const o = {};\n';
  let enc = '';
  for (const [field, spec] of fields) {
    const at = `off + ${offsets[field]}`;
    const key = JSON.stringify(field);
    const where = JSON.stringify(`${name}.${field}`);
    if (typeof spec === 'string') {
      dec += `o[${key}] = ${READ[spec](at)};\n`;
      enc += WRITE[spec](`v[${key}]`, at) + '\n';
    } else if ('array' in spec && typeof spec.array === 'string') {
      const sz = SCALAR_SIZE[spec.array];
      dec += `{ const a = new Array(${spec.count}); for (let i = 0; i < ${spec.count}; i++) a[i] = ${READ[spec.array](`${at} + i * ${sz}`)}; o[${key}] = a; }\n`;
      enc += `{ const a = v[${key}]; if (a.length !== ${spec.count}) throw new RangeError(${where} + ": array of " + a.length + ", expected ${spec.count}"); for (let i = 0; i < ${spec.count}; i++) ${WRITE[spec.array]('a[i]', `${at} + i * ${sz}`)} }\n`;
    } else {
      dec += `o[${key}] = D(${ref(spec)}, buf, ${at});\n`;
      enc += `E(${ref(spec)}, v[${key}], buf, ${at}, ${where});\n`;
    }
  }
  const decode = new Function('R', 'D', 'U64N', `return function (buf, off) {\n${dec}return o;\n};`)(refs, decodeSpec, readU64n) as (buf: Buffer, off: number) => unknown;
  const encode = new Function('R', 'E', 'W64N', `return function (v, buf, off) {\n${enc}};`)(refs, encodeSpec, writeU64n) as (v: unknown, buf: Buffer, off: number) => void;
  return { decode, encode };
}

export function struct<const F extends FieldList>(name: string, fields: F): Struct<Shape<F>> {
  const offsets: Record<string, number> = {};
  let size = 0;
  for (const [field, spec] of fields) {
    offsets[field] = size;
    size += specSize(spec);
  }
  const fast = compile(name, fields, offsets);
  const inBounds = (buf: Buffer, off: number) => {
    if (off < 0 || off + size > buf.length) throw new RangeError(`${name} at ${off} (${size} bytes) runs past a ${buf.length}-byte buffer`);
  };
  // One class per struct, so V8 sees a single shape; `bytes` getters alias the buffer (see `view`).
  class View {
    constructor(
      readonly $buf: Buffer,
      readonly $off: number,
    ) {}

    toJSON() {
      return fast.decode(this.$buf, this.$off);
    }
  }
  const access = new Map<string, FieldAccess<unknown>>();
  for (const [field, spec] of fields) {
    const offset = offsets[field];
    const where = `${name}.${field}`;
    const [get, set] = typeof spec === 'string' ? [GET[spec], SET[spec]] : [null, null];
    const one: FieldAccess<unknown> =
      get && set
        ? { offset, get: (buf, structOff = 0) => get(buf, structOff + offset), set: (buf, value, structOff = 0) => set(buf, value, structOff + offset) }
        : {
            offset,
            get: (buf, structOff = 0) => decodeSpec(spec, buf, structOff + offset),
            set: (buf, value, structOff = 0) => encodeSpec(spec, value, buf, structOff + offset, where),
          };
    access.set(field, one);
    const viewGet = typeof spec === 'object' && 'bytes' in spec ? (buf: Buffer, o: number) => buf.subarray(o + offset, o + offset + spec.bytes) : one.get;
    Object.defineProperty(View.prototype, field, {
      get(this: View) {
        return viewGet(this.$buf, this.$off);
      },
      set(this: View, value: unknown) {
        one.set(this.$buf, value, this.$off);
      },
    });
  }
  return {
    field(fieldName) {
      return access.get(fieldName) as FieldAccess<never>;
    },
    view(buf, off = 0) {
      inBounds(buf, off);
      return new View(buf, off) as unknown as Shape<F>;
    },
    kind: 'struct',
    name,
    fields,
    size,
    offsets: offsets as Struct<Shape<F>>['offsets'],
    decode(buf, off = 0) {
      inBounds(buf, off);
      return fast.decode(buf, off) as Shape<F>;
    },
    encode(value, buf = Buffer.alloc(size), off = 0) {
      inBounds(buf, off);
      fast.encode(value, buf, off);
      return buf;
    },
  };
}

/** The leading fields of a struct, up to (not including) `until`: a cheaper view for code that edits only those. */
export function prefix<R>(s: Struct<unknown>, until: string): Struct<R> {
  const i = s.fields.findIndex(([f]) => f === until);
  if (i < 0) throw new Error(`${s.name} has no field ${until}`);
  return struct(`${s.name}[..${until}]`, s.fields.slice(0, i)) as unknown as Struct<R>;
}

/** Array of `count` elements of `spec`. */
export const array = <const S extends Spec, const N extends number>(spec: S, count: N) => ({ array: spec, count }) as const;
/** Raw byte run of `n` bytes. */
export const bytes = <const N extends number>(n: N) => ({ bytes: n }) as const;

/** Decoded type of a struct. */
export type Of<S> = S extends Struct<infer T> ? T : never;

/** Bitmap helpers: F2FS uses both bit orders (see format doc §0). */
export const bitMsb = {
  test: (map: Buffer, n: number) => (map[n >> 3] & (0x80 >> (n & 7))) !== 0,
  set: (map: Buffer, n: number) => void (map[n >> 3] |= 0x80 >> (n & 7)),
  clear: (map: Buffer, n: number) => void (map[n >> 3] &= ~(0x80 >> (n & 7))),
};
export const bitLsb = {
  test: (map: Buffer, n: number) => (map[n >> 3] & (1 << (n & 7))) !== 0,
  set: (map: Buffer, n: number) => void (map[n >> 3] |= 1 << (n & 7)),
  clear: (map: Buffer, n: number) => void (map[n >> 3] &= ~(1 << (n & 7))),
};

export function popcount(map: Buffer): number {
  let n = 0;
  for (let i = 0; i < map.length; i++) {
    let b = map[i];
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}

/** A 64-bit integer as JSON holds it exactly: a number within ±2^53, else its decimal string (what `u64n` cannot keep). */
export function exactInteger(v: bigint): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}
