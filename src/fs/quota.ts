// Quota: the v2 quota tree in the quota inodes (read, insert, update, delete as fs/quota/quota_tree.c does), usage
// charges by uid/gid/projid as Linux makes them with the quota feature, and their write-out at checkpoint.
//
// Linux charges every inode but the quota files themselves: one inode, and (i_blocks - 1) blocks of 4 KiB (the inode's
// own block is not charged; data, direct/indirect and xattr nodes are). fsck.f2fs recomputes exactly that (once per
// inode, hard links or not). Charges made between checkpoints are kept per id and written into the quota files at the
// start of each checkpoint (f2fs_quota_sync in block_operations), through the quota inodes' data, out of place.
import { F2fsError, fail } from '../errors.js';
import { BLKSIZE } from './layout/constants.js';
import { I_ADDR_OFFSET, InlineFlag, InodeExtra, InodeHead, extraFieldFits } from './layout/node.js';
import {
  MAX_DQ_TIME,
  MAX_IQ_TIME,
  QT_BLKSIZE,
  QT_ENTRIES_PER_BLOCK,
  QT_REFS_PER_BLOCK,
  QT_TREEDEPTH,
  QT_TREEOFF,
  QtDiskDqdbheader,
  TreeRef,
  V2DiskDqheader,
  V2DiskDqinfo,
  V2_DQINFOOFF,
  V2_MAGICS,
  V2_VERSION,
  V2r1DiskDqblk,
  QUOTA_TYPES,
  type QuotaTypeName,
} from './layout/quota.js';
import { Feature, type Superblock } from './layout/superblock.js';
import { CpFlag } from './layout/checkpoint.js';
import { hasInlineData, editInode, inodeSize, now, setTimes, type InodeInfo } from './inode.js';
import { maxFileBlocks } from './node.js';
import { writePage } from './data.js';
import type { Validator } from './validate.js';
import type { Volume } from './volume.js';

/** One id's record (v2r1_disk_dqblk without its padding): usage in bytes and inodes, limits in 1 KiB blocks and inodes. */
export type Dquot = Omit<V2r1DiskDqblk, 'dqb_pad'>;

export interface Usage {
  space: number; // bytes
  inodes: number;
}

const ref = TreeRef.field('ref');
const ENTRY_OFFSET = QtDiskDqdbheader.size;

const emptyDquot = (id: number): Dquot => ({
  dqb_id: id,
  dqb_ihardlimit: 0,
  dqb_isoftlimit: 0,
  dqb_curinodes: 0,
  dqb_bhardlimit: 0,
  dqb_bsoftlimit: 0,
  dqb_curspace: 0,
  dqb_btime: 0,
  dqb_itime: 0,
});

const isUnused = (buf: Buffer, off: number) => {
  for (let i = 0; i < V2r1DiskDqblk.size; i++) if (buf[off + i]) return false;
  return true;
};

/** __get_index: the byte of `id` that picks the ref at `depth` (the most significant byte at the root). */
const treeIndex = (id: number, depth: number) => Math.floor(id / QT_REFS_PER_BLOCK ** (QT_TREEDEPTH - depth - 1)) % QT_REFS_PER_BLOCK;

/** One quota file's content in memory: the v2 header and info in block 0, the radix tree from block 1, leaf blocks of entries. */
export class QuotaTree {
  private buf: Buffer;

  private constructor(
    buf: Buffer,
    private readonly check: Pick<Validator, 'range'>,
  ) {
    this.buf = buf;
  }

