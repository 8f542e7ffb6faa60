// Inode reading (do_read_inode): the decoded f2fs_inode plus the derived layout every reader needs (extra area, inline areas, address slots).
import { fail } from '../errors.js';
import { ADDRS_PER_BLOCK, DEFAULT_INLINE_XATTR_ADDRS, DEF_ADDRS_PER_INODE, DEF_NIDS_PER_INODE, MAX_INLINE_XATTR_SIZE_WORDS } from './layout/constants.js';
import { Feature } from './layout/superblock.js';
import { MAX_COMPRESS_LOG_SIZE } from './layout/compress.js';
import { FsFlag, I_ADDR_OFFSET, InlineFlag, Inode, InodeCore, InodeExtra, InodeHead, MAX_EXTRA_ISIZE, extraFieldFits, readSlot, slotOffset } from './layout/node.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './layout/dentry.js';
import { locateField, readField } from './layout/field-path.js';
import { exactInteger } from '../util/struct.js';
import type { NodePage } from './node.js';
import type { Timespec } from './clock.js';

const DEF_INLINE_RESERVED_SIZE = 1;

export interface InodeInfo {
  ino: number;
  page: NodePage;
  /** A live view of page.raw (InodeCore.view); i_addr/i_nid are read from page.raw too (inodeAddr, inodeNid). */
  inode: InodeCore;
  extra: InodeExtra | null;
  extraIsize: number; // bytes
  extraWords: number;
  inlineXattrWords: number; // get_inline_xattr_addrs
  addrsPerInode: number; // ADDRS_PER_INODE: file block slots in i_addr
  addrsPerBlock: number; // ADDRS_PER_BLOCK: file block slots of each direct node
  /** FI_COMPRESSED_FILE: a regular file with the compression flag whose extra area holds the cluster fields. */
  compressedFile: boolean;
  /** log2 of the cluster size in blocks for a compressed file (f2fs_compressed_file), else 0. */
  logClusterSize: number;
  maxInlineData: number; // MAX_INLINE_DATA in bytes
  inlineDataOffset: number; // byte offset of inline data in the node block (i_addr[extra + 1])
  inlineXattrOffset: number; // byte offset of the inline xattr area (valid when hasInlineXattr)
  checksumOk: boolean | null;
}

/** addrs_per_inode/addrs_per_block: a compressed file's slot counts are whole clusters, so no cluster spans two nodes. */
export function slotCounts(extraWords: number, inlineXattrWords: number, logClusterSize: number): Pick<InodeInfo, 'addrsPerInode' | 'addrsPerBlock'> {
  const alignDown = (n: number) => n - (n % (1 << logClusterSize));
  return { addrsPerInode: alignDown(DEF_ADDRS_PER_INODE - extraWords - inlineXattrWords), addrsPerBlock: alignDown(ADDRS_PER_BLOCK) };
}

export function readInodeInfo(page: NodePage, features: number, checksumOk: (p: NodePage, extraIsize: number, hasExtra: boolean) => boolean | null): InodeInfo {
  if (page.nid !== page.ino) fail('CORRUPT', `node ${page.nid} is not an inode (footer ino ${page.ino})`);
  const inode = InodeCore.view(page.raw); // live: reads come from the block, no decode per inode lookup
  const hasExtra = (inode.i_inline & InlineFlag.EXTRA_ATTR) !== 0;
  let extra: InodeExtra | null = null;
  let extraIsize = 0;
  if (hasExtra) {
    extra = InodeExtra.decode(page.raw, I_ADDR_OFFSET);
    extraIsize = extra.i_extra_isize;
    if (extraIsize % 4 || extraIsize > MAX_EXTRA_ISIZE) fail('CORRUPT', `inode ${page.nid}: i_extra_isize ${extraIsize} is invalid`);
  }
  let inlineXattrWords: number;
  if (features & Feature.FLEXIBLE_INLINE_XATTR) {
    inlineXattrWords = extra && extraFieldFits(extraIsize, 'i_inline_xattr_size', 2) ? extra.i_inline_xattr_size : 0;
    if (inlineXattrWords > MAX_INLINE_XATTR_SIZE_WORDS) fail('CORRUPT', `inode ${page.nid}: inline xattr size ${inlineXattrWords} words is too large`);
  } else {
    inlineXattrWords = inode.i_inline & (InlineFlag.XATTR | InlineFlag.DENTRY) ? DEFAULT_INLINE_XATTR_ADDRS : 0;
  }
  const extraWords = extraIsize / 4;
  const addrs = DEF_ADDRS_PER_INODE - extraWords - inlineXattrWords;
  // FI_COMPRESSED_FILE (do_read_inode): the flag on a regular file whose extra area holds the cluster size.
  const compressed =
    (features & Feature.COMPRESSION) !== 0 && extra !== null && isReg(inode.i_mode) && (inode.i_flags & FsFlag.COMPR) !== 0 && extraFieldFits(extraIsize, 'i_log_cluster_size', 1);
  const logClusterSize = compressed ? extra!.i_log_cluster_size : 0;
  if (logClusterSize > MAX_COMPRESS_LOG_SIZE) fail('CORRUPT', `inode ${page.nid}: i_log_cluster_size ${logClusterSize} is larger than ${MAX_COMPRESS_LOG_SIZE}`);
  const slots = slotCounts(extraWords, inlineXattrWords, logClusterSize);
  if (addrs <= DEF_INLINE_RESERVED_SIZE || slots.addrsPerInode === 0) fail('CORRUPT', `inode ${page.nid}: extra and inline xattr areas leave no address slots`);
  return {
    ino: page.nid,
    page,
    inode,
    extra,
    extraIsize,
    extraWords,
    inlineXattrWords,
    ...slots,
    compressedFile: compressed,
    logClusterSize,
    maxInlineData: 4 * (addrs - DEF_INLINE_RESERVED_SIZE),
    inlineDataOffset: I_ADDR_OFFSET + 4 * (extraWords + DEF_INLINE_RESERVED_SIZE),
    inlineXattrOffset: I_ADDR_OFFSET + 4 * (DEF_ADDRS_PER_INODE - inlineXattrWords),
    checksumOk: checksumOk(page, extraIsize, hasExtra),
  };
}

