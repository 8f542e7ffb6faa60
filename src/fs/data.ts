// File data: reads through the node-tree walk (holes, NEW_ADDR, inline data), bmap, dirty pages and their writeback.
import type { BlockDevice } from '../device/types.js';
import { fail, withContext } from '../errors.js';
import { BLKSIZE, NEW_ADDR, NULL_ADDR, COMPRESS_ADDR, ZERO_BLOCK } from './layout/constants.js';
import { hasInlineData, inodeSize, isDir, isReg, type InodeInfo } from './inode.js';
import { nodePath, readChild, walkNodeTree, type NodeManager, type NodePage } from './node.js';
import type { Validator } from './validate.js';
import type { Volume } from './volume.js';
import { CursegType, isNodeSegType } from './layout/constants.js';
import { Advise, Inode, InlineFlag, readSlot, writeSlot } from './layout/node.js';
import { getDnode, reserveSlot } from './node.js';
import { compressAttrs, isDataBlkaddr, prepareClusterOverwrite, readClusters, writebackClusters } from './compress.js';

/** Who holds a data slot: the node (inode or direct node) and the slot index, as SSA entries record it. */
export interface SlotOwner {
  nid: number;
  ofsInNode: number;
  nodeBlkaddr: number;
}

export type BlockVisitor = (bidx: number, blkaddr: number, owner: SlotOwner) => void;


export class DataReader {
  constructor(
    private readonly dev: BlockDevice,
    // Only readNode: debugfs/history.ts reads an old copy's block map through node copies the NAT no longer names.
    private readonly nm: Pick<NodeManager, 'readNode'>,
    private readonly check: Validator,
    private readonly pages: DirtyPages,
  ) {}

  /** Content of file block `bidx` whose slot holds `blkaddr`: the dirty page if any, zeros for NEW_ADDR. */
  blockData(ino: number, bidx: number, blkaddr: number): Buffer {
    const dirty = this.pages.get(ino, bidx);
    if (dirty) return dirty;
    if (blkaddr === NEW_ADDR) return ZERO_BLOCK;
    if (blkaddr === COMPRESS_ADDR) fail('UNSUPPORTED', `inode ${ino}: a block of a compressed cluster is read through DataReader.read`);
    return this.dev.readBlock(blkaddr);
  }

  /**
   * Calls `visit` for every non-NULL slot with start <= bidx < end, in file order, skipping absent subtrees whole.
   * Every node on the way is checked to belong to this inode at the node offset its position implies.
   */
  walk(info: InodeInfo, start: number, end: number, visit: BlockVisitor, visitNode?: (nid: number, ofs: number, blkaddr: number) => void): void {
    const ino = info.ino;
    walkNodeTree<NodePage>(info, info.page, start, end, {
      node: (nid, span) => {
        const page = readChild(this.nm, this.check, ino, nid, span);
        visitNode?.(nid, span.ofs, page.blkaddr);
        return page;
      },
      slot: (bidx, addr, holder, k) => visit(bidx, this.check.dataAddr(addr, `${holder.nid === ino ? 'inode' : 'node'} ${holder.nid} slot ${k}`), { nid: holder.nid, ofsInNode: k, nodeBlkaddr: holder.blkaddr }),
    });
  }

  /**
   * f2fs_seek_block's SEEK_DATA: the first block of [start, end) with an address (NEW_ADDR too), or null. Absent
   * nodes are skipped whole, so a hole of any size costs one walk down the tree.
   */
  seekData(info: InodeInfo, start: number, end: number): number | null {
    let found: number | null = null;
    walkNodeTree<NodePage>(
      info,
      info.page,
      start,
      end,
      { node: (nid, span) => readChild(this.nm, this.check, info.ino, nid, span), slot: (bidx) => (found ??= bidx) },
      { until: () => found !== null },
    );
    return found;
  }