  /** Parses a quota file (v2_check_quota_file + v2_read_file_info): header of this type, block counts in range. */
  static parse(data: Buffer, type: number, check: Pick<Validator, 'range'>): QuotaTree {
    if (data.length < V2_DQINFOOFF + V2DiskDqinfo.size) fail('CORRUPT', `quota file of type ${type} is ${data.length} bytes: too short for its header`);
    const h = V2DiskDqheader.decode(data);
    if (h.dqh_magic !== V2_MAGICS[type] || h.dqh_version !== V2_VERSION)
      fail('CORRUPT', `quota file of type ${type} has magic 0x${h.dqh_magic.toString(16)} version ${h.dqh_version}, expected 0x${V2_MAGICS[type].toString(16)} version ${V2_VERSION}`);
    const info = V2DiskDqinfo.decode(data, V2_DQINFOOFF);
    // Blocks past i_size read as zeros (f2fs_quota_read), but the tree cannot lie beyond the file's last page.
    const maxBlocks = Math.ceil(data.length / BLKSIZE) * (BLKSIZE / QT_BLKSIZE);
    check.range(info.dqi_blocks, QT_TREEOFF + 1, maxBlocks, `quota file ${type} dqi_blocks`);
    check.range(info.dqi_free_blk, 0, info.dqi_blocks - 1, `quota file ${type} dqi_free_blk`);
    check.range(info.dqi_free_entry, 0, info.dqi_blocks - 1, `quota file ${type} dqi_free_entry`);
    const buf = Buffer.alloc(info.dqi_blocks * QT_BLKSIZE);
    data.copy(buf, 0, 0, Math.min(data.length, buf.length));
    return new QuotaTree(buf, check);
  }

  /** A new, empty quota file (v2_new_io): header, info with the default grace times, an empty root block. */
  static create(type: number, check: Pick<Validator, 'range'>, keep?: { dqi_bgrace: number; dqi_igrace: number; dqi_flags: number }): QuotaTree {
    const buf = Buffer.alloc((QT_TREEOFF + 1) * QT_BLKSIZE);
    V2DiskDqheader.encode({ dqh_magic: V2_MAGICS[type], dqh_version: V2_VERSION }, buf);
    V2DiskDqinfo.encode(
      { dqi_bgrace: keep?.dqi_bgrace ?? MAX_DQ_TIME, dqi_igrace: keep?.dqi_igrace ?? MAX_IQ_TIME, dqi_flags: keep?.dqi_flags ?? 0, dqi_blocks: QT_TREEOFF + 1, dqi_free_blk: 0, dqi_free_entry: 0 },
      buf,
      V2_DQINFOOFF,
    );
    return new QuotaTree(buf, check);
  }

  /** The file's bytes: dqi_blocks blocks of 1 KiB. */
  get bytes(): Buffer {
    return this.buf;
  }

  get info(): V2DiskDqinfo {
    return V2DiskDqinfo.view(this.buf, V2_DQINFOOFF);
  }

  private blockOff(blk: number, what: string, min = 0): number {
    return this.check.range(blk, min, this.info.dqi_blocks - 1, `quota ${what} block`) * QT_BLKSIZE;
  }

  private header(blk: number): QtDiskDqdbheader {
    const h = QtDiskDqdbheader.view(this.buf, this.blockOff(blk, 'data'));
    // check_dquot_block_header
    this.check.range(h.dqdh_next_free, 0, this.info.dqi_blocks - 1, 'quota dqdh_next_free');
    this.check.range(h.dqdh_prev_free, 0, this.info.dqi_blocks - 1, 'quota dqdh_prev_free');
    this.check.range(h.dqdh_entries, 0, QT_ENTRIES_PER_BLOCK, 'quota dqdh_entries');
    return h;
  }

  private getRef(blk: number, i: number): number {
    return ref.get(this.buf, blk * QT_BLKSIZE + 4 * i);
  }

  private setRef(blk: number, i: number, v: number): void {
    ref.set(this.buf, v, blk * QT_BLKSIZE + 4 * i);
  }

  /** get_free_dqblk: the head of the free-block list, or a new block at the end of the file. */
  private getFreeBlock(): number {
    const info = this.info;
    if (info.dqi_free_blk) {
      const blk = info.dqi_free_blk;
      info.dqi_free_blk = this.header(blk).dqdh_next_free;
      return blk;
    }
    const blk = info.dqi_blocks;
    this.buf = Buffer.concat([this.buf, Buffer.alloc(QT_BLKSIZE)]);
    this.info.dqi_blocks = blk + 1;
    return blk;
  }

  /** put_free_dqblk: the block heads the free-block list (its other bytes stay, as the kernel leaves them). */
  private putFreeBlock(blk: number): void {
    const h = QtDiskDqdbheader.view(this.buf, blk * QT_BLKSIZE);
    Object.assign(h, { dqdh_next_free: this.info.dqi_free_blk, dqdh_prev_free: 0, dqdh_entries: 0 });
    this.info.dqi_free_blk = blk;
  }

