// Checkpoint block codec (struct f2fs_checkpoint head + version bitmaps), its crc, flags, and the orphan block.
import { f2fsCrc32, F2FS_MAGIC } from './crc.js';
import { BLKSIZE, ORPHANS_PER_BLOCK } from './constants.js';
import { array, bytes, struct, type Of } from '../../util/struct.js';

export const CheckpointHead = struct('f2fs_checkpoint', [
  ['checkpoint_ver', 'u64'],
  ['user_block_count', 'u64n'],
  ['valid_block_count', 'u64n'],
  ['rsvd_segment_count', 'u32'],
  ['overprov_segment_count', 'u32'],
  ['free_segment_count', 'u32'],
  ['cur_node_segno', array('u32', 8)],
  ['cur_node_blkoff', array('u16', 8)],
  ['cur_data_segno', array('u32', 8)],
  ['cur_data_blkoff', array('u16', 8)],
  ['ckpt_flags', 'u32'],
  ['cp_pack_total_block_count', 'u32'],
  ['cp_pack_start_sum', 'u32'],
  ['valid_node_count', 'u32'],
  ['valid_inode_count', 'u32'],
  ['next_free_nid', 'u32'],
  ['sit_ver_bitmap_bytesize', 'u32'],
  ['nat_ver_bitmap_bytesize', 'u32'],
  ['checksum_offset', 'u32'],
  ['elapsed_time', 'u64n'],
  ['alloc_type', array('u8', 16)],
]);
export type CheckpointHead = Of<typeof CheckpointHead>;
export const CP_BITMAP_OFFSET = CheckpointHead.size; // 192
export const CP_CHKSUM_OFFSET = BLKSIZE - 4; // 4092
export const CP_MIN_CHKSUM_OFFSET = CP_BITMAP_OFFSET;

export const CpFlag = {
  UMOUNT: 0x0001,
  ORPHAN_PRESENT: 0x0002,
  COMPACT_SUM: 0x0004,
  ERROR: 0x0008,
  FSCK: 0x0010,
  FASTBOOT: 0x0020,
  CRC_RECOVERY: 0x0040,
  NAT_BITS: 0x0080,
  TRIMMED: 0x0100,
  NOCRC_RECOVERY: 0x0200,
  LARGE_NAT_BITMAP: 0x0400,
  QUOTA_NEED_FSCK: 0x0800,
  DISABLED: 0x1000,
  DISABLED_QUICK: 0x2000,
  RESIZEFS: 0x4000,
} as const;

export function cpFlagNames(flags: number): string[] {
  return Object.entries(CpFlag)
    .filter(([, bit]) => flags & bit)
    .map(([name]) => name.toLowerCase());
}

/** CRC of a CP block with its checksum stored at `off` (bytes at off..off+3 skipped). */
export function checkpointCrc(block: Buffer, off: number): number {
  const head = f2fsCrc32(F2FS_MAGIC, block.subarray(0, off));
  return off < CP_CHKSUM_OFFSET ? f2fsCrc32(head, block.subarray(off + 4, BLKSIZE)) : head;
}

/** Whether a head's checksum_offset can hold the crc (f2fs_checkpoint_chksum's bounds). */
export const cpCrcOffsetOk = (off: number) => off >= CP_MIN_CHKSUM_OFFSET && off <= CP_CHKSUM_OFFSET;

/** The crc stored in a CP block at its checksum_offset (checked with cpCrcOffsetOk first). */
export const cpStoredCrc = {
  get: (block: Buffer, off: number) => block.readUInt32LE(off),
  set: (block: Buffer, off: number, crc: number) => void block.writeUInt32LE(crc >>> 0, off),
};

/** A whole CP block as mkfs writes it: head, version bitmaps, crc at the default checksum_offset. */
export const CpBlock = struct('f2fs_checkpoint_block', [
  ['head', CheckpointHead],
  ['bitmaps', bytes(CP_CHKSUM_OFFSET - CP_BITMAP_OFFSET)],
  ['crc', 'u32'],
]);

/** nat_bits at the end of a CP segment: an 8-byte header (this CP's version and crc), then the full and empty bitmaps. */
export const NatBitsHead = struct('nat_bits_head', [['cp_ver_crc', 'u64']]);

/** Size of the nat_bits for `natBlocks` NAT blocks per copy: bytes of each bitmap, blocks in all (the kernel's nat_bits_blocks). */
export function natBitsSize(natBlocks: number): { bytes: number; blocks: number } {
  const bytes = natBlocks / 8;
  return { bytes, blocks: Math.ceil((2 * bytes + NatBitsHead.size) / BLKSIZE) };
}

/** The header nat_bits must carry to be current: the CP version with its crc in the high half. */
export const natBitsStamp = (checkpointVer: bigint, crc: number) => BigInt.asUintN(64, checkpointVer | (BigInt(crc) << 32n));

export const OrphanBlock = struct('f2fs_orphan_block', [
  ['ino', array('u32', ORPHANS_PER_BLOCK)],
  ['reserved', 'u32'],
  ['blk_addr', 'u16'],
  ['blk_count', 'u16'],
  ['entry_count', 'u32'],
  ['check_sum', 'u32'],
]);
export type OrphanBlock = Of<typeof OrphanBlock>;
