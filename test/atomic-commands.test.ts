// Atomic writes, fsync and recovery through the CLI: each command in its own process, state kept on the image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpPath } from './helpers/images.js';
import { fsckBoth } from './helpers/fsck.js';

const cli = (...args: string[]) => spawnSync('node', ['bin/run.js', ...args], { encoding: 'utf8', env: { ...process.env, F2FSDBG_NO_LOCK: '1' } });
const ok = (...args: string[]) => {
  const r = cli(...args);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

function image(name: string): string {
  const img = tmpPath(name);
  fs.rmSync(img, { force: true });
  ok('mkfs', img, '--size', '64M', '--seed', '3');
  ok('write', img, '/app.db', '--data', 'committed v1');
  ok('mkdir', img, '/dir');
  return img;
}

test('a session across processes: staged writes invisible to cat, visible to cat --staged, committed all at once', () => {
  const img = image('atomic-flow.img');
  ok('atomic-begin', img, '/app.db');
  assert.match(ok('atomic-status', img, '--json'), /"stagedSize": ?12/);
  ok('write', img, '/app.db', '--data', 'staged version TWO');
  ok('truncate', img, '/app.db', '15');
  assert.is(ok('cat', img, '/app.db'), 'committed v1');
  assert.is(ok('cat', img, '/app.db', '--staged'), 'staged version ');
  assert.match(ok('orphans', img), /app|1|-/);
  const trace = cli('atomic-commit', img, '/app.db', '--sync', 'none', '--trace-io');
  assert.is(trace.status, 0, trace.stderr);
  assert.match(trace.stderr, /FLUSH\(preflush\) \| Nf \| FLUSH\(fua\)/, 'only the last dnode carries FSYNC, behind a preflush');
  assert.match(ok('log', img), /FSYNC/);
  assert.is(ok('cat', img, '/app.db'), 'committed v1', 'power cut before recovery: the commit lives only in the node chain');
  assert.match(ok('recover', img, '--dry-run'), /dry run/);
  ok('recover', img);
  assert.is(ok('cat', img, '/app.db'), 'staged version ');
  assert.match(ok('atomic-status', img), /no atomic write in progress/);
  assert.equal(fsckBoth(img).problems, []);
});

test('abort, and a crash before commit, leave the file exactly as before atomic-begin', () => {
  const img = image('atomic-abort.img');
  ok('atomic-begin', img, '/app.db');
  ok('write', img, '/app.db', '--data', 'never');
  ok('atomic-abort', img, '/app.db');
  assert.is(ok('cat', img, '/app.db'), 'committed v1');
  ok('atomic-begin', img, '/app.db', '--replace');
  ok('write', img, '/app.db', '--data', 'lost at the crash');
  ok('recover', img); // what a Linux mount would do: the orphan staging inode is deleted
  assert.is(ok('cat', img, '/app.db'), 'committed v1');
  assert.match(ok('orphans', img), /no orphan inodes/);
  assert.equal(fsckBoth(img).problems, []);
});

test('errors as Linux gives them, with the image unchanged', () => {
  const img = image('atomic-errors.img');
  const before = fs.readFileSync(img);
  const cases: [string[], RegExp][] = [
    [['atomic-begin', img, '/dir'], /EISDIR/],
    [['atomic-commit', img, '/app.db'], /EINVAL: .*no atomic write/],
    [['atomic-abort', img, '/app.db'], /EINVAL: .*no atomic write/],
    [['cat', img, '/app.db', '--staged'], /EINVAL: .*no atomic write/],
    [['atomic-begin', img, '/missing'], /ENOENT/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(fs.readFileSync(img).equals(before), 'image unchanged by the failing commands');
  ok('atomic-begin', img, '/app.db');
  const again = cli('atomic-begin', img, '/app.db');
  assert.is.not(again.status, 0);
  assert.match(again.stderr, /EBUSY: .*already has an atomic write/);
});

test('fsync with --sync none survives only through recovery; a new file in a new directory falls back to a checkpoint', () => {
  const img = image('fsync.img');
  ok('write', img, '/dir/f', '--data', 'fsynced data', '--sync', 'none');
  assert.is(cli('cat', img, '/dir/f').status, 1, 'not durable yet');
  ok('write', img, '/dir/f', '--data', 'fsynced data', '--sync', 'fsync');
  assert.is(cli('cat', img, '/dir/f').status, 1, 'an fsync alone is not visible without recovery');
  assert.match(ok('recover', img, '--dry-run'), /yes/);
  ok('recover', img);
  assert.is(ok('cat', img, '/dir/f'), 'fsynced data');
  ok('mkdir', img, '/new', '--sync', 'none');
  const r = JSON.parse(ok('write', img, '/x', '--data', 'y', '--json'));
  assert.is(r.sync.mode, 'checkpoint');
  assert.equal(fsckBoth(img).problems, []);
});

test.run();