  /** remove_free_dqentry: unlinks a leaf from the list of leaves with free entries. */
  private removeFreeEntryBlock(blk: number): void {
    const h = this.header(blk);
    if (h.dqdh_next_free) this.header(h.dqdh_next_free).dqdh_prev_free = h.dqdh_prev_free;
    if (h.dqdh_prev_free) this.header(h.dqdh_prev_free).dqdh_next_free = h.dqdh_next_free;
    else this.info.dqi_free_entry = h.dqdh_next_free;
    h.dqdh_next_free = 0;
    h.dqdh_prev_free = 0;
  }

  /** insert_free_dqentry: a leaf that has a free entry again goes to the head of that list. */
  private insertFreeEntryBlock(blk: number): void {
    const h = this.header(blk);
    h.dqdh_next_free = this.info.dqi_free_entry;
    h.dqdh_prev_free = 0;
    if (this.info.dqi_free_entry) this.header(this.info.dqi_free_entry).dqdh_prev_free = blk;
    this.info.dqi_free_entry = blk;
  }

  /** find_free_dqentry: a free slot in the first leaf with room (a new leaf if none); returns its block and byte offset. */
  private allocEntry(): { blk: number; off: number } {
    let blk = this.info.dqi_free_entry;
    if (blk) this.header(blk);
    else {
      blk = this.getFreeBlock();
      this.buf.fill(0, blk * QT_BLKSIZE, (blk + 1) * QT_BLKSIZE);
      this.info.dqi_free_entry = blk;
    }
    const h = this.header(blk);
    if (h.dqdh_entries + 1 >= QT_ENTRIES_PER_BLOCK) this.removeFreeEntryBlock(blk);
    h.dqdh_entries += 1;
    for (let i = 0; i < QT_ENTRIES_PER_BLOCK; i++) {
      const off = blk * QT_BLKSIZE + ENTRY_OFFSET + i * V2r1DiskDqblk.size;
      if (isUnused(this.buf, off)) return { blk, off };
    }
    return fail('CORRUPT', `quota leaf block ${blk} is full but was listed as having free entries`);
  }

  /** The path of tree blocks from the root towards `id`'s leaf (find_tree_dqentry), checked for range and cycles. */
  private path(id: number): { blks: number[]; leaf: number } {
    const blks = [QT_TREEOFF];
    for (let depth = 0; depth < QT_TREEDEPTH; depth++) {
      const next = this.getRef(blks[depth], treeIndex(id, depth));
      if (!next) return { blks, leaf: 0 };
      this.blockOff(next, 'tree', QT_TREEOFF);
      if (blks.includes(next)) fail('CORRUPT', `cycle in the quota tree at block ${next}`);
      if (depth < QT_TREEDEPTH - 1) blks.push(next);
      else return { blks, leaf: next };
    }
    return { blks, leaf: 0 };
  }

  /** Byte offset of `id`'s entry, or 0 when it has none (find_dqentry). */
  find(id: number): number {
    const { leaf } = this.path(id);
    if (!leaf) return 0;
    this.header(leaf);
    for (let i = 0; i < QT_ENTRIES_PER_BLOCK; i++) {
      const off = leaf * QT_BLKSIZE + ENTRY_OFFSET + i * V2r1DiskDqblk.size;
      if (!isUnused(this.buf, off) && V2r1DiskDqblk.field('dqb_id').get(this.buf, off) === id) return off;
    }
    return fail('CORRUPT', `quota for id ${id} is referenced but not present in leaf block ${leaf}`);
  }

  get(id: number): Dquot | null {
    const off = this.find(id);
    return off ? this.decodeAt(off) : null;
  }

  private decodeAt(off: number): Dquot {
    const { dqb_pad: _, ...d } = V2r1DiskDqblk.decode(this.buf, off);
    // v2r1_disk2memdqb: the all-zero escape (itime 1 alone) reads back as zero.
    if (d.dqb_itime === 1 && !d.dqb_id && !d.dqb_curinodes && !d.dqb_curspace && !d.dqb_btime && !d.dqb_ihardlimit && !d.dqb_isoftlimit && !d.dqb_bhardlimit && !d.dqb_bsoftlimit)
      d.dqb_itime = 0;
    return d;
  }

