// FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (f2fs_fileattr_get/set, f2fs_setflags_common): the inode flags by name.
import { fail } from '../errors.js';
import { sessionOf } from './atomic.js';
import { disableCompressedFile, setCompressContext } from './compress.js';
import { convertInlineData } from './inline.js';
import { editInode, hasInlineData, isDir, isReg, now, setTimes, type Timespec } from './inode.js';
import { FS_FLAG_NAMES, FsFlag } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { isEmptyDir } from './namei.js';
import type { Volume } from './volume.js';

/** Names of the flags set in `flags` (unknown bits as hex). */
export function flagNames(flags: number): string[] {
  const names = FS_FLAG_NAMES.filter((f) => flags & f.bit).map((f) => f.name);
  const unknown = flags & ~FS_FLAG_NAMES.reduce((m, f) => m | f.bit, 0);
  return unknown ? [...names, `0x${(unknown >>> 0).toString(16)}`] : names;
}

/** Parses "+compression,-immutable" into bits to set and clear; a bare name is set, or cleared with `clearBare` (f2fs_io clearflags). */
export function parseFlagChanges(spec: string, clearBare = false): { set: number; clear: number } {
  let set = 0;
  let clear = 0;
  for (const item of spec.split(',').filter(Boolean)) {
    const sign = item[0] === '-' || (clearBare && item[0] !== '+') ? '-' : '+';
    const name = item.replace(/^[+-]/, '');
    const f = FS_FLAG_NAMES.find((x) => x.name === name);
    if (!f) fail('USAGE', `unknown flag "${name}" (known: ${FS_FLAG_NAMES.map((x) => x.name).join(', ')})`);
    if (!f!.settable) fail('EINVAL', `flag "${name}" cannot be changed`);
    if (sign === '+') set |= f!.bit;
    else clear |= f!.bit;
  }
  if (set & clear) fail('USAGE', `a flag is both set and cleared in "${spec}"`);
  return { set, clear };
}

/** f2fs_setflags_common: applies the changes with Linux's rules; returns the new i_flags. */
export function setFlags(vol: Volume, ino: number, change: { set: number; clear: number }, t: Timespec = now()): number {
  vol.requireWritable();
  let info = vol.inode(ino);
  const old = info.inode.i_flags;
  const flags = ((old | change.set) & ~change.clear) >>> 0;
  if (flags & FsFlag.CASEFOLD && !isDir(info.inode.i_mode)) fail('UNSUPPORTED', `inode ${ino}: casefold applies to directories only (EOPNOTSUPP)`);
  // fscrypt_prepare_setflags: +F on an encrypted directory derives its dirhash key: the master key (ENOKEY), v2 (EINVAL).
  if (flags & ~old & FsFlag.CASEFOLD && vol.crypto.isEncrypted(info) && !vol.crypto.dirhashKey(info))
    fail('ENOKEY', `directory ${ino} is encrypted: casefolding it needs its master key (--key) for the name hash key`);
  if ((flags ^ old) & FsFlag.CASEFOLD) {
    if (!(vol.sb.feature & Feature.CASEFOLD)) fail('UNSUPPORTED', 'the image has no casefold feature (EOPNOTSUPP): format it with --encoding utf8');
    if (!isEmptyDir(vol, info)) fail('ENOTEMPTY', `directory ${ino} is not empty: casefolding changes only on an empty directory`);
  }
  if (flags & (FsFlag.COMPR | FsFlag.NOCOMP)) {
    if (!(vol.sb.feature & Feature.COMPRESSION)) fail('UNSUPPORTED', 'the image has no compression feature (EOPNOTSUPP)');
    if (flags & FsFlag.COMPR && flags & FsFlag.NOCOMP) fail('EINVAL', 'compression and nocompression exclude each other');
  }
  if ((flags ^ old) & FsFlag.COMPR) {
    const reg = isReg(info.inode.i_mode);
    if (old & FsFlag.COMPR) disableCompressedFile(vol, info);
    else {
      if (hasInlineData(info)) {
        convertInlineData(vol, info); // f2fs_convert_inline_inode first, as Linux
        info = vol.inode(ino);
      }
      if (!(reg || isDir(info.inode.i_mode)) || sessionOf(vol, ino) || (reg && info.inode.i_blocks > 1))
        fail('EINVAL', `inode ${ino} cannot be compressed (f2fs_may_compress: a regular file without data blocks or a directory)`);
      setCompressContext(vol.nm.nodeForUpdate(ino), vol.compressOptions);
    }
  }
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_flags = flags;
    setTimes(i, { c: t });
  });
  return flags;
}
