// Atomic writes, the Linux 6.1 COW-inode way (F2FS_IOC_START/COMMIT/ABORT_ATOMIC_WRITE): staged blocks belong to a
// hidden, unlinked inode on the orphan list, so a session survives across processes and dies with a crash or recovery.
import { disableCompressedFile } from './compress.js';
import { fail } from '../errors.js';
import { BLKSIZE, NEW_ADDR, NULL_ADDR } from './layout/constants.js';
import { S_IFREG } from './layout/dentry.js';
import { Advise, InlineFlag, readSlot, writeSlot } from './layout/node.js';
import { blockSpans, dropExtent, writePage, writeback } from './data.js';
import { balanceGc } from './gc.js';
import { editInode, hasInlineData, isDir, isReg, now, setTimes, type InodeInfo } from './inode.js';
import { convertInlineData } from './inline.js';
import { chargeInode, freeSlot, getDnode, maxFileBlocks, reserveSlot, truncateBlocks } from './node.js';
import { createOrphan, freeInode } from './namei.js';
import { requireContentsWritable } from './file.js';
import { fsyncFile, type FsyncResult } from './file.js';
import type { Volume } from './volume.js';

/** The COW inode's i_name names the file it stages for (the kernel keeps that link in memory only). */
const MARKER = '.f2fsdbg-atomic-';

export interface AtomicSession {
  ino: number; // the file
  cow: number; // the staging inode
  stagedSize: number;
  stagedBlocks: number;
}

function markerOf(info: InodeInfo): number | null {
  const i = info.inode;
  const name = i.i_name.subarray(0, Math.min(i.i_namelen, 255)).toString('latin1');
  if (i.i_links !== 0 || !name.startsWith(MARKER)) return null;
  const ino = Number(name.slice(MARKER.length));
  return Number.isInteger(ino) ? ino : null;
}

export function sessions(vol: Volume): AtomicSession[] {
  const out: AtomicSession[] = [];
  for (const cow of vol.orphanList()) {
    const info = vol.inode(cow);
    const ino = markerOf(info);
    if (ino !== null) out.push({ ino, cow, stagedSize: info.inode.i_size, stagedBlocks: info.inode.i_blocks - 1 });
  }
  return out;
}

export const sessionOf = (vol: Volume, ino: number) => sessions(vol).find((s) => s.ino === ino) ?? null;

export function requireSession(vol: Volume, ino: number): AtomicSession {
  const s = sessionOf(vol, ino);
  if (!s) return fail('EINVAL', `inode ${ino} has no atomic write in progress`);
  return s;
}

/** F2FS_IOC_START_ATOMIC_WRITE: inline data converted, dirty pages written, a COW inode created on the orphan list. */
export function atomicBegin(vol: Volume, ino: number, opts: { replace?: boolean } = {}): AtomicSession {
  vol.requireWritable();
  let info = vol.inode(ino);
  if (isDir(info.inode.i_mode)) fail('EISDIR', `inode ${ino} is a directory`);
  if (!isReg(info.inode.i_mode)) fail('EINVAL', `inode ${ino} is not a regular file`);
  requireContentsWritable(vol, info);
  if (vol.crypto.isEncrypted(info)) fail('UNSUPPORTED', `inode ${ino} is encrypted: its staged copy would need the same key, which this tool does not set up`);
  if (sessionOf(vol, ino)) fail('EBUSY', `inode ${ino} already has an atomic write in progress`);
  if (hasInlineData(info)) {
    convertInlineData(vol, info);
    info = vol.inode(ino);
  }
  // A compressed file with data cannot take atomic writes; an empty one stops being compressed (as Linux).
  disableCompressedFile(vol, info);
  info = vol.inode(ino);
  writeback(vol, ino);
  const cow = createOrphan(vol, info.inode.i_pino, S_IFREG | 0o600, Buffer.from(`${MARKER}${ino}`));
  editInode(vol.nm.nodeForUpdate(cow), (i) => {
    i.i_inline &= ~InlineFlag.DATA; // a COW inode never holds inline data
    i.i_advise |= Advise.HOT; // and its pages go to the hot data log
    i.i_size = opts.replace ? 0 : info.inode.i_size;
  });
  if (opts.replace) markDropped(vol, cow, 0, Math.ceil(info.inode.i_size / BLKSIZE));
  return requireSession(vol, ino);
}

