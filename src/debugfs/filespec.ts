// FILESPEC handling for commands: a user's path or <ino> to an inode, and user-typed numbers checked as EINVAL (the image is not at fault).
import { fail } from '../errors.js';
import { isSymlink, type InodeInfo } from '../fs/inode.js';
import { NULL_ADDR } from '../fs/layout/constants.js';
import { FILE_TYPE_NAMES, fileTypeOfMode } from '../fs/layout/dentry.js';
import { parseInoSpec } from '../fs/namei.js';
import type { Volume } from '../fs/volume.js';

export const fileTypeName = (mode: number) => FILE_TYPE_NAMES[fileTypeOfMode(mode)];

/** A user-given number that must name something in [min, max): EINVAL (not CORRUPT: the image is fine). */
export function userRange(n: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < min || n >= max) fail('EINVAL', `${what} ${n} is out of range [${min}, ${max})`);
  return n;
}

/**
 * A user's FILESPEC (a path, or `<ino>`) to its inode. An `<ino>` out of range is EINVAL and a free one ENOENT (the
 * image is not at fault); a path resolves through the directories, following symlinks on the way and, with
 * `follow`, at the end.
 */
export function resolveFile(vol: Volume, spec: string, opts: { follow?: boolean } = {}): { ino: number; info: InodeInfo; name?: string } {
  const n = parseInoSpec(spec);
  if (n !== null) {
    userRange(n, vol.sb.root_ino, vol.geo.maxNid, 'inode number');
    if (vol.nm.getNat(n).block_addr === NULL_ADDR) fail('ENOENT', `inode ${n} is not allocated (NAT block_addr 0)`, { ino: n });
    const info = vol.inode(n);
    if (!opts.follow || !isSymlink(info.inode.i_mode)) return { ino: n, info };
    // A symlink named by number: its target is relative to its parent, which i_pino records.
    const r = vol.resolve(vol.readlink(info).toString(), { cwd: info.inode.i_pino, follow: true });
    return { ino: r.ino, info: vol.inode(r.ino), name: r.name?.toString() };
  }
  const r = vol.resolve(spec, { follow: opts.follow ?? false });
  return { ino: r.ino, info: vol.inode(r.ino), name: r.name?.toString() };
}
