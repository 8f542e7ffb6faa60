// FS_IOC_SET_ENCRYPTION_POLICY (fscrypt_ioctl_set_policy): an empty directory becomes the top of an encrypted tree,
// its context the "c" xattr (f2fs_set_context), the inode marked FADVISE_ENCRYPT as f2fs_setxattr does for it.
import { fail } from '../errors.js';
import { decodeContext } from './crypto.js';
import { editInode, isDir, now, setTimes } from './inode.js';
import { XATTR_NAME_ENCRYPTION_CONTEXT } from './layout/crypto.js';
import { Advise } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { isEmptyDir } from './namei.js';
import type { Volume } from './volume.js';
import { setXattr } from './xattr.js';

export interface PolicyResult {
  ino: number;
  /** The key identifier the policy names. */
  masterKeyIdentifier: string;
  padding: number;
}

export function setEncryptionPolicy(vol: Volume, ino: number, opts: { padding?: number } = {}): PolicyResult {
  vol.requireWritable();
  if (!(vol.sb.feature & Feature.ENCRYPT)) fail('UNSUPPORTED', 'the image has no encrypt feature (mkfs.f2fs -O encrypt)');
  const info = vol.inode(ino);
  const context = vol.crypto.policyContext(opts.padding ?? 32);
  const ctx = decodeContext(context);
  if (vol.crypto.isEncrypted(info)) {
    const have = vol.crypto.context(info);
    // The same policy again is a no-op; another one is EEXIST.
    if (have && have.version === 2 && have.masterKey === ctx.masterKey && have.flags === ctx.flags && have.contentsMode === ctx.contentsMode && have.filenamesMode === ctx.filenamesMode) {
      return { ino, masterKeyIdentifier: ctx.masterKey, padding: 4 << ctx.flags };
    }
    fail('EEXIST', `inode ${ino} already has another encryption policy`);
  }
  if (!isDir(info.inode.i_mode)) fail('ENOTDIR', `inode ${ino} is not a directory`);
  if (!isEmptyDir(vol, info)) fail('ENOTEMPTY', `directory ${ino} is not empty`);
  // f2fs_set_context: fsck expects lost+found's parent, the root, unencrypted.
  if (ino === vol.sb.root_ino && vol.sb.feature & Feature.LOST_FOUND) fail('EPERM', 'the root directory of a lost_found image cannot be encrypted');
  setXattr(vol, ino, `encryption.${XATTR_NAME_ENCRYPTION_CONTEXT}`, context, 'create');
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_advise |= Advise.ENCRYPT;
    setTimes(i, { c: now() });
  });
  return { ino, masterKeyIdentifier: ctx.masterKey, padding: 4 << ctx.flags };
}
