// LZO1X and the kernel's LZO-RLE (lib/lzo): one decoder, as lzo1x_decompress_safe, and one compressor. An LZO-RLE
// stream starts with byte 17 and a bitstream version; version >= 1 turns one M4 pattern into a run of zeros. No npm
// package covers them for Node 20 (the `lzo` addon needs a compiler and knows plain LZO1X only; lzo-wasm and
// lzo-decompress only decompress), so both directions are ours.
import { CodecError, type Codec } from './types.js';

const M2_MAX_OFFSET = 0x0800;
const MIN_ZERO_RUN_LENGTH = 4;
const MAX_255_COUNT = Math.floor(0xffffffff / 255) - 2;

export function lzo1xDecompress(src: Buffer, dst: Buffer): number {
  const end = src.length;
  let ip = 0;
  let op = 0;
  const needIn = (n: number) => {
    if (ip + n > end) throw new CodecError('lzo: input overrun');
  };
  const needOut = (n: number) => {
    if (op + n > dst.length) throw new CodecError('lzo: output overrun');
  };
  const literals = (n: number) => {
    needIn(n);
    needOut(n);
    src.copy(dst, op, ip, ip + n);
    ip += n;
    op += n;
  };
  // A length of 0 in a field means "base + 255 per zero byte + the next byte".
  const extended = (base: number) => {
    const first = ip;
    for (;;) {
      needIn(1);
      if (src[ip] !== 0) break;
      ip++;
    }
    const zeros = ip - first;
    if (zeros > MAX_255_COUNT) throw new CodecError('lzo: length too long');
    return base + zeros * 255 + src[ip++]!;
  };
  const le16 = () => {
    needIn(2);
    return src[ip]! | (src[ip + 1]! << 8);
  };

  let version = 0;
  if (end >= 5 && src[0] === 17) {
    version = src[1]!;
    ip = 2;
  }
  let state = 0; // literals copied by the last instruction: 0, 1..3, or 4 (a literal run)
  let next = -1; // literals to copy after a match (its low two bits), -1 when an instruction must be read
  needIn(1);
  if (src[ip]! > 17) {
    const t = src[ip++]! - 17;
    if (t < 4) next = t;
    else {
      literals(t);
      state = 4;
    }
  }
  for (;;) {
    if (next < 0) {
      needIn(1);
      let t = src[ip++]!;
      let from: number;
      let len: number;
      if (t < 16) {
        if (state === 0) {
          literals((t === 0 ? extended(15) : t) + 3);
          state = 4;
          continue;
        }
        next = t & 3;
        needIn(1);
        if (state !== 4) {
          from = op - 1 - (t >> 2) - (src[ip++]! << 2);
          len = 2;
        } else {
          from = op - 1 - M2_MAX_OFFSET - (t >> 2) - (src[ip++]! << 2);
          len = 3;
        }
      } else if (t >= 64) {
        next = t & 3;
        needIn(1);
        from = op - 1 - ((t >> 2) & 7) - (src[ip++]! << 3);
        len = (t >> 5) + 1;
      } else if (t >= 32) {
        len = (t & 31) + 2;
        if (len === 2) len = extended(31 + 2);
        const d = le16();
        ip += 2;
        from = op - 1 - (d >> 2);
        next = d & 3;
      } else {
        let d = le16();
        if ((d & 0xfffc) === 0xfffc && (t & 0xf8) === 0x18 && version > 0) {
          needIn(3);
          const run = ((t & 7) | (src[ip + 2]! << 3)) + MIN_ZERO_RUN_LENGTH;
          ip += 3;
          needOut(run);
          dst.fill(0, op, op + run);
          op += run;
          next = d & 3;
          state = next;
          literals(next);
          next = -1;
          continue;
        }
        from = op - ((t & 8) << 11);
        len = (t & 7) + 2;
        if (len === 2) {
          len = extended(7 + 2);
          d = le16();
        }
        ip += 2;
        from -= d >> 2;
        next = d & 3;
        if (from === op) {
          // End of stream: a 3-byte M4 with distance 0x4000.
          if (len !== 3) throw new CodecError('lzo: bad end marker');
          if (ip !== end) throw new CodecError(ip < end ? 'lzo: input not consumed' : 'lzo: input overrun');
          return op;
        }
        from -= 0x4000;
      }
      if (from < 0) throw new CodecError('lzo: match before the start of the output');
      needOut(len);
      // Byte by byte: matches may overlap their own output.
      for (let i = 0; i < len; i++) dst[op + i] = dst[from + i]!;
      op += len;
    }
    state = next;
    literals(next);
    next = -1;
  }
}


