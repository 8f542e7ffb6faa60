/**
 * An in-memory model of a POSIX tree as f2fsdbg's path operations (src/fs/ops.ts) define it, plus comparators:
 *
 *   - Model: directories, regular files with sparse content, symlinks, hard links (shared nodes), fifos and
 *     devices, modes, owners and xattrs. Each mutating method mirrors one ops.ts call, including the order of its
 *     checks, and throws ModelError with the F2fsError code the image is expected to give.
 *   - compareVolume(vol, model): reads the image through the Volume API and lists every difference
 *     (types, modes, owners, sizes, content md5, nlink, hard-link identity, symlink targets, rdev, xattrs, '..').
 *   - parseKernelListing / compareListing: the same against the kernel's listing from fixtures/guest/listing.sh.
 *
 * File blocks held by the model are never mutated in place, so clone() (a snapshot for power-cut checks) can
 * share them.
 */
import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../src/errors.js';
import type { Volume } from '../../src/fs/volume.js';
import { deviceNumber, type InodeInfo } from '../../src/fs/inode.js';
import { encryptedSize } from '../../src/fs/crypto.js';

export const BLK = 4096;
const ZERO = Buffer.alloc(BLK);
const ADDRS_PER_BLOCK = 1018;
const NIDS_PER_BLOCK = 1018;
const NODE_BODY_SIZE = 4072; // an xattr node's usable bytes
/** The entry of a v2 fscrypt context ("c", 40 bytes) in the xattr area. */
export const FSCRYPT_CONTEXT_ENTRY = 48;
/** Policy flags of the encrypted directories modelled: set-policy's default padding of 32. */
const FSCRYPT_PAD_FLAGS = 3;
const XATTR_HEADER = 24;
const MAX_NAME = 255;
/**
 * Files up to this size are compared by the md5 of a whole read (holes included); bigger ones (mostly sparse) by a
 * digest of their non-zero blocks, reading on the image only the blocks its block map holds.
 */
export const FULL_HASH_LIMIT = 4 * 1024 * 1024;

export type Kind = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev' | 'socket';

export const KIND_BITS: Record<Kind, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  fifo: 0o010000,
  chardev: 0o020000,
  blockdev: 0o060000,
  socket: 0o140000,
};
const KIND_OF = new Map(Object.entries(KIND_BITS).map(([k, v]) => [v, k as Kind]));
export const kindOfMode = (mode: number): Kind | undefined => KIND_OF.get(mode & 0o170000);

export class ModelError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
const fail = (code: ErrorCode, msg: string): never => {
  throw new ModelError(code, msg);
};

let nextId = 1;

export class MNode {
  readonly id = nextId++;
  perm: number;
  uid = 0;
  gid = 0;
  /** Names pointing at this node (non-directories); directories have exactly one. */
  links = 0;
  /** Regular files: i_size and the written 4 KiB blocks (immutable buffers; bytes past size are zero). */
  size = 0;
  blocks = new Map<number, Buffer>();
  target = '';
  rdev?: { major: number; minor: number };
  xattrs = new Map<string, Buffer>();
  /** Bytes of inline xattr area (200 for every inode f2fsdbg or Linux creates; 0 for mkfs's root and lost+found). */
  inlineXattr = 200;
  /** Xattrs the file system keeps for itself (fscrypt's "encryption.c", fs-verity's "verity.v"): name -> entry bytes. */
  hiddenXattrs = new Map<string, number>();
  /** fscrypt: created below an encrypted directory (regular files, directories, symlinks), as fscrypt_prepare_new_inode. */
  encrypted = false;
  /** fs-verity: writes and truncates are EPERM. */
  verity = false;
  /** Content changed since the last comparison that covered it (see CompareOptions.onlyChangedContent). */
  changed = true;
  entries?: Map<string, MNode>;
  parent?: MNode;

  constructor(
    readonly kind: Kind,
    perm: number,
  ) {
    this.perm = perm & 0o7777;
    if (kind === 'dir') this.entries = new Map();
  }

  get isDir(): boolean {
    return this.kind === 'dir';
  }

  /** st_nlink: names for a non-directory, 2 + subdirectories for a directory. */
  get nlink(): number {
    if (!this.entries) return this.links;
    let n = 2;
    for (const c of this.entries.values()) if (c.isDir) n++;
    return n;
  }

  /** st_size as f2fs reports it (directories: not modelled, -1). */
  get statSize(): number {
    if (this.kind === 'file') return this.size;
    if (this.kind === 'symlink') return Buffer.byteLength(this.target);
    if (this.kind === 'dir') return -1;
    return 0;
  }

  /** Bytes held in written blocks (a rough measure of the space the file uses). */
  get storedBytes(): number {
    return this.blocks.size * BLK;
  }

  /* ---- file content ---- */

  write(pos: number, data: Buffer): void {
    this.changed = true;
    const end = pos + data.length;
    for (let b = Math.floor(pos / BLK); b * BLK < end; b++) {
      const bs = b * BLK;
      const from = Math.max(pos, bs);
      const to = Math.min(end, bs + BLK);
      const blk = Buffer.from(this.blocks.get(b) ?? ZERO);
      data.copy(blk, from - bs, from - pos, to - pos);
      this.blocks.set(b, blk);
    }
    if (end > this.size) this.size = end;
  }

