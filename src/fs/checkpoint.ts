// Checkpoint: choosing the valid pack, its sanity checks, the SIT/NAT version bitmaps and the orphan list.
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, CUR_SEG_TYPES, ORPHANS_PER_BLOCK } from './layout/constants.js';
import { CP_BITMAP_OFFSET, CheckpointHead, CpFlag, OrphanBlock, checkpointCrc, cpCrcOffsetOk, cpStoredCrc } from './layout/checkpoint.js';
import type { Superblock } from './layout/superblock.js';
import type { Geometry } from './super.js';
import type { Volume } from './volume.js';
import { CursegType, NAT_ENTRY_PER_BLOCK, NAT_JOURNAL_ENTRIES, NEW_ADDR, SIT_ENTRY_PER_BLOCK, SIT_JOURNAL_ENTRIES, SUM_JOURNAL_SIZE } from './layout/constants.js';
import { NatEntry } from './layout/nat.js';
import { SitEntry } from './layout/sit.js';
import { COMPACT_ENTRY_LIMIT, COMPACT_FIRST_ENTRY_OFFSET, NatJournal, SUM_TYPE_DATA, SUM_TYPE_NODE, SitJournal, SummaryBlock, SummaryEntry } from './layout/summary.js';
import { bitMsb } from '../util/struct.js';
import { ALLOC_SSR } from './segment.js';
import { writeNode } from './node.js';
import { balanceGc } from './gc.js';
import { writeback } from './data.js';
import { syncQuota } from './quota.js';

export interface PackStatus {
  pack: 1 | 2;
  base: number; // block address of the pack's first block
  valid: boolean;
  why?: string;
  version?: bigint;
}

export interface Checkpoint {
  head: CheckpointHead;
  /** CP block plus cp_payload blocks, as the kernel loads them. */
  raw: Buffer;
  pack: 1 | 2;
  base: number;
  crc: number;
  sitBitmap: Buffer; // MSB-first, one bit per SIT block: 1 = copy 1 current
  natBitmap: Buffer;
  packs: PackStatus[];
}

/** Curseg segno/blkoff/alloc type of log `type` (0..5) as the CP records it. */
export function cpCurseg(head: CheckpointHead, type: number) {
  const node = type >= 3;
  const i = node ? type - 3 : type;
  return {
    segno: node ? head.cur_node_segno[i] : head.cur_data_segno[i],
    blkoff: node ? head.cur_node_blkoff[i] : head.cur_data_blkoff[i],
    allocType: head.alloc_type[type],
  };
}

function crcOf(block: Buffer, head: CheckpointHead): { ok: boolean; crc: number; why?: string } {
  const off = head.checksum_offset;
  if (!cpCrcOffsetOk(off)) return { ok: false, crc: 0, why: `checksum_offset ${off} out of range` };
  const crc = checkpointCrc(block, off);
  const stored = cpStoredCrc.get(block, off);
  return crc === stored ? { ok: true, crc } : { ok: false, crc, why: `crc 0x${stored.toString(16)} does not match 0x${crc.toString(16)}` };
}

/** validate_checkpoint: head and tail both intact with one version. */
function validatePack(dev: BlockDevice, base: number, pack: 1 | 2) {
  const status: PackStatus = { pack, base, valid: false };
  const headBlock = dev.readBlock(base);
  const head = CheckpointHead.decode(headBlock);
  const h = crcOf(headBlock, head);
  if (!h.ok) return { status: { ...status, why: `head: ${h.why}` } };
  const total = head.cp_pack_total_block_count;
  if (total <= 2 || total > BLOCKS_PER_SEG) return { status: { ...status, why: `cp_pack_total_block_count ${total} out of range` } };
  const tailBlock = dev.readBlock(base + total - 1);
  const tail = CheckpointHead.decode(tailBlock);
  const t = crcOf(tailBlock, tail);
  if (!t.ok) return { status: { ...status, why: `tail: ${t.why}`, version: head.checkpoint_ver } };
  if (tail.checkpoint_ver !== head.checkpoint_ver)
    return { status: { ...status, why: `tail version ${tail.checkpoint_ver} differs from head ${head.checkpoint_ver}`, version: head.checkpoint_ver } };
  return { status: { ...status, valid: true, version: head.checkpoint_ver }, head, headBlock, crc: h.crc };
}

