// Casefolding (utf8-12.1.0 NFDICF, +F directories): the normalizer against vectors from the kernel's own utf8-norm.c,
// the Linux-made fixture (fixtures/casefold: listing, the kernel's lookups and EEXIST answers, stored hashes), our
// writes (EEXIST on folding duplicates, set-flags rules, strict encoding, mkfs --encoding), an unknown encoding, and
// (qemu) Linux finding what we create, case-insensitively.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importTree } from '../src/debugfs/import.js';
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, fixtureListing, loadFixture } from '../fixtures/load.js';
import { BIG_COUNT, CF_DUPLICATES, CF_NAMES, bigName, q } from '../fixtures/make-casefold.js';
import { F2fsError } from '../src/errors.js';
import { setupFilename } from '../src/fs/hash.js';
import { dentryHash } from '../src/fs/layout/hash.js';
import { FsFlag } from '../src/fs/layout/node.js';
import { mkfs as ourMkfsDev, mkfsImage as ourMkfs } from '../src/fs/mkfs.js';
import { MemDevice } from '../src/device/index.js';
import { fsyncFile } from '../src/fs/file.js';
import { recover } from '../src/fs/recovery.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { createNode } from '../src/fs/namei.js';
import { mkdir, move, remove, setFlagsPath, touch, writePath } from '../src/fs/ops.js';
import { utf8Casefold } from '../src/fs/unicode/utf8n.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { cli } from './helpers/cli.js';
import { mkfsImage, tmpPath, withVol } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const answers = JSON.parse(fs.readFileSync(new URL('../fixtures/casefold/casefold.answers.json', import.meta.url), 'utf8')) as {
  duplicates: { name: string; result: string }[];
  lookups: { name: string; ino: number | null }[];
  nonEmptySetflags: string;
};

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof F2fsError) return e.code;
    throw e;
  }
  return 'ok';
};

function withWritable<T>(img: string, fn: (vol: Volume) => T): T {
  const vol = Volume.open(img, { readOnly: false });
  try {
    const r = fn(vol);
    writeCheckpoint(vol, { umount: true });
    return r;
  } finally {
    vol.close();
  }
}

/** Our mkfs casefold image with an empty +F /ci. */
function casefoldImage(name: string, encoding = 'utf8'): string {
  const img = tmpPath(name);
  fs.rmSync(img, { force: true });
  ourMkfs(img, { sizeBytes: 64 << 20, features: ['extra_attr,casefold'], encoding });
  withWritable(img, (vol) => {
    mkdir(vol, '/ci');
    setFlagsPath(vol, '/ci', FsFlag.CASEFOLD, 0);
  });
  return img;
}

/** The inode `path` resolves to, or null for ENOENT. */
function inoOrNull(vol: Volume, path: string): number | null {
  try {
    return vol.resolve(path).ino;
  } catch (e) {
    if (e instanceof F2fsError && e.code === 'ENOENT') return null;
    throw e;
  }
}

/** False (and a note) when qemu or the test VM is missing. */
function haveVm(): boolean {
  const vm = vmAvailable();
  if (!vm.ok) console.log(`  (skipped: ${vm.why})`);
  return vm.ok;
}

function expectClean(img: string): void {
  const both = fsckBoth(img);
  assert.equal(both.problems, [], both.problems.join('\n'));
}

/* ---- the normalizer ---- */

