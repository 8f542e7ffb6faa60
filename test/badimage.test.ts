// Damaged and foreign images through the CLI: each failure is one typed line on stderr (`f2fsdbg: CODE: …`, no
// stack), a non-zero exit status, and the image is never modified (sha256 before and after).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, loadFixture } from '../fixtures/load.js';
import { BLKSIZE, SUPER_OFFSET } from '../src/fs/layout/constants.js';
import { Inode, NODE_FOOTER_OFFSET } from '../src/fs/layout/node.js';
import { Superblock } from '../src/fs/layout/superblock.js';
import { Volume } from '../src/fs/volume.js';
import { sha256, tmpPath } from './helpers/images.js';
import { RUN, cli as run, type Ran } from './helpers/cli.js';

const cli = (args: string[]): Ran => run(args);

/** Patches bytes of a file in place. */
function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** One failing run: one `f2fsdbg: CODE: …` line on stderr, `status`, nothing but the error on stdout. */
function checkFailure(r: Ran, what: string, code: string, status: number, message?: RegExp): void {
  assert.is(r.status, status, `${what}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `${what}: ${r.stderr}`);
  assert.match(lines[0], new RegExp(`^f2fsdbg: ${code}: `), `${what}: ${r.stderr}`);
  if (message) assert.match(lines[0], message, `${what}: ${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
}

/**
 * Runs each of `commands` on `image` (two at a time): each fails as checkFailure says; the first one also with
 * --json (the same error as an object on stdout). Tests check the image is unchanged with unchanged().
 */
async function expectFailures(image: string, commands: string[][], code: string, status: number, message?: RegExp): Promise<void> {
  const jobs = commands.map(([cmd, ...rest]) => () => cliAsync([cmd, image, ...rest]).then((r) => checkFailure(r, [cmd, ...rest].join(' '), code, status, message)));
  const [cmd, ...rest] = commands[0];
  jobs.push(() =>
    cliAsync([cmd, image, ...rest, '--json']).then((j) => {
      assert.is(j.status, status);
      assert.is(j.stderr, '');
      assert.is(JSON.parse(j.stdout).error.code, code);
    }),
  );
  for (let i = 0; i < jobs.length; i += 2) await Promise.all(jobs.slice(i, i + 2).map((f) => f()));
}

/** Runs `fn` and asserts the image's sha256 is the same afterwards. */
async function unchanged(image: string, fn: () => Promise<void>): Promise<void> {
  const before = sha256(image);
  await fn();
  assert.is(sha256(image), before, 'the image was modified');
}

const expectFailure = (image: string, args: string[], code: string, status: number, message?: RegExp) => expectFailures(image, [args], code, status, message);

function cliAsync(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, ...args]);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const MOUNTING = [['info'], ['ls', '/'], ['stat', '/'], ['dump-nat'], ['cat', '/a/file_a.txt']];

test('random bytes: NOT_F2FS, exit 3, for every command', async () => {
  const junk = tmpPath('random.img');
  let x = 0x12345678;
  const buf = Buffer.alloc(4 << 20);
  for (let i = 0; i < buf.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  fs.writeFileSync(junk, buf);
  await unchanged(junk, () => expectFailures(junk, [...MOUNTING, ['dump-cp'], ['block', '0']], 'NOT_F2FS', 3, /not an F2FS image/));
});

test('an empty file and a tiny one: NOT_F2FS', async () => {
  const empty = tmpPath('empty.img');
  fs.writeFileSync(empty, '');
  await unchanged(empty, () => expectFailure(empty, ['info'], 'NOT_F2FS', 3));
  const tiny = tmpPath('tiny.img');
  fs.writeFileSync(tiny, Buffer.alloc(5000));
  await unchanged(tiny, () => expectFailure(tiny, ['info'], 'NOT_F2FS', 3));
});

test('an image in a directory that does not exist: ENOENT about the image for readers, writers and mkfs (the lock file beside it cannot be made)', async () => {
  const missing = tmpPath('no-such-dir/x.img');
  await expectFailures(missing, [['info'], ['ls', '/'], ['write', '/a', '--data', 'x'], ['fsck'], ['mkfs', '--size', '64M']], 'ENOENT', 1, /no-such-dir\/x\.img: no such file or directory$/);
  assert.not.ok(fs.existsSync(missing));
});

test('a fixture cut in half: CORRUPT (truncated), exit 3', async () => {
  const img = await copyFixture('default');
  fs.truncateSync(img, fs.statSync(img).size / 2);
  await unchanged(img, () => expectFailures(img, [...MOUNTING, ['dump-cp']], 'CORRUPT', 3, /truncated/));
});

test('bad magic in both superblocks: NOT_F2FS, exit 3', async () => {
  const img = await copyFixture('default');
  for (const copy of [0, 1]) patch(img, copy * BLKSIZE + SUPER_OFFSET, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  await unchanged(img, () => expectFailures(img, [...MOUNTING, ['dump-cp']], 'NOT_F2FS', 3, /no superblock magic/));
});

test('one bad superblock copy is survived (the other is used)', async () => {
  const img = await copyFixture('default');
  patch(img, SUPER_OFFSET, Buffer.from([0, 0, 0, 0]));
  const r = cli(['info', img, '--json']);
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).superblock.copy, 1);
});

test('both checkpoint packs with a bad crc: CORRUPT, exit 3; dump-cp still shows both packs', async () => {
  const img = await copyFixture('default');
  const cp = Volume.open(img, { readOnly: true });
  const cpBlkaddr = cp.sb.cp_blkaddr;
  cp.close();
  for (const base of [cpBlkaddr, cpBlkaddr + 512]) {
    const off = base * BLKSIZE + 8; // user_block_count: covered by the crc
    const b = readAt(img, off, 1);
    patch(img, off, Buffer.from([b[0] ^ 0x55]));
  }
  const before = sha256(img);
  await expectFailures(img, MOUNTING, 'CORRUPT', 3, /no valid checkpoint pack .*crc/);
  const r = cli(['dump-cp', img, '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(
    j.packs.map((p: { valid: boolean }) => p.valid),
    [false, false],
  );
  assert.match(j.packs[0].why, /crc/);
  assert.is(j.valid, false);
  assert.ok(j.problems.length >= 1);
  assert.is(sha256(img), before);
});

test('an unknown feature bit: reading works and names it; writing and fsck are UNSUPPORTED, exit 4, image unchanged', async () => {
  const img = await copyFixture('default'); // no sb_checksum: the feature word can be changed without a new crc
  const at = Superblock.offsets.feature;
  for (const copy of [0, 1]) {
    const off = copy * BLKSIZE + SUPER_OFFSET + at;
    const f = readAt(img, off, 4).readUInt32LE(0);
    const b = Buffer.alloc(4);
    b.writeUInt32LE((f | 0x00800000) >>> 0);
    patch(img, off, b);
  }
  await unchanged(img, async () => {
    for (const args of [...MOUNTING, ['dump-cp']]) assert.is(cli([args[0], img, ...args.slice(1)]).status, 0, args.join(' '));
    assert.ok(JSON.parse(cli(['info', img, '--json']).stdout).superblock.features.includes('0x800000'));
    // Two writers run side by side here: --wait queues one behind the other's lock instead of racing it to EBUSY.
    await expectFailures(img, [['mkdir', '/new', '--wait'], ['write', '/a/file_a.txt', '--data', 'x', '--wait']], 'UNSUPPORTED', 4, /0x800000/);
    // fsck apart: beside a writer holding the lock it rightly adds a note that the image is being written.
    await expectFailure(img, ['fsck'], 'UNSUPPORTED', 4, /0x800000/);
  });
});

test('a damaged inode (footer nid wrong): stat and cat fail with a clear CORRUPT; dump-node reports it', async () => {
  const img = await copyFixture('default');
  const vol = Volume.open(img, { readOnly: true });
  const ino = vol.resolve('/links/orig.txt').ino;
  const blkaddr = vol.nm.getNat(ino).block_addr;
  vol.close();
  const b = Buffer.alloc(4);
  b.writeUInt32LE(ino + 1000);
  patch(img, blkaddr * BLKSIZE + NODE_FOOTER_OFFSET, b);
  const msg = new RegExp(`node block at ${blkaddr} has footer nid ${ino + 1000}, expected ${ino}`);
  const paths = ['/links/orig.txt', '/links/hard1', `<${ino}>`];
  await unchanged(img, () => expectFailures(img, [...paths.flatMap((p) => [['stat', p], ['cat', p]]), ['ls', '/links', '-l']], 'CORRUPT', 3, msg));
  // The rest of the tree still reads.
  const ok = cli(['cat', img, '/a/file_a.txt']);
  assert.is(ok.status, 0, ok.stderr);
  // dump-node decodes the block anyway and says what is wrong.
  const d = cli(['dump-node', img, String(ino), '--json']);
  assert.is(d.status, 0, d.stderr);
  const j = JSON.parse(d.stdout);
  assert.is(j.footer.nid, ino + 1000);
  assert.ok(j.problems.some((p: string) => p.includes(`footer nid ${ino + 1000} is not ${ino}`)), j.problems.join('; '));
});

test('a damaged direct node in the middle of a file: cat stops with CORRUPT after the good part', async () => {
  const img = await copyFixture('default');
  const vol = Volume.open(img, { readOnly: true });
  const info = vol.inode(vol.resolve('/big/dense_16m').ino);
  const dnode = Inode.decode(info.page.raw).i_nid[0];
  const blkaddr = vol.nm.getNat(dnode).block_addr;
  const addrsPerInode = info.addrsPerInode;
  vol.close();
  const b = Buffer.alloc(4);
  b.writeUInt32LE(dnode + 1);
  patch(img, blkaddr * BLKSIZE + NODE_FOOTER_OFFSET, b);
  const before = sha256(img);
  const r = spawnSync(process.execPath, [RUN, 'cat', img, '/big/dense_16m'], { maxBuffer: 64 << 20 });
  assert.is(r.status, 3);
  const err = r.stderr.toString();
  assert.is(err.split('\n').filter(Boolean).length, 1, err);
  assert.match(err, new RegExp(`^f2fsdbg: CORRUPT: node block at ${blkaddr} has footer nid ${dnode + 1}, expected ${dnode}`));
  assert.match(err, /while reading node/);
  assert.ok(r.stdout.length > 0 && r.stdout.length <= addrsPerInode * BLKSIZE, `stdout ${r.stdout.length} bytes: the blocks before the bad node at most`);
  assert.is(sha256(img), before);
  // stat of the same file still works: its inode is fine.
  assert.is(cli(['stat', img, '/big/dense_16m']).status, 0);
});

test('usage errors: bad numbers and ranges are USAGE (exit 2), out-of-range ones EINVAL (exit 1)', async () => {
  const img = await loadFixture('default'); // read-only use: the shared cached copy
  await unchanged(img, async () => {
    await expectFailures(img, [['block', 'xyz'], ['dump-node', '-5'], ['dump-sit', '--range', '5~x'], ['dump-sit', '--range', '9999'], ['icheck'], ['ls', '/', '--bogus']], 'USAGE', 2);
    await expectFailures(img, [['block', '99999999'], ['dump-node', '99999999'], ['stat', '<99999999>'], ['icheck', '99999999']], 'EINVAL', 1, /out of range/);
    await expectFailures(img, [['dump-node', '9999'], ['stat', '<9999>']], 'ENOENT', 1, /not allocated/);
    await expectFailure(img, ['stat', '/no/such'], 'ENOENT', 1);
    await expectFailures(img, [['cat', '/a'], ['dump', '/a', tmpPath('x')]], 'EISDIR', 1);
    await expectFailure(img, ['readlink', '/a'], 'EINVAL', 1, /not a symbolic link/);
    await expectFailure(img, ['ls', '/a/file_a.txt/x'], 'ENOTDIR', 1);
    await expectFailure(img, ['xattr-get', '/xattr/small', 'user.nope'], 'ENODATA', 1);
  });
});

test.run();
