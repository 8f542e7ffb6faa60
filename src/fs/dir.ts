// Directories: walking dentry areas (blocks and inline), the multi-level hash lookup, and listing.
import { during, fail } from '../errors.js';
import type { Volume } from './volume.js';
import { editInode } from './inode.js';
import { writePage } from './data.js';
import { punchBlock } from './node.js';
import { convertInlineDentry } from './inline.js';
import { BLKSIZE, MAX_DIR_HASH_DEPTH, NR_DENTRY_IN_BLOCK, SLOT_LEN } from './layout/constants.js';
import { blockArea, inlineArea as inlineAreaAt, slotsFor, type DentryArea } from './layout/dentry.js';
import { dirFilename, matchName, type Filename } from './hash.js';
import type { Superblock } from './layout/superblock.js';
import { bitLsb } from '../util/struct.js';
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

/** The inline dentry area of a directory inode, over `raw` (its block as read, or the dirty copy being edited). */
export const inlineArea = (info: InodeInfo, raw: Buffer = info.page.raw): DentryArea => inlineAreaAt(raw, info.inlineDataOffset, info.maxInlineData);

/**
 * Every entry of one area, stepping over multi-slot names as the kernel does (f2fs_fill_dentries); with `hash`,
 * only entries carrying it (find_target_dentry compares the hash before the name).
 */
export function* areaEntries(area: DentryArea, bidx: number, check: Validator, what: string, hash?: number): Generator<Dentry> {
  let i = 0;
  while (i < area.slots) {
    if (!bitLsb.test(area.bitmap, i)) {
      i++;
      continue;
    }
    const de = area.entry(i);
    if (de.name_len === 0) {
      i++;
      continue;
    }
    check.dentrySlot(i, de.name_len, area.slots, what);
    if (hash !== undefined && de.hash_code !== hash) {
      i += slotsFor(de.name_len);
      continue;
    }
    const name = Buffer.from(area.filename.subarray(i * SLOT_LEN, i * SLOT_LEN + de.name_len));
    yield { name, ino: de.ino, hash: de.hash_code, fileType: de.file_type, bidx, slot: i };
    i += slotsFor(de.name_len);
  }
}

/** What the names of an encrypted directory look like to the user (src/fs/crypto.ts); null for a plain directory. */
export type NameView = (dir: InodeInfo) => ((name: Buffer, hash: number) => Buffer) | null;

export class DirReader {
  constructor(
    private readonly data: DataReader,
    private readonly check: Validator,
    private readonly nameView: NameView,
    private readonly sb: () => Superblock,
    /** The SipHash key of an encrypted casefolded directory's names (src/fs/crypto.ts), null for another or without it. */
    private readonly dirhashKey: (dir: InodeInfo) => Buffer | null = () => null,
  ) {}

  private requireDir(info: InodeInfo): void {
    if (!isDir(info.inode.i_mode)) fail('ENOTDIR', `inode ${info.ino} is not a directory`);
  }

  /** All entries in storage order ('.' and '..' included), named as the user sees them (see `rawEntries`). */
  *entries(info: InodeInfo): Generator<Dentry> {
    const view = this.nameView(info);
    for (const d of this.rawEntries(info)) yield view ? { ...d, name: view(d.name, d.hash) } : d;
  }

  /** The entries with their names as stored (ciphertext in an encrypted directory). */
  *rawEntries(info: InodeInfo): Generator<Dentry> {
    this.requireDir(info);
    const what = `directory ${info.ino}`;
    if (hasInlineDentry(info)) {
      yield* areaEntries(inlineArea(info), -1, this.check, what);
      return;
    }
    const blocks: [number, number][] = [];
    this.data.walk(info, 0, Math.ceil(info.inode.i_size / BLKSIZE), (bidx, blkaddr) => blocks.push([bidx, blkaddr]));
    for (const [bidx, blkaddr] of blocks) yield* areaEntries(blockArea(this.data.blockData(info.ino, bidx, blkaddr)), bidx, this.check, `${what} block ${bidx}`);
  }

  /**
   * A name as the user gives it: in an encrypted directory the decrypted name (with the key) or the no-key name ls
   * shows, found by comparing each entry's user name (fscrypt_match_name's outcome). The entry comes back as stored
   * (its name the ciphertext), as deleting or relinking it needs.
   */
  lookupUser(info: InodeInfo, name: Buffer): Dentry | null {
    const view = this.nameView(info);
    if (!view) return this.lookup(info, name);
    for (const d of this.rawEntries(info)) if (view(d.name, d.hash).equals(name)) return d;
    return null;
  }

  /**
   * __f2fs_find_entry: hash-directed lookup through levels 0..i_current_depth-1 (inline: a scan); a casefolded
   * directory that misses by hash looks at every entry (use_hash false: names hashed by older rules are found). In an
   * encrypted casefolded directory `name` is the plaintext (its key given): hashed by SipHash, matched decrypted.
   */
  lookup(info: InodeInfo, name: Buffer): Dentry | null {
    this.requireDir(info);
    return during(`while looking up "${name.toString()}" in directory ${info.ino}`, () => {
      const f = dirFilename(this.sb(), info, name, this.dirhashKey(info));
      const view = f.encrypted ? this.nameView(info) : null;
      const matches = (d: Dentry) => matchName(f, view ? view(d.name, d.hash) : d.name);
      const found = this.findHashed(info, f, matches);
      if (found || !f.casefolded) return found;
      for (const d of this.rawEntries(info)) if (matches(d)) return d;
      return null;
    });
  }

