// Name resolution: debugfs-style filespecs ("/a/b", "a/b" from a cwd, or "<ino>") to inode numbers, following symlinks where asked.
import { newInodeCompression, setCompressContext } from './compress.js';
import { fail } from '../errors.js';
import { MAX_NAME_LEN, ROOT_INO } from './layout/constants.js';
import { editInode, hasInlineData, hasInlineDentry, isDir, isReg, isSymlink, now, setTimes, type InodeInfo, type Timespec } from './inode.js';
import { addEntry, deleteEntry, inlineArea, putEntry, setLink, type Dentry } from './dir.js';
import { DEFAULT_INLINE_XATTR_ADDRS } from './layout/constants.js';
import { FileType, fileTypeOfMode } from './layout/dentry.js';
import { Advise, FsFlag, I_ADDR_OFFSET, InlineFlag, InodeExtra, InodeHead, MAX_EXTRA_ISIZE, slotOffset, writeSlot } from './layout/node.js';
import { Feature, extensionList } from './layout/superblock.js';
import { truncateBlocks } from './node.js';
import { balanceFs } from './checkpoint.js';
import type { Volume } from './volume.js';
import { inodeGeneration } from './clock.js';
import { projidOf } from './quota.js';
import { requireMutable } from './immutable.js';
import { setXattr } from './xattr.js';
import { INameHashTail, XATTR_NAME_ENCRYPTION_CONTEXT } from './layout/crypto.js';
import { dirFilename, isCasefolded } from './hash.js';

const MAX_SYMLINK_FOLLOW = 40; // the kernel's MAXSYMLINKS

export interface NameOps {
  inode(ino: number): InodeInfo;
  inodeAllocated(ino: number): boolean;
  lookup(dir: InodeInfo, name: Buffer): Dentry | null;
  readlink(info: InodeInfo): Buffer;
  parentOf(dir: InodeInfo): number;
}

export interface Resolved {
  ino: number;
  /** Parent directory and last name, when the spec was a path (for commands that act on the entry). */
  parent?: number;
  name?: Buffer;
}

/** "<12>" → 12. */
export function parseInoSpec(spec: string): number | null {
  const m = /^<(\d+)>$/.exec(spec.trim());
  return m ? Number(m[1]) : null;
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0);
}

export function resolve(ops: NameOps, spec: string, opts: { cwd?: number; follow?: boolean } = {}): Resolved {
  const ino = parseInoSpec(spec);
  if (ino !== null) {
    // A number the user typed: out of range or unallocated is their mistake, not corruption.
    if (!ops.inodeAllocated(ino)) fail(ino < ROOT_INO ? 'EINVAL' : 'ENOENT', `<${ino}>: no such inode`);
    ops.inode(ino);
    return { ino };
  }
  let budget = MAX_SYMLINK_FOLLOW;
  const walk = (start: number, path: string, followLast: boolean): Resolved => {
    let cur = path.startsWith('/') ? ROOT_INO : start;
    const parts = splitPath(path);
    let parent: number | undefined;
    let last: Buffer | undefined;
    for (let i = 0; i < parts.length; i++) {
      const name = Buffer.from(parts[i]);
      if (name.length > MAX_NAME_LEN) fail('ENAMETOOLONG', `name "${parts[i].slice(0, 32)}…" is longer than ${MAX_NAME_LEN} bytes`);
      const dir = ops.inode(cur);
      if (!isDir(dir.inode.i_mode)) fail('ENOTDIR', `${parts.slice(0, i).join('/') || '/'} is not a directory`);
      const d = parts[i] === '.' ? { ino: cur } : parts[i] === '..' ? { ino: ops.parentOf(dir) } : ops.lookup(dir, name);
      if (!d) fail('ENOENT', `${path}: no such file or directory`, { path });
      parent = cur;
      last = name;
      const isLast = i === parts.length - 1;
      const child = ops.inode(d!.ino);
      if (isSymlink(child.inode.i_mode) && (!isLast || followLast)) {
        if (--budget < 0) fail('ELOOP', `${path}: too many levels of symbolic links`);
        const target = ops.readlink(child).toString();
        const r = walk(cur, target, true);
        cur = r.ino;
        parent = r.parent;
        last = r.name;
        continue;
      }
      cur = d!.ino;
    }
    return { ino: cur, parent, name: last };
  };
  return walk(opts.cwd ?? ROOT_INO, spec, opts.follow ?? false);
}

