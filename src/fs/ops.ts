// Path-level operations behind the mutating commands: resolve names (filespecs), then one namespace or file operation.
import { fail } from '../errors.js';
import { SYMLINK_MAX } from './layout/constants.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from './layout/dentry.js';
import { editInode, isDir, now } from './inode.js';
import { createNode, hardLink, parseInoSpec, removeName, rename, splitPath, type CreateOptions } from './namei.js';
import { blocksToWrite, setAttr, truncateFile, writeFile } from './file.js';
import { setXattr } from './xattr.js';
import { XATTR_HANDLERS, XATTR_PREFIXES, XattrIndex } from './layout/xattr.js';
import { ADVISE_MODIFIABLE, Advise } from './layout/node.js';
import { setFlags } from './flags.js';
import { sessionOf, truncateStaged, writeStaged } from './atomic.js';
import type { Volume } from './volume.js';
import { requireMutable } from './immutable.js';

export interface Where {
  cwd?: number;
}

/** Parent directory inode and last name of a path whose last component may not exist yet. */
export function parentOf(vol: Volume, p: string, where: Where = {}): { dir: number; name: Buffer } {
  if (parseInoSpec(p) !== null) fail('EINVAL', `${p}: an inode number names no directory entry`);
  const parts = splitPath(p);
  if (!parts.length) fail('EINVAL', `${p}: path names the root`);
  const name = Buffer.from(parts[parts.length - 1]);
  const dirPath = (p.startsWith('/') ? '/' : '') + parts.slice(0, -1).join('/');
  const dir = dirPath === '' ? (where.cwd ?? vol.sb.root_ino) : vol.resolve(dirPath, { cwd: where.cwd, follow: true }).ino;
  if (!isDir(vol.inode(dir).inode.i_mode)) fail('ENOTDIR', `${dirPath || '.'} is not a directory`);
  return { dir, name };
}

const exists = (vol: Volume, dir: number, name: Buffer) => vol.lookup(vol.inode(dir), name);

/** parentOf for a name to create: EEXIST names the path as given (namei only knows the last name). */
function newNameOf(vol: Volume, p: string, where: Where): { dir: number; name: Buffer } {
  const at = parentOf(vol, p, where);
  if (exists(vol, at.dir, at.name)) fail('EEXIST', `${p} already exists`);
  return at;
}

export function mkdir(vol: Volume, p: string, opts: Where & { parents?: boolean; mode?: number } & CreateOptions = {}): number {
  const mode = S_IFDIR | ((opts.mode ?? 0o755) & 0o7777);
  if (!opts.parents) {
    const { dir, name } = newNameOf(vol, p, opts);
    return createNode(vol, dir, name, mode, opts);
  }
  let cur = p.startsWith('/') ? vol.sb.root_ino : (opts.cwd ?? vol.sb.root_ino);
  for (const part of splitPath(p)) {
    const name = Buffer.from(part);
    const d = exists(vol, cur, name);
    if (d) {
      if (!isDir(vol.inode(d.ino).inode.i_mode)) fail('ENOTDIR', `${part} exists and is not a directory`);
      cur = d.ino;
    } else cur = createNode(vol, cur, name, mode, opts);
  }
  return cur;
}

/** The inode of an existing file, or a new regular file at `p`. */
function openOrCreate(vol: Volume, p: string, opts: Where & CreateOptions & { mode?: number }): number {
  if (parseInoSpec(p) !== null) return vol.resolve(p).ino;
  const { dir, name } = parentOf(vol, p, opts);
  const d = exists(vol, dir, name);
  if (d) return vol.resolve(p, { cwd: opts.cwd, follow: true }).ino;
  return createNode(vol, dir, name, S_IFREG | ((opts.mode ?? 0o644) & 0o7777), opts);
}

export interface WriteOptions extends Where, CreateOptions {
  offset?: number;
  append?: boolean;
  truncate?: boolean;
  mode?: number;
}

/**
 * ENOSPC up front for a write of `len` bytes to `p` that cannot fit, before the file is made or anything moves (making
 * it, or a block of it, may clean and checkpoint first): what a command that is all or nothing checks. writePath
 * itself makes the file and then fails, as open(O_CREAT) and write(2) do.
 */
export function requireWriteSpace(vol: Volume, p: string, len: number, opts: WriteOptions = {}): void {
  if (!len || parseInoSpec(p) !== null) return;
  const { dir, name } = parentOf(vol, p, opts);
  const d = exists(vol, dir, name);
  const info = d ? vol.inode(vol.resolve(p, { cwd: opts.cwd, follow: true }).ino) : null;
  if (info && sessionOf(vol, info.ino)) return; // staged: the atomic write's own accounting
  const pos = opts.append && info ? info.inode.i_size : (opts.offset ?? 0);
  vol.requireSpace(blocksToWrite(vol, opts.truncate ? null : info, pos, pos + len), `a write of ${len} bytes`);
}