  /** Address of file block `bidx` (NULL_ADDR for a hole) and the slot holding it. */
  bmap(info: InodeInfo, bidx: number): { blkaddr: number; owner: SlotOwner | null; level: number } {
    const path = nodePath(bidx, info);
    let found: { blkaddr: number; owner: SlotOwner | null; level: number } = { blkaddr: NULL_ADDR, owner: null, level: path.level };
    this.walk(info, bidx, bidx + 1, (_, blkaddr, owner) => (found = { blkaddr, owner, level: path.level }));
    return found;
  }

  /** fscrypt: the decryption of an encrypted regular file's blocks (ENOKEY without the key); set by the Volume. */
  contentsCipher?: (info: InodeInfo) => (lblk: number, block: Buffer) => Buffer;

  /**
   * Reads [pos, pos+len) clipped to i_size; holes, NEW_ADDR and inline padding read as zeros. `into`: a buffer to read
   * into when it is large enough (a caller streaming a file reuses one instead of a fresh one per chunk).
   */
  read(info: InodeInfo, pos: number, len: number, into?: Buffer): Buffer {
    const size = info.inode.i_size;
    const end = Math.min(size, pos + len);
    // Only regular files' blocks are ciphertext: directory blocks are plain, symlinks hold fscrypt_symlink_data.
    // Without the key even an empty file is ENOKEY, as fscrypt_file_open refuses the open.
    const decrypt = info.inode.i_advise & Advise.ENCRYPT && isReg(info.inode.i_mode) ? this.cipherOf(info) : null;
    if (pos >= end) return Buffer.alloc(0);
    return decrypt ? this.readDecrypted(info, pos, end, decrypt, into) : this.readPastEof(info, pos, end, into);
  }

  private cipherOf(info: InodeInfo): (lblk: number, block: Buffer) => Buffer {
    return this.contentsCipher ? this.contentsCipher(info) : fail('ENOKEY', `inode ${info.ino} is encrypted: its contents need the key`);
  }

  /** Whole ciphertext blocks decrypted (holes and NEW_ADDR stay zeros, as f2fs_read_multi_pages leaves them). */
  private readDecrypted(info: InodeInfo, pos: number, end: number, decrypt: (lblk: number, block: Buffer) => Buffer, into?: Buffer): Buffer {
    const first = Math.floor(pos / BLKSIZE);
    const last = Math.ceil(end / BLKSIZE);
    const raw = this.readPastEof(info, first * BLKSIZE, last * BLKSIZE, into);
    this.walk(info, first, last, (bidx, blkaddr) => {
      // NEW_ADDR reads as zeros unless a dirty page (ciphertext, as written) stands there.
      if (blkaddr === NEW_ADDR && !this.pages.get(info.ino, bidx)) return;
      const at = (bidx - first) * BLKSIZE;
      decrypt(bidx, raw.subarray(at, at + BLKSIZE)).copy(raw, at);
    });
    return raw.subarray(pos - first * BLKSIZE, end - first * BLKSIZE);
  }

