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
 * LZ4_compress_default's format with a greedy search: one candidate per 4-byte hash, or with an LZ4HC `level` (3..16,
 * compress_algorithm=lz4:N) the longest match along a hash chain of up to 2^(level-1) candidates (at most 4096), as
 * LZ4HC's search depth grows with its level. null when the output would pass `maxLen`.
 */
export function lz4CompressBlock(src: Buffer, maxLen: number, level = 0): Buffer | null {
  const n = src.length;
  const dst = Buffer.alloc(maxLen);
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const attempts = level ? 1 << Math.min(level - 1, 12) : 1;
  const chain = level ? new Int32Array(n).fill(-1) : null;
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
  /** Positions before `i` whose 4 bytes hash alike go into the table (and the chain); the best match at `i`. */
  let indexed = 0;
  const insertUpTo = (i: number) => {
    for (; indexed < i; indexed++) {
      const h = hash(indexed);
      if (chain) chain[indexed] = table[h]!;
      table[h] = indexed;
    }
  };
  while (i < matchStartLimit) {
    insertUpTo(i);
    let best = 0;
    let bestLen = 0;
    const word = src.readUInt32LE(i);
    for (let cand = table[hash(i)]!, k = 0; cand >= 0 && i - cand <= 0xffff && k < attempts; cand = chain ? chain[cand]! : -1, k++) {
      if (src.readUInt32LE(cand) !== word) continue;
      let len = MIN_MATCH;
      while (i + len < matchEndLimit && src[cand + len] === src[i + len]) len++;
      if (len > bestLen) [best, bestLen] = [cand, len];
    }
    insertUpTo(i + 1);
    if (!bestLen) {
      i++;
      continue;
    }
    if (!emit(i, i - best, bestLen)) return null;
    i += bestLen;
    // The greedy search indexes only the positions it looks at; the chained one all, as LZ4HC does.
    if (!chain) indexed = i;
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