  /** qtree_write_dquot: the entry is inserted into the tree first if the id has none (dq_insert_tree). */
  put(d: Dquot): void {
    let off = this.find(d.dqb_id);
    if (!off) off = this.insert(d.dqb_id);
    V2r1DiskDqblk.encode({ ...d, dqb_pad: 0 }, this.buf, off);
    // v2r1_mem2diskdqb: an all-zero record would read as a free slot.
    if (isUnused(this.buf, off)) V2r1DiskDqblk.field('dqb_itime').set(this.buf, 1, off);
  }

  /** do_insert_tree: missing tree blocks on the way down, then a slot in a leaf; returns the entry's offset. */
  private insert(id: number): number {
    let cur = QT_TREEOFF;
    const seen = [cur];
    for (let depth = 0; depth < QT_TREEDEPTH; depth++) {
      const idx = treeIndex(id, depth);
      let next = this.getRef(cur, idx);
      if (depth === QT_TREEDEPTH - 1) {
        if (next) fail('CORRUPT', `quota entry for id ${id} is already present (block ${next})`);
        const { blk, off } = this.allocEntry();
        this.setRef(cur, idx, blk);
        return off;
      }
      if (!next) {
        next = this.getFreeBlock();
        this.buf.fill(0, next * QT_BLKSIZE, (next + 1) * QT_BLKSIZE);
        this.setRef(cur, idx, next);
      } else {
        this.blockOff(next, 'tree', QT_TREEOFF);
        if (seen.includes(next)) fail('CORRUPT', `cycle in the quota tree at block ${next}`);
      }
      seen.push(next);
      cur = next;
    }
    return fail('CORRUPT', 'quota tree deeper than its depth');
  }

  /** qtree_delete_dquot: the entry goes; a leaf left empty and tree blocks left without refs go to the free list. */
  delete(id: number): void {
    const off = this.find(id);
    if (!off) return;
    const { blks, leaf } = this.path(id);
    const h = this.header(leaf);
    h.dqdh_entries -= 1;
    if (!h.dqdh_entries) {
      this.removeFreeEntryBlock(leaf);
      this.putFreeBlock(leaf);
    } else {
      this.buf.fill(0, off, off + V2r1DiskDqblk.size);
      if (h.dqdh_entries === QT_ENTRIES_PER_BLOCK - 1) this.insertFreeEntryBlock(leaf);
    }
    // remove_tree: the last tree level always forgets the leaf (other ids may still share it); a tree block left
    // without refs goes too, up to the root.
    let gone = true;
    for (let depth = QT_TREEDEPTH - 1; depth >= 0 && gone; depth--) {
      const blk = blks[depth];
      this.setRef(blk, treeIndex(id, depth), 0);
      let empty = true;
      for (let i = 0; i < QT_REFS_PER_BLOCK && empty; i++) if (this.getRef(blk, i)) empty = false;
      // The root block never goes to the free list.
      gone = empty && blk !== QT_TREEOFF;
      if (gone) this.putFreeBlock(blk);
    }
  }

  /** Every entry, leaf by leaf in tree order, each leaf once (v2_scan_dquots / report_tree). */
  entries(): Dquot[] {
    const out: Dquot[] = [];
    const leaves = new Set<number>();
    const walk = (blk: number, depth: number) => {
      for (let i = 0; i < QT_REFS_PER_BLOCK; i++) {
        const next = this.getRef(blk, i);
        if (!next) continue;
        this.blockOff(next, 'tree', QT_TREEOFF);
        if (depth < QT_TREEDEPTH - 1) {
          walk(next, depth + 1);
          continue;
        }
        if (leaves.has(next)) continue;
        leaves.add(next);
        this.header(next);
        for (let e = 0; e < QT_ENTRIES_PER_BLOCK; e++) {
          const off = next * QT_BLKSIZE + ENTRY_OFFSET + e * V2r1DiskDqblk.size;
          if (!isUnused(this.buf, off)) out.push(this.decodeAt(off));
        }
      }
    };
    walk(QT_TREEOFF, 0);
    return out;
  }
}

