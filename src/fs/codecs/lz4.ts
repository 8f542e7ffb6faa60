// LZ4 block format (what LZ4_compress_default and LZ4HC emit and LZ4_decompress_safe reads; no frame).
// The decoder is ours: lz4js's decompressBlock checks neither match offsets nor output bounds (a corrupt block reads
// garbage instead of failing, as LZ4_decompress_safe does).
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

export const lz4: Codec = {
  name: 'lz4',
  decompress: lz4DecompressBlock,
};
