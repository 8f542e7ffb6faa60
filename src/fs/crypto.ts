// fscrypt as Linux 6.1 stores it (fs/crypto/): the encryption context, master keys given by the user (v2 identifiers by
// HKDF-SHA512, v1 descriptors), per-file keys, contents (AES-256-XTS per block), names and symlink targets
// (AES-256-CTS-CBC), and the no-key names the kernel shows without the key (fscrypt_fname_disk_to_usr).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { fail } from '../errors.js';
import { Advise } from './layout/node.js';
import {
  FSCRYPT_CONTEXT_V1,
  FSCRYPT_CONTEXT_V2,
  FSCRYPT_FILE_NONCE_SIZE,
  FSCRYPT_FNAME_MIN_MSG_LEN,
  FSCRYPT_MODES,
  FSCRYPT_MODE_AES_256_CTS,
  FSCRYPT_MODE_AES_256_XTS,
  FscryptContextV1,
  FscryptContextV2,
  FscryptFlag,
  FscryptNokeyHead,
  FscryptSymlinkHead,
  NOKEY_NAME_BYTES,
  NOKEY_NAME_MAX,
  XATTR_INDEX_ENCRYPTION,
  XATTR_NAME_ENCRYPTION_CONTEXT,
} from './layout/crypto.js';
import { BLKSIZE, MAX_NAME_LEN } from './layout/constants.js';
import { isDir, isReg, isSymlink, type InodeInfo } from './inode.js';
import type { Xattr } from './xattr.js';

/** A decoded fscrypt_context (v1 names its key by descriptor, v2 by identifier). */
export interface EncryptionContext {
  version: 1 | 2;
  contentsMode: number;
  filenamesMode: number;
  flags: number;
  /** Hex: the v1 master_key_descriptor or the v2 master_key_identifier. */
  masterKey: string;
  nonce: Buffer;
}

/** HKDF_CONTEXT_* (fs/crypto/fscrypt_private.h). */
const HKDF_CONTEXT_KEY_IDENTIFIER = 1;
const HKDF_CONTEXT_PER_FILE_ENC_KEY = 2;
const HKDF_CONTEXT_IV_INO_LBLK_64_KEY = 4;
const HKDF_CONTEXT_DIRHASH_KEY = 5;
/** sizeof(siphash_key_t). */
const DIRHASH_KEY_SIZE = 16;
/** Key sizes of the modes this tool can decrypt. */
const KEY_SIZE: Record<number, number> = { [FSCRYPT_MODE_AES_256_XTS]: 64, [FSCRYPT_MODE_AES_256_CTS]: 32 };
const AES_BLOCK = 16;

export function decodeContext(value: Buffer): EncryptionContext {
  if (value.length === FscryptContextV1.size && value[0] === FSCRYPT_CONTEXT_V1) {
    const c = FscryptContextV1.decode(value);
    return { version: 1, contentsMode: c.contents_encryption_mode, filenamesMode: c.filenames_encryption_mode, flags: c.flags, masterKey: c.master_key_descriptor.toString('hex'), nonce: c.nonce };
  }
  if (value.length === FscryptContextV2.size && value[0] === FSCRYPT_CONTEXT_V2) {
    const c = FscryptContextV2.decode(value);
    return { version: 2, contentsMode: c.contents_encryption_mode, filenamesMode: c.filenames_encryption_mode, flags: c.flags, masterKey: c.master_key_identifier.toString('hex'), nonce: c.nonce };
  }
  return fail('CORRUPT', `encryption context of ${value.length} bytes, version ${value[0] ?? 'none'}: not an fscrypt v1 or v2 context`);
}

