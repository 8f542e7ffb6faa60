// defrag: the same arguments given to defrag.f2fs 1.15 (on a copy) and to ours put every block where defrag.f2fs puts
// it, bar the nodes ours rewrites out of place (see `compare`); contents kept, both fscks clean; the refusals leave
// the image unchanged; and Linux mounts a defragged image with the same tree (one VM boot).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editInode, hasInlineData, hasInlineDentry, isDir } from '../src/fs/inode.js';
import { BLOCKS_PER_SEG, isNodeSegType } from '../src/fs/layout/constants.js';
import { InlineFlag } from '../src/fs/layout/node.js';
import { mkdir, remove, symlink, writePath, xattrSetPath } from '../src/fs/ops.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { Volume } from '../src/fs/volume.js';
import { cli } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { makeImage, scratchPath, type FeatureSet, type Mkfs } from './helpers/scratch.js';
import { lcg } from './helpers/churn.js';
import { treeListing, vmTreeListing, vmTreeScript, type Entry } from './helpers/tree.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const BLK = 4096;

/**
 * Files of every shape over nested directories: two fragmented files appended in turns with a checkpoint between
 * turns, inline files (a few hundred bytes), a file big enough for direct and indirect nodes, a symlink, an xattr;
 * a third of the small files removed again so the live blocks are scattered, then a checkpoint.
 */
function populate(img: string, seed: number): void {
  const rnd = lcg(seed);
  const vol = Volume.open(img, { readOnly: false });
  try {
    for (const d of ['/a', '/a/b', '/d']) mkdir(vol, d);
    const dirs = ['/', '/a/', '/a/b/', '/d/'];
    for (let turn = 0; turn < 12; turn++) {
      for (const [name, blocks] of [['/a/frag1', 3], ['/d/frag2', 2]] as const) {
        const data = Buffer.alloc(blocks * BLK, turn + 1);
        data.write(`${name} turn ${turn}`);
        writePath(vol, name, data, { append: true });
      }
      writeCheckpoint(vol, { umount: false });
    }
    for (let i = 0; i < 40; i++) {
      const size = i % 4 === 0 ? 100 + Math.floor(rnd() * 2000) : Math.floor(rnd() * 120_000) + 1;
      const data = Buffer.alloc(size, Math.floor(rnd() * 250) + 1);
      for (let o = 0; o < size; o += 4093) data[o] = (i + o) & 0xff;
      writePath(vol, `${dirs[i % dirs.length]}f${i}`, data);
    }
    for (let i = 1; i < 40; i += 3) remove(vol, `${dirs[i % dirs.length]}f${i}`);
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let o = 0; o < big.length; o += BLK) big.writeUInt32LE(o / BLK + 7, o);
    writePath(vol, '/d/big', big);
    symlink(vol, 'a/b', '/link');
    xattrSetPath(vol, '/a/f5', 'user.note', Buffer.from('defragged'));
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
}

/** Where everything is: `node NID` (inodes, xattr and tree nodes) and `data INO BIDX`, with the node holding the slot. */
interface Snapshot {
  addr: Map<string, number>;
  holder: Map<string, number>;
  tree: Entry[];
  /** Main-area blocks valid in the SIT, per kind, inside [from, to). */
  validIn: (from: number, to: number) => { data: number; node: number };
  dataLogs: number[];
}