test('utf8Casefold: vectors from the kernel utf8-norm.c + utf8data.c_shipped (built in userspace)', () => {
  // input → NFDICF, as the kernel's utf8_casefold returned them (hex); null: -EINVAL.
  const vectors: [string, string | null][] = [
    [hex('Straße'), '73747261737365'],
    [hex('ǅ'), 'c786'],
    [hex('ς'), 'cf83'],
    [hex('한'), 'e18492e185a1e186ab'],
    [hex('é'), '65cc81'],
    [hex('\u200B'), ''],
    [hex('o\u0307\u0323'), '6fcca3cc87'],
    [hex('İ'), '69cc87'],
    [hex('\u212A'), '6b'],
    [hex('ẞ'), '7373'],
    [hex('ﬃ'), '666669'],
    [hex('\u0344'), 'cc88cc81'],
    [hex('\u2126'), 'cf89'],
    [hex('ΣΊΣΥΦΟΣ'), 'cf83ceb9cc81cf83cf85cf86cebfcf83'],
    [hex('A\u034FB'), '6162'],
    [hex('ŉ'), 'cabc6e'],
    ['ff', null],
    ['6180', '6180'], // the cursor passes a stray continuation byte through
    ['c0af', null], // overlong
    ['eda080', null], // surrogate
    ['f4908080', null], // past U+10FFFF
    ['e282', null], // cut short
  ];
  for (const [input, want] of vectors) {
    const got = utf8Casefold(Buffer.from(input, 'hex'));
    assert.is(got === null ? null : got.toString('hex'), want, input);
  }
  // f2fs folds into F2FS_NAME_LEN bytes with the NUL: 254 fit, 255 do not.
  assert.is(utf8Casefold(Buffer.from('ß'.repeat(127)), 255)?.length, 254);
  assert.is(utf8Casefold(Buffer.from('ŉ'.repeat(85)), 255), null);
});

/* ---- the Linux-made fixture ---- */

test('fixture: our listing equals Linux (names as stored, inode numbers, types, sizes, contents)', async () => {
  const img = await loadFixture('casefold');
  const listing = fixtureListing('casefold');
  withVol(img, (vol) => {
    const children = new Map<string, string[]>();
    for (const e of listing) {
      const r = vol.resolve(e.path);
      assert.is(r.ino, e.ino, e.path);
      const info = vol.inode(r.ino);
      assert.is(info.inode.i_size, e.size, e.path);
      assert.is((info.inode.i_mode & 0o170000).toString(8), (parseInt(e.mode, 8) & 0o170000).toString(8), e.path);
      if (e.md5) assert.is(createHash('md5').update(vol.data.read(info, 0, info.inode.i_size)).digest('hex'), e.md5, e.path);
      if (e.path !== '/') {
        const parent = e.path.slice(0, e.path.lastIndexOf('/')) || '/';
        children.set(parent, [...(children.get(parent) ?? []), e.path.slice(e.path.lastIndexOf('/') + 1)]);
      }
    }
    for (const [dir, names] of children) {
      const ours = [...vol.dirs.entries(vol.inode(vol.resolve(dir).ino))].map((d) => d.name.toString()).filter((n) => n !== '.' && n !== '..');
      assert.equal(ours.sort(), names.sort(), dir);
    }
  });
});

test('fixture: every spelling resolves in /ci as Linux resolved it', async () => {
  const img = await loadFixture('casefold');
  withVol(img, (vol) => {
    for (const { name, ino } of answers.lookups) assert.is(inoOrNull(vol, `/ci/${name}`), ino, JSON.stringify(name));
  });
  assert.ok(answers.lookups.filter((l) => l.ino !== null).length > 30);
});

test('fixture: our casefolded hash is the one Linux stored for every name in +F directories; both fscks clean', async () => {
  const img = await loadFixture('casefold');
  let folded = 0;
  withVol(img, (vol) => {
    for (const dir of ['/ci', '/ci/Sub', '/ci/big']) {
      const info = vol.inode(vol.resolve(dir).ino);
      assert.ok(info.inode.i_flags & FsFlag.CASEFOLD, dir);
      for (const d of vol.dirs.entries(info)) {
        assert.is(d.hash, setupFilename(vol.sb, true, d.name).hash, `${dir}/${d.name}`);
        if (d.hash !== dentryHash(d.name)) folded++;
      }
    }
    // /plain (no +F) keeps the plain hash
    for (const d of vol.dirs.entries(vol.inode(vol.resolve('/plain').ino))) assert.is(d.hash, dentryHash(d.name));
  });
  assert.ok(folded > BIG_COUNT, `${folded} names hash differently folded`);
  expectClean(img);
});

