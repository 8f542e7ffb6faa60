// resize: grow and shrink against resize.f2fs 1.15 (same superblock, same checkpoint geometry), content kept, both
// fscks clean, ENOSPC leaving the image as it was, refusals; and Linux mounting the resized images (one VM boot).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editInode } from '../src/fs/inode.js';
import { InlineFlag } from '../src/fs/layout/node.js';
import { SUPER_OFFSET } from '../src/fs/layout/constants.js';
import { Superblock } from '../src/fs/layout/superblock.js';
import { mkdir, remove, symlink, writePath, xattrSetPath } from '../src/fs/ops.js';
import { readCheckpoint, writeCheckpoint } from '../src/fs/checkpoint.js';
import { geometryOf } from '../src/fs/super.js';
import { Volume } from '../src/fs/volume.js';
import { openDevice } from '../src/device/index.js';
import { cli } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { makeImage, scratchPath, type FeatureSet, type Mkfs } from './helpers/scratch.js';
import { treeListing, vmTreeListing, vmTreeScript, type Entry } from './helpers/tree.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const MiB = 1024 * 1024;
const BLK = 4096;

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

/**
 * About 9 MiB in ~60 files over nested directories, a symlink and an xattr; a third of the files are removed again
 * so the live blocks are scattered, then a checkpoint.
 */
