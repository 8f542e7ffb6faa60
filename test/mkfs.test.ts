// Formatter tests: images from mkfs()/mkfsImage() against mkfs.f2fs 1.15's for the same size, features, seed, time and uuid
// (byte for byte), fsck.f2fs --dry-run on every image, mounting with Volume, size limits and option errors.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemDevice } from '../src/device/index.js';
import { F2fsError, type ErrorCode } from '../src/errors.js';
import { CheckpointHead, CpFlag } from '../src/fs/layout/checkpoint.js';
import { BLKSIZE, CursegType } from '../src/fs/layout/constants.js';
import { NatBlock } from '../src/fs/layout/nat.js';
import { NodeFooter, NODE_FOOTER_OFFSET } from '../src/fs/layout/node.js';
import { Superblock } from '../src/fs/layout/superblock.js';
import { F2FSDBG_VERSION, glibcRand, minimumSizeBytes, mkfs, mkfsImage, planMkfs, type MkfsOptions, type MkfsReport } from '../src/fs/mkfs.js';
import { Volume } from '../src/fs/volume.js';
import { EXTRA_FEATURES, tmpPath } from './helpers/images.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const UUID = '6f2a1c3e-1111-4222-8333-944455556666';
const TIME = 1700000000;
/** mkfs.f2fs writes the first line of /proc/version; passing the same string makes whole images comparable. */
const KERNEL_VERSION = fs.readFileSync('/proc/version', 'utf8').split('\n')[0];
const SAME_AS_MKFS: MkfsOptions = { seed: 0, uuid: UUID, timestamp: TIME, version: KERNEL_VERSION };

function sparse(path: string, size: number): string {
  fs.rmSync(path, { force: true });
  fs.writeFileSync(path, '');
  fs.truncateSync(path, size);
  return path;
}

/** mkfs.f2fs -r -T -U on a fresh sparse file (or an existing file when size is null). */
function realMkfs(path: string, size: number | null, features: string | null, extra: string[] = []): string {
  if (size !== null) sparse(path, size);
  const args = ['-q', '-f', '-r', '-T', String(TIME), '-U', UUID, ...extra];
  if (features) args.push('-O', features);
  const r = spawnSync('mkfs.f2fs', [...args, path], { encoding: 'utf8' });
  assert.is(r.status, 0, `mkfs.f2fs failed: ${r.stdout}${r.stderr}`);
  return path;
}

function ours(name: string, size: number, features: string | null, opts: MkfsOptions = SAME_AS_MKFS): { path: string; report: MkfsReport } {
  const path = tmpPath(name);
  fs.rmSync(path, { force: true });
  const report = mkfsImage(path, { ...opts, sizeBytes: size, features: features ? features.split(',') : [] });
  return { path, report };
}

function readBlocks(path: string, blkaddr: number, count: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const b = Buffer.alloc(count * BLKSIZE);
    fs.readSync(fd, b, 0, b.length, blkaddr * BLKSIZE);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}
const block = (path: string, blkaddr: number) => readBlocks(path, blkaddr, 1);
const superblock = (path: string) => Superblock.decode(block(path, 0), 1024);
const cpHead = (path: string) => CheckpointHead.decode(block(path, superblock(path).cp_blkaddr));

/**
 * fsck.f2fs --dry-run: exit 0, no ASSERT/[Fail] lines, and every check line "[Ok..]". On a damaged image it prints
 * "[ASSERT] ..." and "[Fail]" lines and exits non-zero (checked below), so this tells the two apart.
 */
function fsck(path: string): { ok: boolean; out: string; ms: number } {
  const t = performance.now();
  const r = spawnSync('fsck.f2fs', ['--dry-run', path], { encoding: 'utf8', input: '', timeout: 300_000 });
  const ms = performance.now() - t;
  const out = `${r.stdout}${r.stderr}`;
  const checks = out.split('\n').filter((l) => /^\[FSCK\] .*\[(Ok\.\.|Fail)\]/.test(l));
  const ok = r.status === 0 && !/\[ASSERT\]|\[Fail\]/.test(out) && checks.length >= 10 && checks.every((l) => l.includes('[Ok..]'));
  return { ok, out, ms };
}
function assertFsckClean(path: string): number {
  const r = fsck(path);
  assert.ok(r.ok, `fsck.f2fs --dry-run ${path}:\n${r.out}`);
  return r.ms;
}

