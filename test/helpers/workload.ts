/**
 * A seeded random workload for the write path: serialisable operations (so a failing run can be replayed and
 * shrunk), applied both to the Model (test/helpers/model.ts) and to a Volume through src/fs/ops.ts, and a
 * generator choosing each next operation from the model's current tree.
 */
import { F2fsError } from '../../src/errors.js';
import { writeCheckpoint } from '../../src/fs/checkpoint.js';
import * as ops from '../../src/fs/ops.js';
import { Volume } from '../../src/fs/volume.js';
import { fsckBoth } from './fsck.js';
import { compareFile, compareVolume, Model, ModelError, type MNode } from './model.js';

/* ---------------- PRNG and data ---------------- */

/** sfc32: small, fast, good enough; the same seed gives the same run everywhere. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Integer in [lo, hi] (safe up to 2^53). */
  int(lo: number, hi: number): number {
    if (hi - lo < 2 ** 32) return lo + Math.floor(this.float() * (hi - lo + 1));
    return lo + Math.floor((this.u32() * 2 ** 21 + (this.u32() >>> 11)) / 2 ** 53 * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.float() * arr.length)];
  }
  weighted<T>(items: readonly [number, T][]): T {
    const total = items.reduce((n, [w]) => n + w, 0);
    let x = this.float() * total;
    for (const [w, v] of items) if ((x -= w) < 0) return v;
    return items[items.length - 1][1];
  }
}

/** Content of a write: `len` bytes from `seed` (0: zeros; negative: text lines). */
export interface Data {
  len: number;
  seed: number;
}

export function dataBytes(d: Data): Buffer {
  const b = Buffer.alloc(d.len);
  if (d.seed === 0) return b;
  if (d.seed < 0) {
    let off = 0;
    for (let i = 0; off < d.len; i++) off += b.write(`line ${i} of ${-d.seed}\n`, off);
    return b;
  }
  let x = d.seed >>> 0 || 1;
  const words = d.len >>> 2;
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i * 4);
  }
  for (let i = words * 4; i < d.len; i++) b[i] = (x >>> (8 * (i & 3))) & 0xff;
  return b;
}

/* ---------------- operations ---------------- */

export type Op =
  | { op: 'mkdir'; path: string; parents?: boolean; mode?: number }
  | { op: 'write'; path: string; data: Data; offset?: number; append?: boolean; truncate?: boolean; mode?: number }
  | { op: 'touch'; path: string }
  | { op: 'rm'; path: string; recursive?: boolean; dir?: boolean }
  | { op: 'mv'; src: string; dst: string }
  | { op: 'link'; target: string; path: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'mknod'; path: string; type: 'fifo' | 'socket' | 'char' | 'block'; mode?: number; rdev?: { major: number; minor: number } }
  | { op: 'truncate'; path: string; size: number }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'xattr'; path: string; name: string; value: Data | null }
  /** A write bigger than the whole volume: must fail with ENOSPC (the model cannot count blocks, so this is said). */
  | { op: 'fill'; path: string; data: Data }
  /** Not a mutation: a file read on the live volume (dirty pages included) against the model. */
  | { op: 'verify'; path: string };

export function describeOp(o: Op): string {
  const short = (d: Data) => `${d.len}B#${d.seed}`;
  switch (o.op) {
    case 'write':
      return `write ${o.path} ${short(o.data)}${o.offset !== undefined ? ` @${o.offset}` : ''}${o.append ? ' append' : ''}${o.truncate ? ' trunc' : ''}`;
    case 'fill':
      return `fill ${o.path} ${short(o.data)}`;
    case 'xattr':
      return `xattr ${o.path} ${o.name}=${o.value ? short(o.value) : '(remove)'}`;
    default:
      return JSON.stringify(o);
  }
}

