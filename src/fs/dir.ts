// Directories: walking dentry areas (blocks and inline), the multi-level hash lookup, and listing.
import { during, fail } from '../errors.js';
import { BLKSIZE, MAX_DIR_HASH_DEPTH, NR_DENTRY_IN_BLOCK, NULL_ADDR, NEW_ADDR, SLOT_LEN } from './layout/constants.js';
import { DentryBlock, inlineDentryStruct, slotsFor, type DentryArea } from './layout/dentry.js';
import { dentryHash } from './layout/hash.js';
import { bitLsb } from './layout/struct.js';
import type { BlockDevice } from '../device/types.js';
import { hasInlineDentry, isDir, type InodeInfo } from './inode.js';
import type { DataReader } from './data.js';
import type { Validator } from './validate.js';

export interface Dentry {
  name: Buffer;
  ino: number;
  hash: number;
  fileType: number;
  /** Where it is: block index in the directory (-1 inline), first slot. */
  bidx: number;
  slot: number;
}

const MAX_BUCKET_LEVEL = Math.floor(MAX_DIR_HASH_DEPTH / 2); // 31

export const dirBuckets = (level: number, dirLevel: number) => (level + dirLevel < MAX_BUCKET_LEVEL ? 2 ** (level + dirLevel) : 2 ** (MAX_BUCKET_LEVEL - 1));
export const bucketBlocks = (level: number) => (level < MAX_BUCKET_LEVEL ? 2 : 4);

/** dir_block_index: first block of bucket `idx` at `level`. */
export function dirBlockIndex(level: number, dirLevel: number, idx: number): number {
  let bidx = 0;
  for (let i = 0; i < level; i++) bidx += dirBuckets(i, dirLevel) * bucketBlocks(i);
  return bidx + idx * bucketBlocks(level);
}

export function areaOfBlock(block: Buffer): DentryArea {
  const d = DentryBlock.decode(block);
  return { slots: NR_DENTRY_IN_BLOCK, bitmap: d.dentry_bitmap, dentry: d.dentry, filename: d.filename };
}

export function inlineArea(info: InodeInfo): DentryArea {
  const s = inlineDentryStruct(info.maxInlineData);
  const d = s.decode(info.page.raw, info.inlineDataOffset);
  return { slots: d.dentry.length, bitmap: d.dentry_bitmap, dentry: d.dentry, filename: d.filename };
}

/** Every entry of one area, stepping over multi-slot names as the kernel does (f2fs_fill_dentries). */
export function* areaEntries(area: DentryArea, bidx: number, check: Validator, what: string): Generator<Dentry> {
  let i = 0;
  while (i < area.slots) {
    if (!bitLsb.test(area.bitmap, i)) {
      i++;
      continue;
    }
    const de = area.dentry[i];
    if (de.name_len === 0) {
      i++;
      continue;
    }
    check.dentrySlot(i, de.name_len, area.slots, what);
    const name = Buffer.from(area.filename.subarray(i * SLOT_LEN, i * SLOT_LEN + de.name_len));
    yield { name, ino: de.ino, hash: de.hash_code, fileType: de.file_type, bidx, slot: i };
    i += slotsFor(de.name_len);
  }
}

export class DirReader {
  constructor(
    private readonly dev: BlockDevice,
    private readonly data: DataReader,
    private readonly check: Validator,
  ) {}

  private requireDir(info: InodeInfo): void {
    if (!isDir(info.inode.i_mode)) fail('ENOTDIR', `inode ${info.ino} is not a directory`);
  }

  /** All entries in storage order ('.' and '..' included). */
  *entries(info: InodeInfo): Generator<Dentry> {
    this.requireDir(info);
    const what = `directory ${info.ino}`;
    if (hasInlineDentry(info)) {
      yield* areaEntries(inlineArea(info), -1, this.check, what);
      return;
    }
    const blocks: [number, number][] = [];
    this.data.walk(info, 0, Math.ceil(info.inode.i_size / BLKSIZE), (bidx, blkaddr) => {
      if (blkaddr !== NEW_ADDR) blocks.push([bidx, blkaddr]);
    });
    for (const [bidx, blkaddr] of blocks) yield* areaEntries(areaOfBlock(this.dev.readBlock(blkaddr)), bidx, this.check, `${what} block ${bidx}`);
  }

  /** __f2fs_find_entry: hash-directed lookup through levels 0..i_current_depth-1 (inline: a scan). */
  lookup(info: InodeInfo, name: Buffer): Dentry | null {
    this.requireDir(info);
    return during(`while looking up "${name.toString()}" in directory ${info.ino}`, () => {
      const hash = dentryHash(name);
      const match = (d: Dentry) => d.hash === hash && d.name.equals(name);
      if (hasInlineDentry(info)) {
        for (const d of areaEntries(inlineArea(info), -1, this.check, `directory ${info.ino}`)) if (match(d)) return d;
        return null;
      }
      const depth = this.check.range(info.inode.i_current_depth, 0, MAX_DIR_HASH_DEPTH, `directory ${info.ino} i_current_depth`);
      const dirLevel = info.inode.i_dir_level;
      for (let level = 0; level < depth; level++) {
        const bucket = hash % dirBuckets(level, dirLevel);
        const first = dirBlockIndex(level, dirLevel, bucket);
        const found: [number, number][] = [];
        this.data.walk(info, first, first + bucketBlocks(level), (bidx, blkaddr) => {
          if (blkaddr !== NULL_ADDR && blkaddr !== NEW_ADDR) found.push([bidx, blkaddr]);
        });
        for (const [bidx, blkaddr] of found)
          for (const d of areaEntries(areaOfBlock(this.dev.readBlock(blkaddr)), bidx, this.check, `directory ${info.ino} block ${bidx}`)) if (match(d)) return d;
      }
      return null;
    });
  }
}