  truncate(size: number): void {
    this.changed = true;
    if (size < this.size) {
      const keep = Math.ceil(size / BLK);
      for (const b of [...this.blocks.keys()]) if (b >= keep) this.blocks.delete(b);
      const tail = size % BLK;
      const last = this.blocks.get(keep - 1);
      if (tail && last) {
        const blk = Buffer.from(last);
        blk.fill(0, tail);
        this.blocks.set(keep - 1, blk);
      }
    }
    this.size = size;
  }

  read(pos: number, len: number): Buffer {
    const end = Math.min(this.size, pos + len);
    if (pos >= end) return Buffer.alloc(0);
    const out = Buffer.alloc(end - pos);
    for (let b = Math.floor(pos / BLK); b * BLK < end; b++) {
      const blk = this.blocks.get(b);
      if (!blk) continue;
      const bs = b * BLK;
      const from = Math.max(pos, bs);
      const to = Math.min(end, bs + BLK);
      blk.copy(out, from - pos, from - bs, to - bs);
    }
    return out;
  }

  /** md5 of the whole content (only for files up to FULL_HASH_LIMIT: holes are hashed as zeros). */
  md5(): string {
    const h = createHash('md5');
    const n = Math.ceil(this.size / BLK);
    for (let b = 0; b < n; b++) {
      const blk = this.blocks.get(b) ?? ZERO;
      h.update(b === n - 1 && this.size % BLK ? blk.subarray(0, this.size % BLK) : blk);
    }
    return h.digest('hex');
  }

  /** md5 of [off, off+len). */
  rangeMd5(off: number, len: number): string {
    return createHash('md5').update(this.read(off, len)).digest('hex');
  }

  /** Digest of a sparse file: size, then each non-zero block with its index. */
  sparseDigest(): string {
    const h = createHash('md5');
    h.update(`size ${this.size}\n`);
    for (const b of [...this.blocks.keys()].sort((x, y) => x - y)) {
      const blk = this.blocks.get(b)!;
      if (blk.equals(ZERO)) continue;
      h.update(`block ${b}\n`);
      h.update(blk);
    }
    return h.digest('hex');
  }
}

export interface ModelOptions {
  /** mkfs made /lost+found (feature lost_found). */
  lostFound?: boolean;
  /** extra_attr: 9 fewer address slots in every inode (the largest file is smaller). */
  extraAttr?: boolean;
}

export interface ResolvedM {
  node: MNode;
  parent?: MNode;
  name?: string;
}

const split = (p: string) => p.split('/').filter((c) => c.length > 0);

export class Model {
  root: MNode;
  readonly maxFileBlocks: number;

  constructor(readonly opts: ModelOptions = {}) {
    this.root = new MNode('dir', 0o755);
    this.root.links = 1;
    this.root.inlineXattr = 0;
    this.root.parent = this.root;
    if (opts.lostFound) {
      const lf = new MNode('dir', 0o700);
      lf.inlineXattr = 0;
      lf.links = 1;
      lf.parent = this.root;
      this.root.entries!.set('lost+found', lf);
    }
    const addrs = 923 - (opts.extraAttr ? 9 : 0) - 50;
    this.maxFileBlocks = addrs + 2 * ADDRS_PER_BLOCK + 2 * ADDRS_PER_BLOCK * NIDS_PER_BLOCK + ADDRS_PER_BLOCK * NIDS_PER_BLOCK * NIDS_PER_BLOCK;
  }

  /** An independent copy (file blocks shared: they are immutable). */
  clone(): Model {
    const m = Object.create(Model.prototype) as Model;
    Object.assign(m, { opts: this.opts, maxFileBlocks: this.maxFileBlocks });
    const map = new Map<MNode, MNode>();
    const copy = (n: MNode, parent: MNode | undefined): MNode => {
      const seen = map.get(n);
      if (seen) return seen;
      const c = new MNode(n.kind, n.perm);
      map.set(n, c);
      Object.assign(c, { uid: n.uid, gid: n.gid, links: n.links, size: n.size, target: n.target, rdev: n.rdev, inlineXattr: n.inlineXattr, changed: true });
      Object.assign(c, { hiddenXattrs: new Map(n.hiddenXattrs), encrypted: n.encrypted, verity: n.verity });
      c.blocks = new Map(n.blocks);
      c.xattrs = new Map(n.xattrs);
      if (n.entries) {
        c.parent = parent ?? c;
        for (const [name, child] of n.entries) c.entries!.set(name, copy(child, c));
      }
      return c;
    };
    m.root = copy(this.root, undefined);
    return m;
  }

  /* ---- lookups (src/fs/namei.ts resolve, ops.ts parentOf) ---- */