/** Applies `o` to the model; throws ModelError with the expected error code. */
export function applyModel(m: Model, o: Op): void {
  switch (o.op) {
    case 'mkdir':
      m.mkdir(o.path, { parents: o.parents, mode: o.mode });
      return;
    case 'write':
      m.write(o.path, dataBytes(o.data), { offset: o.offset, append: o.append, truncate: o.truncate, mode: o.mode });
      return;
    case 'touch':
      m.touch(o.path);
      return;
    case 'rm':
      m.remove(o.path, { recursive: o.recursive, dir: o.dir });
      return;
    case 'mv':
      m.move(o.src, o.dst);
      return;
    case 'link':
      m.link(o.target, o.path);
      return;
    case 'symlink':
      m.symlink(o.target, o.path);
      return;
    case 'mknod':
      m.mknod(o.path, o.type, { mode: o.mode, rdev: o.rdev });
      return;
    case 'truncate':
      m.truncate(o.path, o.size);
      return;
    case 'chmod':
      m.setAttr(o.path, { mode: o.mode });
      return;
    case 'chown':
      m.setAttr(o.path, { uid: o.uid, gid: o.gid });
      return;
    case 'xattr':
      m.xattrSet(o.path, o.name, o.value ? dataBytes(o.value) : null);
      return;
    case 'fill':
      m.write(o.path, Buffer.alloc(0));
      throw new ModelError('ENOSPC', 'a write bigger than the volume');
    case 'verify':
      return;
  }
}

/** Applies `o` to the volume; F2fsErrors propagate. Returns differences found by a 'verify'. */
export function applyVolume(vol: Volume, o: Op, m: Model): string[] {
  switch (o.op) {
    case 'mkdir':
      ops.mkdir(vol, o.path, { parents: o.parents, mode: o.mode });
      break;
    case 'write':
      ops.writePath(vol, o.path, dataBytes(o.data), { offset: o.offset, append: o.append, truncate: o.truncate, mode: o.mode });
      break;
    case 'fill':
      ops.writePath(vol, o.path, dataBytes(o.data));
      break;
    case 'touch':
      ops.touch(vol, o.path);
      break;
    case 'rm':
      ops.remove(vol, o.path, { recursive: o.recursive, dir: o.dir });
      break;
    case 'mv':
      ops.move(vol, o.src, o.dst);
      break;
    case 'link':
      ops.link(vol, o.target, o.path);
      break;
    case 'symlink':
      ops.symlink(vol, o.target, o.path);
      break;
    case 'mknod':
      ops.mknod(vol, o.path, o.type, { mode: o.mode, rdev: o.rdev });
      break;
    case 'truncate':
      ops.truncatePath(vol, o.path, o.size);
      break;
    case 'chmod':
      ops.setAttrPath(vol, o.path, { mode: o.mode });
      break;
    case 'chown':
      ops.setAttrPath(vol, o.path, { uid: o.uid, gid: o.gid });
      break;
    case 'xattr':
      ops.xattrSetPath(vol, o.path, o.name, o.value ? dataBytes(o.value) : null);
      break;
    case 'verify': {
      const n = m.resolve(o.path, true).node;
      return compareFile(vol, vol.resolve(o.path, { follow: true }).ino, n, o.path);
    }
  }
  return [];
}

export type StepResult = { ok: true; error?: string } | { ok: false; why: string };

/** One operation on both sides; ok when both succeed, or both fail with the same code (and a verify agrees). */
export function step(m: Model, vol: Volume, o: Op): StepResult {
  let want: string | null = null;
  try {
    applyModel(m, o);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    want = e.code;
  }
  let got: string | null = null;
  let gotMsg = '';
  let diffs: string[] = [];
  try {
    diffs = applyVolume(vol, o, m);
  } catch (e) {
    if (!(e instanceof F2fsError)) return { ok: false, why: `the image threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)} (model: ${want ?? 'success'})` };
    got = e.code;
    gotMsg = e.describe();
  }
  if (want !== got) return { ok: false, why: `model ${want ? `fails with ${want}` : 'succeeds'}, the image ${got ? `fails with ${gotMsg}` : 'succeeds'}` };
  if (diffs.length) return { ok: false, why: diffs.join('\n') };
  return { ok: true, error: got ?? undefined };
}

/* ---------------- generator ---------------- */

