// Offline resize as resize.f2fs 1.15 does it (fsck/resize.c): the new superblock's areas (get_new_sb), growing by
// emptying the main segments the bigger metadata will cover and re-laying out SIT, NAT, SSA and the checkpoint in
// front of the moved main area, shrinking as its safe mode does (metadata areas kept) once GC has moved every block
// past the new end inside it.
import { fail } from '../errors.js';
import { SUM_JOURNAL_SIZE, BLKSIZE, BLOCKS_PER_SEG, CUR_SEG_TYPES, CursegType, SIT_ENTRY_PER_BLOCK, SUPER_OFFSET } from './layout/constants.js';
import { CP_CHKSUM_OFFSET, CpFlag, type CheckpointHead } from './layout/checkpoint.js';
import { SitEntry, sitVblocks } from './layout/sit.js';
import { SUM_TYPE_DATA, SUM_TYPE_NODE, SummaryBlock } from './layout/summary.js';
import { Feature, Superblock, superblockCrc, superblockDevices } from './layout/superblock.js';
import { writeCheckpoint, writePack } from './checkpoint.js';
import { collectSegment } from './gc.js';
import { natBlockCopy0 } from './node.js';
import { pendingRollForward } from './recovery.js';
import { bestOverprovision, metadataSegments } from './mkfs.js';
import type { Volume } from './volume.js';

const SECTOR = 512; // resize.f2fs counts an image file in 512-byte sectors

/** The areas of a layout and the space the checkpoint gives users in it. */
export interface ResizeGeometry {
  blockCount: number;
  segmentCount: number;
  sitSegments: number; // both copies
  natSegments: number; // both copies
  ssaSegments: number;
  mainSegments: number;
  sitBlkaddr: number;
  natBlkaddr: number;
  ssaBlkaddr: number;
  mainBlkaddr: number;
  cpPayload: number;
  reservedSegments: number;
  overprovSegments: number;
  userBlocks: number;
}

export interface ResizeReport {
  direction: 'grow' | 'shrink' | 'none';
  old: ResizeGeometry;
  new: ResizeGeometry;
  /** Live blocks moved out of the segments that go (shrink: past the new end; grow: under the new metadata). */
  moved: { data: number; node: number };
  /** Segments emptied by those moves. */
  segmentsEmptied: number;
  /** Checkpoint version after the resize. */
  checkpointVersion: bigint;
}

interface NewLayout {
  sb: Superblock;
  ovp: number;
  rsvd: number;
  ovpSegs: number;
  userBlocks: number;
}

function geometry(sb: Superblock, rsvd: number, ovpSegs: number, userBlocks: number): ResizeGeometry {
  return {
    blockCount: sb.block_count,
    segmentCount: sb.segment_count,
    sitSegments: sb.segment_count_sit,
    natSegments: sb.segment_count_nat,
    ssaSegments: sb.segment_count_ssa,
    mainSegments: sb.segment_count_main,
    sitBlkaddr: sb.sit_blkaddr,
    natBlkaddr: sb.nat_blkaddr,
    ssaBlkaddr: sb.ssa_blkaddr,
    mainBlkaddr: sb.main_blkaddr,
    cpPayload: sb.cp_payload,
    reservedSegments: rsvd,
    overprovSegments: ovpSegs,
    userBlocks,
  };
}

/**
 * get_new_sb for a device of `bytes`: segment count from the 2 MiB-aligned start; unless `safe`, SIT, NAT and SSA
 * sized for it as mkfs would (NAT capped by the checkpoint's bitmap room, SSA padded to a zone); the main area, and the
 * reserved and overprovisioned segments of rebuild_checkpoint. ENOSPC when the device is too small for F2FS.
 */
