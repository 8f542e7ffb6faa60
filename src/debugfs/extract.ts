// Copying files out of the image: content in bounded chunks that know holes (cat, digests), dump (one file to the
// host, sparse); rdump (a tree) is src/debugfs/rdump.ts.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fail, fromHost, toF2fsError } from '../errors.js';
import { BLKSIZE } from '../fs/layout/constants.js';
import { hostTime, rawSeconds } from './time.js';
import { hasInlineData, inodeSize, isDir, isReg, isSymlink, type InodeInfo } from '../fs/inode.js';
import { walkTree } from './reverse.js';
import { maxFileBlocks } from '../fs/node.js';
import type { Volume } from '../fs/volume.js';

const CHUNK = 256 * BLKSIZE; // 1 MiB per read: bounded memory for any file size
const ZERO_CHUNK = Buffer.alloc(CHUNK);
/** The chunk buffer of the synchronous consumers here (dump, rdump, digests): one for all, not 1 MiB per chunk. */
let scratch: Buffer | undefined;

export interface FileChunk {
  /** Byte offset in the file. */
  pos: number;
  /** The bytes (a hole chunk shares one zero buffer: do not modify). */
  data: Buffer;
  /** No block (not even a reservation) maps any part of this chunk: it reads as zeros. */
  hole: boolean;
}

/**
 * The content of [from, to) (clipped to i_size) in chunks of up to 1 MiB, in order. Chunks without any mapped block
 * are found by walking the block map alone (absent subtrees are skipped whole), so a 9 GiB sparse file costs its
 * few blocks, not 9 GiB of reads. `into`: a buffer of CHUNK bytes to read every chunk into (each valid only until
 * the next; holes never use it), for a caller done with a chunk before asking for the next.
 */
export function* fileChunks(vol: Volume, info: InodeInfo, from = 0, to = info.inode.i_size, into?: Buffer): Generator<FileChunk> {
  const end = Math.min(to, info.inode.i_size);
  vol.data.read(info, from, 0); // an encrypted file without its key is ENOKEY even when empty (fscrypt_file_open)
  if (from >= end) return;
  // i_size bounds the loop below: no larger than the largest file the inode can address.
  vol.check.range(Math.ceil(info.inode.i_size / BLKSIZE), 0, maxFileBlocks(info), `inode ${info.ino} (i_size ${inodeSize(info)}): block count`);
  if (hasInlineData(info)) {
    yield { pos: from, data: vol.data.read(info, from, end - from, into), hole: false };
    return;
  }
  const endBlk = Math.ceil(end / BLKSIZE);
  let data = -1; // the first block with an address at or after the chunk (Infinity: none left)
  for (let pos = from; pos < end; ) {
    // Chunks aligned to CHUNK after the first, so each covers whole blocks.
    const next = Math.min(end, (Math.floor(pos / CHUNK) + 1) * CHUNK);
    const first = Math.floor(pos / BLKSIZE);
    // One seek per stretch of holes, not a walk per chunk (a 9 GiB sparse file is 9,216 chunks).
    if (data < first) data = vol.data.seekData(info, first, endBlk) ?? Infinity;
    const mapped = data < Math.ceil(next / BLKSIZE);
    yield mapped ? { pos, data: vol.data.read(info, pos, next - pos, into), hole: false } : { pos, data: ZERO_CHUNK.subarray(0, next - pos), hole: true };
    pos = next;
  }
}

/** Streams a file's bytes to `write` in 1 MiB chunks; holes are written as zeros. */
export function streamFile(vol: Volume, info: InodeInfo, write: (chunk: Buffer, pos: number) => void): number {
  for (const c of fileChunks(vol, info)) write(c.data, c.pos);
  return info.inode.i_size;
}

/** Digest of a file's content (md5 by default), streamed. */
export function fileDigest(vol: Volume, info: InodeInfo, algorithm = 'md5', from = 0, to = info.inode.i_size): string {
  const h = createHash(algorithm);
  for (const c of fileChunks(vol, info, from, to, (scratch ??= Buffer.allocUnsafe(CHUNK)))) h.update(c.data);
  return h.digest('hex');
}

/** The chunk buffers of firstDifference, one per side. */
let pair: [Buffer, Buffer] | undefined;

/**
 * The first byte offset at which two files differ (past the end of the shorter one counts), or null when they hold the
 * same bytes. Compared chunk by chunk, stopping at the first difference; a stretch that is a hole in both is never read
 * (two copies of a 9 GiB sparse file compare in milliseconds, where digests of them read 9 GiB each).
 */