  /** Reads [pos, end) without the i_size clip (fs-verity's tree and descriptor lie past EOF); no decryption. */
  readPastEof(info: InodeInfo, pos: number, end: number, into?: Buffer): Buffer {
    const inline = hasInlineData(info);
    // Before the buffer is sized: the inline area bounds an inline file, and a damaged i_size may be gigabytes.
    if (inline && info.inode.i_size > info.maxInlineData) fail('CORRUPT', `inode ${info.ino}: inline file of ${inodeSize(info)} bytes exceeds ${info.maxInlineData}`);
    if (inline && end > info.maxInlineData) fail('CORRUPT', `inode ${info.ino}: read of ${pos}..${end} past its inline data`);
    const out = into && into.length >= end - pos ? into.subarray(0, end - pos).fill(0) : Buffer.alloc(end - pos);
    if (inline) {
      info.page.raw.copy(out, 0, info.inlineDataOffset + pos, info.inlineDataOffset + end);
      return out;
    }
    const first = Math.floor(pos / BLKSIZE);
    const last = Math.ceil(end / BLKSIZE);
    const attrs = compressAttrs(info);
    if (attrs) {
      const io = { walk: (s: number, e: number, v: (bidx: number, blkaddr: number) => void) => this.walk(info, s, e, v), readBlock: (a: number) => this.dev.readBlock(a), dirty: (bidx: number) => this.pages.get(info.ino, bidx) };
      readClusters(info.ino, attrs, first, last, io, (bidx, block) => {
        const from = Math.max(pos, bidx * BLKSIZE);
        block.copy(out, from - pos, from - bidx * BLKSIZE, Math.min(end, (bidx + 1) * BLKSIZE) - bidx * BLKSIZE);
      });
      return out;
    }
    // Whole blocks at consecutive addresses are read as one run straight into `out` (no page per block).
    let run = { bidx: -1, blkaddr: 0, count: 0 };
    const readRun = () => {
      if (run.count) {
        try {
          this.dev.readBlocks(run.blkaddr, run.count, out, run.bidx * BLKSIZE - pos);
        } catch (e) {
          throw withContext(e, `while reading blocks ${run.bidx}..${run.bidx + run.count - 1} of inode ${info.ino}`);
        }
      }
      run = { bidx: -1, blkaddr: 0, count: 0 };
    };
    this.walk(info, first, last, (bidx, blkaddr) => {
      const blockPos = bidx * BLKSIZE;
      const whole = blockPos >= pos && blockPos + BLKSIZE <= end;
      if (whole && blkaddr !== NEW_ADDR && blkaddr !== COMPRESS_ADDR && !this.pages.get(info.ino, bidx)) {
        if (run.count && bidx === run.bidx + run.count && blkaddr === run.blkaddr + run.count) run.count++;
        else {
          readRun();
          run = { bidx, blkaddr, count: 1 };
        }
        return;
      }
      readRun();
      const block = this.blockData(info.ino, bidx, blkaddr);
      const from = Math.max(pos, blockPos);
      const to = Math.min(end, blockPos + BLKSIZE);
      block.copy(out, from - pos, from - blockPos, to - blockPos);
    });
    readRun();
    return out;
  }
}

/* ---- write side: dirty page cache, dnode allocation, block (re)allocation, truncation ---- */

/** Dirty file pages not yet given a block (the kernel's page cache): slots hold NEW_ADDR or the old block meanwhile. */
export class DirtyPages {
  private readonly byIno = new Map<number, Map<number, Buffer>>();
  private count = 0;

  get(ino: number, bidx: number): Buffer | undefined {
    return this.byIno.get(ino)?.get(bidx);
  }

  set(ino: number, bidx: number, page: Buffer): void {
    let m = this.byIno.get(ino);
    if (!m) this.byIno.set(ino, (m = new Map()));
    if (!m.has(bidx)) this.count++;
    m.set(bidx, page);
  }

  /** Drops pages of `ino` at or after `from` (truncate, unlink). */
  drop(ino: number, from = 0): void {
    const m = this.byIno.get(ino);
    if (!m) return;
    for (const bidx of [...m.keys()]) if (bidx >= from) {
      m.delete(bidx);
      this.count--;
    }
    if (!m.size) this.byIno.delete(ino);
  }

  /** Removes and returns the pages of one inode (or of all), in block order. */
  take(ino?: number): [number, [number, Buffer][]][] {
    const inos = ino === undefined ? [...this.byIno.keys()] : this.byIno.has(ino) ? [ino] : [];
    return inos.map((i) => {
      const m = this.byIno.get(i)!;
      this.byIno.delete(i);
      this.count -= m.size;
      return [i, [...m].sort((a, b) => a[0] - b[0])];
    });
  }