export function newLayout(old: Superblock, bytes: number, safe: boolean): NewLayout {
  const sb: Superblock = { ...old };
  const sectors = Math.floor(bytes / SECTOR);
  const segsPerZone = sb.segs_per_sec * sb.secs_per_zone;
  const segBytes = BLOCKS_PER_SEG * BLKSIZE;
  const zoneBytes = segBytes * segsPerZone;
  const zoneAlign = Math.ceil((2 * BLKSIZE) / zoneBytes) * zoneBytes;
  sb.block_count = Math.floor(sectors / (BLKSIZE / SECTOR));
  const usable = sectors * SECTOR - zoneAlign;
  sb.segment_count = usable > 0 ? Math.floor(Math.floor(usable / segBytes) / sb.segs_per_sec) * sb.segs_per_sec : 0;
  if (!safe) {
    const m = metadataSegments(sb.segment_count, segsPerZone);
    sb.segment_count_sit = 2 * m.sitSegs;
    sb.segment_count_nat = 2 * m.natSegs;
    sb.segment_count_ssa = m.ssaSegs;
    sb.cp_payload = m.cpPayload;
    sb.nat_blkaddr = sb.sit_blkaddr + sb.segment_count_sit * BLOCKS_PER_SEG;
    sb.ssa_blkaddr = sb.nat_blkaddr + sb.segment_count_nat * BLOCKS_PER_SEG;
    sb.main_blkaddr = sb.ssa_blkaddr + sb.segment_count_ssa * BLOCKS_PER_SEG;
  }
  const main = sb.segment_count - (sb.segment_count_ckpt + sb.segment_count_sit + sb.segment_count_nat + sb.segment_count_ssa);
  sb.section_count = main > 0 ? Math.floor(main / sb.segs_per_sec) : 0;
  sb.segment_count_main = sb.section_count * sb.segs_per_sec;
  const ovp = bestOverprovision(sb.segment_count_main);
  const rsvd = ovp ? Math.trunc((2 * (100 / ovp + 1) + 6) * sb.segs_per_sec) : Infinity;
  if (sb.segment_count_main - 2 < rsvd || sb.segment_count_main * BLOCKS_PER_SEG > sb.block_count) {
    fail('ENOSPC', `${bytes} bytes is too small for this F2FS: it leaves ${sb.segment_count_main} main segments, fewer than the logs and reserved segments need`, { bytes });
  }
  const ovpSegs = Math.trunc(((sb.segment_count_main - rsvd) * ovp) / 100) + rsvd;
  return { sb, ovp, rsvd, ovpSegs, userBlocks: (sb.segment_count_main - ovpSegs) * BLOCKS_PER_SEG };
}

/** What this resize cannot do on `vol`, refused before anything changes. */
function refuse(vol: Volume): void {
  const sb = vol.sb;
  if (sb.segs_per_sec !== 1 || sb.secs_per_zone !== 1) fail('UNSUPPORTED', `resize needs one segment per section and zone (this image has ${sb.segs_per_sec} and ${sb.secs_per_zone})`);
  if (sb.feature & Feature.BLKZONED) fail('UNSUPPORTED', 'resize of a zoned image is not supported');
  if (superblockDevices(sb.devs).length) fail('UNSUPPORTED', 'resize of a multi-device image is not supported');
  if (vol.cp.head.ckpt_flags & CpFlag.LARGE_NAT_BITMAP) fail('UNSUPPORTED', 'resize of an image with a large NAT bitmap (mkfs -i) is not supported');
  requireCheckpointed(vol, 'resize');
}

/** An offline move of blocks (resize, defrag) starts from a checkpoint, with no roll-forward chain waiting. */
export function requireCheckpointed(vol: Volume, what: string): void {
  if (vol.dirty) fail('EBUSY', `the volume has changes not checkpointed yet: ${what} starts from a checkpoint`);
  // The moves would take the free blocks that hold the fsynced nodes, and the checkpoint would end their chain.
  const waiting = pendingRollForward(vol);
  if (waiting) fail('EBUSY', `${waiting} fsynced node(s) wait for roll-forward recovery: run \`recover\` first`);
}

