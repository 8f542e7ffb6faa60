// What a new user trips over (issue 15): messages, defaults and output that must say what they mean.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Config } from '@oclif/core';
import { PNG } from 'pngjs';
import { TYPE_COLOURS } from '../src/cli/heatmap-png.js';
import { parseRange } from '../src/cli/args.js';
import { Session } from '../src/cli/session.js';
import { Shell } from '../src/cli/shell.js';
import { F2fsError } from '../src/errors.js';
import { mkfsImage, tmpPath } from './helpers/images.js';
import { ROOT, cli } from './helpers/cli.js';

const run = (img: string, script: string) => cli(['run', img, '-q'], { input: script });

test('messages: a tiny image, a missing host file, rm of a directory, EEXIST with the path', () => {
  const tiny = tmpPath('tiny.img');
  fs.writeFileSync(tiny, Buffer.alloc(512));
  const t = cli(['info', tiny]);
  assert.is(t.status, 3);
  assert.not.match(t.stderr, /image has 0 bytes/);
  assert.match(t.stderr, /needs 2 blocks of 4096 bytes and holds 0 whole blocks/);

  const missing = tmpPath('no-such.img');
  const m = cli(['info', missing]);
  assert.match(m.stderr, /ENOENT: open \S+no-such\.img: no such file or directory$/m);
  assert.is(m.stderr.match(/ENOENT/g)?.length, 1, m.stderr);

  const img = mkfsImage('msgs.img');
  const r = run(img, 'mkdir /linux\nwrite /linux/f --data x\nmkdir /empty\n');
  assert.is(r.status, 0, r.stderr);
  assert.match(cli(['rm', img, '/linux']).stderr, /is a directory \(not empty: use rm -r\)/);
  assert.match(cli(['rm', img, '/empty']).stderr, /is a directory \(use rmdir\)/);
  assert.match(cli(['mkdir', img, '/linux']).stderr, /EEXIST: \/linux already exists/);
  assert.match(cli(['symlink', img, 'x', '/linux/f']).stderr, /EEXIST: \/linux\/f already exists/);
});

test('dump-ssa --range 3~3: says the end is excluded instead of printing nothing', () => {
  assert.throws(() => parseRange('3~3', 56, 'segment'), (e: unknown) => e instanceof F2fsError && e.code === 'USAGE' && /end is excluded/.test(e.message));
  const img = mkfsImage('range.img');
  const r = cli(['dump-ssa', img, '--range', '3~3']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /3 or 3~4 is segment 3 alone/);
  assert.is(cli(['dump-ssa', img, '--range', '3']).status, 0);
});

test('stat: special addresses named, cp_ver split with crc_recovery, i_inline/i_flags/i_advise decoded', () => {
  const img = mkfsImage('stat-names.img');
  assert.is(cli(['write', img, '/f', '--data', 'x']).status, 0);
  const s = cli(['stat', img, '/f']);
  assert.is(s.status, 0, s.stderr);
  assert.match(s.stdout, /^i_inline\s+0x[0-9a-f]+\s+.*\binline_data\b/m, s.stdout);
  assert.match(s.stdout, /cp_ver \d+ \(crc 0x[0-9a-f]{8}\)/);
  const j = JSON.parse(cli(['stat', img, '/f', '--json']).stdout);
  assert.equal([j.inlineNames, j.adviseNames, j.flagNames], [['inline_xattr', 'inline_data', 'data_exist'], [], []]);
  assert.is(typeof j.node.footer.cp_crc, 'number');
  assert.is(BigInt(j.node.footer.cp_ver) & 0xffffffffn, BigInt(j.node.footer.cp_version));
  // A node not written yet (this session made it): its address is NEW_ADDR, by name.
  const r = run(img, 'write /g --data y\nstat /g\n');
  assert.match(r.stdout, /^node\s+nid \d+ at blkaddr NEW_ADDR,/m, r.stdout);
});