/** The context bytes (fscrypt_context_v1/v2) for `c`: what a new inode's "c" xattr holds. */
function encodeContext(c: EncryptionContext): Buffer {
  const key = Buffer.from(c.masterKey, 'hex');
  const common = { contents_encryption_mode: c.contentsMode, filenames_encryption_mode: c.filenamesMode, flags: c.flags, nonce: c.nonce };
  return c.version === 1
    ? FscryptContextV1.encode({ version: FSCRYPT_CONTEXT_V1, ...common, master_key_descriptor: key })
    : FscryptContextV2.encode({ version: FSCRYPT_CONTEXT_V2, ...common, __reserved: Buffer.alloc(4), master_key_identifier: key });
}

/** fscrypt_policies_equal: everything but the nonce. */
const samePolicy = (a: EncryptionContext, b: EncryptionContext) =>
  a.version === b.version && a.contentsMode === b.contentsMode && a.filenamesMode === b.filenamesMode && a.flags === b.flags && a.masterKey === b.masterKey;

/**
 * __fscrypt_fname_encrypted_size: `len` bytes padded with NULs to the policy's padding (4 << (flags & PAD_MASK)), at
 * least one AES block, at most `max`; null when `len` itself exceeds `max`.
 */
export function encryptedSize(flags: number, len: number, max: number): number | null {
  if (len > max) return null;
  const padding = 4 << (flags & FscryptFlag.PAD_MASK);
  return Math.min(Math.ceil(Math.max(len, FSCRYPT_FNAME_MIN_MSG_LEN) / padding) * padding, max);
}

/** The context as `stat` and `xattr-list` show it (v1 names its key by descriptor, v2 by identifier). */
export interface ContextView {
  version: 1 | 2;
  contentsMode: string;
  filenamesMode: string;
  flags: number;
  padding: number;
  masterKeyIdentifier?: string;
  masterKeyDescriptor?: string;
  nonce: string;
}

export function describeContext(c: EncryptionContext): ContextView {
  return {
    version: c.version,
    contentsMode: FSCRYPT_MODES[c.contentsMode] ?? `mode${c.contentsMode}`,
    filenamesMode: FSCRYPT_MODES[c.filenamesMode] ?? `mode${c.filenamesMode}`,
    flags: c.flags,
    padding: 4 << (c.flags & FscryptFlag.PAD_MASK),
    ...(c.version === 2 ? { masterKeyIdentifier: c.masterKey } : { masterKeyDescriptor: c.masterKey }),
    nonce: c.nonce.toString('hex'),
  };
}

/** fscrypt_hkdf_expand: HKDF-SHA512 (zero salt) over the master key, info "fscrypt\0" || context || info. */
function hkdf(master: Buffer, context: number, info: Buffer, len: number): Buffer {
  return Buffer.from(hkdfSync('sha512', master, Buffer.alloc(0), Buffer.concat([Buffer.from('fscrypt\0', 'latin1'), Buffer.from([context]), info]), len));
}

/** The v2 master key identifier (FS_IOC_ADD_ENCRYPTION_KEY prints it). */
export const keyIdentifier = (master: Buffer) => hkdf(master, HKDF_CONTEXT_KEY_IDENTIFIER, Buffer.alloc(0), 16).toString('hex');
/** The v1 key descriptor by the fscrypt tool's convention: the first 8 bytes of SHA-512(SHA-512(key)). */
const keyDescriptor = (master: Buffer) => createHash('sha512').update(createHash('sha512').update(master).digest()).digest().subarray(0, 8).toString('hex');

/** fscrypt_fname_disk_to_usr without the key: base64url of dirhash, ciphertext (or 149 bytes and the sha256 of the rest). */
export function nokeyName(cipher: Buffer, hash: number, minorHash = 0): Buffer {
  const n = Buffer.alloc(NOKEY_NAME_MAX);
  FscryptNokeyHead.encode({ dirhash0: hash, dirhash1: minorHash }, n);
  let size: number;
  if (cipher.length <= NOKEY_NAME_BYTES) {
    cipher.copy(n, FscryptNokeyHead.size);
    size = FscryptNokeyHead.size + cipher.length;
  } else {
    cipher.copy(n, FscryptNokeyHead.size, 0, NOKEY_NAME_BYTES);
    createHash('sha256').update(cipher.subarray(NOKEY_NAME_BYTES)).digest().copy(n, FscryptNokeyHead.size + NOKEY_NAME_BYTES);
    size = NOKEY_NAME_MAX;
  }
  return Buffer.from(n.subarray(0, size).toString('base64url'));
}

