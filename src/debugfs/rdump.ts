// rdump: recreates a tree of the image on the host, as `tar -x` / `cp -a` would: directories, regular files (sparse),
// symlinks, fifos, sockets and device nodes, with modes, times and (as root) owners. The image may be hostile: every
// host object is created fresh by this walk (mkdir without -p, O_CREAT|O_EXCL|O_NOFOLLOW opens, symlink), so nothing
// is written through a symlink or into a directory it did not make; names the host cannot hold as one entry of one
// directory ('.', '..', '/', NUL, a name twice) and directory cycles are refused, or skipped with keepGoing.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
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

/**
 * Special files made per batch, during the walk: one shell's arguments stay far below ARG_MAX, and the ones waiting
 * (each with its inode's block) never grow with the image.
 */
const SPECIALS_BATCH = 500;

/** A fifo, socket or device node to make at `hostPath`. */
interface Special {
  info: InodeInfo;
  hostPath: string;
  rel: string;
}

/**
 * mkfifo or mknod for each group of 5 arguments (kind p/c/b, octal mode, path, major, minor), one shell for many
 * nodes: a line per node, `ok` or `no:` and the first line of the tool's message (coreutils quotes names on one line).
 */
const MKNOD_SH = [
  // Messages through a file, not $(...): a fork per node less (a fork costs milliseconds).
  't=$(mktemp) || exit 1',
  'while [ "$#" -ge 5 ]; do',
  '  if [ "$1" = p ]; then mkfifo -m "$2" -- "$3" 2>"$t"; else mknod -m "$2" -- "$3" "$1" "$4" "$5" 2>"$t"; fi',
  '  if [ $? -eq 0 ]; then echo ok; else e=; IFS= read -r e < "$t"; printf \'no:%s\\n\' "$e"; fi',
  '  shift 5',
  'done',
  'rm -f "$t"',
].join('\n');

/**
 * The child process that binds each socket path of the JSON array on its stdin and abandons the listener (its node
 * stays behind, as `cp -a` makes one); prints, per path, null or the host's reason.
 */
const SOCKETS_CHILD = [
  "const paths = JSON.parse(require('fs').readFileSync(0, 'utf8'));",
  'Promise.all(paths.map((p) => new Promise((done) => {',
  "  const s = require('net').createServer();",
  "  s.on('error', (e) => done(e.message));",
  '  s.listen(p, () => done(null));',
  '}))).then((out) => { process.stdout.write(JSON.stringify(out)); process.exit(0); });',
].join('\n');

/** The first line of what a failed child said, or how it failed. */
function childFailure(r: SpawnSyncReturns<string>): string {
  return r.error?.message ?? ((r.stderr || `exit ${r.status}`).trim().split('\n')[0] || `exit ${r.status}`);
}

/**
 * Makes the fifos, sockets and device nodes of an rdump with as few processes as the host allows (Node cannot
 * mknod; a process per node made an rdump of a root file system's /dev take seconds): one shell for the fifos and
 * device nodes, one node process for the sockets, per SPECIALS_BATCH. Null for each one made, or why not.
 */
function makeSpecials(list: Special[]): (string | null)[] {
  const out: (string | null)[] = list.map(() => null);
  const nodes: [number, string[]][] = [];
  const sockets: number[] = [];
  list.forEach(({ info, hostPath }, i) => {
    const type = fileTypeOfMode(info.inode.i_mode);
    const mode = (info.inode.i_mode & 0o7777).toString(8);
    if (type === FileType.SOCK) sockets.push(i);
    else if (type === FileType.FIFO) nodes.push([i, ['p', mode, hostPath, '0', '0']]);
    else {
      const { major, minor } = deviceNumber(info);
      nodes.push([i, [type === FileType.CHRDEV ? 'c' : 'b', mode, hostPath, String(major), String(minor)]]);
    }
  });
  for (let k = 0; k < nodes.length; k += SPECIALS_BATCH) {
    const part = nodes.slice(k, k + SPECIALS_BATCH);
    const r = spawnSync('sh', ['-c', MKNOD_SH, 'sh', ...part.flatMap(([, args]) => args)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    // Whole lines only: a shell killed part-way answered for the nodes before it.
    const lines = r.stdout ? r.stdout.split('\n').slice(0, -1) : [];
    part.forEach(([i], j) => {
      const line = lines[j];
      out[i] = line === undefined ? childFailure(r) : line === 'ok' ? null : line.slice(3) || 'failed';
    });
  }
  if (sockets.length) {
    const r = spawnSync(process.execPath, ['-e', SOCKETS_CHILD], { input: JSON.stringify(sockets.map((i) => list[i].hostPath)), encoding: 'utf8', maxBuffer: 64 << 20 });
    let answers: unknown;
    try {
      answers = JSON.parse(r.stdout);
    } catch {
      answers = undefined;
    }
    sockets.forEach((i, j) => (out[i] = Array.isArray(answers) && answers.length === sockets.length ? (answers[j] as string | null) : childFailure(r)));
  }
  return out;
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
  const specials: Special[] = [];
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

  /** Makes the special files met so far (stamped as the walk's other entries are). */
  const makePending = () => {
    if (!specials.length) return;
    makeSpecials(specials).forEach((why, i) => {
      const { info, hostPath, rel } = specials[i];
      if (why) return void stats.skipped.push({ path: rel, why });
      stamp(hostPath, info, false);
      stats.special++;
    });
    specials.length = 0;
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
        specials.push({ info, hostPath, rel });
        if (specials.length >= SPECIALS_BATCH) makePending();
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

  try {
    copy(srcIno, dest, (opts.srcPath ?? '').replace(/\/+$/, ''), true);
  } finally {
    // The last batch of special files, before the directories get their modes and times (and, when damage stopped
    // the walk, like the files copied before it).
    makePending();
  }
  for (const [p, info] of dirsToStamp) stamp(p, info, false);
  if (!asRoot && stats.dirs + stats.files + stats.symlinks + stats.special > 0) stats.warnings.push('owners not restored: only root can (as with tar -x)');
  return stats;
}
