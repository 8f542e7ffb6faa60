// history / lsdel / undel (issue 16): old copies in the log, deleted files restored byte-exact while their blocks
// are not reused, and an honest refusal (or zeros with --partial) once they are.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { scratchPath } from './helpers/scratch.js';
import { indexNodes, lsdel } from '../src/debugfs/history.js';
import { Volume } from '../src/fs/volume.js';

const ok = (args: string[], input?: string) => cliOk(args, { input });

function hostFile(name: string, bytes: number): { path: string; data: Buffer } {
  const p = scratchPath(name);
  const data = randomBytes(bytes);
  fs.writeFileSync(p, data);
  return { path: p, data };
}

function fresh(name: string): string {
  const img = scratchPath(name);
  fs.rmSync(img, { force: true });
  ok(['mkfs', img, '--size', '64M']);
  return img;
}

const json = (args: string[]) => JSON.parse(ok([...args, '--json']));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

test('deleted files (inline, in-inode blocks, direct nodes, symlink) come back byte-exact, to the host and into the image', () => {
  const img = fresh('hist-del.img');
  const mid = hostFile('mid.bin', 300000);
  const big = hostFile('big.bin', 6000000); // > 923 blocks: direct nodes too
  ok(['write', img, '/small', '--data', 'tiny inline']);
  ok(['write', img, '/mid', '--from', mid.path]);
  ok(['write', img, '/big', '--from', big.path]);
  ok(['symlink', img, '/mid', '/s']);
  ok(['write', img, '/keep', '--data', 'live']);
  const inos = Object.fromEntries(['small', 'mid', 'big', 's'].map((n) => [n, json(['stat', img, `/${n}`]).ino]));
  for (const n of ['small', 'mid', 'big', 's']) ok(['rm', img, `/${n}`]);

  const listed = json(['lsdel', img]).deleted as { ino: number; name: string; size: number; content: { reused: number } }[];
  assert.equal(listed.map((d) => d.name).sort(), ['big', 'mid', 's', 'small']);
  assert.ok(listed.every((d) => d.content.reused === 0));

  const out = scratchPath('big.back');
  const r = json(['undel', img, String(inos.big), '--to', out]);
  assert.is(r.content.intact, Math.ceil(big.data.length / 4096));
  assert.ok(fs.readFileSync(out).equals(big.data), 'big restored byte-exact');
  ok(['undel', img, String(inos.mid), '--to', out]);
  assert.ok(fs.readFileSync(out).equals(mid.data));

  ok(['undel', img, String(inos.small), '/small.back']);
  ok(['undel', img, `<${inos.mid}>`, '/mid.back']);
  ok(['undel', img, String(inos.s), '/s.back']);
  assert.is(ok(['cat', img, '/small.back']), 'tiny inline');
  assert.is(json(['cat', img, '/mid.back']).md5, md5(mid.data));
  assert.is(ok(['readlink', img, '/s.back']).trim(), '/mid');
  assert.equal(fsckBoth(img).problems, []);
});

test('history lists the copies of an overwritten file; undel --node restores the old version written over with --fs-mode lfs', () => {
  const img = fresh('hist-over.img');
  const v1 = hostFile('v1.bin', 20000);
  ok(['write', img, '/f', '--from', v1.path]);
  ok(['write', img, '/f', '--data', 'OVERWRITTEN', '--fs-mode', 'lfs']);
  const h = json(['history', img, '/f']);
  assert.is(h.inodes.length, 2);
  const [old, live] = h.inodes;
  assert.ok(live.current && !old.current);
  assert.ok(old.cpVer < live.cpVer);
  assert.equal([old.content.intact, old.content.shared, old.content.reused], [1, 4, 0]);
  const out = scratchPath('v1.back');
  ok(['undel', img, String(h.ino), '--node', String(old.blkaddr), '--to', out]);
  assert.ok(fs.readFileSync(out).equals(v1.data), 'the first version, byte-exact');
  // A live inode has no deleted copy: undel says which to pick.
  const r = cli(['undel', img, String(h.ino), '--to', out]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--node/);
});

