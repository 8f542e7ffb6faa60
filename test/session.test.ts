// Batch sessions (`run`, `shell` with piped stdin), session semantics, crash-explore, --trace-io and image locking,
// all through bin/run.js as a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkfsImage, sha256, tmpPath } from './helpers/images.js';
import { RUN, cli as run, type Ran } from './helpers/cli.js';
import { lineStream } from '../src/commands/run.js';

const cli = (args: string[], input?: string): Ran => run(args, { input });

function script(name: string, lines: string[]): string {
  const p = tmpPath(name);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

test('run -f: echoes lines, skips comments and blanks, keeps state between lines without a checkpoint', () => {
  const img = mkfsImage('run1.img');
  const s = script('s1.txt', ['# setup', '', 'mkdir /d', 'write /d/a --data "hello world"  # trailing comment', 'cat /d/a', "write '/d/b c' --data x"]);
  const r = cli(['run', img, '-f', s]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(
    r.stderr.trim().split('\n'),
    ['f2fsdbg: mkdir /d', 'f2fsdbg: write /d/a --data "hello world"  # trailing comment', 'f2fsdbg: cat /d/a', "f2fsdbg: write '/d/b c' --data x"],
  );
  assert.match(r.stdout, /^hello world$/m);
  // The end of the script checkpointed: a new process sees everything.
  assert.is(cli(['cat', img, '/d/b c']).stdout, 'x');
  assert.is(cli(['run', img, '-q'], 'cat /d/a\n').stdout.trim(), 'hello world');
});

test('script lines that all arrive (with the end) while the image is still opening are all run', async () => {
  // The race behind an intermittent exit 13 of `run` on a pipe: readline reads from its creation on, and its async
  // iterator, taken only at the first line wanted, lost what came before, the end included.
  const input = new PassThrough();
  const lines = lineStream(input);
  input.end('mkdir /a\nls /\n');
  await new Promise((r) => setTimeout(r, 20));
  const got: string[] = [];
  for await (const l of lines) got.push(l);
  assert.equal(got, ['mkdir /a', 'ls /']);
});

test('run on an image it cannot open ends at once, without waiting for the end of a pipe that stays open', async () => {
  const r = spawn(process.execPath, [RUN, 'run', tmpPath('no-such.img')], { stdio: ['pipe', 'pipe', 'pipe'] });
  r.stdin.write('ls /\n'); // and never ended
  const status = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => resolve('still running after 20 s'), 20_000);
    r.on('close', (c) => (clearTimeout(timer), resolve(c ?? -1)));
  });
  r.kill();
  assert.is(status, 1);
});

test('run from stdin, shell with piped stdin: same session', () => {
  const img = mkfsImage('run2.img');
  const r = cli(['run', img, '--quiet'], 'write /x --data one\ncat /x\n');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /^one$/m);
  const sh = cli(['shell', img, '-w'], 'write /y --data two\ncat /y\nls /\n');
  assert.is(sh.status, 0, sh.stderr);
  assert.match(sh.stderr, /^f2fsdbg: cat \/y$/m);
  assert.match(sh.stdout, /^two$/m);
  assert.match(sh.stdout, /regular\s+x$/m);
  // shell without -w is read-only
  const ro = cli(['shell', img], 'write /z --data no\n');
  assert.is(ro.status, 1);
  assert.match(ro.stderr, /EROFS/);
});

