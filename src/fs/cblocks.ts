// The compressed-block ioctls (fs/f2fs/file.c): F2FS_IOC_GET_COMPRESS_BLOCKS, F2FS_IOC_RELEASE_COMPRESS_BLOCKS
// (the blocks compression saved go back to the volume; the file takes no writes until they are reserved again) and
// F2FS_IOC_RESERVE_COMPRESS_BLOCKS.
import { fail } from '../errors.js';
import { addComprBlocks, clusterState, compressAttrs, compressedBlocks, forEachCluster, type CompressAttrs } from './compress.js';
import { writeback } from './data.js';
import { editInode, now, setTimes, type InodeInfo, type Timespec } from './inode.js';
import { BLKSIZE, COMPRESS_ADDR, NEW_ADDR, NULL_ADDR } from './layout/constants.js';
import { InlineFlag, readSlot, writeSlot } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { chargeInode, getDnode } from './node.js';
import type { Volume } from './volume.js';

function compressedFile(vol: Volume, ino: number): { info: InodeInfo; attrs: CompressAttrs } {
  if (!(vol.sb.feature & Feature.COMPRESSION)) fail('UNSUPPORTED', 'the image has no compression feature (EOPNOTSUPP)');
  const info = vol.inode(ino);
  const attrs = compressAttrs(info);
  if (!attrs) fail('EINVAL', `inode ${ino} is not a compressed file`);
  return { info, attrs: attrs! };
}

/** F2FS_IOC_GET_COMPRESS_BLOCKS: i_compr_blocks. */
export function getCompressBlocks(vol: Volume, ino: number): number {
  return compressedFile(vol, ino).attrs.comprBlocks;
}

/** Each compressed cluster's slots in the (dirty) dnode that holds them. */
function forEachCompressedCluster(vol: Volume, info: InodeInfo, attrs: CompressAttrs, fn: (raw: Buffer, off: number, addrs: number[]) => void): void {
  const clusters: number[] = [];
  forEachCluster(attrs, 0, Math.ceil(info.inode.i_size / BLKSIZE), (s, e, v) => vol.data.walk(info, s, e, v), (c) => {
    if (c.addrs[0] === COMPRESS_ADDR) clusters.push(c.index);
  });
  for (const c of clusters) {
    const dn = getDnode(vol, info, c * attrs.clusterSize, false)!;
    const raw = vol.nm.nodeForUpdate(dn.nid);
    fn(raw, dn.off, Array.from({ length: attrs.clusterSize }, (_, i) => readSlot(raw, dn.off + 4 * i)));
  }
}

function setReleased(vol: Volume, ino: number, released: boolean, t: Timespec): void {
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_inline = released ? i.i_inline | InlineFlag.COMPRESS_RELEASED : i.i_inline & ~InlineFlag.COMPRESS_RELEASED;
    setTimes(i, { c: t });
  });
}

/** F2FS_IOC_RELEASE_COMPRESS_BLOCKS: NEW_ADDR slots of compressed clusters become NULL_ADDR; returns the blocks freed. */
export function releaseCompressBlocks(vol: Volume, ino: number, t: Timespec = now()): number {
  vol.requireWritable();
  if (compressedFile(vol, ino).attrs.released) fail('EINVAL', `inode ${ino}: its compressed blocks are released already`);
  writeback(vol, ino);
  // After the writeback: the clusters it compressed count in i_compr_blocks.
  const { attrs } = compressedFile(vol, ino);
  setReleased(vol, ino, true, t);
  if (!attrs.comprBlocks) return 0;
  const cs = attrs.clusterSize;
  let released = 0;
  forEachCompressedCluster(vol, vol.inode(ino), attrs, (raw, off, addrs) => {
    const cpages = compressedBlocks(addrs).length;
    for (let i = 1; i < cs; i++) if (addrs[i] === NEW_ADDR) writeSlot(raw, off + 4 * i, NULL_ADDR);
    // The COMPRESS_ADDR slot and the reserved ones stop being charged.
    vol.counts.blocks -= cs - cpages;
    chargeInode(vol, ino, -(cs - cpages));
    addComprBlocks(vol, ino, -(cs - cpages));
    released += cs - cpages;
  });
  return released;
}

/** F2FS_IOC_RESERVE_COMPRESS_BLOCKS: charges the saved blocks again (NULL_ADDR slots back to NEW_ADDR); returns them. */
export function reserveCompressBlocks(vol: Volume, ino: number, t: Timespec = now()): number {
  vol.requireWritable();
  const { attrs } = compressedFile(vol, ino);
  if (!attrs.released) fail('EINVAL', `inode ${ino}: its compressed blocks are not released`);
  if (attrs.comprBlocks) return 0; // Linux leaves the file as it is
  const cs = attrs.clusterSize;
  let reserved = 0;
  forEachCompressedCluster(vol, vol.inode(ino), attrs, (raw, off, addrs) => {
    const st = clusterState(addrs);
    const toReserve = cs - st.cpages - st.reserved;
    // every block of the cluster is charged already (it was never released)
    if (st.reserved && toReserve === 1) return;
    vol.reserveBlocks(toReserve);
    for (let i = 1; i < cs; i++) if (addrs[i] === NULL_ADDR) writeSlot(raw, off + 4 * i, NEW_ADDR);
    chargeInode(vol, ino, toReserve);
    addComprBlocks(vol, ino, cs - st.cpages);
    reserved += toReserve;
  });
  setReleased(vol, ino, false, t);
  return reserved;
}