test('an overwrite in place (the default on a small volume, as in Linux) leaves the old copy without its first block', () => {
  const img = fresh('hist-ipu.img');
  const v1 = hostFile('v1-ipu.bin', 20000);
  ok(['write', img, '/f', '--from', v1.path]);
  ok(['write', img, '/f', '--data', 'OVERWRITTEN']);
  const [old] = json(['history', img, '/f']).inodes;
  assert.equal([old.content.intact, old.content.shared, old.content.reused], [0, 5, 0], 'block 0 is the live file\'s, rewritten in place');
});

test('once the log reuses the blocks: lsdel says so, undel refuses, --partial gives zeros for them only', () => {
  const img = fresh('hist-reuse.img');
  const victim = hostFile('victim.bin', 400000);
  const filler = hostFile('filler.bin', 2000000);
  ok(['write', img, '/victim', '--from', victim.path]);
  const ino = json(['stat', img, '/victim']).ino;
  ok(['rm', img, '/victim']);
  // Write and delete until the log wraps around over the victim's segment.
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) lines.push(`write /x${i} --from ${filler.path}`, 'checkpoint', `rm /x${i}`, 'checkpoint');
  ok(['run', img, '-q'], lines.join('\n'));
  const vol = Volume.open(img, { readOnly: true });
  let partly: { ino: number; intact: number; reused: number } | undefined;
  try {
    const del = lsdel(vol, indexNodes(vol));
    const v = del.find((d) => d.ino === ino)!;
    assert.ok(v, 'the victim is still listed');
    assert.is(v.content.reused, v.content.blocks, 'every victim block was written over');
    const p = del.find((d) => d.content.reused > 0 && d.content.intact > 0);
    if (p) partly = { ino: p.ino, intact: p.content.intact, reused: p.content.reused };
  } finally {
    vol.close();
  }
  const out = scratchPath('victim.back');
  const r = cli(['undel', img, String(ino), '--to', out]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /written again since/);
  ok(['undel', img, String(ino), '--to', out, '--partial']);
  assert.ok(fs.readFileSync(out).equals(Buffer.alloc(victim.data.length)), 'all zeros: nothing pretended');
  // A copy the wrap only partly overwrote: its intact blocks come back exact, the others as zeros.
  assert.ok(partly, 'some filler copy is partly overwritten');
  ok(['undel', img, String(partly!.ino), '--to', out, '--partial']);
  const got = fs.readFileSync(out);
  let same = 0;
  for (let b = 0; b < got.length; b += 4096) if (got.subarray(b, b + 4096).equals(filler.data.subarray(b, b + 4096))) same++;
  assert.is(same, partly!.intact);
});

test('a read-only volume is indexed once (lsdel, history, undel in one session); a writable one each time', () => {
  const img = fresh('hist-once.img');
  ok(['write', img, '/gone', '--data', 'old content']);
  ok(['rm', img, '/gone']);
  const scans = (readOnly: boolean) => {
    const vol = Volume.open(img, { readOnly });
    try {
      const reads: number[] = [];
      const indexes = [0, 1].map(() => {
        const before = vol.dev.stats.blocksRead;
        const index = indexNodes(vol);
        reads.push(vol.dev.stats.blocksRead - before);
        return index;
      });
      return { reads, same: indexes[0] === indexes[1], deleted: lsdel(vol, indexes[1]).map((d) => d.name) };
    } finally {
      vol.close();
    }
  };
  const ro = scans(true);
  assert.ok(ro.reads[0] >= 16 * 512, `the first scan reads the main area (${ro.reads[0]} blocks)`);
  assert.is(ro.reads[1], 0);
  assert.ok(ro.same);
  assert.equal(ro.deleted, ['gone']);
  const rw = scans(false);
  assert.is(rw.reads[1], rw.reads[0]);
  assert.not.ok(rw.same);
  assert.equal(rw.deleted, ['gone']);
  assert.equal(fsckBoth(img).problems, []);
});

test.run();
