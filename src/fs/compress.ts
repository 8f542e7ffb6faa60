// Compressed files (fs/f2fs/compress.c): clusters of 2^i_log_cluster_size blocks. A compressed cluster's first slot
// holds COMPRESS_ADDR, the next slots the blocks of the compressed data (compress_data header, then clen bytes),
// the rest NEW_ADDR (reserved: the blocks saved, counted in i_compr_blocks) or NULL_ADDR once released. Any other
// cluster is plain: its slots are ordinary block addresses.
import { fail } from '../errors.js';
import { codecOf, CodecError } from './codecs/index.js';
import type { InodeInfo } from './inode.js';
import { BLKSIZE, COMPRESS_ADDR, NEW_ADDR, NULL_ADDR } from './layout/constants.js';
import { COMPRESS_CHKSUM, COMPRESS_HEADER_SIZE, COMPRESS_LEVEL_OFFSET, CompressData, compressAlgorithmName } from './layout/compress.js';
import { f2fsCrc32, F2FS_MAGIC } from './layout/crc.js';
import { InlineFlag } from './layout/node.js';

/** The compression attributes of a compressed file's inode (f2fs_inode_info's i_compress_* fields). */
export interface CompressAttrs {
  algorithm: number;
  algorithmName: string;
  logClusterSize: number;
  clusterSize: number;
  chksum: boolean;
  level: number;
  /** i_compr_blocks: blocks saved by compression (reserved NEW_ADDR slots of compressed clusters). */
  comprBlocks: number;
  /** F2FS_IOC_RELEASE_COMPRESS_BLOCKS ran: the saved blocks went back to the volume (FI_COMPRESS_RELEASED). */
  released: boolean;
}

/** null unless the inode is a compressed file (f2fs_compressed_file). */
export function compressAttrs(info: InodeInfo): CompressAttrs | null {
  if (!info.logClusterSize || !info.extra) return null;
  const e = info.extra;
  return {
    algorithm: e.i_compress_algorithm,
    algorithmName: compressAlgorithmName(e.i_compress_algorithm),
    logClusterSize: info.logClusterSize,
    clusterSize: 1 << info.logClusterSize,
    chksum: (e.i_compress_flag & COMPRESS_CHKSUM) !== 0,
    level: e.i_compress_flag >> COMPRESS_LEVEL_OFFSET,
    comprBlocks: e.i_compr_blocks,
    released: (info.inode.i_inline & InlineFlag.COMPRESS_RELEASED) !== 0,
  };
}

/** A data slot that names a block on disk (__is_valid_data_blkaddr). */
export const isDataBlkaddr = (addr: number) => addr !== NULL_ADDR && addr !== NEW_ADDR && addr !== COMPRESS_ADDR;

/** One cluster's slots in file order (NULL_ADDR where the walk found none). */
export interface ClusterSlots {
  index: number;
  addrs: number[];
}

/** Compressed blocks of a COMPRESS_ADDR cluster: the valid addresses from slot 1 up to the first other value. */
export function compressedBlocks(addrs: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < addrs.length && isDataBlkaddr(addrs[i]!); i++) out.push(addrs[i]!);
  return out;
}

/** What a cluster holds: plain blocks, compressed data (`cpages` blocks and `reserved` NEW_ADDR slots), or nothing. */
export function clusterState(addrs: number[]): { compressed: boolean; cpages: number; reserved: number; valid: number } {
  if (addrs[0] !== COMPRESS_ADDR) return { compressed: false, cpages: 0, reserved: 0, valid: addrs.filter((a) => a !== NULL_ADDR).length };
  const cpages = compressedBlocks(addrs).length;
  return { compressed: true, cpages, reserved: addrs.slice(1 + cpages).filter((a) => a === NEW_ADDR).length, valid: cpages };
}

/**
 * Groups the slots a walk over [first, last) visits into whole clusters (the range widened to cluster boundaries),
 * in file order. `walk` visits non-NULL slots in increasing block order, as DataReader.walk does.
 */