test('fixture: Linux refused every folding duplicate (EEXIST); we do too, in /ci only', async () => {
  for (const d of answers.duplicates) assert.match(d.result, /File exists/, d.name);
  assert.match(answers.nonEmptySetflags, /ret=-1/);
  const img = await copyFixture('casefold');
  withWritable(img, (vol) => {
    for (const name of CF_DUPLICATES) {
      assert.is(code(() => mkdir(vol, `/ci/${name}`)), 'EEXIST', name);
      assert.is(code(() => createNode(vol, vol.resolve('/ci').ino, Buffer.from(name), 0o100644)), 'EEXIST', name);
    }
    assert.is(code(() => mkdir(vol, `/ci/BIG/${bigName(5).toUpperCase()}`)), 'EEXIST');
    // A case-only rename onto itself changes nothing (vfs_rename: source == target).
    move(vol, '/ci/README', '/ci/readme');
    assert.equal([...vol.dirs.entries(vol.inode(vol.resolve('/ci').ino))].filter((d) => d.name.toString().toLowerCase() === 'readme').map((d) => d.name.toString()), ['README']);
    // unlink and rename by another spelling
    remove(vol, '/ci/STRASSE');
    assert.is(code(() => vol.resolve('/ci/Straße')), 'ENOENT');
    move(vol, '/ci/ǅEMAL', '/ci/Sub/NEW');
    assert.is(vol.resolve('/ci/sub/new').ino, vol.resolve('/ci/Sub/NEW').ino);
    touch(vol, '/ci/Straße2');
  });
  expectClean(img);
});

/* ---- our writes ---- */

test('set-flags: casefold only on an empty directory of a casefold image, as f2fs_setflags_common', async () => {
  const img = await copyFixture('casefold');
  withWritable(img, (vol) => {
    assert.is(code(() => setFlagsPath(vol, '/plain', FsFlag.CASEFOLD, 0)), 'ENOTEMPTY');
    assert.is(code(() => setFlagsPath(vol, '/ci', 0, FsFlag.CASEFOLD)), 'ENOTEMPTY');
    assert.is(code(() => setFlagsPath(vol, '/plain/README', FsFlag.CASEFOLD, 0)), 'UNSUPPORTED');
    mkdir(vol, '/e');
    assert.ok(setFlagsPath(vol, '/e', FsFlag.CASEFOLD, 0).flags & FsFlag.CASEFOLD);
    touch(vol, '/e/Abc');
    assert.is(vol.resolve('/e/aBC').ino, vol.resolve('/e/Abc').ino);
  });
  expectClean(img);
  const plain = mkfsImage('cf-plain.img', 64, 'extra_attr');
  withWritable(plain, (vol) => {
    mkdir(vol, '/d');
    assert.is(code(() => setFlagsPath(vol, '/d', FsFlag.CASEFOLD, 0)), 'UNSUPPORTED');
  });
  // the command: stat shows the flag afterwards
  const r = cli(['set-flags', img, '/e', 'casefold', '--clear', '--json']);
  assert.is(r.status, 1, r.stderr); // not empty any more
  const made = cli(['mkdir', img, '/f']);
  assert.is(made.status, 0, made.stderr);
  const j = cli(['set-flags', img, '/f', '+casefold', '--json']);
  assert.is(j.status, 0, j.stderr);
  assert.equal(JSON.parse(j.stdout.toString()).names, ['index', 'casefold']);
  assert.match(cli(['stat', img, '/f']).stdout.toString(), /i_flags\s+0x40001000\s+index casefold/);
});

test('mkfs --features casefold --encoding utf8: fsck.f2fs clean; strict mode refuses invalid names, default stores them as bytes', () => {
  const img = casefoldImage('cf-ours.img');
  withVol(img, (vol) => {
    assert.is(vol.sb.s_encoding, 1);
    assert.is(vol.sb.s_encoding_flags, 0);
  });
  withWritable(img, (vol) => {
    touch(vol, '/ci/Straße');
    assert.is(code(() => touch(vol, '/ci/STRASSE')), 'ok'); // touch opens the existing file
    assert.is(vol.resolve('/ci/strasse').ino, vol.resolve('/ci/Straße').ino);
  });
  expectClean(img);
  assert.throws(() => ourMkfs(tmpPath('cf-noenc.img'), { sizeBytes: 64 << 20, features: ['casefold'] }), (e: F2fsError) => e.code === 'USAGE');
  const strict = tmpPath('cf-strict.img');
  fs.rmSync(strict, { force: true });
  ourMkfs(strict, { sizeBytes: 64 << 20, encoding: 'utf8:strict' });
  withVol(strict, (vol) => {
    assert.is(vol.sb.s_encoding_flags, 1);
    assert.is(vol.sb.feature & 0x1000, 0x1000);
  });
});

