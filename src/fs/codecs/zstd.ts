// ZSTD: the kernel writes one zstd frame per cluster (zstd_compress_stream + zstd_end_stream). fzstd (pure JS, no
// install step, Node 20) decodes frames; the output buffer is the cluster, so a frame longer than it fails.
// Compression is @bokuweb/zstd-wasm (WebAssembly: no compiler at install): its set-up is asynchronous only, so
// loadZstdCompressor() runs before a write (the commands do it when they open a compression image to write).
import { decompress as zstdFrameDecompress } from 'fzstd';
import { fail } from '../../errors.js';
import { CodecError, type Codec } from './types.js';

/** F2FS_ZSTD_DEFAULT_CLEVEL: the level when the inode has none. */
const DEFAULT_LEVEL = 1;

let wasm: { compress(src: Uint8Array, level: number): Uint8Array } | null = null;

/** `importer`: how to import a package (the CLI's bundle runs where a bare import() is not available). */
export async function loadZstdCompressor(importer: (specifier: string) => Promise<unknown>): Promise<void> {
  if (wasm) return;
  // A CommonJS package: its exports are the namespace's default (re-exported names are not all detected).
  const ns = (await importer('@bokuweb/zstd-wasm')) as { default?: typeof import('@bokuweb/zstd-wasm') } & typeof import('@bokuweb/zstd-wasm');
  const m = ns.default ?? ns;
  await m.init();
  wasm = m;
}

export const zstd: Codec = {
  name: 'zstd',
  decompress(src, dst) {
    let out: Uint8Array;
    try {
      out = zstdFrameDecompress(src, dst);
    } catch (e) {
      throw new CodecError(`zstd: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (out.buffer !== dst.buffer || out.byteOffset !== dst.byteOffset) {
      if (out.length > dst.length) throw new CodecError('zstd: frame is longer than the cluster');
      dst.set(out);
    }
    return out.length;
  },
  compress(src, maxLen, level) {
    if (!wasm) return fail('UNSUPPORTED', 'the zstd compressor is not loaded (loadCompressors() before writing zstd clusters)');
    const out = wasm.compress(src, level || DEFAULT_LEVEL);
    return out.length <= maxLen ? Buffer.from(out.buffer, out.byteOffset, out.length) : null;
  },
};
