// Compressed files (fs/f2fs/compress.c): clusters of 2^i_log_cluster_size blocks. A compressed cluster's first slot
// holds COMPRESS_ADDR, the next slots the blocks of the compressed data (compress_data header, then clen bytes),
// the rest NEW_ADDR (reserved: the blocks saved, counted in i_compr_blocks) or NULL_ADDR once released. Any other
// cluster is plain: its slots are ordinary block addresses.
import { fail } from '../errors.js';
import { codecOf, CodecError } from './codecs/index.js';
import { writePages, type DnodeSlot } from './data.js';
import { isDir, isReg, type InodeInfo } from './inode.js';
import { BLKSIZE, COMPRESS_ADDR, NEW_ADDR, NULL_ADDR } from './layout/constants.js';
import {
  COMPRESS_CHKSUM,
  COMPRESS_HEADER_SIZE,
  COMPRESS_LEVEL_OFFSET,
  COMPRESS_MAX,
  CompressAlgorithm,
  CompressData,
  MAX_COMPRESS_LOG_SIZE,
  MIN_COMPRESS_LOG_SIZE,
  compressAlgorithmName,
} from './layout/compress.js';
import { f2fsCrc32, F2FS_MAGIC } from './layout/crc.js';
import { FsFlag, I_ADDR_OFFSET, InlineFlag, Inode, InodeExtra, readSlot, writeSlot } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { getDnode, truncateBlocks } from './node.js';
import type { Volume } from './volume.js';

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

