// Segment manager: SIT entries (journal over the current SIT copy), the six current segments and their summaries, SSA blocks,
// block allocation (LFS appends to fresh segments, SSR fills the free slots of dirty ones, and the kernel's switch);
// and ownerOf, who owns a main-area block (SSA entry, node, slot) with a verdict.
import type { BlockDevice } from '../device/types.js';
import { ReadWindow } from '../device/read-window.js';
import { F2fsError, during, fail } from '../errors.js';
import { ADDRS_PER_BLOCK, BLOCKS_PER_SEG, CUR_SEG_TYPES, CursegType, ENTRIES_IN_SUM, SIT_ENTRY_PER_BLOCK, isNodeSegType, isZeroBlock } from './layout/constants.js';
import { CpFlag } from './layout/checkpoint.js';
import { NODE_FOOTER_OFFSET, footerField, isDnodeOfs, isXattrOfs, readSlot, slotOffset } from './layout/node.js';
import { SitEntry, sitType, sitValidBlocks, sitVblocks } from './layout/sit.js';
import {
  COMPACT_ENTRY_LIMIT,
  COMPACT_FIRST_ENTRY_OFFSET,
  NatJournal,
  SUM_TYPE_DATA,
  SUM_TYPE_NODE,
  SitJournal,
  SummaryBlock,
  SummaryEntry,
} from './layout/summary.js';
import { bitMsb, popcount } from '../util/struct.js';
import { cpCurseg, type Checkpoint } from './checkpoint.js';
import type { Geometry } from './super.js';
import type { Validator } from './validate.js';
import { inodeAddr } from './inode.js';
import { startBidxOfNode } from './node.js';
import type { Volume } from './volume.js';
import { nowSeconds } from './clock.js';

export const ALLOC_LFS = 0;
const MAX_DIRTY_SSA = 1024; // 4 MiB of summaries
export const ALLOC_SSR = 1;

export interface Curseg {
  type: CursegType;
  segno: number;
  blkoff: number; // next free block offset
  allocType: number;
  /** The log's summary; node logs of a non-umount CP load theirs on first use. */
  sum: SummaryBlock | null;
}

export interface SitInfo extends SitEntry {
  segno: number;
  valid: number;
  type: number;
  source: 'journal' | 'block';
}

const emptySummary = (type: number): SummaryBlock => ({
  entries: Array.from({ length: ENTRIES_IN_SUM }, () => ({ nid: 0, version: 0, ofs_in_node: 0 })),
  journal: Buffer.alloc(507),
  footer: { entry_type: type, check_sum: 0 },
});

export class SegmentManager {
  readonly cursegs: Curseg[] = [];
  readonly natJournal: NatJournal;
  private readonly sitJournal = new Map<number, SitEntry>();
  /** SIT entries changed since the last checkpoint (the in-memory truth for those segments). */
  readonly sitDirty = new Map<number, SitEntry>();
  /** SSA blocks changed in memory (like the kernel's dirty meta pages), written before the next checkpoint or when many. */
  private readonly dirtySsa = new Map<number, SummaryBlock>();
  /** The last SSA block summaryOf decoded (a caller that changes it puts it back with putSsa or makes it a log's). */
  private lastSsa: { segno: number; raw: Buffer; sum: SummaryBlock } | undefined;
  /** The last SIT entry ckptSit checked, by what it was decoded from (a journal entry or the device's page). */
  private lastSit: { segno: number; from: SitEntry | Buffer; info: Readonly<SitInfo> } | undefined;
  /** Segments emptied since the last checkpoint: the checkpointed state may still use them, so they are not reused until the next one. */
  readonly prefree = new Set<number>();
  /** free_segment_count as maintained since mount (prefree segments are not free yet). */
  freeSegments: number;
  /** Main segments [lo, hi) the logs may take (all of them, except while resize empties the ones that go). */
  readonly allocWindow: { lo: number; hi: number };
  /** Seconds base for SIT mtime: the CP's elapsed_time at mount. */
  private readonly mountedAt = nowSeconds();
  private readonly elapsedAtMount: number;
  private readonly writable: boolean;
  /**
   * The main segments in runs of one SIT block each, in order. A `blank` run's segments are all free (bar the logs)
   * with nothing to decode: most of a big volume's SIT, which whole-table scans skip this way.
   */
  *sitRuns(): Generator<{ first: number; end: number; blank: boolean }> {
    for (let first = 0; first < this.geo.mainSegments; first += SIT_ENTRY_PER_BLOCK)
      yield { first, end: Math.min(first + SIT_ENTRY_PER_BLOCK, this.geo.mainSegments), blank: this.sitBlockIsBlank(first / SIT_ENTRY_PER_BLOCK) };
  }