/**
 * Moves every live block out of the main segments outside [lo, hi) into segments inside it, with GC's moves (the
 * logs first leave the segments that go). The logs fill the free slots of partly used segments (SSR) once fresh
 * segments inside run short. Fails (ENOSPC, nothing written yet) when they do not fit, or a block cannot move.
 */
function vacate(vol: Volume, lo: number, hi: number): { moved: { data: number; node: number }; emptied: number } {
  const sm = vol.sm;
  Object.assign(sm.allocWindow, { lo, hi });
  const freeInside = () => {
    let n = 0;
    for (let s = lo; s < hi; s++) if (!sm.cursegOf(s) && !sm.prefree.has(s) && sm.getSit(s).valid === 0) n++;
    return n;
  };
  const ssr = sm.needSsr;
  sm.needSsr = () => ssr() || freeInside() <= CUR_SEG_TYPES + Math.ceil(vol.nm.dirtyNodes.size / BLOCKS_PER_SEG);
  const moved = { data: 0, node: 0 };
  let emptied = 0;
  try {
    sm.relocateLogs();
    for (let segno = 0; segno < vol.geo.mainSegments; segno++) {
      if (segno >= lo && segno < hi) continue;
      if (sm.getSit(segno).valid === 0) continue;
      const v = collectSegment(vol, segno);
      if (v.skipped) fail('EBUSY', `${v.skipped} valid block(s) of segment ${segno} cannot move (a pinned file's, or no owner points at them: run fsck)`, { segno });
      moved[v.kind] += v.moved;
      emptied++;
    }
    for (let segno = 0; segno < vol.geo.mainSegments; segno++) {
      if ((segno < lo || segno >= hi) && sm.getSit(segno).valid) fail('EBUSY', `segment ${segno} still holds valid blocks after moving`, { segno });
    }
    // The nodes these moves changed go to their logs inside the window.
    writeCheckpoint(vol, { umount: true, sitToBlocks: true });
  } finally {
    sm.needSsr = ssr;
  }
  return { moved, emptied };
}

/** update_superblock: both copies, with the crc when the image keeps one. */
function writeSuperblock(vol: Volume, sb: Superblock): void {
  const s = { ...sb };
  if (s.feature & Feature.SB_CHKSUM) s.crc = superblockCrc(Superblock.encode(s));
  for (const index of [0, 1]) {
    const block = Buffer.from(vol.dev.readBlock(index));
    Superblock.encode(s, block, SUPER_OFFSET);
    vol.dev.writeBlock(index, block, 'super');
  }
}

/** The checkpoint pack not in use loses its head block, so only the rebuilt one remains (rebuild_checkpoint). */
function dropOldPack(vol: Volume, pack: 1 | 2): void {
  vol.dev.writeBlock(vol.geo.cpBlkaddr + (pack === 2 ? BLOCKS_PER_SEG : 0), Buffer.alloc(BLKSIZE), 'cp');
}

/** Free segments among main segments [from, to) (get_free_segments: nothing valid, not a log). */
function freeSegments(vol: Volume, from: number, to: number): number {
  let n = 0;
  for (let s = from; s < to; s++) if (!vol.sm.cursegOf(s) && vol.sm.getSit(s).valid === 0) n++;
  return n;
}

/** f2fs_resize_shrink (safe mode): blocks past the new end move inside it, then the checkpoint and superblock follow. */
function shrink(vol: Volume, layout: NewLayout): Pick<ResizeReport, 'moved' | 'segmentsEmptied' | 'checkpointVersion'> {
  const newMain = layout.sb.segment_count_main;
  if (vol.counts.blocks > layout.userBlocks) {
    fail('ENOSPC', `the ${vol.counts.blocks} valid blocks do not fit the ${layout.userBlocks} user blocks of ${layout.sb.block_count * BLKSIZE} bytes`, { valid: vol.counts.blocks, user: layout.userBlocks });
  }
  const { moved, emptied } = vacate(vol, 0, newMain);
  const oldPack = vol.cp.pack;
  writeCheckpoint(vol, {
    umount: true,
    sitToBlocks: true,
    head: { rsvd_segment_count: layout.rsvd, overprov_segment_count: layout.ovpSegs, user_block_count: layout.userBlocks, free_segment_count: freeSegments(vol, 0, newMain) },
  });
  dropOldPack(vol, oldPack);
  writeSuperblock(vol, layout.sb);
  vol.dev.flush('resize');
  return { moved, segmentsEmptied: emptied, checkpointVersion: vol.cp.head.checkpoint_ver };
}

