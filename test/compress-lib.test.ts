// Library-level rules of compressed files that need no VM: fsync takes a checkpoint (CP_COMPRESSED),
// release-cblocks counts the clusters its own writeback compresses, a cut compressed cluster leaves no stale blocks.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getCompressBlocks, releaseCompressBlocks } from '../src/fs/cblocks.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { fsyncFile } from '../src/fs/file.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { truncatePath, writePath } from '../src/fs/ops.js';
import { pendingRollForward } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { tmpPath } from './helpers/images.js';
import { textBytes } from '../fixtures/make-compress.js';

function image(name: string): string {
  const p = tmpPath(name);
  fs.rmSync(p, { force: true });
  mkfsImage(p, { sizeBytes: 64 << 20, features: ['extra_attr,inode_checksum,flexible_inline_xattr,compression'], seed: 3, timestamp: 1700000000 });
  return p;
}

test('fsync of a compressed file is a checkpoint, as need_do_checkpoint (CP_COMPRESSED): nothing is left to roll forward', () => {
  const img = image('cl-fsync.img');
  let v = Volume.open(img, { readOnly: false });
  v.compressOptions.extensions = ['txt'];
  writePath(v, '/old.txt', textBytes(1000));
  v.finish('checkpoint');
  writePath(v, '/old.txt', textBytes(90_000));
  const r = fsyncFile(v, v.resolve('/old.txt').ino);
  assert.equal([r.method, r.reason], ['checkpoint', 'compressed file']);
  v.finish('none');
  v.close();
  v = Volume.open(img, { readOnly: true });
  assert.is(pendingRollForward(v), 0);
  const info = v.inode(v.resolve('/old.txt').ino);
  assert.ok(v.data.read(info, 0, 90_000).equals(textBytes(90_000)));
  assert.ok(info.extra!.i_compr_blocks > 0);
  v.close();
  assert.equal(fsckBoth(img).problems, []);
});

test('release-cblocks right after a write: the clusters its writeback compresses are released too', () => {
  const img = image('cl-release.img');
  const v = Volume.open(img, { readOnly: false });
  v.compressOptions.extensions = ['txt'];
  writePath(v, '/r.txt', textBytes(64 * 1024));
  const ino = v.resolve('/r.txt').ino;
  assert.ok(releaseCompressBlocks(v, ino) > 0, 'blocks released');
  assert.is(getCompressBlocks(v, ino), 0);
  writeCheckpoint(v, { umount: true });
  v.close();
  assert.equal(fsckBoth(img).problems, []);
});

test('a compressed cluster cut in the middle: blocks past the new end read as zeros when the file grows again', () => {
  const img = image('cl-cut.img');
  const v = Volume.open(img, { readOnly: false });
  v.compressOptions.extensions = ['txt'];
  const text = textBytes(64 * 1024);
  writePath(v, '/t.txt', text);
  v.finish('checkpoint');
  truncatePath(v, '/t.txt', 20403); // inside cluster 1 (blocks 4-7), which was compressed
  v.finish('checkpoint'); // the cut cluster is written back before the file grows
  writePath(v, '/t.txt', Buffer.from('after the hole'), { offset: 28672 });
  const want = Buffer.alloc(28672 + 14);
  text.copy(want, 0, 0, 20403);
  want.write('after the hole', 28672);
  const info = v.inode(v.resolve('/t.txt').ino);
  assert.ok(v.data.read(info, 0, want.length).equals(want), 'content before the checkpoint');
  writeCheckpoint(v, { umount: true });
  v.close();
  const r = Volume.open(img, { readOnly: true });
  assert.ok(r.data.read(r.inode(r.resolve('/t.txt').ino), 0, want.length).equals(want), 'content after it');
  r.close();
  assert.equal(fsckBoth(img).problems, []);
});

test.run();