/** File block slot `i` of the inode's own address array (after the extra words). */
export const inodeAddr = (info: InodeInfo, i: number) => readSlot(info.page.raw, slotOffset.inodeAddr(info.extraWords, i));

/** i_nid[k]: the inode's direct (0, 1), indirect (2, 3) and double indirect (4) node ids. */
export const inodeNid = (info: InodeInfo, k: number) => readSlot(info.page.raw, slotOffset.inodeNid(k));
export const inodeNids = (info: InodeInfo) => Array.from({ length: DEF_NIDS_PER_INODE }, (_, k) => inodeNid(info, k));

export const hasInlineData = (info: InodeInfo) => (info.inode.i_inline & InlineFlag.DATA) !== 0;
export const hasInlineDentry = (info: InodeInfo) => (info.inode.i_inline & InlineFlag.DENTRY) !== 0;
export const hasInlineXattr = (info: InodeInfo) => (info.inode.i_inline & InlineFlag.XATTR) !== 0 && info.inlineXattrWords > 0;

export const isDir = (mode: number) => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number) => (mode & S_IFMT) === S_IFREG;
export const isSymlink = (mode: number) => (mode & S_IFMT) === S_IFLNK;
export const isDevice = (mode: number) => [S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(mode & S_IFMT);

/** Regular files keep le16 i_gc_failures where directories keep i_current_depth. */
export const gcFailures = (info: InodeInfo) => info.inode.i_current_depth & 0xffff;

const U64_SLOTS = { i_size: locateField(Inode, 'i_size')!, i_blocks: locateField(Inode, 'i_blocks')! };
/** i_size or i_blocks exact: the decoded numbers round past 2^53, which only a crafted inode reaches. */
export const inodeU64 = (info: InodeInfo, field: keyof typeof U64_SLOTS): bigint => readField(info.page.raw, 0, U64_SLOTS[field]) as bigint;
/** i_size for display and JSON: a number, or a decimal string past 2^53 (as inode times are). */
export const inodeSize = (info: InodeInfo): number | string => exactInteger(inodeU64(info, 'i_size'));

/** Device number of a chr/blk node (old 16-bit or new 32-bit encoding in the first two slots). */
export function deviceNumber(info: InodeInfo): { major: number; minor: number } {
  const a0 = inodeAddr(info, 0);
  if (a0) return { major: (a0 >> 8) & 0xff, minor: a0 & 0xff };
  const a1 = inodeAddr(info, 1);
  return { major: (a1 & 0xfff00) >> 8, minor: (a1 & 0xff) | ((a1 >> 12) & 0xfff00) };
}

export function modeString(mode: number): string {
  const t = { [S_IFDIR]: 'd', [S_IFLNK]: 'l', [S_IFCHR]: 'c', [S_IFBLK]: 'b', [S_IFIFO]: 'p', [S_IFSOCK]: 's', [S_IFREG]: '-' }[mode & S_IFMT] ?? '?';
  const rwx = (v: number, s: boolean, sc: string) => (v & 4 ? 'r' : '-') + (v & 2 ? 'w' : '-') + (s ? (v & 1 ? sc : sc.toUpperCase()) : v & 1 ? 'x' : '-');
  return t + rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's') + rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's') + rwx(mode & 7, (mode & 0o1000) !== 0, 't');
}

/* ---- write side: editing inode fields in the dirty inode block ---- */

// Times come from the one clock (src/fs/clock.ts), fixed when images must be reproducible.
export { now, type Timespec } from './clock.js';

/** Lets `fn` change fields of the inode head in its dirty block, in place (a live view: only touched fields are coded). */
export function editInode(raw: Buffer, fn: (i: InodeHead) => void): void {
  fn(InodeHead.view(raw));
}

export function setTimes(i: InodeHead, which: { a?: Timespec; m?: Timespec; c?: Timespec }): void {
  if (which.a) [i.i_atime, i.i_atime_nsec] = [which.a.sec, which.a.nsec];
  if (which.m) [i.i_mtime, i.i_mtime_nsec] = [which.m.sec, which.m.nsec];
  if (which.c) [i.i_ctime, i.i_ctime_nsec] = [which.c.sec, which.c.nsec];
}