/** f2fs_sanity_check_ckpt, minus the checks that need SIT/NAT content. */
function sanityCheck(head: CheckpointHead, sb: Superblock, geo: Geometry): string | null {
  const segs = geo.mainSegments;
  for (let t = 0; t < CUR_SEG_TYPES; t++) {
    const c = cpCurseg(head, t);
    if (c.segno >= segs) return `log ${t} segment ${c.segno} is outside the main area (${segs} segments)`;
    if (c.blkoff >= BLOCKS_PER_SEG) return `log ${t} block offset ${c.blkoff} out of range`;
  }
  for (let a = 0; a < CUR_SEG_TYPES; a++)
    for (let b = a + 1; b < CUR_SEG_TYPES; b++)
      if (cpCurseg(head, a).segno === cpCurseg(head, b).segno) return `logs ${a} and ${b} share segment ${cpCurseg(head, a).segno}`;
  const sitBytes = ((sb.segment_count_sit / 2) * BLOCKS_PER_SEG) / 8;
  const natBytes = ((sb.segment_count_nat / 2) * BLOCKS_PER_SEG) / 8;
  if (head.sit_ver_bitmap_bytesize !== sitBytes || head.nat_ver_bitmap_bytesize !== natBytes)
    return `version bitmap sizes ${head.sit_ver_bitmap_bytesize}/${head.nat_ver_bitmap_bytesize} are not ${sitBytes}/${natBytes}`;
  const p = sb.cp_payload;
  if (head.cp_pack_start_sum < 1 + p || head.cp_pack_start_sum > BLOCKS_PER_SEG - 1 - 6)
    return `cp_pack_start_sum ${head.cp_pack_start_sum} out of range`;
  if (head.cp_pack_start_sum >= head.cp_pack_total_block_count) return 'summaries start past the end of the pack';
  if (head.valid_block_count > head.user_block_count) return `valid_block_count ${head.valid_block_count} exceeds user_block_count ${head.user_block_count}`;
  if (head.user_block_count === 0 || head.user_block_count >= segs * BLOCKS_PER_SEG) return `user_block_count ${head.user_block_count} out of range`;
  if (head.valid_node_count > geo.maxNid || head.valid_inode_count > head.valid_node_count) return 'valid node/inode counts out of range';
  if (head.ckpt_flags & CpFlag.LARGE_NAT_BITMAP && head.checksum_offset !== CP_BITMAP_OFFSET) return 'LARGE_NAT_BITMAP needs checksum_offset 192';
  if (!(head.ckpt_flags & CpFlag.LARGE_NAT_BITMAP) && p === 0 && CP_BITMAP_OFFSET + sitBytes + natBytes > head.checksum_offset)
    return 'version bitmaps overlap the checksum';
  return null;
}

/** __bitmap_ptr: where the two version bitmaps live in the CP block (+ payload). */
function bitmapOffsets(head: CheckpointHead, cpPayload: number) {
  const natBytes = head.nat_ver_bitmap_bytesize;
  if (head.ckpt_flags & CpFlag.LARGE_NAT_BITMAP) return { natOff: CP_BITMAP_OFFSET + 4, sitOff: CP_BITMAP_OFFSET + 4 + natBytes };
  if (cpPayload > 0) return { natOff: CP_BITMAP_OFFSET, sitOff: BLKSIZE };
  return { sitOff: CP_BITMAP_OFFSET, natOff: CP_BITMAP_OFFSET + head.sit_ver_bitmap_bytesize };
}

