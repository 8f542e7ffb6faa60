// FS_IMMUTABLE_FL and FS_APPEND_FL as the VFS and f2fs enforce them (EPERM): no write, truncate or attribute change
// of an immutable inode (f2fs_write_checks, f2fs_setattr, inode_permission), no name of one or of an append-only
// inode removed or linked (may_delete, may_linkat), no name added to or removed from an immutable directory nor
// removed from an append-only one, no xattr set on either (xattr_permission); an append-only file is written only
// at its end (may_open refuses it without O_APPEND, and O_TRUNC).
import { fail } from '../errors.js';
import type { InodeInfo } from './inode.js';
import { FsFlag } from './layout/node.js';

/** EPERM when the inode is immutable, or append-only unless `appendOk` (the operation only adds at its end). */
export function requireMutable(info: InodeInfo, what: string, appendOk = false): void {
  const f = info.inode.i_flags;
  if (f & FsFlag.IMMUTABLE) fail('EPERM', `${what}: inode ${info.ino} is immutable`);
  if (f & FsFlag.APPEND && !appendOk) fail('EPERM', `${what}: inode ${info.ino} is append-only`);
}