  /** SIT blocks read ahead for sitBlockIsBlank's sequential scans. */
  private readonly sitWindow: ReadWindow;

  constructor(
    private readonly dev: BlockDevice,
    private readonly geo: Geometry,
    private readonly check: Validator,
    /** The volume's current checkpoint (one copy, the Volume's: replaced by each checkpoint written). */
    private readonly currentCp: () => Checkpoint,
  ) {
    const head = currentCp().head;
    this.writable = !dev.readOnly;
    this.sitWindow = new ReadWindow(dev, (k) => this.sitBlockAddr(k), geo.sitBlocks);
    this.freeSegments = head.free_segment_count;
    this.allocWindow = { lo: 0, hi: geo.mainSegments };
    this.elapsedAtMount = head.elapsed_time;
    for (let t = 0; t < CUR_SEG_TYPES; t++) {
      const c = cpCurseg(head, t);
      this.cursegs.push({ type: t, segno: c.segno, blkoff: c.blkoff, allocType: c.allocType, sum: null });
    }
    const { natJournal, sitJournal } = during('while reading the checkpoint summaries', () =>
      head.ckpt_flags & CpFlag.COMPACT_SUM ? this.readCompacted() : this.readNormalData(),
    );
    this.natJournal = natJournal;
    this.check.range(sitJournal.n_sits, 0, sitJournal.entries.length, 'SIT journal entry count');
    for (const e of sitJournal.entries.slice(0, sitJournal.n_sits)) {
      this.check.segno(e.segno, 'SIT journal entry');
      this.sitJournal.set(e.segno, e.se);
    }
    if (this.hasNodeSummaries()) {
      for (let n = 0; n < 3; n++) this.cursegs[CursegType.HOT_NODE + n].sum = SummaryBlock.decode(dev.readBlock(this.packSumAddr(3, n)));
    }
  }

  private hasNodeSummaries(): boolean {
    return (this.currentCp().head.ckpt_flags & (CpFlag.UMOUNT | CpFlag.FASTBOOT)) !== 0;
  }

  /** sum_blk_addr: block `type` of the last `base` summary blocks before the tail CP block. */
  private packSumAddr(base: number, type: number): number {
    return this.currentCp().base + this.currentCp().head.cp_pack_total_block_count - (base + 1) + type;
  }

  /** Entries of a data log held in the CP: all 512 for SSR logs, up to next_blkoff for LFS. */
  private sumEntriesOf(type: number): number {
    const c = this.cursegs[type];
    return c.allocType === ALLOC_SSR ? ENTRIES_IN_SUM : c.blkoff;
  }

  private readCompacted() {
    let addr = this.currentCp().base + this.currentCp().head.cp_pack_start_sum;
    let block = this.dev.readBlock(addr);
    const natJournal = NatJournal.decode(block, 0);
    const sitJournal = SitJournal.decode(block, NatJournal.size);
    let offset = COMPACT_FIRST_ENTRY_OFFSET;
    for (let t = CursegType.HOT_DATA; t <= CursegType.COLD_DATA; t++) {
      const sum = emptySummary(SUM_TYPE_DATA);
      const n = this.sumEntriesOf(t);
      for (let j = 0; j < n; j++) {
        sum.entries[j] = SummaryEntry.decode(block, offset);
        offset += SummaryEntry.size;
        if (offset + SummaryEntry.size <= COMPACT_ENTRY_LIMIT) continue;
        block = this.dev.readBlock(++addr);
        offset = 0;
      }
      this.cursegs[t].sum = sum;
    }
    return { natJournal, sitJournal };
  }

  private readNormalData() {
    const base = this.hasNodeSummaries() ? 6 : 3;
    const sums = [0, 1, 2].map((t) => SummaryBlock.decode(this.dev.readBlock(this.packSumAddr(base, t))));
    sums.forEach((s, t) => {
      // Entries past next_blkoff are not meaningful in an LFS log.
      const n = this.sumEntriesOf(t);
      for (let j = n; j < ENTRIES_IN_SUM; j++) s.entries[j] = { nid: 0, version: 0, ofs_in_node: 0 };
      this.cursegs[t].sum = s;
    });
    return { natJournal: NatJournal.decode(sums[CursegType.HOT_DATA].journal), sitJournal: SitJournal.decode(sums[CursegType.COLD_DATA].journal) };
  }