/* ---- write side: creating, linking, unlinking and renaming (fs/f2fs/namei.c) ---- */

/** F2FS_FL_INHERITED, and what of it a regular file (F2FS_REG_FLMASK) or a special file (F2FS_OTHER_FLMASK) keeps. */
const INHERITED_FLAGS = FsFlag.SYNC | FsFlag.NODUMP | FsFlag.NOATIME | FsFlag.DIRSYNC | FsFlag.PROJINHERIT | FsFlag.CASEFOLD;
const REG_FLMASK = ~(FsFlag.DIRSYNC | FsFlag.PROJINHERIT | FsFlag.CASEFOLD);
const OTHER_FLMASK = FsFlag.NODUMP | FsFlag.NOATIME;

export interface CreateOptions {
  uid?: number;
  gid?: number;
  times?: Timespec;
  rdev?: { major: number; minor: number };
  /** The caller knows `name` is not in the directory (one a bulk import made and fills from a host listing): no lookup. */
  absent?: boolean;
  /** An O_TMPFILE inode (createOrphan): it has no name, so no compression rule applies to it. */
  tmpfile?: boolean;
}

/** is_extension_exist with a temporary-extension tolerance (set_file_temperature). */
function hasExtension(name: string, ext: string): boolean {
  if (name.length < ext.length + 2) return false;
  for (let i = 1; i < name.length - ext.length; i++) if (name[i] === '.' && name.slice(i + 1, i + 1 + ext.length).toLowerCase() === ext.toLowerCase()) return true;
  return false;
}

/** Decoded once per superblock: every file creation consults it. */
const extensionCache = new WeakMap<Volume['sb'], string[]>();

function temperature(vol: Volume, name: string): number {
  let exts = extensionCache.get(vol.sb);
  if (!exts) extensionCache.set(vol.sb, (exts = extensionList(vol.sb)));
  const idx = exts.findIndex((e) => e && hasExtension(name, e));
  if (idx < 0) return 0;
  return idx < vol.sb.extension_count ? Advise.COLD : Advise.HOT;
}

function encodeDev(rdev: { major: number; minor: number }): [number, number] {
  const { major, minor } = rdev;
  if (major < 256 && minor < 256) return [(major << 8) | minor, 0];
  return [0, ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0];
}

