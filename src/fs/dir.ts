// Directories: walking dentry areas (blocks and inline), the multi-level hash lookup, and listing.
import { during, fail } from '../errors.js';
import type { Volume } from './volume.js';
import { editInode } from './inode.js';
import { writePage } from './data.js';
import { punchBlock } from './node.js';
import { convertInlineDentry } from './inline.js';
import { BLKSIZE, MAX_DIR_HASH_DEPTH, NR_DENTRY_IN_BLOCK, SLOT_LEN } from './layout/constants.js';
import { DentryBlock, inlineDentryGeometry, inlineDentryStruct, slotsFor, type DentryArea } from './layout/dentry.js';
import { dentryHash } from './layout/hash.js';
import { bitLsb } from './layout/struct.js';
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

/** Offset of dentry[0] in a dentry block (after dentry_bitmap[27] and reserved[3]); each f2fs_dir_entry is 11 bytes. */
const DENTRY_OFFSET = 30;

/** Whether some used slot of a dentry block carries `hash` (a cheap raw pre-check for lookup; false positives are fine). */
function blockMayHold(block: Buffer, hash: number): boolean {
  for (let i = 0; i < NR_DENTRY_IN_BLOCK; i++) {
    if ((block[i >> 3] >> (i & 7)) & 1 && block.readUInt32LE(DENTRY_OFFSET + i * 11) === hash) return true;
  }
  return false;
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
    this.data.walk(info, 0, Math.ceil(info.inode.i_size / BLKSIZE), (bidx, blkaddr) => blocks.push([bidx, blkaddr]));
    for (const [bidx, blkaddr] of blocks) yield* areaEntries(areaOfBlock(this.data.blockData(info.ino, bidx, blkaddr)), bidx, this.check, `${what} block ${bidx}`);
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
        this.data.walk(info, first, first + bucketBlocks(level), (bidx, blkaddr) => found.push([bidx, blkaddr]));
        for (const [bidx, blkaddr] of found) {
          const block = this.data.blockData(info.ino, bidx, blkaddr);
          if (!blockMayHold(block, hash)) continue; // no slot with this hash: skip decoding 214 entries
          for (const d of areaEntries(areaOfBlock(block), bidx, this.check, `directory ${info.ino} block ${bidx}`)) if (match(d)) return d;
        }
      }
      return null;
    });
  }
}

/* ---- write side: inserting and deleting entries (f2fs_add_regular_entry, f2fs_add_inline_entry, f2fs_delete_entry) ---- */

/** f2fs_room_for_filename: first run of `slots` free bits. */
export function roomForFilename(bitmap: Buffer, slots: number, max: number): number {
  let start = 0;
  for (;;) {
    let zeroStart = start;
    while (zeroStart < max && bitLsb.test(bitmap, zeroStart)) zeroStart++;
    if (zeroStart >= max) return max;
    let zeroEnd = zeroStart;
    while (zeroEnd < max && !bitLsb.test(bitmap, zeroEnd)) zeroEnd++;
    if (zeroEnd - zeroStart >= slots) return zeroStart;
    start = zeroEnd + 1;
    if (start >= max) return max;
  }
}

/** f2fs_update_dentry: fills slot `pos` (and its continuation slots) of an area. */
export function putEntry(area: DentryArea, pos: number, name: Buffer, ino: number, fileType: number, hash: number): void {
  const slots = slotsFor(name.length);
  area.dentry[pos] = { hash_code: hash, ino, name_len: name.length, file_type: fileType };
  area.filename.fill(0, pos * SLOT_LEN, (pos + slots) * SLOT_LEN);
  name.copy(area.filename, pos * SLOT_LEN);
  for (let i = 0; i < slots; i++) {
    bitLsb.set(area.bitmap, pos + i);
    if (i) area.dentry[pos + i] = { hash_code: 0, ino: 0, name_len: 0, file_type: 0 };
  }
}

export function clearEntry(area: DentryArea, pos: number, nameLen: number): void {
  for (let i = 0; i < slotsFor(nameLen); i++) bitLsb.clear(area.bitmap, pos + i);
}

export const emptyBlockArea = (): DentryArea => areaOfBlock(Buffer.alloc(BLKSIZE));

export function encodeBlockArea(area: DentryArea): Buffer {
  return DentryBlock.encode({ dentry_bitmap: area.bitmap, reserved: Buffer.alloc(3), dentry: area.dentry, filename: area.filename });
}

