// diff IMAGE_A IMAGE_B [PATH]: what differs between two images, by path (files), by superblock/checkpoint field
// (metadata) and optionally by block (which blocks differ and what owns them in each image, through icheck).
// Works across tools: nothing assumes the same inode numbers or block placement unless --blocks asks.
import { BLKSIZE } from '../fs/layout/constants.js';
import { firstDifference } from './extract.js';
import { areaOf, type Area } from './block.js';
import { resolveFile } from './filespec.js';
import { info } from './info.js';
import { icheck, ncheck } from './reverse.js';
import { fail } from '../errors.js';
import type { Volume } from '../fs/volume.js';
import type { InodeInfo } from '../fs/inode.js';
import { entryAttrs, walkSorted, xattrText, type EntryAttrs } from './entry.js';
import { timeText } from './time.js';

/** Fields the files level compares (ignore takes these, plus `owner` = uid,gid and `times` = atime,mtime,ctime). */
export const FILE_FIELDS = ['type', 'mode', 'uid', 'gid', 'size', 'atime', 'mtime', 'ctime', 'target', 'device', 'xattrs', 'content'] as const;
export type FileField = (typeof FILE_FIELDS)[number];
/** Bytes shown from each side where file contents first differ. */
const CONTENT_BYTES = 16;
const FIELD_GROUPS: Record<string, FileField[]> = { owner: ['uid', 'gid'], times: ['atime', 'mtime', 'ctime'] };

export interface DiffOptions {
  /** Compare this subtree (the same path in both images); default the root. */
  path?: string;
  /** Also compare every block (the two images must have the same size and layout). */
  blocks?: boolean;
  /** File fields not to compare. */
  ignore?: string[];
  /** Most block entries listed (all are counted); default 1000. */
  blockLimit?: number;
}

export interface FieldChange {
  field: string;
  a: unknown;
  b: unknown;
}

export interface FileDiff {
  path: string;
  status: 'added' | 'removed' | 'changed';
  /** Type in A (removed, changed) or B (added). */
  type: string;
  /** changed: what differs. */
  changes?: FieldChange[];
}

export interface BlockOwner {
  kind: 'data' | 'node' | 'free' | 'metadata';
  ino: number | null;
  nid: number | null;
  /** File block (data). */
  bidx: number | null;
  verified: boolean;
  /** Paths of the owning inode in that image. */
  paths: string[];
}

export interface BlockDiffs {
  /** Blocks whose bytes differ, by area of image A. */
  byArea: Partial<Record<Area, number>>;
  /** Main-area blocks that differ, by owner kind in A/B ("data/free"). */
  byKind: Record<string, number>;
  /** Main-area blocks that differ, with their owner in each image (at most blockLimit, in address order). */
  main: { blkaddr: number; a: BlockOwner; b: BlockOwner }[];
  truncated: boolean;
}

export interface DiffResult {
  path: string;
  identical: boolean;
  files: FileDiff[];
  metadata: FieldChange[];
  blocks: BlockDiffs | null;
}

/** The comparable value of one field (content and xattrs are compared apart). */
function fieldValue(e: EntryAttrs, f: Exclude<FileField, 'content' | 'xattrs'>): unknown {
  switch (f) {
    case 'mode':
      return e.perm.toString(8).padStart(4, '0');
    case 'atime':
    case 'mtime':
    case 'ctime':
      return timeText(e[f]);
    case 'device':
      return e.device && `${e.device.major},${e.device.minor}`;
    default:
      return e[f];
  }
}

function ignored(list: string[] | undefined): Set<FileField> {
  const out = new Set<FileField>();
  for (const name of list ?? []) {
    const group = FIELD_GROUPS[name] ?? (FILE_FIELDS.includes(name as FileField) ? [name as FileField] : null);
    if (!group) fail('USAGE', `cannot ignore '${name}': fields are ${[...FILE_FIELDS, ...Object.keys(FIELD_GROUPS)].join(', ')}`);
    for (const f of group) out.add(f);
  }
  return out;
}