/** f2fs_new_inode + f2fs_init_inode_metadata: a new inode block with the 6.1 defaults, dirty, charged to the volume. */
function newInode(vol: Volume, dir: InodeInfo, mode: number, name: Buffer, opts: CreateOptions): number {
  vol.reserveBlocks(1);
  const ino = vol.nm.allocNid();
  const dirMode = isDir(mode);
  const raw = vol.nm.newNode(ino, ino, 0, !dirMode);
  vol.counts.nodes++;
  vol.counts.inodes++;
  const t = opts.times ?? now();
  const extra = (vol.sb.feature & Feature.EXTRA_ATTR) !== 0;
  const flexible = (vol.sb.feature & Feature.FLEXIBLE_INLINE_XATTR) !== 0;
  // fscrypt_prepare_new_inode: regular files, directories and symlinks in an encrypted directory are encrypted too.
  const context = vol.crypto.newContext(dir, mode);
  const advise = (isReg(mode) ? temperature(vol, name.toString()) : 0) | (context ? Advise.ENCRYPT : 0);
  // set_compress_new_inode runs before the inline decision: a compressed file never starts inline.
  const compression = extra && !opts.tmpfile ? newInodeCompression(vol, dir, mode, name.toString(), (advise & Advise.HOT) !== 0) : null;
  let inline = InlineFlag.XATTR;
  if (dirMode) inline |= InlineFlag.DENTRY;
  // f2fs_may_inline_data: an encrypted regular file's blocks are ciphertext, never inline.
  if ((isReg(mode) && compression !== 'compress' && !context) || isSymlink(mode)) inline |= InlineFlag.DATA;
  if (extra) inline |= InlineFlag.EXTRA_ATTR;
  const inherited = dir.inode.i_flags & INHERITED_FLAGS;
  const flags = (dirMode ? inherited | FsFlag.INDEX : isReg(mode) ? inherited & REG_FLMASK : inherited & OTHER_FLMASK) | (compression === 'nocompress' ? FsFlag.NOCOMP : 0);
  // Only the head: the new block's address slots are already zero.
  const inode = InodeHead.view(raw);
  Object.assign(inode, {
    i_mode: mode,
    i_advise: advise,
    i_inline: inline,
    i_uid: opts.uid ?? 0,
    i_gid: opts.gid ?? 0,
    i_links: dirMode ? 2 : 1,
    i_size: 0,
    i_blocks: 1,
    i_generation: inodeGeneration(vol.sb.uuid, ino, vol.cp.head.checkpoint_ver),
    i_current_depth: dirMode ? 1 : 0,
    i_flags: flags,
    i_pino: dir.ino,
    i_namelen: name.length,
    i_name: name,
  });
  setTimes(inode, { a: t, m: t, c: t });
  if (opts.rdev) {
    const [a0, a1] = encodeDev(opts.rdev);
    const extraWords = extra ? MAX_EXTRA_ISIZE / 4 : 0;
    writeSlot(raw, slotOffset.inodeAddr(extraWords, 0), a0);
    writeSlot(raw, slotOffset.inodeAddr(extraWords, 1), a1);
  }
  if (extra) {
    // The rest of the extra area (projid 0, checksum set at write-out, no compression) is already zero.
    Object.assign(InodeExtra.view(raw, I_ADDR_OFFSET), { i_extra_isize: MAX_EXTRA_ISIZE, i_inline_xattr_size: flexible ? DEFAULT_INLINE_XATTR_ADDRS : 0, i_crtime: t.sec, i_crtime_nsec: t.nsec });
    // f2fs_new_inode: a PROJINHERIT directory hands its project id down.
    if (vol.sb.feature & Feature.PRJQUOTA && dir.inode.i_flags & FsFlag.PROJINHERIT) InodeExtra.view(raw, I_ADDR_OFFSET).i_projid = projidOf(dir.page.raw);
  }
  vol.quota?.chargeInode(ino, raw, 1);
  if (compression === 'compress') setCompressContext(raw, vol.compressOptions);
  if (dirMode) makeEmptyDir(vol, ino, dir.ino);
  if (context) {
    // fscrypt_set_context after make_empty_dir; the new inode keeps its creation ctime.
    setXattr(vol, ino, `encryption.${XATTR_NAME_ENCRYPTION_CONTEXT}`, context, 'create');
    editInode(vol.nm.nodeForUpdate(ino), (i) => setTimes(i, { c: t }));
  }
  return ino;
}

/** f2fs_make_empty_inline_dir: '.' and '..' in the inline area, i_size = MAX_INLINE_DATA. */
function makeEmptyDir(vol: Volume, ino: number, parent: number): void {
  const info = vol.inode(ino);
  const raw = vol.nm.nodeForUpdate(ino);
  const area = inlineArea(info, raw);
  putEntry(area, 0, Buffer.from('.'), ino, FileType.DIR, 0);
  putEntry(area, 1, Buffer.from('..'), parent, FileType.DIR, 0);
  editInode(raw, (i) => {
    i.i_size = info.maxInlineData;
  });
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function requireNewName(vol: Volume, dir: InodeInfo, name: Buffer, lookup = true): void {
  if (name.length === 0 || name.includes(0x2f) || name.includes(0)) fail('EINVAL', `invalid file name "${name.toString()}"`);
  if (name.length > MAX_NAME_LEN) fail('ENAMETOOLONG', `name of ${name.length} bytes is longer than ${MAX_NAME_LEN}`);
  if (!isDir(dir.inode.i_mode)) fail('ENOTDIR', `inode ${dir.ino} is not a directory`);
  if (name.equals(DOT) || name.equals(DOTDOT) || (lookup && vol.lookup(dir, name))) fail('EEXIST', `${name.toString()} already exists`);
}

/** The parent's side of f2fs_add_link: entry, then i_pino/i_name of the child, then the parent's times and links. */
function link(vol: Volume, dirIno: number, name: DiskName, ino: number, mode: number, t: Timespec, newDir: boolean): void {
  addEntry(vol, dirIno, name.disk, ino, fileTypeOfMode(mode), name.hash);
  const encName = vol.crypto.isEncrypted(vol.inode(dirIno));
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_pino = dirIno;
    i.i_namelen = name.disk.length;
    i.i_name = name.disk;
    // init_dent_inode: i_name holds the ciphertext in an encrypted directory (FADVISE_ENC_NAME). Roll-forward has no
    // key to hash an encrypted casefolded name, so the hash follows it in i_name; without room, no roll-forward of
    // the entry (LOST_PINO).
    if (encName) i.i_advise |= Advise.ENC_NAME;
    if (name.hash === undefined) return;
    if (name.disk.length + INameHashTail.size <= MAX_NAME_LEN) i.i_name = Buffer.concat([name.disk, INameHashTail.encode({ hash: name.hash })]);
    else i.i_advise |= Advise.LOST_PINO;
  });
  editInode(vol.nm.nodeForUpdate(dirIno), (i) => {
    if (newDir) i.i_links++;
    setTimes(i, { m: t, c: t });
  });
}