function bitmaps(raw: Buffer, head: CheckpointHead, cpPayload: number) {
  const sitBytes = head.sit_ver_bitmap_bytesize;
  const natBytes = head.nat_ver_bitmap_bytesize;
  const { sitOff, natOff } = bitmapOffsets(head, cpPayload);
  if (sitOff + sitBytes > raw.length || natOff + natBytes > raw.length) fail('CORRUPT', 'version bitmaps run past the checkpoint');
  return { sitBitmap: Buffer.from(raw.subarray(sitOff, sitOff + sitBytes)), natBitmap: Buffer.from(raw.subarray(natOff, natOff + natBytes)) };
}

/** Per pack validity, without choosing: for dump-cp and fsck. */
export function packStatuses(dev: BlockDevice, geo: Geometry): PackStatus[] {
  return [validatePack(dev, geo.cpBlkaddr, 1).status, validatePack(dev, geo.cpBlkaddr + BLOCKS_PER_SEG, 2).status];
}

/** The pack the kernel mounts: the newer valid one (ties to pack 1), else the valid one, else pack 1. */
export function currentPack(packs: PackStatus[]): 1 | 2 {
  const [p1, p2] = packs;
  if (p1.valid && p2.valid) return BigInt.asIntN(64, p2.version! - p1.version!) > 0n ? 2 : 1;
  return p2.valid && !p1.valid ? 2 : 1;
}

/** f2fs_get_valid_checkpoint: the newer of the valid packs (ties to pack 1). `force` picks a pack regardless (dump-cp --pack). */
export function readCheckpoint(dev: BlockDevice, sb: Superblock, geo: Geometry, force?: 1 | 2): Checkpoint {
  return during('while reading the checkpoint', () => {
    const p1 = validatePack(dev, geo.cpBlkaddr, 1);
    const p2 = validatePack(dev, geo.cpBlkaddr + BLOCKS_PER_SEG, 2);
    const packs = [p1.status, p2.status];
    let chosen: typeof p1 | undefined;
    if (force) {
      chosen = force === 1 ? p1 : p2;
      if (!chosen.head) fail('CORRUPT', `checkpoint pack ${force} is not valid: ${chosen.status.why}`);
    } else if (p1.head && p2.head) chosen = BigInt.asIntN(64, p2.head.checkpoint_ver - p1.head.checkpoint_ver) > 0n ? p2 : p1;
    else chosen = p1.head ? p1 : p2.head ? p2 : undefined;
    if (!chosen?.head || !chosen.headBlock) return fail('CORRUPT', `no valid checkpoint pack (pack 1: ${p1.status.why}; pack 2: ${p2.status.why})`, { packs: packs.map((s) => ({ ...s, version: s.version?.toString() })) });
    const head = chosen.head;
    const why = sanityCheck(head, sb, geo);
    if (why) fail('CORRUPT', `checkpoint pack ${chosen.status.pack}: ${why}`);
    const parts = [Buffer.from(chosen.headBlock)];
    for (let i = 1; i <= sb.cp_payload; i++) parts.push(Buffer.from(dev.readBlock(chosen.status.base + i)));
    const raw = Buffer.concat(parts);
    return { head, raw, pack: chosen.status.pack, base: chosen.status.base, crc: chosen.crc!, ...bitmaps(raw, head, sb.cp_payload), packs };
  });
}

/** The orphan inode numbers stored in the pack (empty unless ORPHAN_PRESENT). */
export function readOrphans(dev: BlockDevice, cp: Checkpoint, cpPayload: number): number[] {
  if (!(cp.head.ckpt_flags & CpFlag.ORPHAN_PRESENT)) return [];
  return during('while reading orphan blocks', () => {
    const first = cp.base + 1 + cpPayload;
    const count = cp.head.cp_pack_start_sum - 1 - cpPayload;
    const inos: number[] = [];
    for (let i = 0; i < count; i++) {
      const ob = OrphanBlock.decode(dev.readBlock(first + i));
      if (ob.entry_count > ORPHANS_PER_BLOCK) fail('CORRUPT', `orphan block ${i} claims ${ob.entry_count} entries`);
      inos.push(...ob.ino.slice(0, ob.entry_count));
    }
    return inos;
  });
}

