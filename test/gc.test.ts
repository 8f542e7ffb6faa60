// Garbage collection: a volume that keeps running past its capacity, the gc command, and GC under atomic writes.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atomicAbort, atomicBegin, atomicCommit } from '../src/fs/atomic.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { gc, selectVictim } from '../src/fs/gc.js';
import { ALLOC_SSR } from '../src/fs/segment.js';
import { CursegType } from '../src/fs/layout/constants.js';
import { bitMsb } from '../src/util/struct.js';
import { remove, writePath } from '../src/fs/ops.js';
import { Volume } from '../src/fs/volume.js';
import { editInode } from '../src/fs/inode.js';
import { InlineFlag } from '../src/fs/layout/node.js';
import { cli } from './helpers/cli.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, tmpPath, withVol } from './helpers/images.js';
import { checkModel, churn as churnModel } from './helpers/churn.js';
import { mkfsImage as ourMkfs } from '../src/fs/mkfs.js';

const BLK = 4096;
const BLOCKS_PER_SEG = 512;
const FILE_BLOCKS = 768; // 3 MiB

/** A deterministic random source (the tests must replay the same workload). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

function expectClean(img: string): void {
  const both = fsckBoth(img);
  assert.equal(both.problems, [], both.problems.join('\n'));
}

/** The dirty-segment list GC and SSR choose from, kept write by write, equals a full SIT scan. */
function expectPartialTracked(vol: Volume): void {
  const scan: number[] = [];
  for (let segno = 0; segno < vol.geo.mainSegments; segno++) {
    const v = vol.sm.getSit(segno).valid;
    if (v > 0 && v < BLOCKS_PER_SEG) scan.push(segno);
  }
  assert.equal(vol.sm.partialSegments(), scan);
}

/**
 * Four 3 MiB files, then `writes` random 4 KiB overwrites with a checkpoint every 1,000; the model holds each block's
 * byte. In lfs mode (as on volumes over 16 GiB, where Linux does not rewrite in place) every overwrite leaves garbage.
 */
