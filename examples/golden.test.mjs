// A golden-image test written against the f2fsdbg library API (docs/api.md), run with uvu:
//   npx uvu examples          (in a project that has `f2fsdbg` and `uvu` installed)
// It builds an image in memory, cuts the power in the middle of an atomic write, recovers, and checks the content,
// the consistency and the tree against a stored manifest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atomicBegin, atomicCommit, checkpoint, crash, fsck, manifestLines, mkdir, mkfsMemory, openVolume, pinTime, readFile, recover, writePath, writeStaged } from 'f2fsdbg';

const T = 1700000000; // every time written is this one: the image is reproducible

/** A fresh in-memory image with /etc/app.conf at version 1, checkpointed. */
function build() {
  pinTime(T);
  const { dev } = mkfsMemory(64 * 1024 * 1024, { seed: 1 });
  const vol = openVolume(dev, { write: true });
  mkdir(vol, '/etc');
  writePath(vol, '/etc/app.conf', Buffer.from('version 1\n'));
  checkpoint(vol);
  return { dev, vol: openVolume(dev, { write: true }) };
}

test('a power cut in the middle of an atomic write leaves the old content', () => {
  let { vol } = build();
  const ino = vol.resolve('/etc/app.conf').ino;
  atomicBegin(vol, ino);
  writeStaged(vol, ino, 0, Buffer.from('version 2, '));
  checkpoint(vol); // the staged copy reaches the disk, as an orphan inode
  writeStaged(vol, ino, 11, Buffer.from('only half writ'));
  vol = crash(vol); // before atomicCommit
  recover(vol);
  assert.is(readFile(vol, '/etc/app.conf').toString(), 'version 1\n');
  assert.ok(fsck(vol).ok, 'consistent after recovery');
});

test('a committed atomic write survives the power cut', () => {
  let { vol } = build();
  const ino = vol.resolve('/etc/app.conf').ino;
  atomicBegin(vol, ino);
  writeStaged(vol, ino, 0, Buffer.from('version 2\n'));
  atomicCommit(vol, ino);
  vol = crash(vol);
  recover(vol);
  assert.is(readFile(vol, '/etc/app.conf').toString(), 'version 2\n');
  assert.ok(fsck(vol).ok);
});

test('the tree matches its stored manifest', () => {
  const { vol } = build();
  assert.equal([...manifestLines(vol, { digest: 'md5' })], [
    '#mtree',
    `. time=${T}.0 mode=755 gid=0 uid=0 type=dir`,
    `./etc time=${T}.0 mode=755 gid=0 uid=0 type=dir`,
    `./etc/app.conf time=${T}.0 mode=644 gid=0 uid=0 type=file size=10 md5digest=81127ad129dd2249f5ab0667ca0aeb84`,
  ]);
});

test.run();
