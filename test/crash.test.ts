// Crash exploration on recorded sessions: every cut recovers to a clean image with atomic commits all-or-nothing and fsyncs kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemDevice } from '../src/device/index.js';
import { explore, type Step } from '../src/crash/explore.js';
import { atomicBegin, atomicCommit, writeStaged, truncateStaged } from '../src/fs/atomic.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { fsyncFile } from '../src/fs/file.js';
import { mkfs } from '../src/fs/mkfs.js';
import { mkdir, move, truncatePath, writePath } from '../src/fs/ops.js';
import type { Volume } from '../src/fs/volume.js';

function freshImage(features: string[] = [], mb = 128): MemDevice {
  const dev = new MemDevice((mb << 20) / 4096);
  mkfs(dev, { features, seed: 1, timestamp: 1700000000 });
  dev.flush();
  return dev;
}

const ino = (v: Volume, p: string) => v.resolve(p, { follow: true }).ino;
const fill = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const step = (line: string, run: (v: Volume) => unknown, durability?: Step['durability']): Step => ({ line, durability, run: (v) => void run(v) });
const fsync = (p: string) => step(`fsync ${p}`, (v) => fsyncFile(v, ino(v, p)), { kind: 'fsync', path: p });
const checkpoint = () => step('checkpoint', (v) => writeCheckpoint(v, { umount: true }), { kind: 'checkpoint' });
const commit = (p: string) => step(`atomic-commit ${p}`, (v) => atomicCommit(v, ino(v, p)), { kind: 'commit', path: p });

async function run(name: string, steps: Step[], opts = { maxCuts: 60, dropWrites: 3 }, features: string[] = [], mb = 128) {
  const r = await explore(freshImage(features, mb), steps, opts);
  const bad = r.cuts.filter((c) => !c.ok);
  assert.ok(r.cuts.length > 10, `${name}: only ${r.cuts.length} cuts examined`);
  assert.equal(bad.slice(0, 3), [], `${name}: ${bad.length} violating cuts`);
  return r;
}

for (const blocks of [1, 10, 1000, 10000]) {
  test(`atomic commit of ${blocks} block(s) is all or nothing at every cut`, async () => {
    await run(`commit ${blocks}`, [
      step('write /db', (v) => writePath(v, '/db', fill(blocks * 4096 + 100, 1))),
      checkpoint(),
      step('atomic-begin /db', (v) => atomicBegin(v, ino(v, '/db'))),
      step('staged write', (v) => writeStaged(v, ino(v, '/db'), 0, fill(blocks * 4096, 7))),
      step('staged append', (v) => writeStaged(v, ino(v, '/db'), blocks * 4096 + 50, fill(9000, 9))),
      commit('/db'),
    ], { maxCuts: blocks >= 1000 ? 40 : 80, dropWrites: 3 }, [], blocks >= 10000 ? 512 : 128);
  });
}

test('atomic commit after a checkpoint inside the session, then a staged truncate', async () => {
  await run('commit across checkpoint', [
    step('write /db', (v) => writePath(v, '/db', fill(300000, 2))),
    checkpoint(),
    step('atomic-begin /db', (v) => atomicBegin(v, ino(v, '/db'))),
    step('staged write', (v) => writeStaged(v, ino(v, '/db'), 4096, fill(40000, 3))),
    checkpoint(),
    step('staged truncate', (v) => truncateStaged(v, ino(v, '/db'), 20000)),
    commit('/db'),
  ], { maxCuts: 80, dropWrites: 3 }, ['extra_attr', 'inode_checksum', 'flexible_inline_xattr', 'inode_crtime']);
});

test('overwrites, appends and truncates with fsync', async () => {
  await run('fsync mix', [
    step('write /f', (v) => writePath(v, '/f', fill(50000, 1))),
    checkpoint(),
    step('overwrite /f', (v) => writePath(v, '/f', fill(5000, 4), { offset: 10000 })),
    fsync('/f'),
    step('append /f', (v) => writePath(v, '/f', fill(3 << 20, 5), { append: true })),
    fsync('/f'),
    step('truncate /f', (v) => truncatePath(v, '/f', 7777)),
    fsync('/f'),
    step('small /s', (v) => writePath(v, '/s', Buffer.from('inline'))),
    fsync('/s'),
  ]);
});

test('new files in new directories, renames then fsync (checkpoint fallbacks)', async () => {
  await run('namespace', [
    checkpoint(),
    step('mkdir /new; write /new/f', (v) => {
      mkdir(v, '/new');
      writePath(v, '/new/f', fill(10000, 6));
    }),
    fsync('/new/f'),
    step('write /g', (v) => writePath(v, '/g', fill(9000, 8))),
    fsync('/g'),
    step('mv /g /new/h', (v) => move(v, '/g', '/new/h')),
    fsync('/new/h'),
  ]);
});

test('the checker catches a broken promise (a step that claims fsync but never syncs)', async () => {
  const r = await explore(freshImage(), [checkpoint(), step('write /lost', (v) => writePath(v, '/lost', fill(5000, 1))), step('fake fsync', () => undefined, { kind: 'fsync', path: '/lost' })], { maxCuts: 20, dropWrites: 0 });
  const last = r.cuts.filter((c) => c.cut === r.ops);
  assert.ok(last.length > 0 && last.every((c) => !c.ok), 'the final cut must report the lost fsync');
  assert.match(last[0].violations.join('\n'), /\/lost/);
});

test.run();