  resolve(spec: string, follow = false): ResolvedM {
    let budget = 40;
    const walk = (start: MNode, path: string, followLast: boolean): ResolvedM => {
      let cur = path.startsWith('/') ? this.root : start;
      const parts = split(path);
      let parent: MNode | undefined;
      let last: string | undefined;
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i];
        if (Buffer.byteLength(name) > MAX_NAME) fail('ENAMETOOLONG', `name too long in ${path}`);
        if (!cur.isDir) fail('ENOTDIR', `${parts.slice(0, i).join('/') || '/'} is not a directory`);
        const d = name === '.' ? cur : name === '..' ? cur.parent! : cur.entries!.get(name);
        if (!d) return fail('ENOENT', `${path}: no such file or directory`);
        parent = cur;
        last = name;
        const isLast = i === parts.length - 1;
        if (d.kind === 'symlink' && (!isLast || followLast)) {
          if (--budget < 0) fail('ELOOP', `${path}: too many levels of symbolic links`);
          const r = walk(cur, d.target, true);
          cur = r.node;
          parent = r.parent;
          last = r.name;
          continue;
        }
        cur = d;
      }
      return { node: cur, parent, name: last };
    };
    return walk(this.root, spec, follow);
  }

  /** The node at `p` or undefined (no symlink following at the end). */
  get(p: string): MNode | undefined {
    try {
      return this.resolve(p).node;
    } catch (e) {
      if (e instanceof ModelError) return undefined;
      throw e;
    }
  }

  parentOf(p: string): { dir: MNode; name: string } {
    const parts = split(p);
    if (!parts.length) fail('EINVAL', `${p}: path names the root`);
    const name = parts[parts.length - 1];
    const dirPath = (p.startsWith('/') ? '/' : '') + parts.slice(0, -1).join('/');
    const dir = dirPath === '' ? this.root : this.resolve(dirPath, true).node;
    if (!dir.isDir) fail('ENOTDIR', `${dirPath || '.'} is not a directory`);
    return { dir, name };
  }

  /* ---- namespace (namei.ts) ---- */

  private requireNewName(dir: MNode, name: string): void {
    if (name.length === 0 || name.includes('/') || name.includes('\0')) fail('EINVAL', `invalid file name "${name}"`);
    if (Buffer.byteLength(name) > MAX_NAME) fail('ENAMETOOLONG', `name of ${Buffer.byteLength(name)} bytes`);
    if (!dir.isDir) fail('ENOTDIR', 'not a directory');
    if (name === '.' || name === '..' || dir.entries!.has(name)) fail('EEXIST', `${name} already exists`);
  }

  private create(dir: MNode, name: string, kind: Kind, perm: number, extra: { uid?: number; gid?: number; rdev?: { major: number; minor: number } } = {}): MNode {
    this.requireNewName(dir, name);
    const n = new MNode(kind, perm);
    n.uid = extra.uid ?? 0;
    n.gid = extra.gid ?? 0;
    n.rdev = extra.rdev;
    n.links = 1;
    if (n.isDir) n.parent = dir;
    if (dir.encrypted && (kind === 'file' || kind === 'dir' || kind === 'symlink')) {
      n.encrypted = true;
      n.hiddenXattrs.set('encryption.c', FSCRYPT_CONTEXT_ENTRY);
    }
    dir.entries!.set(name, n);
    return n;
  }

  private isEmptyDir(n: MNode): boolean {
    return n.entries!.size === 0;
  }

  private dropName(dir: MNode, name: string): void {
    const n = dir.entries!.get(name)!;
    dir.entries!.delete(name);
    n.links = n.isDir ? 0 : n.links - 1;
  }

  private entryOf(dir: MNode, name: string): MNode {
    if (!dir.isDir) fail('ENOTDIR', 'not a directory');
    if (name === '.' || name === '..') fail('EINVAL', `cannot remove "${name}"`);
    const d = dir.entries!.get(name);
    if (!d) return fail('ENOENT', `${name}: no such file or directory`);
    return d;
  }

  private removeName(dir: MNode, name: string, expectDir: boolean): void {
    const child = this.entryOf(dir, name);
    if (expectDir) {
      if (!child.isDir) fail('ENOTDIR', `${name} is not a directory`);
      if (!this.isEmptyDir(child)) fail('ENOTEMPTY', `${name}: directory not empty`);
    } else if (child.isDir) fail('EISDIR', `${name} is a directory`);
    this.dropName(dir, name);
  }

  private isBelow(n: MNode, ancestor: MNode): boolean {
    for (let cur = n; ; cur = cur.parent!) {
      if (cur === ancestor) return true;
      if (cur === this.root) return false;
    }
  }

  private rename(oldDir: MNode, oldName: string, newDir: MNode, newName: string): void {
    const src = this.entryOf(oldDir, oldName);
    if (!newDir.isDir) fail('ENOTDIR', 'not a directory');
    if (Buffer.byteLength(newName) > MAX_NAME) fail('ENAMETOOLONG', 'name too long');
    if (newName.length === 0 || newName.includes('/') || newName.includes('\0') || newName === '.' || newName === '..') fail('EINVAL', `invalid file name "${newName}"`);
    if (src.isDir && this.isBelow(newDir, src)) fail('EINVAL', 'cannot move a directory into itself');
    const dst = newDir.entries!.get(newName);
    if (dst && dst === src) return;
    if (dst) {
      if (dst.isDir !== src.isDir) fail(src.isDir ? 'ENOTDIR' : 'EISDIR', `${newName}: cannot replace`);
      if (src.isDir && !this.isEmptyDir(dst)) fail('ENOTEMPTY', `${newName}: directory not empty`);
      this.dropName(newDir, newName);
    }
    oldDir.entries!.delete(oldName);
    newDir.entries!.set(newName, src);
    if (src.isDir) src.parent = newDir;
  }

  /* ---- ops.ts ---- */

  mkdir(p: string, opts: { parents?: boolean; mode?: number; uid?: number; gid?: number } = {}): MNode {
    const perm = (opts.mode ?? 0o755) & 0o7777;
    if (!opts.parents) {
      const { dir, name } = this.parentOf(p);
      return this.create(dir, name, 'dir', perm, opts);
    }
    let cur = this.root;
    for (const part of split(p)) {
      const d = cur.entries!.get(part);
      if (d) {
        if (!d.isDir) fail('ENOTDIR', `${part} exists and is not a directory`);
        cur = d;
      } else cur = this.create(cur, part, 'dir', perm, opts);
    }
    return cur;
  }

  private openOrCreate(p: string, mode?: number): MNode {
    const { dir, name } = this.parentOf(p);
    if (dir.entries!.has(name)) return this.resolve(p, true).node;
    return this.create(dir, name, 'file', (mode ?? 0o644) & 0o7777);
  }

  private requireFile(n: MNode): void {
    if (n.isDir) fail('EISDIR', 'is a directory');
    if (n.kind !== 'file' && n.kind !== 'symlink') fail('EINVAL', 'not a regular file');
    if (n.verity) fail('EPERM', 'a verity file');
  }

  private writeNode(n: MNode, pos: number, data: Buffer): void {
    this.requireFile(n);
    if (Math.ceil((pos + data.length) / BLK) > this.maxFileBlocks) fail('EINVAL', 'write exceeds the largest F2FS file');
    if (data.length) n.write(pos, data);
  }

  private truncateNode(n: MNode, size: number): void {
    this.requireFile(n);
    if (Math.ceil(size / BLK) > this.maxFileBlocks) fail('EINVAL', `size ${size} exceeds the largest F2FS file`);
    n.truncate(size);
  }

  write(p: string, data: Buffer, opts: { offset?: number; append?: boolean; truncate?: boolean; mode?: number } = {}): MNode {
    const n = this.openOrCreate(p, opts.mode);
    if (opts.truncate) this.truncateNode(n, 0);
    const pos = opts.append ? n.size : (opts.offset ?? 0);
    this.writeNode(n, pos, data);
    return n;
  }

  touch(p: string): MNode {
    return this.openOrCreate(p);
  }

  remove(p: string, opts: { recursive?: boolean; dir?: boolean } = {}): number {
    const { dir, name } = this.parentOf(p);
    const d = dir.entries!.get(name);
    if (!d) return fail('ENOENT', `${p}: no such file or directory`);
    let count = 0;
    if (d.isDir && opts.recursive) {
      const rec = (parent: MNode, nm: string): void => {
        const n = parent.entries!.get(nm)!;
        if (n.isDir) {
          for (const c of [...n.entries!.keys()]) rec(n, c);
          this.removeName(parent, nm, true);
        } else this.removeName(parent, nm, false);
        count++;
      };
      for (const c of [...d.entries!.keys()]) rec(d, c);
      this.removeName(dir, name, true);
    } else this.removeName(dir, name, opts.dir ?? false);
    return count + 1;
  }

  move(src: string, dst: string): void {
    const from = this.parentOf(src);
    let to: { dir: MNode; name: string };
    if (!split(dst).length) to = { dir: this.root, name: from.name };
    else {
      to = this.parentOf(dst);
      const d = to.dir.entries!.get(to.name);
      if (d && d.isDir && !this.resolve(src).node.isDir) to = { dir: d, name: from.name };
    }
    this.rename(from.dir, from.name, to.dir, to.name);
  }

  link(target: string, linkPath: string): MNode {
    const t = this.resolve(target).node;
    const { dir, name } = this.parentOf(linkPath);
    if (t.isDir) fail('EISDIR', 'hard links to directories are not allowed');
    this.requireNewName(dir, name);
    t.links++;
    dir.entries!.set(name, t);
    return t;
  }

  symlink(target: string, linkPath: string): MNode {
    if (!target.length) fail('EINVAL', 'empty symlink target');
    if (Buffer.byteLength(target) >= BLK) fail('ENAMETOOLONG', 'symlink target too long');
    const { dir, name } = this.parentOf(linkPath);
    // fscrypt_prepare_symlink: the encrypted target (padded, 2-byte length, NUL) must fit a block.
    if (dir.encrypted) {
      this.requireNewName(dir, name);
      if (Buffer.byteLength(target) > BLK - 3) fail('ENAMETOOLONG', 'symlink target too long once encrypted');
    }
    const n = this.create(dir, name, 'symlink', 0o777);
    n.target = target;
    return n;
  }

  mknod(p: string, type: 'fifo' | 'socket' | 'char' | 'block', opts: { mode?: number; rdev?: { major: number; minor: number } } = {}): MNode {
    const { dir, name } = this.parentOf(p);
    if ((type === 'char' || type === 'block') && !opts.rdev) fail('USAGE', `${type} devices need a major and a minor number`);
    const kind: Kind = type === 'char' ? 'chardev' : type === 'block' ? 'blockdev' : type;
    return this.create(dir, name, kind, (opts.mode ?? 0o644) & 0o7777, { rdev: type === 'char' || type === 'block' ? opts.rdev : undefined });
  }

  truncate(p: string, size: number): void {
    this.truncateNode(this.resolve(p, true).node, size);
  }

  setAttr(p: string, change: { mode?: number; uid?: number; gid?: number }): void {
    const n = this.resolve(p, true).node;
    if (change.mode !== undefined) n.perm = change.mode & 0o7777;
    if (change.uid !== undefined) n.uid = change.uid;
    if (change.gid !== undefined) n.gid = change.gid;
  }

  /** xattrSetPath: set (value) or remove (null); the capacity rule is src/fs/xattr.ts's (header + entries + 4-byte end mark). */
  xattrSet(p: string, name: string, value: Buffer | null): void {
    const n = this.resolve(p).node;
    const stored = xattrStoredName(name);
    if (stored === null) return fail('EOPNOTSUPP', `${name}: no xattr handler for this namespace`);
    if (Buffer.byteLength(stored, 'latin1') > MAX_NAME) fail('ENAMETOOLONG', 'xattr name too long');
    if (value === null) {
      if (!n.xattrs.has(name)) fail('ENODATA', `no xattr ${name}`);
      n.xattrs.delete(name);
      return;
    }
    const next = new Map(n.xattrs);
    next.set(name, value);
    const hidden = [...n.hiddenXattrs.values()].reduce((a, b) => a + b, 0);
    if (xattrUsed(next) + hidden > n.inlineXattr + NODE_BODY_SIZE) fail('ENOSPC', `xattrs of ${p} would not fit`);
    n.xattrs = next;
  }

  /* ---- walking ---- */

  /** Every [path, node] in the tree, parents before children, names sorted ("/" first). */
  walk(): [string, MNode][] {
    const out: [string, MNode][] = [['/', this.root]];
    const rec = (dir: MNode, path: string) => {
      for (const name of [...dir.entries!.keys()].sort()) {
        const n = dir.entries!.get(name)!;
        const p = path === '/' ? `/${name}` : `${path}/${name}`;
        out.push([p, n]);
        if (n.isDir) rec(n, p);
      }
    };
    rec(this.root, '/');
    return out;
  }
}