/* ---- writing a checkpoint (f2fs_write_checkpoint / do_checkpoint) ---- */

export interface CheckpointOptions {
  /** UMOUNT checkpoint: node summaries in the pack, NAT journal drained (a clean unmount). */
  umount: boolean;
  orphans?: number[];
  /** Every SIT entry into the SIT blocks, none left in the journal (resize: no journal entry may name a segment that goes). */
  sitToBlocks?: boolean;
  /** Head fields the caller decides (resize: the reserved, overprovisioned and user space of the new main area). */
  head?: Partial<CheckpointHead>;
}

/** Table entries grouped by the table block holding them, in block order (NAT and SIT flushes). */
function byBlock<E>(entries: Map<number, E>, perBlock: number): [number, [number, E][]][] {
  const out = new Map<number, [number, E][]>();
  for (const [index, e] of entries) {
    const k = Math.floor(index / perBlock);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push([index, e]);
  }
  return [...out].sort((a, b) => a[0] - b[0]);
}

/** Persists NAT entries: into the journal if they fit (never at umount), else into the other copy of each NAT block. */
function flushNat(vol: Volume, umount: boolean, natBitmap: Buffer): Map<number, NatEntry> {
  const all = new Map(vol.nm.journalNats());
  for (const [nid, e] of vol.nm.natDirty) {
    if (e.block_addr === NEW_ADDR) fail('CORRUPT', `node ${nid} was never written`);
    all.set(nid, e);
  }
  if (!umount && all.size <= NAT_JOURNAL_ENTRIES) return all;
  for (const [k, entries] of byBlock(all, NAT_ENTRY_PER_BLOCK)) {
    const cur = vol.nm.natBlockAddr(k);
    const block = Buffer.from(vol.dev.readBlock(cur));
    for (const [nid, e] of entries) NatEntry.encode(e, block, (nid % NAT_ENTRY_PER_BLOCK) * NatEntry.size);
    const copy0 = cur - (bitMsb.test(natBitmap, k) ? BLOCKS_PER_SEG : 0);
    const target = bitMsb.test(natBitmap, k) ? copy0 : copy0 + BLOCKS_PER_SEG;
    vol.dev.writeBlock(target, block, 'nat');
    if (bitMsb.test(natBitmap, k)) bitMsb.clear(natBitmap, k);
    else bitMsb.set(natBitmap, k);
  }
  return new Map();
}

/** Persists SIT entries: journal when they fit, else the other copy of each SIT block. */
function flushSit(vol: Volume, sitBitmap: Buffer, toBlocks: boolean): Map<number, SitEntry> {
  const all = new Map(vol.sm.sitJournalEntries());
  for (const [segno, e] of vol.sm.takeDirtyForCheckpoint()) all.set(segno, e);
  if (!toBlocks && all.size <= SIT_JOURNAL_ENTRIES) return all;
  for (const [k, entries] of byBlock(all, SIT_ENTRY_PER_BLOCK)) {
    const cur = vol.sm.sitBlockAddr(k);
    const block = Buffer.from(vol.dev.readBlock(cur));
    for (const [segno, e] of entries) SitEntry.encode(e, block, (segno % SIT_ENTRY_PER_BLOCK) * SitEntry.size);
    const flipped = bitMsb.test(sitBitmap, k);
    vol.dev.writeBlock(vol.geo.sitBlkaddr + k + (flipped ? 0 : vol.geo.sitBlocks), block, 'sit');
    if (flipped) bitMsb.clear(sitBitmap, k);
    else bitMsb.set(sitBitmap, k);
  }
  return new Map();
}

