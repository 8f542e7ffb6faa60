// Volume summary and checkpoint-pack dumps (`info`, `dump-cp`): superblock, checkpoint heads, bitmaps, logs.
import type { BlockDevice } from '../device/types.js';
import { cpCurseg, currentPack, packStatuses, readCheckpoint, readOrphans, type Checkpoint, type PackStatus } from '../fs/checkpoint.js';
import { CheckpointHead, CpFlag, checkpointCrc, cpFlagNames, cpCrcOffsetOk, cpStoredCrc, natBitsSize } from '../fs/layout/checkpoint.js';
import { BLKSIZE, BLOCKS_PER_SEG, CURSEG_NAMES, CUR_SEG_TYPES } from '../fs/layout/constants.js';
import { popcount } from '../util/struct.js';
import { Superblock, featureNames, volumeName, SB_GEOMETRY_FIELDS, uuidString } from '../fs/layout/superblock.js';
import type { Geometry } from '../fs/super.js';
import type { Volume } from '../fs/volume.js';
import { pendingRollForward } from '../fs/recovery.js';

const allocName = (t: number) => (t ? 'ssr' : 'lfs');

/* ------------------------------------------------------------------ info */

/** Superblock fields `fsck.f2fs -l` prints (same names), in on-disk order. */
export const SB_FIELDS = [...SB_GEOMETRY_FIELDS, 'cp_payload', 'feature', 'crc'] as const satisfies readonly (keyof Superblock)[];

/** Checkpoint head scalars `fsck.f2fs -l` prints (same names). */
export const CP_FIELDS = [
  'user_block_count',
  'valid_block_count',
  'rsvd_segment_count',
  'overprov_segment_count',
  'free_segment_count',
  'ckpt_flags',
  'cp_pack_total_block_count',
  'cp_pack_start_sum',
  'valid_node_count',
  'valid_inode_count',
  'next_free_nid',
  'sit_ver_bitmap_bytesize',
  'nat_ver_bitmap_bytesize',
  'checksum_offset',
  'elapsed_time',
] as const satisfies readonly (keyof CheckpointHead)[];

export function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}

export function packJson(p: PackStatus) {
  return { pack: p.pack, blkaddr: p.base, valid: p.valid, checkpoint_ver: p.version?.toString() ?? null, why: p.why ?? null };
}

/** The six logs as a checkpoint head records them. */
export function cpCursegs(head: CheckpointHead, mainBlkaddr: number) {
  return Array.from({ length: CUR_SEG_TYPES }, (_, t) => {
    const c = cpCurseg(head, t);
    return { type: CURSEG_NAMES[t], segno: c.segno, blkoff: c.blkoff, blkaddr: mainBlkaddr + c.segno * BLOCKS_PER_SEG + c.blkoff, alloc_type: allocName(c.allocType) };
  });
}

/** Volume summary: superblock geometry, the checkpoint in use and the logs (what `fsck.f2fs -l` prints, same names). */
export function info(vol: Volume) {
  const sb = vol.sb;
  const cp = vol.cp;
  const h = cp.head;
  const live = vol.sm.cursegs.map((c) => ({ type: CURSEG_NAMES[c.type], segno: c.segno, blkoff: c.blkoff, blkaddr: vol.sm.segBlkaddr(c.segno) + c.blkoff, alloc_type: allocName(c.allocType) }));
  return {
    superblock: {
      copy: vol.sbChoice.index,
      ...pick(sb, SB_FIELDS),
      features: featureNames(sb.feature),
      uuid: uuidString(sb.uuid),
      volume_name: volumeName(sb),
    },
    checkpoint: {
      pack: cp.pack,
      blkaddr: cp.base,
      checkpoint_ver: h.checkpoint_ver.toString(),
      ...pick(h, CP_FIELDS),
      flags: cpFlagNames(h.ckpt_flags),
      orphan_count: h.ckpt_flags & CpFlag.ORPHAN_PRESENT ? vol.orphans().length : 0,
      packs: cp.packs.map(packJson),
      cursegs: cpCursegs(h, sb.main_blkaddr),
    },
    /** fsynced nodes after the checkpoint that Linux's mount would replay (`recover` applies them); 0: none. */
    pendingRollForward: pendingRollForward(vol),
    /** Current logs as this session sees them (the checkpoint's until something is written). */
    cursegs: live,
    usage: {
      sizeBytes: sb.block_count * BLKSIZE,
      maxNid: vol.geo.maxNid,
      mainBlocks: sb.segment_count_main * BLOCKS_PER_SEG,
      userBlocks: h.user_block_count,
      validBlocks: vol.counts.blocks,
      validNodes: vol.counts.nodes,
      validInodes: vol.counts.inodes,
      freeBlocks: h.user_block_count - vol.counts.blocks,
    },
  };
}
export type InfoResult = ReturnType<typeof info>;