test('invalid UTF-8 in a +F directory: stored as given, hashed as bytes, found only byte for byte; strict refuses it', () => {
  const name = Buffer.from([0x62, 0x61, 0x64, 0xff]);
  for (const encoding of ['utf8', 'utf8:strict']) {
    const img = tmpPath(`cf-inv-${encoding}.img`);
    fs.rmSync(img, { force: true });
    ourMkfs(img, { sizeBytes: 64 << 20, encoding });
    withWritable(img, (vol) => {
      const dir = mkdir(vol, '/ci');
      setFlagsPath(vol, '/ci', FsFlag.CASEFOLD, 0);
      if (encoding === 'utf8:strict') {
        assert.is(code(() => createNode(vol, dir, name, 0o100644)), 'EINVAL');
        return;
      }
      const ino = createNode(vol, dir, name, 0o100644);
      const d = vol.lookup(vol.inode(dir), name);
      assert.is(d?.ino, ino);
      assert.is(d?.hash, dentryHash(name));
      assert.is(vol.lookup(vol.inode(dir), Buffer.from([0x42, 0x41, 0x44, 0xff])), null);
    });
    expectClean(img);
  }
});

test('an encoding other than utf8-12.1 is UNSUPPORTED for writes, fsck and folding lookups; listing still works', async () => {
  const img = await copyFixture('casefold');
  const r = cli(['set-super', img, 's_encoding', '2']);
  assert.is(r.status, 0, r.stderr);
  assert.is(cli(['mkdir', img, '/x']).status, 4);
  assert.is(cli(['fsck', img]).status, 4);
  assert.is(cli(['stat', img, '/ci/readme']).status, 4);
  assert.is(cli(['stat', img, '/plain/README']).status, 0);
  const ls = cli(['ls', img, '/ci']);
  assert.is(ls.status, 0, ls.stderr);
  assert.match(ls.stdout.toString(), /Straße/);
});

test('import into a +F directory: host names that fold alike become one entry, the rest are skipped as existing', () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-host-'));
  fs.writeFileSync(path.join(host, 'README'), 'upper');
  fs.writeFileSync(path.join(host, 'readme'), 'lower');
  fs.mkdirSync(path.join(host, 'Sub'));
  fs.writeFileSync(path.join(host, 'Sub', 'Straße'), 'sz');
  fs.writeFileSync(path.join(host, 'Sub', 'STRASSE'), 'ss');
  const img = casefoldImage('cf-import.img');
  const stats = withWritable(img, (vol) => importTree(vol, host, '/ci/imported'));
  assert.is(stats.files, 2);
  assert.is(stats.skipped.length, 2, JSON.stringify(stats.skipped));
  withVol(img, (vol) => {
    const names = (p: string) => [...vol.dirs.entries(vol.inode(vol.resolve(p).ino))].map((d) => d.name.toString()).filter((n) => n !== '.' && n !== '..');
    assert.equal(names('/ci/imported').sort(), ['README', 'Sub']);
    assert.equal(names('/ci/imported/sub'), ['STRASSE']); // sorted host order: "STRASSE" < "Straße"
  });
  fs.rmSync(host, { recursive: true, force: true });
  expectClean(img);
});