function journalBlock<T>(codec: { encode(v: T): Buffer }, value: T): Buffer {
  return codec.encode(value);
}

/** Data summaries in compacted form (1-2 blocks) when they fit, else three normal blocks. */
function dataSummaryBlocks(vol: Volume, natJ: Buffer, sitJ: Buffer): { blocks: Buffer[]; compact: boolean } {
  const counts = [0, 1, 2].map((t) => (vol.sm.cursegs[t].allocType === ALLOC_SSR ? BLOCKS_PER_SEG : vol.sm.cursegs[t].blkoff));
  const total = counts.reduce((a, b) => a + b, 0);
  const firstCap = Math.floor((BLKSIZE - COMPACT_FIRST_ENTRY_OFFSET - (BLKSIZE - COMPACT_ENTRY_LIMIT)) / SummaryEntry.size);
  const nextCap = Math.floor(COMPACT_ENTRY_LIMIT / SummaryEntry.size);
  if (total <= firstCap + nextCap) {
    const blocks = [Buffer.alloc(BLKSIZE)];
    natJ.copy(blocks[0], 0);
    sitJ.copy(blocks[0], SUM_JOURNAL_SIZE);
    let off = COMPACT_FIRST_ENTRY_OFFSET;
    for (let t = 0; t < 3; t++) {
      const sum = vol.sm.cursegSummary(t);
      for (let j = 0; j < counts[t]; j++) {
        SummaryEntry.encode(sum.entries[j], blocks[blocks.length - 1], off);
        off += SummaryEntry.size;
        if (off + SummaryEntry.size <= COMPACT_ENTRY_LIMIT) continue;
        blocks.push(Buffer.alloc(BLKSIZE));
        off = 0;
      }
    }
    // A fresh continuation block opened after the very last entry holds nothing: the kernel never writes it.
    if (off === 0 && blocks.length > 1) blocks.pop();
    return { blocks, compact: true };
  }
  const blocks = [0, 1, 2].map((t) => {
    const sum = vol.sm.cursegSummary(t);
    const journal = t === CursegType.HOT_DATA ? natJ : t === CursegType.COLD_DATA ? sitJ : sum.journal;
    return SummaryBlock.encode({ ...sum, journal, footer: { entry_type: SUM_TYPE_DATA, check_sum: 0 } });
  });
  return { blocks, compact: false };
}

/**
 * f2fs_write_checkpoint: dirty data and nodes go to their logs, NAT and SIT are flushed, and a new pack is written
 * into the pack not in use with version+1 — tail block last, behind flush barriers, so a cut leaves the old pack valid.
 */
/** Dirty node blocks held in memory before a background checkpoint (16 MiB). */
const MAX_DIRTY_NODES = 4096;
const DIRTY_NATS_RATIO = 10; // % of max_nid (excess_dirty_nats)
const REC_PREFREE_SEGMENTS = 5; // % of main segments (excess_prefree_segs)

/**
 * f2fs_balance_fs(_bg), where an operation starts (no buffer held): past a bound on dirty nodes or NAT entries, with
 * too many prefree segments, or when the free pool is nearly gone but prefree segments could refill it, Linux takes a
 * checkpoint (f2fs_sync_fs) and so do we. It keeps memory flat in long imports and sessions, and returns rewritten
 * segments to the free pool before rewrites run out of them; when free segments still run short, foreground GC cleans
 * (balanceGc). Work up to that point survives a power cut, as it would under Linux.
 */
export function balanceFs(vol: Volume): void {
  const { nm, sm, geo } = vol;
  const excessNodes = nm.dirtyNodes.size > MAX_DIRTY_NODES;
  const excessNats = nm.natDirty.size >= (geo.maxNid * DIRTY_NATS_RATIO) / 100;
  const excessPrefree = sm.prefree.size > (geo.mainSegments * REC_PREFREE_SEGMENTS) / 100;
  // Twice what a checkpoint needs (Volume.reserveBlocks keeps the once): room to spare.
  const short = sm.prefree.size > 0 && sm.freeSegments < 2 * vol.checkpointSegments();
  if (excessNodes || excessNats || excessPrefree || short) writeCheckpoint(vol, { umount: false });
  balanceGc(vol);
}

