// Superblock: choosing the valid copy, the kernel's sanity checks, and the derived volume geometry.
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, LOG_BLOCKS_PER_SEG, MAX_SEGMENTS, META_INO, MIN_SEGMENTS, NAT_ENTRY_PER_BLOCK, NODE_INO, ROOT_INO, SUPER_OFFSET } from './layout/constants.js';
import { F2FS_MAGIC } from './layout/crc.js';
import { Feature, SB_CRC_OFFSET, Superblock, superblockCrc } from './layout/superblock.js';

/** Derived numbers every other module needs; computed once from the superblock. */
export interface Geometry {
  blockCount: number; // device blocks per the superblock
  segment0: number;
  cpBlkaddr: number;
  sitBlkaddr: number;
  natBlkaddr: number;
  ssaBlkaddr: number;
  mainBlkaddr: number;
  mainEnd: number; // first block past the main area
  mainSegments: number;
  sitBlocks: number; // blocks of one SIT copy
  natBlocks: number; // blocks of one NAT copy
  maxNid: number;
  cpPayload: number;
  features: number;
}

export interface SuperblockChoice {
  sb: Superblock;
  raw: Buffer; // the 3072 superblock bytes
  index: 0 | 1; // which copy was used
  problems: string[]; // why the other copy (or this one) was not perfect
}

function checkSuperblock(sb: Superblock, raw: Buffer, deviceBlocks: number): string | null {
  if (sb.magic !== F2FS_MAGIC) return `bad magic 0x${sb.magic.toString(16)}`;
  if (sb.feature & Feature.SB_CHKSUM) {
    if (sb.checksum_offset !== SB_CRC_OFFSET) return `checksum offset ${sb.checksum_offset} is not ${SB_CRC_OFFSET}`;
    const crc = superblockCrc(raw);
    if (crc !== sb.crc) return `superblock crc 0x${sb.crc.toString(16)} does not match 0x${crc.toString(16)}`;
  }
  if (sb.log_blocksize !== 12) return `log_blocksize ${sb.log_blocksize} is not 12`;
  if (sb.log_blocks_per_seg !== LOG_BLOCKS_PER_SEG) return `log_blocks_per_seg ${sb.log_blocks_per_seg} is not 9`;
  if (sb.log_sectorsize < 9 || sb.log_sectorsize > 12 || sb.log_sectorsize + sb.log_sectors_per_block !== 12) return `bad sector size log ${sb.log_sectorsize}`;
  if (sb.segs_per_sec < 1 || sb.secs_per_zone < 1) return 'bad section geometry';
  if (sb.segment_count < MIN_SEGMENTS || sb.segment_count > MAX_SEGMENTS) return `segment_count ${sb.segment_count} out of range`;
  if (sb.segment_count > Math.floor(sb.block_count / BLOCKS_PER_SEG)) return `segment_count ${sb.segment_count} exceeds block_count ${sb.block_count}`;
  if (sb.section_count < 1 || sb.section_count > sb.segment_count_main || sb.segment_count_main !== sb.section_count * sb.segs_per_sec)
    return `section_count ${sb.section_count} does not match segment_count_main ${sb.segment_count_main}`;
  if (sb.secs_per_zone > sb.section_count) return 'secs_per_zone exceeds section_count';
  if (sb.segment_count_ckpt !== 2) return `segment_count_ckpt ${sb.segment_count_ckpt} is not 2`;
  if (sb.segment_count_sit < 2 || sb.segment_count_sit % 2 || sb.segment_count_nat < 2 || sb.segment_count_nat % 2) return 'SIT/NAT segment counts must be even';
  if (sb.extension_count + sb.hot_ext_count > 64) return 'too many extensions';
  if (sb.cp_payload >= BLOCKS_PER_SEG - 2 - 6) return `cp_payload ${sb.cp_payload} too large`;
  if (sb.root_ino !== ROOT_INO || sb.node_ino !== NODE_INO || sb.meta_ino !== META_INO) return 'reserved inode numbers are not 3/1/2';
  // sanity_check_area_boundary
  const seg = BLOCKS_PER_SEG;
  if (sb.segment0_blkaddr !== sb.cp_blkaddr) return 'segment0 is not the CP area';
  if (sb.cp_blkaddr + 2 * seg !== sb.sit_blkaddr) return 'SIT area does not follow the CP area';
  if (sb.sit_blkaddr + sb.segment_count_sit * seg !== sb.nat_blkaddr) return 'NAT area does not follow the SIT area';
  if (sb.nat_blkaddr + sb.segment_count_nat * seg !== sb.ssa_blkaddr) return 'SSA area does not follow the NAT area';
  if (sb.ssa_blkaddr + sb.segment_count_ssa * seg !== sb.main_blkaddr) return 'main area does not follow the SSA area';
  if (sb.main_blkaddr + sb.segment_count_main * seg > sb.segment0_blkaddr + sb.segment_count * seg) return 'main area runs past segment_count';
  if (sb.segment_count_ssa < Math.ceil(sb.segment_count_main / seg)) return 'SSA too small for the main area';
  if (sb.segment_count_sit / 2 * seg * 55 < sb.segment_count_main) return 'SIT too small for the main area';
  if (sb.main_blkaddr + sb.segment_count_main * seg > deviceBlocks) return `image is truncated: main area ends at block ${sb.main_blkaddr + sb.segment_count_main * seg}, image has ${deviceBlocks}`;
  return null;
}

/** Reads both superblock copies and keeps the first valid one, as the kernel does. */
export function readSuperblock(dev: BlockDevice): SuperblockChoice {
  return during('while reading the superblock', () => {
    // blockCount counts whole blocks only: a 512-byte image has 0 of them, not 0 bytes.
    if (dev.blockCount < 2) fail('NOT_F2FS', `image is too small for an F2FS superblock: it needs 2 blocks of ${BLKSIZE} bytes and holds ${dev.blockCount} whole block${dev.blockCount === 1 ? '' : 's'}`);
    const problems: string[] = [];
    let magicSeen = false;
    for (const index of [0, 1] as const) {
      const raw = Buffer.from(dev.readBlock(index).subarray(SUPER_OFFSET, SUPER_OFFSET + Superblock.size));
      const sb = Superblock.decode(raw);
      if (sb.magic === F2FS_MAGIC) magicSeen = true;
      const why = checkSuperblock(sb, raw, dev.blockCount);
      if (why === null) return { sb, raw, index, problems };
      problems.push(`superblock ${index}: ${why}`);
    }
    return fail(magicSeen ? 'CORRUPT' : 'NOT_F2FS', magicSeen ? `no valid superblock (${problems.join('; ')})` : 'not an F2FS image (no superblock magic)', { problems });
  });
}

export function geometryOf(sb: Superblock): Geometry {
  const natBlocks = (sb.segment_count_nat / 2) * BLOCKS_PER_SEG;
  return {
    blockCount: sb.block_count,
    segment0: sb.segment0_blkaddr,
    cpBlkaddr: sb.cp_blkaddr,
    sitBlkaddr: sb.sit_blkaddr,
    natBlkaddr: sb.nat_blkaddr,
    ssaBlkaddr: sb.ssa_blkaddr,
    mainBlkaddr: sb.main_blkaddr,
    mainEnd: sb.main_blkaddr + sb.segment_count_main * BLOCKS_PER_SEG,
    mainSegments: sb.segment_count_main,
    sitBlocks: (sb.segment_count_sit / 2) * BLOCKS_PER_SEG,
    natBlocks,
    maxNid: natBlocks * NAT_ENTRY_PER_BLOCK,
    cpPayload: sb.cp_payload,
    features: sb.feature,
  };
}