test('roll-forward recovery re-adds an fsynced name in a +F directory under its folded hash (recover_dentry)', () => {
  const dev = new MemDevice((64 << 20) / 4096);
  ourMkfsDev(dev, { seed: 3, timestamp: 1700000000, features: ['extra_attr'], encoding: 'utf8' });
  dev.flush();
  let v = Volume.open(dev, { readOnly: false });
  mkdir(v, '/ci');
  setFlagsPath(v, '/ci', FsFlag.CASEFOLD, 0);
  v.finish('checkpoint');
  writePath(v, '/ci/Straße', Buffer.from('fsynced'));
  fsyncFile(v, v.resolve('/ci/Straße').ino);
  v.finish('none');
  v = Volume.open(dev, { readOnly: false });
  assert.is(code(() => v.resolve('/ci/STRASSE')), 'ENOENT');
  const r = recover(v);
  assert.is(r.inodes.length, 1);
  const ino = v.resolve('/ci/STRASSE').ino;
  assert.is(v.data.read(v.inode(ino), 0, 7).toString(), 'fsynced');
  const d = v.lookup(v.inode(v.resolve('/ci').ino), Buffer.from('strasse'))!;
  assert.is(d.name.toString(), 'Straße');
  assert.is(d.hash, setupFilename(v.sb, true, Buffer.from('Straße')).hash);
  v.finish('checkpoint');
  const img = tmpPath('cf-recovered.img');
  dev.saveTo(img);
  expectClean(img);
});

/* ---- Linux reads what we write ---- */

test('qemu: Linux mounts our mkfs --features casefold image and finds every name we created in +F directories, case-insensitively', async () => {
  if (!haveVm()) return;
  const img = casefoldImage('cf-vm.img');
  withWritable(img, (vol) => {
    for (const n of CF_NAMES) writePath(vol, `/ci/${n}`, Buffer.from(`${n}\n`));
    mkdir(vol, '/ci/big');
    for (let i = 0; i < BIG_COUNT; i++) touch(vol, `/ci/big/${bigName(i)}`);
  });
  expectClean(img);
  const expected = withVol(img, (vol) => ({
    dups: CF_DUPLICATES.map((n) => vol.resolve(`/ci/${n}`).ino),
    big: [0, 123, BIG_COUNT - 1].map((i) => vol.resolve(`/ci/big/${bigName(i)}`).ino),
  }));
  const script = [
    'mount -t f2fs /dev/vda /mnt || exit 9',
    ...CF_DUPLICATES.map((n, i) => `echo "DUP|${i}|$(stat -c %i /mnt/ci/${q(n)} 2>/dev/null || echo -)|$(cat /mnt/ci/${q(n)} 2>/dev/null | md5sum | cut -c1-8)"`),
    ...[0, 123, BIG_COUNT - 1].map((i, k) => `echo "BIG|${k}|$(stat -c %i /mnt/ci/big/${q(bigName(i).toUpperCase())} 2>/dev/null || echo -)"`),
    // Linux adds a folding duplicate (refused) and a new name into our directory
    `mkdir /mnt/ci/${q('README'.toLowerCase())} 2>/dev/null && echo MKDIR_DUP=created || echo MKDIR_DUP=refused`,
    'echo linux > /mnt/ci/FromLinux',
    'umount /mnt || exit 8',
  ].join('\n');
  const r = await runInVm({ disks: [img], script, timeoutMs: 240_000 });
  assert.is(r.status, 0, r.output);
  const got = new Map([...r.output.matchAll(/^DUP\|(\d+)\|(\S+)\|(\S+)$/gm)].map((m) => [Number(m[1]), [m[2], m[3]]]));
  CF_DUPLICATES.forEach((n, i) => {
    assert.is(got.get(i)?.[0], String(expected.dups[i]), n);
  });
  const big = new Map([...r.output.matchAll(/^BIG\|(\d+)\|(\S+)$/gm)].map((m) => [Number(m[1]), m[2]]));
  expected.big.forEach((ino, k) => assert.is(big.get(k), String(ino)));
  assert.match(r.output, /MKDIR_DUP=refused/);
  withVol(img, (vol) => assert.ok(vol.resolve('/ci/fromlinux').ino > 0));
  expectClean(img);
});