/**
 * f2fs_resize_grow: the main segments the bigger metadata will cover are emptied (f2fs_defragment to the right), then
 * SSA (migrate_ssa), NAT (migrate_nat: every block's current copy into set 0) and SIT (migrate_sit) are written at their
 * new places with segment numbers shifted, and a checkpoint is rebuilt for the new main area (version bitmaps zero).
 */
function grow(vol: Volume, layout: NewLayout): Pick<ResizeReport, 'moved' | 'segmentsEmptied' | 'checkpointVersion'> {
  const old = vol.sb;
  const nsb = layout.sb;
  const geo = vol.geo;
  if (nsb.cp_payload !== old.cp_payload) fail('UNSUPPORTED', `growing to ${nsb.block_count * BLKSIZE} bytes changes the checkpoint payload (${old.cp_payload} -> ${nsb.cp_payload} blocks), which this resize does not do`);
  if (nsb.segment_count_nat < old.segment_count_nat) fail('UNSUPPORTED', 'the new layout has a smaller NAT, which this resize does not do');
  const shift = (nsb.main_blkaddr - old.main_blkaddr) / BLOCKS_PER_SEG;
  if (shift >= geo.mainSegments - CUR_SEG_TYPES) fail('UNSUPPORTED', `the new metadata covers ${shift} of ${geo.mainSegments} main segments: moving the whole main area is not supported`);
  const { moved, emptied } = shift > 0 ? vacate(vol, shift, geo.mainSegments) : { moved: { data: 0, node: 0 }, emptied: 0 };
  const sm = vol.sm;

  // Everything is read before anything is written: the new areas overlap the old ones.
  const sums: Buffer[] = [];
  const zeroJournal = Buffer.alloc(SUM_JOURNAL_SIZE);
  const logSummary = (t: CursegType) => ({ ...sm.cursegSummary(t), journal: zeroJournal, footer: { entry_type: t >= CursegType.HOT_NODE ? SUM_TYPE_NODE : SUM_TYPE_DATA, check_sum: 0 } });
  for (let s = shift; s < geo.mainSegments; s++) {
    const c = sm.cursegOf(s);
    sums.push(c ? SummaryBlock.encode(logSummary(c.type)) : SummaryBlock.encode(sm.summaryOf(s).sum));
  }
  const sits = [];
  for (let s = shift; s < geo.mainSegments; s++) sits.push(sm.getSit(s));
  const free = freeSegments(vol, shift, geo.mainSegments) + nsb.segment_count_main - (geo.mainSegments - shift);
  const nats: Buffer[] = [];
  for (let k = 0; k < geo.natBlocks; k++) nats.push(Buffer.from(vol.dev.readBlock(vol.nm.natBlockAddr(k))));

  const zero = Buffer.alloc(BLKSIZE);
  for (let i = 0; i < nsb.segment_count_ssa * BLOCKS_PER_SEG; i++) vol.dev.writeBlock(nsb.ssa_blkaddr + i, sums[i] ?? zero, 'ssa');
  const natBlocks = (nsb.segment_count_nat / 2) * BLOCKS_PER_SEG;
  for (let k = 0; k < natBlocks; k++) {
    vol.dev.writeBlock(natBlockCopy0(nsb.nat_blkaddr, k), nats[k] ?? zero, 'nat');
  }
  const sitBlocks = (nsb.segment_count_sit / 2) * BLOCKS_PER_SEG;
  for (let k = 0; k < sitBlocks; k++) {
    const block = Buffer.alloc(BLKSIZE);
    for (let i = 0; i < SIT_ENTRY_PER_BLOCK; i++) {
      const se = sits[k * SIT_ENTRY_PER_BLOCK + i];
      if (se) SitEntry.encode({ vblocks: sitVblocks(se.type, se.valid), valid_map: se.valid_map, mtime: se.mtime }, block, i * SitEntry.size);
    }
    vol.dev.writeBlock(nsb.sit_blkaddr + k, block, 'sit');
  }

  const h = vol.cp.head;
  const cs = sm.cursegs;
  const sitBytes = sitBlocks / 8;
  const natBytes = natBlocks / 8;
  const head: CheckpointHead = {
    ...h,
    checkpoint_ver: (h.checkpoint_ver + 1n) & 0xffffffffffffffffn,
    rsvd_segment_count: layout.rsvd,
    overprov_segment_count: layout.ovpSegs,
    user_block_count: layout.userBlocks,
    free_segment_count: free,
    cur_node_segno: [cs[3].segno - shift, cs[4].segno - shift, cs[5].segno - shift, ...h.cur_node_segno.slice(3)],
    cur_data_segno: [cs[0].segno - shift, cs[1].segno - shift, cs[2].segno - shift, ...h.cur_data_segno.slice(3)],
    sit_ver_bitmap_bytesize: sitBytes,
    nat_ver_bitmap_bytesize: natBytes,
    // Normal summaries below; nat bits are not written (the kernel then builds its free nid lists from the NAT).
    ckpt_flags: h.ckpt_flags & ~(CpFlag.COMPACT_SUM | CpFlag.NAT_BITS),
    checksum_offset: CP_CHKSUM_OFFSET,
  };
  const oldPack = vol.cp.pack;
  const packSums = [0, 1, 2, 3, 4, 5].map((t) => SummaryBlock.encode(logSummary(t)));
  const written = writePack(vol.dev, geo.cpBlkaddr, oldPack === 1 ? 2 : 1, {
    head,
    cpPayload: nsb.cp_payload,
    sitBitmap: Buffer.alloc(sitBytes),
    natBitmap: Buffer.alloc(natBytes),
    orphans: vol.orphanList(),
    sums: packSums,
  });
  dropOldPack(vol, oldPack);
  writeSuperblock(vol, nsb);
  vol.dev.flush('resize');
  return { moved, segmentsEmptied: emptied, checkpointVersion: written.head.checkpoint_ver };
}