export interface GenOptions {
  /** Highest byte offset of sparse writes and truncates (default 9 GiB + a bit). */
  maxSparse?: number;
  /** Soft cap on bytes held in written blocks; above it big writes stop and deletions get likelier (default 40 MiB). */
  budget?: number;
  /** Biggest "big" file (default 4 MiB). */
  maxBig?: number;
  /** Everything happens below this directory (created by the caller), e.g. "/gen"; default the root. */
  base?: string;
  /** Paths the generator must never touch (and never create entries in), e.g. "/lost+found". */
  avoid?: string[];
  /** Restrict xattrs and specials to what Linux allows and lists (user.* on files and dirs only). Default true. */
  linuxCompatible?: boolean;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const INLINE_SIZES = [0, 1, 100, 3000, 3451, 3452, 3453, 3487, 3488, 3489, 3663, 3664, 3665, 3687, 3688, 3689, 4095, 4096, 4097, 8191, 8192, 8193];
const PERMS = [0o644, 0o600, 0o755, 0o700, 0o4755, 0o2755, 0o1777, 0o000, 0o777, 0o640, 0o444];
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const NAMECH = ALNUM + 'ABCDEFXYZ_-.';

interface View {
  all: [string, MNode][];
  dirs: [string, MNode][];
  files: [string, MNode][];
  nondirs: [string, MNode][];
  symlinks: [string, MNode][];
  live: number;
}

export class Generator {
  readonly rng: Rng;
  private readonly o: Required<GenOptions>;
  private seq = 0;

  constructor(
    public model: Model,
    seed: number,
    opts: GenOptions = {},
  ) {
    this.rng = new Rng(seed);
    this.o = {
      maxSparse: opts.maxSparse ?? 9 * GiB + 3 * MiB,
      budget: opts.budget ?? 40 * MiB,
      maxBig: opts.maxBig ?? 4 * MiB,
      base: opts.base ?? '/',
      avoid: opts.avoid ?? ['/lost+found'],
      linuxCompatible: opts.linuxCompatible ?? true,
    };
  }