test('ls -l: a character or block device shows major, minor instead of a size', () => {
  const img = mkfsImage('ls-dev.img');
  assert.is(cli(['mknod', img, '/tty', 'c', '4', '1']).status, 0);
  assert.is(cli(['mknod', img, '/sda', 'b', '8', '0']).status, 0);
  const l = cli(['ls', img, '/', '-l']);
  assert.match(l.stdout, /crw-r--r--.*\s4, 1\s.*tty$/m, l.stdout);
  assert.match(l.stdout, /brw-r--r--.*\s8, 0\s.*sda$/m);
});

test('write during an atomic write says the data was staged', () => {
  const img = mkfsImage('staged.img');
  const r = run(img, 'write /f --data old\natomic-begin /f\nwrite /f --data new\nwrite /f --data more --json\n');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^staged \/f \(ino \d+\): 3 bytes at offset 0 of its atomic write, staged size 3 \(the file changes at atomic-commit\)$/m, r.stdout);
  assert.match(r.stdout, /"staged": true/);
  assert.match(cli(['write', img, '/g', '--data', 'x']).stdout, /^created \/g/);
});

test('help CMD in the shell: usage, args and examples without IMAGE', async () => {
  const config = await Config.load(ROOT);
  const out: string[] = [];
  const shell = new Shell(new Session({ config, readOnly: true, stdout: (s) => out.push(s) }));
  await shell.help('ls');
  const text = out.join('\n');
  assert.match(text, /ls \[PATH\]/, text);
  assert.not.match(text, /IMAGE(?!\.lock)/);
  assert.not.match(text, /disk\.img/);
  assert.match(text, /ls \/etc -l/);
});