const aesBlock = (key: Buffer, block: Buffer, decrypt: boolean) => {
  const c = decrypt ? createDecipheriv('aes-256-ecb', key, null) : createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));

/** cts(cbc(aes)) decryption (CS3: the last two blocks swapped), as the kernel's crypto/cts.c does it. */
export function ctsCbcDecrypt(key: Buffer, iv: Buffer, c: Buffer): Buffer {
  if (c.length < AES_BLOCK) return fail('CORRUPT', `ciphertext of ${c.length} bytes is shorter than one AES block`);
  const n = Math.ceil(c.length / AES_BLOCK);
  const out = Buffer.alloc(c.length);
  let prev = iv;
  for (let i = 0; i < n - 2; i++) {
    const block = c.subarray(i * AES_BLOCK, (i + 1) * AES_BLOCK);
    xor(aesBlock(key, block, true), prev).copy(out, i * AES_BLOCK);
    prev = block;
  }
  if (n === 1) {
    xor(aesBlock(key, c, true), prev).copy(out);
    return out;
  }
  const tail = c.length - (n - 1) * AES_BLOCK; // 1..16 bytes in the last block
  const dn = aesBlock(key, c.subarray((n - 2) * AES_BLOCK, (n - 1) * AES_BLOCK), true);
  const last = c.subarray((n - 1) * AES_BLOCK);
  xor(dn.subarray(0, tail), last).copy(out, (n - 1) * AES_BLOCK);
  const full = Buffer.concat([last, dn.subarray(tail)]);
  xor(aesBlock(key, full, true), prev).copy(out, (n - 2) * AES_BLOCK);
  return out;
}

/** cts(cbc(aes)) encryption (CS3): CBC over the zero-padded text, then the last two blocks swapped, the new last cut to the tail. */
export function ctsCbcEncrypt(key: Buffer, iv: Buffer, p: Buffer): Buffer {
  if (p.length < AES_BLOCK) return fail('EINVAL', `cts(cbc(aes)) needs at least one AES block, got ${p.length} bytes`);
  const n = Math.ceil(p.length / AES_BLOCK);
  const c = createCipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  const full = Buffer.concat([c.update(Buffer.concat([p], n * AES_BLOCK)), c.final()]);
  if (n === 1) return full;
  const tail = p.length - (n - 1) * AES_BLOCK;
  return Buffer.concat([full.subarray(0, (n - 2) * AES_BLOCK), full.subarray((n - 1) * AES_BLOCK), full.subarray((n - 2) * AES_BLOCK, (n - 2) * AES_BLOCK + tail)]);
}

/** A file's cipher: its key for the mode its type uses, and how its IVs are formed. */
interface FileKey {
  key: Buffer;
  /** IV_INO_LBLK_64: the inode number goes into the IV's high half. */
  inoInIv: number | null;
}

/** fscrypt_generate_iv: the 64-bit logical block number (with the inode number above it for IV_INO_LBLK_64), little-endian. */
function iv(fk: FileKey, lblk: number): Buffer {
  const b = Buffer.alloc(AES_BLOCK);
  b.writeBigUInt64LE(BigInt(lblk) + (fk.inoInIv === null ? 0n : BigInt(fk.inoInIv) << 32n));
  return b;
}

/** The master keys given with --key, by v2 identifier and by v1 descriptor, and the per-file keys derived from them. */
export class Fscrypt {
  private readonly masters = new Map<string, Buffer>();
  private readonly fileKeys = new Map<string, FileKey>();
  private readonly dirhashKeys = new Map<string, Buffer>();

