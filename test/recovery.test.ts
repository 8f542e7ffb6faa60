// Roll-forward edge cases: a looped node chain is refused (as Linux's find_fsync_dnodes does), a dry run changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemDevice } from '../src/device/index.js';
import { fsyncFile } from '../src/fs/file.js';
import { NODE_FOOTER_OFFSET, NodeFooter } from '../src/fs/layout/node.js';
import { mkfs } from '../src/fs/mkfs.js';
import { mkdir, writePath } from '../src/fs/ops.js';
import { recover, walkChain } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { scratchPath } from './helpers/scratch.js';

/** An image whose warm-node chain holds two fsync'd files after its checkpoint. */
function crashed(): MemDevice {
  const dev = new MemDevice((64 << 20) / 4096);
  mkfs(dev, { seed: 5, timestamp: 1700000000 });
  dev.flush();
  const v = Volume.open(dev, { readOnly: false });
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

test('a dry run lists the chain and the inodes it would replay, and writes nothing', () => {
  const dev = crashed();
  const written = dev.stats.blocksWritten;
  const v = Volume.open(dev, { readOnly: false });
  const r = recover(v, { dryRun: true });
  assert.is(r.chain.length, 2);
  assert.equal(r.inodes.map((i) => i.ino).sort(), [v.resolve('/a').ino, v.resolve('/b').ino].sort());
  assert.is(r.checkpoint, null);
  assert.is(dev.stats.blocksWritten, written);
  assert.is(recover(v).inodes.length, 2);
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

test('nodes written back between checkpoints (balanceFs) go out unmarked; a later fsync still makes the file recoverable', () => {
  const dev = new MemDevice((256 << 20) / 4096);
  mkfs(dev, { seed: 6, timestamp: 1700000000 });
  dev.flush();
  const v = Volume.open(dev, { readOnly: false });
  const ino = writePath(v, '/f', Buffer.from('x'.repeat(10000))).ino;
  v.finish('checkpoint');
  writePath(v, '/f', Buffer.from('NEW'));
  // Past the dirty-node bound: every dirty node, /f's included, is written back without a checkpoint.
  mkdir(v, '/d');
  for (let i = 0; i < 4200; i++) writePath(v, `/d/f${i}`, Buffer.from(String(i)));
  assert.ok(!v.nm.dirtyNodes.has(ino), "/f's inode went out with the writeback");
  assert.ok(v.nm.lastWriteUnsynced.has(ino));
  const r = fsyncFile(v, ino);
  assert.is(r.method, 'nodes');
  assert.is(r.nodes.length, 1, 'the inode block alone is rewritten, with the fsync mark');
  assert.ok(!v.nm.lastWriteUnsynced.has(ino));
  v.finish('none');

  const v2 = Volume.open(dev, { readOnly: false });
  assert.is(v2.data.read(v2.inode(ino), 0, 3).toString(), 'xxx', 'before recovery: the checkpointed content');
  const mine = walkChain(v2).nodes.filter((n) => n.ino === ino);
  assert.equal(mine.map((n) => n.fsync), [false, true], 'the written-back inode block, then the fsync-marked one');
  const rep = recover(v2);
  assert.equal(rep.inodes.map((i) => i.ino), [ino]);
  assert.is(v2.data.read(v2.inode(ino), 0, 5).toString(), 'NEWxx');
  assert.is(v2.inode(ino).inode.i_size, 10000);
  assert.throws(() => v2.resolve('/d'), /no such file or directory/, 'never fsynced nor checkpointed: gone');
  const img = scratchPath('balance-recovered.img');
  dev.saveTo(img);
  assert.equal(fsckBoth(img).problems, []);
});

test.run();