  private join(dir: string, name: string): string {
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  private buildView(): View {
    const base = this.o.base;
    const under = (p: string) => base === '/' || p === base || p.startsWith(base + '/');
    const avoided = (p: string) => this.o.avoid.some((a) => p === a || p.startsWith(a + '/'));
    const v: View = { all: [], dirs: [], files: [], nondirs: [], symlinks: [], live: 0 };
    const counted = new Set<MNode>();
    for (const [p, n] of this.model.walk()) {
      if (n.kind === 'file' && !counted.has(n)) {
        counted.add(n);
        v.live += n.storedBytes;
      }
      if (!under(p) || avoided(p)) continue;
      if (p !== base) v.all.push([p, n]);
      if (n.isDir) v.dirs.push([p, n]);
      else v.nondirs.push([p, n]);
      if (n.kind === 'file') v.files.push([p, n]);
      if (n.kind === 'symlink') v.symlinks.push([p, n]);
    }
    return v;
  }

  name(): string {
    const r = this.rng;
    const id = (this.seq++).toString(36);
    if (r.chance(0.04)) {
      // long names, up to the 255-byte limit
      const len = r.int(100, 255 - id.length - 1);
      let s = '';
      while (s.length < len) s += NAMECH[r.int(0, NAMECH.length - 1)];
      return `${s}~${id}`.slice(0, 255);
    }
    if (r.chance(0.03)) return `${r.pick(['é', 'ü', '中文', 'ß', 'ø'])}${r.pick(['x', 'dat', ''])}-${id}`;
    const len = r.int(1, 10);
    let s = '';
    for (let i = 0; i < len; i++) s += r.chance(0.9) ? ALNUM[r.int(0, ALNUM.length - 1)] : NAMECH[r.int(0, NAMECH.length - 1)];
    if (s === '.' || s === '..') s = 'dot';
    return `${s}${r.chance(0.3) ? '.' + r.pick(['txt', 'dat', 'bin', 'log', 'mp4', 'so']) : ''}-${id}`;
  }

  private data(len: number): Data {
    const r = this.rng;
    const kind = r.int(0, 9);
    return { len, seed: kind === 0 ? 0 : kind === 1 ? -r.int(1, 1e6) : r.int(1, 2 ** 31) };
  }

  private smallSize(): number {
    return this.rng.chance(0.5) ? this.rng.pick(INLINE_SIZES) : this.rng.int(0, 12000);
  }

  private sparseOffset(): number {
    const r = this.rng;
    const max = this.o.maxSparse;
    const marks = [4 * MiB, 12 * MiB, 64 * MiB, 1 * GiB, 4 * GiB, Math.floor(7.95 * GiB), 8 * GiB, 9 * GiB].filter((x) => x < max);
    const base = marks.length && r.chance(0.7) ? r.pick(marks) : 0;
    return Math.min(max - 8192, base + r.int(0, Math.min(16 * MiB, max - base - 8192)));
  }

  private dir(v: View): string {
    // prefer shallow-ish and recently created directories a bit: uniform is fine
    return this.rng.pick(v.dirs)[0];
  }

  private newPath(v: View): string {
    return this.join(this.dir(v), this.name());
  }

  /** Any existing path, or (sometimes) a path that does not exist. */
  private anyPath(v: View, missing = 0.05): string {
    if (!v.all.length || this.rng.chance(missing)) return this.newPath(v);
    return this.rng.pick(v.all)[0];
  }

  next(): Op {
    const v = this.buildView();
    const r = this.rng;
    const over = v.live > this.o.budget;
    const file = () => (v.files.length ? r.pick(v.files) : null);
    const pickDir = (pred: (p: string, n: MNode) => boolean = () => true) => {
      const c = v.dirs.filter(([p, n]) => p !== this.o.base && pred(p, n));
      return c.length ? r.pick(c) : null;
    };
    const choices: [number, () => Op | null][] = [
      // ---- files
      [14, () => ({ op: 'write', path: this.newPath(v), data: this.data(this.smallSize()), mode: r.chance(0.2) ? r.pick(PERMS) : undefined })],
      [4, () => ({ op: 'write', path: this.newPath(v), data: this.data(r.int(8192, 300_000)) })],
      [over ? 0 : 1.2, () => ({ op: 'write', path: this.newPath(v), data: this.data(r.int(300_000, this.o.maxBig)) })],
      [
        10,
        () => {
          const f = file();
          if (!f) return null;
          const size = f[1].size;
          const offset = r.chance(0.8) ? r.int(0, Math.min(size, 64 * MiB)) : r.int(0, Math.min(size + 100_000, 64 * MiB));
          const len = r.chance(0.85) ? r.int(1, 12_000) : r.int(12_000, over ? 100_000 : 400_000);
          return { op: 'write', path: f[0], data: this.data(len), offset };
        },
      ],
      [6, () => (file() ? { op: 'write', path: file()![0], data: this.data(r.chance(0.8) ? r.int(1, 9000) : r.int(9000, 200_000)), append: true } : null)],
      [2, () => (file() ? { op: 'write', path: file()![0], data: this.data(this.smallSize()), truncate: true } : null)],
      [1.5, () => ({ op: 'write', path: r.chance(0.5) && file() ? file()![0] : this.newPath(v), data: this.data(r.int(1, 9000)), offset: this.sparseOffset() })],
      [
        6,
        () => {
          const f = file();
          if (!f) return null;
          const size = f[1].size;
          const pickSize = r.weighted<() => number>([
            [4, () => r.int(0, size)],
            [2, () => r.int(size, size + 300_000)],
            [1, () => r.pick(INLINE_SIZES)],
            [1, () => 0],
            [0.5, () => this.sparseOffset()],
          ]);
          return { op: 'truncate', path: f[0], size: pickSize() };
        },
      ],
      [1, () => ({ op: 'touch', path: r.chance(0.5) ? this.anyPath(v) : this.newPath(v) })],
      [3, () => (file() ? { op: 'verify', path: file()![0] } : null)],
      // ---- directories
      [6, () => ({ op: 'mkdir', path: this.newPath(v), mode: r.chance(0.2) ? r.pick([0o700, 0o755, 0o1777, 0o750]) : undefined })],
      [
        2,
        () => {
          const depth = r.int(2, 8);
          let p = this.dir(v);
          for (let i = 0; i < depth; i++) p = this.join(p, this.name());
          return { op: 'mkdir', path: p, parents: true };
        },
      ],
      // ---- names
      [
        7,
        () => {
          const f = v.nondirs.length ? r.pick(v.nondirs) : null;
          if (!f) return null;
          const dst = r.weighted<() => string>([
            [3, () => this.join(f[0].slice(0, f[0].lastIndexOf('/')) || '/', this.name())], // same dir
            [3, () => this.newPath(v)], // across
            [2, () => (v.nondirs.length ? r.pick(v.nondirs)[0] : this.newPath(v))], // over an existing name
            [1, () => this.dir(v)], // into a directory
          ]);
          return { op: 'mv', src: f[0], dst: dst() };
        },
      ],
      [
        3,
        () => {
          const d = pickDir();
          if (!d) return null;
          const dst = r.weighted<() => string>([
            [3, () => this.newPath(v)], // may land inside itself: EINVAL
            [1, () => this.join(d[0].slice(0, d[0].lastIndexOf('/')) || '/', this.name())],
            [1, () => (pickDir() ?? d)[0]], // over a directory: empty or ENOTEMPTY (or itself/inside)
            [0.5, () => (v.files.length ? r.pick(v.files)[0] : this.newPath(v))], // over a file: ENOTDIR
          ]);
          return { op: 'mv', src: d[0], dst: dst() };
        },
      ],
      [
        4,
        () => {
          const t = v.nondirs.length ? r.pick(v.nondirs) : null;
          if (!t) return null;
          return { op: 'link', target: t[0], path: r.chance(0.9) ? this.newPath(v) : this.anyPath(v) };
        },
      ],
      [6, () => (v.nondirs.length ? { op: 'rm', path: r.pick(v.nondirs)[0] } : null)],
      [
        over ? 4 : 0.8,
        () => {
          // rm -r: mostly a deeper (smaller) subtree, so the tree keeps growing
          const depth = (p: string) => p.split('/').length - this.o.base.split('/').length;
          const d = r.chance(0.8) ? (pickDir((p) => depth(p) >= 2) ?? pickDir()) : pickDir();
          return d ? { op: 'rm', path: d[0], recursive: true } : null;
        },
      ],
      [1.5, () => (pickDir() ? { op: 'rm', path: pickDir()![0], dir: true } : null)],
      [
        over ? 6 : 0,
        () => {
          // free space: drop the biggest file
          const big = [...v.files].sort((a, b) => b[1].storedBytes - a[1].storedBytes)[0];
          return big ? { op: 'rm', path: big[0] } : null;
        },
      ],
      [
        4,
        () => {
          const kind = r.weighted<() => string>([
            [3, () => (v.all.length ? r.pick(v.all)[0] : '/')], // absolute
            [3, () => (v.all.length ? r.pick(v.all)[0].split('/').pop()! : 'x')], // relative, maybe dangling
            [1, () => 'does/not/exist'],
            [1, () => this.longTarget(r.int(100, 4095))],
          ]);
          return { op: 'symlink', target: kind(), path: this.newPath(v) };
        },
      ],
      // ---- attributes
      [3, () => (v.all.length ? { op: 'chmod', path: r.pick(v.all)[0], mode: r.pick(PERMS) } : null)],
      [1, () => (v.all.length ? { op: 'chown', path: r.pick(v.all)[0], uid: r.pick([0, 1000, 65534, 123456]), gid: r.pick([0, 100, 1000, 65534]) } : null)],
      [
        1.5,
        () => {
          const type = r.weighted<'fifo' | 'char' | 'block' | 'socket'>([
            [3, 'fifo'],
            [2, 'char'],
            [2, 'block'],
            [this.o.linuxCompatible ? 0 : 1, 'socket'],
          ]);
          const rdev = type === 'char' || type === 'block' ? { major: r.pick([1, 8, 254, 259, 4095]), minor: r.pick([0, 3, 255, 256, 70000]) } : undefined;
          return { op: 'mknod', path: this.newPath(v), type, rdev, mode: r.chance(0.3) ? r.pick(PERMS) : undefined };
        },
      ],
      [7, () => this.xattrOp(v, 'set')],
      [2, () => this.xattrOp(v, 'big')],
      [3, () => this.xattrOp(v, 'remove')],
      // ---- deliberate errors
      [3, () => this.errorOp(v)],
    ];
    for (let tries = 0; tries < 50; tries++) {
      const op = r.weighted(choices)();
      if (op) return op;
    }
    return { op: 'mkdir', path: this.newPath(v) };
  }

  private longTarget(len: number): string {
    let s = '';
    while (s.length < len) s += `${this.name()}/`;
    return s.slice(0, len).replace(/\/$/, 'x');
  }

  private xattrTargets(v: View): [string, MNode][] {
    return this.o.linuxCompatible ? v.all.filter(([, n]) => n.kind === 'file' || n.kind === 'dir') : v.all;
  }

  private xattrOp(v: View, what: 'set' | 'big' | 'remove'): Op | null {
    const r = this.rng;
    const t = this.xattrTargets(v);
    if (!t.length) return null;
    const [path, n] = r.pick(t);
    if (what === 'remove') {
      const names = [...n.xattrs.keys()];
      const name = names.length && r.chance(0.85) ? r.pick(names) : `user.absent${r.int(0, 9)}`;
      return { op: 'xattr', path, name, value: null };
    }
    const ns = this.o.linuxCompatible ? r.pick(['user.', 'user.', 'user.', 'trusted.']) : r.pick(['user.', 'trusted.', 'security.']);
    const name = r.chance(0.3) && n.xattrs.size ? r.pick([...n.xattrs.keys()]) : `${ns}${r.pick(['a', 'color', 'k' + r.int(0, 40), 'x'.repeat(r.int(1, 60)), 'name' + r.int(0, 9)])}`;
    const len = what === 'big' ? r.int(400, 3800) : r.chance(0.2) ? 0 : r.int(1, 80);
    return { op: 'xattr', path, name, value: this.data(len) };
  }

  private errorOp(v: View): Op | null {
    const r = this.rng;
    const f = v.files.length ? r.pick(v.files)[0] : null;
    const d = v.dirs.filter(([p]) => p !== this.o.base);
    const someDir = d.length ? r.pick(d)[0] : null;
    const missing = this.join(this.dir(v), `missing-${this.name()}`);
    const cases: (() => Op | null)[] = [
      () => (someDir ? { op: 'mkdir', path: someDir } : null), // EEXIST
      () => (f ? { op: 'mkdir', path: `${f}/sub` } : null), // ENOTDIR
      () => ({ op: 'mkdir', path: `${missing}/sub` }), // ENOENT
      () => ({ op: 'write', path: `${missing}/f`, data: this.data(10) }), // ENOENT
      () => (someDir ? { op: 'write', path: someDir, data: this.data(10) } : null), // EISDIR
      () => {
        const fifo = v.nondirs.find(([, n]) => n.kind === 'fifo');
        return fifo ? { op: 'write', path: fifo[0], data: this.data(10) } : null; // EINVAL
      },
      () => (someDir ? { op: 'rm', path: someDir } : null), // EISDIR
      () => ({ op: 'rm', path: missing }), // ENOENT
      () => {
        if (!someDir) return null;
        return { op: 'mv', src: someDir, dst: this.join(someDir, this.name()) }; // EINVAL
      },
      () => (someDir ? { op: 'link', target: someDir, path: this.newPath(v) } : null), // EISDIR
      () => (f ? { op: 'link', target: f, path: this.anyPath(v, 0) } : null), // EEXIST mostly
      () => (f ? { op: 'symlink', target: 'x', path: f } : null), // EEXIST
      () => ({ op: 'symlink', target: this.longTarget(4096), path: this.newPath(v) }), // ENAMETOOLONG
      () => ({ op: 'write', path: this.join(this.dir(v), 'n'.repeat(256)), data: this.data(1) }), // ENAMETOOLONG
      () => (f ? { op: 'write', path: f, data: this.data(10), offset: 2 ** 44 } : null), // EINVAL (past the largest file)
      () => (someDir ? { op: 'truncate', path: someDir, size: 0 } : null), // EISDIR
      () => ({ op: 'truncate', path: missing, size: 0 }), // ENOENT
      () => (f ? { op: 'xattr', path: f, name: 'user.none', value: null } : null), // ENODATA (unless set)
      () => (f ? { op: 'xattr', path: f, name: 'user.huge', value: this.data(4100) } : null), // ENOSPC
      () => (f ? { op: 'xattr', path: f, name: 'bogus.ns', value: this.data(3) } : null), // EOPNOTSUPP
      () => ({ op: 'xattr', path: missing, name: 'user.a', value: this.data(3) }), // ENOENT
    ];
    return r.pick(cases)();
  }
}

/* ---------------- a session: model + image, with checkpoints, power cuts and full checks ---------------- */

export type LogEntry = Op | { op: 'checkpoint' } | { op: 'powercut' };

export interface CheckTimes {
  checkpoint: number;
  fsckOurs: number;
  fsckReal: number;
  compare: number;
}

/** A model and an image file kept in step; every checkpoint (or power cut) is followed by both fscks and a comparison of a freshly opened volume with the model (structure always; file content in full every few checks, else of the files changed since). */
export class Session {
  vol: Volume;
  snapshot: Model;
  readonly log: LogEntry[] = [];
  readonly times: CheckTimes = { checkpoint: 0, fsckOurs: 0, fsckReal: 0, compare: 0 };
  readonly errors = new Map<string, number>();
  checks = 0;

