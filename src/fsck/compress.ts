// fsck of compressed files (fsck.f2fs 1.15's fsck_chk_inode_blk/fsck_chk_dnode_blk cluster rules): a COMPRESS_ADDR
// slot may only start a cluster of a compressed file; unless the file's saved blocks were released it counts as a
// valid block of the file, and it and the NEW_ADDR slots of its cluster are the blocks compression saved, which
// i_compr_blocks must equal.
import { COMPRESS_ADDR, NEW_ADDR } from '../fs/layout/constants.js';
import { FsFlag, InlineFlag } from '../fs/layout/node.js';
import { Feature } from '../fs/layout/superblock.js';
import type { InodeInfo } from '../fs/inode.js';
import type { FsckRun, FileState, NodeRef } from './state.js';

/** Per-file cluster accounting during the tree walk (f2fs_compr_blk_cnt). */
export interface ComprCount {
  clusterSize: number;
  released: boolean;
  /** File block of the last COMPRESS_ADDR (cheader_pgofs), -Infinity before the first. */
  header: number;
  count: number;
}

/** fsck.f2fs treats i_flags' compression bit alone as "compressed" when the feature is on (the geometry needs a regular file too). */
export function comprCount(r: FsckRun, info: InodeInfo): ComprCount | undefined {
  if (!(r.sb.feature & Feature.COMPRESSION) || !(info.inode.i_flags & FsFlag.COMPR)) return undefined;
  return { clusterSize: 1 << (info.extra?.i_log_cluster_size ?? 0), released: (info.inode.i_inline & InlineFlag.COMPRESS_RELEASED) !== 0, header: -Infinity, count: 0 };
}

/** One slot of a compressed file: true when it was a COMPRESS_ADDR (nothing more to check); counts saved blocks. */
export function comprSlot(r: FsckRun, c: ComprCount, fs: FileState, addr: number, holder: NodeRef, ofsInNode: number, pgofs: number): boolean {
  if (addr === COMPRESS_ADDR) {
    if (pgofs % c.clusterSize) {
      r.add('BLKADDR_INVALID', `inode ${fs.ino} block ${pgofs} (node ${holder.nid} slot ${ofsInNode}): COMPRESS_ADDR does not start a cluster of ${c.clusterSize} blocks`, { ino: fs.ino, nid: holder.nid, path: fs.path });
      return true;
    }
    if (!c.released) {
      r.validBlocks++;
      fs.blocks++;
      c.header = pgofs;
      c.count++;
    }
    return true;
  }
  if (!c.released && addr === NEW_ADDR && pgofs - c.header < c.clusterSize) c.count++;
  return false;
}

/** After the walk: i_compr_blocks against the saved blocks counted. */
export function checkComprBlocks(r: FsckRun, info: InodeInfo, c: ComprCount): void {
  const have = info.extra?.i_compr_blocks ?? 0;
  if (have !== c.count)
    r.add('I_COMPR_BLOCKS', `inode ${info.ino}: i_compr_blocks is ${have}, its clusters saved ${c.count}${c.released ? ' (released)' : ''}`, { ino: info.ino });
}
