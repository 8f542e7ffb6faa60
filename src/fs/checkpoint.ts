// Checkpoint: choosing the valid pack, its sanity checks, the SIT/NAT version bitmaps and the orphan list.
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, CUR_SEG_TYPES, NULL_SEGNO, ORPHANS_PER_BLOCK } from './layout/constants.js';
import { CP_BITMAP_OFFSET, CP_CHKSUM_OFFSET, CheckpointHead, CpFlag, OrphanBlock, checkpointCrc } from './layout/checkpoint.js';
import type { Superblock } from './layout/superblock.js';
import type { Geometry } from './super.js';

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
  if (off < CP_BITMAP_OFFSET || off > CP_CHKSUM_OFFSET) return { ok: false, crc: 0, why: `checksum_offset ${off} out of range` };
  const crc = checkpointCrc(block, off);
  const stored = block.readUInt32LE(off);
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
function bitmaps(raw: Buffer, head: CheckpointHead, cpPayload: number) {
  const sitBytes = head.sit_ver_bitmap_bytesize;
  const natBytes = head.nat_ver_bitmap_bytesize;
  let sitOff: number;
  let natOff: number;
  if (head.ckpt_flags & CpFlag.LARGE_NAT_BITMAP) {
    natOff = CP_BITMAP_OFFSET + 4;
    sitOff = natOff + natBytes;
  } else if (cpPayload > 0) {
    natOff = CP_BITMAP_OFFSET;
    sitOff = BLKSIZE;
  } else {
    sitOff = CP_BITMAP_OFFSET;
    natOff = CP_BITMAP_OFFSET + sitBytes;
  }
  if (sitOff + sitBytes > raw.length || natOff + natBytes > raw.length) fail('CORRUPT', 'version bitmaps run past the checkpoint');
  return { sitBitmap: Buffer.from(raw.subarray(sitOff, sitOff + sitBytes)), natBitmap: Buffer.from(raw.subarray(natOff, natOff + natBytes)) };
}

/** Per pack validity, without choosing: for dump-cp and fsck. */
export function packStatuses(dev: BlockDevice, geo: Geometry): PackStatus[] {
  return [validatePack(dev, geo.cpBlkaddr, 1).status, validatePack(dev, geo.cpBlkaddr + BLOCKS_PER_SEG, 2).status];
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

export const isUnusedSegno = (segno: number) => segno === NULL_SEGNO;