  constructor(
    readonly img: string,
    public model: Model,
    /** fscrypt master keys every open of the image gets (writes inside encrypted directories). */
    readonly keys: Buffer[] = [],
  ) {
    this.vol = Volume.open(img, { readOnly: false, keys });
    this.snapshot = model.clone();
  }

  apply(o: Op): StepResult {
    this.log.push(o);
    const r = step(this.model, this.vol, o);
    if (r.ok) {
      const k = r.error ?? 'ok';
      this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
    }
    return r;
  }

  /** writeCheckpoint({umount: true}), then the checks; returns the problems found. */
  checkpoint(full = false): string[] {
    this.log.push({ op: 'checkpoint' });
    const t0 = performance.now();
    writeCheckpoint(this.vol, { umount: true });
    this.vol.close();
    this.times.checkpoint += performance.now() - t0;
    this.snapshot = this.model.clone();
    return this.checkAndReopen(full);
  }

  /** vol.finish('none'): everything since the last checkpoint is lost, in the model too. */
  powerCut(): string[] {
    this.log.push({ op: 'powercut' });
    this.vol.finish('none');
    this.vol.close();
    this.model = this.snapshot.clone();
    return this.checkAndReopen(true);
  }

  /** Content of every file is compared at every `fullEvery`-th check and after power cuts; else only what changed. */
  fullEvery = 3;

