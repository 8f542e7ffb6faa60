// LZ4 block format (what LZ4_compress_default and LZ4HC emit and LZ4_decompress_safe reads; no frame).
// Both directions are ours: lz4js's decompressBlock checks neither match offsets nor output bounds (a corrupt block
// reads garbage instead of failing, as LZ4_decompress_safe does), and its compressBlock may start a match within the
// last 12 bytes, which LZ4_decompress_safe rejects (Linux read such clusters as EIO).
import { CodecError, type Codec } from './types.js';

const MIN_MATCH = 4;

export function lz4DecompressBlock(src: Buffer, dst: Buffer): number {
  let ip = 0;
  let op = 0;
  const end = src.length;
  const readLength = (n: number) => {
    if (n !== 15) return n;
    let b;
    do {
      if (ip >= end) throw new CodecError('lz4: length runs past the input');
      b = src[ip++]!;
      n += b;
    } while (b === 255);
    return n;
  };
  while (ip < end) {
    const token = src[ip++]!;
    const lit = readLength(token >> 4);
    if (ip + lit > end || op + lit > dst.length) throw new CodecError('lz4: literals run past the buffer');
    if (lit > 32) {
      src.copy(dst, op, ip, ip + lit);
      ip += lit;
      op += lit;
    } else for (let i = 0; i < lit; i++) dst[op++] = src[ip++]!;
    if (ip === end) break; // the last sequence has literals only
    if (ip + 2 > end) throw new CodecError('lz4: truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new CodecError(`lz4: match offset ${offset} before the start`);
    const len = readLength(token & 15) + MIN_MATCH;
    if (op + len > dst.length) throw new CodecError('lz4: match runs past the output');
    // Short or overlapping (a repeating pattern) matches byte by byte, forward; long ones as one copy.
    if (len > 32 && offset >= len) {
      dst.copyWithin(op, op - offset, op - offset + len);
      op += len;
    } else for (let i = op - offset, e = op + len; op < e; ) dst[op++] = dst[i++]!;
  }
  return op;
}

/** The end-of-block rules of the format: the last match starts 12 bytes before the end, the last 5 bytes are literals. */
const MFLIMIT = 12;
const LAST_LITERALS = 5;
const HASH_LOG = 12;

/**
 * LZ4_compress_default's format with a greedy single-hash search (one candidate per 4-byte hash); null when the
 * output would pass `maxLen`.
 */
export function lz4CompressBlock(src: Buffer, maxLen: number): Buffer | null {
  const n = src.length;
  const dst = Buffer.alloc(maxLen);
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const hash = (i: number) => Math.imul(src.readUInt32LE(i), 2654435761) >>> (32 - HASH_LOG);
  let op = 0;
  let anchor = 0;
  const putLength = (len: number): boolean => {
    for (; len >= 255; len -= 255) {
      if (op >= maxLen) return false;
      dst[op++] = 255;
    }
    if (op >= maxLen) return false;
    dst[op++] = len;
    return true;
  };
  /** One sequence: the literals since `anchor`, then (unless last) a match of `matchLen` at distance `offset`. */
  const emit = (litEnd: number, offset: number, matchLen: number): boolean => {
    const lit = litEnd - anchor;
    if (op + 1 + lit + 2 > maxLen) return false;
    const tokenAt = op++;
    dst[tokenAt] = (Math.min(lit, 15) << 4) | (matchLen ? Math.min(matchLen - MIN_MATCH, 15) : 0);
    if (lit >= 15 && !putLength(lit - 15)) return false;
    if (op + lit > maxLen) return false;
    src.copy(dst, op, anchor, litEnd);
    op += lit;
    if (!matchLen) return true;
    if (op + 2 > maxLen) return false;
    dst[op++] = offset & 0xff;
    dst[op++] = offset >> 8;
    return matchLen - MIN_MATCH < 15 || putLength(matchLen - MIN_MATCH - 15);
  };
  const matchStartLimit = n - MFLIMIT;
  const matchEndLimit = n - LAST_LITERALS;
  let i = 0;
  while (i < matchStartLimit) {
    const h = hash(i);
    const cand = table[h]!;
    table[h] = i;
    if (cand < 0 || i - cand > 0xffff || src.readUInt32LE(cand) !== src.readUInt32LE(i)) {
      i++;
      continue;
    }
    let len = MIN_MATCH;
    while (i + len < matchEndLimit && src[cand + len] === src[i + len]) len++;
    if (!emit(i, i - cand, len)) return null;
    i += len;
    anchor = i;
  }
  if (!emit(n, 0, 0)) return null;
  return op < n ? dst.subarray(0, op) : null;
}

export const lz4: Codec = {
  name: 'lz4',
  decompress: lz4DecompressBlock,
  compress: lz4CompressBlock,
};