export function forEachCluster(
  attrs: Pick<CompressAttrs, 'logClusterSize'>,
  first: number,
  last: number,
  walk: (start: number, end: number, visit: (bidx: number, blkaddr: number) => void) => void,
  visit: (c: ClusterSlots) => void,
): void {
  const log = attrs.logClusterSize;
  const size = 1 << log;
  let cur: ClusterSlots | null = null;
  walk((first >> log) << log, Math.ceil(last / size) * size, (bidx, blkaddr) => {
    const index = Math.floor(bidx / size);
    if (cur && cur.index !== index) visit(cur);
    if (!cur || cur.index !== index) cur = { index, addrs: new Array<number>(size).fill(NULL_ADDR) };
    cur.addrs[bidx - index * size] = blkaddr;
  });
  if (cur) visit(cur);
}

/**
 * f2fs_decompress_cluster: the cluster's 2^log blocks from its compressed blocks. CORRUPT when the header's clen does
 * not fit them or the codec fails or yields other than a whole cluster. A checksum mismatch only sets `chksumBad`:
 * Linux logs it and still returns the data.
 */
export function decompressCluster(ino: number, attrs: CompressAttrs, index: number, cdata: Buffer): { data: Buffer; chksumBad: boolean } {
  const where = `inode ${ino} cluster ${index}`;
  const codec = codecOf(attrs.algorithm);
  if (!codec) return fail('CORRUPT', `${where}: unknown compression algorithm ${attrs.algorithm}`);
  const head = CompressData.decode(cdata);
  if (head.clen > cdata.length - COMPRESS_HEADER_SIZE) fail('CORRUPT', `${where}: clen ${head.clen} exceeds its ${cdata.length / BLKSIZE} compressed blocks`);
  const src = cdata.subarray(COMPRESS_HEADER_SIZE, COMPRESS_HEADER_SIZE + head.clen);
  const data = Buffer.alloc(attrs.clusterSize * BLKSIZE);
  let n: number;
  try {
    n = codec.decompress(src, data);
  } catch (e) {
    if (e instanceof CodecError) return fail('CORRUPT', `${where}: ${e.message}`);
    throw e;
  }
  if (n !== data.length) fail('CORRUPT', `${where}: ${codec.name} gave ${n} bytes, not the cluster's ${data.length}`);
  return { data, chksumBad: attrs.chksum && f2fsCrc32(F2FS_MAGIC, src) !== head.chksum };
}

/** What reading clusters needs from the data layer: the slot walk, block reads, and the dirty page of a block. */
export interface ClusterIo {
  walk(start: number, end: number, visit: (bidx: number, blkaddr: number) => void): void;
  readBlock(blkaddr: number): Buffer;
  dirty(bidx: number): Buffer | undefined;
}

/**
 * f2fs_read_multi_pages: gives `put` the content of every block in [first, last) that is not a hole, decompressing
 * each compressed cluster once. Dirty pages win over what is on disk.
 */
export function readClusters(ino: number, attrs: CompressAttrs, first: number, last: number, io: ClusterIo, put: (bidx: number, block: Buffer) => void): void {
  const zero = Buffer.alloc(BLKSIZE);
  forEachCluster(attrs, first, last, io.walk, ({ index, addrs }) => {
    const base = index * attrs.clusterSize;
    let data: Buffer | null = null;
    if (addrs[0] === COMPRESS_ADDR) {
      const cblocks = compressedBlocks(addrs);
      if (!cblocks.length) fail('CORRUPT', `inode ${ino} cluster ${index}: COMPRESS_ADDR without compressed blocks`);
      data = decompressCluster(ino, attrs, index, Buffer.concat(cblocks.map((a) => io.readBlock(a)))).data;
    }
    for (let i = 0; i < attrs.clusterSize; i++) {
      const bidx = base + i;
      if (bidx < first || bidx >= last) continue;
      const page = io.dirty(bidx);
      if (page) put(bidx, page);
      else if (data) put(bidx, data.subarray(i * BLKSIZE, (i + 1) * BLKSIZE));
      else if (addrs[i] === NEW_ADDR) put(bidx, zero);
      else if (addrs[i] !== NULL_ADDR) put(bidx, io.readBlock(addrs[i]!));
    }
  });
}