/** Field changes between two entries at the same path (both present). */
function compareEntries(va: Volume, a: EntryAttrs, vb: Volume, b: EntryAttrs, skip: Set<FileField>): FieldChange[] {
  const out: FieldChange[] = [];
  const add = (field: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field, a: x, b: y });
  };
  for (const f of ['type', 'mode', 'uid', 'gid', 'size', 'atime', 'mtime', 'ctime', 'target', 'device'] as const) {
    if (skip.has(f)) continue;
    // A directory's size is its storage (inline or blocks, per tool); its content is the entries below it.
    if (f === 'size' && a.type === 'directory') continue;
    add(f, fieldValue(a, f), fieldValue(b, f));
  }
  if (!skip.has('xattrs')) {
    const xa = new Map(a.xattrs.map((x) => [x.name, xattrText(x.value)]));
    const xb = new Map(b.xattrs.map((x) => [x.name, xattrText(x.value)]));
    for (const name of [...new Set([...xa.keys(), ...xb.keys()])].sort()) add(`xattr ${name}`, xa.get(name) ?? null, xb.get(name) ?? null);
  }
  if (!skip.has('content') && a.type === 'regular' && b.type === 'regular') {
    const ia = va.inode(a.ino);
    const ib = vb.inode(b.ino);
    // Where they first differ and the bytes there (as cmp): a digest of each would read all of both files, holes too.
    const at = firstDifference(va, ia, vb, ib);
    if (at !== null) {
      const bytes = (v: Volume, i: InodeInfo) => (at < i.inode.i_size ? v.data.read(i, at, CONTENT_BYTES).toString('hex') : null);
      out.push({ field: `content at byte ${at}`, a: bytes(va, ia), b: bytes(vb, ib) });
    }
  }
  return out;
}

/** Files level: both trees walked in sorted order side by side (a merge), so nothing is held but the walk stacks. */
function diffFiles(a: Volume, b: Volume, path: string, skip: Set<FileField>): FileDiff[] {
  const out: FileDiff[] = [];
  const start = (v: Volume) => resolveFile(v, path, { follow: true }).ino;
  const ia = walkSorted(a, start(a));
  const ib = walkSorted(b, start(b));
  const base = path === '/' ? '' : path.replace(/\/+$/, '');
  const full = (rel: string) => base + rel || '/';
  let ea = ia.next();
  let eb = ib.next();
  // Sorted pre-order by path components: compare component lists, not strings ('/a/b' vs '/a.b').
  const order = (x: string, y: string) => {
    const px = x.split('/');
    const py = y.split('/');
    for (let i = 0; i < Math.min(px.length, py.length); i++) {
      const c = Buffer.compare(Buffer.from(px[i]), Buffer.from(py[i]));
      if (c) return c;
    }
    return px.length - py.length;
  };
  while (!ea.done || !eb.done) {
    const c = ea.done ? 1 : eb.done ? -1 : order(ea.value.rel, eb.value.rel);
    if (c < 0) {
      const e = ea.value!;
      out.push({ path: full(e.rel), status: 'removed', type: entryAttrs(a, e.info).type });
      ea = ia.next();
    } else if (c > 0) {
      const e = eb.value!;
      out.push({ path: full(e.rel), status: 'added', type: entryAttrs(b, e.info).type });
      eb = ib.next();
    } else {
      const x = entryAttrs(a, ea.value!.info);
      const y = entryAttrs(b, eb.value!.info);
      const changes = compareEntries(a, x, b, y, skip);
      if (changes.length) out.push({ path: full(ea.value!.rel), status: 'changed', type: x.type, changes });
      ea = ia.next();
      eb = ib.next();
    }
  }
  // A removed directory's children are removed too: the walk lists them, which is what diff -r says.
  return out;
}

/** Scalars of an object tree as dotted names (`checkpoint.cursegs[0].segno`). */
function flatten(obj: unknown, prefix: string, out: Map<string, unknown>): void {
  if (Array.isArray(obj) && obj.every((v) => v === null || typeof v !== 'object')) out.set(prefix, obj.join(' ')); // flag lists
  else if (Array.isArray(obj)) obj.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (obj !== null && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, obj);
}

