// rdump: recreates a tree of the image on the host, as `tar -x` / `cp -a` would: directories, regular files (sparse),
// symlinks, fifos, sockets and device nodes, with modes, times and (as root) owners. The image may be hostile: every
// host object is created fresh by this walk (mkdir without -p, O_CREAT|O_EXCL|O_NOFOLLOW opens, symlink), so nothing
// is written through a symlink or into a directory it did not make; names the host cannot hold as one entry of one
// directory ('.', '..', '/', NUL, a name twice) and directory cycles are refused, or skipped with keepGoing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { F2fsError, fail, fromHost, toF2fsError } from '../errors.js';
import { clampWarnings, writeContent } from './extract.js';
import type { Dentry } from '../fs/dir.js';
import { deviceNumber, isDir, isReg, isSymlink, type InodeInfo } from '../fs/inode.js';
import { FileType, fileTypeOfMode } from '../fs/layout/dentry.js';
import type { Volume } from '../fs/volume.js';
import { hostTime } from './time.js';

export interface RdumpStats {
  dirs: number;
  files: number;
  symlinks: number;
  /** Fifos, sockets and device nodes recreated. */
  special: number;
  bytes: number;
  /** Entries not recreated, and why (special files the host refused; damaged entries with keepGoing). */
  skipped: { path: string; why: string }[];
  /** Times clamped to what the host holds; owners not restored. */
  warnings: string[];
}

/** Where an rdump is: the entry being copied, how many entries came before it, and the file bytes written so far. */
export interface RdumpProgress {
  path: string;
  entries: number;
  bytes: number;
}

export interface RdumpOptions {
  /** The image path of `srcIno`, for messages. */
  srcPath?: string;
  progress?: (p: RdumpProgress) => void;
  /** Skip (and list) damaged entries instead of stopping at the first. */
  keepGoing?: boolean;
}

const asRoot = process.getuid?.() === 0;
const EXCL_NOFOLLOW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

const isCorrupt = (e: unknown) => e instanceof F2fsError && e.code === 'CORRUPT';
const reason = (e: unknown) => {
  const err = e as F2fsError;
  return err.context.length ? `${err.message} (${err.context.join(', ')})` : err.message;
};

/** Why a name cannot be one host entry of this directory, or null. */
function badName(name: string, seen: Set<string>): string | null {
  if (name.includes('/')) return "name contains '/'";
  if (name.includes('\0')) return 'name contains NUL';
  if (seen.has(name)) return `name '${name}' appears twice in the directory`;
  return null;
}

/** A fifo, socket or device node at `hostPath` through the host's tools (Node cannot mknod); null, or why not. */
function makeSpecial(info: InodeInfo, hostPath: string): string | null {
  const mode = (info.inode.i_mode & 0o7777).toString(8);
  const type = fileTypeOfMode(info.inode.i_mode);
  let r;
  if (type === FileType.FIFO) r = spawnSync('mkfifo', ['-m', mode, '--', hostPath], { encoding: 'utf8' });
  else if (type === FileType.SOCK) {
    // A bound and abandoned listening socket leaves its node behind, as `cp -a` makes one.
    r = spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.exit(0))", hostPath], { encoding: 'utf8' });
  } else {
    const { major, minor } = deviceNumber(info);
    r = spawnSync('mknod', ['-m', mode, '--', hostPath, type === FileType.CHRDEV ? 'c' : 'b', String(major), String(minor)], { encoding: 'utf8' });
  }
  if (r.error) return `${r.error.message}`;
  return r.status === 0 ? null : (r.stderr || `exit ${r.status}`).trim().split('\n')[0];
}

/**
 * Recreates the tree of `srcIno` at `dest` (a directory made if missing, the source's content inside it; a file or
 * other non-directory is created at `dest`, which must not exist). Hard links become separate copies. `progress` is
 * called as each entry starts and after each chunk of a file.
 */
