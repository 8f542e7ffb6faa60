// Reproducible images (issue 16): with SOURCE_DATE_EPOCH or --timestamp, the same script gives the same bytes, in
// separate processes a second apart, one-shot or in a session; without, times are real and images differ.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { sha256 } from './helpers/images.js';
import { checkpoint, mkfsMemory, openVolume, pinTime, writePath } from '../src/api.js';
import { scratchPath } from './helpers/scratch.js';

const SESSION = [
  'mkdir /d',
  'mkdir /d/e',
  'write /d/f --data hello',
  'write /d/big --from /etc/services',
  'checkpoint',
  'symlink /d/f /l',
  'ln /d/f /d/g',
  'mknod /p p',
  'xattr-set /d/f user.k v1',
  'truncate /d/big 5000',
  'mv /d/e /e2',
  'fsync /d/f',
  'atomic-begin /d/f',
  'write /d/f --data staged',
  'atomic-commit /d/f',
  'rm /d/g',
  'write /d/new --data x',
].join('\n');

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** mkfs + the session through `run` (or `shell -w` reading stdin), in fresh processes; returns the image's sha256. */
function build(name: string, env: Record<string, string>, how: 'run' | 'shell' = 'run'): string {
  const img = scratchPath(name);
  fs.rmSync(img, { force: true });
  cliOk(['mkfs', img, '--size', '64M'], { env });
  cliOk(how === 'run' ? ['run', img, '-q'] : ['shell', img, '-w', '-q'], { input: SESSION, env });
  return sha256(img);
}

test('SOURCE_DATE_EPOCH: a varied session run twice, a second apart, gives byte-identical images that both fscks accept', () => {
  const env = { SOURCE_DATE_EPOCH: '1600000000' };
  const a = build('repro-a.img', env);
  sleep(1100);
  const b = build('repro-b.img', env);
  assert.is(a, b);
  const both = fsckBoth(scratchPath('repro-a.img'));
  assert.equal(both.problems, []);
  // Every inode time is the fixed one.
  const st = JSON.parse(cli(['stat', scratchPath('repro-a.img'), '/d/new', '--json']).stdout);
  assert.is(st.mtime.sec, 1600000000);
  assert.is(st.ctime.nsec, 0);
});

test('SOURCE_DATE_EPOCH: the same session in the shell is reproducible too', () => {
  const env = { SOURCE_DATE_EPOCH: '1600000000' };
  const a = build('repro-sh-a.img', env, 'shell');
  sleep(1100);
  assert.is(build('repro-sh-b.img', env, 'shell'), a);
});

test('--timestamp on one-shot commands gives identical images across processes', () => {
  const once = (name: string) => {
    const img = scratchPath(name);
    fs.rmSync(img, { force: true });
    for (const args of [
      ['mkfs', img, '--size', '64M', '--seed', '1', '--timestamp', '1700000000'],
      ['mkdir', img, '/d', '--timestamp', '1700000000'],
      ['write', img, '/d/f', '--data', 'hello', '--timestamp', '1700000000'],
    ]) {
      const r = cli(args, { env: { SOURCE_DATE_EPOCH: '' } });
      assert.is(r.status, 0, r.stderr);
    }
    return sha256(img);
  };
  const a = once('ts-a.img');
  sleep(1100);
  assert.is(once('ts-b.img'), a);
});

test('without SOURCE_DATE_EPOCH times are real: the same session gives different images', () => {
  const env = { SOURCE_DATE_EPOCH: '' };
  const before = Math.floor(Date.now() / 1000);
  const a = build('real-a.img', env);
  sleep(1100);
  const b = build('real-b.img', env);
  assert.is.not(a, b);
  const st = JSON.parse(cli(['stat', scratchPath('real-b.img'), '/d/new', '--json']).stdout);
  assert.ok(st.mtime.sec >= before, `mtime ${st.mtime.sec} is the real time (>= ${before})`);
});

test('a pinned clock: checkpoint elapsed_time and SIT mtime do not move while a session runs across seconds', () => {
  const before = pinTime(1600000000);
  try {
    const { dev } = mkfsMemory(64 << 20, { seed: 3 });
    const vol = openVolume(dev, { write: true });
    const elapsed = vol.cp.head.elapsed_time;
    sleep(1100);
    writePath(vol, '/f', Buffer.from('x'));
    checkpoint(vol);
    assert.is(vol.cp.head.elapsed_time, elapsed);
    assert.is(vol.sm.mtimeNow(), elapsed);
    assert.is(vol.inode(vol.resolve('/f').ino).inode.i_mtime, 1600000000);
  } finally {
    pinTime(before);
  }
});

test('a bad SOURCE_DATE_EPOCH is a usage error, not a wrapped time', () => {
  const img = scratchPath('bad-sde.img');
  fs.rmSync(img, { force: true });
  const r = cli(['mkfs', img, '--size', '64M'], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /SOURCE_DATE_EPOCH/);
});

test.run();
