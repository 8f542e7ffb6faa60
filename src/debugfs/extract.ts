// Copying files out of the image: content in bounded chunks that know holes (cat, digests), dump (one file to the
// host, sparse) and rdump (a tree: dirs, files, symlinks, modes, mtimes).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fail, fromHost, toF2fsError } from '../errors.js';
import { BLKSIZE } from '../fs/layout/constants.js';
import { FILE_TYPE_NAMES, fileTypeOfMode } from '../fs/layout/dentry.js';
import { hasInlineData, isDir, isReg, isSymlink, type InodeInfo } from '../fs/inode.js';
import { walkTree } from './reverse.js';
import type { Volume } from '../fs/volume.js';

const CHUNK = 256 * BLKSIZE; // 1 MiB per read: bounded memory for any file size
const ZERO_CHUNK = Buffer.alloc(CHUNK);

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
 * few blocks, not 9 GiB of reads.
 */
export function* fileChunks(vol: Volume, info: InodeInfo, from = 0, to = info.inode.i_size): Generator<FileChunk> {
  const end = Math.min(to, info.inode.i_size);
  if (from >= end) return;
  if (hasInlineData(info)) {
    yield { pos: from, data: vol.data.read(info, from, end - from), hole: false };
    return;
  }
  for (let pos = from; pos < end; ) {
    // Chunks aligned to CHUNK after the first, so each covers whole blocks.
    const next = Math.min(end, (Math.floor(pos / CHUNK) + 1) * CHUNK);
    let mapped = false;
    vol.data.walk(info, Math.floor(pos / BLKSIZE), Math.ceil(next / BLKSIZE), () => (mapped = true));
    yield mapped ? { pos, data: vol.data.read(info, pos, next - pos), hole: false } : { pos, data: ZERO_CHUNK.subarray(0, next - pos), hole: true };
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
  for (const c of fileChunks(vol, info, from, to)) h.update(c.data);
  return h.digest('hex');
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
  const fd = fromHost(() => fs.openSync(hostPath, 'w', info.inode.i_mode & 0o777));
  try {
    for (const c of fileChunks(vol, info)) {
      if (!c.hole) fs.writeSync(fd, c.data, 0, c.data.length, c.pos);
      progress?.(c.pos + c.data.length);
    }
    fs.ftruncateSync(fd, info.inode.i_size);
    return info.inode.i_size;
  } catch (e) {
    throw toF2fsError(e);
  } finally {
    fs.closeSync(fd);
  }
}

export interface RdumpStats {
  dirs: number;
  files: number;
  symlinks: number;
  skipped: { path: string; why: string }[];
  bytes: number;
}

/** Sets a host file's mode and atime/mtime from an inode (lutimes for a symlink, whose mode is not settable). */
export function preserveMeta(hostPath: string, info: InodeInfo, link = false): void {
  const i = info.inode;
  const mtime = i.i_mtime + i.i_mtime_nsec / 1e9;
  const atime = i.i_atime + i.i_atime_nsec / 1e9;
  if (link) {
    fs.lutimesSync(hostPath, atime, mtime);
    return;
  }
  fs.chmodSync(hostPath, i.i_mode & 0o7777);
  fs.utimesSync(hostPath, atime, mtime);
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

/**
 * rdump: recreates the tree of `srcIno` at `dest` (a directory made if missing; the source's content goes inside
 * it). Device nodes, fifos and sockets are listed as skipped (by image path: `srcPath` + the path below it). Hard
 * links become separate copies. `progress` is called as each entry starts and after each chunk of a file.
 */
export function rdump(vol: Volume, srcIno: number, dest: string, opts: { srcPath?: string; progress?: (p: RdumpProgress) => void } = {}): RdumpStats {
  const progress = opts.progress;
  const stats: RdumpStats = { dirs: 0, files: 0, symlinks: 0, skipped: [], bytes: 0 };
  const dirsToStamp: [string, InodeInfo][] = [];
  let entries = 0;
  const copy = (info: InodeInfo, hostPath: string, rel: string) => {
    const at = { path: rel || '/', entries: entries++ };
    progress?.({ ...at, bytes: stats.bytes });
    const mode = info.inode.i_mode;
    try {
      if (isDir(mode)) {
        fs.mkdirSync(hostPath, { recursive: true });
        stats.dirs++;
        for (const d of vol.dirs.entries(info)) {
          const name = d.name.toString();
          if (name === '.' || name === '..') continue;
          if (name.includes('/') || name.includes('\0')) {
            stats.skipped.push({ path: `${rel}/${name}`, why: 'name is not valid on the host' });
            continue;
          }
          copy(vol.inode(d.ino), path.join(hostPath, name), `${rel}/${name}`);
        }
        // Directory modes and times are set after their content is written (deepest first: pushed after children).
        dirsToStamp.push([hostPath, info]);
      } else if (isReg(mode)) {
        const before = stats.bytes;
        stats.bytes += dumpToHost(vol, info, hostPath, progress && ((b) => progress({ ...at, bytes: before + b })));
        preserveMeta(hostPath, info);
        stats.files++;
      } else if (isSymlink(mode)) {
        fs.symlinkSync(vol.readlink(info).toString(), hostPath);
        preserveMeta(hostPath, info, true);
        stats.symlinks++;
      } else {
        stats.skipped.push({ path: rel, why: `${FILE_TYPE_NAMES[fileTypeOfMode(mode)]} not recreated` });
      }
    } catch (e) {
      throw toF2fsError(e);
    }
  };
  copy(vol.inode(srcIno), dest, (opts.srcPath ?? '').replace(/\/+$/, ''));
  for (const [p, info] of dirsToStamp) preserveMeta(p, info);
  return stats;
}