export function rdump(vol: Volume, srcIno: number, dest: string, opts: RdumpOptions = {}): RdumpStats {
  const progress = opts.progress;
  const stats: RdumpStats = { dirs: 0, files: 0, symlinks: 0, special: 0, bytes: 0, skipped: [], warnings: [] };
  const dirsToStamp: [string, InodeInfo][] = [];
  /** Directory inodes already copied, with their image path: a second visit is a cycle or a linked directory. */
  const dirsSeen = new Map<number, string>();
  let entries = 0;

  const damaged = (rel: string, why: string) => {
    if (!opts.keepGoing) fail('CORRUPT', `${rel}: ${why} (--keep-going skips it)`, { rdump: rel });
    stats.skipped.push({ path: rel, why });
  };
  const stamp = (hostPath: string, info: InodeInfo, link: boolean) => {
    const i = info.inode;
    if (asRoot) (link ? fs.lchownSync : fs.chownSync)(hostPath, i.i_uid, i.i_gid);
    if (!link) fs.chmodSync(hostPath, i.i_mode & 0o7777);
    const a = hostTime(info.page.raw, 'i_atime', i.i_atime_nsec);
    const m = hostTime(info.page.raw, 'i_mtime', i.i_mtime_nsec);
    (link ? fs.lutimesSync : fs.utimesSync)(hostPath, a.value, m.value);
    stats.warnings.push(...clampWarnings(info, a, m));
  };

  const copyDir = (info: InodeInfo, hostPath: string, rel: string, top: boolean) => {
    const before = dirsSeen.get(info.ino);
    if (before !== undefined) return damaged(rel, `directory inode ${info.ino} is already at ${before} (a directory cycle or a second link to a directory)`);
    dirsSeen.set(info.ino, rel || '/');
    // Only the top directory may exist already (the user named it); below it, every directory is new and ours.
    fromHost(() => (top ? fs.mkdirSync(hostPath, { recursive: true, mode: 0o700 }) : fs.mkdirSync(hostPath, 0o700)));
    stats.dirs++;
    const names = new Set<string>();
    let dots = 0;
    let list: Dentry[] = [];
    try {
      list = [...vol.dirs.entries(info)];
    } catch (e) {
      if (!isCorrupt(e)) throw e;
      damaged(rel || '/', reason(e));
    }
    for (const d of list) {
      const name = d.name.toString();
      const childRel = `${rel}/${name}`;
      // One '.' and one '..' are the directory's own; they are never written.
      if ((name === '.' || name === '..') && !names.has(name)) {
        names.add(name);
        dots++;
        continue;
      }
      const why = name === '.' || name === '..' ? `a second '${name}' entry` : badName(name, names);
      names.add(name);
      if (why) {
        damaged(childRel, why);
        continue;
      }
      copy(d.ino, path.join(hostPath, name), childRel, false);
    }
    if (dots < 2) damaged(rel || '/', "no '.' or '..' entry");
    // Modes and times after the content (deepest first: pushed after the children).
    dirsToStamp.push([hostPath, info]);
  };

  const copy = (ino: number, hostPath: string, rel: string, top: boolean) => {
    progress?.({ path: rel || '/', entries: entries++, bytes: stats.bytes });
    let info: InodeInfo;
    try {
      info = vol.inode(ino);
    } catch (e) {
      if (!isCorrupt(e)) throw e;
      return damaged(rel, reason(e));
    }
    const mode = info.inode.i_mode;
    if (isDir(mode)) return copyDir(info, hostPath, rel, top);
    try {
      if (isReg(mode)) {
        const fd = fs.openSync(hostPath, EXCL_NOFOLLOW, 0o600);
        try {
          const before = stats.bytes;
          stats.bytes += writeContent(vol, info, fd, progress && ((b) => progress({ path: rel, entries, bytes: before + b })));
        } finally {
          fs.closeSync(fd);
        }
        stamp(hostPath, info, false);
        stats.files++;
      } else if (isSymlink(mode)) {
        fs.symlinkSync(vol.readlink(info).toString(), hostPath);
        stamp(hostPath, info, true);
        stats.symlinks++;
      } else if (fileTypeOfMode(mode) === FileType.UNKNOWN) {
        damaged(rel, `inode ${ino} has no file type (mode 0${mode.toString(8)})`);
      } else {
        const why = makeSpecial(info, hostPath);
        if (why) {
          stats.skipped.push({ path: rel, why });
          return;
        }
        stamp(hostPath, info, false);
        stats.special++;
      }
    } catch (e) {
      const err = toF2fsError(e);
      // Encrypted contents without the key: listed and skipped (its empty host file, ours, removed), as for specials.
      if (err.code === 'ENOKEY' && isReg(mode)) {
        fs.rmSync(hostPath, { force: true });
        stats.skipped.push({ path: rel, why: err.message });
        return;
      }
      if (err.code !== 'CORRUPT' || err.info.rdump) throw err;
      damaged(rel, reason(err));
    }
  };

  copy(srcIno, dest, (opts.srcPath ?? '').replace(/\/+$/, ''), true);
  for (const [p, info] of dirsToStamp) stamp(p, info, false);
  if (!asRoot && stats.dirs + stats.files + stats.symlinks + stats.special > 0) stats.warnings.push('owners not restored: only root can (as with tar -x)');
  return stats;
}
