// The compression mount options as flags of the commands that create files (write, import, touch): what new
// compressed files get (compress_algorithm=, compress_log_size=, compress_chksum, compress_extension=,
// nocompress_extension= in Linux).
import { Flags } from '@oclif/core';
import { fail } from '../errors.js';
import type { Volume } from '../fs/volume.js';
import { CompressAlgorithm, MAX_COMPRESS_LOG_SIZE, MIN_COMPRESS_LOG_SIZE } from '../fs/layout/compress.js';
import { parseNumber } from './args.js';

export const compressFlags = {
  'compress-ext': Flags.string({ description: 'New files named *.EXT are compressed (compress_extension; "*" for every file). Comma separated.', helpValue: 'EXT[,EXT...]' }),
  'nocompress-ext': Flags.string({ description: 'New files named *.EXT are never compressed (nocompress_extension). Comma separated.', helpValue: 'EXT[,EXT...]' }),
  'compress-algorithm': Flags.string({ description: 'Algorithm of new compressed files, with an optional level: lzo, lz4, lz4:N (LZ4HC, 3..16), zstd, zstd:N, lzo-rle (compress_algorithm; default lz4).', helpValue: 'ALGO[:LEVEL]' }),
  'compress-log-size': Flags.string({ description: `Cluster size of new compressed files as log2 of blocks, ${MIN_COMPRESS_LOG_SIZE}..${MAX_COMPRESS_LOG_SIZE} (compress_log_size; default 2).`, helpValue: 'N' }),
  'compress-chksum': Flags.boolean({ description: 'New compressed files checksum their clusters (compress_chksum).' }),
};

type CompressFlagValues = { 'compress-ext'?: string; 'nocompress-ext'?: string; 'compress-algorithm'?: string; 'compress-log-size'?: string; 'compress-chksum'?: boolean };

/** Sets the volume's compression options from the flags (parse_options' compress_* rules). */
export function applyCompressFlags(vol: Volume, f: CompressFlagValues): void {
  const o = vol.compressOptions;
  if (f['compress-algorithm'] !== undefined) {
    const [name, level] = f['compress-algorithm'].split(':');
    const algorithm = { lzo: CompressAlgorithm.LZO, lz4: CompressAlgorithm.LZ4, zstd: CompressAlgorithm.ZSTD, 'lzo-rle': CompressAlgorithm.LZORLE }[name!];
    if (algorithm === undefined) fail('USAGE', `--compress-algorithm ${name}: one of lzo, lz4, zstd, lzo-rle`);
    // Linux takes a level for lz4 (LZ4HC) and zstd only.
    if (level !== undefined && algorithm !== CompressAlgorithm.LZ4 && algorithm !== CompressAlgorithm.ZSTD) fail('USAGE', `--compress-algorithm ${name}:${level}: ${name} takes no level`);
    o.algorithm = algorithm!;
    o.level = level === undefined ? 0 : parseNumber(level, '--compress-algorithm level');
    const [lo, hi] = algorithm === CompressAlgorithm.LZ4 ? [3, 16] : [1, 22]; // LZ4HC_MIN/MAX_CLEVEL, zstd's levels
    if (level !== undefined && (o.level < lo || o.level > hi)) fail('USAGE', `--compress-algorithm ${name}:${level}: the level is ${lo}..${hi}`);
  }
  if (f['compress-log-size'] !== undefined) {
    const n = parseNumber(f['compress-log-size'], '--compress-log-size');
    if (n < MIN_COMPRESS_LOG_SIZE || n > MAX_COMPRESS_LOG_SIZE) fail('USAGE', `--compress-log-size ${n}: must be ${MIN_COMPRESS_LOG_SIZE}..${MAX_COMPRESS_LOG_SIZE}`);
    o.logClusterSize = n;
  }
  if (f['compress-chksum']) o.chksum = true;
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(','));
  const ext = list(f['compress-ext']);
  const noExt = list(f['nocompress-ext']);
  for (const e of [...(ext ?? []), ...(noExt ?? [])]) if (!e || e.includes('.') || e.includes('/') || e.length > 7) fail('USAGE', `extension "${e}": a name suffix of 1..7 characters without dots`);
  if (ext) o.extensions = ext;
  if (noExt) o.noExtensions = noExt;
}
