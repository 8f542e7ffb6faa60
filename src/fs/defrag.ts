// Offline defragmentation as defrag.f2fs 1.15 (f2fs_defragment): where the valid blocks of a main-area range go (the
// free blocks found from a target address upwards, or downwards), moving them with GC's per-block moves, the logs
// moved next to the target, and the checkpoint that ends it.
import { fail } from '../errors.js';
import { BLOCKS_PER_SEG, CURSEG_NAMES, CUR_SEG_TYPES, type CursegType } from './layout/constants.js';
import { bitMsb } from '../util/struct.js';
import { writeCheckpoint } from './checkpoint.js';
import { isPinnedData, moveLiveBlock } from './gc.js';
import { requireCheckpointed } from './resize.js';
import { ownerOf, type BlockOwner } from './segment.js';
import type { Volume } from './volume.js';

export interface DefragOptions {
  /** First block of the range (defrag.f2fs -s; default main_blkaddr). */
  start?: number;
  /** Blocks in the range (-l; default, and for 0, one segment); cut at the end of the main area. */
  length?: number;
  /** Where the search for free blocks starts (-t; default the block after the range, or the one before it with shrink). */
  target?: number;
  /** Search downwards from the target (-i). */
  shrink?: boolean;
}

export interface DefragReport {
  start: number;
  length: number;
  target: number;
  direction: 'expand' | 'shrink';
  /** Valid blocks of the range moved out of it. */
  moved: { data: number; node: number };
  /** Where they went, as runs of consecutive addresses in the order they were moved. */
  placed: { blkaddr: number; count: number }[];
  /** The logs after the move (move_curseg_info), before the checkpoint writes the nodes the moves changed. */
  logs: { type: (typeof CURSEG_NAMES)[number]; segno: number; blkoff: number }[];
  checkpointVersion: bigint;
}

interface SegView {
  valid: number;
  type: number;
  map: Buffer;
}

/**
 * The plan: find_next_free_block over the SIT as the moves change it, decided before anything is written so that
 * ENOSPC and the other refusals leave the image as it was. One difference from defrag.f2fs: blocks never land in the
 * range (nor in a segment the moves emptied), where defrag.f2fs's search can come back to when the target lies on the
 * other side of the range; those blocks are still used by the checkpoint on disk until the new one is written.
 */
class Planner {
  private readonly segs = new Map<number, SegView>();
  private readonly emptied = new Set<number>();
  /**
   * Per type, where its last search ended: everything before it (from the target) stays unusable for that type while
   * the plan only fills blocks, so the next search resumes there. Forgotten when the reserve rule flips or a log moves.
   */
  private readonly resume = new Map<number, number>();
  private notEnough: boolean | null = null;
  /** get_free_segments: no valid block, not a log. */
  private free = 0;
  private readonly main: number;
  private readonly mainEnd: number;
  readonly logs: number[];

  constructor(
    private readonly vol: Volume,
    private readonly start: number,
    private readonly end: number,
    private readonly target: number,
    private readonly left: boolean,
  ) {
    this.main = vol.geo.mainBlkaddr;
    this.mainEnd = this.main + vol.geo.mainSegments * BLOCKS_PER_SEG;
    this.logs = vol.sm.cursegs.map((c) => c.segno);
    for (const run of vol.sm.sitRuns()) {
      for (let segno = run.first; segno < run.end; segno++) if ((run.blank || vol.sm.getSit(segno).valid === 0) && !this.logs.includes(segno)) this.free++;
    }
  }

  private seg(segno: number): SegView {
    const s = this.segs.get(segno);
    if (s) return s;
    const sit = this.vol.sm.getSit(segno);
    return { valid: sit.valid, type: sit.type, map: sit.valid_map };
  }

  private own(segno: number): SegView {
    let s = this.segs.get(segno);
    if (!s) {
      const sit = this.vol.sm.getSit(segno);
      s = { valid: sit.valid, type: sit.type, map: Buffer.from(sit.valid_map) };
      this.segs.set(segno, s);
    }
    return s;
  }

