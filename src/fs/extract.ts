// Copying files out of the image to the host: dump (one file, streamed) and rdump (a tree: dirs, files, symlinks, modes, mtimes).
import fs from 'node:fs';
import path from 'node:path';
import { fail, toF2fsError } from '../errors.js';
import { BLKSIZE } from './layout/constants.js';
import { FILE_TYPE_NAMES, fileTypeOfMode } from './layout/dentry.js';
import { isDir, isReg, isSymlink, type InodeInfo } from './inode.js';
import type { Volume } from './volume.js';

const CHUNK = 256 * BLKSIZE; // 1 MiB per read: bounded memory for any file size

/** Streams a file's bytes to `write` in 1 MiB chunks; holes are written as zeros. */
export function streamFile(vol: Volume, info: InodeInfo, write: (chunk: Buffer, pos: number) => void): number {
  const size = info.inode.i_size;
  for (let pos = 0; pos < size; pos += CHUNK) write(vol.data.read(info, pos, CHUNK), pos);
  return size;
}

/** Writes a regular file to a host path, leaving holes sparse where whole chunks are zero. */
export function dumpToHost(vol: Volume, info: InodeInfo, hostPath: string): number {
  if (!isReg(info.inode.i_mode) && !isSymlink(info.inode.i_mode)) fail('EINVAL', `inode ${info.ino} is not a regular file`);
  let fd: number;
  try {
    fd = fs.openSync(hostPath, 'w', info.inode.i_mode & 0o7777);
  } catch (e) {
    throw toF2fsError(e);
  }
  try {
    const size = streamFile(vol, info, (chunk, pos) => {
      if (chunk.some((b) => b !== 0)) fs.writeSync(fd, chunk, 0, chunk.length, pos);
    });
    fs.ftruncateSync(fd, size);
    return size;
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

function setMeta(hostPath: string, info: InodeInfo, link = false): void {
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

/** rdump: recreates the tree under `hostDir/<name of the source>`; device nodes and fifos are listed as skipped. */
export function rdump(vol: Volume, srcIno: number, srcName: string, hostDir: string, progress?: (path: string) => void): RdumpStats {
  const stats: RdumpStats = { dirs: 0, files: 0, symlinks: 0, skipped: [], bytes: 0 };
  const dirsToStamp: [string, InodeInfo][] = [];
  const copy = (info: InodeInfo, hostPath: string, rel: string) => {
    progress?.(rel);
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
        // Directory times are set after their content is written, deepest first.
        dirsToStamp.push([hostPath, info]);
      } else if (isReg(mode)) {
        stats.bytes += dumpToHost(vol, info, hostPath);
        setMeta(hostPath, info);
        stats.files++;
      } else if (isSymlink(mode)) {
        fs.symlinkSync(vol.readlink(info).toString(), hostPath);
        setMeta(hostPath, info, true);
        stats.symlinks++;
      } else {
        stats.skipped.push({ path: rel, why: `${FILE_TYPE_NAMES[fileTypeOfMode(mode)]} not recreated` });
      }
    } catch (e) {
      throw toF2fsError(e);
    }
  };
  copy(vol.inode(srcIno), path.join(hostDir, srcName), srcName);
  for (const [p, info] of dirsToStamp) setMeta(p, info);
  return stats;
}