  /** f2fs_restore_node_summary: a node log's entries rebuilt from the footers of its written blocks. */
  private restoreNodeSummary(c: Curseg): SummaryBlock {
    const sum = SummaryBlock.decode(this.dev.readBlock(this.geo.ssaBlkaddr + c.segno));
    const start = this.segBlkaddr(c.segno);
    // Read ahead through a window: a cached page for each of the segment's blocks, at every open, cost more than the rest of the open.
    const blocks = new ReadWindow(this.dev, (k) => start + k, BLOCKS_PER_SEG);
    for (let i = 0; i < BLOCKS_PER_SEG; i++) sum.entries[i] = { nid: footerField.nid.get(blocks.get(i), NODE_FOOTER_OFFSET), version: 0, ofs_in_node: 0 };
    sum.footer = { entry_type: SUM_TYPE_NODE, check_sum: 0 };
    return sum;
  }

  cursegSummary(type: CursegType): SummaryBlock {
    const c = this.cursegs[type];
    if (!c.sum) c.sum = during(`while restoring the ${type} node log summary`, () => this.restoreNodeSummary(c));
    return c.sum;
  }

  segBlkaddr(segno: number): number {
    return this.geo.mainBlkaddr + segno * BLOCKS_PER_SEG;
  }

  segnoOf(blkaddr: number): number {
    return Math.floor((blkaddr - this.geo.mainBlkaddr) / BLOCKS_PER_SEG);
  }

  /** Address of the current copy of logical SIT block `k`. */
  sitBlockAddr(k: number): number {
    return this.geo.sitBlkaddr + k + (bitMsb.test(this.currentCp().sitBitmap, k) ? this.geo.sitBlocks : 0);
  }

  /** Whether every segment of SIT block `k` is free with nothing to decode: a zero block, no journal or dirty entry. */
  sitBlockIsBlank(k: number): boolean {
    const first = k * SIT_ENTRY_PER_BLOCK;
    for (let segno = first; segno < first + SIT_ENTRY_PER_BLOCK; segno++) if (this.sitJournal.has(segno) || this.sitDirty.has(segno)) return false;
    return isZeroBlock(this.sitWindow.get(k));
  }


  sitJournalEntries(): [number, SitEntry][] {
    return [...this.sitJournal];
  }

  getSit(segno: number): SitInfo {
    this.check.segno(segno, 'SIT lookup');
    const d = this.sitDirty.get(segno);
    if (d) return { ...d, segno, valid: sitValidBlocks(d.vblocks), type: sitType(d.vblocks), source: 'journal' };
    return this.ckptSit(segno);
  }

  /** The segment's entry as the last checkpoint has it (the kernel's ckpt_valid_map and ckpt_valid_blocks). */
  ckptSit(segno: number): SitInfo {
    this.check.segno(segno, 'SIT lookup');
    const j = this.sitJournal.get(segno);
    // Block validity asked block by block (lsdel, fsck, GC) would decode and check the same entry each time: the last
    // one is kept while it comes from the same journal entry or device page (a write of the block makes a new page).
    const from = j ?? this.dev.readBlock(this.sitBlockAddr(Math.floor(segno / SIT_ENTRY_PER_BLOCK)));
    if (this.lastSit?.segno === segno && this.lastSit.from === from) return this.lastSit.info;
    const se = j ?? SitEntry.decode(from as Buffer, (segno % SIT_ENTRY_PER_BLOCK) * SitEntry.size);
    const valid = sitValidBlocks(se.vblocks);
    const type = sitType(se.vblocks);
    // check_block_count: the kernel refuses a SIT whose count and bitmap disagree.
    if (valid > BLOCKS_PER_SEG || type >= CUR_SEG_TYPES || popcount(se.valid_map) !== valid)
      fail('CORRUPT', `SIT entry of segment ${segno} is inconsistent (vblocks 0x${se.vblocks.toString(16)}, ${popcount(se.valid_map)} bits set)`, { segno });
    const info: SitInfo = { ...se, segno, valid, type, source: j ? 'journal' : 'block' };
    this.lastSit = { segno, from, info: Object.freeze(info) };
    return info;
  }