test('run stops at the first failing line with its status; --keep-going runs on, keeps the first status', () => {
  const img = mkfsImage('run3.img');
  const s = script('s3.txt', ['write /a --data 1', 'cat /missing', 'write /b --data 2', 'ls --bogus', 'write /c --data 3']);
  const r = cli(['run', img, '-f', s]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
  assert.not.match(r.stderr, /write \/b/);
  assert.is(cli(['cat', img, '/a']).stdout, '1', 'the lines before the failure were checkpointed at the end');
  assert.is(cli(['cat', img, '/b']).status, 1);

  const k = cli(['run', img, '-f', s, '--keep-going']);
  assert.is(k.status, 1, 'status of the first failure (ENOENT), not of the later usage error (2)');
  assert.match(k.stderr, /f2fsdbg: USAGE/);
  assert.is(cli(['cat', img, '/c']).stdout, '3');

  const u = cli(['run', img, '-q'], 'frobnicate\nwrite /d --data 4\n');
  assert.is(u.status, 2);
  assert.match(u.stderr, /unknown command 'frobnicate'/);
});

test('crash drops unwritten work; recover replays an fsynced file; --no-checkpoint drops the rest', () => {
  const img = mkfsImage('run4.img');
  const s = script('s4.txt', [
    'write /kept --data durable',
    'checkpoint',
    'write /lost --data gone',
    'write /synced --data synced',
    'fsync /synced',
    'crash',
    'ls /',
    'recover',
    'cat /synced',
  ]);
  const r = cli(['run', img, '-q', '-f', s]);
  assert.is(r.status, 0, r.stderr);
  const afterCrash = r.stdout.slice(r.stdout.indexOf('power cut'), r.stdout.indexOf('orphans:'));
  assert.match(afterCrash, /regular\s+kept/);
  assert.not.match(afterCrash, /lost|synced/);
  assert.match(r.stdout, /^synced$/m);
  assert.is(cli(['cat', img, '/synced']).stdout, 'synced');
  assert.is(cli(['cat', img, '/lost']).status, 1);

  const n = cli(['run', img, '-q', '--no-checkpoint'], 'write /never --data x\n');
  assert.is(n.status, 0, n.stderr);
  assert.is(cli(['cat', img, '/never']).status, 1);
});

test('cd and pwd: relative paths resolve against the current directory', () => {
  const img = mkfsImage('run5.img');
  const r = cli(['run', img, '-q'], 'mkdir /a\nmkdir /a/b\ncd a/b\npwd\nwrite f --data rel\ncd ..\npwd\ncat b/f\nmv b/f g\ncd /\nls a\ncd a/g\n');
  assert.is(r.status, 1, 'cd into a file fails');
  assert.match(r.stdout, /^\/a\/b$/m);
  assert.match(r.stdout, /^\/a$/m);
  assert.match(r.stdout, /^rel$/m);
  assert.match(r.stdout, /regular\s+g$/m);
  assert.match(r.stderr, /ENOTDIR/);
  assert.is(cli(['cat', img, '/a/g']).stdout, 'rel');
});

test('10,000 write lines in one run', () => {
  const img = mkfsImage('run6.img', 256);
  const lines = Array.from({ length: 10000 }, (_, i) => `write /f${i} --data x${i}`);
  lines.push('cat /f9999');
  const s = script('s6.txt', lines);
  const t0 = performance.now();
  const r = cli(['run', img, '-q', '-f', s]);
  const ms = performance.now() - t0;
  console.log(`    10,000 write lines: ${(ms / 1000).toFixed(1)} s`);
  assert.is(r.status, 0, r.stderr.slice(0, 2000));
  assert.match(r.stdout, /^x9999$/m);
  assert.is(cli(['cat', img, '/f4321']).stdout, 'x4321');
  assert.is(cli(['ls', img, '/']).stdout.trim().split('\n').length, 10002);
});

test('crash-explore on a short session: 0 violations, the image file untouched', () => {
  const img = mkfsImage('run7.img');
  const s = script('s7.txt', [
    'mkdir /d',
    'cd /d',
    'write a --data first',
    'checkpoint',
    'write a --data second-version --truncate',
    'fsync a',
    'atomic-begin a',
    'write a --data atomically-new --truncate',
    'atomic-commit a',
  ]);
  const before = sha256(img);
  const r = cli(['crash-explore', img, '-f', s, '--max-cuts', '30', '--json']);
  assert.is(r.status, 0, r.stderr + r.stdout.slice(0, 2000));
  const j = JSON.parse(r.stdout);
  assert.is(j.violations, 0);
  assert.ok(j.cuts.length > 10);
  assert.ok(j.cuts.some((c: { recovered: number }) => c.recovered > 0), 'some cut needed roll-forward');
  assert.is(sha256(img), before);
  const bad = cli(['crash-explore', img, '-f', script('s7b.txt', ['crash'])]);
  assert.is(bad.status, 2);
});

test('--trace-io: FSYNC flush after atomic-commit, checkpoint flushes after a one-shot write; fsync defaults to --sync none', () => {
  const img = mkfsImage('run8.img');
  const r = cli(['run', img, '-q'], 'write /a --data v1\ncheckpoint\natomic-begin /a\nwrite /a --data v2 --truncate\natomic-commit /a --trace-io\n');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /^trace: .*Nf \| FLUSH\(fua\)$/m);
  const w = cli(['write', img, '/b', '--data', 'x', '--trace-io', '--json']);
  assert.is(w.status, 0, w.stderr);
  assert.match(JSON.parse(w.stdout).trace, /FLUSH\(cp-barrier\).*FLUSH\(cp-commit\)/);
  const f = cli(['fsync', img, '/a', '--json']);
  assert.is(f.status, 0, f.stderr);
  assert.is(JSON.parse(f.stdout).sync.mode, 'none');
  const s = cli(['run', img, '-q'], 'write /c --data y --sync fsync --json\n');
  assert.is(JSON.parse(s.stdout).sync.mode, 'fsync');
});

