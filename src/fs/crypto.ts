// fscrypt as Linux 6.1 stores it (fs/crypto/): the encryption context, master keys given by the user (v2 identifiers by
// HKDF-SHA512, v1 descriptors), per-file keys, contents (AES-256-XTS per block), names and symlink targets
// (AES-256-CTS-CBC), and the no-key names the kernel shows without the key (fscrypt_fname_disk_to_usr).
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { fail } from '../errors.js';
import { Advise } from './layout/node.js';
import {
  FSCRYPT_CONTEXT_V1,
  FSCRYPT_CONTEXT_V2,
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
import { BLKSIZE } from './layout/constants.js';
import { isDir, isReg, type InodeInfo } from './inode.js';
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

  /** A name created, linked, renamed or removed in `dir`: refused in an encrypted directory (this tool writes no ciphertext). */
  requireNamespaceChange(dir: InodeInfo): void {
    if (!this.isEncrypted(dir) || !isDir(dir.inode.i_mode)) return;
    if (!this.fileKey(dir)) {
      const ctx = this.context(dir)!;
      fail('ENOKEY', `directory ${dir.ino} is encrypted: changing its names needs the master key (${ctx.masterKey}), and this tool does not write encrypted names`);
    }
    fail('UNSUPPORTED', `directory ${dir.ino} is encrypted: this tool does not write encrypted names`);
  }

  /** Writing or truncating an encrypted file: ENOKEY without the key (as Linux), else unsupported (no ciphertext written). */
  requireContentsWritable(info: InodeInfo): void {
    if (!this.isEncrypted(info) || !isReg(info.inode.i_mode)) return;
    this.requireKey(info, 'the contents');
    fail('UNSUPPORTED', `inode ${info.ino} is encrypted: this tool does not write encrypted contents`);
  }
}