test('qemu: names Linux hashes as bytes in a +F directory (only ignorables; folded form past 254 bytes): our hash and lookups agree with the kernel (fsck.f2fs 1.15 does not)', async () => {
  if (!haveVm()) return;
  const img = casefoldImage('cf-odd.img');
  const strict = casefoldImage('cf-odd-strict.img', 'utf8:strict');
  const made = ['\u200B', '\u00AD\u200B', 'ŉ'.repeat(85), 'ŉ'.repeat(84), 'x\u200By'];
  const probes = [...made, '\u200B\u200B', 'ʼN'.repeat(85), 'ʼN'.repeat(84), 'XY', 'x\u00ADy'];
  const script = [
    'mount -t f2fs /dev/vda /mnt || exit 9',
    // The dcache compares names by their full fold (generic_ci_d_compare: no length limit, an empty fold is a
    // fold), so a cached dentry can stand for a name f2fs_lookup would not match: drop it before each step to get
    // what is on disk.
    ...made.map((n) => `echo 2 > /proc/sys/vm/drop_caches; echo ${q(n)} > /mnt/ci/${q(n)} || echo "CREATE_FAILED ${q(n)}"`),
    // invalid UTF-8: stored as bytes, unless the encoding is strict (EINVAL)
    `echo 2 > /proc/sys/vm/drop_caches; touch "/mnt/ci/$(printf 'bad\\377')" && echo LAX_INVALID=created || echo LAX_INVALID=refused`,
    'mkdir /mnt2 && mount -t f2fs /dev/vdb /mnt2 || exit 7',
    `touch "/mnt2/ci/$(printf 'bad\\377')" 2>/dev/null && echo STRICT_INVALID=created || echo STRICT_INVALID=refused`,
    'umount /mnt2',
    'umount /mnt && mount -t f2fs -o ro /dev/vda /mnt || exit 8',
    `echo "PROBE_BAD|$(stat -c %i "/mnt/ci/$(printf 'BAD\\377')" 2>/dev/null || echo -)"`,
    ...probes.map((n, i) => `echo 2 > /proc/sys/vm/drop_caches; echo "PROBE|${i}|$(stat -c %i /mnt/ci/${q(n)} 2>/dev/null || echo -)"`),
    'umount /mnt',
  ].join('\n');
  const r = await runInVm({ disks: [img, strict], script, timeoutMs: 240_000 });
  assert.is(r.status, 0, r.output);
  assert.not.match(r.output, /CREATE_FAILED/);
  assert.match(r.output, /LAX_INVALID=created/);
  assert.match(r.output, /STRICT_INVALID=refused/);
  assert.match(r.output, /PROBE_BAD\|-/);
  withVol(strict, (vol) => assert.is([...vol.dirs.entries(vol.inode(vol.resolve('/ci').ino))].length, 2));
  const kernel = new Map([...r.output.matchAll(/^PROBE\|(\d+)\|(\S+)$/gm)].map((m) => [Number(m[1]), m[2] === '-' ? null : Number(m[2])]));
  withVol(img, (vol) => {
    const ci = vol.inode(vol.resolve('/ci').ino);
    const byName = new Map([...vol.dirs.entries(ci)].map((d) => [d.name.toString(), d]));
    for (const n of made) {
      const d = byName.get(n);
      assert.ok(d, `Linux made ${JSON.stringify(n)}`);
      assert.is(d!.hash, setupFilename(vol.sb, true, d!.name).hash, JSON.stringify(n));
    }
    const bad = Buffer.from('bad\xff', 'latin1');
    assert.is(vol.lookup(ci, bad)?.hash, dentryHash(bad));
    assert.is(vol.lookup(ci, Buffer.from('BAD\xff', 'latin1')), null);
    // Kernel-hashed as bytes: the three that do not fold within F2FS_NAME_LEN.
    assert.is(byName.get('\u200B')!.hash, dentryHash(Buffer.from('\u200B')));
    assert.is(byName.get('ŉ'.repeat(85))!.hash, dentryHash(Buffer.from('ŉ'.repeat(85))));
    assert.is.not(byName.get('ŉ'.repeat(84))!.hash, dentryHash(Buffer.from('ŉ'.repeat(84))));
    probes.forEach((n, i) => assert.is(inoOrNull(vol, `/ci/${n}`), kernel.get(i), `probe ${JSON.stringify(n)}`));
  });
  const both = fsckBoth(img);
  assert.ok(both.ours?.ok, both.problems.join('\n'));
  // fsck.f2fs 1.15 folds into PATH_MAX bytes and hashes an empty fold: it disagrees with the kernel on exactly these.
  const mismatches = both.real.out.split('\n').filter((l) => /Mismatch hash_code/.test(l));
  console.log(`  fsck.f2fs 1.15 on kernel-made names: ${mismatches.length} hash mismatch(es) reported`);
});

test.run();