/* ---- compression: LZO1X-1's format from a greedy single-hash matcher (lzo1x_1_compress / lzorle1x_1_compress) ---- */

const MIN_MATCH = 4;
const HASH_LOG = 13;
const M2_MAX_LEN = 8;
const M3_MAX_OFFSET = 0x4000;
// 0xbfff would be read as LZO-RLE's zero-run marker by a version 1 decoder; one less serves both variants.
const M4_MAX_OFFSET = 0xbffe;
/** Byte 17 then the bitstream version: what lzorle1x_1_compress puts first (lzo1x_decompress_safe reads runs then). */
const RLE_HEADER = [17, 1];

/**
 * An LZO1X stream of `src`: literal runs and M2/M3/M4 matches, up to 3 literals after a match carried in its low
 * bits, then the end marker. `rle`: the LZO-RLE header first (the stream then has no runs, which it need not).
 * null when the result would pass `maxLen`.
 */
export function lzo1xCompress(src: Buffer, maxLen: number, rle: boolean): Buffer | null {
  const n = src.length;
  // Worst case: every byte a literal, plus run lengths, header and end marker.
  const dst = Buffer.alloc(n + Math.ceil(n / 255) + 16);
  let op = 0;
  if (rle) for (const b of RLE_HEADER) dst[op++] = b;
  const start = op;
  /** Where the last match keeps the count of literals that follow it (its low two bits), -1 before any match. */
  let lowBits = -1;
  const extended = (value: number) => {
    for (; value > 255; value -= 255) dst[op++] = 0;
    dst[op++] = value;
  };
  const literals = (from: number, to: number) => {
    const len = to - from;
    if (!len) return;
    if (lowBits < 0 && op === start && len <= 238) dst[op++] = len + 17;
    else if (lowBits >= 0 && len <= 3) dst[lowBits] |= len;
    else if (len - 3 <= 15) dst[op++] = len - 3;
    else {
      dst[op++] = 0;
      extended(len - 3 - 15);
    }
    src.copy(dst, op, from, to);
    op += len;
  };
  const match = (dist: number, len: number) => {
    if (len <= M2_MAX_LEN && dist <= M2_MAX_OFFSET) {
      lowBits = op;
      dst[op++] = ((len - 1) << 5) | (((dist - 1) & 7) << 2);
      dst[op++] = (dist - 1) >> 3;
      return;
    }
    let d: number;
    if (dist <= M3_MAX_OFFSET) {
      d = dist - 1;
      if (len <= 33) dst[op++] = 32 | (len - 2);
      else {
        dst[op++] = 32;
        extended(len - 33);
      }
    } else {
      d = dist - M3_MAX_OFFSET;
      const hi = (d >> 11) & 8;
      if (len <= 9) dst[op++] = 16 | hi | (len - 2);
      else {
        dst[op++] = 16 | hi;
        extended(len - 9);
      }
    }
    lowBits = op;
    dst[op++] = (d << 2) & 0xff;
    dst[op++] = (d >> 6) & 0xff;
  };
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const hash = (i: number) => Math.imul(src.readUInt32LE(i), 2654435761) >>> (32 - HASH_LOG);
  let anchor = 0;
  let i = 0;
  while (i + MIN_MATCH <= n) {
    const h = hash(i);
    const cand = table[h]!;
    table[h] = i;
    if (cand < 0 || i - cand > M4_MAX_OFFSET || src.readUInt32LE(cand) !== src.readUInt32LE(i)) {
      i++;
      continue;
    }
    let len = MIN_MATCH;
    while (i + len < n && src[cand + len] === src[i + len]) len++;
    literals(anchor, i);
    match(i - cand, len);
    i += len;
    anchor = i;
    if (op > maxLen) return null;
  }
  literals(anchor, n);
  dst[op++] = 17; // end marker: an M4 of 3 bytes at distance 0x4000
  dst[op++] = 0;
  dst[op++] = 0;
  return op <= maxLen && op < n ? dst.subarray(0, op) : null;
}

export const lzo: Codec = { name: 'lzo', decompress: lzo1xDecompress, compress: (src, maxLen) => lzo1xCompress(src, maxLen, false) };
export const lzoRle: Codec = { name: 'lzo-rle', decompress: lzo1xDecompress, compress: (src, maxLen) => lzo1xCompress(src, maxLen, true) };