/** Marks staged blocks [from, to) as "zero in the staged view" with NEW_ADDR where the original would show through. */
function markDropped(vol: Volume, cow: number, from: number, to: number): void {
  const cowInfo = () => vol.inode(cow);
  for (let bidx = from; bidx < to; bidx++) {
    const dn = getDnode(vol, cowInfo(), bidx, true)!;
    const cur = readSlot(vol.nm.readNode(dn.nid).raw, dn.off);
    if (cur !== NULL_ADDR && cur !== NEW_ADDR) freeSlot(vol, cow, vol.nm.nodeForUpdate(dn.nid), dn.off);
    if (cur !== NEW_ADDR) reserveSlot(vol, cow, dn.nid, dn.off);
  }
  vol.pages.drop(cow, from);
}

/** One block of the staged view: the COW page, zeros where it marks a drop, else the committed file's block. */
function stagedBlock(vol: Volume, s: AtomicSession, bidx: number): Buffer {
  const cow = vol.inode(s.cow);
  const { blkaddr } = vol.data.bmap(cow, bidx);
  if (blkaddr !== NULL_ADDR) return Buffer.from(vol.data.blockData(s.cow, bidx, blkaddr));
  return Buffer.concat([vol.data.read(vol.inode(s.ino), bidx * BLKSIZE, BLKSIZE)], BLKSIZE);
}

/** Reads the staged view (what the writer sees before commit). */
export function readStaged(vol: Volume, ino: number, pos: number, len: number): Buffer {
  const s = requireSession(vol, ino);
  const end = Math.min(s.stagedSize, pos + len);
  if (pos >= end) return Buffer.alloc(0);
  const out = Buffer.alloc(end - pos);
  for (const { bidx, blockPos, from, to } of blockSpans(pos, end)) stagedBlock(vol, s, bidx).copy(out, from - pos, from - blockPos, to - blockPos);
  return out;
}

/** A write to a file in an atomic session lands in its COW inode (prepare_atomic_write_begin). */
export function writeStaged(vol: Volume, ino: number, pos: number, data: Buffer): AtomicSession {
  vol.requireWritable();
  const s = requireSession(vol, ino);
  const end = pos + data.length;
  if (Math.ceil(end / BLKSIZE) > maxFileBlocks(vol.inode(ino))) fail('EINVAL', `write ending at byte ${end} exceeds the largest F2FS file`);
  for (const { bidx, blockPos, from, to } of blockSpans(pos, end)) {
    balanceGc(vol); // f2fs_write_begin: clean first when free segments run short
    // Past the staged size the old bytes are gone (a staged shrink), inside it they come from the staged view.
    const page = blockPos < s.stagedSize ? stagedBlock(vol, s, bidx) : Buffer.alloc(BLKSIZE);
    if (blockPos < s.stagedSize && s.stagedSize < blockPos + BLKSIZE) page.fill(0, s.stagedSize - blockPos);
    data.copy(page, from - blockPos, from - pos, to - pos);
    writePage(vol, vol.inode(s.cow), bidx, page);
  }
  const t = now();
  editInode(vol.nm.nodeForUpdate(s.cow), (i) => {
    if (end > i.i_size) i.i_size = end;
    setTimes(i, { m: t, c: t });
  });
  return requireSession(vol, ino);
}

