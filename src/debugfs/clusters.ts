// compress-stats: a compressed file cluster by cluster (what f2fs keeps per cluster: COMPRESS_ADDR, compressed blocks
// with the header's clen, reserved or released slots; or plain blocks).
import { fail } from '../errors.js';
import { clusterState, compressAttrs, compressedBlocks, forEachCluster, type CompressAttrs } from '../fs/compress.js';
import type { InodeInfo } from '../fs/inode.js';
import { BLKSIZE, NULL_ADDR } from '../fs/layout/constants.js';
import { CompressData } from '../fs/layout/compress.js';
import type { Volume } from '../fs/volume.js';

export interface ClusterRow {
  index: number;
  /** First file block of the cluster. */
  bidx: number;
  state: 'compressed' | 'plain';
  /** Blocks on disk: the compressed blocks, or the plain ones. */
  blocks: number;
  /** Slots of a compressed cluster still reserved (NEW_ADDR); a released cluster has none. */
  reserved: number;
  /** compress_data.clen of a compressed cluster, else null. */
  clen: number | null;
}

export interface CompressStats {
  ino: number;
  compression: CompressAttrs;
  clusters: ClusterRow[];
  compressed: number;
  plain: number;
  /** Blocks compressed clusters do not store (cluster size - compressed blocks each): i_compr_blocks until released. */
  saved: number;
}

export function compressStats(vol: Volume, info: InodeInfo): CompressStats {
  const attrs = compressAttrs(info);
  if (!attrs) return fail('EINVAL', `inode ${info.ino} is not a compressed file`);
  const clusters: ClusterRow[] = [];
  forEachCluster(attrs, 0, Math.ceil(info.inode.i_size / BLKSIZE), (s, e, v) => vol.data.walk(info, s, e, v), ({ index, addrs }) => {
    const st = clusterState(addrs);
    const first = compressedBlocks(addrs)[0];
    const clen = st.compressed && first !== undefined ? CompressData.decode(vol.dev.readBlock(first)).clen : null;
    const blocks = st.compressed ? st.cpages : addrs.filter((a) => a !== NULL_ADDR).length;
    clusters.push({ index, bidx: index * attrs.clusterSize, state: st.compressed ? 'compressed' : 'plain', blocks, reserved: st.reserved, clen });
  });
  const comp = clusters.filter((c) => c.state === 'compressed');
  return { ino: info.ino, compression: attrs, clusters, compressed: comp.length, plain: clusters.length - comp.length, saved: comp.reduce((n, c) => n + attrs.clusterSize - c.blocks, 0) };
}