  /**
   * find_next_free_block: from the target (one below it when searching down), skipping full segments and the logs'; a
   * free segment is taken where the search enters it unless free segments are down to the reserved ones plus one;
   * else the first free slot of a segment of `type`.
   */
  find(type: number): number | null {
    const notEnough = this.free <= this.vol.cp.head.rsvd_segment_count + 1;
    if (notEnough !== this.notEnough) this.resume.clear();
    this.notEnough = notEnough;
    const step = this.left ? -1 : 1;
    let to = this.resume.get(type) ?? this.target - (this.left ? 1 : 0);
    while (to >= this.main && to < this.mainEnd) {
      if (to >= this.start && to < this.end) {
        to = this.left ? this.start - 1 : this.end;
        continue;
      }
      const segno = Math.floor((to - this.main) / BLOCKS_PER_SEG);
      const first = this.main + segno * BLOCKS_PER_SEG;
      const s = this.seg(segno);
      if (s.valid === 0 && !notEnough && !this.logs.includes(segno) && !this.emptied.has(segno)) return this.found(type, to);
      if (s.valid > 0 && s.valid < BLOCKS_PER_SEG && s.type === type && !this.logs.includes(segno)) {
        for (let a = to; a >= first && a < first + BLOCKS_PER_SEG; a += step) {
          if ((a < this.start || a >= this.end) && !bitMsb.test(s.map, a - first)) return this.found(type, a);
        }
      }
      to = this.left ? first - 1 : first + BLOCKS_PER_SEG;
    }
    return null;
  }

  private found(type: number, blkaddr: number): number {
    this.resume.set(type, blkaddr);
    return blkaddr;
  }

  /** migrate_block's SIT half: `from` loses its block, `to` gains it with `type`. */
  move(from: number, to: number, type: number): void {
    const dst = this.own(this.segnoOf(to));
    if (dst.valid === 0) this.free--;
    dst.valid++;
    dst.type = type;
    bitMsb.set(dst.map, (to - this.main) % BLOCKS_PER_SEG);
    const segno = this.segnoOf(from);
    const src = this.own(segno);
    src.valid--;
    bitMsb.clear(src.map, (from - this.main) % BLOCKS_PER_SEG);
    if (src.valid === 0 && !this.logs.includes(segno)) {
      this.free++;
      this.emptied.add(segno);
    }
  }

  /** move_one_curseg_info: log `type` goes where find_next_free_block finds room for its type. */
  moveLog(type: CursegType): number | null {
    this.resume.clear(); // the log leaving its segment may open it to the others
    const to = this.find(type);
    if (to === null) return null;
    const segno = this.segnoOf(to);
    const old = this.logs[type];
    if (this.seg(segno).valid === 0) this.free--;
    this.logs[type] = segno;
    if (this.seg(old).valid === 0 && !this.logs.includes(old)) this.free++;
    return to;
  }

  private segnoOf(blkaddr: number): number {
    return Math.floor((blkaddr - this.main) / BLOCKS_PER_SEG);
  }
}

/** do_defrag's checks and defaults, as defrag.f2fs takes -s, -l, -t and -i; a range past the main area is cut there. */
function resolve(vol: Volume, o: DefragOptions): { start: number; length: number; target: number; left: boolean } {
  const main = vol.geo.mainBlkaddr;
  const mainEnd = main + vol.geo.mainSegments * BLOCKS_PER_SEG;
  const start = o.start ?? main;
  if (start < main || start >= mainEnd) fail('EINVAL', `start ${start} is outside the main area [${main}, ${mainEnd})`, { start });
  const length = Math.min(o.length || BLOCKS_PER_SEG, mainEnd - start);
  const left = o.shrink ?? false;
  const target = o.target ?? (left ? start - 1 : start + length);
  const range = `[${start}, ${start + length})`;
  if (target < main || target >= mainEnd) fail('EINVAL', `target ${target} for ${range} is outside the main area [${main}, ${mainEnd})`, { target });
  if (target >= start && target < start + length) fail('EINVAL', `target ${target} lies inside the range ${range}`, { target });
  return { start, length, target, left };
}

