// ZSTD: the kernel writes one zstd frame per cluster (zstd_compress_stream + zstd_end_stream). fzstd (pure JS, no
// install step, Node 20) decodes frames; the output buffer is the cluster, so a frame longer than it fails.
import { decompress as zstdFrameDecompress } from 'fzstd';
import { CodecError, type Codec } from './types.js';

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
};
