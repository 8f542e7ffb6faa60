// Garbage collection as Linux 6.1's gc.c does it: victim selection (greedy in the foreground, cost-benefit in the
// background), moving a victim's live blocks (data to the cold data log, nodes to their own logs), and the
// foreground cleaning f2fs_balance_fs starts before the free segments run out. A section is taken to be one segment
// (segs_per_sec 1, mkfs.f2fs's default).
import { fail } from '../errors.js';
import { BLOCKS_PER_SEG, CUR_SEG_TYPES, CursegType, isNodeSegType } from './layout/constants.js';
import { InlineFlag, readSlot, slotOffset, writeSlot } from './layout/node.js';
import { bitMsb } from '../util/struct.js';
import { writeCheckpoint } from './checkpoint.js';
import { boundPending, dropExtent } from './data.js';
import { isDir } from './inode.js';
import { writeNode } from './node.js';
import { ownerOf, type BlockOwner } from './segment.js';
import type { Volume } from './volume.js';

export type GcMode = 'foreground' | 'background';

export interface GcVictim {
  segno: number;
  kind: 'data' | 'node';
  /** Valid blocks when chosen. */
  valid: number;
  /** Live blocks moved out. */
  moved: number;
  /** Valid blocks left behind: their owner no longer points at them (is_alive said no), or a pinned file holds them. */
  skipped: number;
}

export interface GcReport {
  mode: GcMode;
  victims: GcVictim[];
  moved: { data: number; node: number };
  /** Free segments before and after (the victims are prefree until the next checkpoint). */
  freeBefore: number;
  freeAfter: number;
  prefree: number;
}

/** Dirty dentry pages: the part of the dirty data a checkpoint writes with the nodes (F2FS_DIRTY_DENTS). */
function dirtyDents(vol: Volume): number {
  let dents = 0;
  for (const ino of vol.pages.inodes()) if (isDir(vol.inode(ino).inode.i_mode)) dents += vol.pages.countOf(ino);
  return dents;
}

/**
 * has_not_enough_free_secs (__get_secs_required): free sections (plus `freed`) against the reserved ones plus what
 * the dirty nodes and dentry pages will take. File data counts only in lfs mode: otherwise, when free sections run
 * short, it goes to the free slots of dirty segments (SSR).
 */
export function hasNotEnoughFreeSecs(vol: Volume, freed = 0): boolean {
  const secs = (blocks: number) => Math.ceil(blocks / BLOCKS_PER_SEG);
  const data = vol.mode === 'lfs' ? vol.pages.size : 0;
  const reserved = vol.cp.head.rsvd_segment_count;
  const free = vol.sm.freeSegments + freed;
  // Called per block written: when even every dirty page counted as a dentry page fits, skip counting them.
  const pages = vol.pages.size;
  if (free > secs(vol.nm.dirtyNodes.size + pages) + secs(pages) + secs(data) + reserved) return false;
  const dents = dirtyDents(vol);
  const nodeBlocks = vol.nm.dirtyNodes.size + dents;
  const lower = Math.floor(nodeBlocks / BLOCKS_PER_SEG) + Math.floor(dents / BLOCKS_PER_SEG) + Math.floor(data / BLOCKS_PER_SEG);
  const upper = lower + [nodeBlocks, dents, data].filter((n) => n % BLOCKS_PER_SEG).length;
  if (free > upper + reserved) return false;
  if (free <= lower + reserved) return true;
  return !cursegsHaveRoom(vol, nodeBlocks % BLOCKS_PER_SEG, data % BLOCKS_PER_SEG, dents % BLOCKS_PER_SEG);
}

/**
 * f2fs_need_SSR: the logs fill the free slots of dirty segments (SSR) instead of taking fresh ones once free sections
 * are down to what the dirty nodes and dentry pages (twice) need plus twice the reserved sections.
 */