/** A name as `dir` stores it, and its hash when that is not the stored name's (an encrypted casefolded directory). */
interface DiskName {
  disk: Buffer;
  hash?: number;
}

/**
 * The stored form of a name `dir` takes (fscrypt_setup_filename + f2fs_setup_filename): ciphertext in an encrypted
 * directory, ENOKEY without its key; in an encrypted casefolded one the hash is the folded plaintext's (SipHash).
 */
function diskNameIn(vol: Volume, dir: InodeInfo, name: Buffer): DiskName {
  const disk = vol.crypto.diskName(dir, name);
  if (disk === name || !isCasefolded(vol.sb, dir)) return { disk };
  return { disk, hash: dirFilename(vol.sb, dir, name, vol.crypto.dirhashKey(dir)).hash };
}

/** create/mkdir/mknod/symlink: a new inode named `name` in `dirIno`. */
export function createNode(vol: Volume, dirIno: number, name: Buffer, mode: number, opts: CreateOptions = {}): number {
  vol.requireWritable();
  const disk = diskNameIn(vol, vol.inode(dirIno), name);
  balanceFs(vol);
  const dir = vol.inode(dirIno);
  requireMutable(dir, 'create', true);
  requireNewName(vol, dir, name, !opts.absent);
  const t = opts.times ?? now();
  const ino = newInode(vol, dir, mode, name, { ...opts, times: t });
  link(vol, dirIno, disk, ino, mode, t, isDir(mode));
  return ino;
}

/** f2fs_link: another name for an existing non-directory. */
export function hardLink(vol: Volume, ino: number, dirIno: number, name: Buffer, t: Timespec = now()): void {
  vol.requireWritable();
  const target = vol.inode(ino);
  if (isDir(target.inode.i_mode)) fail('EISDIR', 'hard links to directories are not allowed');
  requireMutable(target, 'link');
  requireMutable(vol.inode(dirIno), 'link', true);
  const disk = diskNameIn(vol, vol.inode(dirIno), name);
  vol.crypto.requireLinkable(vol.inode(dirIno), target);
  requireNewName(vol, vol.inode(dirIno), name);
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_links++;
    setTimes(i, { c: t });
  });
  link(vol, dirIno, disk, ino, target.inode.i_mode, t, false);
}

/** f2fs_empty_dir: nothing but '.' and '..'. */
export function isEmptyDir(vol: Volume, info: InodeInfo): boolean {
  for (const d of vol.dirs.entries(info)) {
    const n = d.name.toString();
    if (n !== '.' && n !== '..') return false;
  }
  return true;
}