  constructor(
    keys: Buffer[],
    private readonly xattrs: (info: InodeInfo) => Xattr[],
    private readonly uuid: Buffer,
  ) {
    for (const k of keys) {
      if (k.length < 16 || k.length > 64) fail('EINVAL', `an fscrypt master key is 16 to 64 bytes; this one has ${k.length}`);
      this.masters.set(`2:${keyIdentifier(k)}`, k);
      this.masters.set(`1:${keyDescriptor(k)}`, k);
    }
  }

  /**
   * FS_IOC_SET_ENCRYPTION_POLICY's context for a v2 policy (AES-256-XTS contents, AES-256-CTS-CBC names, NUL padding of
   * `padding` bytes) under the one master key given; v2 needs the key added, as fscrypt_verify_key_added does.
   */
  policyContext(padding: number): Buffer {
    const pad = [4, 8, 16, 32].indexOf(padding);
    if (pad < 0) fail('USAGE', `padding ${padding}: fscrypt pads names to 4, 8, 16 or 32 bytes`);
    const ids = [...this.masters.keys()].filter((k) => k.startsWith('2:'));
    if (ids.length !== 1) fail(ids.length ? 'USAGE' : 'ENOKEY', `a new policy needs exactly one master key (--key), got ${ids.length}`);
    return encodeContext({ version: 2, contentsMode: FSCRYPT_MODE_AES_256_XTS, filenamesMode: FSCRYPT_MODE_AES_256_CTS, flags: pad, masterKey: ids[0]!.slice(2), nonce: randomBytes(FSCRYPT_FILE_NONCE_SIZE) });
  }

  /** Whether a --key given is the master key this context names. */
  hasKey(ctx: EncryptionContext): boolean {
    return this.masters.has(`${ctx.version}:${ctx.masterKey}`);
  }

  isEncrypted(info: InodeInfo): boolean {
    return (info.inode.i_advise & Advise.ENCRYPT) !== 0;
  }

  /** The inode's fscrypt context, or null when it has none. */
  context(info: InodeInfo): EncryptionContext | null {
    const x = this.xattrs(info).find((e) => e.index === XATTR_INDEX_ENCRYPTION && e.rawName.toString('latin1') === XATTR_NAME_ENCRYPTION_CONTEXT);
    return x ? decodeContext(x.value) : null;
  }

  /** fscrypt_get_encryption_info: the inode's key for its type's mode, null without the master key. */
  private fileKey(info: InodeInfo): FileKey | null {
    const ctx = this.context(info);
    if (!ctx) return fail('CORRUPT', `inode ${info.ino} is marked encrypted but has no encryption context`);
    const master = this.masters.get(`${ctx.version}:${ctx.masterKey}`);
    if (!master) return null;
    const mode = isReg(info.inode.i_mode) ? ctx.contentsMode : ctx.filenamesMode;
    const size = KEY_SIZE[mode];
    if (!size) return fail('UNSUPPORTED', `inode ${info.ino} uses ${FSCRYPT_MODES[mode] ?? `mode ${mode}`}: only AES-256-XTS contents and AES-256-CTS-CBC names are supported`);
    if (ctx.flags & (FscryptFlag.DIRECT_KEY | FscryptFlag.IV_INO_LBLK_32)) fail('UNSUPPORTED', `inode ${info.ino}: fscrypt policy flags 0x${ctx.flags.toString(16)} (DIRECT_KEY / IV_INO_LBLK_32) are not supported`);
    const lblk64 = (ctx.flags & FscryptFlag.IV_INO_LBLK_64) !== 0;
    const id = lblk64 ? `${ctx.version}:${ctx.masterKey}:${mode}:ino` : `${ctx.version}:${ctx.masterKey}:${mode}:${ctx.nonce.toString('hex')}`;
    let key = this.fileKeys.get(id)?.key;
    if (!key) {
      if (ctx.version === 1) {
        if (lblk64) fail('UNSUPPORTED', `inode ${info.ino}: IV_INO_LBLK_64 with a v1 policy`);
        // find_and_derive_key (v1): the master key encrypted with AES-128-ECB keyed by the nonce.
        if (master.length < size) fail('EINVAL', `the v1 master key ${ctx.masterKey} has ${master.length} bytes; ${FSCRYPT_MODES[mode]} needs ${size}`);
        const c = createCipheriv('aes-128-ecb', ctx.nonce, null);
        c.setAutoPadding(false);
        key = Buffer.concat([c.update(master.subarray(0, size)), c.final()]);
      } else if (lblk64) key = hkdf(master, HKDF_CONTEXT_IV_INO_LBLK_64_KEY, Buffer.concat([Buffer.from([mode]), this.uuid]), size);
      else key = hkdf(master, HKDF_CONTEXT_PER_FILE_ENC_KEY, ctx.nonce, size);
      this.fileKeys.set(id, { key, inoInIv: null });
    }
    return { key, inoInIv: lblk64 ? info.ino : null };
  }