  /**
   * __next_free_blkoff: the first slot at or after `start` that is free both now and in the last checkpoint (SSR must
   * not overwrite a block the checkpoint still references: a crash goes back to it); BLOCKS_PER_SEG when none is.
   */
  nextFreeBlkoff(segno: number, start: number): number {
    const cur = this.getSit(segno).valid_map;
    const ckpt = this.ckptSit(segno).valid_map;
    for (let off = start; off < BLOCKS_PER_SEG; off++) if (!bitMsb.test(cur, off) && !bitMsb.test(ckpt, off)) return off;
    return BLOCKS_PER_SEG;
  }

  /** The summary block of a segment: the in-memory log summary for current segments, else the SSA block. */
  summaryOf(segno: number): { sum: SummaryBlock; source: 'curseg' | 'ssa'; curseg?: CursegType } {
    this.check.segno(segno, 'summary lookup');
    const c = this.cursegs.find((x) => x.segno === segno);
    if (c) return { sum: this.cursegSummary(c.type), source: 'curseg', curseg: c.type };
    const dirty = this.dirtySsa.get(segno);
    if (dirty) return { sum: dirty, source: 'ssa' };
    // GC, defrag and reverse lookups ask for one segment's summary block by block: the last one decoded is kept for
    // as long as the device hands out the same page (any write of the block makes a new one).
    const raw = this.dev.readBlock(this.geo.ssaBlkaddr + segno);
    if (this.lastSsa?.segno !== segno || this.lastSsa.raw !== raw) this.lastSsa = { segno, raw, sum: SummaryBlock.decode(raw) };
    return { sum: this.lastSsa.sum, source: 'ssa' };
  }

  cursegOf(segno: number): Curseg | undefined {
    return this.cursegs.find((c) => c.segno === segno);
  }

  isBlockValid(blkaddr: number): boolean {
    const segno = this.segnoOf(blkaddr);
    return bitMsb.test(this.getSit(segno).valid_map, (blkaddr - this.geo.mainBlkaddr) % BLOCKS_PER_SEG);
  }

  /* ---- write side: allocation and SIT updates (the crash rule lives here) ---- */

  /** Elapsed seconds in the SIT/CP time base; a u64 that wraps as get_mtime's does (a crafted elapsed_time near 2^64). */
  mtimeNow(): number {
    const t = this.elapsedAtMount + Math.max(0, nowSeconds() - this.mountedAt);
    return t >= 2 ** 64 ? t - 2 ** 64 : t;
  }

  private sitForUpdate(segno: number): SitEntry {
    let d = this.sitDirty.get(segno);
    if (!d) {
      const cur = this.getSit(segno);
      d = { vblocks: cur.vblocks, valid_map: Buffer.from(cur.valid_map), mtime: cur.mtime };
      this.sitDirty.set(segno, d);
    }
    return d;
  }

  /** Marks a main-area block valid (allocation) with the log type owning its segment. */
  private markValid(blkaddr: number, type: number): void {
    const segno = this.segnoOf(blkaddr);
    const off = (blkaddr - this.geo.mainBlkaddr) % BLOCKS_PER_SEG;
    const se = this.sitForUpdate(segno);
    if (bitMsb.test(se.valid_map, off)) fail('CORRUPT', `allocating block ${blkaddr}, which is already valid`, { blkaddr });
    bitMsb.set(se.valid_map, off);
    se.vblocks = sitVblocks(type, sitValidBlocks(se.vblocks) + 1);
    se.mtime = this.mtimeNow();
    this.notePartial(segno, sitValidBlocks(se.vblocks));
  }

  /**
   * Segments with some but not all blocks valid, in segno order (the kernel's dirty_segmap, less the logs and the
   * prefree, which callers skip): what GC and SSR choose among. Built by one SIT scan on first use, kept up to date
   * by every change of a valid count after that.
   */
  partialSegments(): number[] {
    if (!this.partial) {
      this.partial = new Set();
      for (const run of this.sitRuns()) if (!run.blank) for (let segno = run.first; segno < run.end; segno++) this.notePartial(segno, this.getSit(segno).valid);
    }
    return [...this.partial].sort((a, b) => a - b);
  }

  private partial: Set<number> | null = null;

  private notePartial(segno: number, valid: number): void {
    if (!this.partial) return;
    if (valid > 0 && valid < BLOCKS_PER_SEG) this.partial.add(segno);
    else this.partial.delete(segno);
  }