/** f2fs_evict_inode with nlink 0: every block, node and the nid of the inode go back. */
export function freeInode(vol: Volume, ino: number): void {
  const info = vol.inode(ino);
  vol.pages.drop(ino);
  // Only block-mapped inodes own their i_addr slots: inline data/dentries and device numbers live there otherwise.
  const mode = info.inode.i_mode;
  if ((isReg(mode) || isDir(mode) || isSymlink(mode)) && !hasInlineData(info) && !hasInlineDentry(info)) truncateBlocks(vol, info, 0);
  // What is left (the inode and its xattr node) leaves the quota with it.
  vol.quota?.chargeInode(ino, vol.nm.readNode(ino).raw, -1);
  const xnid = info.inode.i_xattr_nid;
  if (xnid) {
    vol.nm.freeNode(xnid, (a) => vol.sm.invalidate(a));
    vol.counts.nodes--;
    vol.counts.blocks--;
  }
  vol.nm.freeNode(ino, (a) => vol.sm.invalidate(a));
  vol.counts.nodes--;
  vol.counts.inodes--;
  vol.counts.blocks--;
}

/** Drops one name: the entry, then the inode's link count (freeing it at zero) and the parent's link for a directory. */
export function dropName(vol: Volume, dirIno: number, d: Dentry, t: Timespec): void {
  deleteEntry(vol, dirIno, d);
  dropLink(vol, dirIno, d.ino, t);
}

/** The inode's side of losing a name in `dirIno`: its link count (freed at zero), the parent's link for a directory. */
function dropLink(vol: Volume, dirIno: number, ino: number, t: Timespec): void {
  const dirChild = isDir(vol.inode(ino).inode.i_mode);
  editInode(vol.nm.nodeForUpdate(dirIno), (i) => {
    if (dirChild) i.i_links--;
    setTimes(i, { m: t, c: t });
  });
  let links = 0;
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_links = dirChild ? 0 : Math.max(0, i.i_links - 1);
    links = i.i_links;
    setTimes(i, { c: t });
  });
  if (links === 0) freeInode(vol, ino);
}

function entryOf(vol: Volume, dirIno: number, name: Buffer): Dentry {
  const dir = vol.inode(dirIno);
  if (!isDir(dir.inode.i_mode)) fail('ENOTDIR', `inode ${dirIno} is not a directory`);
  if (name.toString() === '.' || name.toString() === '..') fail('EINVAL', `cannot remove "${name.toString()}"`);
  const d = vol.lookup(dir, name);
  if (!d) return fail('ENOENT', `${name.toString()}: no such file or directory`);
  return d;
}

/** unlink (non-directories) and rmdir (empty directories); in an encrypted directory also by no-key name, as Linux allows. */
export function removeName(vol: Volume, dirIno: number, name: Buffer, expectDir: boolean, t: Timespec = now()): void {
  vol.requireWritable();
  const d = entryOf(vol, dirIno, name);
  const child = vol.inode(d.ino);
  requireMutable(vol.inode(dirIno), 'unlink');
  requireMutable(child, 'unlink');
  if (expectDir) {
    if (!isDir(child.inode.i_mode)) fail('ENOTDIR', `${name.toString()} is not a directory`);
    if (!isEmptyDir(vol, child)) fail('ENOTEMPTY', `${name.toString()}: directory not empty`);
  } else if (isDir(child.inode.i_mode)) fail('EISDIR', `${name.toString()} is a directory (${isEmptyDir(vol, child) ? 'use rmdir' : 'not empty: use rm -r'})`);
  dropName(vol, dirIno, d, t);
}

/** True when `ino` is `ancestor` or lies below it (a directory may not move into itself). */
function isBelow(vol: Volume, ino: number, ancestor: number): boolean {
  const seen = new Set<number>();
  for (let cur = ino; ; ) {
    if (cur === ancestor) return true;
    if (seen.has(cur)) return fail('CORRUPT', `the '..' entries from directory ${ino} loop at directory ${cur} without reaching the root`, { ino: cur });
    seen.add(cur);
    const parent = vol.parentOf(vol.inode(cur));
    if (parent === cur) return false;
    cur = parent;
  }
}