export function writePath(vol: Volume, p: string, data: Buffer, opts: WriteOptions = {}): { ino: number; size: number; staged: boolean } {
  const ino = openOrCreate(vol, p, opts);
  // A file in an atomic session takes writes into its staged copy.
  const session = sessionOf(vol, ino);
  if (session) {
    if (opts.truncate) truncateStaged(vol, ino, 0);
    const pos = opts.append ? sessionOf(vol, ino)!.stagedSize : (opts.offset ?? 0);
    return { ino, size: writeStaged(vol, ino, pos, data).stagedSize, staged: true };
  }
  if (opts.truncate) truncateFile(vol, ino, 0, opts.times);
  const pos = opts.append ? vol.inode(ino).inode.i_size : (opts.offset ?? 0);
  writeFile(vol, ino, pos, data, opts.times);
  return { ino, size: vol.inode(ino).inode.i_size, staged: false };
}

export function touch(vol: Volume, p: string, opts: Where & CreateOptions = {}): number {
  const ino = openOrCreate(vol, p, opts);
  const t = opts.times;
  const at = t ?? now();
  setAttr(vol, ino, { atime: at, mtime: at }, t);
  return ino;
}

export function remove(vol: Volume, p: string, opts: Where & { recursive?: boolean; dir?: boolean } = {}): number {
  const { dir, name } = parentOf(vol, p, opts);
  if (!exists(vol, dir, name)) fail('ENOENT', `${p}: no such file or directory`);
  return opts.recursive ? removeTree(vol, dir, name, p.replace(/\/+$/, ''), new Set([dir])) : (removeName(vol, dir, name, opts.dir ?? false), 1);
}

/** rm -r: children first, by their raw on-disk names (which need not be UTF-8); `above` are the directories on the way down. */
function removeTree(vol: Volume, dir: number, name: Buffer, path: string, above: Set<number>): number {
  const d = exists(vol, dir, name)!;
  const child = vol.inode(d.ino);
  if (!isDir(child.inode.i_mode)) {
    removeName(vol, dir, name, false);
    return 1;
  }
  if (above.has(d.ino)) fail('CORRUPT', `${path}: directory inode ${d.ino} is its own ancestor (a directory cycle)`, { ino: d.ino });
  above.add(d.ino);
  let count = 0;
  for (const e of [...vol.dirs.entries(child)]) {
    const n = e.name.toString('latin1');
    if (n !== '.' && n !== '..') count += removeTree(vol, d.ino, e.name, `${path}/${e.name.toString()}`, above);
  }
  above.delete(d.ino);
  removeName(vol, dir, name, true);
  return count + 1;
}

/** mv: onto a new name, over an existing one, or into an existing directory. */
export function move(vol: Volume, src: string, dst: string, opts: Where = {}): void {
  const from = parentOf(vol, src, opts);
  let to: { dir: number; name: Buffer };
  const dstParts = splitPath(dst);
  if (!dstParts.length) to = { dir: vol.sb.root_ino, name: from.name };
  else {
    to = parentOf(vol, dst, opts);
    const d = exists(vol, to.dir, to.name);
    if (d && isDir(vol.inode(d.ino).inode.i_mode) && !isDir(vol.inode(vol.resolve(src, opts).ino).inode.i_mode)) to = { dir: d.ino, name: from.name };
  }
  rename(vol, from.dir, from.name, to.dir, to.name);
}

export function link(vol: Volume, target: string, linkPath: string, opts: Where = {}): number {
  const ino = vol.resolve(target, { cwd: opts.cwd }).ino;
  const { dir, name } = newNameOf(vol, linkPath, opts);
  hardLink(vol, ino, dir, name);
  return ino;
}

/** A symlink target as stored (the link's data): not empty, shorter than a block. */
export function symlinkTarget(target: string | Buffer): Buffer {
  const t = Buffer.from(target);
  if (!t.length) fail('EINVAL', 'empty symlink target');
  if (t.length > SYMLINK_MAX) fail('ENAMETOOLONG', `symlink target of ${t.length} bytes is too long`);
  return t;
}

export function symlinkIn(vol: Volume, dir: number, name: Buffer, target: Buffer, opts: CreateOptions): number {
  vol.crypto.requireSymlinkFits(vol.inode(dir), target);
  const ino = createNode(vol, dir, name, S_IFLNK | 0o777, opts);
  // fscrypt_encrypt_symlink: in an encrypted directory the link holds its target encrypted with its own key.
  const info = vol.inode(ino);
  writeFile(vol, ino, 0, vol.crypto.isEncrypted(info) ? vol.crypto.symlinkData(info, target) : target, opts.times);
  return ino;
}

