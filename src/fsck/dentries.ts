// fsck's directory phase: each dentry block or inline area (names, hashes, positions, dots, file types) and the children it names.
import { MAX_DIR_HASH_DEPTH, MAX_NAME_LEN, SLOT_LEN } from '../fs/layout/constants.js';
import { FileType, fileTypeOfMode, slotsFor, type DentryArea } from '../fs/layout/dentry.js';
import { setupFilename } from '../fs/hash.js';
import { bitLsb } from '../util/struct.js';
import { bucketBlocks, dirBlockIndex, dirBuckets } from '../fs/dir.js';
import { isDir, type InodeInfo } from '../fs/inode.js';
import { FsckRun, type DirState, type Repair, type Where } from './state.js';
import { claim, processInode } from './tree.js';
import { Inode } from '../fs/layout/node.js';
import { nokeyName } from '../fs/crypto.js';
import { FSCRYPT_FNAME_MIN_MSG_LEN } from '../fs/layout/crypto.js';

/** A dentry's place: its directory, block (null: the inline area) and slot. */
type DentrySlot = { dir: number; bidx: number | null; slot: number };

const iMode = Inode.field('i_mode');
const iLinks = Inode.field('i_links');

/** __get_current_level: the hash level a directory block index belongs to. */
export function levelOfBlock(dirLevel: number, pgofs: number): number {
  let bidx = 0;
  let level = 0;
  for (; level < MAX_DIR_HASH_DEPTH; level++) {
    bidx += dirBuckets(level, dirLevel) * bucketBlocks(level);
    if (bidx > pgofs) break;
  }
  return level;
}

/** __chk_dentries over one area: a dentry block at file block `pgofs`, or the inline area (`pgofs` null). */
export function checkDentries(r: FsckRun, area: DentryArea, dir: DirState, pgofs: number | null, blkaddr: number): void {
  let i = 0;
  while (i < area.slots) {
    if (!bitLsb.test(area.bitmap, i)) {
      i++;
      continue;
    }
    const de = area.entry(i);
    const at = { ino: dir.ino, path: dir.path, blkaddr };
    const slotDesc = `directory ${dir.ino} ${pgofs === null ? 'inline' : `block ${pgofs}`} slot ${i}`;
    const slot = { dir: dir.ino, bidx: pgofs, slot: i };
    const drop: Repair = { kind: 'dentry-drop', ...slot };
    if (de.ino !== 0 && !r.vol.check.isValidNid(de.ino)) {
      r.add('NID_INVALID', `${slotDesc}: entry names ino ${de.ino}, beyond ${r.maxNid - 1}`, at);
      r.fix(drop);
      i++;
      continue;
    }
    const ftype = de.file_type;
    if (ftype < FileType.REG || ftype > FileType.SYMLINK) {
      r.add('DENTRY_FILE_TYPE', `${slotDesc}: file_type ${ftype}`, at);
      r.fix(drop);
      i++;
      continue;
    }
    const len = de.name_len;
    if (len === 0 || len > MAX_NAME_LEN || i + slotsFor(len) > area.slots) {
      r.add('DENTRY_NAME_LEN', `${slotDesc}: name_len ${len}`, at);
      r.fix(drop);
      i++;
      continue;
    }
    const slots = slotsFor(len);
    const name = area.filename.subarray(i * SLOT_LEN, i * SLOT_LEN + len);
    const dot = len === 1 && name[0] === 0x2e;
    const dotdot = len === 2 && name[0] === 0x2e && name[1] === 0x2e;
    if (ftype === FileType.DIR && (dot || dotdot)) {
      checkDot(r, de, dot, dir, area.filename[i * SLOT_LEN + len], slotDesc, at, slot);
      if (++dir.dots > 2) {
        r.add('DOTS_DUPLICATE', `${slotDesc}: a further '${dot ? '.' : '..'}' entry`, at);
        r.fix(drop);
      }
      i++;
      continue;
    }
    // Names in an encrypted directory are ciphertext (hashed as stored): paths show them in the kernel's no-key form.
    const shown = dir.encrypted ? nokeyName(name, de.hash_code).toString() : name.toString();
    const path = dir.path === '/' ? `/${shown}` : `${dir.path}/${shown}`;
    // An encrypted casefolded directory hashes the plaintext by SipHash: without its key the hash is taken as stored.
    const sip = dir.encrypted && dir.casefolded;
    const hash = !sip
      ? setupFilename(r.sb, dir.casefolded, Buffer.from(name), false).hash
      : dir.siphash && len >= FSCRYPT_FNAME_MIN_MSG_LEN
        ? setupFilename(r.sb, true, dir.siphash.plain(Buffer.from(name)), false, dir.siphash.key).hash
        : de.hash_code;
    if (hash !== de.hash_code) {
      r.add('DENTRY_HASH', `${slotDesc} "${path}": hash_code 0x${de.hash_code.toString(16)}, the name hashes to 0x${hash.toString(16)}`, { ...at, path });
      r.fix({ kind: 'dentry-set', ...slot, hash });
    }
    if (pgofs !== null) {
      const level = levelOfBlock(dir.dirLevel, pgofs);
      const first = dirBlockIndex(level, dir.dirLevel, hash % dirBuckets(level, dir.dirLevel));
      if (pgofs < first || pgofs >= first + bucketBlocks(level)) {
        r.add('DENTRY_POSITION', `${slotDesc}: "${path}" is in block ${pgofs} (level ${level}), its hash selects blocks ${first}..${first + bucketBlocks(level) - 1}`, { ...at, path });
        r.fix(drop);
      }
    }
    r.stats.dentries++;
    visitChild(r, de.ino, ftype, dir, path, slot);
    i += slots;
  }
}

