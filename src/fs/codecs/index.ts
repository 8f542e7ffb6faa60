// Codecs by i_compress_algorithm number.
import { CompressAlgorithm } from '../layout/compress.js';
import { lz4 } from './lz4.js';
import { lzo, lzoRle } from './lzo.js';
import type { Codec } from './types.js';
import { zstd } from './zstd.js';

export { CodecError, type Codec } from './types.js';

const CODECS: Record<number, Codec> = {
  [CompressAlgorithm.LZO]: lzo,
  [CompressAlgorithm.LZ4]: lz4,
  [CompressAlgorithm.ZSTD]: zstd,
  [CompressAlgorithm.LZORLE]: lzoRle,
};

export const codecOf = (algorithm: number): Codec | undefined => CODECS[algorithm];
