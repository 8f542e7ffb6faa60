// Progress lines of rdump, recover and crash-explore (on a terminal only), `run --json` (one record per line) and
// the one-shot fsync's output, all through bin/run.js as a child process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RUN, cli, type Ran } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, sha256, tmpPath } from './helpers/images.js';

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const sh = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI under util-linux `script`: stdout and stderr are one pseudo-terminal, whose bytes come back. */
function inPty(args: string[]): { status: number; out: string } {
  const r = spawnSync('script', ['-qec', [process.execPath, RUN, ...args].map(sh).join(' '), '/dev/null'], { encoding: 'utf8', input: '', timeout: 120_000 });
  return { status: r.status ?? -1, out: r.stdout };
}

function script(name: string, lines: string[]): string {
  const p = tmpPath(name);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

function ok(r: Ran, what: string): Ran {
  assert.is(r.status, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r;
}

function clean(img: string): void {
  assert.equal(fsckBoth(img).problems, []);
}

/** An image with a small tree: /t/sub/f1..f20 (text), /t/big (3 MiB, several rdump chunks), /t/link. */
function treeImage(name: string): string {
  const img = mkfsImage(name);
  const lines = ['mkdir /t/sub -p', 'symlink /t/big /t/link'];
  for (let i = 1; i <= 20; i++) lines.push(`write /t/sub/f${i} --data ${i}`);
  ok(cli(['run', img, '-q', '-f', script(`${name}.txt`, lines)]), 'tree');
  const big = tmpPath(`${name}.big`);
  fs.writeFileSync(big, Buffer.alloc(3 << 20, 7));
  ok(cli(['write', img, '/t/big', '--from', big]), 'big file');
  return img;
}

/** A file fsynced, then a power cut: `recover` has one inode to roll forward. */
function needsRecovery(name: string): string {
  const img = mkfsImage(name);
  ok(cli(['run', img, '-q', '--no-checkpoint'], { input: 'write /s --data synced\nfsync /s\n' }), 'fsync then cut');
  return img;
}

/* ---- run --json ---- */

test('run --json: one record per line executed (results, errors, session commands), totals; nothing on stderr', () => {
  const img = mkfsImage('runjson.img');
  const s = script('runjson.txt', ['# setup', 'mkdir /d', 'write /d/a --data hi', '', 'cd /d', 'pwd', 'cat a', 'cat /missing', 'frobnicate', 'checkpoint', 'fsck']);
  const r = cli(['run', img, '-f', s, '--json', '--keep-going']);
  assert.is(r.status, 1, 'the first failure (ENOENT) sets the status');
  assert.is(r.stderr, '', 'no echo, no error lines: they are in the records');
  const j = JSON.parse(r.stdout);
  assert.equal([j.lines, j.ran, j.failed, j.status, j.checkpointed], [11, 9, 2, 1, false]);
  assert.equal(
    j.records.map((x: { line: number; command: string; ok: boolean; status: number }) => [x.line, x.command, x.ok, x.status]),
    [
      [2, 'mkdir /d', true, 0],
      [3, 'write /d/a --data hi', true, 0],
      [5, 'cd /d', true, 0],
      [6, 'pwd', true, 0],
      [7, 'cat a', true, 0],
      [8, 'cat /missing', false, 1],
      [9, 'frobnicate', false, 2],
      [10, 'checkpoint', true, 0],
      [11, 'fsck', true, 0],
    ],
  );
  const [mkdir, write, cd, pwd, cat, missing, unknown, cp, fsck] = j.records;
  const plugin = JSON.parse(cli(['run', img, '--json'], { input: 'autocomplete bash\n' }).stdout).records[0];
  assert.equal([plugin.ok, plugin.error.code], [false, 'USAGE'], 'oclif plugin commands run only on their own');
  assert.match(plugin.error.message, /runs only as its own command/);
  // A command's record holds its own --json document; a session command, its small result.
  assert.equal(mkdir.result, { path: '/d', ino: mkdir.result.ino, created: true, sync: { mode: 'keep', checkpoint: null } });
  assert.equal([write.result.path, write.result.bytes, write.result.created], ['/d/a', 2, true]);
  assert.equal([cd.result, pwd.result], [{ cwd: '/d' }, { cwd: '/d' }]);
  assert.equal(cat.result, { ino: write.result.ino, size: 2, md5: '49f68a5c8493ec2c0bf489821c21fc3b' });
  assert.is(cat.error, null);
  assert.is(missing.result, null);
  assert.is(missing.error.code, 'ENOENT');
  assert.match(missing.error.message, /\/missing/);
  assert.is(unknown.error.code, 'USAGE');
  assert.match(unknown.error.message, /unknown command 'frobnicate'/);
  assert.is(typeof cp.result.version, 'string', '64-bit versions stay decimal strings');
  assert.is(fsck.result.ok, true);
  assert.is(cli(['cat', img, '/d/a']).stdout, 'hi', 'the checkpoint line made the work durable');
  clean(img);
});

test('run --json without --keep-going stops at the failing line, which is the last record; the human run is unchanged', () => {
  const img = mkfsImage('runjson2.img');
  const s = script('runjson2.txt', ['write /a --data 1', 'ls --bogus', 'write /b --data 2']);
  const r = cli(['run', img, '-f', s, '--json']);
  assert.is(r.status, 2);
  const j = JSON.parse(r.stdout);
  assert.equal([j.lines, j.ran, j.failed, j.status, j.checkpointed], [2, 2, 1, 2, true]);
  assert.equal(j.records[1], { line: 2, command: 'ls --bogus', ok: false, status: 2, result: null, error: j.records[1].error });
  assert.is(j.records[1].error.code, 'USAGE');
  // Without --json: the debugfs-style echo on stderr, each command's own output on stdout, no document.
  const h = cli(['run', img, '-f', s]);
  assert.is(h.status, 2);
  assert.equal(h.stderr.trim().split('\n'), ['f2fsdbg: write /a --data 1', 'f2fsdbg: ls --bogus', 'f2fsdbg: USAGE: Nonexistent flag: --bogus (see f2fsdbg ls --help)']);
  assert.match(h.stdout, /^wrote \/a \(ino \d+\): 1 bytes at offset 0, size 1$/m);
  assert.is(cli(['cat', img, '/b']).status, 1);
  clean(img);
});

/* ---- one-shot fsync ---- */

test('one-shot fsync: says what it wrote, no "--sync none: not checkpointed" note; JSON unchanged', () => {
  const img = mkfsImage('fsync.img');
  ok(cli(['write', img, '/f', '--data', 'x']), 'write');
  const f = ok(cli(['fsync', img, '/f']), 'fsync');
  assert.is(f.stdout, `/f (ino ${JSON.parse(cli(['stat', img, '/f', '--json']).stdout).ino}): nothing to write: no node changed since the last checkpoint or fsync\n`);
  assert.is(f.stderr, '');
  assert.is(ok(cli(['fsync', img, '/f', '--sync', 'none']), 'fsync --sync none').stderr, '');
  const before = sha256(img);
  const d = ok(cli(['fsync', img, '/']), 'fsync /');
  assert.match(d.stdout, /^\/ \(ino 3\): fell back to a checkpoint \(not a regular file\)$/m);
  assert.is(d.stderr, '', 'a checkpoint was written: "the image is as it was" would be false');
  assert.is.not(sha256(img), before);
  const j = JSON.parse(ok(cli(['fsync', img, '/f', '--json']), 'fsync --json').stdout);
  assert.equal(j, { path: '/f', ino: j.ino, method: 'nodes', reason: null, nodes: [], sync: { mode: 'none', checkpoint: null } });
  // Other commands keep the note: for them it is true; --sync keep one-shot is silent as before.
  assert.match(cli(['write', img, '/lost', '--data', 'y', '--sync', 'none']).stderr, /--sync none: not checkpointed/);
  assert.is(ok(cli(['write', img, '/kept', '--data', 'y', '--sync', 'keep']), 'write --sync keep').stderr, '');
  clean(img);
});

/* ---- progress: never where it would get in the way ---- */

test('no progress line when stderr is not a terminal: rdump, recover and crash-explore leave stderr empty', () => {
  const img = treeImage('quiet.img');
  const out = tmpPath('quiet-out');
  const r = ok(cli(['rdump', img, '/t', out]), 'rdump');
  assert.is(r.stderr, '');
  assert.match(r.stdout, /t: 2 directories, 21 files \(3 MiB\), 1 symlinks/);
  assert.is(fs.readFileSync(path.join(out, 't/sub/f7'), 'utf8'), '7');
  assert.is(fs.statSync(path.join(out, 't/big')).size, 3 << 20);

  const rec = needsRecovery('quiet-rec.img');
  const rr = ok(cli(['recover', rec]), 'recover');
  assert.is(rr.stderr, '');
  assert.match(rr.stdout, /checkpoint \d+ written/);
  assert.is(cli(['cat', rec, '/s']).stdout, 'synced');
  clean(rec);

  const ce = cli(['crash-explore', img, '-f', script('quiet-ce.txt', ['write /c --data 1', 'fsync /c']), '--max-cuts', '4', '--drop-writes', '0']);
  assert.is(ce.status, 0, ce.stdout);
  assert.is(ce.stderr, '');
  clean(img);
});

test('on a terminal: rdump, recover and crash-explore draw a progress line and clear it; none with --json', () => {
  assert.ok(HAS_SCRIPT, 'script(1) from util-linux gives the pseudo-terminal (README line 2 installs it)');
  const img = treeImage('tty.img');
  const r = inPty(['rdump', img, '/t', tmpPath('tty-out')]);
  assert.is(r.status, 0, r.out);
  assert.match(r.out, /\r\x1b\[Kdumping {2}\d+% \(\d+\/24\) {2}\/t/);
  assert.match(r.out, /\r\x1b\[K[^\r\n]*t: 2 directories, 21 files/, 'the line is cleared before the result');
  const j = inPty(['rdump', img, '/t', tmpPath('tty-out-json'), '--json']);
  assert.is(j.status, 0, j.out);
  assert.not.match(j.out, /dumping|\x1b\[K/);
  assert.is(JSON.parse(j.out).files, 21);

  // Extra words are not missing ones: the usage error, not a prompt.
  const extra = inPty(['cat', img, '/t', 'extra']);
  assert.is(extra.status, 2, extra.out);
  assert.match(extra.out, /USAGE: Unexpected argument: extra/);

  const rec = needsRecovery('tty-rec.img');
  const rr = inPty(['recover', rec]);
  assert.is(rr.status, 0, rr.out);
  // needsRecovery leaves an fsync chain and no orphans: the first phase drawn is the chain walk (a count, no total).
  assert.match(rr.out, /\r\x1b\[Krecovering {2}\d+ {2}walking the node chain/);
  assert.match(rr.out, /checkpoint \d+ written/);
  clean(rec);

  const ce = inPty(['crash-explore', img, '-f', script('tty-ce.txt', ['write /c --data 1', 'fsync /c']), '--max-cuts', '4', '--drop-writes', '0']);
  assert.is(ce.status, 0, ce.out);
  assert.match(ce.out, /\r\x1b\[Kexploring cuts {2}\d+% \(\d+\/\d+\) {2}0 violations/);
  clean(img);
});

test.run();