/* ---- charges ---- */

const iInline = InodeHead.field('i_inline');
const iUid = InodeHead.field('i_uid');
const iGid = InodeHead.field('i_gid');
const iBlocks = InodeHead.field('i_blocks');
const extraIsize = InodeExtra.field('i_extra_isize');
const iProjid = InodeExtra.field('i_projid');

/** i_projid as do_read_inode takes it: from the extra area when it reaches the field, else F2FS_DEF_PROJID (0). */
export function projidOf(raw: Buffer): number {
  if (!(iInline.get(raw) & InlineFlag.EXTRA_ATTR)) return 0;
  return extraFieldFits(extraIsize.get(raw, I_ADDR_OFFSET), 'i_projid', 4) ? iProjid.get(raw, I_ADDR_OFFSET) : 0;
}

/** The ids an inode block is charged to, per quota type: uid, gid, projid. */
export const quotaIds = (raw: Buffer): [number, number, number] => [iUid.get(raw), iGid.get(raw), projidOf(raw)];

/** What one inode costs its ids (fsck.f2fs quota_add_inode_usage): itself, and its blocks but its own. */
export const inodeUsage = (raw: Buffer): Usage => ({ space: (iBlocks.get(raw) - 1) * BLKSIZE, inodes: 1 });

/** The quota types this image keeps (a quota inode in qf_ino[] under the quota feature), or none. */
export function quotaTypes(sb: Superblock): number[] {
  if (!(sb.feature & Feature.QUOTA_INO)) return [];
  return [0, 1, 2].filter((t) => sb.qf_ino[t] !== 0 && (t !== 2 || sb.feature & Feature.PRJQUOTA));
}

/** The in-memory side of quota (the kernel's dirty dquots): charges since the last checkpoint, per type and id. */
export class QuotaCharges {
  readonly pending: Map<number, Usage>[] = [new Map(), new Map(), new Map()];
  /** Usage must be counted again from the whole tree at the next checkpoint (after roll-forward recovery, fsck --fix). */
  recount = false;
  /** The files could not be kept exact (the kernel's SBI_QUOTA_NEED_REPAIR): CP_QUOTA_NEED_FSCK_FLAG goes out. */
  needFsck: boolean;
  private readonly qfInos: Set<number>;

  constructor(
    readonly types: number[],
    qfIno: number[],
    cpFlags: number,
  ) {
    this.qfInos = new Set(qfIno.filter(Boolean));
    this.needFsck = (cpFlags & CpFlag.QUOTA_NEED_FSCK) !== 0;
  }

  /** Quota files are never charged (IS_NOQUOTA). */
  isQuotaFile(ino: number): boolean {
    return this.qfInos.has(ino);
  }

  private add(raw: Buffer, space: number, inodes: number): void {
    const ids = quotaIds(raw);
    for (const t of this.types) {
      const m = this.pending[t];
      const u = m.get(ids[t]) ?? { space: 0, inodes: 0 };
      u.space += space;
      u.inodes += inodes;
      m.set(ids[t], u);
    }
  }

  /** Blocks of inode `ino` (whose block is `raw`) charged (+) or released (-): dquot_alloc_block / dquot_free_block. */
  chargeBlocks(ino: number, raw: Buffer, blocks: number): void {
    if (!this.isQuotaFile(ino)) this.add(raw, blocks * BLKSIZE, 0);
  }

  /** The whole inode charged (+1: created, or given new ids) or released (-1: freed, or leaving its old ids). */
  chargeInode(ino: number, raw: Buffer, sign: 1 | -1): void {
    if (this.isQuotaFile(ino)) return;
    const u = inodeUsage(raw);
    this.add(raw, sign * u.space, sign * u.inodes);
  }

  /** Checkpoint flags with CP_QUOTA_NEED_FSCK_FLAG as this state asks (update_ckpt_flags). */
  cpFlags(flags: number): number {
    return this.needFsck ? flags | CpFlag.QUOTA_NEED_FSCK : flags & ~CpFlag.QUOTA_NEED_FSCK;
  }
}