export function symlink(vol: Volume, target: string, linkPath: string, opts: Where & CreateOptions = {}): number {
  const t = symlinkTarget(target);
  const { dir, name } = newNameOf(vol, linkPath, opts);
  return symlinkIn(vol, dir, name, t, opts);
}

export const NODE_TYPES = { fifo: S_IFIFO, socket: S_IFSOCK, char: S_IFCHR, block: S_IFBLK } as const;
type NodeType = keyof typeof NODE_TYPES;

export function mknodIn(vol: Volume, dir: number, name: Buffer, type: NodeType, opts: CreateOptions & { mode?: number }): number {
  if ((type === 'char' || type === 'block') && !opts.rdev) fail('USAGE', `${type} devices need a major and a minor number`);
  return createNode(vol, dir, name, NODE_TYPES[type] | ((opts.mode ?? 0o644) & 0o7777), { ...opts, rdev: type === 'char' || type === 'block' ? opts.rdev : undefined });
}

export function mknod(vol: Volume, p: string, type: NodeType, opts: Where & CreateOptions & { mode?: number } = {}): number {
  const { dir, name } = newNameOf(vol, p, opts);
  return mknodIn(vol, dir, name, type, opts);
}

export function truncatePath(vol: Volume, p: string, size: number, opts: Where = {}): { staged: boolean } {
  const ino = vol.resolve(p, { cwd: opts.cwd, follow: true }).ino;
  if (sessionOf(vol, ino)) {
    truncateStaged(vol, ino, size);
    return { staged: true };
  }
  truncateFile(vol, ino, size);
  return { staged: false };
}

export function setAttrPath(vol: Volume, p: string, change: Parameters<typeof setAttr>[2], opts: Where = {}): number {
  const ino = vol.resolve(p, { cwd: opts.cwd, follow: true }).ino;
  setAttr(vol, ino, change);
  return ino;
}

export function setFlagsPath(vol: Volume, p: string, set: number, clear: number, opts: Where = {}): { ino: number; flags: number } {
  const ino = vol.resolve(p, { cwd: opts.cwd, follow: true }).ino;
  return { ino, flags: setFlags(vol, ino, { set, clear }) };
}

/**
 * setxattr/removexattr as the VFS resolves a name to one of f2fs_xattr_handlers: none is EOPNOTSUPP (encryption.
 * and verity. hold fscrypt's context and fs-verity's descriptor, which set-policy and verity-enable write), a prefix
 * alone is EINVAL, and system.advise is no stored xattr but i_advise's modifiable bits (f2fs_xattr_advise_set).
 */
export function xattrSetPath(vol: Volume, p: string, name: string, value: Buffer | null, opts: Where = {}): void {
  const ino = vol.resolve(p, { cwd: opts.cwd }).ino;
  requireMutable(vol.inode(ino), 'setxattr'); // xattr_permission
  const handler = XATTR_HANDLERS.find((h) => (h.prefix ? name.startsWith(XATTR_PREFIXES[h.index]) : name === XATTR_PREFIXES[h.index]));
  if (!handler) {
    const writer = name.startsWith(XATTR_PREFIXES[XattrIndex.ENCRYPTION]) ? 'set-policy' : name.startsWith(XATTR_PREFIXES[XattrIndex.VERITY]) ? 'verity-enable' : null;
    return fail('EOPNOTSUPP', `${name}: Linux has no xattr handler for this name${writer ? ` (${writer} writes it)` : ''}`);
  }
  if (handler.prefix && name === XATTR_PREFIXES[handler.index]) fail('EINVAL', `${name}: no name after the namespace prefix`);
  if (handler.index === XattrIndex.ADVISE) return setAdvise(vol, ino, value);
  setXattr(vol, ino, name, value);
}

/** f2fs_xattr_advise_set: the value's first byte, cold and hot bits only, replaces those bits of i_advise. */
function setAdvise(vol: Volume, ino: number, value: Buffer | null): void {
  if (!value?.length) return fail('EINVAL', 'system.advise needs a one-byte value (it is i_advise, which cannot be removed)');
  if (value[0] & ~ADVISE_MODIFIABLE) fail('EINVAL', `system.advise: 0x${value[0].toString(16)} sets bits other than cold (0x${Advise.COLD.toString(16)}) and hot (0x${Advise.HOT.toString(16)})`);
  editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_advise = (i.i_advise & ~ADVISE_MODIFIABLE) | value[0]));
}
