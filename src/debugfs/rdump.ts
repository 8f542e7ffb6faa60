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
 * The child process that makes special files (Node cannot mknod): {sh, todo} on its stdin; the fifos and device
 * nodes through `sh -c sh` (500 per shell, far below ARG_MAX), each socket as a bound and abandoned listener (which
 * leaves its node behind, as `cp -a` makes one). Prints, per entry, null or the host's reason.
 */
const SPECIALS_CHILD = [
  "const { execFileSync } = require('child_process');",
  "const { sh, todo } = JSON.parse(require('fs').readFileSync(0, 'utf8'));",
  "const first = (e) => String((e.stderr && e.stderr.toString()) || e.message).trim().split('\\n')[0];",
  'const out = todo.map(() => null);',
  "const nodes = todo.map((t, i) => [t, i]).filter(([t]) => t.kind !== 's');",
  'for (let k = 0; k < nodes.length; k += 500) {',
  '  const part = nodes.slice(k, k + 500);',
  '  let lines;',
  '  try {',
  "    lines = execFileSync('sh', ['-c', sh, 'sh', ...part.flatMap(([t]) => [t.kind, t.mode, t.path, String(t.major), String(t.minor)])], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\\n');",
  '  } catch (e) {',
  "    lines = part.map(() => 'no:' + first(e));",
  '  }',
  "  part.forEach(([, i], j) => { const l = lines[j] ?? 'no:no answer from sh'; out[i] = l === 'ok' ? null : l.slice(3) || 'failed'; });",
  '}',
  "Promise.all(todo.map((t, i) => t.kind !== 's' ? null : new Promise((done) => {",
  "  const s = require('net').createServer();",
  "  s.on('error', (e) => done(out[i] = first(e)));",
  '  s.listen(t.path, () => done(out[i] = null));',
  '}))).then(() => { process.stdout.write(JSON.stringify(out)); process.exit(0); });',
].join('\n');

/**
 * Makes every fifo, socket and device node of an rdump through one child process (a process per node made an rdump
 * of a root file system's /dev take seconds); null for each one made, or why not.
 */
function makeSpecials(list: Special[]): (string | null)[] {
  const todo = list.map(({ info, hostPath }) => {
    const type = fileTypeOfMode(info.inode.i_mode);
    const kind = type === FileType.FIFO ? 'p' : type === FileType.SOCK ? 's' : type === FileType.CHRDEV ? 'c' : 'b';
    const { major, minor } = kind === 'c' || kind === 'b' ? deviceNumber(info) : { major: 0, minor: 0 };
    return { path: hostPath, kind, mode: (info.inode.i_mode & 0o7777).toString(8), major, minor };
  });
  const r = spawnSync(process.execPath, ['-e', SPECIALS_CHILD], { input: JSON.stringify({ sh: MKNOD_SH, todo }), encoding: 'utf8', maxBuffer: 64 << 20 });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    out = undefined;
  }
  if (Array.isArray(out) && out.length === list.length) return out as (string | null)[];
  const why = r.error?.message ?? ((r.stderr || `exit ${r.status}`).trim().split('\n')[0] || 'no answer from the child process');
  return list.map(() => why);
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
    // Special files all at once, before the directories get their modes and times (and, when damage stopped the
    // walk, like the files copied before it).
    if (specials.length) {
      makeSpecials(specials).forEach((why, i) => {
        const { info, hostPath, rel } = specials[i];
        if (why) return void stats.skipped.push({ path: rel, why });
        stamp(hostPath, info, false);
        stats.special++;
      });
    }
  }
  for (const [p, info] of dirsToStamp) stamp(p, info, false);
  if (!asRoot && stats.dirs + stats.files + stats.symlinks + stats.special > 0) stats.warnings.push('owners not restored: only root can (as with tar -x)');
  return stats;
}