export function quotaChargesFor(sb: Superblock, cpFlags: number): QuotaCharges | null {
  const types = quotaTypes(sb);
  return types.length ? new QuotaCharges(types, sb.qf_ino, cpFlags) : null;
}

/* ---- the files ---- */

/** Quota files are read whole into memory: a bigger one (far beyond any tree of real ids) is refused. */
const QUOTA_FILE_MAX = 1 << 30;

/** A quota file's bytes, its i_size checked first: a damaged one is no length to allocate. */
function quotaFileBytes(vol: Volume, info: InodeInfo): Buffer {
  const size = info.inode.i_size;
  if (size > maxFileBlocks(info) * BLKSIZE) fail('CORRUPT', `quota inode ${info.ino}: i_size ${inodeSize(info)} is beyond the largest file`);
  if (size > QUOTA_FILE_MAX) fail('UNSUPPORTED', `quota inode ${info.ino}: a quota file of ${size} bytes is more than f2fsdbg reads into memory`);
  return vol.data.read(info, 0, size);
}

/** The quota file of `type` as stored (dirty pages included). */
export function readQuotaFile(vol: Volume, type: number): QuotaTree {
  const ino = vol.sb.qf_ino[type];
  const info = vol.inode(ino);
  if (hasInlineData(info)) fail('CORRUPT', `quota inode ${ino} has inline data`);
  return QuotaTree.parse(quotaFileBytes(vol, info), type, vol.check);
}

/**
 * Writes a quota file's changed pages into its inode (f2fs_quota_write): out of place at the next writeback, i_size
 * grown. True when there was no room for its new blocks (nothing is written then).
 */
function storeQuotaFile(vol: Volume, type: number, tree: QuotaTree): boolean {
  const ino = vol.sb.qf_ino[type];
  const info = vol.inode(ino);
  const old = quotaFileBytes(vol, info);
  const data = tree.bytes;
  const size = Math.max(info.inode.i_size, data.length);
  const changed = new Map<number, Buffer>();
  for (let bidx = 0; bidx * BLKSIZE < size; bidx++) {
    const start = bidx * BLKSIZE;
    const before = Buffer.concat([old.subarray(start, start + BLKSIZE)], BLKSIZE);
    // The tree's bytes over the old page: bytes past the tree (i_size beyond dqi_blocks) stay as they are.
    const page = Buffer.from(before);
    if (start < data.length) data.copy(page, 0, start, Math.min(data.length, start + BLKSIZE));
    if (!page.equals(before)) changed.set(bidx, page);
  }
  if (!changed.size) return false;
  // All pages or none: new blocks (and a node for them) must fit before the first page is staged.
  const fresh = [...changed.keys()].filter((bidx) => !hasInlineData(info) && !vol.data.bmap(info, bidx).blkaddr).length;
  if (fresh) {
    try {
      vol.reserveBlocks(fresh + 1);
    } catch (e) {
      if (e instanceof F2fsError && e.code === 'ENOSPC') return true;
      throw e;
    }
    vol.counts.blocks -= fresh + 1; // only a check: writePage charges what it takes
  }
  for (const [bidx, page] of changed) writePage(vol, vol.inode(ino), bidx, page);
  const t = now();
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_size = size;
    setTimes(i, { m: t, c: t });
  });
  return false;
}

/** Adds `u` to an id's record, as dquot_incr_* / dquot_decr_* do (usage clamped at zero, grace cleared under the soft limit). */
function applyUsage(d: Dquot, u: Usage): boolean {
  let exact = true;
  d.dqb_curspace += u.space;
  d.dqb_curinodes += u.inodes;
  if (d.dqb_curspace < 0 || d.dqb_curinodes < 0) {
    exact = false;
    d.dqb_curspace = Math.max(0, d.dqb_curspace);
    d.dqb_curinodes = Math.max(0, d.dqb_curinodes);
  }
  if (u.space < 0 && d.dqb_curspace <= d.dqb_bsoftlimit * 1024) d.dqb_btime = 0;
  if (u.inodes < 0 && d.dqb_curinodes <= d.dqb_isoftlimit) d.dqb_itime = 0;
  return exact;
}

