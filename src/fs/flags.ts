// i_flags as FS_IOC_SETFLAGS changes them (f2fs_fileattr_set, f2fs_setflags_common): the flags f2fs_io setflags
// names, and the rules each one's change must pass.
import { fail } from '../errors.js';
import { editInode, isDir, now, setTimes, type Timespec } from './inode.js';
import { FsFlag } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { isEmptyDir } from './namei.js';
import type { Volume } from './volume.js';

/** The flags set-flags takes, by f2fs_io's names (one table: each flag's rules are in `checkChange`). */
export const SETTABLE_FLAGS = {
  casefold: FsFlag.CASEFOLD,
} as const;
export type SettableFlag = keyof typeof SETTABLE_FLAGS;

/** The refusals of f2fs_fileattr_set (f2fs_mask_flags) and f2fs_setflags_common for a change from `old` to `flags`. */
function checkChange(vol: Volume, ino: number, old: number, flags: number): void {
  const mode = vol.inode(ino).inode.i_mode;
  if (flags & FsFlag.CASEFOLD && !isDir(mode)) fail('UNSUPPORTED', `inode ${ino}: casefold applies to directories only (EOPNOTSUPP)`);
  if ((flags ^ old) & FsFlag.CASEFOLD) {
    if (!(vol.sb.feature & Feature.CASEFOLD)) fail('UNSUPPORTED', 'the image has no casefold feature (EOPNOTSUPP): format it with --features casefold');
    if (!isEmptyDir(vol, vol.inode(ino))) fail('ENOTEMPTY', `directory ${ino} is not empty: casefolding changes only on an empty directory`);
  }
}

/** Sets and clears i_flags bits of `ino`; returns the new flags. */
export function setFlags(vol: Volume, ino: number, set: number, clear: number, t: Timespec = now()): number {
  vol.requireWritable();
  const old = vol.inode(ino).inode.i_flags;
  const flags = ((old & ~clear) | set) >>> 0;
  checkChange(vol, ino, old, flags);
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_flags = flags;
    setTimes(i, { c: t });
  });
  return flags;
}
