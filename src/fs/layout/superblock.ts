// Superblock codec (struct f2fs_super_block, 3072 bytes at byte 1024 of blocks 0 and 1), feature bits and its crc.
import { f2fsCrc32, F2FS_MAGIC } from './crc.js';
import { array, bytes, struct, type Of } from '../../util/struct.js';

export const Superblock = struct('f2fs_super_block', [
  ['magic', 'u32'],
  ['major_ver', 'u16'],
  ['minor_ver', 'u16'],
  ['log_sectorsize', 'u32'],
  ['log_sectors_per_block', 'u32'],
  ['log_blocksize', 'u32'],
  ['log_blocks_per_seg', 'u32'],
  ['segs_per_sec', 'u32'],
  ['secs_per_zone', 'u32'],
  ['checksum_offset', 'u32'],
  ['block_count', 'u64n'],
  ['section_count', 'u32'],
  ['segment_count', 'u32'],
  ['segment_count_ckpt', 'u32'],
  ['segment_count_sit', 'u32'],
  ['segment_count_nat', 'u32'],
  ['segment_count_ssa', 'u32'],
  ['segment_count_main', 'u32'],
  ['segment0_blkaddr', 'u32'],
  ['cp_blkaddr', 'u32'],
  ['sit_blkaddr', 'u32'],
  ['nat_blkaddr', 'u32'],
  ['ssa_blkaddr', 'u32'],
  ['main_blkaddr', 'u32'],
  ['root_ino', 'u32'],
  ['node_ino', 'u32'],
  ['meta_ino', 'u32'],
  ['uuid', bytes(16)],
  ['volume_name', bytes(1024)],
  ['extension_count', 'u32'],
  ['extension_list', bytes(512)],
  ['cp_payload', 'u32'],
  ['version', bytes(256)],
  ['init_version', bytes(256)],
  ['feature', 'u32'],
  ['encryption_level', 'u8'],
  ['encrypt_pw_salt', bytes(16)],
  ['devs', bytes(544)],
  ['qf_ino', array('u32', 3)],
  ['hot_ext_count', 'u8'],
  ['s_encoding', 'u16'],
  ['s_encoding_flags', 'u16'],
  ['s_stop_reason', bytes(32)],
  ['s_errors', bytes(16)],
  ['reserved', bytes(258)],
  ['crc', 'u32'],
]);
export type Superblock = Of<typeof Superblock>;

/** The geometry fields (magic .. meta_ino): every one a plain number, listed by dump.f2fs and `fsck.f2fs -l` first. */
export const SB_GEOMETRY_FIELDS = [
  'magic',
  'major_ver',
  'minor_ver',
  'log_sectorsize',
  'log_sectors_per_block',
  'log_blocksize',
  'log_blocks_per_seg',
  'segs_per_sec',
  'secs_per_zone',
  'checksum_offset',
  'block_count',
  'section_count',
  'segment_count',
  'segment_count_ckpt',
  'segment_count_sit',
  'segment_count_nat',
  'segment_count_ssa',
  'segment_count_main',
  'segment0_blkaddr',
  'cp_blkaddr',
  'sit_blkaddr',
  'nat_blkaddr',
  'ssa_blkaddr',
  'main_blkaddr',
  'root_ino',
  'node_ino',
  'meta_ino',
] as const satisfies readonly (keyof Superblock)[];

export const SB_CRC_OFFSET = Superblock.offsets.crc; // 3068

export const Feature = {
  ENCRYPT: 0x0001,
  BLKZONED: 0x0002,
  ATOMIC_WRITE: 0x0004,
  EXTRA_ATTR: 0x0008,
  PRJQUOTA: 0x0010,
  INODE_CHKSUM: 0x0020,
  FLEXIBLE_INLINE_XATTR: 0x0040,
  QUOTA_INO: 0x0080,
  INODE_CRTIME: 0x0100,
  LOST_FOUND: 0x0200,
  VERITY: 0x0400,
  SB_CHKSUM: 0x0800,
  CASEFOLD: 0x1000,
  COMPRESSION: 0x2000,
  RO: 0x4000,
} as const;
export type FeatureName = keyof typeof Feature;

/** mkfs.f2fs -O spellings of the feature bits. */
export const FEATURE_MKFS_NAMES: Record<FeatureName, string> = {
  ENCRYPT: 'encrypt',
  BLKZONED: 'blkzoned',
  ATOMIC_WRITE: 'atomic_write',
  EXTRA_ATTR: 'extra_attr',
  PRJQUOTA: 'project_quota',
  INODE_CHKSUM: 'inode_checksum',
  FLEXIBLE_INLINE_XATTR: 'flexible_inline_xattr',
  QUOTA_INO: 'quota',
  INODE_CRTIME: 'inode_crtime',
  LOST_FOUND: 'lost_found',
  VERITY: 'verity',
  SB_CHKSUM: 'sb_checksum',
  CASEFOLD: 'casefold',
  COMPRESSION: 'compression',
  RO: 'ro',
};