const hasLimits = (d: Dquot) => d.dqb_bhardlimit || d.dqb_bsoftlimit || d.dqb_ihardlimit || d.dqb_isoftlimit;

/** Puts `d` in the tree, or drops its entry when it has neither usage nor limits (dquot_release of a DQ_FAKE dquot). */
function putOrRelease(tree: QuotaTree, d: Dquot): void {
  if (!d.dqb_curspace && !d.dqb_curinodes && !hasLimits(d)) tree.delete(d.dqb_id);
  else tree.put(d);
}

/** Usage per quota type and id counted over every inode of the volume (the quota files excluded). */
export function countUsage(vol: Volume): Map<number, Usage>[] {
  const out: Map<number, Usage>[] = [new Map(), new Map(), new Map()];
  const skip = new Set(vol.sb.qf_ino.filter(Boolean));
  for (let nid = vol.sb.root_ino; nid < vol.geo.maxNid; nid++) {
    const ne = vol.nm.getNat(nid);
    if (ne.block_addr === 0 || ne.ino !== nid || skip.has(nid)) continue;
    addInodeUsage(out, vol.inode(nid).page.raw);
  }
  return out;
}

/** quota_add_inode_usage: one inode's usage added to its uid's, gid's and projid's. */
export function addInodeUsage(usage: Map<number, Usage>[], raw: Buffer): void {
  const ids = quotaIds(raw);
  const u = inodeUsage(raw);
  for (let t = 0; t < 3; t++) {
    const cur = usage[t].get(ids[t]) ?? { space: 0, inodes: 0 };
    usage[t].set(ids[t], { space: cur.space + u.space, inodes: cur.inodes + u.inodes });
  }
}

/**
 * Rewrites each quota file so its usage equals `usage` (limits and grace kept); a file that cannot be parsed is made
 * anew (quota_write_inode).
 */
function rewriteUsage(vol: Volume, type: number, usage: Map<number, Usage>): void {
  let tree: QuotaTree;
  try {
    tree = readQuotaFile(vol, type);
  } catch (e) {
    if (!(e instanceof F2fsError && e.code === 'CORRUPT')) throw e;
    tree = QuotaTree.create(type, vol.check);
  }
  const ids = new Set([...tree.entries().map((d) => d.dqb_id), ...usage.keys()]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const d = tree.get(id) ?? emptyDquot(id);
    const u = usage.get(id) ?? { space: 0, inodes: 0 };
    d.dqb_curspace = 0;
    d.dqb_curinodes = 0;
    applyUsage(d, u);
    putOrRelease(tree, d);
  }
  if (storeQuotaFile(vol, type, tree)) vol.quota!.needFsck = true;
}

/**
 * f2fs_quota_sync at the start of a checkpoint: the charges since the last one go into the quota files. A file that
 * cannot be read, or usage that would go negative, sets CP_QUOTA_NEED_FSCK_FLAG instead of leaving quota silently wrong.
 */
export function syncQuota(vol: Volume): void {
  const q = vol.quota;
  if (!q) return;
  if (q.recount) {
    q.recount = false;
    q.needFsck = false;
    for (const m of q.pending) m.clear();
    const usage = countUsage(vol);
    for (const t of q.types) rewriteUsage(vol, t, usage[t]);
    return;
  }
  for (const t of q.types) {
    const charges = q.pending[t];
    if (!charges.size) continue;
    let tree: QuotaTree;
    try {
      tree = readQuotaFile(vol, t);
      for (const id of [...charges.keys()].sort((a, b) => a - b)) {
        const u = charges.get(id)!;
        if (!u.space && !u.inodes) continue;
        const d = tree.get(id) ?? emptyDquot(id);
        if (!applyUsage(d, u)) q.needFsck = true;
        putOrRelease(tree, d);
      }
    } catch (e) {
      if (!(e instanceof F2fsError && e.code === 'CORRUPT')) throw e;
      q.needFsck = true;
      charges.clear();
      continue;
    }
    charges.clear();
    // No room for the file to grow (the kernel's quota write failing with ENOSPC): quota_need_fsck.
    if (storeQuotaFile(vol, t, tree)) q.needFsck = true;
  }
}