  private requireKey(info: InodeInfo, what: string): FileKey {
    const fk = this.fileKey(info);
    if (!fk) {
      const ctx = this.context(info)!;
      fail('ENOKEY', `${what} of inode ${info.ino} ${what.endsWith('s') ? 'are' : 'is'} encrypted: give the master key with --key (${ctx.version === 2 ? 'identifier' : 'descriptor'} ${ctx.masterKey})`);
    }
    return fk!;
  }

  /** Decrypts file block `lblk` in place of a copy (fscrypt_decrypt_pagecache_blocks); ENOKEY without the key. */
  contentsCipher(info: InodeInfo): (lblk: number, block: Buffer) => Buffer {
    const fk = this.requireKey(info, 'the contents');
    return (lblk, block) => {
      const d = createDecipheriv('aes-256-xts', fk.key, iv(fk, lblk));
      d.setAutoPadding(false);
      return Buffer.concat([d.update(block.subarray(0, BLKSIZE)), d.final()]);
    };
  }

  /**
   * fscrypt_derive_dirhash_key: the SipHash key an encrypted directory hashes its names with once casefolded (HKDF of
   * the master key over the directory's nonce; the bytes are the key's two little-endian words). Null for a plain
   * directory or without the master key. v2 only: fscrypt_setflags_hook refuses +F on a v1-encrypted directory.
   */
  dirhashKey(dir: InodeInfo): Buffer | null {
    if (!this.isEncrypted(dir) || !isDir(dir.inode.i_mode)) return null;
    const ctx = this.context(dir);
    if (!ctx) return fail('CORRUPT', `inode ${dir.ino} is marked encrypted but has no encryption context`);
    const master = this.masters.get(`${ctx.version}:${ctx.masterKey}`);
    if (!master) return null;
    if (ctx.version !== 2) return fail('EINVAL', `directory ${dir.ino} has a v1 policy: Linux keeps no name hash key for it (casefolding needs a v2 policy)`);
    const id = `${ctx.masterKey}:${ctx.nonce.toString('hex')}`;
    let key = this.dirhashKeys.get(id);
    if (!key) this.dirhashKeys.set(id, (key = hkdf(master, HKDF_CONTEXT_DIRHASH_KEY, ctx.nonce, DIRHASH_KEY_SIZE)));
    return key;
  }

  /** fscrypt_fname_disk_to_usr for the names of an encrypted directory (null for a plain one). */
  nameView(dir: InodeInfo): ((name: Buffer, hash: number) => Buffer) | null {
    if (!this.isEncrypted(dir) || !isDir(dir.inode.i_mode)) return null;
    const fk = this.fileKey(dir);
    return (name, hash) => {
      if ((name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e)) return name;
      if (name.length < FSCRYPT_FNAME_MIN_MSG_LEN) fail('CORRUPT', `encrypted name of ${name.length} bytes in directory ${dir.ino} is shorter than ${FSCRYPT_FNAME_MIN_MSG_LEN} (EUCLEAN)`);
      return fk ? this.decryptName(fk, name) : nokeyName(name, hash);
    };
  }