const XATTR_PREFIXES = ['user.', 'trusted.', 'security.', 'system.posix_acl_access', 'system.posix_acl_default', 'system.advise'];
/** The name as stored after its namespace prefix, or null for an unsupported namespace. */
export function xattrStoredName(full: string): string | null {
  let best: string | null = null;
  for (const p of XATTR_PREFIXES) if (full.startsWith(p) && (!best || p.length > best.length)) best = p;
  return best === null ? null : full.slice(best.length);
}
const align4 = (n: number) => (n + 3) & ~3;
export function xattrUsed(x: Map<string, Buffer>): number {
  let n = XATTR_HEADER + 4;
  for (const [k, v] of x) n += align4(4 + Buffer.byteLength(xattrStoredName(k)!, 'latin1') + v.length);
  return n;
}

/* ---------------- image vs model ---------------- */

const hex = (b: Buffer) => b.toString('hex');

function imageMd5(vol: Volume, info: InodeInfo, size: number): string {
  const h = createHash('md5');
  const CH = 8 << 20;
  for (let off = 0; off < size; off += CH) h.update(vol.data.read(info, off, Math.min(CH, size - off)));
  return h.digest('hex');
}

/** Same digest as MNode.sparseDigest, from the image: every mapped block read through vol.data.read. */
function imageSparseDigest(vol: Volume, info: InodeInfo, size: number): string {
  const h = createHash('md5');
  h.update(`size ${size}\n`);
  const mapped: number[] = [];
  vol.data.walk(info, 0, Math.ceil(size / BLK), (bidx) => mapped.push(bidx));
  for (const b of mapped) {
    const blk = Buffer.concat([vol.data.read(info, b * BLK, BLK)], BLK);
    if (blk.equals(ZERO)) continue;
    h.update(`block ${b}\n`);
    h.update(blk);
  }
  return h.digest('hex');
}