/**
 * Features this tool keeps correct while writing; an image with any other bit opens read-only only. Reading never
 * refuses a feature: what a file needs that this tool lacks (a key, a codec) fails on that file alone.
 */
export const WRITE_FEATURES =
  Feature.EXTRA_ATTR |
  Feature.PRJQUOTA |
  Feature.INODE_CHKSUM |
  Feature.FLEXIBLE_INLINE_XATTR |
  Feature.QUOTA_INO |
  Feature.INODE_CRTIME |
  Feature.LOST_FOUND |
  Feature.SB_CHKSUM |
  Feature.ATOMIC_WRITE |
  // Encrypted names and contents are written with the key (v1/v2, AES-256-XTS / AES-256-CTS-CBC), unlink and rmdir by
  // no-key name without it, the rest is ENOKEY there; verity files refuse writes (EPERM).
  Feature.ENCRYPT |
  Feature.VERITY |
  Feature.COMPRESSION |
  Feature.CASEFOLD;

export function featureNames(bits: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(Feature)) if (bits & bit) out.push(FEATURE_MKFS_NAMES[name as FeatureName]);
  const unknown = bits & ~Object.values(Feature).reduce((a, b) => a | b, 0);
  if (unknown) out.push(`0x${unknown.toString(16)}`);
  return out;
}

export function superblockCrc(raw: Buffer): number {
  return f2fsCrc32(F2FS_MAGIC, raw.subarray(0, SB_CRC_OFFSET));
}

/** Extension list entries (NUL-padded 8-byte names). */
export function extensionList(sb: Superblock): string[] {
  const out: string[] = [];
  const n = Math.min(64, sb.extension_count + sb.hot_ext_count);
  for (let i = 0; i < n; i++) {
    const raw = sb.extension_list.subarray(i * 8, i * 8 + 8);
    const end = raw.indexOf(0);
    out.push(raw.subarray(0, end < 0 ? 8 : end).toString('latin1'));
  }
  return out;
}

export function volumeName(sb: Superblock): string {
  const s = sb.volume_name.toString('utf16le');
  const end = s.indexOf('\0');
  return end < 0 ? s : s.slice(0, end);
}

export function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1');
}

/** The 16 uuid bytes in the standard 8-4-4-4-12 text form. */
export function uuidString(u: Buffer): string {
  const h = u.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** include/linux/f2fs_fs.h enum stop_cp_reason: s_stop_reason[i] counts stops for reason i. */
export const STOP_REASONS = [
  'shutdown',
  'fault_inject',
  'meta_page',
  'write_fail',
  'corrupted_summary',
  'update_inode',
  'flush_fail',
  'no_segment',
  'corrupted_free_bitmap',
  'corrupted_nid',
  'read_meta',
  'read_node',
  'read_data',
];

/** include/linux/f2fs_fs.h enum f2fs_error: bit i of s_errors (little-endian bit order). */
export const FS_ERRORS = [
  'corrupted_cluster',
  'fail_decompression',
  'invalid_blkaddr',
  'corrupted_dirent',
  'corrupted_inode',
  'inconsistent_summary',
  'inconsistent_footer',
  'inconsistent_sum_type',
  'corrupted_journal',
  'inconsistent_node_count',
  'inconsistent_block_count',
  'invalid_curseg',
  'inconsistent_sit',
  'corrupted_verity_xattr',
  'corrupted_xattr',
  'invalid_node_reference',
  'inconsistent_nat',
  'inconsistent_orphan',
];

/** One entry of the multi-device table (struct f2fs_device, MAX_DEVICES of them in `devs`). */
export const F2fsDevice = struct('f2fs_device', [
  ['path', bytes(64)],
  ['total_segments', 'u32'],
]);

/** The devices a superblock lists (empty entries left out). */
export function superblockDevices(devs: Buffer): { path: string; total_segments: number }[] {
  const out: { path: string; total_segments: number }[] = [];
  for (let off = 0; off + F2fsDevice.size <= devs.length; off += F2fsDevice.size) {
    const d = F2fsDevice.decode(devs, off);
    const path = cString(d.path);
    if (path || d.total_segments) out.push({ path, total_segments: d.total_segments });
  }
  return out;
}