/** Metadata level: superblock, checkpoint and counts as `info` reports them, field by field. */
function diffMetadata(a: Volume, b: Volume): FieldChange[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  const { superblock: sa, checkpoint: ca, usage: ua } = info(a);
  const { superblock: sb, checkpoint: cb, usage: ub } = info(b);
  flatten({ superblock: sa, checkpoint: ca, usage: ua }, '', fa);
  flatten({ superblock: sb, checkpoint: cb, usage: ub }, '', fb);
  const out: FieldChange[] = [];
  for (const k of new Set([...fa.keys(), ...fb.keys()])) {
    const x = fa.get(k) ?? null;
    const y = fb.get(k) ?? null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ field: k, a: x, b: y });
  }
  return out;
}

const CHUNK_BLOCKS = 256;

/** Blocks level: both devices read in 1 MiB chunks; owners of differing main-area blocks through icheck. */
function diffBlocks(a: Volume, b: Volume, limit: number): BlockDiffs {
  if (a.geo.blockCount !== b.geo.blockCount || a.geo.mainBlkaddr !== b.geo.mainBlkaddr) {
    fail('EINVAL', `--blocks needs two images of the same layout: ${a.geo.blockCount} blocks (main at ${a.geo.mainBlkaddr}) vs ${b.geo.blockCount} (main at ${b.geo.mainBlkaddr})`);
  }
  const byArea: Partial<Record<Area, number>> = {};
  const byKind: Record<string, number> = {};
  const listed: { blkaddr: number; a: ReturnType<typeof icheck>; b: ReturnType<typeof icheck> }[] = [];
  let truncated = false;
  const bufA = Buffer.alloc(CHUNK_BLOCKS * BLKSIZE);
  const bufB = Buffer.alloc(CHUNK_BLOCKS * BLKSIZE);
  for (let start = 0; start < a.geo.blockCount; start += CHUNK_BLOCKS) {
    const n = Math.min(CHUNK_BLOCKS, a.geo.blockCount - start);
    a.dev.readBlocks(start, n, bufA, 0);
    b.dev.readBlocks(start, n, bufB, 0);
    if (bufA.equals(bufB)) continue;
    for (let i = 0; i < n; i++) {
      const o = i * BLKSIZE;
      if (bufA.compare(bufB, o, o + BLKSIZE, o, o + BLKSIZE) === 0) continue;
      const blkaddr = start + i;
      const area = areaOf(a, blkaddr);
      byArea[area] = (byArea[area] ?? 0) + 1;
      if (area !== 'main') continue;
      const x = icheck(a, blkaddr);
      const y = icheck(b, blkaddr);
      byKind[`${x.kind}/${y.kind}`] = (byKind[`${x.kind}/${y.kind}`] ?? 0) + 1;
      if (listed.length < limit) listed.push({ blkaddr, a: x, b: y });
      else truncated = true;
    }
  }
  // Paths of the owners: one tree walk per image for all of them.
  const paths = (v: Volume, side: 'a' | 'b') => ncheck(v, [...new Set(listed.map((l) => l[side].ino).filter((i): i is number => i !== null && v.inodeAllocated(i)))]);
  const pa = paths(a, 'a');
  const pb = paths(b, 'b');
  const owner = (r: ReturnType<typeof icheck>, p: Map<number, string[]>): BlockOwner => ({
    kind: r.kind,
    ino: r.ino,
    nid: r.nid,
    bidx: r.bidx,
    verified: r.verified,
    paths: r.ino !== null ? (p.get(r.ino) ?? []) : [],
  });
  return { byArea, byKind, main: listed.map((l) => ({ blkaddr: l.blkaddr, a: owner(l.a, pa), b: owner(l.b, pb) })), truncated };
}

export function diffImages(a: Volume, b: Volume, opts: DiffOptions = {}): DiffResult {
  const path = opts.path ?? '/';
  const skip = ignored(opts.ignore);
  const limit = opts.blockLimit ?? 1000;
  if (!Number.isInteger(limit) || limit < 0) fail('USAGE', `block limit must be a non-negative integer, got ${limit}`);
  const files = diffFiles(a, b, path, skip);
  const metadata = diffMetadata(a, b);
  const blocks = opts.blocks ? diffBlocks(a, b, limit) : null;
  const blocksDiffer = blocks !== null && Object.keys(blocks.byArea).length > 0;
  return { path, identical: files.length === 0 && metadata.length === 0 && !blocksDiffer, files, metadata, blocks };
}
