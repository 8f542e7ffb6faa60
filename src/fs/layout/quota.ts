// Quota file codecs: the v2 quota tree format (QFMT_VFS_V1) the kernel keeps in each quota inode (fs/quota/quotaio_v2.h, quota_tree.h).
import { struct, type Of } from '../../util/struct.js';

/** USRQUOTA, GRPQUOTA, PRJQUOTA: the index into the superblock's qf_ino[]. */
export const QUOTA_TYPES = ['user', 'group', 'project'] as const;
export type QuotaTypeName = (typeof QUOTA_TYPES)[number];

/** V2_INITQMAGICS, per quota type; V2_INITQVERSIONS is 1 for all (the v2r1 entry). */
export const V2_MAGICS = [0xd9c01f11, 0xd9c01927, 0xd9c03f14] as const;
export const V2_VERSION = 1;

/** The tree's unit: 1 KiB blocks (V2_DQBLKSIZE_BITS), block 1 the root (QT_TREEOFF), four levels of 256 refs. */
export const QT_BLKSIZE_BITS = 10;
export const QT_BLKSIZE = 1 << QT_BLKSIZE_BITS;
export const QT_TREEOFF = 1;
export const QT_TREEDEPTH = 4;
export const QT_REFS_PER_BLOCK = QT_BLKSIZE / 4;

/** Default grace periods (MAX_DQ_TIME, MAX_IQ_TIME: one week). */
export const MAX_DQ_TIME = 604800;
export const MAX_IQ_TIME = 604800;

/** Limits are kept in 1 KiB quota blocks (QUOTABLOCK_SIZE); usage in bytes. */
export const QUOTABLOCK_SIZE = 1024;

export const V2DiskDqheader = struct('v2_disk_dqheader', [
  ['dqh_magic', 'u32'],
  ['dqh_version', 'u32'],
]);
export type V2DiskDqheader = Of<typeof V2DiskDqheader>;

/** At V2_DQINFOOFF (right after the header) in block 0. */
export const V2DiskDqinfo = struct('v2_disk_dqinfo', [
  ['dqi_bgrace', 'u32'],
  ['dqi_igrace', 'u32'],
  ['dqi_flags', 'u32'],
  ['dqi_blocks', 'u32'],
  ['dqi_free_blk', 'u32'],
  ['dqi_free_entry', 'u32'],
]);
export type V2DiskDqinfo = Of<typeof V2DiskDqinfo>;
export const V2_DQINFOOFF = V2DiskDqheader.size;

/** Head of a leaf (data) block: its links in the free-entry (or free-block) list and how many entries it holds. */
export const QtDiskDqdbheader = struct('qt_disk_dqdbheader', [
  ['dqdh_next_free', 'u32'],
  ['dqdh_prev_free', 'u32'],
  ['dqdh_entries', 'u16'],
  ['dqdh_pad1', 'u16'],
  ['dqdh_pad2', 'u32'],
]);
export type QtDiskDqdbheader = Of<typeof QtDiskDqdbheader>;

/** One id's usage and limits (v2r1_disk_dqblk). An all-zero entry is a free slot. */
export const V2r1DiskDqblk = struct('v2r1_disk_dqblk', [
  ['dqb_id', 'u32'],
  ['dqb_pad', 'u32'],
  ['dqb_ihardlimit', 'u64n'],
  ['dqb_isoftlimit', 'u64n'],
  ['dqb_curinodes', 'u64n'],
  ['dqb_bhardlimit', 'u64n'],
  ['dqb_bsoftlimit', 'u64n'],
  ['dqb_curspace', 'u64n'],
  ['dqb_btime', 'u64n'],
  ['dqb_itime', 'u64n'],
]);
export type V2r1DiskDqblk = Of<typeof V2r1DiskDqblk>;

/** Entries per leaf block (qtree_dqstr_in_blk): 14. */
export const QT_ENTRIES_PER_BLOCK = Math.floor((QT_BLKSIZE - QtDiskDqdbheader.size) / V2r1DiskDqblk.size);

/** Tree ref k of a 1 KiB tree block at `off` in `buf`. */
export const TreeRef = struct('qt_tree_ref', [['ref', 'u32']]);