/** Every block of [0, main) and the first 16 blocks of each current segment; whole files when small. */
function assertSameImage(a: string, b: string, report: MkfsReport): void {
  const size = fs.statSync(a).size;
  assert.is(fs.statSync(b).size, size, 'file sizes');
  const ranges: [number, number][] =
    size <= 256 * MiB ? [[0, size / BLKSIZE]] : [[0, report.areas.main], ...report.cursegs.map((c): [number, number] => [report.areas.main + c.segno * 512, 16])];
  for (const [start, count] of ranges) {
    for (let off = 0; off < count; off += 2048) {
      const n = Math.min(2048, count - off);
      const x = readBlocks(a, start + off, n);
      const y = readBlocks(b, start + off, n);
      if (!x.equals(y)) {
        for (let i = 0; i < n; i++) {
          if (!x.subarray(i * BLKSIZE, (i + 1) * BLKSIZE).equals(y.subarray(i * BLKSIZE, (i + 1) * BLKSIZE))) assert.unreachable(`block ${start + off + i} differs`);
        }
      }
    }
  }
}

function listRoot(path: string | MemDevice): string[] {
  const vol = Volume.open(path, { readOnly: true });
  try {
    return [...vol.dirs.entries(vol.inode(3))].map((d) => d.name.toString());
  } finally {
    if (typeof path === 'string') vol.close();
  }
}

/** The crash rule: the warm-node log's next free block must not be a node the CP would recover. */
function assertNoRecoverableNode(read: (blkaddr: number) => Buffer): void {
  const sb = Superblock.decode(read(0), 1024);
  const cp = CheckpointHead.decode(read(sb.cp_blkaddr));
  const next = sb.main_blkaddr + cp.cur_node_segno[1] * 512 + cp.cur_node_blkoff[1];
  const b = read(next);
  const footer = NodeFooter.decode(b, NODE_FOOTER_OFFSET);
  assert.ok(b.equals(Buffer.alloc(BLKSIZE)) || BigInt.asUintN(32, footer.cp_ver) !== BigInt.asUintN(32, cp.checkpoint_ver), `block ${next} looks recoverable`);
}