/** Each quota type's records as Linux holds them now: the file with the charges not yet written applied. */
export function quotaRecords(vol: Volume, type: number): Dquot[] {
  const tree = readQuotaFile(vol, type);
  const byId = new Map(tree.entries().map((d) => [d.dqb_id, d]));
  for (const [id, u] of vol.quota?.pending[type] ?? []) {
    const d = byId.get(id) ?? emptyDquot(id);
    applyUsage(d, u);
    byId.set(id, d);
  }
  return [...byId.values()].filter((d) => d.dqb_curspace || d.dqb_curinodes || hasLimits(d)).sort((a, b) => a.dqb_id - b.dqb_id);
}

export interface QuotaFileReport {
  type: QuotaTypeName;
  ino: number;
  /** Grace periods in seconds and the file's flags (v2_disk_dqinfo). */
  bgrace: number;
  igrace: number;
  flags: number;
  records: Dquot[];
}

/** What repquota lists for one quota type: the file's info and every id's record, charges not yet written included. */
export function quotaReport(vol: Volume, type: number): QuotaFileReport {
  if (!quotaTypes(vol.sb).includes(type)) fail('EINVAL', `this image keeps no ${QUOTA_TYPES[type]} quota`);
  const info = readQuotaFile(vol, type).info;
  return { type: QUOTA_TYPES[type], ino: vol.sb.qf_ino[type], bgrace: info.dqi_bgrace, igrace: info.dqi_igrace, flags: info.dqi_flags, records: quotaRecords(vol, type) };
}

/** F2FS_IOC_FSSETXATTR's project part (chattr -p): i_projid changes and the inode's whole charge moves to the new project. */
export function setProject(vol: Volume, ino: number, projid: number, t = now()): void {
  vol.requireWritable();
  if (!Number.isInteger(projid) || projid < 0 || projid > 0xffffffff) fail('EINVAL', `project id ${projid} is not a 32-bit number`);
  const info = vol.inode(ino);
  if (!(vol.sb.feature & Feature.PRJQUOTA)) {
    if (projid !== 0) fail('UNSUPPORTED', 'this image has no project_quota feature (EOPNOTSUPP)');
    return;
  }
  if (!info.extra) fail('UNSUPPORTED', `inode ${ino} has no extra attribute area for a project id (EOPNOTSUPP)`);
  if (projidOf(info.page.raw) === projid) return;
  if (vol.quota?.isQuotaFile(ino)) fail('EINVAL', `inode ${ino} is a quota file (EPERM)`);
  if (!extraFieldFits(info.extraIsize, 'i_projid', 4)) fail('EINVAL', `inode ${ino}: its extra area (${info.extraIsize} bytes) does not reach i_projid (EOVERFLOW)`);
  const raw = vol.nm.nodeForUpdate(ino);
  vol.quota?.chargeInode(ino, raw, -1);
  iProjid.set(raw, projid, I_ADDR_OFFSET);
  editInode(raw, (i) => setTimes(i, { c: t }));
  vol.quota?.chargeInode(ino, raw, 1);
}

/** set-project: the path (symlinks followed) or <ino>, then setProject; returns the inode. */
export function setProjectPath(vol: Volume, path: string, projid: number, opts: { cwd?: number } = {}): number {
  const ino = vol.resolve(path, { cwd: opts.cwd, follow: true }).ino;
  setProject(vol, ino, projid);
  return ino;
}

/** mkfs.f2fs's quota file: header, the tree path of id 0 (root and three levels) and one leaf: 6 blocks of 1 KiB. */
export const MKFS_QUOTA_FILE_SIZE = (QT_TREEOFF + QT_TREEDEPTH + 1) * QT_BLKSIZE;

/** A tree this code builds from nothing cannot point out of range: no check needed. */
const BUILT: Pick<Validator, 'range'> = { range: (v) => v };

/** f2fs_write_default_quota: a new quota file of `type` whose only record charges id 0 (root's) with `usage`. */
export function mkfsQuotaFile(type: number, usage: Usage): Buffer {
  const tree = QuotaTree.create(type, BUILT);
  tree.put({ ...emptyDquot(0), dqb_curspace: usage.space, dqb_curinodes: usage.inodes });
  return tree.bytes;
}