  /** Drops a block's validity (its owner moved or freed it); an emptied non-current segment becomes prefree. */
  invalidate(blkaddr: number): void {
    this.check.mainBlkaddr(blkaddr, 'invalidate');
    const segno = this.segnoOf(blkaddr);
    const off = (blkaddr - this.geo.mainBlkaddr) % BLOCKS_PER_SEG;
    const se = this.sitForUpdate(segno);
    if (!bitMsb.test(se.valid_map, off)) fail('CORRUPT', `freeing block ${blkaddr}, which is not valid in the SIT`, { blkaddr });
    bitMsb.clear(se.valid_map, off);
    const valid = sitValidBlocks(se.vblocks) - 1;
    se.vblocks = sitVblocks(sitType(se.vblocks), valid);
    se.mtime = this.mtimeNow();
    this.notePartial(segno, valid);
    if (valid === 0 && !this.cursegOf(segno)) this.prefree.add(segno);
  }

  /**
   * f2fs_allocate_data_block: the log's next free block (LFS appends, SSR takes the next slot free now and in the
   * checkpoint), with its summary entry; the block that fills the segment also moves the log on (allocate_segment).
   */
  allocate(type: CursegType, entry: SummaryEntry): number {
    if (!this.writable) fail('EROFS', 'volume is read-only');
    if (this.placeNext) return this.allocateAt(this.placeNext, entry);
    const c = this.cursegs[type];
    // A checkpoint's SSR next_blkoff is such a slot already; one made elsewhere may not be: find it again.
    if (c.allocType === ALLOC_SSR) c.blkoff = this.nextFreeBlkoff(c.segno, c.blkoff);
    if (c.blkoff >= BLOCKS_PER_SEG) this.moveLog(type, this.chooseSegment(type));
    const sum = this.cursegSummary(type);
    const blkaddr = this.segBlkaddr(c.segno) + c.blkoff;
    const nextOff = c.allocType === ALLOC_SSR ? this.nextFreeBlkoff(c.segno, c.blkoff + 1) : c.blkoff + 1;
    // Choose the next segment before changing anything, so that ENOSPC leaves the log as it was.
    const next = nextOff >= BLOCKS_PER_SEG ? this.chooseSegment(type) : null;
    this.markValid(blkaddr, type);
    sum.entries[c.blkoff] = { ...entry };
    c.blkoff = nextOff;
    if (next) this.moveLog(type, next);
    return blkaddr;
  }

  /**
   * The exact block the next allocation takes instead of the log's next one, with the log type its segment gets
   * (defrag's find_next_free_block chose it); that allocation consumes it.
   */
  placeNext: { blkaddr: number; type: CursegType } | null = null;

  private allocateAt(at: { blkaddr: number; type: CursegType }, entry: SummaryEntry): number {
    this.placeNext = null;
    const segno = this.segnoOf(at.blkaddr);
    const off = (at.blkaddr - this.geo.mainBlkaddr) % BLOCKS_PER_SEG;
    if (this.cursegOf(segno) || bitMsb.test(this.ckptSit(segno).valid_map, off)) fail('CORRUPT', `placing a block at ${at.blkaddr}: a log's segment, or a block the checkpoint still uses`, { blkaddr: at.blkaddr });
    const wasFree = this.isFreeSegment(segno);
    this.markValid(at.blkaddr, at.type);
    if (wasFree) {
      this.freeSegments--;
      this.setSummaryType(segno, isNodeType(at.type) ? SUM_TYPE_NODE : SUM_TYPE_DATA);
    }
    this.setSummary(at.blkaddr, entry);
    return at.blkaddr;
  }

  /**
   * need_new_seg / get_ssr_segment: a fresh segment (LFS) unless free segments run short (needSsr), then the dirty
   * segment of this log's type with the fewest blocks valid in the checkpoint, or of the other types of its kind
   * (nodes, data) in the kernel's order. Without crc_recovery, the warm node log always takes a fresh segment.
   */
  private chooseSegment(type: CursegType): { segno: number; ssr: boolean } {
    const c = this.cursegs[type];
    const lfs = () => ({ segno: this.findFreeSegment(c.segno), ssr: false });
    if (!(this.currentCp().head.ckpt_flags & CpFlag.CRC_RECOVERY) && type === CursegType.WARM_NODE) return lfs();
    if (c.allocType === ALLOC_LFS && this.isFreeSegment(c.segno + 1)) return { segno: c.segno + 1, ssr: false };
    if (!this.needSsr()) return lfs();
    const node = isNodeType(type);
    const first = node ? CursegType.HOT_NODE : CursegType.HOT_DATA;
    const warmOrColder = type - first >= 1;
    const order = [type, ...(warmOrColder ? [2, 1, 0] : [0, 1, 2]).map((k) => first + k).filter((t) => t !== type)];
    for (const t of order) {
      const segno = this.ssrVictim(t);
      if (segno !== null) return { segno, ssr: true };
    }
    return lfs();
  }