function expectError(code: ErrorCode, fn: () => unknown, pattern?: RegExp): F2fsError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, F2fsError);
    const err = e as F2fsError;
    assert.is(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

/* ---------------------------------------------------------------- against mkfs.f2fs ---------------------------------------------------------------- */

const SIZES: [string, number][] = [
  ['52MiB (minimum)', 52 * MiB],
  ['64MiB', 64 * MiB],
  ['200MiB', 200 * MiB],
  ['1GiB', GiB],
  ['8GiB', 8 * GiB],
];
const FEATURE_SETS: [string, string | null][] = [
  ['default', null],
  ['extra', EXTRA_FEATURES],
];
/** Quota inodes and files (mkfs 1.15: quota brings user and group, project_quota its own and the quota bit). */
const QUOTA_SETS: [string, string][] = [
  ['quota+project_quota', `${EXTRA_FEATURES},quota,project_quota`],
  ['project_quota alone', 'extra_attr,project_quota'],
  ['quota without extra_attr', 'quota'],
  ['encrypt+verity', `${EXTRA_FEATURES},encrypt,verity`],
];

for (const [sizeName, size] of SIZES) {
  const sets = size === 64 * MiB || size === GiB ? [...FEATURE_SETS, ...QUOTA_SETS] : FEATURE_SETS;
  for (const [setName, features] of sets) {
    test(`${sizeName} ${setName}: identical to mkfs.f2fs -r, fsck-clean, mounts`, () => {
      const { path, report } = ours(`ours-${size}-${setName}.img`, size, features);
      const theirs = realMkfs(tmpPath(`theirs-${size}-${setName}.img`), size, features);
      assertSameImage(path, theirs, report);
      // Field by field through the codecs too (a failure names the field).
      assert.equal(superblock(path), superblock(theirs));
      assert.equal(cpHead(path), cpHead(theirs));

      assertFsckClean(path);
      const names = listRoot(path);
      assert.equal(names, features?.includes('lost_found') ? ['.', '..', 'lost+found'] : ['.', '..']);
      assertNoRecoverableNode((b) => block(path, b));

      // The report describes what was written.
      const sb = superblock(path);
      const cp = cpHead(path);
      assert.is(report.blockCount, sb.block_count);
      assert.is(report.segmentCount, sb.segment_count);
      assert.is(report.mainSegments, sb.segment_count_main);
      assert.equal(report.areas, { segment0: sb.segment0_blkaddr, cp: sb.cp_blkaddr, sit: sb.sit_blkaddr, nat: sb.nat_blkaddr, ssa: sb.ssa_blkaddr, main: sb.main_blkaddr });
      assert.is(report.reservedSegments, cp.rsvd_segment_count);
      assert.is(report.overprovisionSegments, cp.overprov_segment_count);
      assert.is(report.userBlocks, cp.user_block_count);
      assert.is(report.freeSegments, cp.free_segment_count);
      assert.is(report.validBlocks, cp.valid_block_count);
      assert.is(BigInt(report.checkpointVersion), cp.checkpoint_ver);
      assert.equal(
        report.cursegs.filter((c) => c.type.endsWith('node')).map((c) => c.segno),
        cp.cur_node_segno.slice(0, 3),
      );
      assert.ok(cp.ckpt_flags & CpFlag.TRIMMED, 'a new sparse file counts as discarded, as after mkfs.f2fs -t 1');
      fs.rmSync(path);
      fs.rmSync(theirs);
    });
  }
}

for (const enc of ['utf8', 'utf8:strict']) {
  test(`--encoding ${enc} (casefold): identical to mkfs.f2fs -C ${enc}, fsck-clean`, () => {
    const path = tmpPath(`ours-cf-${enc}.img`);
    fs.rmSync(path, { force: true });
    const report = mkfsImage(path, { ...SAME_AS_MKFS, sizeBytes: 64 * MiB, features: ['extra_attr'], encoding: enc });
    const theirs = realMkfs(tmpPath(`theirs-cf-${enc}.img`), 64 * MiB, 'extra_attr', ['-C', enc]);
    assertSameImage(path, theirs, report);
    assert.equal(superblock(path), superblock(theirs));
    assert.is(report.encoding, enc);
    assertFsckClean(path);
    fs.rmSync(path);
    fs.rmSync(theirs);
  });
}

for (const [sizeName, size, more] of [
  ['64MiB', 64 * MiB, null],
  ['1GiB', GiB, null],
  ['64MiB with -O inode_checksum,sb_checksum', 64 * MiB, 'inode_checksum,sb_checksum'],
] as const) {
  test(`--android ${sizeName}: identical to mkfs.f2fs -g android, fsck-clean`, () => {
    const path = tmpPath(`ours-android-${size}.img`);
    fs.rmSync(path, { force: true });
    // inode_checksum needs extra_attr: -g android brings it, checked after both as mkfs.f2fs does.
    const report = mkfsImage(path, { ...SAME_AS_MKFS, sizeBytes: size, android: true, features: more ? [more] : [] });
    const theirs = realMkfs(tmpPath(`theirs-android-${size}.img`), size, more, ['-g', 'android']);
    assertSameImage(path, theirs, report);
    assert.equal(superblock(path), superblock(theirs));
    assert.equal(report.features.filter((f) => !more?.includes(f)), ['encrypt', 'extra_attr', 'project_quota', 'quota', 'verity']);
    assert.equal(report.quotaInos, [4, 5, 6]);
    assertFsckClean(path);
    fs.rmSync(path);
    fs.rmSync(theirs);
  });
}

test('64MiB geometry matches the worked example (format doc §1.6)', () => {
  const r = planMkfs((64 * MiB) / BLKSIZE, SAME_AS_MKFS).geo;
  assert.equal(
    { seg: r.segmentCount, main: r.mainSegs, sit: r.sitBlkaddr, nat: r.natBlkaddr, ssa: r.ssaBlkaddr, mainAddr: r.mainBlkaddr, ovp: r.ovp, rsvd: r.rsvd, ovpSegs: r.ovpSegs },
    { seg: 31, main: 24, sit: 1536, nat: 2560, ssa: 3584, mainAddr: 4096, ovp: 35, rsvd: 13, ovpSegs: 16 },
  );
  assert.equal([r.curseg[CursegType.HOT_NODE], r.curseg[CursegType.WARM_NODE], r.curseg[CursegType.COLD_NODE]], [0, 1, 2]);
  assert.equal([r.curseg[CursegType.HOT_DATA], r.curseg[CursegType.WARM_DATA], r.curseg[CursegType.COLD_DATA]], [3, 11, 5]);
});

test('defaults (random uuid and version, now, own version string) differ from mkfs.f2fs only in uuid, versions and times', () => {
  const { path, report } = ours('defaults.img', GiB, EXTRA_FEATURES, {});
  const theirs = realMkfs(tmpPath('defaults-theirs.img'), GiB, EXTRA_FEATURES);
  const a = superblock(path);
  const b = superblock(theirs);
  for (const k of ['uuid', 'version', 'init_version', 'crc'] as const) delete (a as Partial<typeof a>)[k], delete (b as Partial<typeof b>)[k];
  assert.equal(a, b);
  const ca = cpHead(path);
  const cb = cpHead(theirs);
  assert.is(ca.checkpoint_ver & 1n, 1n, 'odd like rand() | 1');
  ca.checkpoint_ver = cb.checkpoint_ver = 0n;
  assert.equal(ca, cb);
  assert.is(superblock(path).version.toString('latin1').replace(/\0+$/, ''), `f2fsdbg ${F2FSDBG_VERSION}`);
  assert.is.not(report.uuid, UUID);
  assertFsckClean(path);
  fs.rmSync(path);
  fs.rmSync(theirs);
});

test('-o, -l and an existing file larger than sizeBytes: identical to mkfs.f2fs -o 5 -l LABEL IMAGE SECTORS', () => {
  const label = 'vol-ünï😀';
  const path = sparse(tmpPath('prefix-ours.img'), 300 * MiB);
  const theirs = sparse(tmpPath('prefix-theirs.img'), 300 * MiB);
  const report = mkfsImage(path, { ...SAME_AS_MKFS, sizeBytes: 200 * MiB, overprovision: 5, label, features: ['extra_attr', 'sb_checksum'] });
  // mkfs.f2fs takes the size as a trailing sector count.
  const r = spawnSync('mkfs.f2fs', ['-q', '-f', '-r', '-t', '0', '-o', '5', '-l', label, '-T', String(TIME), '-U', UUID, '-O', 'extra_attr,sb_checksum', theirs, String((200 * MiB) / 512)]);
  assert.is(r.status, 0);
  assert.is(fs.statSync(path).size, 300 * MiB, 'the file keeps its size');
  assert.is(report.blockCount, (200 * MiB) / BLKSIZE);
  assert.is(report.overprovisionPercent, 5);
  assert.ok(!report.cpFlags.includes('trimmed'), 'an existing file was not discarded');
  assert.equal(superblock(path), superblock(theirs));
  assert.equal(readBlocks(path, 0, (200 * MiB) / BLKSIZE), readBlocks(theirs, 0, (200 * MiB) / BLKSIZE));
  assertFsckClean(path);
  expectError('EINVAL', () => mkfsImage(path, { sizeBytes: 301 * MiB }), /only/);
  fs.rmSync(path);
  fs.rmSync(theirs);
});

test('existing file full of random bytes: SIT/NAT copy 0 zeroed, identical to mkfs.f2fs -t 0, fsck-clean', () => {
  const size = 128 * MiB;
  const junk = crypto.randomFillSync(Buffer.alloc(size));
  const path = tmpPath('junk-ours.img');
  const theirs = tmpPath('junk-theirs.img');
  fs.writeFileSync(path, junk);
  fs.writeFileSync(theirs, junk);
  const seen: [number, number][] = [];
  const report = mkfsImage(path, { ...SAME_AS_MKFS, features: EXTRA_FEATURES.split(','), progress: (d, t) => seen.push([d, t]) });
  realMkfs(theirs, null, EXTRA_FEATURES, ['-t', '0']);
  assert.is(report.zeroedBlocks, 2 * 512, 'one SIT segment and one NAT segment (copy 0)');
  assert.ok(seen.length > 1 && seen.every(([d, t], i) => d <= t && (i === 0 || d >= seen[i - 1][0])), 'progress is monotone');
  assert.equal(seen[seen.length - 1], [report.zeroedBlocks + report.metadataBlocks, report.zeroedBlocks + report.metadataBlocks]);
  assert.ok(fs.readFileSync(path).equals(fs.readFileSync(theirs)), 'whole images identical');
  assertFsckClean(path);
  assert.equal(listRoot(path), ['.', '..', 'lost+found']);
  assertNoRecoverableNode((b) => block(path, b));
  fs.rmSync(path);
  fs.rmSync(theirs);
});

test('mkfs(dev) on a MemDevice: zeroes through the device, mounts, lost+found resolves', () => {
  const dev = new MemDevice((64 * MiB) / BLKSIZE);
  // Leave a recoverable-looking node where the warm-node log will start, and junk in the SIT: mkfs must clear both.
  const plan = planMkfs(dev.blockCount, SAME_AS_MKFS);
  const warm = plan.geo.mainBlkaddr + plan.geo.curseg[CursegType.WARM_NODE] * 512;
  dev.writeBlock(warm, Buffer.alloc(BLKSIZE, 0xab));
  dev.writeBlock(plan.geo.sitBlkaddr + 3, Buffer.alloc(BLKSIZE, 0xcd));
  dev.flush();
  const report = mkfs(dev, { ...SAME_AS_MKFS, features: EXTRA_FEATURES.split(',') });
  assert.is(report.zeroedBlocks, 2 * 512, 'one SIT segment and one NAT segment');
  assert.ok(!report.cpFlags.includes('trimmed'));
  assert.ok(dev.readBlock(warm).equals(Buffer.alloc(BLKSIZE)));
  assert.ok(dev.readBlock(plan.geo.sitBlkaddr + 3).equals(Buffer.alloc(BLKSIZE)));
  assertNoRecoverableNode((b) => dev.readBlock(b));
  const vol = Volume.open(dev, { readOnly: true });
  assert.equal([...vol.dirs.entries(vol.inode(3))].map((d) => [d.name.toString(), d.ino]), [['.', 3], ['..', 3], ['lost+found', 4]]);
  const lpf = vol.resolve('/lost+found');
  assert.is(lpf.ino, 4);
  assert.equal([...vol.dirs.entries(vol.inode(4))].map((d) => [d.name.toString(), d.ino]), [['.', 4], ['..', 3]]);
  // lost+found is only in the NAT journal, as mkfs.f2fs leaves it; NAT block 0 holds nids 1, 2 and 3.
  const nat = NatBlock.decode(dev.readBlock(report.areas.nat));
  assert.equal(nat.entries.slice(0, 5).map((e) => e.block_addr), [0, 1, 1, report.areas.main, 0]);
});

test('16 TiB (the largest F2FS) on a MemDevice with zeroed: cp_payload layout, mounts; one block more is refused', () => {
  const dev = new MemDevice(2 ** 32);
  const t = performance.now();
  const report = mkfs(dev, { zeroed: true, seed: 7 });
  assert.ok(performance.now() - t < 2000);
  assert.is(report.segmentCount, 8388607);
  assert.is(report.cpPayload, 5);
  assert.ok(report.cpFlags.includes('trimmed'));
  assert.equal(listRoot(dev), ['.', '..']);
  expectError('EINVAL', () => mkfs(new MemDevice(2 ** 32 + 1), { zeroed: true }), /16 TiB/);
});

test('1 TiB sparse image: formats in well under 2 s and passes fsck.f2fs', () => {
  const path = tmpPath('tib.img');
  fs.rmSync(path, { force: true });
  const t = performance.now();
  const report = mkfsImage(path, { sizeBytes: 1024 * GiB, features: EXTRA_FEATURES.split(',') });
  const ms = performance.now() - t;
  assert.ok(ms < 2000, `mkfs took ${ms.toFixed(0)} ms`);
  assert.is(report.segmentCount, 524287);
  assert.ok(fs.statSync(path).blocks * 512 < 4 * MiB, 'still sparse');
  const fsckMs = assertFsckClean(path);
  console.log(`    1 TiB: mkfs ${ms.toFixed(0)} ms, fsck.f2fs --dry-run ${fsckMs.toFixed(0)} ms`);
  assert.equal(listRoot(path), ['.', '..', 'lost+found']);
  fs.rmSync(path);
});

/* ---------------------------------------------------------------- limits and errors ---------------------------------------------------------------- */

test('minimum size: 52 MiB like mkfs.f2fs 1.15; one block less is ENOSPC for both, and no file is left behind', () => {
  assert.is(minimumSizeBytes(), 52 * MiB);
  const small = 52 * MiB - BLKSIZE;
  const theirs = sparse(tmpPath('small-theirs.img'), small);
  const r = spawnSync('mkfs.f2fs', ['-q', '-f', theirs], { encoding: 'utf8' });
  assert.is.not(r.status, 0, 'mkfs.f2fs refuses it too');
  const path = tmpPath('small-ours.img');
  fs.rmSync(path, { force: true });
  const err = expectError('ENOSPC', () => mkfsImage(path, { sizeBytes: small }), /at least 54525952 bytes \(52 MiB\)/);
  assert.is(err.info.minimumBytes, 52 * MiB);
  assert.not.ok(fs.existsSync(path));
  expectError('ENOSPC', () => mkfs(new MemDevice(1000), {}));
  expectError('ENOSPC', () => mkfs(new MemDevice(0), {}));
  // A bigger overprovision ratio raises the minimum, and the message says so.
  assert.ok(minimumSizeBytes(5) > 52 * MiB);
  expectError('ENOSPC', () => planMkfs((64 * MiB) / BLKSIZE, { overprovision: 5 }), /5% overprovision/);
  fs.rmSync(theirs);
});

test('features mkfs.f2fs has but this formatter cannot write are UNSUPPORTED; bad options are USAGE', () => {
  const blocks = (64 * MiB) / BLKSIZE;
  for (const f of ['ro', 'blkzoned']) {
    expectError('UNSUPPORTED', () => planMkfs(blocks, { features: ['extra_attr', f] }), new RegExp(f));
  }
  expectError('USAGE', () => planMkfs(blocks, { features: ['no_such_feature'] }), /unknown feature/);
  // mkfs.f2fs -O casefold alone writes s_encoding 0, which Linux refuses to mount: we ask for the encoding.
  expectError('USAGE', () => planMkfs(blocks, { features: ['casefold'] }), /--encoding utf8/);
  expectError('USAGE', () => planMkfs(blocks, { encoding: 'latin1' }), /unknown encoding/);
  expectError('USAGE', () => planMkfs(blocks, { encoding: 'utf8:lax' }), /unknown encoding flag/);
  expectError('USAGE', () => planMkfs(blocks, { features: ['toString'] }), /unknown feature/);
  expectError('USAGE', () => planMkfs(blocks, { features: ['inode_checksum'] }), /needs extra_attr/);
  expectError('USAGE', () => planMkfs(blocks, { uuid: 'not-a-uuid' }));
  expectError('USAGE', () => planMkfs(blocks, { overprovision: 150 }));
  expectError('USAGE', () => planMkfs(blocks, { label: 'x'.repeat(513) }));
  expectError('USAGE', () => planMkfs(blocks, { timestamp: -1 }));
  expectError('USAGE', () => mkfsImage(tmpPath('nosize.img'), {}), /sizeBytes/);
  expectError('EROFS', () => mkfs(new MemDevice(blocks, { readOnly: true }), {}));
  // Comma lists in one entry, as -O takes them.
  assert.is(planMkfs(blocks, { features: ['extra_attr,inode_checksum', 'lost_found'] }).features, 0x8 | 0x20 | 0x200);
});

test('seed: srand/rand like glibc (seed 0 = mkfs.f2fs -r), deterministic uuid; the default version tracks package.json', () => {
  // Reference values from glibc: srand(s); rand().
  assert.is(glibcRand(0), 1804289383);
  assert.is(glibcRand(1), 1804289383);
  assert.is(glibcRand(2), 1505335290);
  assert.is(glibcRand(1700000000), 280491303);
  assert.is(glibcRand(4294967295), 254925627);
  const blocks = (64 * MiB) / BLKSIZE;
  const a = planMkfs(blocks, { seed: 42 });
  const b = planMkfs(blocks, { seed: 42 });
  const c = planMkfs(blocks, { seed: 43 });
  assert.ok(a.uuid.equals(b.uuid) && a.cpVersion === b.cpVersion);
  assert.ok(!a.uuid.equals(c.uuid));
  assert.is(a.uuid[6] >> 4, 4, 'a version-4 uuid');
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.is(F2FSDBG_VERSION, pkg.version);
});

test('fsck check itself: a damaged image is reported', () => {
  const { path, report } = ours('damaged.img', 64 * MiB, null);
  assertFsckClean(path);
  const fd = fs.openSync(path, 'r+');
  fs.writeSync(fd, Buffer.alloc(BLKSIZE), 0, BLKSIZE, report.areas.main * BLKSIZE); // the root inode
  fs.closeSync(fd);
  const r = fsck(path);
  assert.not.ok(r.ok);
  assert.match(r.out, /\[Fail\]/);
  fs.rmSync(path);
});

test.run();