  /** fname_decrypt: CTS-CBC with the IV of block 0, the padding NULs cut. */
  private decryptName(fk: FileKey, cipher: Buffer): Buffer {
    const plain = ctsCbcDecrypt(fk.key, iv(fk, 0), cipher);
    const nul = plain.indexOf(0);
    return nul < 0 ? plain : plain.subarray(0, nul);
  }

  /** fscrypt_get_symlink: the target stored as fscrypt_symlink_data, decrypted, or its no-key form without the key. */
  symlinkTarget(info: InodeInfo, raw: Buffer): Buffer {
    if (raw.length < FscryptSymlinkHead.size + 1) fail('CORRUPT', `encrypted symlink ${info.ino} of ${raw.length} bytes (EUCLEAN)`);
    const len = FscryptSymlinkHead.decode(raw).len;
    if (len === 0 || FscryptSymlinkHead.size + len > raw.length) fail('CORRUPT', `encrypted symlink ${info.ino}: ciphertext length ${len} in ${raw.length} bytes (EUCLEAN)`);
    const cipher = raw.subarray(FscryptSymlinkHead.size, FscryptSymlinkHead.size + len);
    if (cipher.length < FSCRYPT_FNAME_MIN_MSG_LEN) fail('CORRUPT', `encrypted symlink ${info.ino}: ciphertext of ${len} bytes (EUCLEAN)`);
    const fk = this.fileKey(info);
    const target = fk ? this.decryptName(fk, cipher) : nokeyName(cipher, 0);
    if (!target.length) fail('CORRUPT', `encrypted symlink ${info.ino} decrypts to an empty target (EUCLEAN)`);
    return target;
  }

  /**
   * fscrypt_policy_to_inherit: the context and names key of an encrypted directory that takes a new name, ENOKEY
   * without its key (create, link and rename need it; unlink and rmdir do not); null for a plain directory.
   */
  private dirPolicy(dir: InodeInfo): { ctx: EncryptionContext; fk: FileKey } | null {
    if (!this.isEncrypted(dir) || !isDir(dir.inode.i_mode)) return null;
    const fk = this.fileKey(dir);
    const ctx = this.context(dir)!;
    if (!fk) fail('ENOKEY', `directory ${dir.ino} is encrypted: adding a name needs the master key with --key (${ctx.version === 2 ? 'identifier' : 'descriptor'} ${ctx.masterKey})`);
    return { ctx, fk: fk! };
  }

  /** Linux's lookup in an encrypted directory with its key: the name encrypted, to find by hash (null: look by user name). */
  lookupName(dir: InodeInfo, name: Buffer): Buffer | null {
    if (!this.isEncrypted(dir) || !isDir(dir.inode.i_mode) || name.length > MAX_NAME_LEN || (name.length <= 2 && /^\.\.?$/.test(name.toString('latin1')))) return null;
    return this.fileKey(dir) ? this.diskName(dir, name) : null;
  }

  /** ENOKEY unless the key of encrypted directory `dir` is given (fscrypt_require_key; a plain directory needs none). */
  requireDirKey(dir: InodeInfo): void {
    this.dirPolicy(dir);
  }

  /** A name about to be added to `dir` (create, link, rename), as stored: encrypted in an encrypted directory (fname_encrypt). */
  diskName(dir: InodeInfo, name: Buffer): Buffer {
    const p = this.dirPolicy(dir);
    if (!p) return name;
    const size = encryptedSize(p.ctx.flags, name.length, MAX_NAME_LEN);
    if (size === null) return fail('ENAMETOOLONG', `name of ${name.length} bytes is longer than ${MAX_NAME_LEN}`);
    return ctsCbcEncrypt(p.fk.key, iv(p.fk, 0), Buffer.concat([name], size));
  }

