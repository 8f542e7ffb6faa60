// Field injection (src/debugfs/inject.ts) through the CLI: each command changes exactly the bytes it reports (the
// whole image is compared), checksums follow unless --keep-crc, and both fscks see the fault injected.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { cli } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { EXTRA_FEATURES, mkfsImage, tmpPath } from './helpers/images.js';

interface Change {
  blkaddr: number;
  offset: number;
  size: number;
  field: string;
  old: string;
  new: string;
}

function run(args: string[]) {
  const r = cli([...args, '--json']);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** An mkfs.f2fs image (extra features: inode checksums, sb crc) with a file, a directory and a file in it. */
const seed = (() => {
  const img = mkfsImage('inject-seed.img', 64, EXTRA_FEATURES);
  run(['write', img, '/a', '--data', 'hello']);
  run(['mkdir', img, '/d']);
  run(['write', img, '/d/f', '--data', 'x'.repeat(9000)]);
  return img;
})();

function copySeed(name: string): string {
  const p = tmpPath(name);
  fs.copyFileSync(seed, p);
  return p;
}

/** Byte offsets in which two files differ. */
function diff(a: string, b: string): number[] {
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  assert.is(x.length, y.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

/** Runs an injection on a copy of the seed; every changed byte lies in a reported field, every reported change is on disk. */
function inject(name: string, args: string[]): { img: string; changes: Change[] } {
  const img = copySeed(name);
  const [cmd, ...rest] = args;
  const r = run([cmd, img, ...rest]);
  const changes: Change[] = r.changes;
  assert.ok(changes.length > 0, `${args.join(' ')} reported no change`);
  const inField = (pos: number) => changes.some((c) => pos >= c.blkaddr * BLKSIZE + c.offset && pos < c.blkaddr * BLKSIZE + c.offset + c.size);
  const changed = diff(seed, img);
  for (const pos of changed) assert.ok(inField(pos), `${args.join(' ')}: byte ${pos} (block ${Math.floor(pos / BLKSIZE)} byte ${pos % BLKSIZE}) changed outside ${JSON.stringify(changes)}`);
  for (const c of changes.filter((x) => x.old !== x.new)) {
    const at = c.blkaddr * BLKSIZE + c.offset;
    assert.ok(changed.some((pos) => pos >= at && pos < at + c.size), `${args.join(' ')}: ${c.field} reported but not written`);
  }
  return { img, changes };
}

/** `detect: false`: a fault neither fsck looks at (the kernel does not read that copy either); the bytes still must be exact. */
const CASES: { args: string[]; field: string; detect?: false }[] = [
  { args: ['set-super', 'segment_count_main', '7'], field: 'segment_count_main' },
  { args: ['set-cp', 'valid_block_count', '99'], field: 'valid_block_count' },
  // Pack 2 is in use: pack 1 is not read.
  { args: ['set-cp', 'free_segment_count', '1', '--pack', '1'], field: 'free_segment_count', detect: false },
  { args: ['set-nat', '5', 'ino', '6'], field: 'ino' },
  { args: ['set-sit', '3', 'vblocks', '0x0c05'], field: 'vblocks' },
  // Segment 3 is the current hot-data log: its summary lives in the checkpoint pack, not in this SSA block.
  { args: ['set-ssa', '5636', 'nid', '77'], field: 'nid', detect: false },
  { args: ['set-inode', '/a', 'i_links', '7'], field: 'i_links' },
  { args: ['set-inode', '<5>', 'i_size', '0x4000000000000000'], field: 'i_size' },
  { args: ['set-inode', '/d/f', 'i_addr[11]', '0xfffffff0'], field: 'i_addr[11]' },
  { args: ['set-inode', '/d/f', 'i_nid[0]', '9999'], field: 'i_nid[0]' },
  { args: ['set-inode', '/a', 'i_extra_isize', '2'], field: 'i_extra_isize' },
  { args: ['set-node', '5', 'ino', '9'], field: 'ino' },
  { args: ['set-dentry', '/', 'a', 'ino', '77'], field: 'ino' },
  { args: ['set-dentry', '/', 'd', 'hash_code', '0'], field: 'hash_code' },
  { args: ['zap-block', '5635'], field: 'block' },
  // Superblock copy 1 is read only when copy 0 is bad.
  { args: ['zap-block', '1', '--flip', '8200'], field: 'byte 1025', detect: false },
  { args: ['clri', '/a'], field: 'f2fs_inode' },
  { args: ['freei', '5'], field: 'block_addr' },
  { args: ['freeb', '5636'], field: 'valid_map[0]' },
];

/** fsck.f2fs --dry-run saw damage: a failure status, a [Fail] or [ASSERT] line, or a mismatch it would fix. */
const realSees = (out: string, status: number) => status !== 0 || /\[Fail\]|\[ASSERT\]|[Mm]ismatch/.test(out);

for (const [i, c] of CASES.entries()) {
  test(`inject: ${c.args.join(' ')} writes only its field (and checksum)${c.detect === false ? '' : '; both fscks see the fault'}`, () => {
    const { img, changes } = inject(`inject-${i}.img`, c.args);
    assert.ok(changes.some((x) => x.field === c.field), JSON.stringify(changes));
    if (c.detect === false) return;
    const both = fsckBoth(img);
    assert.ok(both.ours === null || !both.ours.ok, `our fsck found ${c.args.join(' ')} clean`);
    assert.ok(realSees(both.real.out, both.real.status), `fsck.f2fs found ${c.args.join(' ')} clean:\n${both.real.out}`);
  });
}

test('inject: the inode checksum follows the field, unless --keep-crc', () => {
  const fixed = inject('inject-crc1.img', ['set-inode', '/a', 'i_gid', '5']);
  assert.equal(fixed.changes.map((c) => c.field), ['i_gid', 'i_inode_checksum']);
  const kept = inject('inject-crc2.img', ['set-inode', '/a', 'i_gid', '5', '--keep-crc']);
  assert.equal(kept.changes.map((c) => c.field), ['i_gid']);
  // A changed gid is legal: only the stale checksum is a fault.
  assert.ok(fsckBoth(fixed.img).ours!.ok);
  const ours = fsckBoth(kept.img).ours!;
  assert.ok(ours.findings.some((f) => /checksum/i.test(f.message)), JSON.stringify(ours.findings));
});

test('inject: setb undoes freeb byte for byte; testb reads without writing', () => {
  const { img } = inject('inject-bits.img', ['freeb', '5636']);
  assert.is(run(['testb', img, '5636']).valid, false);
  run(['setb', img, '5636']);
  assert.equal(diff(seed, img), []);
  assert.is(run(['testb', img, '5636']).valid, true);
  // seti restores what freei cleared.
  const fi = inject('inject-nat.img', ['freei', '5']);
  const addr = Number(fi.changes[0].old);
  run(['seti', fi.img, '5', String(addr)]);
  assert.equal(diff(seed, fi.img), []);
});

test('inject: works where the image does not open; bad fields and values are usage errors', () => {
  const { img } = inject('inject-broken.img', ['set-cp', 'cp_pack_total_block_count', '0', '--pack', '1']);
  run(['set-cp', img, 'cp_pack_total_block_count', '0', '--pack', '2']);
  assert.is(cli(['ls', img, '/']).status, 3);
  // The superblock needs nothing else: magic back and forth on a volume that does not mount.
  run(['set-super', img, 'magic', '0']);
  run(['set-super', img, 'magic', '0xf2f52010']);
  const bad = cli(['set-inode', img, '<5>', 'no_such_field', '1']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /no field 'no_such_field'/);
  assert.is(cli(['set-super', img, 'magic', '0x100000000']).status, 2);
  const list = cli(['set-inode', '--list']);
  assert.is(list.status, 0);
  assert.match(list.stdout, /i_addr\s+u32\[923\]/);
  assert.match(list.stdout, /i_inode_checksum\s+u32/);
});

test.run();