  inodes(): number[] {
    return [...this.byIno.keys()];
  }

  countOf(ino: number): number {
    return this.byIno.get(ino)?.size ?? 0;
  }

  get size(): number {
    return this.count;
  }
}

/** Where a file block's address lives in a dirty node block. */
export interface DnodeSlot {
  nid: number; // inode nid for level 0, else the direct node
  raw: Buffer; // the dirty node block
  off: number; // byte offset of the slot in raw
  ofsInNode: number; // SSA ofs_in_node
}

/** The blocks a byte range [pos, end) touches: each block's index, start, and the part of the range inside it. */
export function* blockSpans(pos: number, end: number): Generator<{ bidx: number; blockPos: number; from: number; to: number }> {
  for (let bidx = Math.floor(pos / BLKSIZE); bidx * BLKSIZE < end; bidx++) {
    const blockPos = bidx * BLKSIZE;
    yield { bidx, blockPos, from: Math.max(pos, blockPos), to: Math.min(end, blockPos + BLKSIZE) };
  }
}

/** Dirty pages held before writeback is forced (bounded memory on big imports). */
const MAX_DIRTY_PAGES = 4096; // 16 MiB
/** The kernel sends small writebacks (<= min_hot_blocks dirty pages) to the hot data log. */
const MIN_HOT_BLOCKS = 16;

const iExt = Inode.field('i_ext');

/** The mapping of a file changed: drop its cached largest extent rather than leave it stale (fsck checks it). */
export function dropExtent(vol: Volume, ino: number): void {
  const raw = vol.nm.readNode(ino).raw;
  if (iExt.get(raw).len !== 0) iExt.set(vol.nm.nodeForUpdate(ino), { fofs: 0, blk: 0, len: 0 });
}

/** f2fs_write_begin/end: stages `page` as file block `bidx`; a hole gets a NEW_ADDR reservation charged to the file. */
export function writePage(vol: Volume, info: InodeInfo, bidx: number, page: Buffer): void {
  if (info.logClusterSize) prepareClusterOverwrite(vol, info, bidx);
  const dn = getDnode(vol, info, bidx, true)!;
  const cur = readSlot(vol.nm.readNode(dn.nid).raw, dn.off);
  if (cur === NULL_ADDR) reserveSlot(vol, info.ino, dn.nid, dn.off);
  vol.pages.set(info.ino, bidx, page);
  if (vol.pages.size > MAX_DIRTY_PAGES) {
    writeback(vol);
    boundPending(vol, 'writeback');
  }
}

/**
 * Writes the device's queue out once it holds more than MAX_DIRTY_PAGES blocks. New blocks live only in slots free
 * at the last checkpoint (LFS and SSR alike): writing them early is crash-safe, and it bounds memory.
 */
export function boundPending(vol: Volume, tag: string): void {
  if (vol.dev.pendingCount > MAX_DIRTY_PAGES) vol.dev.flush(tag);
}

/** The data log a file's pages go to (__get_segment_type_6). */
function dataLogOf(info: InodeInfo, dirtyCount: number): CursegType {
  const i = info.inode;
  if ((i.i_mode & 0o170000) === 0o040000) return CursegType.HOT_DATA;
  if (i.i_advise & Advise.COLD) return CursegType.COLD_DATA;
  if (i.i_advise & Advise.HOT || dirtyCount <= MIN_HOT_BLOCKS) return CursegType.HOT_DATA;
  return CursegType.WARM_DATA;
}

/** Volumes of up to 16 GiB of segments rewrite data in place (f2fs_tuning_parameters: SMALL_VOLUME_SEGMENTS, IPU_FORCE). */
const SMALL_VOLUME_SEGMENTS = 16 * 512;
/** An fsync that writes at most this many pages rewrites them in place (min_fsync_blocks, IPU_FSYNC). */
const MIN_FSYNC_BLOCKS = 8;