export function needSsr(vol: Volume): boolean {
  if (vol.mode === 'lfs') return false;
  const secs = (blocks: number) => Math.ceil(blocks / BLOCKS_PER_SEG);
  return vol.sm.freeSegments <= secs(vol.nm.dirtyNodes.size) + 2 * secs(dirtyDents(vol)) + 2 * vol.cp.head.rsvd_segment_count;
}

/**
 * has_curseg_enough_space: each log can take the node (or data) blocks that do not fill a section, the hot data log
 * the dentry blocks; room is counted against the blocks valid in the checkpoint.
 */
function cursegsHaveRoom(vol: Volume, nodeBlocks: number, dataBlocks: number, dentBlocks: number): boolean {
  const left = (c: (typeof vol.sm.cursegs)[number]) => BLOCKS_PER_SEG - vol.sm.ckptSit(c.segno).valid;
  return vol.sm.cursegs.every((c) => left(c) >= (isNodeSegType(c.type) ? nodeBlocks : dataBlocks)) && left(vol.sm.cursegs[CursegType.HOT_DATA]) >= dentBlocks;
}

/**
 * get_victim_by_default over the dirty segments (some but not all blocks valid, not a current log, not prefree, not
 * chosen before in this run): the fewest valid blocks (greedy), or the best cost-benefit (get_cb_cost: age from the
 * SIT mtime, young and full segments cost most).
 */
export function selectVictim(vol: Volume, mode: GcMode, exclude: ReadonlySet<number>): number | null {
  const sm = vol.sm;
  const candidates: { segno: number; valid: number; mtime: number }[] = [];
  for (const segno of sm.partialSegments()) {
    if (exclude.has(segno) || sm.prefree.has(segno) || sm.cursegOf(segno)) continue;
    const s = sm.getSit(segno);
    candidates.push({ segno, valid: s.valid, mtime: s.mtime });
  }
  if (!candidates.length) return null;
  if (mode === 'foreground') return candidates.reduce((best, c) => (c.valid < best.valid ? c : best)).segno;
  const min = Math.min(...candidates.map((c) => c.mtime));
  const max = Math.max(...candidates.map((c) => c.mtime));
  const cost = (c: (typeof candidates)[number]) => {
    const u = Math.floor((c.valid * 100) / BLOCKS_PER_SEG);
    const age = max === min ? 0 : 100 - Math.floor((100 * (c.mtime - min)) / (max - min));
    return -Math.floor((100 * (100 - u) * age) / (100 + u));
  };
  return candidates.reduce((best, c) => (cost(c) < cost(best) ? c : best)).segno;
}

/**
 * do_garbage_collect for one segment: every block valid in the SIT whose owner still points at it (is_alive) moves —
 * a node is rewritten out of place into its own log (f2fs_move_node_page), a data block copied to the cold data log
 * with its summary kept and its slot updated (move_data_block). The segment ends up empty, hence prefree.
 */
export function collectSegment(vol: Volume, segno: number): GcVictim {
  const sit = vol.sm.getSit(segno);
  const kind = isNodeSegType(sit.type) ? 'node' : 'data';
  const victim: GcVictim = { segno, kind, valid: sit.valid, moved: 0, skipped: 0 };
  const first = vol.sm.segBlkaddr(segno);
  const validMap = Buffer.from(sit.valid_map); // moving blocks clears bits in the live map
  for (let off = 0; off < BLOCKS_PER_SEG; off++) {
    if (!bitMsb.test(validMap, off)) continue;
    const blkaddr = first + off;
    const owner = ownerOf(vol, blkaddr);
    if (owner.verdict !== 'valid' || isPinnedData(vol, owner)) {
      victim.skipped++;
      continue;
    }
    moveLiveBlock(vol, owner);
    victim.moved++;
  }
  return victim;
}

/** f2fs_gc_pinned_control: a pinned file's data blocks stay where they are (F2FS_IOC_SET_PIN_FILE promises it). */
export function isPinnedData(vol: Volume, owner: BlockOwner): boolean {
  return !owner.node && (vol.inode(owner.ino!).inode.i_inline & InlineFlag.PIN_FILE) !== 0;
}