  /** Whether free segments run short enough for SSR (f2fs_need_SSR); the volume sets it, as it knows the dirty state. */
  needSsr: () => boolean = () => false;

  /**
   * get_victim_by_default in SSR mode: among the dirty segments of `type` (some blocks valid, not a log), the one with
   * the fewest blocks valid in the checkpoint (greedy, first found on ties) that still has a slot free in both maps.
   */
  private ssrVictim(type: CursegType): number | null {
    let best: number | null = null;
    let bestCost = BLOCKS_PER_SEG;
    for (const segno of this.partialSegments()) {
      if (segno < this.allocWindow.lo || segno >= this.allocWindow.hi) continue;
      if (this.cursegOf(segno)) continue;
      const s = this.getSit(segno);
      if (s.type !== type) continue;
      const cost = this.ckptSit(segno).valid;
      if (cost < bestCost && this.nextFreeBlkoff(segno, 0) < BLOCKS_PER_SEG) [best, bestCost] = [segno, cost];
    }
    return best;
  }

  /** new_curseg (LFS) or change_curseg (SSR): the left segment's summary goes to the SSA, the log moves to `to`. */
  private moveLog(type: CursegType, to: { segno: number; ssr: boolean }): void {
    if (!to.ssr) return this.newCurseg(type, to.segno);
    const c = this.cursegs[type];
    this.putSsa(c.segno, this.cursegSummary(type));
    const old = c.segno;
    // The segment's own summary becomes the log's (current segments' summaries live in the log until they leave).
    const sum = this.summaryOf(to.segno).sum;
    this.dirtySsa.delete(to.segno);
    c.segno = to.segno;
    c.allocType = ALLOC_SSR;
    c.sum = sum;
    c.blkoff = this.nextFreeBlkoff(to.segno, 0);
    const se = this.sitForUpdate(to.segno);
    se.vblocks = sitVblocks(type, sitValidBlocks(se.vblocks));
    if (this.getSit(old).valid === 0) this.prefree.add(old);
  }

  /**
   * A segment free now and in the last checkpoint (in range, not a log, not prefree): what free_segment_count counts.
   * `valid`, when the caller has the segment's current count already, saves decoding its entry again.
   */
  isFreeSegment(segno: number, valid?: number): boolean {
    return segno >= this.allocWindow.lo && segno < this.allocWindow.hi && !this.prefree.has(segno) && !this.cursegOf(segno) && (valid ?? this.getSit(segno).valid) === 0;
  }

  /** Address the next allocation of log `type` will return (a node footer's next_blkaddr). */
  nextBlkaddr(type: CursegType): number {
    const c = this.cursegs[type];
    return this.segBlkaddr(c.segno) + c.blkoff;
  }

  /** Rewrites the summary entry of an allocated block (f2fs_replace_block keeps SSA owners exact). */
  setSummary(blkaddr: number, entry: SummaryEntry): void {
    const segno = this.segnoOf(blkaddr);
    const off = (blkaddr - this.geo.mainBlkaddr) % BLOCKS_PER_SEG;
    const c = this.cursegOf(segno);
    if (c) {
      this.cursegSummary(c.type).entries[off] = { ...entry };
      return;
    }
    const sum = this.summaryOf(segno).sum;
    sum.entries[off] = { ...entry };
    this.putSsa(segno, sum);
  }

  /** The summary footer's entry type of a segment (fsck --fix, for a segment whose summary says the other kind). */
  setSummaryType(segno: number, type: number): void {
    const c = this.cursegOf(segno);
    const sum = c ? this.cursegSummary(c.type) : this.summaryOf(segno).sum;
    sum.footer = { ...sum.footer, entry_type: type };
    if (!c) this.putSsa(segno, sum);
  }

  /** Sets a segment's SIT entry outright, without reading the old one (fsck --fix: the entry the checked tree needs). */
  replaceSit(segno: number, se: SitEntry): void {
    this.check.segno(segno, 'SIT repair');
    this.sitDirty.set(segno, { vblocks: se.vblocks, valid_map: Buffer.from(se.valid_map), mtime: se.mtime });
    this.notePartial(segno, sitValidBlocks(se.vblocks));
  }

  private putSsa(segno: number, sum: SummaryBlock): void {
    this.dirtySsa.set(segno, sum);
    if (this.dirtySsa.size > MAX_DIRTY_SSA) this.writeSsa();
  }

