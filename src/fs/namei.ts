// Name resolution: debugfs-style filespecs ("/a/b", "a/b" from a cwd, or "<ino>") to inode numbers, following symlinks where asked.
import { fail } from '../errors.js';
import { MAX_NAME_LEN, ROOT_INO } from './layout/constants.js';
import { isDir, isSymlink, type InodeInfo } from './inode.js';
import type { Dentry } from './dir.js';

const MAX_SYMLINK_FOLLOW = 40; // the kernel's MAXSYMLINKS

export interface NameOps {
  inode(ino: number): InodeInfo;
  lookup(dir: InodeInfo, name: Buffer): Dentry | null;
  readlink(info: InodeInfo): Buffer;
  parentOf(dir: InodeInfo): number;
}

export interface Resolved {
  ino: number;
  /** Parent directory and last name, when the spec was a path (for commands that act on the entry). */
  parent?: number;
  name?: Buffer;
}

/** "<12>" → 12. */
export function parseInoSpec(spec: string): number | null {
  const m = /^<(\d+)>$/.exec(spec.trim());
  return m ? Number(m[1]) : null;
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0);
}

export function resolve(ops: NameOps, spec: string, opts: { cwd?: number; follow?: boolean } = {}): Resolved {
  const ino = parseInoSpec(spec);
  if (ino !== null) {
    ops.inode(ino); // existence and validity
    return { ino };
  }
  let budget = MAX_SYMLINK_FOLLOW;
  const walk = (start: number, path: string, followLast: boolean): Resolved => {
    let cur = path.startsWith('/') ? ROOT_INO : start;
    const parts = splitPath(path);
    let parent: number | undefined;
    let last: Buffer | undefined;
    for (let i = 0; i < parts.length; i++) {
      const name = Buffer.from(parts[i]);
      if (name.length > MAX_NAME_LEN) fail('ENAMETOOLONG', `name "${parts[i].slice(0, 32)}…" is longer than ${MAX_NAME_LEN} bytes`);
      const dir = ops.inode(cur);
      if (!isDir(dir.inode.i_mode)) fail('ENOTDIR', `${parts.slice(0, i).join('/') || '/'} is not a directory`);
      const d = parts[i] === '.' ? { ino: cur } : parts[i] === '..' ? { ino: ops.parentOf(dir) } : ops.lookup(dir, name);
      if (!d) fail('ENOENT', `${path}: no such file or directory`, { path });
      parent = cur;
      last = name;
      const isLast = i === parts.length - 1;
      const child = ops.inode(d!.ino);
      if (isSymlink(child.inode.i_mode) && (!isLast || followLast)) {
        if (--budget < 0) fail('ELOOP', `${path}: too many levels of symbolic links`);
        const target = ops.readlink(child).toString();
        const r = walk(cur, target, true);
        cur = r.ino;
        parent = r.parent;
        last = r.name;
        continue;
      }
      cur = d!.ino;
    }
    return { ino: cur, parent, name: last };
  };
  return walk(opts.cwd ?? ROOT_INO, spec, opts.follow ?? false);
}