export function writeCheckpoint(vol: Volume, opts: CheckpointOptions): Checkpoint {
  vol.requireWritable();
  const old = vol.cp;
  syncQuota(vol);
  writeback(vol);
  for (const nid of [...vol.nm.dirtyNodes.keys()].sort((a, b) => a - b)) writeNode(vol, nid);
  vol.sm.writeSsa();
  const natBitmap = Buffer.from(old.natBitmap);
  const sitBitmap = Buffer.from(old.sitBitmap);
  const natJournal = flushNat(vol, opts.umount, natBitmap);
  const sitJournal = flushSit(vol, sitBitmap, opts.sitToBlocks ?? false);
  const natJ = journalBlock(NatJournal, {
    n_nats: natJournal.size,
    entries: padTo([...natJournal].map(([nid, ne]) => ({ nid, ne })), NAT_JOURNAL_ENTRIES, () => ({ nid: 0, ne: { version: 0, ino: 0, block_addr: 0 } })),
    reserved: Buffer.alloc(11),
  });
  const sitJ = journalBlock(SitJournal, {
    n_sits: sitJournal.size,
    entries: padTo([...sitJournal].map(([segno, se]) => ({ segno, se })), SIT_JOURNAL_ENTRIES, () => ({ segno: 0, se: { vblocks: 0, valid_map: Buffer.alloc(64), mtime: 0 } })),
    reserved: Buffer.alloc(37),
  });
  const { blocks: dataSums, compact } = dataSummaryBlocks(vol, natJ, sitJ);
  const orphans = opts.orphans ?? vol.orphanList();
  const P = vol.sb.cp_payload;
  const nodeSums = opts.umount ? [3, 4, 5].map((t) => SummaryBlock.encode({ ...vol.sm.cursegSummary(t), footer: { entry_type: SUM_TYPE_NODE, check_sum: 0 } })) : [];

  const h = old.head;
  const keep = h.ckpt_flags & (CpFlag.FSCK | CpFlag.QUOTA_NEED_FSCK | CpFlag.LARGE_NAT_BITMAP);
  let flags =
    keep | CpFlag.CRC_RECOVERY | (opts.umount ? CpFlag.UMOUNT : 0) | (compact ? CpFlag.COMPACT_SUM : 0) | (orphans.length ? CpFlag.ORPHAN_PRESENT : 0);
  if (vol.quota) flags = vol.quota.cpFlags(flags);
  // Counts of a damaged image written anyway (--force) can fall below zero: the kernel stops them at zero,
  // valid_inode_count by percpu_counter_sum_positive, the block and node counts in dec_valid_*_count with
  // SBI_NEED_FSCK (CP_FSCK_FLAG).
  if (vol.counts.blocks < 0 || vol.counts.nodes < 0) flags |= CpFlag.FSCK;
  const cs = vol.sm.cursegs;
  const pack: 1 | 2 = old.pack === 1 ? 2 : 1;
  const { head, raw, crc, base } = writePack(vol.dev, vol.geo.cpBlkaddr, pack, {
    head: {
      ...h,
      checkpoint_ver: (h.checkpoint_ver + 1n) & 0xffffffffffffffffn,
      valid_block_count: Math.max(0, vol.counts.blocks),
      free_segment_count: vol.sm.freeSegments,
      cur_node_segno: [cs[3].segno, cs[4].segno, cs[5].segno, ...h.cur_node_segno.slice(3)],
      cur_node_blkoff: [cs[3].blkoff, cs[4].blkoff, cs[5].blkoff, ...h.cur_node_blkoff.slice(3)],
      cur_data_segno: [cs[0].segno, cs[1].segno, cs[2].segno, ...h.cur_data_segno.slice(3)],
      cur_data_blkoff: [cs[0].blkoff, cs[1].blkoff, cs[2].blkoff, ...h.cur_data_blkoff.slice(3)],
      ckpt_flags: flags,
      valid_node_count: Math.max(0, vol.counts.nodes),
      valid_inode_count: Math.max(0, vol.counts.inodes),
      next_free_nid: vol.nm.nextFreeNid,
      elapsed_time: vol.sm.mtimeNow(),
      alloc_type: [...cs.map((c) => c.allocType), ...h.alloc_type.slice(6)],
      ...opts.head,
    },
    cpPayload: P,
    sitBitmap,
    natBitmap,
    orphans,
    sums: [...dataSums, ...nodeSums],
  });

  const cp: Checkpoint = { head, raw, pack, base, crc, sitBitmap, natBitmap, packs: old.packs };
  vol.checkpointDone(cp, sitJournal, natJournal);
  return cp;
}