test('locking: a second writer is refused while a session holds the image; stale locks are ignored; --wait queues', async () => {
  const img = mkfsImage('run9.img');
  const holder = spawn(process.execPath, [RUN, 'run', img], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  holder.stderr.on('data', (c) => (err += c));
  holder.stdin.write('write /held --data 1\n');
  for (let i = 0; i < 100 && !err.includes('write /held'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(`${img}.lock`));
  const second = cli(['write', img, '/other', '--data', '2']);
  assert.is(second.status, 1);
  assert.match(second.stderr, new RegExp(`image is in use by pid ${holder.pid}`));
  const reader = cli(['ls', img, '/']);
  assert.is(reader.status, 0, 'a reader reads the last durable checkpoint beside the writer');
  assert.match(reader.stderr, new RegExp(`pid ${holder.pid} is writing this image: shown as of its last durable checkpoint`));
  assert.not.match(reader.stdout, /held/, "the writer's changes after that checkpoint are not shown");
  // --wait: queues until the session ends.
  const waiting = spawn(process.execPath, [RUN, 'write', img, '/queued', '--data', '3', '--wait'], { stdio: 'pipe' });
  const done = new Promise<number>((resolve) => waiting.on('close', (c) => resolve(c ?? -1)));
  await new Promise((r) => setTimeout(r, 300));
  holder.stdin.end();
  await new Promise((r) => holder.on('close', r));
  assert.is(await done, 0);
  assert.is(cli(['cat', img, '/queued']).stdout, '3');
  assert.is(cli(['cat', img, '/held']).stdout, '1');
  assert.not.ok(fs.existsSync(`${img}.lock`), 'released at exit');
  // A lock left by a dead process does not block.
  fs.writeFileSync(`${img}.lock`, '999999 exclusive\n');
  assert.is(cli(['write', img, '/after', '--data', '4']).status, 0);
});

test('a read-only session beside a live writer: each command reads the newest durable checkpoint, and says so at open', async () => {
  const img = mkfsImage('beside-session.img');
  const lines = (child: ReturnType<typeof spawn>) => {
    const got = { out: '', err: '' };
    child.stdout!.on('data', (c) => (got.out += c));
    child.stderr!.on('data', (c) => (got.err += c));
    return got;
  };
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(cond(), what);
  };
  const writer = spawn(process.execPath, [RUN, 'run', img], { stdio: ['pipe', 'pipe', 'pipe'] });
  const w = lines(writer);
  writer.stdin.write('write /held --data 1\n');
  await until(() => w.out.includes('created /held'), 'the writer wrote');
  const reader = spawn(process.execPath, [RUN, 'run', img, '--read-only'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const r = lines(reader);
  const pwds = () => r.out.split('\n').filter((l) => l === '/').length; // pwd marks the end of each round
  reader.stdin.write('ls /\npwd\n');
  await until(() => pwds() === 1, 'the reader ran its first line');
  assert.match(r.err, new RegExp(`pid ${writer.pid} is writing this image: each command reads its last durable checkpoint`));
  assert.not.match(r.out, /held/, 'not yet durable');
  writer.stdin.write('checkpoint\n');
  await until(() => w.out.includes('written to pack'), 'the writer checkpointed');
  reader.stdin.write('ls /\npwd\n');
  await until(() => pwds() === 2, 'the reader ran its second round');
  assert.match(r.out, /held/, 'the second command reads the newer checkpoint');
  reader.stdin.end();
  writer.stdin.end();
  await Promise.all([new Promise((x) => reader.on('close', x)), new Promise((x) => writer.on('close', x))]);
  assert.is(reader.exitCode, 0, r.err);
  assert.is(writer.exitCode, 0, w.err);
});

test('a path left out means the cwd: ls with no PATH lists the working directory (run and shell)', () => {
  const img = mkfsImage('cwd-default.img');
  const r = cli(['run', img, '-q'], 'mkdir /linux\nmkdir /linux/usb\nwrite /linux/usb/hub --data x\ncd /linux/usb\nls\nls -l\nls --json\n');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /regular\s+hub$/m);
  assert.not.match(r.stdout, /directory\s+linux$/m, 'not the root');
  assert.match(r.stdout, /"path": "\/linux\/usb"/);
  const sh = cli(['shell', img], 'cd /linux\nls\n');
  assert.match(sh.stdout, /directory\s+usb$/m);
});

test('run -q: a failing line is reported as SCRIPT:LINE: error', () => {
  const img = mkfsImage('where.img');
  const s = script('where.txt', ['# first', 'write /a --data 1', '', 'cat /missing']);
  const r = cli(['run', img, '-q', '-f', s]);
  assert.is(r.status, 1);
  assert.match(r.stderr, new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: f2fsdbg: ENOENT: `, 'm'));
  const stdin = cli(['run', img, '-q'], 'cat /a\nbogus\n');
  assert.match(stdin.stderr, /^stdin:2: f2fsdbg: USAGE: unknown command 'bogus'/m);
});

test.run();