  checkAndReopen(full = false): string[] {
    this.checks++;
    full ||= this.checks % this.fullEvery === 0;
    const f = fsckBoth(this.img);
    this.times.fsckOurs += f.ms.ours;
    this.times.fsckReal += f.ms.real;
    const problems = [...f.problems];
    const t0 = performance.now();
    try {
      const ro = Volume.open(this.img, { readOnly: true, keys: this.keys });
      try {
        problems.push(...compareVolume(ro, this.model, { onlyChangedContent: !full }));
      } finally {
        ro.close();
      }
    } catch (e) {
      problems.push(`re-opening the image: ${e instanceof F2fsError ? e.describe() : String(e)}`);
    }
    this.times.compare += performance.now() - t0;
    this.vol = Volume.open(this.img, { readOnly: false, keys: this.keys });
    return problems;
  }

  close(): void {
    this.vol.close();
  }
}

/** Replays a log on a fresh image; the index and reason of the first failure, or null. */
export function replay(img: string, model: Model, log: LogEntry[]): { at: number; why: string } | null {
  const s = new Session(img, model);
  try {
    for (let i = 0; i < log.length; i++) {
      const e = log[i];
      if (e.op === 'checkpoint' || e.op === 'powercut') {
        const p = e.op === 'checkpoint' ? s.checkpoint() : s.powerCut();
        if (p.length) return { at: i, why: p.join('\n') };
        continue;
      }
      let r: StepResult;
      try {
        r = s.apply(e);
      } catch (err) {
        return { at: i, why: `threw: ${String(err)}` };
      }
      if (!r.ok) return { at: i, why: r.why };
    }
    const p = s.checkpoint();
    return p.length ? { at: log.length, why: p.join('\n') } : null;
  } finally {
    try {
      s.close();
    } catch {
      /* already closed */
    }
  }
}

/** The F2fsError code `fn` throws, or 'ok' (other errors propagate). */
export const errCode = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof F2fsError) return e.code;
    throw e;
  }
};