/** What a pack holds besides its head's counts: `head` gets cp_pack_start_sum and cp_pack_total_block_count from it. */
export interface PackContent {
  head: CheckpointHead;
  cpPayload: number;
  sitBitmap: Buffer;
  natBitmap: Buffer;
  orphans: number[];
  /** Summary blocks, in pack order. */
  sums: Buffer[];
}

/**
 * do_checkpoint's writes into pack `pack`: head block (payload, version bitmaps, crc), orphan blocks, summaries, then,
 * behind a flush barrier, the tail block that makes the pack valid.
 */
export function writePack(dev: BlockDevice, cpBlkaddr: number, pack: 1 | 2, c: PackContent): { head: CheckpointHead; raw: Buffer; crc: number; base: number } {
  const P = c.cpPayload;
  const orphanBlocks = Math.ceil(c.orphans.length / ORPHANS_PER_BLOCK);
  const total = 2 + P + orphanBlocks + c.sums.length;
  const head: CheckpointHead = { ...c.head, cp_pack_total_block_count: total, cp_pack_start_sum: 1 + P + orphanBlocks };
  const raw = Buffer.alloc((1 + P) * BLKSIZE);
  CheckpointHead.encode(head, raw, 0);
  const { sitOff, natOff } = bitmapOffsets(head, P);
  c.sitBitmap.copy(raw, sitOff);
  c.natBitmap.copy(raw, natOff);
  const crc = checkpointCrc(raw.subarray(0, BLKSIZE), head.checksum_offset);
  cpStoredCrc.set(raw, head.checksum_offset, crc);

  const base = cpBlkaddr + (pack === 2 ? BLOCKS_PER_SEG : 0);
  for (let i = 0; i <= P; i++) dev.writeBlock(base + i, raw.subarray(i * BLKSIZE, (i + 1) * BLKSIZE), 'cp');
  for (let b = 0; b < orphanBlocks; b++) {
    const inos = c.orphans.slice(b * ORPHANS_PER_BLOCK, (b + 1) * ORPHANS_PER_BLOCK);
    dev.writeBlock(
      base + 1 + P + b,
      OrphanBlock.encode({ ino: padTo(inos, ORPHANS_PER_BLOCK, () => 0), reserved: 0, blk_addr: b + 1, blk_count: orphanBlocks, entry_count: inos.length, check_sum: 0 }),
      'orphan',
    );
  }
  c.sums.forEach((blk, i) => dev.writeBlock(base + head.cp_pack_start_sum + i, blk, 'sum'));
  // Everything the new pack describes must be durable before its tail makes it valid.
  dev.flush('cp-barrier');
  dev.writeBlock(base + total - 1, raw.subarray(0, BLKSIZE), 'cp-tail');
  dev.flush('cp-commit');
  return { head, raw, crc, base };
}

function padTo<T>(arr: T[], n: number, fill: () => T): T[] {
  const out = arr.slice(0, n);
  while (out.length < n) out.push(fill());
  return out;
}