/**
 * f2fs_resize: `vol` (open read-write, nothing pending) laid out for a device of `bytes` bytes. Writes only inside the
 * smaller of the two sizes; the caller sets the file's size afterwards. Shrinking fails with ENOSPC, the image
 * unchanged, when the valid blocks do not fit the new user space; the volume must not be used afterwards.
 */
export function resizeVolume(vol: Volume, bytes: number): ResizeReport {
  vol.requireWritable();
  refuse(vol);
  const sb = vol.sb;
  const h = vol.cp.head;
  const oldGeo = geometry(sb, h.rsvd_segment_count, h.overprov_segment_count, h.user_block_count);
  const target = Math.floor(Math.floor(bytes / SECTOR) / (BLKSIZE / SECTOR));
  const direction = target < sb.block_count ? 'shrink' : target > sb.block_count ? 'grow' : 'none';
  if (direction === 'none') return { direction, old: oldGeo, new: oldGeo, moved: { data: 0, node: 0 }, segmentsEmptied: 0, checkpointVersion: h.checkpoint_ver };
  const layout = newLayout(sb, bytes, direction === 'shrink');
  const done = direction === 'shrink' ? shrink(vol, layout) : grow(vol, layout);
  return { direction, old: oldGeo, new: geometry(layout.sb, layout.rsvd, layout.ovpSegs, layout.userBlocks), ...done };
}