export interface CompareOptions {
  /** Stop collecting after this many differences (default 50). */
  maxDiffs?: number;
  /** Skip content comparison (structure, modes, sizes, xattrs only). */
  skipContent?: boolean;
  /**
   * Compare the content only of files whose model node changed since the last comparison (everything else is still
   * compared); when the comparison finds no difference, the compared nodes are marked unchanged.
   */
  onlyChangedContent?: boolean;
}

/** Every difference between the image (read through `vol`) and the model; [] when they agree. */
export function compareVolume(vol: Volume, model: Model, opts: CompareOptions = {}): string[] {
  const diffs: string[] = [];
  const max = opts.maxDiffs ?? 50;
  const add = (s: string) => {
    if (diffs.length < max) diffs.push(s);
  };
  const inoOf = new Map<MNode, number>();
  const nodeOf = new Map<number, MNode>();

  const checkNode = (path: string, n: MNode, ino: number, parentIno: number): void => {
    const seen = inoOf.get(n);
    if (seen !== undefined) {
      if (seen !== ino) add(`${path}: hard link of inode ${seen} but names inode ${ino}`);
      return; // already compared through its first name
    }
    const other = nodeOf.get(ino);
    if (other) {
      add(`${path}: inode ${ino} is shared with another, distinct model node (${other.kind})`);
      return;
    }
    inoOf.set(n, ino);
    nodeOf.set(ino, n);
    let info: InodeInfo;
    try {
      info = vol.inode(ino);
    } catch (e) {
      add(`${path}: inode ${ino} unreadable: ${(e as Error).message}`);
      return;
    }
    const i = info.inode;
    const kind = kindOfMode(i.i_mode);
    if (kind !== n.kind) {
      add(`${path}: type ${kind ?? (i.i_mode & 0o170000).toString(8)} on the image, ${n.kind} in the model`);
      return;
    }
    if ((i.i_mode & 0o7777) !== n.perm) add(`${path}: mode ${(i.i_mode & 0o7777).toString(8)} on the image, ${n.perm.toString(8)} in the model`);
    if (i.i_uid !== n.uid || i.i_gid !== n.gid) add(`${path}: owner ${i.i_uid}:${i.i_gid} on the image, ${n.uid}:${n.gid} in the model`);
    if (i.i_links !== n.nlink) add(`${path}: nlink ${i.i_links} on the image, ${n.nlink} in the model`);
    // An encrypted symlink's i_size is its stored form (length, padded ciphertext), not what stat shows.
    const size = n.kind === 'symlink' && n.encrypted ? 2 + encryptedSize(FSCRYPT_PAD_FLAGS, Buffer.byteLength(n.target), BLK - 3)! : n.statSize;
    if (size >= 0 && i.i_size !== size) add(`${path}: size ${i.i_size} on the image, ${size} in the model`);
    try {
      const ix = new Map(vol.xattrs(info).map((x) => [x.name, hex(x.value)]));
      const mx = new Map([...n.xattrs].map(([k, v]) => [k, hex(v)]));
      for (const [k, v] of mx) {
        if (!ix.has(k)) add(`${path}: xattr ${k} missing on the image`);
        else if (ix.get(k) !== v) add(`${path}: xattr ${k} is ${ix.get(k)!.slice(0, 40)}… (${ix.get(k)!.length / 2} bytes) on the image, ${v.slice(0, 40)}… (${v.length / 2} bytes) in the model`);
      }
      for (const k of ix.keys()) if (!mx.has(k) && !n.hiddenXattrs.has(k)) add(`${path}: xattr ${k} on the image, not in the model`);
      for (const k of n.hiddenXattrs.keys()) if (!ix.has(k)) add(`${path}: xattr ${k} missing on the image`);
    } catch (e) {
      add(`${path}: xattrs unreadable: ${(e as Error).message}`);
    }
    try {
      if (n.kind === 'file' && !opts.skipContent && i.i_size === n.size && (n.changed || !opts.onlyChangedContent)) {
        compared.push(n);
        if (n.size <= FULL_HASH_LIMIT) {
          const a = imageMd5(vol, info, n.size);
          const b = n.md5();
          if (a !== b) add(`${path}: content md5 ${a} on the image, ${b} in the model (size ${n.size})${firstDiff(vol, info, n)}`);
        } else {
          const a = imageSparseDigest(vol, info, n.size);
          const b = n.sparseDigest();
          if (a !== b) add(`${path}: sparse content digest differs (size ${n.size})${firstDiff(vol, info, n)}`);
        }
      }
      if (n.kind === 'symlink') {
        const t = vol.readlink(info).toString();
        if (t !== n.target) add(`${path}: symlink target ${JSON.stringify(t.slice(0, 80))} (${t.length}) on the image, ${JSON.stringify(n.target.slice(0, 80))} (${n.target.length}) in the model`);
      }
      if (n.kind === 'chardev' || n.kind === 'blockdev') {
        const d = deviceNumber(info);
        if (d.major !== n.rdev?.major || d.minor !== n.rdev?.minor) add(`${path}: rdev ${d.major}:${d.minor} on the image, ${n.rdev?.major}:${n.rdev?.minor} in the model`);
      }
      if (n.isDir) compareDir(path, n, info, parentIno);
    } catch (e) {
      add(`${path}: ${(e as Error).message}`);
    }
  };

  const compareDir = (path: string, n: MNode, info: InodeInfo, parentIno: number): void => {
    const img = new Map<string, { ino: number; fileType: number }>();
    let dot = -1;
    let dotdot = -1;
    for (const d of vol.dirs.entries(info)) {
      const name = d.name.toString();
      if (name === '.') dot = d.ino;
      else if (name === '..') dotdot = d.ino;
      else if (img.has(name)) add(`${path}: name ${name} appears twice`);
      else img.set(name, { ino: d.ino, fileType: d.fileType });
    }
    if (dot !== info.ino && !(path === '/' && dot === -1)) add(`${path}: '.' is ${dot}, expected ${info.ino}`);
    if (dotdot !== parentIno && !(path === '/' && dotdot === -1)) add(`${path}: '..' is ${dotdot}, expected ${parentIno}`);
    for (const name of n.entries!.keys()) if (!img.has(name)) add(`${path === '/' ? '' : path}/${name}: missing on the image`);
    for (const name of img.keys()) if (!n.entries!.has(name)) add(`${path === '/' ? '' : path}/${name}: on the image, not in the model`);
    for (const [name, child] of [...n.entries!].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const e = img.get(name);
      if (!e) continue;
      const cp = `${path === '/' ? '' : path}/${name}`;
      const want = { file: 1, dir: 2, chardev: 3, blockdev: 4, fifo: 5, socket: 6, symlink: 7 }[child.kind];
      if (e.fileType !== want) add(`${cp}: dentry file type ${e.fileType}, expected ${want}`);
      checkNode(cp, child, e.ino, info.ino);
      if (diffs.length >= max) return;
    }
  };

  const compared: MNode[] = [];
  const rootIno = vol.sb.root_ino;
  checkNode('/', model.root, rootIno, rootIno);
  if (!diffs.length) for (const n of compared) n.changed = false;
  return diffs;
}