/** f2fs_rename: across directories and over an existing target of the same kind. */
export function rename(vol: Volume, oldDir: number, oldName: Buffer, newDir: number, newName: Buffer, t: Timespec = now()): void {
  vol.requireWritable();
  // fscrypt_prepare_rename: both directories' keys, and a policy the new directory permits when it changes.
  vol.crypto.requireDirKey(vol.inode(oldDir));
  const newDisk = diskNameIn(vol, vol.inode(newDir), newName);
  const src = entryOf(vol, oldDir, oldName);
  const srcInfo = vol.inode(src.ino);
  if (oldDir !== newDir) vol.crypto.requireLinkable(vol.inode(newDir), srcInfo);
  const srcIsDir = isDir(srcInfo.inode.i_mode);
  const ndir = vol.inode(newDir);
  if (!isDir(ndir.inode.i_mode)) fail('ENOTDIR', `inode ${newDir} is not a directory`);
  if (newName.length > MAX_NAME_LEN) fail('ENAMETOOLONG', `name of ${newName.length} bytes is longer than ${MAX_NAME_LEN}`);
  if (newName.length === 0 || newName.includes(0x2f) || newName.includes(0) || newName.toString() === '.' || newName.toString() === '..')
    fail('EINVAL', `invalid file name "${newName.toString()}"`);
  if (srcIsDir && isBelow(vol, newDir, src.ino)) fail('EINVAL', 'cannot move a directory into itself');
  const dst = vol.lookup(ndir, newName);
  if (dst && dst.ino === src.ino) return;
  // may_delete of the source (and of a replaced target), may_create in the new directory.
  requireMutable(vol.inode(oldDir), 'rename');
  requireMutable(srcInfo, 'rename');
  requireMutable(ndir, 'rename', !dst);
  if (dst) {
    const dstInfo = vol.inode(dst.ino);
    requireMutable(dstInfo, 'rename');
    if (isDir(dstInfo.inode.i_mode) !== srcIsDir) fail(srcIsDir ? 'ENOTDIR' : 'EISDIR', `${newName.toString()}: cannot replace a ${srcIsDir ? 'non-directory' : 'directory'}`);
    if (srcIsDir && !isEmptyDir(vol, dstInfo)) fail('ENOTEMPTY', `${newName.toString()}: directory not empty`);
    // f2fs_set_link: the target's entry (its slot, and in a casefolded directory its spelling) names the source now.
    setLink(vol, newDir, dst, src.ino, fileTypeOfMode(srcInfo.inode.i_mode));
    dropLink(vol, newDir, dst.ino, t);
  }
  deleteEntry(vol, oldDir, vol.lookup(vol.inode(oldDir), oldName)!);
  if (!dst) link(vol, newDir, newDisk, src.ino, srcInfo.inode.i_mode, t, srcIsDir && oldDir !== newDir);
  else if (srcIsDir && oldDir !== newDir) editInode(vol.nm.nodeForUpdate(newDir), (i) => void i.i_links++);
  editInode(vol.nm.nodeForUpdate(oldDir), (i) => {
    if (srcIsDir && oldDir !== newDir) i.i_links--;
    setTimes(i, { m: t, c: t });
  });
  editInode(vol.nm.nodeForUpdate(src.ino), (i) => {
    // Non-directories lose their reliable parent (fsync then checkpoints); a directory's pino follows it.
    if (!srcIsDir) i.i_advise |= Advise.LOST_PINO;
    else i.i_pino = newDir;
    setTimes(i, { c: t });
  });
  if (srcIsDir && oldDir !== newDir) setDotDot(vol, src.ino, newDir);
}

/** Points a directory's '..' at its new parent. */
function setDotDot(vol: Volume, ino: number, parent: number): void {
  const info = vol.inode(ino);
  const dd = vol.lookup(info, Buffer.from('..'));
  if (!dd) fail('CORRUPT', `directory ${ino} has no '..'`);
  setLink(vol, ino, dd!, parent, FileType.DIR);
}

/** An unlinked inode kept alive on the orphan list (O_TMPFILE style: f2fs_get_tmpfile), parented to `dirIno`. */
export function createOrphan(vol: Volume, dirIno: number, mode: number, name: Buffer, opts: CreateOptions = {}): number {
  vol.requireWritable();
  const dir = vol.inode(dirIno);
  // An O_TMPFILE inode keeps no name; in an encrypted directory it would need its own context first.
  if (vol.crypto.isEncrypted(dir)) fail('UNSUPPORTED', `directory ${dirIno} is encrypted: this tool makes no unnamed inodes there`);
  const ino = newInode(vol, dir, mode, name, { ...opts, tmpfile: true });
  editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_links = 0));
  vol.orphanSet.add(ino);
  return ino;
}
