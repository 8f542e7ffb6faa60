// The golden images (made and populated by Linux 6.1, see fixtures/README.md) against the kernel's own listing:
// every path's type, size, mode, links, owner, inode number, st_blocks, symlink target, device number and xattrs
// agree with our stat; every directory's entries with our ls; every file's content md5 (per range for the sparse
// files) with what we read; rdump of / reproduces the tree on the host. Operations are called directly (fast),
// then a handful through the built CLI (bin/run.js).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureListing, loadFixture, type FixtureEntry } from '../fixtures/load.js';
import { fileDigest } from '../src/debugfs/extract.js';
import { rdump } from '../src/debugfs/rdump.js';
import { resolveFile } from '../src/debugfs/filespec.js';
import { ls, statInode, type StatResult } from '../src/debugfs/inode.js';
import { Volume } from '../src/fs/volume.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const FIXTURES = ['default', 'extra'] as const;

/** Listing type names → ours (FILE_TYPE_NAMES). */
const TYPE: Record<FixtureEntry['type'], string> = {
  file: 'regular',
  dir: 'directory',
  symlink: 'symlink',
  fifo: 'fifo',
  chardev: 'chrdev',
  blockdev: 'blkdev',
  socket: 'socket',
};

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const parentOf = (p: string) => (p.lastIndexOf('/') === 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const xattrMap = (s: StatResult) => Object.fromEntries(s.xattrs.map((x) => [x.name, x.value.toString('hex')]));

function cli(args: string[]): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Differences between our stat of `e.path` and the listing entry (empty when they agree). */
function compareEntry(vol: Volume, e: FixtureEntry): string[] {
  const bad: string[] = [];
  const s = statInode(vol, resolveFile(vol, e.path).info);
  const expect = <T>(what: string, ours: T, theirs: T) => {
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) bad.push(`${e.path}: ${what} is ${JSON.stringify(ours)}, the kernel says ${JSON.stringify(theirs)}`);
  };
  expect('type', s.type, TYPE[e.type]);
  expect('ino', s.ino, e.ino);
  expect('size', s.size, e.size);
  expect('mode', s.modeOctal, e.mode);
  expect('nlink', s.links, e.nlink);
  expect('uid', s.uid, e.uid);
  expect('gid', s.gid, e.gid);
  expect('st_blocks', s.stBlocks, e.blocks);
  expect('mtime', s.mtime.sec, e.mtime);
  expect('symlink target', s.symlink, e.target ?? null);
  expect('rdev', s.device, e.rdev ?? null);
  expect('xattrs', xattrMap(s), e.xattrs ?? {});
  return bad;
}

/** Differences between our content of `e.path` and the listing's md5 (whole, or per range). */
function compareContent(vol: Volume, e: FixtureEntry): string[] {
  if (e.type !== 'file') return [];
  const { info } = resolveFile(vol, e.path);
  if (e.md5 !== undefined) {
    const ours = fileDigest(vol, info);
    return ours === e.md5 ? [] : [`${e.path}: content md5 ${ours}, the kernel's ${e.md5}`];
  }
  return (e.ranges ?? []).flatMap((r) => {
    const ours = md5(vol.data.read(info, r.offset, r.length));
    return ours === r.md5 ? [] : [`${e.path}: md5 of [${r.offset}, +${r.length}) is ${ours}, the kernel's ${r.md5}`];
  });
}