/** Size and content of one regular file on a (possibly live) volume against its model node. */
export function compareFile(vol: Volume, ino: number, n: MNode, path: string): string[] {
  const info = vol.inode(ino);
  if (kindOfMode(info.inode.i_mode) !== n.kind) return [`${path}: type ${kindOfMode(info.inode.i_mode)} on the image, ${n.kind} in the model`];
  if (info.inode.i_size !== n.statSize) return [`${path}: size ${info.inode.i_size} on the image, ${n.statSize} in the model`];
  if (n.kind !== 'file') return [];
  const big = n.size > FULL_HASH_LIMIT;
  const a = big ? imageSparseDigest(vol, info, n.size) : imageMd5(vol, info, n.size);
  const b = big ? n.sparseDigest() : n.md5();
  return a === b ? [] : [`${path}: content differs (size ${n.size})${firstDiff(vol, info, n)}`];
}

/** " (first differing byte at N)" for a content mismatch, to help debugging. */
function firstDiff(vol: Volume, info: InodeInfo, n: MNode): string {
  const blocks = new Set<number>(n.blocks.keys());
  if (n.size <= FULL_HASH_LIMIT) for (let b = 0; b * BLK < n.size; b++) blocks.add(b);
  else vol.data.walk(info, 0, Math.ceil(n.size / BLK), (b) => blocks.add(b));
  for (const b of [...blocks].sort((x, y) => x - y)) {
    const a = vol.data.read(info, b * BLK, BLK);
    const m = n.read(b * BLK, BLK);
    if (!a.equals(m)) {
      let k = 0;
      while (k < Math.min(a.length, m.length) && a[k] === m[k]) k++;
      return ` — first difference at byte ${b * BLK + k} (block ${b}: image ${a.subarray(k, k + 8).toString('hex')}, model ${m.subarray(k, k + 8).toString('hex')})`;
    }
  }
  return '';
}