  /**
   * A name as stored, under a hash known beforehand (init_recovered_filename: roll-forward in an encrypted casefolded
   * directory, whose hash needs the key, takes it from i_name), then every entry, as for any casefolded directory.
   */
  lookupStored(info: InodeInfo, disk: Buffer, hash: number): Dentry | null {
    this.requireDir(info);
    const matches = (d: Dentry) => d.name.equals(disk);
    const found = this.findHashed(info, { name: disk, cf: null, hash, casefolded: true, strict: false, encrypted: false }, matches);
    if (found) return found;
    for (const d of this.rawEntries(info)) if (matches(d)) return d;
    return null;
  }

  /** find_in_level over levels 0..i_current_depth-1 by the hash (inline: the one area). */
  private findHashed(info: InodeInfo, f: Filename, matches: (d: Dentry) => boolean): Dentry | null {
    const hash = f.hash;
    if (hasInlineDentry(info)) {
      for (const d of areaEntries(inlineArea(info), -1, this.check, `directory ${info.ino}`, hash)) if (matches(d)) return d;
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
        const area = blockArea(this.data.blockData(info.ino, bidx, blkaddr));
        for (const d of areaEntries(area, bidx, this.check, `directory ${info.ino} block ${bidx}`, hash)) if (matches(d)) return d;
      }
    }
    return null;
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
  area.setEntry(pos, { hash_code: hash, ino, name_len: name.length, file_type: fileType });
  area.filename.fill(0, pos * SLOT_LEN, (pos + slots) * SLOT_LEN);
  name.copy(area.filename, pos * SLOT_LEN);
  for (let i = 0; i < slots; i++) {
    bitLsb.set(area.bitmap, pos + i);
    if (i) area.setEntry(pos + i, { hash_code: 0, ino: 0, name_len: 0, file_type: 0 });
  }
}

export function clearEntry(area: DentryArea, pos: number, nameLen: number): void {
  for (let i = 0; i < slotsFor(nameLen); i++) bitLsb.clear(area.bitmap, pos + i);
}

/** A private copy of dentry block `bidx` to edit (the cached block stays as read until the page is written back). */
const blockForUpdate = (vol: Volume, dir: InodeInfo, bidx: number, blkaddr: number) => blockArea(Buffer.from(vol.data.blockData(dir.ino, bidx, blkaddr)));

export const isEmptyArea = (area: DentryArea) => area.bitmap.every((b) => b === 0);

/**
 * f2fs_add_regular_entry / f2fs_add_inline_entry: inserts `name` → `ino` into `dir` (converting a full inline dir);
 * `hash` is the name's, given when it is not the stored name's (an encrypted casefolded directory: see setupFilename).
 */
export function addEntry(vol: Volume, dirIno: number, name: Buffer, ino: number, fileType: number, hash = dirFilename(vol.sb, vol.inode(dirIno), name).hash): void {
  let dir = vol.inode(dirIno);
  const slots = slotsFor(name.length);
  if (hasInlineDentry(dir)) {
    const seen = inlineArea(dir);
    const pos = roomForFilename(seen.bitmap, slots, seen.slots);
    if (pos < seen.slots) {
      const raw = vol.nm.nodeForUpdate(dirIno);
      putEntry(inlineArea(dir, raw), pos, name, ino, fileType, hash);
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
      const seen = blkaddr ? blockArea(vol.data.blockData(dirIno, bidx, blkaddr)) : null;
      const pos = seen ? roomForFilename(seen.bitmap, slots, NR_DENTRY_IN_BLOCK) : 0;
      if (pos >= NR_DENTRY_IN_BLOCK) continue;
      const area = blkaddr ? blockForUpdate(vol, dir, bidx, blkaddr) : blockArea(Buffer.alloc(BLKSIZE));
      putEntry(area, pos, name, ino, fileType, hash);
      writePage(vol, dir, bidx, area.raw);
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
    clearEntry(inlineArea(dir, vol.nm.nodeForUpdate(dirIno)), d.slot, d.name.length);
    return;
  }
  const { blkaddr } = vol.data.bmap(dir, d.bidx);
  const area = blockForUpdate(vol, dir, d.bidx, blkaddr);
  clearEntry(area, d.slot, d.name.length);
  if (isEmptyArea(area)) {
    vol.pages.drop(dirIno, d.bidx);
    punchBlock(vol, dir, d.bidx);
  } else writePage(vol, dir, d.bidx, area.raw);
}

/** f2fs_set_link: points an existing entry at another inode, in place. */
export function setLink(vol: Volume, dirIno: number, d: Dentry, ino: number, fileType: number): void {
  const dir = vol.inode(dirIno);
  if (d.bidx < 0) {
    const area = inlineArea(dir, vol.nm.nodeForUpdate(dirIno));
    area.setEntry(d.slot, { ...area.entry(d.slot), ino, file_type: fileType });
    return;
  }
  const { blkaddr } = vol.data.bmap(dir, d.bidx);
  const area = blockForUpdate(vol, dir, d.bidx, blkaddr);
  area.setEntry(d.slot, { ...area.entry(d.slot), ino, file_type: fileType });
  writePage(vol, dir, d.bidx, area.raw);
}
