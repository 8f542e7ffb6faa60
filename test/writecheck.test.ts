// Mutating commands refuse an image damaged where writes rely on it (issue 11): CORRUPT, exit 3, the image byte for
// byte unchanged; --force writes anyway. Each damage is injected with our own commands into a clean image.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, type Ran } from './helpers/cli.js';
import { realFsck } from './helpers/fsck.js';
import { EXTRA_FEATURES, mkfsImage, sha256 } from './helpers/images.js';

function ok(args: string[]): Ran {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r;
}
const json = (args: string[]) => JSON.parse(ok([...args, '--json']).stdout);

let n = 0;
/** A clean image with /d/f (an inode of its own) and /g; returns it and /d/f's inode block. */
function clean(): { img: string; fBlock: number; rootBlock: number } {
  const img = mkfsImage(`writecheck-${n++}.img`, 64, EXTRA_FEATURES);
  ok(['mkdir', img, '/d']);
  ok(['write', img, '/d/f', '--data', 'f'.repeat(6000)]);
  ok(['write', img, '/g', '--data', 'g']);
  const nat = (p: string) => json(['stat', img, p]).ino as number;
  const blk = (ino: number) => json(['dump-nat', img, '--range', String(ino)]).entries[0].blkaddr as number;
  return { img, fBlock: blk(nat('/d/f')), rootBlock: blk(3) };
}

/** Each writer, on a copy: refused with CORRUPT (exit 3), the message says why and names --force, no byte changed. */
function refused(img: string, lines: string[][], because: RegExp): void {
  for (const line of lines) {
    const copy = `${img}.copy`;
    fs.copyFileSync(img, copy);
    const before = sha256(copy);
    const r = cli([line[0], copy, ...line.slice(1)]);
    assert.is(r.status, 3, `${line.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^f2fsdbg: CORRUPT: /, r.stderr);
    assert.match(r.stderr, because, r.stderr);
    assert.match(r.stderr, /--force writes anyway/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.is(sha256(copy), before, `${line.join(' ')}: the image is unchanged`);
    fs.rmSync(copy);
  }
}

/** With --force the writer goes ahead (on a copy): exit 0 and the image changed. */
function forced(img: string, line: string[]): void {
  const copy = `${img}.forced`;
  fs.copyFileSync(img, copy);
  const before = sha256(copy);
  ok([line[0], copy, ...line.slice(1), '--force']);
  assert.is.not(sha256(copy), before, `${line.join(' ')} --force wrote`);
  fs.rmSync(copy);
}

const WRITERS = [
  ['write', '/d/f', '--data', 'new'],
  ['mkdir', '/newdir'],
  ['rm', '/d/f'],
];

/** Moves a block's SIT bit to a free slot 100 blocks on: the counts still agree, the block is no longer valid. */
function moveSitBit(img: string, blkaddr: number): void {
  ok(['freeb', img, String(blkaddr)]);
  ok(['setb', img, String(blkaddr + 100)]);
}

test('writecheck: the clean image is written without --force (no false refusal), and stays fsck.f2fs-clean', () => {
  const { img } = clean();
  for (const line of WRITERS) ok([line[0], img, ...line.slice(1)]);
  assert.is(realFsck(img).status, 0, realFsck(img).out);
});

/** A CP count off by one against the SIT: every writer refuses, and goes ahead with --force. */
for (const [field, because] of [
  ['free_segment_count', /CP free_segment_count is \d+, the SIT has \d+ free segments/],
  ['valid_node_count', /CP valid_node_count is \d+, node segments hold \d+ valid blocks/],
] as const) {
  test(`writecheck: CP ${field} one more than the SIT says: write, mkdir and rm refuse; --force writes`, () => {
    const { img } = clean();
    const value = json(['dump-cp', img]).head[field] as number;
    ok(['set-cp', img, field, String(value + 1)]);
    refused(img, WRITERS, because);
    for (const line of WRITERS) forced(img, line);
  });
}

test("writecheck: the root's node block not valid in the SIT: every writer refuses at open; --force writes what does not touch the root", () => {
  const { img, rootBlock } = clean();
  moveSitBit(img, rootBlock);
  refused(img, WRITERS, new RegExp(`NAT entry of node 3 points at block ${rootBlock}: block is not valid in the SIT`));
  forced(img, WRITERS[0]);
});

test("writecheck: a file's inode block not valid in the SIT: writing or removing that file refuses when it touches it; others write", () => {
  const { img, fBlock } = clean();
  moveSitBit(img, fBlock);
  refused(img, [WRITERS[0], WRITERS[2]], new RegExp(`not writing over damage: NAT entry of node \\d+ points at block ${fBlock}: block is not valid in the SIT`));
  // --force cannot help here: freeing the block is the library's own invariant, checked before anything is written.
  const copy = `${img}.forced`;
  fs.copyFileSync(img, copy);
  const before = sha256(copy);
  const r = cli(['write', copy, '/d/f', '--data', 'new', '--force']);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`CORRUPT: freeing block ${fBlock}, which is not valid in the SIT`));
  assert.is(sha256(copy), before);
  // What the damage does not reach is written.
  ok(['mkdir', img, '/newdir']);
  ok(['write', img, '/g', '--data', 'other']);
});

test.run();