/* ---------------- kernel listing (fixtures/guest/listing.sh) vs model ---------------- */

export interface KernelEntry {
  path: string; // absolute, "/" for the root
  kind: Kind;
  mode: number; // full st_mode
  size: number;
  nlink: number;
  ino: number;
  uid: number;
  gid: number;
  md5?: string;
  target?: string;
  rdev?: { major: number; minor: number };
  xattrs: Map<string, string>; // name -> hex
  ranges: { offset: number; length: number; md5: string }[];
}

const absPath = (p: string) => (p === '.' ? '/' : p.replace(/^\.\//, '/'));

/** Parses the tables listing.sh wrote as `<prefix>.stat|md5|links|xattr|ranges` (files from runInVm's outFiles). */
export function parseKernelListing(files: Map<string, Buffer>, prefix: string): Map<string, KernelEntry> {
  const get = (ext: string) => {
    const b = files.get(`${prefix}.${ext}`);
    if (!b) throw new Error(`guest did not return ${prefix}.${ext} (have: ${[...files.keys()].join(', ')})`);
    return b.toString('utf8').split('\n').filter((l) => l.length > 0);
  };
  const out = new Map<string, KernelEntry>();
  for (const line of get('stat')) {
    const f = line.split('|');
    if (f.length !== 13) throw new Error(`bad stat line: ${line}`);
    const mode = parseInt(f[1], 16);
    const kind = kindOfMode(mode);
    if (!kind) throw new Error(`unknown mode ${f[1]} for ${f[0]}`);
    const e: KernelEntry = {
      path: absPath(f[0]),
      kind,
      mode,
      size: Number(f[2]),
      nlink: Number(f[3]),
      ino: Number(f[4]),
      uid: Number(f[5]),
      gid: Number(f[6]),
      xattrs: new Map(),
      ranges: [],
    };
    if (kind === 'chardev' || kind === 'blockdev') e.rdev = { major: parseInt(f[11], 16), minor: parseInt(f[12], 16) };
    out.set(e.path, e);
  }
  const need = (p: string) => {
    const e = out.get(absPath(p));
    if (!e) throw new Error(`listing: ${p} not in the stat table`);
    return e;
  };
  for (const line of get('md5')) {
    const m = /^([0-9a-f]{32}) {2}(.*)$/.exec(line);
    if (!m) throw new Error(`bad md5 line: ${line}`);
    need(m[2]).md5 = m[1];
  }
  for (const line of get('links')) {
    const i = line.indexOf('|');
    need(line.slice(0, i)).target = line.slice(i + 1);
  }
  for (const line of get('xattr')) {
    const [p, n, v] = line.split('\t');
    need(p).xattrs.set(n, v ?? '');
  }
  const ranges = files.has(`${prefix}.ranges`) ? get('ranges') : [];
  for (const line of ranges) {
    const [p, off, len, md5] = line.split('|');
    need(p).ranges.push({ offset: Number(off), length: Number(len), md5 });
  }
  return out;
}

/**
 * Every difference between the kernel's listing and the model. Files under `sparseDir` are compared by the
 * ranges listing.sh (or the caller's extra ranges) hashed; every other regular file by its whole md5.
 */
export function compareListing(listing: Map<string, KernelEntry>, model: Model, opts: { sparseDir?: string; maxDiffs?: number } = {}): string[] {
  const diffs: string[] = [];
  const max = opts.maxDiffs ?? 50;
  const add = (s: string) => {
    if (diffs.length < max) diffs.push(s);
  };
  const sparse = opts.sparseDir ?? '/sparse';
  const inoOf = new Map<MNode, number>();
  const nodeOf = new Map<number, MNode>();
  const seen = new Set<string>();
  for (const [path, n] of model.walk()) {
    seen.add(path);
    const e = listing.get(path);
    if (!e) {
      add(`${path}: not in the kernel's listing`);
      continue;
    }
    const prev = inoOf.get(n);
    if (prev !== undefined && prev !== e.ino) add(`${path}: hard link of ino ${prev}, the kernel says ino ${e.ino}`);
    const other = nodeOf.get(e.ino);
    if (other && other !== n) add(`${path}: ino ${e.ino} shared with a distinct model node`);
    inoOf.set(n, e.ino);
    nodeOf.set(e.ino, n);
    if (e.kind !== n.kind) {
      add(`${path}: type ${e.kind} in the kernel's listing, ${n.kind} in the model`);
      continue;
    }
    const mode = KIND_BITS[n.kind] | n.perm;
    if (e.mode !== mode) add(`${path}: mode ${e.mode.toString(8)} in the kernel's listing, ${mode.toString(8)} in the model`);
    if (e.uid !== n.uid || e.gid !== n.gid) add(`${path}: owner ${e.uid}:${e.gid} (kernel), ${n.uid}:${n.gid} (model)`);
    if (e.nlink !== n.nlink) add(`${path}: nlink ${e.nlink} (kernel), ${n.nlink} (model)`);
    if (n.statSize >= 0 && e.size !== n.statSize) add(`${path}: size ${e.size} (kernel), ${n.statSize} (model)`);
    if (n.kind === 'file') {
      const underSparse = path.startsWith(sparse + '/');
      if (!underSparse) {
        if (e.md5 === undefined) add(`${path}: no md5 in the kernel's listing`);
        else if (e.size === n.size && e.md5 !== n.md5()) add(`${path}: md5 ${e.md5} (kernel), ${n.md5()} (model), size ${n.size}`);
      } else if (!e.ranges.length) add(`${path}: no ranges hashed by the kernel`);
      for (const r of e.ranges) {
        const m = n.rangeMd5(r.offset, r.length);
        if (m !== r.md5) add(`${path}: range ${r.offset}+${r.length} md5 ${r.md5} (kernel), ${m} (model)`);
      }
    }
    if (n.kind === 'symlink' && e.target !== n.target) add(`${path}: target ${JSON.stringify(e.target?.slice(0, 80))} (kernel), ${JSON.stringify(n.target.slice(0, 80))} (model)`);
    if ((n.kind === 'chardev' || n.kind === 'blockdev') && (e.rdev?.major !== n.rdev?.major || e.rdev?.minor !== n.rdev?.minor))
      add(`${path}: rdev ${e.rdev?.major}:${e.rdev?.minor} (kernel), ${n.rdev?.major}:${n.rdev?.minor} (model)`);
    const mx = new Map([...n.xattrs].map(([k, v]) => [k, hex(v)]));
    for (const [k, v] of mx) if (e.xattrs.get(k) !== v) add(`${path}: xattr ${k} ${e.xattrs.has(k) ? `is ${e.xattrs.get(k)!.slice(0, 40)}…` : 'missing'} (kernel), ${v.slice(0, 40)}… (model)`);
    for (const k of e.xattrs.keys()) if (!mx.has(k)) add(`${path}: xattr ${k} in the kernel's listing, not in the model`);
  }
  for (const p of listing.keys()) if (!seen.has(p)) add(`${p}: in the kernel's listing, not in the model`);
  return diffs;
}
