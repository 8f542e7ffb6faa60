// F2FS crc32 (raw reflected CRC-32, caller-chosen seed, no final inversion) on top of zlib's.
import zlib from 'node:zlib';

export const F2FS_MAGIC = 0xf2f52010;

export function f2fsCrc32(seed: number, data: Buffer): number {
  return ~zlib.crc32(data, ~seed >>> 0) >>> 0;
}