export function firstDifference(va: Volume, a: InodeInfo, vb: Volume, b: InodeInfo): number | null {
  const common = Math.min(a.inode.i_size, b.inode.i_size);
  const [bufA, bufB] = (pair ??= [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]);
  const ca = fileChunks(va, a, 0, common, bufA);
  const cb = fileChunks(vb, b, 0, common, bufB);
  // Both cover [0, common) in the same chunks: the same bounds, and chunks aligned to CHUNK.
  for (let x = ca.next(), y = cb.next(); !x.done && !y.done; x = ca.next(), y = cb.next()) {
    if (x.value.hole && y.value.hole) continue;
    const da = x.value.data;
    const db = y.value.data;
    if (da.equals(db)) continue;
    let i = 0;
    while (da[i] === db[i]) i++;
    return x.value.pos + i;
  }
  return a.inode.i_size === b.inode.i_size ? null : common;
}

/** Content of a file that must not be a directory (cat, dump). */
export function requireContent(info: InodeInfo, what: string): void {
  if (isDir(info.inode.i_mode)) fail('EISDIR', `${what} is a directory`);
}

/**
 * Writes a regular file (or a symlink's target bytes) to a host path, leaving holes sparse. `progress` gets the bytes
 * of the file done after each 1 MiB chunk (a large file moves a progress bar too).
 */
export function dumpToHost(vol: Volume, info: InodeInfo, hostPath: string, progress?: (bytes: number) => void): number {
  if (!isReg(info.inode.i_mode) && !isSymlink(info.inode.i_mode)) fail('EINVAL', `inode ${info.ino} is not a regular file`);
  // Never through a symlink at the host path: a dump writes the file it names, not what a link there points to.
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
  const fd = fromHost(() => fs.openSync(hostPath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, info.inode.i_mode & 0o777));
  try {
    return writeContent(vol, info, fd, progress);
  } catch (e) {
    throw toF2fsError(e);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a file's content to an open, empty host file, holes left sparse; returns the size. */
export function writeContent(vol: Volume, info: InodeInfo, fd: number, progress?: (bytes: number) => void): number {
  let end = 0;
  for (const c of fileChunks(vol, info, 0, info.inode.i_size, (scratch ??= Buffer.allocUnsafe(CHUNK)))) {
    if (!c.hole) {
      fs.writeSync(fd, c.data, 0, c.data.length, c.pos);
      end = c.pos + c.data.length;
    }
    progress?.(c.pos + c.data.length);
  }
  // Only a file that ends in a hole needs its size set (a system call per file: rdump of thousands of files).
  if (end !== info.inode.i_size) fs.ftruncateSync(fd, info.inode.i_size);
  return info.inode.i_size;
}

/**
 * Sets a host file's mode and atime/mtime from an inode (lutimes for a symlink, whose mode is not settable). A time
 * the host cannot take is set to the nearest one it can: the warnings say which.
 */
export function preserveMeta(hostPath: string, info: InodeInfo, link = false): string[] {
  const i = info.inode;
  const a = hostTime(info.page.raw, 'i_atime', i.i_atime_nsec);
  const m = hostTime(info.page.raw, 'i_mtime', i.i_mtime_nsec);
  if (link) fs.lutimesSync(hostPath, a.value, m.value);
  else {
    fs.chmodSync(hostPath, i.i_mode & 0o7777);
    fs.utimesSync(hostPath, a.value, m.value);
  }
  return clampWarnings(info, a, m);
}

/** What hostTime clamped, in words. */
export function clampWarnings(info: InodeInfo, ...times: { clamped: boolean; value: number | Date }[]): string[] {
  return times
    .map((t, k) => (t.clamped ? `inode ${info.ino}: ${k ? 'mtime' : 'atime'} ${rawSeconds(info.page.raw, k ? 'i_mtime' : 'i_atime')} is outside the representable range, set to ${new Date(typeof t.value === 'number' ? t.value * 1000 : t.value).toISOString()}` : ''))
    .filter(Boolean);
}

/** Where an rdump is: the entry being copied, how many entries came before it, and the file bytes written so far. */
export interface RdumpProgress {
  path: string;
  entries: number;
  bytes: number;
}

/** Entries rdump visits from `ino`: itself and everything below it (a progress total; names it skips count too). */
export function treeEntries(vol: Volume, ino: number): number {
  let n = 1;
  if (isDir(vol.inode(ino).inode.i_mode)) walkTree(vol, () => n++, ino);
  return n;
}
