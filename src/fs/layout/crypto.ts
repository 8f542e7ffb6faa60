// fscrypt on-disk codecs (fs/crypto/fscrypt_private.h, include/uapi/linux/fscrypt.h): the encryption context kept in
// the "c" xattr of index 9, the encrypted symlink target, and the no-key name structure that ls shows without a key.
import { struct, bytes, type Of } from '../../util/struct.js';
import { XattrIndex } from './xattr.js';

/** F2FS_XATTR_INDEX_ENCRYPTION and F2FS_XATTR_NAME_ENCRYPTION_CONTEXT. */
export const XATTR_INDEX_ENCRYPTION = XattrIndex.ENCRYPTION;
export const XATTR_NAME_ENCRYPTION_CONTEXT = 'c';

export const FSCRYPT_CONTEXT_V1 = 1;
export const FSCRYPT_CONTEXT_V2 = 2;
export const FSCRYPT_FILE_NONCE_SIZE = 16;
export const FSCRYPT_KEY_DESCRIPTOR_SIZE = 8;
export const FSCRYPT_KEY_IDENTIFIER_SIZE = 16;

export const FscryptContextV1 = struct('fscrypt_context_v1', [
  ['version', 'u8'],
  ['contents_encryption_mode', 'u8'],
  ['filenames_encryption_mode', 'u8'],
  ['flags', 'u8'],
  ['master_key_descriptor', bytes(FSCRYPT_KEY_DESCRIPTOR_SIZE)],
  ['nonce', bytes(FSCRYPT_FILE_NONCE_SIZE)],
]);
export type FscryptContextV1 = Of<typeof FscryptContextV1>;

export const FscryptContextV2 = struct('fscrypt_context_v2', [
  ['version', 'u8'],
  ['contents_encryption_mode', 'u8'],
  ['filenames_encryption_mode', 'u8'],
  ['flags', 'u8'],
  ['__reserved', bytes(4)],
  ['master_key_identifier', bytes(FSCRYPT_KEY_IDENTIFIER_SIZE)],
  ['nonce', bytes(FSCRYPT_FILE_NONCE_SIZE)],
]);
export type FscryptContextV2 = Of<typeof FscryptContextV2>;

/** FSCRYPT_MODE_*: the names fscrypt's userspace tools print. */
export const FSCRYPT_MODES: Record<number, string> = {
  1: 'AES-256-XTS',
  4: 'AES-256-CTS-CBC',
  5: 'AES-128-CBC-ESSIV',
  6: 'AES-128-CTS-CBC',
  9: 'Adiantum',
  10: 'AES-256-HCTR2',
};
export const FSCRYPT_MODE_AES_256_XTS = 1;
export const FSCRYPT_MODE_AES_256_CTS = 4;

/** FSCRYPT_POLICY_FLAGS_*. */
export const FscryptFlag = { PAD_MASK: 0x03, DIRECT_KEY: 0x04, IV_INO_LBLK_64: 0x08, IV_INO_LBLK_32: 0x10 } as const;

/** struct fscrypt_symlink_data: the ciphertext length, then the ciphertext. */
export const FscryptSymlinkHead = struct('fscrypt_symlink_data', [['len', 'u16']]);

/** init_dent_inode: the dentry hash (f2fs_hash_t) kept in i_name after an encrypted casefolded name, for roll-forward. */
export const INameHashTail = struct('f2fs_hash_t', [['hash', 'u32']]);

/** struct fscrypt_nokey_name: dirhash[2], up to 149 ciphertext bytes, then the sha256 of the rest. */
export const FscryptNokeyHead = struct('fscrypt_nokey_name', [
  ['dirhash0', 'u32'],
  ['dirhash1', 'u32'],
]);
export const NOKEY_NAME_BYTES = 149;
/** FSCRYPT_NOKEY_NAME_MAX: the head, 149 bytes and a sha256. */
export const NOKEY_NAME_MAX = FscryptNokeyHead.size + NOKEY_NAME_BYTES + 32;
/** FSCRYPT_FNAME_MIN_MSG_LEN: names are padded to at least one AES block. */
export const FSCRYPT_FNAME_MIN_MSG_LEN = 16;