function snapshot(img: string): Snapshot {
  const vol = Volume.open(img, { readOnly: true });
  try {
    const addr = new Map<string, number>();
    const holder = new Map<string, number>();
    const walk = (ino: number) => {
      const info = vol.inode(ino);
      const i = info.inode;
      addr.set(`node ${ino}`, vol.nm.getNat(ino).block_addr);
      if (i.i_xattr_nid) addr.set(`node ${i.i_xattr_nid}`, vol.nm.getNat(i.i_xattr_nid).block_addr);
      const slot = (bidx: number, blkaddr: number, owner: { nid: number }) => {
        addr.set(`data ${ino} ${bidx}`, blkaddr);
        holder.set(`data ${ino} ${bidx}`, owner.nid);
      };
      const node = (nid: number, _ofs: number, blkaddr: number) => addr.set(`node ${nid}`, blkaddr);
      if (!hasInlineData(info) && !hasInlineDentry(info)) vol.data.walk(info, 0, Number.MAX_SAFE_INTEGER, slot, node);
      if (!isDir(i.i_mode)) return;
      for (const d of vol.dirs.entries(info)) if (d.name.toString() !== '.' && d.name.toString() !== '..') walk(d.ino);
    };
    walk(vol.sb.root_ino);
    const sits = new Map<number, { type: number; map: Buffer }>();
    for (let s = 0; s < vol.geo.mainSegments; s++) {
      const e = vol.sm.getSit(s);
      if (e.valid) sits.set(s, { type: e.type, map: Buffer.from(e.valid_map) });
    }
    const main = vol.geo.mainBlkaddr;
    const validIn = (from: number, to: number) => {
      const n = { data: 0, node: 0 };
      for (let a = from; a < to; a++) {
        const s = sits.get(Math.floor((a - main) / BLOCKS_PER_SEG));
        const off = (a - main) % BLOCKS_PER_SEG;
        if (s && s.map[off >> 3] & (0x80 >> (off & 7))) n[isNodeSegType(s.type) ? 'node' : 'data']++;
      }
      return n;
    };
    return { addr, holder, tree: treeListing(img), validIn, dataLogs: vol.sm.cursegs.slice(0, 3).map((c) => c.segno) };
  } finally {
    vol.close();
  }
}

interface Args {
  start: number;
  length: number;
  target?: number;
  shrink?: boolean;
}