/**
 * need_inplace_update: whether a rewrite of a block already on disk goes back to its address (IPU) rather than to a
 * new one. Never in lfs mode, nor for directories and quota files (f2fs_should_update_outplace); always for pinned
 * and cold files; for the rest on small volumes, or in an fsync of a few pages. (An atomic file's pages go to its
 * COW inode, never here.)
 */
function updateInPlace(vol: Volume, info: InodeInfo, fsyncPages: number | undefined): boolean {
  const i = info.inode;
  if (vol.mode === 'lfs' || isDir(i.i_mode) || vol.sb.qf_ino.includes(info.ino)) return false;
  if (i.i_inline & InlineFlag.PIN_FILE || i.i_advise & Advise.COLD) return true;
  if (vol.geo.mainSegments <= SMALL_VOLUME_SEGMENTS) return true;
  return fsyncPages !== undefined && fsyncPages <= MIN_FSYNC_BLOCKS;
}

/**
 * Writes dirty pages (of one inode, or all): a block already on disk is rewritten in place when the kernel would
 * (updateInPlace), anything else goes to a new block of the data log (SSA owner set, old block invalidated).
 * `fsync`: the pages are an fsync's.
 */
export function writeback(vol: Volume, ino?: number, opts: { fsync?: boolean } = {}): void {
  for (const [i, pages] of vol.pages.take(ino)) writePages(vol, i, pages, opts);
}

/** writeback's step for one inode's pages (in block order); `plain`: a compressed file's clusters are not compressed. */
export function writePages(vol: Volume, i: number, pages: [number, Buffer][], opts: { fsync?: boolean; plain?: boolean }): void {
  const info = vol.inode(i);
  const type = dataLogOf(info, pages.length);
  // A compressed file's clusters always go to new blocks (f2fs_write_compressed_pages).
  const inPlace = !info.logClusterSize && updateInPlace(vol, info, opts.fsync ? pages.length : undefined);
  let moved = false;
  const writePlain = (bidx: number, page: Buffer) => {
    const dn = getDnode(vol, info, bidx, false);
    if (!dn) fail('CORRUPT', `inode ${i} lost the node of dirty block ${bidx}`);
    const old = readSlot(vol.nm.readNode(dn!.nid).raw, dn!.off);
    if (old === NULL_ADDR) fail('CORRUPT', `inode ${i} block ${bidx} is dirty but not reserved`);
    if (isDataBlkaddr(old) && inPlace) {
      // f2fs_inplace_write_data: only into a data segment (else the kernel stops with EFSCORRUPTED).
      const at = vol.check.mainBlkaddr(old, `inode ${i} block ${bidx}`);
      if (isNodeSegType(vol.sm.getSit(vol.sm.segnoOf(at)).type)) fail('CORRUPT', `inode ${i} block ${bidx} at ${at} lies in a node segment`, { blkaddr: at });
      vol.dev.adoptBlock(at, page, 'data-ipu');
      return;
    }
    const version = vol.nm.getNat(dn!.nid).version;
    const blkaddr = vol.sm.allocate(type, { nid: dn!.nid, version, ofs_in_node: dn!.ofsInNode });
    vol.dev.adoptBlock(blkaddr, page, 'data'); // pages in DirtyPages are private copies, taken out above
    // NEW_ADDR and COMPRESS_ADDR (the first page of a cluster written plain again) hold no block.
    if (isDataBlkaddr(old)) vol.sm.invalidate(vol.check.mainBlkaddr(old, `inode ${i} block ${bidx}`));
    writeSlot(vol.nm.nodeForUpdate(dn!.nid), dn!.off, blkaddr);
    moved = true;
  };
  if (info.logClusterSize) writebackClusters(vol, info, pages, type, writePlain, opts.plain ?? false);
  else for (const [bidx, page] of pages) writePlain(bidx, page);
  if (moved || info.logClusterSize) dropExtent(vol, i);
}