for (const name of FIXTURES) {
  test(`${name}: stat of every path agrees with the kernel's listing`, async () => {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    try {
      const listing = fixtureListing(name);
      assert.ok(listing.length > 2900, `${listing.length} entries`);
      const bad = listing.flatMap((e) => compareEntry(vol, e));
      assert.equal(bad.slice(0, 20), [], `${bad.length} differences`);
    } finally {
      vol.close();
    }
  });

  test(`${name}: ls of every directory names exactly the listed children with their inode numbers`, async () => {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    try {
      const listing = fixtureListing(name);
      const children = new Map<string, Map<string, FixtureEntry>>();
      for (const e of listing) {
        if (e.type === 'dir') children.set(e.path, children.get(e.path) ?? new Map());
        if (e.path === '/') continue;
        const p = parentOf(e.path);
        if (!children.has(p)) children.set(p, new Map());
        children.get(p)!.set(e.path.slice(e.path.lastIndexOf('/') + 1), e);
      }
      const bad: string[] = [];
      for (const [dir, kids] of children) {
        const { ino, info } = resolveFile(vol, dir);
        const entries = ls(vol, info, true);
        const dots = entries.filter((x) => x.name === '.' || x.name === '..');
        if (dots.length !== 2 || dots[0].ino !== ino) bad.push(`${dir}: '.' and '..' wrong: ${JSON.stringify(dots)}`);
        const ours = entries.filter((x) => x.name !== '.' && x.name !== '..');
        const names = ours.map((x) => x.name).sort();
        if (JSON.stringify(names) !== JSON.stringify([...kids.keys()].sort())) bad.push(`${dir}: names ${names.length} vs listing ${kids.size}`);
        for (const x of ours) {
          const k = kids.get(x.name);
          if (!k) continue;
          if (x.ino !== k.ino) bad.push(`${dir}/${x.name}: ino ${x.ino}, listing ${k.ino}`);
          if (x.fileType !== TYPE[k.type]) bad.push(`${dir}/${x.name}: dentry type ${x.fileType}, listing ${k.type}`);
          if (x.size !== k.size || x.links !== k.nlink) bad.push(`${dir}/${x.name}: ls -l size/links ${x.size}/${x.links}, listing ${k.size}/${k.nlink}`);
        }
      }
      assert.equal(bad.slice(0, 20), [], `${bad.length} differences`);
    } finally {
      vol.close();
    }
  });

  test(`${name}: the content of every regular file has the kernel's md5 (per range for the sparse ones)`, async () => {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    try {
      const listing = fixtureListing(name);
      assert.ok(listing.some((e) => e.ranges), 'sparse files are in the listing');
      const bad = listing.flatMap((e) => compareContent(vol, e));
      assert.equal(bad.slice(0, 20), [], `${bad.length} differences`);
    } finally {
      vol.close();
    }
  });

  test(`${name}: rdump of / reproduces files (md5), symlinks, directories, fifos, sockets, devices, modes, owners and mtimes`, async () => {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), `f2fsdbg-rdump-${name}-`));
    try {
      const stats = rdump(vol, vol.sb.root_ino, dest);
      const listing = fixtureListing(name);
      const count = (t: FixtureEntry['type']) => listing.filter((e) => e.type === t).length;
      assert.is(stats.dirs, count('dir'));
      assert.is(stats.files, count('file'));
      assert.is(stats.symlinks, count('symlink'));
      // As root (these tests are) every special file is made: mknod needs CAP_MKNOD (the unprivileged case is in hostile.test.ts).
      const special = listing.filter((e) => ['fifo', 'chardev', 'blockdev', 'socket'].includes(e.type));
      assert.equal(stats.skipped, []);
      assert.is(stats.special, special.length);
      const bad: string[] = [];
      for (const e of listing) {
        const host = path.join(dest, e.path);
        const st = fs.lstatSync(host, { throwIfNoEntry: false, bigint: true });
        if (!st) {
          bad.push(`${e.path}: missing on the host`);
          continue;
        }
        const ours = statInode(vol, resolveFile(vol, e.path).info);
        const kinds = { dir: st.isDirectory(), symlink: st.isSymbolicLink(), file: st.isFile(), fifo: st.isFIFO(), socket: st.isSocket(), chardev: st.isCharacterDevice(), blockdev: st.isBlockDevice() };
        const kindOk = kinds[e.type];
        if (Number(st.uid) !== e.uid || Number(st.gid) !== e.gid) bad.push(`${e.path}: host owner ${st.uid}:${st.gid}, listing ${e.uid}:${e.gid}`);
        if (e.rdev) {
          const rdev = Number(st.rdev);
          const [major, minor] = [(rdev >> 8) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)];
          if (major !== e.rdev.major || minor !== e.rdev.minor) bad.push(`${e.path}: host device ${major},${minor}, listing ${e.rdev.major},${e.rdev.minor}`);
        }
        if (!kindOk) bad.push(`${e.path}: not a ${e.type} on the host`);
        const mtimeNs = BigInt(ours.mtime.sec) * 1_000_000_000n + BigInt(ours.mtime.nsec);
        const diff = st.mtimeNs > mtimeNs ? st.mtimeNs - mtimeNs : mtimeNs - st.mtimeNs;
        if (diff > 1000n) bad.push(`${e.path}: host mtime ${st.mtimeNs} ns, inode ${mtimeNs} ns`);
        if (e.type === 'symlink') {
          if (fs.readlinkSync(host) !== e.target) bad.push(`${e.path}: host link target ${fs.readlinkSync(host)}`);
          continue;
        }
        const mode = Number(st.mode) & 0o7777;
        if (mode !== (Number.parseInt(e.mode, 8) & 0o7777) || mode !== (ours.mode & 0o7777)) bad.push(`${e.path}: host mode ${mode.toString(8)}, listing ${e.mode}`);
        if (e.type !== 'file') continue;
        if (Number(st.size) !== e.size) bad.push(`${e.path}: host size ${st.size}, listing ${e.size}`);
        if (e.md5 !== undefined) {
          const got = md5(fs.readFileSync(host));
          if (got !== e.md5) bad.push(`${e.path}: host md5 ${got}`);
        }
        for (const r of e.ranges ?? []) {
          const fd = fs.openSync(host, 'r');
          const b = Buffer.alloc(r.length);
          fs.readSync(fd, b, 0, r.length, r.offset);
          fs.closeSync(fd);
          if (md5(b) !== r.md5) bad.push(`${e.path}: host md5 of [${r.offset}, +${r.length}) differs`);
        }
      }
      // Sparse files stay sparse: a 9 GiB file with 6 blocks takes nowhere near 9 GiB.
      const sparse = fs.statSync(path.join(dest, 'sparse/sparse_9g'));
      assert.ok(sparse.blocks * 512 < 64 << 20, `sparse_9g takes ${sparse.blocks * 512} bytes on the host`);
      assert.equal(bad.slice(0, 20), [], `${bad.length} differences`);
    } finally {
      vol.close();
      fs.rmSync(dest, { recursive: true, force: true });
    }
  });
}