function realDefrag(img: string, a: Args): { status: number; out: string } {
  const args = ['-s', String(a.start), '-l', String(a.length), ...(a.target === undefined ? [] : ['-t', String(a.target)]), ...(a.shrink ? ['-i'] : [])];
  const r = spawnSync('/usr/sbin/defrag.f2fs', [...args, img], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function ourDefrag(img: string, a: Args) {
  const args = ['defrag', img, '--start', String(a.start), '--length', String(a.length), ...(a.target === undefined ? [] : ['--target', String(a.target)]), ...(a.shrink ? ['--shrink'] : []), '--json'];
  return cli(args);
}

function expectClean(img: string): void {
  const both = fsckBoth(img);
  assert.equal(both.problems, [], both.problems.join('\n'));
}

/**
 * Runs both on copies of `img` and compares. Every data block, and every node that no moved data block hangs from,
 * ends where defrag.f2fs puts it: the plan is find_next_free_block over the same SIT. The nodes holding the slots
 * of moved data blocks (and those files' inodes, whose extent GC drops) differ: defrag.f2fs rewrites them in place,
 * which a crash before its checkpoint would leave pointing at blocks the old checkpoint calls free; ours dirties them
 * as GC does and the checkpoint writes them out of place into the node logs, so for them we assert they left the range.
 */
function compare(img: string, a: Args): { ours: string; theirs: string; report: any } {
  const before = snapshot(img);
  const theirs = `${img}.real`;
  const ours = `${img}.ours`;
  fs.copyFileSync(img, theirs);
  fs.copyFileSync(img, ours);
  const real = realDefrag(theirs, a);
  assert.is(real.status, 0, `defrag.f2fs: ${real.out}`);
  const r = ourDefrag(ours, a);
  assert.is(r.status, 0, `${JSON.stringify(a)}: ${r.stdout}${r.stderr}`);
  const report = JSON.parse(r.stdout);
  const end = report.start + report.length;
  const inRange = (x: number) => x >= report.start && x < end;
  const valid = before.validIn(report.start, end);
  assert.equal(report.moved, valid, 'every valid block of the range moved');
  assert.ok(valid.data + valid.node > 0, 'the range holds valid blocks');

  const o = snapshot(ours);
  const t = snapshot(theirs);
  const rewritten = new Set<string>();
  for (const [k, x] of before.addr) {
    if (!k.startsWith('data') || !inRange(x)) continue;
    rewritten.add(`node ${before.holder.get(k)}`);
    rewritten.add(`node ${k.split(' ')[1]}`);
  }
  assert.equal([...o.addr.keys()].sort(), [...before.addr.keys()].sort());
  let same = 0;
  for (const [k, x] of before.addr) {
    const mine = o.addr.get(k)!;
    if (rewritten.has(k)) {
      assert.not.ok(inRange(mine), `${k} left the range (${x} -> ${mine})`);
      continue;
    }
    assert.is(mine, t.addr.get(k), `${k} (was ${x}): ours ${mine}, defrag.f2fs's ${t.addr.get(k)}`);
    if (inRange(x)) {
      assert.ok(report.direction === 'shrink' ? mine < report.target : mine >= report.target, `${k} went to the target's side`);
      same++;
    }
  }
  assert.ok(same > 0, 'some moved blocks compared with defrag.f2fs');
  assert.equal(o.tree, before.tree, 'same tree, same bytes');
  assert.equal(t.tree, before.tree);
  assert.equal(o.dataLogs, t.dataLogs, 'the data logs moved where defrag.f2fs moves them');
  expectClean(ours);
  return { ours, theirs, report };
}

interface Case {
  name: string;
  mkfs: Mkfs;
  features: FeatureSet;
  /** The arguments, from the populated image. */
  args: (vol: Volume) => Args;
}

/** Main segments holding valid blocks of a kind (the logs' too: our writes leave the nodes in the node logs). */
function segmentsOf(vol: Volume, node: boolean): number[] {
  const out: number[] = [];
  for (let s = 0; s < vol.geo.mainSegments; s++) {
    const e = vol.sm.getSit(s);
    if (e.valid && isNodeSegType(e.type) === node) out.push(s);
  }
  return out;
}

const CASES: Case[] = [
  {
    name: 'mkfs.f2fs, the defaults (first main segment: nodes)',
    mkfs: 'mkfs.f2fs',
    features: 'default',
    args: (vol) => ({ start: vol.geo.mainBlkaddr, length: BLOCKS_PER_SEG }),
  },
  {
    name: 'mkfs.f2fs, two data segments to a target further up',
    mkfs: 'mkfs.f2fs',
    features: 'default',
    args: (vol) => {
      const s = segmentsOf(vol, false)[0];
      return { start: vol.sm.segBlkaddr(s), length: 2 * BLOCKS_PER_SEG, target: vol.sm.segBlkaddr(s + 6) };
    },
  },
  {
    name: 'ours extra, the last data segments shrunk down below them (-i)',
    mkfs: 'ours',
    features: 'extra',
    args: (vol) => {
      const s = segmentsOf(vol, false).at(-1)!;
      return { start: vol.sm.segBlkaddr(s - 1), length: 2 * BLOCKS_PER_SEG, shrink: true };
    },
  },
  {
    name: 'ours default, node and data segments, range and target not segment-aligned',
    mkfs: 'ours',
    features: 'default',
    args: (vol) => {
      const n = segmentsOf(vol, true)[0];
      const d = segmentsOf(vol, false)[0];
      const lo = Math.min(n, d);
      const hi = Math.max(n, d);
      return { start: vol.sm.segBlkaddr(lo) + 100, length: (hi - lo) * BLOCKS_PER_SEG + 300, target: vol.sm.segBlkaddr(hi + 3) + 77 };
    },
  },
  {
    // The search down starts one below the target: in a free segment, blocks fill it from there downwards.
    name: 'mkfs.f2fs extra, a node segment moved down from a target inside a free segment near the end (-i -t)',
    mkfs: 'mkfs.f2fs',
    features: 'extra',
    args: (vol) => {
      const n = segmentsOf(vol, true).at(-1)!;
      return { start: vol.sm.segBlkaddr(n), length: BLOCKS_PER_SEG, target: vol.sm.segBlkaddr(vol.geo.mainSegments - 20) + 40, shrink: true };
    },
  },
  {
    // The search up from below the range never reaches it here (room enough before it): defrag.f2fs's search would
    // take the slots the range freed when it did, ours skips the range (see Planner in src/fs/defrag.ts).
    name: 'mkfs.f2fs, the upper two thirds of the data segments moved to a target below them',
    mkfs: 'mkfs.f2fs',
    features: 'default',
    args: (vol) => {
      const data = segmentsOf(vol, false);
      const from = data[Math.floor(data.length / 3)];
      return { start: vol.sm.segBlkaddr(from), length: (data.at(-1)! + 1 - from) * BLOCKS_PER_SEG, target: vol.sm.segBlkaddr(2) + 9 };
    },
  },
];

/** A defragged image of ours the VM test mounts, with the tree it must show. */
const defragged: { img: string; tree: Entry[] }[] = [];

for (const [i, c] of CASES.entries()) {
  test(`defrag: ${c.name}: blocks where defrag.f2fs puts them, contents kept, both fscks clean`, () => {
    const img = makeImage(scratchPath(`defrag-${i}.img`, true), { mkfs: c.mkfs, features: c.features, sizeMb: 128, seed: 5 });
    populate(img, 40 + i);
    const vol = Volume.open(img, { readOnly: true });
    const args = c.args(vol);
    vol.close();
    const { ours, report } = compare(img, args);
    console.log(`  ${c.name}: [${report.start}, ${report.start + report.length}) -> ${report.target}: moved ${report.moved.data} data + ${report.moved.node} node blocks, ${report.ms} ms`);
    if (c.mkfs === 'ours' && defragged.length < 2) defragged.push({ img: ours, tree: snapshot(ours).tree });
  });
}

test('defrag: free segments down to the reserved ones plus one: ENOSPC for a log, the image unchanged (defrag.f2fs breaks it)', () => {
  // 64 MiB: 24 main segments, 13 reserved. Six segments of 100-block files, every other file removed: the six logs and
  // six half-full segments leave 12 free, fewer than 13 + 1, so find_next_free_block passes the free segments by and
  // only the holes of data segments are left: the blocks fit, the hot-data log (no partly used hot-data segment) not.
  const img = makeImage(scratchPath('defrag-full.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 64 });
  const vol = Volume.open(img, { readOnly: false });
  for (let i = 0; i < 30; i++) writePath(vol, `/f${i}`, Buffer.alloc(100 * BLK, i + 1));
  writeCheckpoint(vol, { umount: true });
  for (let i = 0; i < 30; i += 2) remove(vol, `/f${i}`);
  writeCheckpoint(vol, { umount: true });
  const logs = new Set(vol.sm.cursegs.map((c) => c.segno));
  let free = 0;
  for (let segno = 0; segno < vol.geo.mainSegments; segno++) if (!vol.sm.getSit(segno).valid && !logs.has(segno)) free++;
  assert.ok(free <= vol.cp.head.rsvd_segment_count + 1, `${free} free segments, ${vol.cp.head.rsvd_segment_count} reserved`);
  const partial = segmentsOf(vol, false).filter((segno) => !logs.has(segno));
  const args = { start: vol.sm.segBlkaddr(partial.at(-1)!), length: BLOCKS_PER_SEG, target: vol.geo.mainBlkaddr };
  vol.close();
  const sum = execFileSync('sha256sum', [img]).toString();
  const r = ourDefrag(img, args);
  assert.is(r.status, 1, r.stderr);
  assert.match(JSON.parse(r.stdout).error.message, /no room from \d+ for the hot-data log/);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
  // defrag.f2fs moves the blocks, then asserts in move_one_curseg_info, its SIT changes never written.
  const copy = `${img}.real`;
  fs.copyFileSync(img, copy);
  assert.match(realDefrag(copy, args).out, /ASSERT.*move_one_curseg_info/);
  assert.match(fsckBoth(copy).real.out, /SIT bitmap is 0x0/);
});

test('defrag: refusals (range or target outside main, target inside the range, ENOSPC) leave the image unchanged', () => {
  const img = makeImage(scratchPath('defrag-refuse.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 64 });
  populate(img, 3);
  const vol = Volume.open(img, { readOnly: true });
  const main = vol.geo.mainBlkaddr;
  const mainEnd = main + vol.geo.mainSegments * BLOCKS_PER_SEG;
  const data = segmentsOf(vol, false)[0];
  const lastFree = vol.sm.getSit(vol.geo.mainSegments - 1).valid === 0 && !vol.sm.cursegOf(vol.geo.mainSegments - 1);
  vol.close();
  const sum = execFileSync('sha256sum', [img]).toString();
  const refused = (args: string[], code: string, why: RegExp) => {
    const r = cli(['defrag', img, ...args, '--json']);
    assert.is(r.status, 1, r.stderr);
    const e = JSON.parse(r.stdout).error;
    assert.is(e.code, code, e.message);
    assert.match(e.message, why);
    assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
  };
  // defrag.f2fs refuses these too ("Out-of-range").
  refused(['--start', String(main), '--target', String(main + 10)], 'EINVAL', /inside the range/);
  refused(['--start', String(mainEnd)], 'EINVAL', /outside the main area/);
  refused(['--range', `${main}~${main + 512}`, '--target', String(mainEnd + 5)], 'EINVAL', /outside the main area/);
  refused(['--start', String(main), '--shrink'], 'EINVAL', /target .* outside the main area/);
  // Ours refuses a start below main_blkaddr; defrag.f2fs moves it up to main_blkaddr, keeping the length.
  refused(['--start', '0', '--length', '8'], 'EINVAL', /outside the main area/);
  // Room for 10 blocks above the target, in the last (free) segment: defrag.f2fs moves 10 blocks, then stops without a
  // checkpoint (its NAT and node writes already on disk); ours finds that out first and writes nothing.
  assert.ok(lastFree, 'the last main segment is free');
  const args = { start: main + data * BLOCKS_PER_SEG, length: BLOCKS_PER_SEG, target: mainEnd - 10 };
  refused(['--start', String(args.start), '--length', '512', '--target', String(args.target)], 'ENOSPC', /not enough free blocks/);
  const copy = `${img}.real`;
  fs.copyFileSync(img, copy);
  const real = realDefrag(copy, args);
  assert.match(real.out, /Not enough space/);
  // Both flags given for the range: a usage error.
  const both = cli(['defrag', img, '--range', '1~2', '--start', '1']);
  assert.is(both.status, 2, both.stderr);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
});

test('defrag: EBUSY, the image unchanged, for a pinned file in the range or fsynced nodes waiting for recovery', () => {
  const img = makeImage(scratchPath('defrag-busy.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 64 });
  let vol = Volume.open(img, { readOnly: false });
  const { ino } = writePath(vol, '/pinned', Buffer.alloc(100 * BLK, 7));
  editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_inline |= InlineFlag.PIN_FILE));
  writeCheckpoint(vol, { umount: true });
  const at = vol.data.bmap(vol.inode(ino), 0).blkaddr;
  vol.close();
  const sum = execFileSync('sha256sum', [img]).toString();
  const r = cli(['defrag', img, '--start', String(at), '--length', '10']);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /EBUSY: .*pinned/);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');

  vol = Volume.open(img, { readOnly: false });
  writePath(vol, '/synced', Buffer.from('fsynced, not checkpointed'));
  vol.finish('fsync');
  vol.close();
  const waiting = execFileSync('sha256sum', [img]).toString();
  const g = cli(['defrag', img]);
  assert.is(g.status, 1, g.stderr);
  assert.match(g.stderr, /EBUSY: .*roll-forward/);
  assert.is(execFileSync('sha256sum', [img]).toString(), waiting, 'image unchanged');
});

const vm = vmAvailable();
test('defrag: Linux mounts our defragged images and sees the same tree (one VM boot)', async () => {
  if (!vm.ok) {
    console.log(`  skipped: no VM (${vm.why})`);
    return;
  }
  assert.ok(defragged.length >= 2, 'the defrag cases on our images ran first');
  const r = await runInVm({ disks: defragged.map((x) => x.img), script: defragged.flatMap((_, i) => vmTreeScript(i)).join('\n'), timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  for (const [i, { img, tree }] of defragged.entries()) {
    assert.equal(vmTreeListing(r.output, i), tree, `image ${i} as Linux sees it`);
    // Linux wrote to it after the defrag: still consistent.
    expectClean(img);
  }
});

test.run();