/* ------------------------------------------------------------------ dump-cp */


function bitmapSummary(map: Buffer | null, bytes: number, offset: number | null) {
  if (!map) return { bytes, offset, set: null, hex: null };
  return { bytes, offset, set: popcount(map), hex: map.toString('hex') };
}

/** Where each part of a pack lives (block addresses), from its head. */
export function packLayout(head: CheckpointHead, base: number, cpPayload: number) {
  const total = head.cp_pack_total_block_count;
  const compact = (head.ckpt_flags & CpFlag.COMPACT_SUM) !== 0;
  const nodeSums = (head.ckpt_flags & (CpFlag.UMOUNT | CpFlag.FASTBOOT)) !== 0;
  const start = base + head.cp_pack_start_sum;
  const nodeFirst = base + total - 4;
  const dataEnd = nodeSums ? nodeFirst : base + total - 1;
  // The counts come from disk (this pack may be the invalid one): no list runs past the pack's segment.
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, Math.min(to, base + BLOCKS_PER_SEG) - from) }, (_, i) => from + i);
  return {
    head: base,
    tail: base + total - 1,
    payload: range(base + 1, base + 1 + cpPayload),
    orphans: range(base + 1 + cpPayload, start),
    dataSummaries: range(start, dataEnd),
    nodeSummaries: nodeSums ? range(nodeFirst, nodeFirst + 3) : [],
    compact,
  };
}

/**
 * dump-cp: one pack's head (the one the kernel would mount, or `force`), decoded, with its bitmaps, orphans and
 * summary locations, plus the validity of both packs. Works from the device alone (no root inode needed), and on a
 * pack that fails validation (its head is decoded anyway; `valid` says so).
 */
export function dumpCp(dev: BlockDevice, sb: Superblock, geo: Geometry, force?: 1 | 2) {
  const packs = packStatuses(dev, geo);
  const pack = force ?? currentPack(packs);
  const status = packs[pack - 1];
  const base = status.base;
  const block = dev.readBlock(base);
  const head = CheckpointHead.decode(block);
  const problems: string[] = [];
  if (!status.valid) problems.push(`pack ${pack} is not valid: ${status.why}`);
  let cp: Checkpoint | null = null;
  if (status.valid) {
    try {
      cp = readCheckpoint(dev, sb, geo, pack);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const crcOff = head.checksum_offset;
  const crcOk = cpCrcOffsetOk(crcOff);
  const crc = { offset: crcOff, stored: crcOk ? cpStoredCrc.get(block, crcOff) : null, computed: crcOk ? checkpointCrc(block, crcOff) : null };
  let orphans: number[] | null = null;
  if (cp) {
    try {
      orphans = readOrphans(dev, cp, sb.cp_payload);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const layout = packLayout(head, base, sb.cp_payload);
  const nb = natBitsSize(geo.natBlocks).blocks;
  return {
    pack,
    blkaddr: base,
    valid: status.valid,
    chosen: force === undefined,
    packs: packs.map(packJson),
    problems,
    head: {
      checkpoint_ver: head.checkpoint_ver.toString(),
      ...pick(head, CP_FIELDS),
      cur_node_segno: head.cur_node_segno,
      cur_node_blkoff: head.cur_node_blkoff,
      cur_data_segno: head.cur_data_segno,
      cur_data_blkoff: head.cur_data_blkoff,
      alloc_type: head.alloc_type,
    },
    flags: cpFlagNames(head.ckpt_flags),
    crc,
    cursegs: cpCursegs(head, geo.mainBlkaddr),
    bitmaps: {
      sit: bitmapSummary(cp?.sitBitmap ?? null, head.sit_ver_bitmap_bytesize, null),
      nat: bitmapSummary(cp?.natBitmap ?? null, head.nat_ver_bitmap_bytesize, null),
    },
    orphans: { present: (head.ckpt_flags & CpFlag.ORPHAN_PRESENT) !== 0, blocks: layout.orphans, inos: orphans },
    summaries: {
      start: head.cp_pack_start_sum,
      form: layout.compact ? 'compact' : 'normal',
      data: layout.dataSummaries,
      node: layout.nodeSummaries,
    },
    payload: layout.payload,
    tail: layout.tail,
    natBits: head.ckpt_flags & CpFlag.NAT_BITS ? { blkaddr: base + BLOCKS_PER_SEG - nb, blocks: nb } : null,
  };
}
export type DumpCpResult = ReturnType<typeof dumpCp>;