/**
 * f2fs_defragment: every block of [start, start + length) valid in the SIT moves to the free block find_next_free_block
 * gives for its segment's type (data through its slot, nodes through the NAT, as GC moves them), the logs move next to
 * the target, and a checkpoint follows. Refused before anything is written: a range or target outside the main area
 * or a target inside the range (EINVAL), no room on the target's side (ENOSPC), a pinned file's block (EBUSY), a block
 * whose owner does not point at it (CORRUPT), changes not checkpointed or a roll-forward chain waiting (EBUSY).
 * The nodes whose slots the data moves change are written out of place by the checkpoint, into the node logs (defrag.f2fs
 * rewrites them where they are).
 */
export function defragVolume(vol: Volume, opts: DefragOptions = {}): DefragReport {
  vol.requireWritable();
  if (vol.sb.segs_per_sec !== 1) fail('UNSUPPORTED', `defrag needs one segment per section (this image has ${vol.sb.segs_per_sec})`);
  requireCheckpointed(vol, 'defrag');
  const { start, length, target, left } = resolve(vol, opts);
  const end = start + length;
  const plan = new Planner(vol, start, end, target, left);
  const moves: { owner: BlockOwner; to: number; type: number }[] = [];
  let sit = vol.sm.getSit(vol.sm.segnoOf(start));
  for (let blkaddr = start; blkaddr < end; blkaddr++) {
    const off = (blkaddr - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG;
    if (off === 0) sit = vol.sm.getSit(vol.sm.segnoOf(blkaddr));
    if (!bitMsb.test(sit.valid_map, off)) continue;
    const owner = ownerOf(vol, blkaddr);
    if (owner.verdict !== 'valid') fail('CORRUPT', `block ${blkaddr} is valid in the SIT but ${owner.why}: run fsck`, { blkaddr });
    if (isPinnedData(vol, owner)) fail('EBUSY', `block ${blkaddr} belongs to pinned file ${owner.ino}, which promises its blocks stay`, { blkaddr, ino: owner.ino });
    const to = plan.find(owner.segType) ?? fail('ENOSPC', `not enough free blocks ${left ? 'below' : 'from'} ${target} for the valid blocks of [${start}, ${end})`, { blkaddr });
    plan.move(blkaddr, to, owner.segType);
    moves.push({ owner, to, type: owner.segType });
  }
  const logTo: number[] = [];
  for (let t = 0; t < CUR_SEG_TYPES; t++) {
    logTo.push(plan.moveLog(t) ?? fail('ENOSPC', `no room ${left ? 'below' : 'from'} ${target} for the ${CURSEG_NAMES[t]} log`));
  }

  const sm = vol.sm;
  const moved = { data: 0, node: 0 };
  const placed: DefragReport['placed'] = [];
  for (const m of moves) {
    sm.placeNext = { blkaddr: m.to, type: m.type };
    moveLiveBlock(vol, m.owner);
    if (sm.placeNext) fail('CORRUPT', `moving block ${m.owner.blkaddr} did not allocate`);
    moved[m.owner.node ? 'node' : 'data']++;
    const last = placed.at(-1);
    if (last && last.blkaddr + last.count === m.to) last.count++;
    else placed.push({ blkaddr: m.to, count: 1 });
  }
  logTo.forEach((to, t) => sm.moveLogTo(t, sm.segnoOf(to), (to - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG));
  const logs = sm.cursegs.map((c) => ({ type: CURSEG_NAMES[c.type], segno: c.segno, blkoff: c.blkoff }));
  writeCheckpoint(vol, { umount: true, sitToBlocks: true });
  return { start, length, target, direction: left ? 'shrink' : 'expand', moved, placed, logs, checkpointVersion: vol.cp.head.checkpoint_ver };
}