function churn(img: string, writes: number, seed: number, mode: 'lfs' | 'adaptive' = 'lfs'): Uint8Array[] {
  const model = Array.from({ length: 4 }, (_, f) => new Uint8Array(FILE_BLOCKS).fill(f + 1));
  const rnd = lcg(seed);
  const vol = Volume.open(img, { readOnly: false, mode });
  try {
    for (let f = 0; f < 4; f++) writePath(vol, `/f${f}`, Buffer.alloc(FILE_BLOCKS * BLK, f + 1));
    writeCheckpoint(vol, { umount: true });
    for (let i = 0; i < writes; i++) {
      const f = Math.floor(rnd() * 4);
      const b = Math.floor(rnd() * FILE_BLOCKS);
      const byte = (i % 251) + 5;
      writePath(vol, `/f${f}`, Buffer.alloc(BLK, byte), { offset: b * BLK });
      model[f][b] = byte;
      if (i % 1000 !== 999) continue;
      expectPartialTracked(vol);
      writeCheckpoint(vol, { umount: false });
    }
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  return model;
}

function expectContent(img: string, model: Uint8Array[]): void {
  withVol(img, (vol) => {
    model.forEach((blocks, f) => {
      const info = vol.inode(vol.resolve(`/f${f}`).ino);
      const data = vol.data.read(info, 0, FILE_BLOCKS * BLK);
      for (let b = 0; b < FILE_BLOCKS; b++) {
        if (data[b * BLK] !== blocks[b] || data[b * BLK + BLK - 1] !== blocks[b]) assert.unreachable(`/f${f} block ${b}: ${data[b * BLK]}, expected ${blocks[b]}`);
      }
    });
  });
}

test('random overwrites at 75% of a 64 MiB image run past 1x its capacity: GC cleans, both fscks stay clean', () => {
  // Without GC this workload stopped with ENOSPC after about 7,200 writes (the report).
  const img = mkfsImage('gc-churn.img', 64);
  const model = churn(img, 9000, 7);
  expectContent(img, model);
  expectClean(img);
});

test('a small volume rewrites data in place as Linux does (IPU_FORCE): the overwrites move no block and need no GC', () => {
  const img = mkfsImage('gc-ipu.img', 64);
  const addrs = () =>
    withVol(img, (vol) => {
      const out: number[] = [];
      for (let f = 0; f < 4; f++) vol.data.walk(vol.inode(vol.resolve(`/f${f}`).ino), 0, FILE_BLOCKS, (_b, a) => out.push(a));
      return out;
    });
  churn(img, 0, 1, 'adaptive');
  const before = addrs();
  const model = churn(img, 3000, 7, 'adaptive');
  assert.equal(addrs(), before, 'every block stayed where it was');
  expectContent(img, model);
  expectClean(img);
});

test('churn at 75-90% of the user capacity (creates, appends, overwrites, truncates, deletes) on mkfs.f2fs and our 64 MiB images: no ENOSPC, both fscks clean at every checkpoint, content as the model', () => {
  for (const formatter of ['mkfs.f2fs', 'ours'] as const) {
    const img = formatter === 'ours' ? tmpPath('gc-churn-ours.img') : mkfsImage('gc-churn-mkfs.img', 64);
    if (formatter === 'ours') ourMkfs(img, { sizeBytes: 64 << 20, seed: 3, timestamp: 1700000000 });
    const r = churnModel(img, { seed: formatter === 'ours' ? 21 : 22, capacityMultiple: 1.5, low: 0.75, high: 0.9, checkpointEvery: 1500, onCheckpoint: expectClean });
    assert.ok(r.gcCheckpoints > 0, `${formatter}: GC ran (${JSON.stringify(r.ops)})`);
    assert.equal(checkModel(img, r.files), []);
  }
});

test('capacity: a fresh image takes as many blocks as Linux statfs reports free (within one section), GC making room', () => {
  for (const overwrite of [false, true]) {
    const img = mkfsImage(`gc-fill-${overwrite}.img`, 64);
    const vol = Volume.open(img, { readOnly: false });
    let filled = 0;
    // f2fs_statfs: f_bavail = user_block_count - valid_block_count (no reserved blocks by default).
    const bavail = vol.cp.head.user_block_count - vol.cp.head.valid_block_count;
    try {
      // A churned volume first (rewritten half way), then filled: the free space has to come back through GC.
      if (overwrite) {
        for (let i = 0; i < 4; i++) writePath(vol, `/tmp${i}`, Buffer.alloc(800 * BLK, i));
        for (let i = 0; i < 4; i++) remove(vol, `/tmp${i}`);
        writeCheckpoint(vol, { umount: false });
      }
      const chunk = Buffer.alloc(64 * BLK, 0x6b);
      for (;;) {
        try {
          writePath(vol, '/fill', chunk, { append: true });
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOSPC') throw e;
          break;
        }
        filled += 64;
      }
      writeCheckpoint(vol, { umount: true });
    } finally {
      vol.close();
    }
    assert.ok(filled >= bavail - BLOCKS_PER_SEG, `filled ${filled} blocks of ${bavail} (overwrite ${overwrite})`);
    assert.ok(filled <= bavail, `filled ${filled} > ${bavail}`);
    expectClean(img);
  }
});

test('SSR: with free segments short, a full log moves into the free slots of a dirty segment, never a slot the checkpoint still uses', () => {
  const img = mkfsImage('gc-ssr.img', 64);
  const vol = Volume.open(img, { readOnly: false });
  try {
    // Twelve 200-block files, every other one deleted and checkpointed: segments with holes, free segments scarce.
    for (let i = 0; i < 12; i++) writePath(vol, `/s${i}`, Buffer.alloc(200 * BLK, i + 1));
    writeCheckpoint(vol, { umount: false });
    for (let i = 0; i < 12; i += 2) remove(vol, `/s${i}`);
    writeCheckpoint(vol, { umount: false });
    const freeBefore = vol.sm.freeSegments;
    let ssr: { segno: number; ckpt: Buffer } | null = null;
    // Files come and go (four live at a time): the warm log marches through the free segments to the end of the
    // main area, where the next segment is not free and SSR takes over.
    for (let i = 0; i < 400 && !ssr; i++) {
      writePath(vol, `/t${i}`, Buffer.alloc(64 * BLK, 0x70 + (i % 16)));
      if (i >= 4) remove(vol, `/t${i - 4}`);
      writeCheckpoint(vol, { umount: false }); // the data goes out: logs fill
      const c = vol.sm.cursegs[CursegType.WARM_DATA]; // where files of more than 16 dirty pages go
      if (c.allocType !== ALLOC_SSR) continue;
      ssr = { segno: c.segno, ckpt: Buffer.alloc(0) };
    }
    assert.ok(ssr, `a data log went SSR (free segments ${freeBefore} -> ${vol.sm.freeSegments})`);
    writeCheckpoint(vol, { umount: true });
    // Deleting frees slots the checkpoint still uses; the allocator (no checkpoint in between) must not hand them out.
    for (let i = 1; i < 12; i += 2) remove(vol, `/s${i}`);
    for (const p of [...vol.dirs.entries(vol.inode(vol.sb.root_ino))].map((d) => d.name.toString()).filter((n) => n.startsWith('t'))) remove(vol, `/${p}`);
    const cur = vol.sm.getSit(ssr!.segno).valid_map;
    ssr = { segno: ssr!.segno, ckpt: Buffer.from(vol.sm.ckptSit(ssr!.segno).valid_map) };
    assert.ok([...Array(BLOCKS_PER_SEG).keys()].some((off) => bitMsb.test(ssr!.ckpt, off) && !bitMsb.test(cur, off)), 'slots freed since the checkpoint');
    const first = vol.sm.segBlkaddr(ssr!.segno);
    for (let n = 0; n < BLOCKS_PER_SEG; n++) {
      const addr = vol.sm.allocate(CursegType.WARM_DATA, { nid: 0, version: 0, ofs_in_node: 0 });
      if (addr >= first && addr < first + BLOCKS_PER_SEG) assert.not.ok(bitMsb.test(ssr!.ckpt, addr - first), `slot ${addr - first} was valid in the checkpoint`);
    }
    vol.dev.discardPending(); // those blocks have no owner: the session ends as a power cut, at the checkpoint above
  } finally {
    vol.close();
  }
  expectClean(img);
});

test('capacity: Linux statfs (df in the VM) reports as free what we let a user fill: user_block_count - valid_block_count', async () => {
  const vm = vmAvailable();
  assert.ok(vm.ok, `no test VM: ${vm.why}`);
  const images = [mkfsImage('df-mkfs-64.img', 64), mkfsImage('df-mkfs-300.img', 300), tmpPath('df-ours-64.img'), tmpPath('df-ours-300.img')];
  ourMkfs(images[2], { sizeBytes: 64 << 20, seed: 4, timestamp: 1700000000 });
  ourMkfs(images[3], { sizeBytes: 300 << 20, seed: 5, timestamp: 1700000000 });
  const ours = images.map((img) => withVol(img, (vol) => vol.cp.head.user_block_count - vol.cp.head.valid_block_count));
  const script = images.map((_, i) => `mount -t f2fs /dev/vd${'abcd'[i]} /mnt && stat -f -c "DF ${i} %a %S" /mnt && umount /mnt`).join('\n');
  const r = await runInVm({ disks: images, script, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  for (const [i, want] of ours.entries()) {
    const m = new RegExp(`^DF ${i} (\\d+) (\\d+)$`, 'm').exec(r.output);
    assert.ok(m, `df of image ${i}: ${r.output}`);
    assert.is(Number(m![2]), BLK, 'statfs block size');
    assert.is(Number(m![1]), want, `image ${i}: Linux f_bavail`);
  }
});

test('gc command: victims chosen greedily, live blocks moved, content unchanged, both fscks clean', () => {
  const img = mkfsImage('gc-cmd.img', 64);
  const model = churn(img, 1500, 11);
  const before = withVol(img, (vol) => selectVictim(vol, 'foreground', new Set()));
  assert.ok(before !== null, 'overwrites leave partly valid segments');
  const r = cli(['gc', img, '--sections', '2', '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.victims.length, 2);
  assert.is(j.victims[0].segno, before);
  for (const v of j.victims) assert.is(v.moved + v.skipped, v.valid);
  assert.ok(j.moved.data > 0);
  assert.ok(j.sync.checkpoint, 'the checkpoint frees the victims');
  withVol(img, (vol) => {
    for (const v of j.victims) assert.is(vol.sm.getSit(v.segno).valid, 0, `segment ${v.segno} emptied`);
  });
  expectContent(img, model);
  expectClean(img);
  const fresh = mkfsImage('gc-fresh.img', 64);
  const none = JSON.parse(cli(['gc', fresh, '--json']).stdout);
  assert.is(none.victims.length, 0);
  expectClean(fresh);
});

test('gc --background picks by cost-benefit; --sync none leaves the image as it was', () => {
  const img = mkfsImage('gc-bg.img', 64);
  churn(img, 1200, 5);
  const before = cli(['info', img, '--json']).stdout;
  const r = cli(['gc', img, '--background', '--sections', '1', '--sync', 'none', '--json']);
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).mode, 'background');
  assert.is(cli(['info', img, '--json']).stdout, before);
  expectClean(img);
});

test('GC during an atomic write moves staged blocks with their state: commit and abort both give the right content', () => {
  for (const end of ['commit', 'abort'] as const) {
    const img = mkfsImage(`gc-atomic-${end}.img`, 64);
    const vol = Volume.open(img, { readOnly: false });
    try {
      const old = Buffer.alloc(64 * BLK, 0x11);
      const { ino } = writePath(vol, '/db', old);
      // Garbage around the staged blocks: rewritten and deleted files leave partly valid segments.
      for (let i = 0; i < 6; i++) writePath(vol, `/junk${i}`, Buffer.alloc(200 * BLK, i));
      writeCheckpoint(vol, { umount: true });
      const s = atomicBegin(vol, ino);
      writePath(vol, '/db', Buffer.alloc(32 * BLK, 0x22));
      // Staged blocks go to the hot data log (as the kernel sends COW files there); small files roll it over, so
      // the staged blocks leave the current segment and can be victims.
      for (let i = 0; i < 40; i++) writePath(vol, `/push${i}`, Buffer.alloc(16 * BLK, 0x33));
      writeCheckpoint(vol, { umount: false });
      for (let i = 0; i < 6; i += 2) remove(vol, `/junk${i}`);
      for (let i = 0; i < 40; i++) remove(vol, `/push${i}`);
      writeCheckpoint(vol, { umount: false });
      const staged = new Set<number>();
      vol.data.walk(vol.inode(s.cow), 0, 32, (_b, a) => staged.add(vol.sm.segnoOf(a)));
      const r = gc(vol, { sections: 100 });
      assert.ok(r.victims.some((v) => staged.has(v.segno)), 'a victim held staged blocks');
      assert.ok(r.moved.data > 0, 'GC moved data blocks');
      if (end === 'commit') atomicCommit(vol, ino);
      else atomicAbort(vol, ino);
      writeCheckpoint(vol, { umount: true });
    } finally {
      vol.close();
    }
    withVol(img, (vol) => {
      const info = vol.inode(vol.resolve('/db').ino);
      const want = Buffer.alloc(64 * BLK, 0x11);
      if (end === 'commit') want.fill(0x22, 0, 32 * BLK);
      assert.ok(vol.data.read(info, 0, 64 * BLK).equals(want), `content after ${end}`);
    });
    expectClean(img);
  }
});

test('node segments are collected too: inodes and dnodes rewritten out of place, NAT updated, tree intact', () => {
  const img = mkfsImage('gc-nodes.img', 64);
  const vol = Volume.open(img, { readOnly: false });
  try {
    // 1,500 inodes fill three node segments; deleting two of every three leaves them partly valid.
    for (let i = 0; i < 1500; i++) writePath(vol, `/n${i}`, Buffer.from(`file ${i}`));
    writeCheckpoint(vol, { umount: false });
    for (let i = 0; i < 1500; i++) if (i % 3) remove(vol, `/n${i}`);
    writeCheckpoint(vol, { umount: false });
    const r = gc(vol, { sections: 100 });
    assert.ok(r.victims.some((v) => v.kind === 'node' && v.moved > 0), JSON.stringify(r.victims));
    assert.ok(r.moved.node >= 400, `moved ${r.moved.node} node blocks`);
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  withVol(img, (vol) => {
    for (let i = 0; i < 1500; i += 3) assert.is(vol.data.read(vol.inode(vol.resolve(`/n${i}`).ino), 0, 64).toString(), `file ${i}`);
  });
  expectClean(img);
});

test('a long GC run keeps the blocks it moved from piling up in memory: past 4,096 queued writes it writes them out', () => {
  const img = mkfsImage('gc-many-nodes.img', 256);
  const vol = Volume.open(img, { readOnly: false });
  try {
    for (let i = 0; i < 12000; i++) writePath(vol, `/m${i}`, Buffer.from(`m ${i}`));
    writeCheckpoint(vol, { umount: false });
    for (let i = 0; i < 12000; i += 3) remove(vol, `/m${i}`);
    writeCheckpoint(vol, { umount: false });
    const r = gc(vol, { sections: 100 });
    assert.ok(r.moved.node > 4096 + BLOCKS_PER_SEG, `moved ${r.moved.node} node blocks`);
    assert.ok(vol.dev.pendingCount <= 4096 + BLOCKS_PER_SEG, `${vol.dev.pendingCount} writes queued after the run`);
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  withVol(img, (vol) => {
    for (let i = 1; i < 12000; i += 999) assert.is(vol.data.read(vol.inode(vol.resolve(`/m${i}`).ino), 0, 64).toString(), `m ${i}`);
  });
  expectClean(img);
});

test('a pinned file (PIN_FILE) keeps its blocks where they are: GC leaves them and says so', () => {
  const img = mkfsImage('gc-pin.img', 64);
  const vol = Volume.open(img, { readOnly: false });
  let before: number[] = [];
  try {
    const { ino } = writePath(vol, '/pinned', Buffer.alloc(100 * BLK, 7));
    writePath(vol, '/other', Buffer.alloc(700 * BLK, 8)); // fills the log's segment past the pinned blocks
    editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_inline |= InlineFlag.PIN_FILE));
    writeCheckpoint(vol, { umount: false });
    remove(vol, '/other');
    writeCheckpoint(vol, { umount: false });
    const addrs = () => {
      const out: number[] = [];
      vol.data.walk(vol.inode(ino), 0, 100, (_b, a) => out.push(a));
      return out;
    };
    before = addrs();
    const pinnedSeg = vol.sm.segnoOf(before[0]);
    const r = gc(vol, { sections: 100 });
    const v = r.victims.find((x) => x.segno === pinnedSeg);
    assert.ok(v, 'the segment holding the pinned file was a victim');
    assert.ok(v!.skipped >= 100, `skipped ${v!.skipped}`);
    assert.equal(addrs(), before);
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  expectClean(img);
});

test('crash-explore: a session with GC between fsyncs and inside an atomic write keeps every promise at every cut', () => {
  const img = mkfsImage('gc-crash.img', 64);
  const host = tmpPath('gc-crash-600k');
  fs.writeFileSync(host, Buffer.alloc(600 * 1024, 0x5a));
  // Garbage for the victims: rewritten (out of place: lfs mode) and deleted files, checkpointed.
  const vol = Volume.open(img, { readOnly: false, mode: 'lfs' });
  try {
    for (let i = 1; i <= 4; i++) writePath(vol, `/f${i}`, Buffer.alloc(768 * BLK, i));
    writeCheckpoint(vol, { umount: false });
    remove(vol, '/f2');
    writePath(vol, '/f1', Buffer.alloc(150 * BLK, 9), { offset: 256 * BLK });
    writePath(vol, '/f3', Buffer.alloc(150 * BLK, 10), { offset: 128 * BLK });
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  const session = tmpPath('gc-crash.txt');
  fs.writeFileSync(
    session,
    [
      'write /a --data hello',
      'fsync /a',
      'gc --sections 1',
      `write /f3 --from ${host} --offset 512K`,
      'fsync /f3',
      'atomic-begin /f4',
      `write /f4 --from ${host}`,
      'gc --sections 1',
      'atomic-commit /f4',
      'write /b --data world',
      'gc --sections 1',
      'fsync /b',
      'checkpoint',
    ].join('\n'),
  );
  const copy = tmpPath('gc-crash-copy.img');
  fs.copyFileSync(img, copy);
  const moved = cli(['run', copy, '-f', session]);
  assert.is(moved.status, 0, moved.stderr);
  assert.is((moved.stdout.match(/gc: 1 victim\(s\), moved [1-9]/g) ?? []).length, 3, moved.stdout);
  const r = cli(['crash-explore', img, '-f', session, '--max-cuts', '40', '--drop-writes', '1', '--all', '--json']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.violations, 0, JSON.stringify(j.cuts.filter((c: { ok: boolean }) => !c.ok)));
  assert.ok(j.cuts.length >= 40, `${j.cuts.length} cuts checked`);
});

test.run();