/** A truncate of a file in an atomic session changes only the staged view. */
export function truncateStaged(vol: Volume, ino: number, size: number): AtomicSession {
  vol.requireWritable();
  const s = requireSession(vol, ino);
  if (size < s.stagedSize) {
    const keep = Math.ceil(size / BLKSIZE);
    if (size % BLKSIZE) {
      const page = stagedBlock(vol, s, keep - 1);
      page.fill(0, size % BLKSIZE);
      writePage(vol, vol.inode(s.cow), keep - 1, page);
    }
    markDropped(vol, s.cow, keep, Math.ceil(s.stagedSize / BLKSIZE));
  }
  editInode(vol.nm.nodeForUpdate(s.cow), (i) => void (i.i_size = size));
  return requireSession(vol, ino);
}

export interface CommitResult {
  ino: number;
  blocks: number; // staged blocks moved into the file
  size: number;
  fsync: FsyncResult;
}

/**
 * F2FS_IOC_COMMIT_ATOMIC_WRITE: staged blocks are moved into the file's dnodes (SSA owners rewritten), i_size becomes
 * the staged size, then an atomic fsync writes the dnodes with the FSYNC mark on the last one only.
 */
export function atomicCommit(vol: Volume, ino: number): CommitResult {
  vol.requireWritable();
  const s = requireSession(vol, ino);
  writeback(vol, s.cow);
  let moved = 0;
  const cowInfo = vol.inode(s.cow);
  const slots: [number, number][] = [];
  vol.data.walk(cowInfo, 0, Math.ceil(s.stagedSize / BLKSIZE), (bidx, blkaddr) => slots.push([bidx, blkaddr]));
  for (const [bidx, blkaddr] of slots) {
    const cdn = getDnode(vol, vol.inode(s.cow), bidx, false)!;
    const odn = getDnode(vol, vol.inode(ino), bidx, true)!;
    const old = readSlot(vol.nm.readNode(odn.nid).raw, odn.off);
    if (blkaddr === NEW_ADDR) {
      // A staged drop: the file's block goes, and so does the marker.
      freeSlot(vol, ino, vol.nm.nodeForUpdate(odn.nid), odn.off);
      freeSlot(vol, s.cow, vol.nm.nodeForUpdate(cdn.nid), cdn.off);
      continue;
    }
    if (old === NULL_ADDR) chargeInode(vol, ino, 1);
    else {
      if (old !== NEW_ADDR) vol.sm.invalidate(old);
      vol.counts.blocks--;
    }
    writeSlot(vol.nm.nodeForUpdate(odn.nid), odn.off, blkaddr);
    vol.sm.setSummary(blkaddr, { nid: odn.nid, version: vol.nm.getNat(odn.nid).version, ofs_in_node: odn.ofsInNode });
    writeSlot(vol.nm.nodeForUpdate(cdn.nid), cdn.off, NULL_ADDR);
    chargeInode(vol, s.cow, -1);
    moved++;
  }
  const info = vol.inode(ino);
  if (s.stagedSize < info.inode.i_size) truncateBlocks(vol, info, Math.ceil(s.stagedSize / BLKSIZE));
  dropExtent(vol, ino);
  const t = now();
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_size = s.stagedSize;
    setTimes(i, { m: t, c: t });
  });
  freeInode(vol, s.cow);
  vol.orphanSet.delete(s.cow);
  const fsync = fsyncFile(vol, ino, { atomic: true });
  return { ino, blocks: moved, size: s.stagedSize, fsync };
}

/** F2FS_IOC_ABORT_ATOMIC_WRITE: the staged copy is dropped; the file is as it was. */
export function atomicAbort(vol: Volume, ino: number): AtomicSession {
  vol.requireWritable();
  const s = requireSession(vol, ino);
  freeInode(vol, s.cow);
  vol.orphanSet.delete(s.cow);
  return s;
}

/** The staged view in 1 MiB chunks (cat --staged). */
export function* stagedChunks(vol: Volume, ino: number): Generator<{ pos: number; data: Buffer; hole: boolean }> {
  const size = requireSession(vol, ino).stagedSize;
  const CHUNK = 256 * BLKSIZE;
  for (let pos = 0; pos < size; pos += CHUNK) yield { pos, data: readStaged(vol, ino, pos, CHUNK), hole: false };
}