// ---- the same through the CLI (bin/run.js, built by `npm run build`) ----

test('CLI: stat --json of a sample of paths agrees with the listing (both images)', async () => {
  for (const name of FIXTURES) {
    const img = await loadFixture(name);
    const listing = fixtureListing(name);
    for (const p of ['/', '/links/orig.txt', '/links/long4000', '/special/chr', '/special/setuid', '/xattr/many', '/unicode/héllo-wörld-中文.txt', '/sparse/sparse_9g']) {
      const e = listing.find((x) => x.path === p)!;
      const r = cli(['stat', img, p, '--json']);
      assert.is(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout.toString());
      assert.is(s.ino, e.ino, p);
      assert.is(s.type, TYPE[e.type], p);
      assert.is(s.size, e.size, p);
      assert.is(s.modeOctal, e.mode, p);
      assert.is(s.links, e.nlink, p);
      assert.is(s.symlink, e.target ?? null, p);
      assert.equal(s.device, e.rdev ?? null, p);
      assert.equal(Object.fromEntries(s.xattrs.map((x: { name: string; value: string }) => [x.name, x.value])), e.xattrs ?? {}, p);
    }
  }
});

test('CLI: ls --json and ls -l of a directory', async () => {
  const img = await loadFixture('default');
  const listing = fixtureListing('default');
  const r = cli(['ls', img, '/dirs/block200', '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.toString());
  const names = j.entries.map((e: { name: string }) => e.name).filter((n: string) => n !== '.' && n !== '..');
  assert.equal(names.sort(), listing.filter((e) => parentOf(e.path) === '/dirs/block200').map((e) => e.path.slice('/dirs/block200/'.length)).sort());
  const l = cli(['ls', img, '/links', '-l']);
  assert.is(l.status, 0, l.stderr);
  const orig = listing.find((e) => e.path === '/links/orig.txt')!;
  assert.match(l.stdout.toString(), new RegExp(`^\\s*${orig.ino}\\s+-rw-r--r--\\s+3\\s+0\\s+0\\s+15\\s+\\S+ \\S+\\s+orig\\.txt$`, 'm'));
  assert.match(l.stdout.toString(), /short -> orig\.txt$/m);
});

test('CLI: cat streams exact bytes (inline, multi-block, holes, a symlink followed); --json gives the md5', async () => {
  for (const name of FIXTURES) {
    const img = await loadFixture(name);
    const listing = fixtureListing(name);
    for (const p of ['/small/s3453', '/big/dense_16m', '/holes/holey', '/holes/prealloc', '/dirs/hashed2500/file-1234']) {
      const e = listing.find((x) => x.path === p)!;
      const r = cli(['cat', img, p]);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout.length, e.size, p);
      assert.is(md5(r.stdout), e.md5, `${name} ${p}`);
    }
    const viaLink = cli(['cat', img, '/links/short']);
    assert.is(md5(viaLink.stdout), listing.find((x) => x.path === '/links/orig.txt')!.md5);
    const j = cli(['cat', img, '/big/dense_16m', '--json']);
    assert.equal(JSON.parse(j.stdout.toString()), { ino: listing.find((x) => x.path === '/big/dense_16m')!.ino, size: 16777316, md5: listing.find((x) => x.path === '/big/dense_16m')!.md5 });
  }
});

test('CLI: readlink, xattr-list, xattr-get', async () => {
  const img = await loadFixture('extra');
  const listing = fixtureListing('extra');
  const long = listing.find((e) => e.path === '/links/long4000')!;
  const r = cli(['readlink', img, '/links/long4000']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.toString(), `${long.target}\n`);
  const x = cli(['xattr-list', img, '/xattr/big', '--json']);
  const xj = JSON.parse(x.stdout.toString());
  assert.equal(Object.fromEntries(xj.xattrs.map((a: { name: string; value: string }) => [a.name, a.value])), listing.find((e) => e.path === '/xattr/big')!.xattrs);
  const g = cli(['xattr-get', img, '/xattr/small', 'user.color']);
  assert.is(g.stdout.toString(), 'blue\n');
  const h = cli(['xattr-get', img, '/xattr/small', 'user.num', '--hex']);
  assert.match(h.stdout.toString(), /^00000000: 3132 3334 35\s+12345$/m);
});

test('CLI: dump and rdump write the host files', async () => {
  const img = await loadFixture('default');
  const listing = fixtureListing('default');
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-cli-dump-'));
  try {
    const d = cli(['dump', img, '/big/dense_16m', path.join(dest, 'dense'), '-p']);
    assert.is(d.status, 0, d.stderr);
    const e = listing.find((x) => x.path === '/big/dense_16m')!;
    assert.is(md5(fs.readFileSync(path.join(dest, 'dense'))), e.md5);
    assert.is(Math.floor(fs.statSync(path.join(dest, 'dense')).mtimeMs / 1000), e.mtime);
    const r = cli(['rdump', img, '/xattr', dest, '--json']);
    assert.is(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout.toString());
    assert.is(j.dest, path.join(dest, 'xattr'));
    assert.equal([j.dirs, j.files, j.symlinks], [2, 3, 0]);
    for (const f of ['small', 'big', 'many']) assert.is(md5(fs.readFileSync(path.join(dest, 'xattr', f))), listing.find((x) => x.path === `/xattr/${f}`)!.md5);
    assert.ok(fs.statSync(path.join(dest, 'xattr/dir')).isDirectory());
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
});

test.run();
