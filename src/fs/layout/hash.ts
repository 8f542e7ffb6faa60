// Directory-entry name hash (TEA, fs/f2fs/hash.c): "." and ".." hash to 0.

const DELTA = 0x9e3779b9;

function tea(buf: Uint32Array, a: number, b: number, c: number, d: number): void {
  let sum = 0;
  let b0 = buf[0];
  let b1 = buf[1];
  for (let n = 16; n > 0; n--) {
    sum = (sum + DELTA) >>> 0;
    b0 = (b0 + ((((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >>> 5) + b)) >>> 0)) >>> 0;
    b1 = (b1 + ((((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >>> 5) + d)) >>> 0)) >>> 0;
  }
  buf[0] += b0;
  buf[1] += b1;
}

function str2hashbuf(msg: Uint8Array, start: number, len: number, out: Uint32Array): void {
  let pad = (len | (len << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;
  let val = pad;
  const n = Math.min(len, 16);
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) val = pad;
    val = (msg[start + i] + ((val << 8) >>> 0)) >>> 0;
    if (i % 4 === 3) {
      out[w++] = val;
      val = pad;
    }
  }
  if (w < 4) out[w++] = val;
  while (w < 4) out[w++] = pad;
}

export const isDotOrDotdot = (name: Uint8Array) => (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);

export function dentryHash(name: Uint8Array): number {
  return isDotOrDotdot(name) ? 0 : teaHashName(name);
}

/** TEA_hash_name: the hash of any byte string (a casefolded name may read "." without being one). */
export function teaHashName(name: Uint8Array): number {
  const len = name.length;
  const buf = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  const inw = new Uint32Array(4);
  let p = 0;
  let remaining = len;
  for (;;) {
    str2hashbuf(name, p, remaining, inw);
    tea(buf, inw[0], inw[1], inw[2], inw[3]);
    p += 16;
    if (remaining <= 16) break;
    remaining -= 16;
  }
  return buf[0];
}