/** Writes an inline dentry area back into the directory's dirty inode block. */
export function encodeInlineArea(raw: Buffer, info: InodeInfo, area: DentryArea): void {
  const s = inlineDentryStruct(info.maxInlineData);
  const g = inlineDentryGeometry(info.maxInlineData);
  s.encode({ dentry_bitmap: area.bitmap, reserved: Buffer.alloc(g.reserved), dentry: area.dentry, filename: area.filename }, raw, info.inlineDataOffset);
}

export const isEmptyArea = (area: DentryArea) => area.bitmap.every((b) => b === 0);

/** f2fs_add_regular_entry / f2fs_add_inline_entry: inserts `name` → `ino` into `dir` (converting a full inline dir). */
export function addEntry(vol: Volume, dirIno: number, name: Buffer, ino: number, fileType: number): void {
  let dir = vol.inode(dirIno);
  const hash = dentryHash(name);
  const slots = slotsFor(name.length);
  if (hasInlineDentry(dir)) {
    const area = inlineArea(dir);
    const pos = roomForFilename(area.bitmap, slots, area.slots);
    if (pos < area.slots) {
      putEntry(area, pos, name, ino, fileType, hash);
      const raw = vol.nm.nodeForUpdate(dirIno);
      encodeInlineArea(raw, dir, area);
      editInode(raw, (i) => {
        i.i_current_depth = 0;
      });
      return;
    }
    convertInlineDentry(vol, dir);
    dir = vol.inode(dirIno);
  }
  const dirLevel = dir.inode.i_dir_level;
  let depth = dir.inode.i_current_depth;
  for (let level = 0; ; level++) {
    if (level >= MAX_DIR_HASH_DEPTH) fail('ENOSPC', `directory ${dirIno} is full (hash depth ${MAX_DIR_HASH_DEPTH})`);
    if (level === depth) depth++;
    const first = dirBlockIndex(level, dirLevel, hash % dirBuckets(level, dirLevel));
    for (let bidx = first; bidx < first + bucketBlocks(level); bidx++) {
      const { blkaddr } = vol.data.bmap(dir, bidx);
      const area = blkaddr ? areaOfBlock(vol.data.blockData(dirIno, bidx, blkaddr)) : emptyBlockArea();
      const pos = roomForFilename(area.bitmap, slots, NR_DENTRY_IN_BLOCK);
      if (pos >= NR_DENTRY_IN_BLOCK) continue;
      putEntry(area, pos, name, ino, fileType, hash);
      writePage(vol, dir, bidx, encodeBlockArea(area));
      editInode(vol.nm.nodeForUpdate(dirIno), (i) => {
        if (i.i_size < (bidx + 1) * BLKSIZE) i.i_size = (bidx + 1) * BLKSIZE;
        i.i_current_depth = depth;
      });
      return;
    }
  }
}

/** f2fs_delete_entry: clears the entry's bits; a dentry block left empty is punched out. */
export function deleteEntry(vol: Volume, dirIno: number, d: Dentry): void {
  const dir = vol.inode(dirIno);
  if (d.bidx < 0) {
    const area = inlineArea(dir);
    clearEntry(area, d.slot, d.name.length);
    encodeInlineArea(vol.nm.nodeForUpdate(dirIno), dir, area);
    return;
  }
  const { blkaddr } = vol.data.bmap(dir, d.bidx);
  const area = areaOfBlock(vol.data.blockData(dirIno, d.bidx, blkaddr));
  clearEntry(area, d.slot, d.name.length);
  if (isEmptyArea(area)) {
    vol.pages.drop(dirIno, d.bidx);
    punchBlock(vol, dir, d.bidx);
  } else writePage(vol, dir, d.bidx, encodeBlockArea(area));
}

/** f2fs_set_link: points an existing entry at another inode, in place. */
export function setLink(vol: Volume, dirIno: number, d: Dentry, ino: number, fileType: number): void {
  const dir = vol.inode(dirIno);
  if (d.bidx < 0) {
    const area = inlineArea(dir);
    area.dentry[d.slot] = { ...area.dentry[d.slot], ino, file_type: fileType };
    encodeInlineArea(vol.nm.nodeForUpdate(dirIno), dir, area);
    return;
  }
  const { blkaddr } = vol.data.bmap(dir, d.bidx);
  const area = areaOfBlock(vol.data.blockData(dirIno, d.bidx, blkaddr));
  area.dentry[d.slot] = { ...area.dentry[d.slot], ino, file_type: fileType };
  writePage(vol, dir, d.bidx, encodeBlockArea(area));
}