/** sanity_check_inode's compression rules (f2fs_iget refuses such an inode): why, or null. */
export function igetCompressRefusal(info: InodeInfo): string | null {
  if (!info.compressedFile) return null;
  const e = info.extra!;
  if (e.i_compress_algorithm >= COMPRESS_MAX) return `unsupported compress algorithm ${e.i_compress_algorithm}`;
  if (e.i_compr_blocks > info.inode.i_blocks - 1) return `i_compr_blocks ${e.i_compr_blocks} exceeds its ${info.inode.i_blocks - 1} data blocks`;
  if (e.i_log_cluster_size < MIN_COMPRESS_LOG_SIZE || e.i_log_cluster_size > MAX_COMPRESS_LOG_SIZE) return `unsupported log cluster size ${e.i_log_cluster_size}`;
  return null;
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

/* ---- write side: new compressed inodes, cluster overwrite, writeback, truncation, released blocks ---- */

/** The compression mount options new compressed files take (F2FS_OPTION: compress_algorithm, compress_log_size, ...). */
export interface CompressOptions {
  algorithm: number;
  logClusterSize: number;
  /** compress_algorithm=lz4:N / zstd:N; 0 for the codec's default. */
  level: number;
  chksum: boolean;
  /** compress_extension= and nocompress_extension= ("*" matches every name). */
  extensions: string[];
  noExtensions: string[];
}

/** Linux's defaults on a compression image (default_options): lz4, 4-block clusters, no extensions. */
export const defaultCompressOptions = (): CompressOptions => ({ algorithm: CompressAlgorithm.LZ4, logClusterSize: MIN_COMPRESS_LOG_SIZE, level: 0, chksum: false, extensions: [], noExtensions: [] });

/** is_extension_exist without temporary extensions: "name.ext", case-insensitive, or "*". */
export function isExtensionExist(name: string, ext: string): boolean {
  if (ext === '*') return true;
  if (name.length < ext.length + 2) return false;
  return name[name.length - ext.length - 1] === '.' && name.slice(-ext.length).toLowerCase() === ext.toLowerCase();
}

/**
 * set_compress_new_inode: what a new inode named `name` in `dir` gets: the compression flag (by extension, or from a
 * directory with it), the no-compression flag (from a directory with that), or nothing. `hot`: the name has a hot
 * extension (such files are never compressed).
 */
export function newInodeCompression(vol: Volume, dir: InodeInfo, mode: number, name: string, hot: boolean): 'compress' | 'nocompress' | null {
  if (!(vol.sb.feature & Feature.COMPRESSION)) return null;
  if (!isDir(mode)) {
    if (!isReg(mode) || hot) return null;
    const o = vol.compressOptions;
    if (o.noExtensions.some((e) => isExtensionExist(name, e))) return null;
    if (o.extensions.some((e) => isExtensionExist(name, e))) return 'compress';
  }
  if (dir.inode.i_flags & FsFlag.NOCOMP) return 'nocompress';
  return dir.inode.i_flags & FsFlag.COMPR ? 'compress' : null;
}

const iFlags = Inode.field('i_flags');
const extraOf = (raw: Buffer) => InodeExtra.view(raw, I_ADDR_OFFSET);

/** set_compress_context: the inode's compression fields from the mount options, and the flag. */
export function setCompressContext(raw: Buffer, o: CompressOptions): void {
  const level = o.level && (o.algorithm === CompressAlgorithm.LZ4 || o.algorithm === CompressAlgorithm.ZSTD) ? o.level : 0;
  Object.assign(extraOf(raw), {
    i_compress_algorithm: o.algorithm,
    i_log_cluster_size: o.logClusterSize,
    i_compress_flag: (o.chksum ? COMPRESS_CHKSUM : 0) | (level << COMPRESS_LEVEL_OFFSET),
  });
  iFlags.set(raw, (iFlags.get(raw) | FsFlag.COMPR) >>> 0);
}

/** f2fs_disable_compressed_file: the flag goes only while the file has no data blocks (EINVAL otherwise). */
export function disableCompressedFile(vol: Volume, info: InodeInfo): void {
  if (!(info.inode.i_flags & FsFlag.COMPR)) return;
  if (isReg(info.inode.i_mode) && info.inode.i_blocks > 1) fail('EINVAL', `inode ${info.ino} has data blocks: its compression flag cannot be cleared`);
  const raw = vol.nm.nodeForUpdate(info.ino);
  iFlags.set(raw, (iFlags.get(raw) & ~FsFlag.COMPR) >>> 0);
}

/** f2fs_file_write_iter / f2fs_setattr: a file whose saved blocks were released takes no writes (EPERM, as Linux). */
export function requireNotReleased(info: InodeInfo, what: string): void {
  if (info.inode.i_inline & InlineFlag.COMPRESS_RELEASED) fail('EPERM', `${what}: inode ${info.ino} is a compressed file whose blocks were released (reserve-cblocks first)`);
}

/** Adds `delta` to i_compr_blocks in the inode's dirty block (f2fs_i_compr_blocks_update). */
export function addComprBlocks(vol: Volume, ino: number, delta: number): void {
  if (!delta) return;
  const e = extraOf(vol.nm.nodeForUpdate(ino));
  e.i_compr_blocks = e.i_compr_blocks + delta;
}

/** The cluster of file block `bidx`: its first block and its slots, which one dnode holds (slot counts are cluster-aligned). */
function clusterSlots(vol: Volume, info: InodeInfo, attrs: CompressAttrs, bidx: number): { start: number; dn: DnodeSlot | null; addrs: number[] } {
  const start = bidx - (bidx % attrs.clusterSize);
  const dn = getDnode(vol, info, start, false);
  const raw = dn ? vol.nm.readNode(dn.nid).raw : null;
  const addrs = Array.from({ length: attrs.clusterSize }, (_, i) => (raw ? readSlot(raw, dn!.off + 4 * i) : NULL_ADDR));
  return { start, dn, addrs };
}

/**
 * prepare_compress_overwrite: before a page of a compressed cluster is written, the whole cluster is read and all of
 * it becomes dirty, so writeback rewrites the cluster (compressed again, or plain).
 */
export function prepareClusterOverwrite(vol: Volume, info: InodeInfo, bidx: number): void {
  // A dirty page of a compressed cluster means the cluster was read already (here or by truncateClusters).
  if (vol.pages.get(info.ino, bidx)) return;
  const attrs = compressAttrs(info)!;
  const { start, addrs } = clusterSlots(vol, info, attrs, bidx);
  if (addrs[0] !== COMPRESS_ADDR) return;
  const cs = attrs.clusterSize;
  const data = Buffer.alloc(cs * BLKSIZE);
  vol.data.read(info, start * BLKSIZE, cs * BLKSIZE).copy(data);
  for (let i = 0; i < cs; i++) if (!vol.pages.get(info.ino, start + i)) vol.pages.set(info.ino, start + i, Buffer.from(data.subarray(i * BLKSIZE, (i + 1) * BLKSIZE)));
}

/** Writes one dirty page out of place into its slot (data.ts's writeback step). */
export type WriteDataPage = (bidx: number, page: Buffer) => void;

/**
 * f2fs_write_multi_pages for a compressed file's dirty pages: a cluster whose every page is dirty and inside i_size is
 * compressed when that saves at least one block (f2fs_compress_pages: the header and data fit in cluster - 1
 * blocks): COMPRESS_ADDR, the compressed blocks, NEW_ADDR for the rest (still charged: i_blocks and the valid block
 * count do not change), i_compr_blocks += the blocks saved. Any other cluster's pages are written plain; a cluster
 * that was compressed then gives its saved blocks back from i_compr_blocks (f2fs_do_write_data_page).
 */
export function writebackClusters(vol: Volume, info: InodeInfo, pages: [number, Buffer][], type: number, writePlain: WriteDataPage, plain: boolean): void {
  const attrs = compressAttrs(info)!;
  const cs = attrs.clusterSize;
  const ino = info.ino;
  // Linux moves i_size page by page as a write goes (f2fs_write_end); ours moves at the end of the write, so dirty
  // pages of a write still in progress count as inside it.
  const eofBlocks = Math.max(Math.ceil(vol.inode(ino).inode.i_size / BLKSIZE), pages[pages.length - 1]![0] + 1);
  const byCluster = new Map<number, [number, Buffer][]>();
  for (const p of pages) {
    const c = Math.floor(p[0] / cs);
    let l = byCluster.get(c);
    if (!l) byCluster.set(c, (l = []));
    l.push(p);
  }
  for (const [c, list] of byCluster) {
    const { dn, addrs } = clusterSlots(vol, info, attrs, c * cs);
    const wasCompressed = addrs[0] === COMPRESS_ADDR;
    const oldSaved = wasCompressed ? cs - compressedBlocks(addrs).length : 0;
    let cdata: Buffer | null = null;
    if (!plain && list.length === cs && (c + 1) * cs <= eofBlocks && dn) cdata = compressCluster(attrs, Buffer.concat(list.map(([, p]) => p)));
    if (!cdata) {
      for (const [bidx, page] of list) writePlain(bidx, page);
      addComprBlocks(vol, ino, -oldSaved);
      continue;
    }
    const n = cdata.length / BLKSIZE;
    const raw = vol.nm.nodeForUpdate(dn!.nid);
    const version = vol.nm.getNat(dn!.nid).version;
    for (let i = 0; i < cs; i++) {
      const off = dn!.off + 4 * i;
      const old = readSlot(raw, off);
      if (isDataBlkaddr(old)) vol.sm.invalidate(vol.check.mainBlkaddr(old, `inode ${ino} block ${c * cs + i}`));
      let addr: number = i === 0 ? COMPRESS_ADDR : NEW_ADDR;
      if (i >= 1 && i <= n) {
        addr = vol.sm.allocate(type, { nid: dn!.nid, version, ofs_in_node: dn!.ofsInNode + i });
        vol.dev.adoptBlock(addr, Buffer.from(cdata.subarray((i - 1) * BLKSIZE, i * BLKSIZE)), 'data');
      }
      writeSlot(raw, off, addr);
    }
    addComprBlocks(vol, ino, cs - n - oldSaved);
  }
}

/** f2fs_compress_pages: the cluster's blocks of header + compressed data, or null when it would not save a block. */
function compressCluster(attrs: CompressAttrs, data: Buffer): Buffer | null {
  const codec = codecOf(attrs.algorithm);
  if (!codec?.compress) return null;
  const maxLen = (attrs.clusterSize - 1) * BLKSIZE - COMPRESS_HEADER_SIZE;
  const c = codec.compress(data, maxLen, attrs.level);
  if (!c) return null;
  const out = Buffer.alloc(Math.ceil((COMPRESS_HEADER_SIZE + c.length) / BLKSIZE) * BLKSIZE);
  CompressData.encode({ clen: c.length, chksum: attrs.chksum ? f2fsCrc32(F2FS_MAGIC, c) : 0, reserved: [0, 0, 0, 0] }, out);
  c.copy(out, COMPRESS_HEADER_SIZE);
  return out;
}

/**
 * f2fs_truncate_blocks for a compressed file: whole clusters past the new end go (their saved blocks leave
 * i_compr_blocks; a COMPRESS_ADDR slot is a charged block unless the blocks were released); a compressed cluster
 * cut in the middle is read and its pages up to the new end become dirty (f2fs_truncate_partial_cluster), to be
 * written plain; in a plain one the blocks past the end go.
 */
export function truncateClusters(vol: Volume, info: InodeInfo, keep: number): void {
  const attrs = compressAttrs(info)!;
  const cs = attrs.clusterSize;
  const freeFrom = Math.ceil(keep / cs) * cs;
  let saved = 0;
  forEachCluster(attrs, freeFrom, Number.MAX_SAFE_INTEGER, (s, e, v) => vol.data.walk(info, s, e, v), ({ addrs }) => {
    if (addrs[0] === COMPRESS_ADDR) saved += cs - compressedBlocks(addrs).length;
  });
  const partial = keep < freeFrom ? clusterSlots(vol, info, attrs, keep) : null;
  if (partial && partial.addrs[0] === COMPRESS_ADDR) {
    // The whole cluster is rewritten plain, its pages past the end as zeros (f2fs_write_raw_pages writes them: the
    // cluster had compressed blocks); a later read of a block there sees zeros, not the old compressed bytes.
    const data = vol.data.read(info, partial.start * BLKSIZE, (keep - partial.start) * BLKSIZE);
    const pages: [number, Buffer][] = [];
    for (let b = partial.start; b < freeFrom; b++) {
      const page = Buffer.alloc(BLKSIZE);
      if (b < keep) data.copy(page, 0, (b - partial.start) * BLKSIZE, (b - partial.start + 1) * BLKSIZE);
      pages.push([b, page]);
    }
    // Its dirty pages (all before `keep`: the caller dropped the rest) are in `data` already.
    vol.pages.drop(info.ino, partial.start);
    writePages(vol, info.ino, pages, { plain: true });
    truncateBlocks(vol, info, freeFrom);
  } else truncateBlocks(vol, info, keep);
  // After the slots: whether a COMPRESS_ADDR is charged is read from i_compr_blocks (0: released), as Linux does.
  if (extraOf(vol.nm.readNode(info.ino).raw).i_compr_blocks) addComprBlocks(vol, info.ino, -saved);
}

/**
 * f2fs_setattr(size) on a file whose blocks were released: only whole clusters may go (EINVAL otherwise); true when
 * it is such a file (truncating it to 0 makes it writable again, f2fs_truncate_blocks).
 */
export function releasedTruncate(info: InodeInfo, size: number): boolean {
  if (!(info.inode.i_inline & InlineFlag.COMPRESS_RELEASED)) return false;
  const bytes = (1 << info.logClusterSize) * BLKSIZE;
  if (size % bytes) fail('EINVAL', `inode ${info.ino}: its compressed blocks are released: it can only be truncated to a multiple of its cluster size (${bytes} bytes)`);
  return true;
}