test('recover --dry-run after an atomic commit with --sync none reports what recover then does', () => {
  const img = mkfsImage('dry-atomic.img');
  const ok = (...a: string[]) => {
    const r = cli(a);
    assert.is(r.status, 0, `${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  ok('write', img, '/db', '--data', 'v1');
  ok('atomic-begin', img, '/db');
  ok('write', img, '/db', '--data', 'x'.repeat(3 * 4096 + 5));
  ok('atomic-commit', img, '/db', '--sync', 'none');
  const before = fs.readFileSync(img);
  const dry = JSON.parse(ok('recover', img, '--dry-run', '--json'));
  assert.ok(fs.readFileSync(img).equals(before), 'the dry run wrote nothing');
  const real = JSON.parse(ok('recover', img, '--json'));
  assert.ok(real.inodes.length > 0 && real.inodes.some((i: { blocks: number }) => i.blocks > 0), JSON.stringify(real));
  assert.equal({ ...dry, dryRun: false }, real);
  assert.is(ok('cat', img, '/db').length, 3 * 4096 + 5);
});

test('an open notices fsynced nodes waiting for roll-forward, once, and info shows them', () => {
  const img = mkfsImage('pending.img');
  assert.match(cli(['info', img]).stdout, /^roll-forward\s+none$/m);
  const w = cli(['write', img, '/f1', '--data', 'x', '--sync', 'fsync']);
  assert.is(w.status, 0, w.stderr);
  const c = cli(['cat', img, '/f1']);
  assert.is(c.status, 1, 'not visible before recovery');
  const note = /f2fsdbg: note: (\d+) fsynced nodes? (is|are) waiting: `recover` applies them as Linux's mount would/g;
  assert.is(c.stderr.match(note)?.length, 1, c.stderr);
  const i = cli(['info', img, '--json']);
  assert.ok(JSON.parse(i.stdout).pendingRollForward >= 1);
  assert.match(cli(['info', img]).stdout, /^roll-forward\s+\d+ fsynced nodes waiting/m);
  assert.is(run(img, 'ls /\n').stderr.match(note)?.length, 1, 'a session says it once, at open');
  const r = cli(['recover', img]);
  assert.not.match(r.stderr, note);
  const after = cli(['cat', img, '/f1']);
  assert.is(after.stdout, 'x');
  assert.is(after.stderr, '');
});

test('demo: both halves of all-or-nothing (cut before commit: old content; after: new), trace symbols explained once', () => {
  const img = tmpPath('demo.img');
  const r = cli(['demo', img, '--force']);
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  const step = (n: number) => out.slice(out.indexOf(`# ${n}. `), out.indexOf(`# ${n + 1}. `));
  const at = (re: RegExp) => {
    const m = re.exec(out);
    assert.ok(m, `${re} in the demo`);
    return m!.index;
  };
  // First half: the power cut before atomic-commit, then recovery: the old content.
  const before = at(/Power cut BEFORE the commit/);
  const oldContent = at(/^\{"version": 1\}$/m);
  const commit = at(/f2fsdbg> atomic-commit \/demo\/config\.json --trace-io/);
  assert.ok(before < oldContent && oldContent < commit);
  // Second half: the commit's trace, the power cut after it, recovery: the new content.
  assert.match(r.stderr, /^trace: D×4 \| FLUSH\(preflush\) \| Nf \| FLUSH\(fua\)$/m);
  const after = at(/Power cut AFTER the commit/);
  const md5 = /version 2, 4 blocks \(md5 ([0-9a-f]{32})\)/.exec(out)?.[1];
  assert.ok(md5 && after > commit);
  assert.match(out.slice(after), new RegExp(`"md5": "${md5}"`));
  assert.match(out.slice(after), /"size": 16380/);
  // Each trace symbol explained once, right after the first trace showing it.
  for (const sym of ['D', 'Nf', 'FLUSH(preflush)', 'FLUSH(fua)', 'CP']) {
    const lines = out.split('\n').filter((l) => l.startsWith(`   ${sym}: `));
    assert.is(lines.length, 1, `${sym} explained once`);
  }
  assert.match(step(12), /^ {3}Nf: /m);
  assert.match(step(3), /^ {3}CP: /m);
  // The help says what it shows.
  assert.match(cli(['demo', '--help']).stdout, /before its commit \(old content kept\) and after it \(new content recovered\)/);
});

test('heatmap --png: only the picture (no terminal map), a grid sized to the volume with a title and a legend', () => {
  const img = mkfsImage('heat.img');
  const png = tmpPath('heat.png');
  const r = cli(['heatmap', img, '--png', png]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), [`PNG written to ${png}: 24 segments, 6 in use`]);
  const pic = PNG.sync.read(fs.readFileSync(png));
  assert.ok(pic.width >= 400 && pic.height >= 150, `${pic.width}x${pic.height}`);
  const colours = new Set<string>();
  for (let o = 0; o < pic.data.length; o += 4) colours.add(`${pic.data[o]},${pic.data[o + 1]},${pic.data[o + 2]}`);
  // The legend shows every log type at full validity; the title and labels are drawn in the text colour.
  for (const [r0, g, b] of TYPE_COLOURS) assert.ok(colours.has(`${r0},${g},${b}`), `legend colour ${r0},${g},${b}`);
  assert.ok(colours.has('230,230,230'), 'text');
  // A bigger volume gets more rows, not an ever wider strip.
  const big = mkfsImage('heat-big.img', 1024);
  const bigPng = tmpPath('heat-big.png');
  assert.is(cli(['heatmap', big, '--png', bigPng]).status, 0);
  const bp = PNG.sync.read(fs.readFileSync(bigPng));
  assert.ok(bp.height > pic.height && bp.width < 1200, `${bp.width}x${bp.height}`);
});

test('a reader beside a live writer reads the last durable checkpoint and says so; writers are still refused', async () => {
  const img = mkfsImage('beside.img');
  assert.is(cli(['write', img, '/durable', '--data', 'd']).status, 0);
  const writer = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(`${img}.lock`, `${writer.pid} exclusive\n`);
    const r = cli(['cat', img, '/durable']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'd');
    assert.match(r.stderr, new RegExp(`^f2fsdbg: note: pid ${writer.pid} is writing this image: shown as of its last durable checkpoint \\d+`, 'm'));
    assert.is(fs.readFileSync(`${img}.lock`, 'utf8'), `${writer.pid} exclusive\n`, 'the reader let go of its shared entry');
    const w = cli(['write', img, '/x', '--data', 'x']);
    assert.is(w.status, 1);
    assert.match(w.stderr, /EBUSY: image is in use by pid/);
  } finally {
    writer.kill();
  }
});

test.run();