function populate(img: string, seed: number): void {
  const rnd = lcg(seed);
  const vol = Volume.open(img, { readOnly: false });
  try {
    for (const d of ['/a', '/a/b', '/a/b/c', '/d']) mkdir(vol, d);
    const dirs = ['/', '/a/', '/a/b/', '/a/b/c/', '/d/'];
    for (let i = 0; i < 60; i++) {
      const size = Math.floor(rnd() * 300_000) + (i % 7 === 0 ? 0 : 1);
      const byte = Math.floor(rnd() * 250) + 1;
      const data = Buffer.alloc(size, byte);
      for (let o = 0; o < size; o += 4093) data[o] = (i + o) & 0xff;
      writePath(vol, `${dirs[i % dirs.length]}f${i}`, data);
    }
    for (let i = 0; i < 60; i += 3) remove(vol, `${dirs[i % dirs.length]}f${i}`);
    writePath(vol, '/d/big', Buffer.alloc(2 * MiB, 0x5a));
    symlink(vol, 'a/b/c', '/link');
    xattrSetPath(vol, '/a/f1', 'user.note', Buffer.from('resized'));
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
}

function superblockOf(img: string): Superblock {
  const fd = fs.openSync(img, 'r');
  try {
    const b = Buffer.alloc(BLK);
    fs.readSync(fd, b, 0, BLK, 0);
    return Superblock.decode(b, SUPER_OFFSET);
  } finally {
    fs.closeSync(fd);
  }
}

/** The checkpoint fields resize.f2fs decides from the geometry alone (the logs' places come from its own allocator). */
const CP_GEOMETRY = [
  'user_block_count',
  'valid_block_count',
  'rsvd_segment_count',
  'overprov_segment_count',
  'valid_node_count',
  'valid_inode_count',
  'next_free_nid',
  'sit_ver_bitmap_bytesize',
  'nat_ver_bitmap_bytesize',
  'checksum_offset',
] as const;

function cpHead(img: string) {
  const dev = openDevice(img, { readOnly: true });
  try {
    const sb = superblockOf(img);
    return readCheckpoint(dev, sb, geometryOf(sb)).head;
  } finally {
    dev.close();
  }
}

/** resize.f2fs on a copy: a shrink needs its safe mode (-s), the only one it shrinks in; the file is sized as ours. */
function realResize(src: string, bytes: number): string {
  const copy = `${src}.real`;
  fs.copyFileSync(src, copy);
  const grow = bytes > fs.statSync(src).size;
  if (grow) fs.truncateSync(copy, bytes);
  const r = spawnSync('/usr/sbin/resize.f2fs', [...(grow ? [] : ['-s']), '-t', String(bytes / 512), copy], { encoding: 'utf8' });
  assert.is(r.status, 0, `resize.f2fs: ${r.stdout}${r.stderr}`);
  if (!grow) fs.truncateSync(copy, bytes);
  return copy;
}

function expectClean(img: string): void {
  const both = fsckBoth(img);
  assert.equal(both.problems, [], both.problems.join('\n'));
}

/** Main segments at or past `from` that hold valid blocks. */
function usedFrom(img: string, from: number): number {
  const vol = Volume.open(img, { readOnly: true });
  try {
    let n = 0;
    for (let s = from; s < vol.geo.mainSegments; s++) if (vol.sm.getSit(s).valid) n++;
    return n;
  } finally {
    vol.close();
  }
}

interface Case {
  name: string;
  mkfs: Mkfs;
  features: FeatureSet;
  fromMb: number;
  toBytes: number;
}

const CASES: Case[] = [
  { name: 'mkfs.f2fs 256M shrunk to 128M', mkfs: 'mkfs.f2fs', features: 'default', fromMb: 256, toBytes: 128 * MiB },
  { name: 'mkfs.f2fs 128M grown to 1G', mkfs: 'mkfs.f2fs', features: 'default', fromMb: 128, toBytes: 1024 * MiB },
  { name: 'mkfs.f2fs extra 128M grown to 300M', mkfs: 'mkfs.f2fs', features: 'extra', fromMb: 128, toBytes: 300 * MiB },
  { name: 'ours quota 256M shrunk to 100M', mkfs: 'ours', features: 'quota', fromMb: 256, toBytes: 100 * MiB },
  { name: 'ours extra 96M grown to 2G', mkfs: 'ours', features: 'extra', fromMb: 96, toBytes: 2048 * MiB },
  { name: 'mkfs.f2fs quota 512M shrunk to 90M', mkfs: 'mkfs.f2fs', features: 'quota', fromMb: 512, toBytes: 90 * MiB },
];

/** Resized images the VM test mounts, with the listing they must show. */
const resized: { img: string; want: Entry[] }[] = [];

for (const [i, c] of CASES.entries()) {
  test(`resize: ${c.name}: superblock and checkpoint geometry as resize.f2fs, content kept, both fscks clean`, () => {
    const img = makeImage(scratchPath(`resize-${i}.img`, true), { mkfs: c.mkfs, features: c.features, sizeMb: c.fromMb, seed: 7 });
    populate(img, 100 + i);
    const before = treeListing(img);
    const manifest = cli(['manifest', img]).stdout;
    const shrink = c.toBytes < c.fromMb * MiB;
    const real = realResize(img, c.toBytes);
    const want = superblockOf(real);
    if (shrink) assert.ok(usedFrom(img, want.segment_count_main) > 0, 'some live blocks lie past the new end');

    const r = cli(['resize', img, String(c.toBytes), '--json']);
    assert.is(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.is(j.direction, shrink ? 'shrink' : 'grow');
    assert.is(fs.statSync(img).size, c.toBytes);
    if (shrink) assert.ok(j.moved.data + j.moved.node > 0, 'blocks moved');

    assert.equal(superblockOf(img), want, 'superblock equals resize.f2fs\'s');
    const ours = cpHead(img);
    const theirs = cpHead(real);
    for (const f of CP_GEOMETRY) assert.is(ours[f], theirs[f], `checkpoint ${f}`);
    assert.is(j.new.userBlocks, Number(theirs.user_block_count));
    assert.is(j.new.mainSegments, want.segment_count_main);
    assert.is(j.old.blockCount, (c.fromMb * MiB) / BLK);

    expectClean(img);
    assert.equal(treeListing(img), before, 'same tree, same bytes');
    assert.is(cli(['manifest', img]).stdout, manifest);
    resized.push({ img, want: before });
  });
}

test('resize: ENOSPC when the live blocks do not fit, the image unchanged', () => {
  const img = makeImage(scratchPath('resize-full.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 128 });
  populate(img, 3);
  const vol = Volume.open(img, { readOnly: false });
  writePath(vol, '/fill', Buffer.alloc(6 * MiB, 1));
  writeCheckpoint(vol, { umount: true });
  vol.close();
  const sum = execFileSync('sha256sum', [img]).toString();
  const r = cli(['resize', img, '60M', '--json']);
  assert.is(r.status, 1, r.stderr);
  assert.is(JSON.parse(r.stdout).error.code, 'ENOSPC');
  assert.match(JSON.parse(r.stdout).error.message, /valid blocks do not fit/);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
  const tiny = cli(['resize', img, '20M']);
  assert.is(tiny.status, 1);
  assert.match(tiny.stderr, /ENOSPC: .*too small/);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
  // The same size again: nothing to do.
  const same = JSON.parse(cli(['resize', img, '128M', '--json']).stdout);
  assert.is(same.direction, 'none');
  assert.is(execFileSync('sha256sum', [img]).toString(), sum);
});

test('resize: EBUSY, the image unchanged, when a pinned file lies past the new end or fsynced nodes wait for recovery', () => {
  const img = makeImage(scratchPath('resize-pin.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 256 });
  let vol = Volume.open(img, { readOnly: false });
  const { ino } = writePath(vol, '/pinned', Buffer.alloc(100 * BLK, 7));
  editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_inline |= InlineFlag.PIN_FILE));
  writeCheckpoint(vol, { umount: true });
  const pinnedAt = vol.nm.getNat(ino).block_addr;
  vol.close();
  assert.ok(usedFrom(img, 56) > 0, 'mkfs.f2fs put the warm data log past the 56 main segments of 128 MiB');
  const sum = execFileSync('sha256sum', [img]).toString();
  const r = cli(['resize', img, '128M']);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /EBUSY: .*pinned/);
  assert.is(execFileSync('sha256sum', [img]).toString(), sum, 'image unchanged');
  assert.ok(pinnedAt > 0);

  vol = Volume.open(img, { readOnly: false });
  writePath(vol, '/synced', Buffer.from('fsynced, not checkpointed'));
  vol.finish('fsync');
  vol.close();
  const waiting = execFileSync('sha256sum', [img]).toString();
  const g = cli(['resize', img, '512M']);
  assert.is(g.status, 1, g.stderr);
  assert.match(g.stderr, /EBUSY: .*roll-forward/);
  assert.is(execFileSync('sha256sum', [img]).toString(), waiting, 'image unchanged');
  assert.is(fs.statSync(img).size, 256 * MiB);
});

test('resize: refuses an Android sparse image and sections of two segments, unchanged', () => {
  const raw = makeImage(scratchPath('resize-sp.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 64 });
  const sparse = scratchPath('resize-sp.simg');
  assert.is(cli(['sparse', raw, sparse]).status, 0);
  const s = cli(['resize', sparse, '128M']);
  assert.is(s.status, 4, s.stderr);
  assert.match(s.stderr, /UNSUPPORTED: .*sparse/);
  const two = scratchPath('resize-2seg.img');
  fs.writeFileSync(two, '');
  fs.truncateSync(two, 128 * MiB);
  execFileSync('mkfs.f2fs', ['-q', '-f', '-s', '2', two]);
  const sum = execFileSync('sha256sum', [two]).toString();
  const r = cli(['resize', two, '256M']);
  assert.is(r.status, 4, r.stderr);
  assert.match(r.stderr, /UNSUPPORTED: .*segment per section/);
  assert.is(execFileSync('sha256sum', [two]).toString(), sum);
  assert.is(fs.statSync(two).size, 128 * MiB);
});

test('resize: shrinking a 256 MiB image with data to move (timing)', () => {
  const img = makeImage(scratchPath('resize-time.img'), { mkfs: 'mkfs.f2fs', features: 'default', sizeMb: 256 });
  const vol = Volume.open(img, { readOnly: false });
  for (let i = 0; i < 12; i++) writePath(vol, `/f${i}`, Buffer.alloc(5 * MiB, i + 1));
  for (let i = 0; i < 12; i += 2) remove(vol, `/f${i}`);
  writeCheckpoint(vol, { umount: true });
  vol.close();
  const before = treeListing(img);
  const t0 = performance.now();
  const j = JSON.parse(cli(['resize', img, '96M', '--json']).stdout);
  const ms = performance.now() - t0;
  console.log(`  shrink 256M -> 96M: moved ${j.moved.data} data + ${j.moved.node} node blocks out of ${j.segmentsEmptied} segments, ${j.ms} ms in the library, ${Math.round(ms)} ms for the command`);
  assert.ok(j.moved.data > 0);
  expectClean(img);
  assert.equal(treeListing(img), before);
});

const vm = vmAvailable();
test('resize: Linux mounts the grown and shrunk images and sees the same tree (one VM boot)', async () => {
  if (!vm.ok) {
    console.log(`  skipped: no VM (${vm.why})`);
    return;
  }
  assert.ok(resized.length >= 4, 'the resize cases ran first');
  const r = await runInVm({ disks: resized.map((x) => x.img), script: resized.flatMap((_, i) => vmTreeScript(i)).join('\n'), timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  for (const [i, { img, want }] of resized.entries()) {
    assert.equal(vmTreeListing(r.output, i), want, `image ${i} as Linux sees it`);
    // Linux wrote to it after the resize: still consistent.
    expectClean(img);
  }
});

test.run();