  /** Writes the changed SSA blocks (before a checkpoint's pack, or to bound memory). */
  writeSsa(): void {
    for (const [segno, sum] of [...this.dirtySsa].sort((a, b) => a[0] - b[0])) this.dev.writeBlock(this.geo.ssaBlkaddr + segno, SummaryBlock.encode(sum), 'ssa');
    this.dirtySsa.clear();
  }

  /** f2fs_allocate_new_segments: moves every log that holds anything to a fresh segment (after recovery). */
  allocateNewSegments(): void {
    for (const c of this.cursegs) if (c.blkoff > 0 || this.getSit(c.segno).valid > 0) this.newCurseg(c.type);
  }

  /** Moves every log outside allocWindow to a fresh segment inside it (resize, before it empties what goes). */
  relocateLogs(): void {
    const { lo, hi } = this.allocWindow;
    for (const c of this.cursegs) if (c.segno < lo || c.segno >= hi) this.newCurseg(c.type);
  }

  /**
   * Moves log `type` to main segment `segno` (defrag's move_curseg_info): a free segment opens as a fresh log, a partly
   * used one is taken as SSR from slot `blkoff`.
   */
  moveLogTo(type: CursegType, segno: number, blkoff: number): void {
    if (this.isFreeSegment(segno)) return this.newCurseg(type, segno);
    this.moveLog(type, { segno, ssr: true });
    this.cursegs[type].blkoff = this.nextFreeBlkoff(segno, blkoff);
  }

  /**
   * Marks a block valid without allocating it (f2fs_replace_block in recovery): an empty non-current segment takes the
   * data type the kernel gives it (cold for a slot that was a hole, warm otherwise).
   */
  markValidAt(blkaddr: number, wasHole: boolean): void {
    const segno = this.segnoOf(blkaddr);
    const empty = this.getSit(segno).valid === 0 && !this.cursegOf(segno);
    const type = empty ? (wasHole ? CursegType.COLD_DATA : CursegType.WARM_DATA) : this.getSit(segno).type;
    // An emptied segment waiting as prefree simply stays in use; a free one stops being free.
    if (empty && !this.prefree.delete(segno)) this.freeSegments--;
    this.markValid(blkaddr, type);
  }

  /** new_curseg: persists the full segment's summary to the SSA and opens a free segment for the log. */
  private newCurseg(type: CursegType, segno = this.findFreeSegment(this.cursegs[type].segno)): void {
    const c = this.cursegs[type];
    this.putSsa(c.segno, this.cursegSummary(type));
    const old = c.segno;
    c.segno = segno;
    c.blkoff = 0;
    c.allocType = ALLOC_LFS;
    c.sum = emptySummary(isNodeType(type) ? SUM_TYPE_NODE : SUM_TYPE_DATA);
    const se = this.sitForUpdate(segno);
    se.vblocks = sitVblocks(type, 0);
    se.mtime = this.mtimeNow();
    this.freeSegments--;
    // The left segment is no longer current: if nothing in it is valid it waits as prefree.
    if (this.getSit(old).valid === 0) this.prefree.add(old);
  }

  /** A segment free now and at the last checkpoint, scanning right from `after` and wrapping. */
  private findFreeSegment(after: number): number {
    const n = this.geo.mainSegments;
    for (let i = 1; i <= n; i++) {
      const segno = (after + i) % n;
      if (this.isFreeSegment(segno)) return segno;
    }
    return fail('ENOSPC', 'no free segment left');
  }

  /** At checkpoint: prefree segments become free; returns the SIT entries to persist and forgets them. */
  takeDirtyForCheckpoint(): Map<number, SitEntry> {
    this.freeSegments += [...this.prefree].filter((s) => !this.cursegOf(s) && this.getSit(s).valid === 0).length;
    this.prefree.clear();
    return new Map(this.sitDirty);
  }

  /** After a checkpoint is durable: the new CP is the base, dirty entries now live in the journal or SIT blocks. */
  checkpointDone(journal: Map<number, SitEntry>): void {
    this.sitWindow.invalidate(); // the checkpoint rewrote SIT blocks
    this.sitJournal.clear();
    for (const [k, v] of journal) this.sitJournal.set(k, v);
    this.sitDirty.clear();
  }
}

const isNodeType = (t: number) => t >= CursegType.HOT_NODE;

/* ---- who owns a main-area block: the SSA entry, then the node it names, then the slot ---- */

