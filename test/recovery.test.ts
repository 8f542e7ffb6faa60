// Roll-forward edge cases: a looped node chain is refused (as Linux's find_fsync_dnodes does), a dry run changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemDevice } from '../src/device/index.js';
import { fsyncFile } from '../src/fs/file.js';
import { NODE_FOOTER_OFFSET, NodeFooter } from '../src/fs/layout/node.js';
import { mkfs } from '../src/fs/mkfs.js';
import { mkdir, remove, truncatePath, writePath } from '../src/fs/ops.js';
import { recover, walkChain } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { scratchPath } from './helpers/scratch.js';

/** A freshly formatted in-memory image of `mb` MiB, open for writing. */
function freshVolume(mb: number, seed: number): { dev: MemDevice; v: Volume } {
  const dev = new MemDevice((mb << 20) / 4096);
  mkfs(dev, { seed, timestamp: 1700000000 });
  dev.flush();
  return { dev, v: Volume.open(dev, { readOnly: false }) };
}

/** The device's durable content saved as `name`: our fsck and fsck.f2fs --dry-run must both be clean. */
function expectBothClean(dev: MemDevice, name: string): void {
  const img = scratchPath(name);
  dev.saveTo(img);
  assert.equal(fsckBoth(img).problems, []);
}

/** An image whose warm-node chain holds two fsync'd files after its checkpoint. */
function crashed(): MemDevice {
  const { dev, v } = freshVolume(64, 5);
  writePath(v, '/a', Buffer.from('a'.repeat(5000)));
  writePath(v, '/b', Buffer.from('b'.repeat(9000)));
  v.finish('checkpoint');
  writePath(v, '/a', Buffer.from('A'), { append: true });
  fsyncFile(v, v.resolve('/a').ino);
  writePath(v, '/b', Buffer.from('B'), { append: true });
  fsyncFile(v, v.resolve('/b').ino);
  v.finish('none');
  return dev;
}

test('a dry run reports exactly what the real run does, and writes nothing', () => {
  const dev = crashed();
  const written = dev.stats.blocksWritten;
  const v = Volume.open(dev, { readOnly: false });
  const r = recover(v, { dryRun: true });
  assert.is(r.chain.length, 2);
  assert.equal(r.inodes.map((i) => i.ino).sort(), [v.resolve('/a').ino, v.resolve('/b').ino].sort());
  assert.is(dev.stats.blocksWritten, written);
  assert.is(dev.pendingCount, 0);
  assert.equal(recover(v), { ...r, dryRun: false });
  assert.is(v.data.read(v.inode(v.resolve('/a').ino), 5000, 10).toString(), 'A');
});

test('a looped chain (a node naming itself as next) is detected and refused without writing', () => {
  const dev = crashed();
  const v0 = Volume.open(dev, { readOnly: true });
  const first = walkChain(v0).nodes[0].blkaddr;
  const raw = Buffer.from(dev.readBlock(first));
  const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
  NodeFooter.encode({ ...f, next_blkaddr: first }, raw, NODE_FOOTER_OFFSET);
  dev.writeBlock(first, raw);
  dev.flush();
  const written = dev.stats.blocksWritten;
  const v = Volume.open(dev, { readOnly: false });
  assert.ok(walkChain(v).looped);
  assert.throws(() => recover(v), (e: Error) => /looped node chain/.test(e.message));
  assert.is(dev.stats.blocksWritten, written);
});

test('past the dirty-node bound a background checkpoint is taken: a power cut keeps the work before it, fsyncs after it roll forward', () => {
  const { dev, v } = freshVolume(256, 6);
  const f = writePath(v, '/f', Buffer.from('x'.repeat(10000))).ino;
  const g = writePath(v, '/g', Buffer.alloc(10 * 4096, 0x41)).ino;
  v.finish('checkpoint');
  const before = v.cp.head.checkpoint_ver;
  writePath(v, '/g', Buffer.alloc(2990 * 4096, 0x42), { append: true });
  mkdir(v, '/d');
  let i = 0;
  // f2fs_balance_fs_bg: the checkpoint comes once more than 4,096 node blocks are dirty.
  for (; v.cp.head.checkpoint_ver === before; i++) writePath(v, `/d/f${i}`, Buffer.from(String(i)));
  assert.ok(i > 4000 && i < 4200, `the background checkpoint came after ${i} new files`);
  truncatePath(v, '/g', 10 * 4096);
  fsyncFile(v, g);
  writePath(v, '/f', Buffer.from('NEWER'));
  fsyncFile(v, f);
  writePath(v, '/late', Buffer.from('not fsynced'));
  v.finish('none');

  const v2 = Volume.open(dev, { readOnly: false });
  assert.equal(recover(v2).inodes.map((r) => r.ino).sort(), [f, g].sort());
  assert.is(v2.data.read(v2.inode(f), 0, 7).toString(), 'NEWERxx');
  // recover_inode takes i_size from the fsynced block; the node subtree freed by the truncate stays as checkpointed
  // (Linux too: do_recover_data reconciles only the inode's own address slots).
  assert.is(v2.inode(g).inode.i_size, 10 * 4096);
  assert.ok(v2.data.read(v2.inode(g), 0, 10 * 4096).every((b) => b === 0x41));
  assert.is(v2.resolve(`/d/f${i - 1}`).ino > 0, true, 'files made before the background checkpoint survive');
  assert.throws(() => v2.resolve('/late'), /no such file or directory/);
  v2.finish('checkpoint');
  expectBothClean(dev, 'balance-recovered.img');
});

test('an fsynced new file whose name still points at a removed one takes the name over (recover_dentry)', () => {
  const { dev, v } = freshVolume(64, 5);
  mkdir(v, '/d');
  const old = writePath(v, '/d/x', Buffer.from('old')).ino;
  v.finish('checkpoint');
  remove(v, '/d/x');
  const x = writePath(v, '/d/x', Buffer.from('new')).ino;
  assert.is.not(x, old);
  fsyncFile(v, x); // a node chain: /d was checkpointed; the removal was not
  v.finish('none');

  const v2 = Volume.open(dev, { readOnly: false });
  assert.is(v2.resolve('/d/x').ino, old);
  assert.equal(recover(v2).inodes.map((r) => r.ino), [x]);
  assert.is(v2.resolve('/d/x').ino, x);
  assert.is(v2.data.read(v2.inode(x), 0, 10).toString(), 'new');
  assert.is(v2.inodeAllocated(old), false, 'the replaced inode lost its only link and is freed');
  v2.finish('checkpoint');
  expectBothClean(dev, 'replaced-name-recovered.img');
});

test('rewriting every file of a small image again and again never runs out of segments (prefree segments come back at background checkpoints)', () => {
  const { dev, v } = freshVolume(128, 6);
  mkdir(v, '/d');
  for (let i = 0; i < 4200; i++) writePath(v, `/d/f${i}`, Buffer.alloc(5000, 0x78));
  v.finish('checkpoint');
  for (let round = 0; round < 4; round++) for (let i = 0; i < 4200; i++) writePath(v, `/d/f${i}`, Buffer.from(String(round)));
  assert.is(v.data.read(v.inode(v.resolve('/d/f4199').ino), 0, 2).toString(), '3x');
  v.finish('checkpoint');
  expectBothClean(dev, 'rewrites.img');
});

test.run();