/**
 * The SipHash key and name decryption of encrypted casefolded directory `info` for the hash check; null (with a
 * warning) when the key is not given or cannot be used, as Linux too needs the key to hash these names.
 */
export function siphashNames(r: FsckRun, info: InodeInfo, path: string): DirState['siphash'] {
  let why = 'give its master key with --key to check them';
  try {
    const key = r.vol.crypto.dirhashKey(info);
    const view = r.vol.crypto.nameView(info);
    if (key && view) return { key, plain: (name) => view(name, 0) };
  } catch (e) {
    why = `its key cannot be used: ${(e as Error).message}`;
  }
  r.add('DENTRY_HASH_UNCHECKED', `directory ${info.ino}: encrypted and casefolded, its names hash by SipHash under the directory's key: hashes not checked (${why})`, { ino: info.ino, path }, 'warning');
  return null;
}

/** __chk_dots_dentries: '.' names the directory, '..' its parent (and i_pino), both hash 0 and NUL padded. */
export function checkDot(r: FsckRun, de: { ino: number; hash_code: number }, dot: boolean, dir: DirState, after: number, slotDesc: string, at: Where, slot: DentrySlot): void {
  const root = r.sb.root_ino;
  const name = dot ? "'.'" : "'..'";
  if (dot) {
    if (de.ino !== dir.ino) {
      r.add('DOTS_WRONG', `${slotDesc}: '.' names inode ${de.ino}`, at);
      r.fix({ kind: 'dentry-set', ...slot, ino: dir.ino });
    }
  } else if (dir.ino === root) {
    if (de.ino !== root) {
      r.add('DOTS_WRONG', `${slotDesc}: the root's '..' names inode ${de.ino}`, at);
      r.fix({ kind: 'dentry-set', ...slot, ino: root });
    }
  } else if (de.ino !== dir.parent) {
    r.add('DOTS_WRONG', `${slotDesc}: '..' names inode ${de.ino}, the directory is linked from ${dir.parent}`, at);
    r.fix({ kind: 'dentry-set', ...slot, ino: dir.parent });
    if (dir.pino !== dir.parent) r.fix({ kind: 'inode', ino: dir.ino, field: 'i_pino', value: dir.parent });
  } else if (de.ino !== dir.pino) {
    r.add('DOTS_WRONG', `${slotDesc}: '..' names inode ${de.ino} but i_pino is ${dir.pino}`, at);
    r.fix({ kind: 'inode', ino: dir.ino, field: 'i_pino', value: dir.parent });
  }
  if (de.hash_code !== 0) {
    r.add('DENTRY_HASH', `${slotDesc}: ${name} has hash_code 0x${de.hash_code.toString(16)}, expected 0`, at);
    r.fix({ kind: 'dentry-set', ...slot, hash: 0 });
  }
  if (after !== 0) r.add('DOTS_WRONG', `${slotDesc}: ${name} is not NUL padded`, at);
}

/** The inode a dentry names: claimed now; files are checked at once, directories queued. */
export function visitChild(r: FsckRun, ino: number, ftype: number, dir: DirState, path: string, slot: DentrySlot): void {
  const drop: Repair = { kind: 'dentry-drop', ...slot };
  const ref = claim(r, ino, 'inode', { path }, drop);
  if (!ref) return;
  const mode = iMode.get(ref.raw);
  const actual = fileTypeOfMode(mode);
  if (actual !== ftype) {
    r.add('FILE_TYPE_MISMATCH', `"${path}": dentry file_type ${ftype}, inode ${ino} has mode 0${mode.toString(8)}`, { ino, path });
    // An inode of no known type is dropped with its entry (processInode says so); otherwise the entry follows the inode.
    if (actual !== FileType.UNKNOWN) r.fix({ kind: 'dentry-set', ...slot, fileType: actual });
  }
  if (isDir(mode)) {
    if (ref.again) {
      r.add('NODE_DUPLICATE', `"${path}": directory ${ino} is reached by more than one entry`, { ino, path });
      r.fix(drop);
      return;
    }
    if (ftype === FileType.DIR) dir.links++;
    r.stats.dirs++;
    r.pending.push({ ino, parent: dir.ino, path, drop });
    return;
  }
  const links = iLinks.get(ref.raw);
  if (ref.again) {
    const h = r.hardLinks.get(ino);
    if (h) h.found++;
    else r.hardLinks.set(ino, { links, found: 2, path });
    return;
  }
  if (links > 1) r.hardLinks.set(ino, { links, found: 1, path });
  else if (links === 0) {
    r.add('I_LINKS', `"${path}": inode ${ino} has i_links 0 but a directory entry names it`, { ino, path });
    r.fix({ kind: 'inode', ino, field: 'i_links', value: 1 });
  }
  if (!processInode(r, ref, 'file', { path })) r.fix(drop);
}
