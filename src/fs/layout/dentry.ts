// Directory entry codecs: the 4 KiB dentry block and the inline dentry area, whose geometry depends on the inline size.
import { MAX_NAME_LEN, NR_DENTRY_IN_BLOCK, SIZE_OF_DIR_ENTRY, SLOT_LEN } from './constants.js';
import { array, bytes, struct, type Of } from '../../util/struct.js';

export const DirEntry = struct('f2fs_dir_entry', [
  ['hash_code', 'u32'],
  ['ino', 'u32'],
  ['name_len', 'u16'],
  ['file_type', 'u8'],
]);
export type DirEntry = Of<typeof DirEntry>;

const DENTRY_BITMAP_SIZE = Math.ceil(NR_DENTRY_IN_BLOCK / 8); // 27

export const DentryBlock = struct('f2fs_dentry_block', [
  ['dentry_bitmap', bytes(DENTRY_BITMAP_SIZE)],
  ['reserved', bytes(3)],
  ['dentry', array(DirEntry, NR_DENTRY_IN_BLOCK)],
  ['filename', bytes(NR_DENTRY_IN_BLOCK * SLOT_LEN)],
]);
export type DentryBlock = Of<typeof DentryBlock>;

/**
 * A view over any dentry area (a 4 KiB block or the inline area of an inode) in place: entries are read and
 * written one slot at a time, so a lookup touches only the slots it visits and an insert only the slots it fills.
 */
export class DentryArea {
  /** LSB-first slot bitmap and the 8-byte name slots: views sharing `raw`. */
  readonly bitmap: Buffer;
  readonly filename: Buffer;
  private readonly dentryAt: number;

  constructor(
    readonly raw: Buffer,
    readonly slots: number,
    base: number,
    geometry: { bitmapSize: number; dentryOffset: number; filenameOffset: number },
  ) {
    this.bitmap = raw.subarray(base, base + geometry.bitmapSize);
    this.filename = raw.subarray(base + geometry.filenameOffset, base + geometry.filenameOffset + slots * SLOT_LEN);
    this.dentryAt = base + geometry.dentryOffset;
  }

  entry(i: number): DirEntry {
    return DirEntry.decode(this.raw, this.dentryAt + i * SIZE_OF_DIR_ENTRY);
  }

  setEntry(i: number, de: DirEntry): void {
    DirEntry.encode(de, this.raw, this.dentryAt + i * SIZE_OF_DIR_ENTRY);
  }
}

const BLOCK_GEOMETRY = { bitmapSize: DENTRY_BITMAP_SIZE, dentryOffset: DentryBlock.offsets.dentry, filenameOffset: DentryBlock.offsets.filename };

/** The dentry area of a whole block (writes go to `block`). */
export const blockArea = (block: Buffer) => new DentryArea(block, NR_DENTRY_IN_BLOCK, 0, BLOCK_GEOMETRY);

/** Geometry of an inline dentry area of `size` bytes (MAX_INLINE_DATA). */
export function inlineDentryGeometry(size: number) {
  const slots = Math.floor((size * 8) / ((SIZE_OF_DIR_ENTRY + SLOT_LEN) * 8 + 1));
  const bitmapSize = Math.ceil(slots / 8);
  const reserved = size - ((SIZE_OF_DIR_ENTRY + SLOT_LEN) * slots + bitmapSize);
  return { slots, bitmapSize, reserved, dentryOffset: bitmapSize + reserved, filenameOffset: bitmapSize + reserved + SIZE_OF_DIR_ENTRY * slots };
}

/** The inline dentry area of `size` bytes at `offset` of an inode block (writes go to `raw`). */
export function inlineArea(raw: Buffer, offset: number, size: number): DentryArea {
  const g = inlineDentryGeometry(size);
  return new DentryArea(raw, g.slots, offset, g);
}

export const slotsFor = (nameLen: number) => Math.ceil(nameLen / SLOT_LEN);

export const FileType = { UNKNOWN: 0, REG: 1, DIR: 2, CHRDEV: 3, BLKDEV: 4, FIFO: 5, SOCK: 6, SYMLINK: 7 } as const;
export const FILE_TYPE_NAMES = ['unknown', 'regular', 'directory', 'chrdev', 'blkdev', 'fifo', 'socket', 'symlink'];

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export function fileTypeOfMode(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return FileType.REG;
    case S_IFDIR:
      return FileType.DIR;
    case S_IFCHR:
      return FileType.CHRDEV;
    case S_IFBLK:
      return FileType.BLKDEV;
    case S_IFIFO:
      return FileType.FIFO;
    case S_IFSOCK:
      return FileType.SOCK;
    case S_IFLNK:
      return FileType.SYMLINK;
    default:
      return FileType.UNKNOWN;
  }
}

export { MAX_NAME_LEN };