  /**
   * fscrypt_prepare_new_inode + fscrypt_context_for_new_inode: the "c" xattr of a new inode of `mode` in `dir` (the
   * directory's policy, a fresh random nonce: a reused nonce would reuse a file key), or null when it is not encrypted
   * (a plain directory, a special file).
   */
  newContext(dir: InodeInfo, mode: number): Buffer | null {
    const p = this.dirPolicy(dir);
    if (!p || !(isReg(mode) || isDir(mode) || isSymlink(mode))) return null;
    return encodeContext({ ...p.ctx, nonce: randomBytes(FSCRYPT_FILE_NONCE_SIZE) });
  }

  /**
   * fscrypt_prepare_link / fscrypt_prepare_rename: `dir` takes a name for an existing inode: ENOKEY without the
   * directory's key, EXDEV when the inode is encrypted under another policy than the directory's (or not at all).
   */
  requireLinkable(dir: InodeInfo, info: InodeInfo): void {
    const p = this.dirPolicy(dir);
    if (!p) return;
    const mode = info.inode.i_mode;
    if (!(isReg(mode) || isDir(mode) || isSymlink(mode))) return;
    const ctx = this.isEncrypted(info) ? this.context(info) : null;
    if (!ctx || !samePolicy(ctx, p.ctx)) fail('EXDEV', `inode ${info.ino} is not encrypted with the policy of directory ${dir.ino}: Linux refuses such a link or rename (EXDEV)`);
  }

  /** fscrypt_prepare_symlink's check: a target that still fits a block once encrypted for `dir` (ENAMETOOLONG). */
  requireSymlinkFits(dir: InodeInfo, target: Buffer): void {
    const p = this.dirPolicy(dir);
    if (p && encryptedSize(p.ctx.flags, target.length, BLKSIZE - FscryptSymlinkHead.size - 1) === null) fail('ENAMETOOLONG', `symlink target of ${target.length} bytes does not fit a block once encrypted`);
  }

  /** fscrypt_encrypt_symlink: the target of new symlink `info` as stored (fscrypt_symlink_data: length, ciphertext). */
  symlinkData(info: InodeInfo, target: Buffer): Buffer {
    const fk = this.requireKey(info, 'the target');
    const ctx = this.context(info)!;
    const size = encryptedSize(ctx.flags, target.length, BLKSIZE - FscryptSymlinkHead.size - 1);
    if (size === null) return fail('ENAMETOOLONG', `symlink target of ${target.length} bytes does not fit a block once encrypted`);
    const cipher = ctsCbcEncrypt(fk.key, iv(fk, 0), Buffer.concat([target], size));
    return Buffer.concat([FscryptSymlinkHead.encode({ len: size }), cipher]);
  }

  /** Writing or truncating an encrypted file needs its key (ENOKEY without it, as Linux refuses to open it). */
  requireContentsWritable(info: InodeInfo): void {
    if (this.isEncrypted(info) && isReg(info.inode.i_mode)) this.requireKey(info, 'the contents');
  }

  /** fscrypt_encrypt_pagecache_blocks: file block `lblk` (a whole page, zeros past EOF) as stored; null for a plain file. */
  contentsEncrypter(info: InodeInfo): ((lblk: number, page: Buffer) => Buffer) | null {
    if (!this.isEncrypted(info) || !isReg(info.inode.i_mode)) return null;
    const fk = this.requireKey(info, 'the contents');
    return (lblk, page) => {
      const c = createCipheriv('aes-256-xts', fk.key, iv(fk, lblk));
      c.setAutoPadding(false);
      return Buffer.concat([c.update(page.subarray(0, BLKSIZE)), c.final()]);
    };
  }
}