/**
 * Moves one live block (`owner.verdict` 'valid', not pinned): a node is rewritten out of place into its log
 * (f2fs_move_node_page), a data block copied with its summary kept and its slot updated (move_data_block).
 */
export function moveLiveBlock(vol: Volume, owner: BlockOwner): void {
  if (owner.node) {
    vol.nm.nodeForUpdate(owner.nid!);
    writeNode(vol, owner.nid!, 0, 'gc-node');
  } else moveDataBlock(vol, owner.blkaddr, owner.ino!, owner.nid!, owner.ofsInNode!);
}

/** move_data_block: the block's content to a new block of the cold data log; the slot, summary and SIT follow. */
function moveDataBlock(vol: Volume, blkaddr: number, ino: number, nid: number, ofsInNode: number): void {
  const info = vol.inode(ino);
  const off = nid === ino ? slotOffset.inodeAddr(info.extraWords, ofsInNode) : slotOffset.node(ofsInNode);
  const raw = vol.nm.nodeForUpdate(nid);
  if (readSlot(raw, off) !== blkaddr) fail('CORRUPT', `moving block ${blkaddr}: node ${nid} slot ${ofsInNode} no longer holds it`);
  const data = Buffer.from(vol.dev.readBlock(blkaddr));
  const version = vol.nm.getNat(nid).version;
  const newaddr = vol.sm.allocate(CursegType.COLD_DATA, { nid, version, ofs_in_node: ofsInNode });
  vol.dev.adoptBlock(newaddr, data, 'gc-data');
  writeSlot(raw, off, newaddr);
  vol.sm.invalidate(blkaddr);
  dropExtent(vol, ino);
}

/**
 * f2fs_gc: collects `sections` victims (default: until free segments suffice, counting the victims it emptied as
 * freed, at least one). Victims become prefree: a checkpoint makes them free.
 */
export function gc(vol: Volume, opts: { sections?: number; mode?: GcMode } = {}): GcReport {
  vol.requireWritable();
  const mode = opts.mode ?? 'foreground';
  const report: GcReport = { mode, victims: [], moved: { data: 0, node: 0 }, freeBefore: vol.sm.freeSegments, freeAfter: 0, prefree: 0 };
  const chosen = new Set<number>();
  const want = opts.sections ?? Number.MAX_SAFE_INTEGER;
  let freed = 0;
  while (report.victims.length < want) {
    if (opts.sections === undefined && report.victims.length && !hasNotEnoughFreeSecs(vol, freed)) break;
    const segno = selectVictim(vol, mode, chosen);
    if (segno === null) break;
    chosen.add(segno);
    const v = collectSegment(vol, segno);
    report.victims.push(v);
    report.moved[v.kind] += v.moved;
    if (vol.sm.prefree.has(segno)) freed++;
    boundPending(vol, 'gc');
  }
  report.freeAfter = vol.sm.freeSegments;
  report.prefree = vol.sm.prefree.size;
  return report;
}

/**
 * The cleaning part of f2fs_balance_fs, where no buffer is held. When free segments run short, a checkpoint first
 * frees what earlier cleaning emptied (prefree); if that is not enough, foreground GC collects until it is, and a
 * checkpoint follows only when the free segments run low (f2fs_gc: fewer than the logs; here also fewer than twice
 * what a checkpoint of the dirty state needs, which Volume.reserveBlocks insists on). The rest wait for the next one.
 * Returns whether anything was done.
 */
export function balanceGc(vol: Volume): boolean {
  if (!hasNotEnoughFreeSecs(vol)) return false;
  if (vol.sm.prefree.size) {
    writeCheckpoint(vol, { umount: false });
    if (!hasNotEnoughFreeSecs(vol)) return true;
  }
  gc(vol);
  const low = Math.max(CUR_SEG_TYPES, 2 * vol.checkpointSegments());
  if (vol.sm.freeSegments < low && vol.sm.prefree.size) writeCheckpoint(vol, { umount: false });
  return true;
}
