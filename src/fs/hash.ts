// A name as a directory operation looks for it (struct f2fs_filename, fs/f2fs/dir.c and hash.c): its dentry hash
// and how it matches an entry. In a casefolded directory (+F on a casefold image) both go through the utf8-12.1.0
// NFDICF form; a name that does not fold (invalid UTF-8, only ignorables, folded form past 254 bytes) is an
// opaque byte string, or EINVAL when the superblock asks for strict encoding. An encrypted casefolded directory hashes
// the folded plaintext with SipHash-2-4 under the directory's dirhash key (fscrypt_fname_siphash) instead of TEA.
import { fail } from '../errors.js';
import type { InodeInfo } from './inode.js';
import { MAX_NAME_LEN } from './layout/constants.js';
import { dentryHash, isDotOrDotdot, teaHashName } from './layout/hash.js';
import { FsFlag } from './layout/node.js';
import { Feature, type Superblock } from './layout/superblock.js';
import { utf8Casefold, utf8StrncasecmpFolded } from './unicode/utf8n.js';
import { siphash24 } from '../util/siphash.js';

/** s_encoding of utf8-12.1.0, the only encoding f2fs defines (f2fs_sb_encodings). */
export const F2FS_ENC_UTF8_12_1 = 1;
/** s_encoding_flags: SB_ENC_STRICT_MODE_FL, invalid names are refused instead of stored as bytes. */
export const ENC_STRICT_MODE_FL = 0x1;

export interface Filename {
  name: Buffer;
  /** The casefolded name (cf_name), when the directory folds and the name folds. */
  cf: Buffer | null;
  hash: number;
  /** The directory folds names (IS_CASEFOLDED): lookups that miss by hash go on linearly. */
  casefolded: boolean;
  strict: boolean;
  /** `name` is the plaintext of a name in an encrypted casefolded directory: entries match once decrypted. */
  encrypted: boolean;
}

/** IS_CASEFOLDED; the flag counts on a casefold image only (the kernel refuses such an inode elsewhere). */
export const isCasefolded = (sb: Superblock, dir: InodeInfo) => (dir.inode.i_flags & FsFlag.CASEFOLD) !== 0 && (sb.feature & Feature.CASEFOLD) !== 0;

/** Why this tool cannot fold names on `sb` (f2fs_setup_casefold's unknown encoding), or null. */
export function encodingProblem(sb: Superblock): string | null {
  if (!(sb.feature & Feature.CASEFOLD) || sb.s_encoding === F2FS_ENC_UTF8_12_1) return null;
  return `the superblock asks for filename encoding ${sb.s_encoding}; only utf8-12.1.0 (1) exists in Linux and this tool`;
}

/**
 * f2fs_setup_filename: cf_name (f2fs_init_casefolded_name) and the hash (f2fs_hash_filename) of `name` in a
 * directory. `strict` false: the hash an entry already on disk has, whatever the superblock's strictness.
 * `dirhashKey`: the directory is encrypted and `name` is its plaintext; a casefolded one hashes by SipHash under this
 * key (the low 32 bits), a plain-hashed one is given its ciphertext names instead (TEA over the stored form).
 */
export function setupFilename(sb: Superblock, casefolded: boolean, name: Buffer, strict = (sb.s_encoding_flags & ENC_STRICT_MODE_FL) !== 0, dirhashKey: Buffer | null = null): Filename {
  if (!casefolded) return { name, cf: null, hash: dentryHash(name), casefolded, strict: false, encrypted: false };
  const problem = encodingProblem(sb);
  if (problem) fail('UNSUPPORTED', `cannot fold "${name.toString()}": ${problem}`, { encoding: sb.s_encoding });
  const encrypted = dirhashKey !== null;
  if (isDotOrDotdot(name)) return { name, cf: null, hash: 0, casefolded, strict, encrypted };
  const hashOf = (n: Buffer) => (dirhashKey ? Number(siphash24(dirhashKey, n) & 0xffffffffn) : teaHashName(n));
  const cf = utf8Casefold(name, MAX_NAME_LEN);
  if (!cf || cf.length === 0) {
    if (strict) fail('EINVAL', `"${name.toString()}" is not a valid UTF-8 name, and the encoding is strict`);
    return { name, cf: null, hash: hashOf(name), casefolded, strict, encrypted };
  }
  return { name, cf, hash: hashOf(cf), casefolded, strict, encrypted };
}

/** The name to look for in directory `dir` (`dirhashKey`: see setupFilename). */
export const dirFilename = (sb: Superblock, dir: InodeInfo, name: Buffer, dirhashKey: Buffer | null = null) => setupFilename(sb, isCasefolded(sb, dir), name, undefined, dirhashKey);

/** f2fs_match_name / f2fs_match_ci_name: whether entry name `de` is the name looked for. */
export function matchName(f: Filename, de: Uint8Array): boolean {
  if (!f.cf) return f.name.equals(de);
  const res = utf8StrncasecmpFolded(f.cf, de);
  // An entry that does not fold matches byte for byte, except in strict mode where it never does.
  if (res < 0 && !f.strict) return f.cf.equals(de);
  return res === 0;
}
