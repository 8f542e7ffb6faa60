// Compression on disk: the header at the start of a compressed cluster's first block (struct compress_data), the
// algorithm numbers of i_compress_algorithm, and the bits of i_compress_flag.
import { array, struct } from '../../util/struct.js';

export const COMPRESS_DATA_RESERVED_SIZE = 4;
export const CompressData = struct('compress_data', [
  ['clen', 'u32'], // compressed bytes after the header
  ['chksum', 'u32'], // f2fs_crc32 of those bytes when COMPRESS_CHKSUM is set, else 0
  ['reserved', array('u32', COMPRESS_DATA_RESERVED_SIZE)],
]);
export const COMPRESS_HEADER_SIZE = CompressData.size; // 24

/** i_compress_algorithm (enum compress_algorithm_type). */
export const CompressAlgorithm = { LZO: 0, LZ4: 1, ZSTD: 2, LZORLE: 3 } as const;
export type CompressAlgorithm = (typeof CompressAlgorithm)[keyof typeof CompressAlgorithm];
export const COMPRESS_MAX = 4;
export const compressAlgorithmName = (a: number) => ['lzo', 'lz4', 'zstd', 'lzo-rle'][a] ?? `unknown(${a})`;

/** i_compress_flag: bit 0 COMPRESS_CHKSUM, the level in the bits from COMPRESS_LEVEL_OFFSET up. */
export const COMPRESS_CHKSUM = 0x1;
export const COMPRESS_LEVEL_OFFSET = 8;

/** i_log_cluster_size bounds (MIN/MAX_COMPRESS_LOG_SIZE). */
export const MIN_COMPRESS_LOG_SIZE = 2;
export const MAX_COMPRESS_LOG_SIZE = 8;