export interface BlockOwner {
  blkaddr: number;
  segno: number;
  /** Block offset in its segment. */
  offset: number;
  segType: number;
  /** The block's bit in the SIT. */
  valid: boolean;
  summarySource: 'curseg' | 'ssa';
  summary: SummaryEntry;
  /** Node or data, by the segment: its log's type when current, else the SIT type (the summary footer for an empty segment). */
  node: boolean;
  ino: number | null;
  /** The node the summary names (data: the node holding the slot; node: the node itself). */
  nid: number | null;
  nodeOfs: number | null;
  /** Data blocks: the slot in the owning node and the file block it maps. */
  ofsInNode: number | null;
  bidx: number | null;
  /**
   * valid: the SIT marks it and its owner points at it (a live block: GC moves it); stale: not valid in the SIT (an
   * old copy, or never used); mismatched: valid in the SIT, but the owner its summary names does not point at it.
   */
  verdict: 'valid' | 'stale' | 'mismatched';
  why: string | null;
}

/**
 * The owner of main-area block `blkaddr`, each step checked: SSA entry (the log's own summary for a current segment),
 * then the node through the NAT, then the slot (f2fs's is_alive and check_index_in_prev_nodes both start here).
 */
export function ownerOf(vol: Volume, blkaddr: number): BlockOwner {
  vol.check.mainBlkaddr(blkaddr, 'owner lookup');
  const sm = vol.sm;
  const segno = sm.segnoOf(blkaddr);
  const offset = (blkaddr - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG;
  const sit = sm.getSit(segno);
  const valid = bitMsb.test(sit.valid_map, offset);
  const { sum, source, curseg } = sm.summaryOf(segno);
  const entry = sum.entries[offset];
  const node = curseg !== undefined ? isNodeSegType(curseg) : isNodeSegType(sit.type) || (sit.valid === 0 && sum.footer.entry_type === SUM_TYPE_NODE);
  const none = { ino: null, nid: null, nodeOfs: null, ofsInNode: null, bidx: null };
  const base = { blkaddr, segno, offset, segType: sit.type, valid, summarySource: source, summary: { ...entry }, node, ...none };
  if (!valid) return { ...base, verdict: 'stale', why: 'block is not valid in the SIT' };
  const mismatched = (why: string, known: Partial<BlockOwner> = {}): BlockOwner => ({ ...base, ...known, verdict: 'mismatched', why });
  try {
    if (node) {
      const ne = vol.nm.getNat(entry.nid);
      if (ne.block_addr !== blkaddr) return mismatched(`NAT places node ${entry.nid} at ${ne.block_addr}`, { ino: ne.ino, nid: entry.nid });
      const page = vol.nm.readNode(entry.nid);
      return { ...base, ino: page.ino, nid: entry.nid, nodeOfs: page.ofs, verdict: 'valid', why: null };
    }
    const page = vol.nm.readNode(entry.nid);
    const ino = page.ino;
    const held = { ino, nid: entry.nid, nodeOfs: page.ofs, ofsInNode: entry.ofs_in_node };
    let slotAddr: number;
    let bidx: number;
    if (page.nid === ino) {
      const inode = vol.inode(ino);
      if (entry.ofs_in_node >= inode.addrsPerInode) return mismatched(`summary names slot ${entry.ofs_in_node} of inode ${ino}, which has ${inode.addrsPerInode}`, held);
      slotAddr = inodeAddr(inode, entry.ofs_in_node);
      bidx = entry.ofs_in_node;
    } else {
      if (!isDnodeOfs(page.ofs) || isXattrOfs(page.ofs)) return mismatched(`node ${entry.nid} (offset ${page.ofs}) is not a direct node`, held);
      if (entry.ofs_in_node >= ADDRS_PER_BLOCK) return mismatched(`summary names slot ${entry.ofs_in_node} of node ${entry.nid}`, held);
      slotAddr = readSlot(page.raw, slotOffset.node(entry.ofs_in_node));
      bidx = startBidxOfNode(page.ofs, vol.inode(ino)) + entry.ofs_in_node;
    }
    if (slotAddr !== blkaddr) return mismatched(`node ${entry.nid} slot ${entry.ofs_in_node} holds ${slotAddr}`, { ...held, bidx });
    return { ...base, ...held, bidx, verdict: 'valid', why: null };
  } catch (e) {
    // Bad data on the way (a typed error, or a field read past its block) is the verdict, not a failure.
    if (!(e instanceof F2fsError || e instanceof RangeError)) throw e;
    return mismatched(e.message);
  }
}
