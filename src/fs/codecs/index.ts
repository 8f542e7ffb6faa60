// Codecs by i_compress_algorithm number.
import { CompressAlgorithm } from '../layout/compress.js';
import { lz4 } from './lz4.js';
import { lzo, lzoRle } from './lzo.js';
import type { Codec } from './types.js';
import { loadZstdCompressor, zstd } from './zstd.js';

export { CodecError, type Codec } from './types.js';

const CODECS: Record<number, Codec> = {
  [CompressAlgorithm.LZO]: lzo,
  [CompressAlgorithm.LZ4]: lz4,
  [CompressAlgorithm.ZSTD]: zstd,
  [CompressAlgorithm.LZORLE]: lzoRle,
};

export const codecOf = (algorithm: number): Codec | undefined => CODECS[algorithm];

/** Sets up the compressors that need asynchronous loading (zstd's WebAssembly); reading never needs it. */
export const loadCompressors = (importer: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<void> => loadZstdCompressor(importer);
