// A seeded churn workload for GC: overwrites, appends, truncates, creates and deletes that keep the live data between
// two fractions of the user capacity, with a model of every block (one tag byte per block: memory stays small for
// big images) and the checks a checkpoint must pass. Used by test/gc.test.ts (short) and scripts/churn.ts (long runs).
import { createHash } from 'node:crypto';
import { writeCheckpoint } from '../../src/fs/checkpoint.js';
import { F2fsError } from '../../src/errors.js';
import { remove, truncatePath, writePath } from '../../src/fs/ops.js';
import { Volume } from '../../src/fs/volume.js';

const BLK = 4096;

export interface ChurnOptions {
  seed: number;
  /** Stop after this many user blocks written, as a multiple of the user capacity. */
  capacityMultiple: number;
  /** Live data kept between these fractions of the user capacity. */
  low: number;
  high: number;
  /** User blocks between checkpoints; `onCheckpoint` runs after each (fsck, ...). */
  checkpointEvery: number;
  onCheckpoint?: (img: string, n: number) => void;
  /** Largest file, in blocks. */
  maxFileBlocks?: number;
}

export interface ChurnResult {
  writtenBlocks: number;
  userBlocks: number;
  ops: Record<string, number>;
  checkpoints: number;
  gcCheckpoints: number;
  /** Blocks the device wrote (data, nodes, metadata): over writtenBlocks, the write amplification. */
  deviceBlocks: number;
  files: Map<string, Uint8Array>;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 0x100000000;
}

