// Inline data and inline dentries: writing in place, and converting to ordinary blocks when they outgrow the inode.
import { BLKSIZE } from './layout/constants.js';
import { InlineFlag } from './layout/node.js';
import { editInode, type InodeInfo } from './inode.js';
import { inlineArea } from './dir.js';
import { blockArea } from './layout/dentry.js';
import { writePage } from './data.js';
import type { Volume } from './volume.js';

/** Writes `data` at `pos` of an inline file's area (caller checked it fits) and marks DATA_EXIST. */
export function writeInline(vol: Volume, info: InodeInfo, pos: number, data: Buffer): void {
  const raw = vol.nm.nodeForUpdate(info.ino);
  data.copy(raw, info.inlineDataOffset + pos);
  editInode(raw, (i) => {
    i.i_inline |= InlineFlag.DATA_EXIST;
  });
}

/** f2fs_truncate_inline_inode: zeroes the inline area from `from`. */
export function truncateInline(vol: Volume, info: InodeInfo, from: number): void {
  const raw = vol.nm.nodeForUpdate(info.ino);
  raw.fill(0, info.inlineDataOffset + from, info.inlineDataOffset + info.maxInlineData);
}

/** f2fs_convert_inline_inode: moves inline bytes to file block 0 (nothing to move when no data ever existed). */
export function convertInlineData(vol: Volume, info: InodeInfo): void {
  const exist = (info.inode.i_inline & InlineFlag.DATA_EXIST) !== 0;
  const page = Buffer.alloc(BLKSIZE);
  if (exist) info.page.raw.copy(page, 0, info.inlineDataOffset, info.inlineDataOffset + Math.min(info.inode.i_size, info.maxInlineData));
  truncateInline(vol, info, 0);
  editInode(vol.nm.nodeForUpdate(info.ino), (i) => {
    i.i_inline &= ~(InlineFlag.DATA | InlineFlag.DATA_EXIST);
  });
  if (exist) writePage(vol, vol.inode(info.ino), 0, page);
}

/** f2fs_move_inline_dirents (dir_level 0): the inline slots go slot-for-slot into dentry block 0. */
export function convertInlineDentry(vol: Volume, info: InodeInfo): void {
  const src = inlineArea(info);
  const dst = blockArea(Buffer.alloc(BLKSIZE));
  src.bitmap.copy(dst.bitmap, 0, 0, src.bitmap.length);
  for (let s = 0; s < src.slots; s++) dst.setEntry(s, src.entry(s));
  src.filename.copy(dst.filename, 0);
  // Bits past the inline slot count are padding in the inline bitmap: never valid slots in the block.
  for (let s = src.slots; s < src.bitmap.length * 8; s++) dst.bitmap[s >> 3] &= ~(1 << (s & 7));
  truncateInline(vol, info, 0);
  editInode(vol.nm.nodeForUpdate(info.ino), (i) => {
    i.i_inline &= ~InlineFlag.DENTRY;
    i.i_current_depth = 1;
    if (i.i_size < BLKSIZE) i.i_size = BLKSIZE;
  });
  // Without inline xattrs the 50 words kept for the dentry layout become address slots again: readInodeInfo derives that from the flags.
  writePage(vol, vol.inode(info.ino), 0, dst.raw);
}