/** Runs the workload on `img` (closed between checkpoints, as a user's sessions would be); returns the model. */
export function churn(img: string, o: ChurnOptions): ChurnResult {
  const rnd = lcg(o.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const files = new Map<string, Uint8Array>();
  const ops: Record<string, number> = {};
  let vol = Volume.open(img, { readOnly: false });
  const user = vol.cp.head.user_block_count;
  // Room for nodes: an inode per file and a direct node per 1,018 blocks stay inside the upper bound.
  const maxBlocks = o.maxFileBlocks ?? Math.max(16, Math.floor(user / 40));
  let live = 0;
  let written = 0;
  let sinceCp = 0;
  let checkpoints = 0;
  let next = 0;
  let deviceBlocks = 0;
  const startVer = vol.cp.head.checkpoint_ver;
  const names = () => [...files.keys()];
  const tagOf = () => 1 + pick(255);
  const put = (path: string, at: number, n: number, model: Uint8Array) => {
    const data = Buffer.alloc(n * BLK);
    for (let b = 0; b < n; b++) data.fill((model[at + b] = tagOf()), b * BLK, (b + 1) * BLK);
    writePath(vol, path, data, { offset: at * BLK });
    written += n;
    sinceCp += n;
  };
  try {
    while (written < o.capacityMultiple * user) {
      const frac = live / user;
      const grow = frac < o.low || (frac < o.high && rnd() < 0.5);
      let op: string;
      const list = names();
      if (grow) op = list.length && rnd() < 0.5 ? 'append' : 'create';
      else op = !list.length ? 'create' : ['overwrite', 'overwrite', 'truncate', 'delete'][pick(4)];
      if (op !== 'create' && !list.length) op = 'create';
      ops[op] = (ops[op] ?? 0) + 1;
      if (op === 'create') {
        const n = 1 + pick(maxBlocks);
        if ((live + n) / user > o.high) {
          ops[op]--;
          op = 'overwrite';
          ops[op] = (ops[op] ?? 0) + 1;
        } else {
          const path = `/c${next++}`;
          const m = new Uint8Array(n);
          put(path, 0, n, m);
          files.set(path, m);
          live += n;
          continue;
        }
      }
      const path = names()[pick(files.size)];
      const m = files.get(path)!;
      if (op === 'append') {
        const n = Math.min(1 + pick(Math.max(1, maxBlocks >> 2)), Math.max(0, maxBlocks - m.length));
        if (!n || (live + n) / user > o.high) continue;
        const grown = new Uint8Array(m.length + n);
        grown.set(m);
        put(path, m.length, n, grown);
        files.set(path, grown);
        live += n;
      } else if (op === 'overwrite') {
        if (!m.length) continue;
        const at = pick(m.length);
        put(path, at, Math.min(1 + pick(8), m.length - at), m);
      } else if (op === 'truncate') {
        const keep = pick(m.length + 1);
        truncatePath(vol, path, keep * BLK);
        files.set(path, m.slice(0, keep));
        live -= m.length - keep;
      } else {
        remove(vol, path);
        files.delete(path);
        live -= m.length;
      }
      if (sinceCp >= o.checkpointEvery) {
        writeCheckpoint(vol, { umount: true });
        deviceBlocks += vol.dev.stats.blocksWritten;
        vol.close();
        checkpoints++;
        o.onCheckpoint?.(img, checkpoints);
        vol = Volume.open(img, { readOnly: false });
        sinceCp = 0;
      }
    }
    writeCheckpoint(vol, { umount: true });
    deviceBlocks += vol.dev.stats.blocksWritten;
    checkpoints++;
  } catch (e) {
    const why = e instanceof F2fsError ? e.describe() : String(e);
    throw new Error(`churn seed ${o.seed}: ${why} after ${written} of ${o.capacityMultiple * user} blocks, live ${live} of ${user}`);
  } finally {
    vol.close();
  }
  o.onCheckpoint?.(img, checkpoints);
  const end = Volume.open(img, { readOnly: true });
  const total = Number(end.cp.head.checkpoint_ver - startVer);
  end.close();
  return { writtenBlocks: written, userBlocks: user, ops, checkpoints, gcCheckpoints: total - checkpoints, deviceBlocks, files };
}

/** sha256 of each model file's content (every block filled with its tag), for comparing with another reader. */
export function modelDigests(files: Map<string, Uint8Array>): Map<string, string> {
  const out = new Map<string, string>();
  const block = Buffer.alloc(BLK);
  for (const [p, m] of files) {
    const h = createHash('sha256');
    for (const tag of m) h.update(block.fill(tag));
    out.set(p, h.digest('hex'));
  }
  return out;
}

/** The guest script that prints `sha256  ./path` for every file of the image on /dev/vdX (lost+found aside). */
export const linuxDigestScript = (disk: string) =>
  `mount -t f2fs ${disk} /mnt && cd /mnt && find . -type f ! -path './lost+found/*' | sort | while read f; do sha256sum "$f"; done; cd / && umount /mnt`;

/** Compares `sha256  ./path` lines (Linux's view) with the model's digests. */
export function compareDigests(output: string, want: Map<string, string>): string[] {
  const got = new Map<string, string>();
  for (const m of output.matchAll(/^([0-9a-f]{64}) {2}\.(\/\S+)$/gm)) got.set(m[2], m[1]);
  const problems: string[] = [];
  for (const [p, d] of want) if (got.get(p) !== d) problems.push(got.has(p) ? `${p}: Linux reads other content` : `${p}: Linux does not see it`);
  for (const p of got.keys()) if (!want.has(p)) problems.push(`${p}: Linux sees it, the model deleted it`);
  return problems;
}

/** Every file of the model reads back as its tags say (first and last byte of each block), and nothing else exists. */
export function checkModel(img: string, files: Map<string, Uint8Array>): string[] {
  const problems: string[] = [];
  const vol = Volume.open(img, { readOnly: true });
  try {
    const present = new Set<string>();
    for (const d of vol.dirs.entries(vol.inode(vol.sb.root_ino))) {
      const name = d.name.toString();
      if (name !== '.' && name !== '..' && name !== 'lost+found') present.add(`/${name}`);
    }
    for (const p of present) if (!files.has(p)) problems.push(`${p} exists, the model deleted it`);
    for (const [p, m] of files) {
      if (!present.has(p)) {
        problems.push(`${p} is missing`);
        continue;
      }
      const info = vol.inode(vol.resolve(p).ino);
      if (info.inode.i_size !== m.length * BLK) problems.push(`${p}: size ${info.inode.i_size}, model ${m.length * BLK}`);
      const data = vol.data.read(info, 0, m.length * BLK);
      for (let b = 0; b < m.length && problems.length < 20; b++) {
        if (data[b * BLK] !== m[b] || data[b * BLK + BLK - 1] !== m[b]) problems.push(`${p} block ${b}: ${data[b * BLK]}, model ${m[b]}`);
      }
    }
  } finally {
    vol.close();
  }
  return problems;
}
