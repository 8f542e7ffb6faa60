// manifest IMAGE [PATH] (issue 16): the mtree form checked by the standard tools on a tree rdump extracted
// (mtree -p DIR -f SPEC from Debian's mtree-netbsd, and libarchive's own mtree writer via bsdtar), a change caught,
// and the json form.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, cliOk } from './helpers/cli.js';
import { scratchPath } from './helpers/scratch.js';

const TS = { SOURCE_DATE_EPOCH: '1600000000' };
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

const ok = (args: string[], input?: string) => cliOk(args, { env: TS, input });

/** An image with odd names, a setuid file, a sparse file, a symlink, an xattr and a device node. */
function image(): string {
  const img = scratchPath('manifest.img');
  fs.rmSync(img, { force: true });
  ok(['mkfs', img, '--size', '64M']);
  const lines = [
    'mkdir /d',
    'write "/d/sp ace#=x" --data hi',
    'write /d/café --data x',
    'write /big --from /etc/services',
    'write /sparse --data end --offset 5M',
    'symlink ../big /d/l',
    'chmod 4750 /big',
    'xattr-set /big user.a b',
    'mkdir /e',
  ];
  ok(['run', img, '-q'], lines.join('\n'));
  return img;
}

/** Checks a host tree against a spec: mtree -p DIR -f SPEC (mtree-netbsd), else libarchive's mtree of DIR compared line by line. */
function verify(dir: string, spec: string): { ok: boolean; report: string } {
  const r = spawnSync('mtree', ['-p', dir, '-f', spec], { encoding: 'utf8' });
  return { ok: r.status === 0, report: r.stdout + r.stderr };
}

function extract(img: string, name: string): string {
  const out = scratchPath(name);
  fs.rmSync(out, { recursive: true, force: true });
  ok(['rdump', img, '/', out]);
  return out;
}

test('mtree: mtree -f verifies the rdump-extracted tree, and libarchive writes the same lines for it', () => {
  const img = image();
  const spec = scratchPath('m.mtree');
  ok(['manifest', img, '-o', spec]);
  const text = fs.readFileSync(spec, 'utf8');
  assert.ok(text.startsWith('#mtree\n'));
  assert.match(text, /^\.\/d\/sp\\040ace\\043\\075x time=1600000000\.0 mode=644 gid=0 uid=0 type=file size=2 sha256digest=/m);
  assert.match(text, /^\.\/big time=1600000000\.0 mode=4750 .*size=\d+ sha256digest=/m);
  const out = extract(img, 'm-out');
  // README line 2 installs both (mtree-netbsd, libarchive-tools): a missing one fails the test rather than skipping it.
  assert.ok(have('mtree') && have('bsdtar'), 'mtree (mtree-netbsd) and bsdtar (libarchive-tools) are installed');
  const m = spawnSync('mtree', ['-p', out, '-f', spec], { encoding: 'utf8' });
  assert.is(m.status, 0, m.stdout + m.stderr);
  const r = spawnSync('bsdtar', ['-cf', '-', '--format=mtree', '--options=sha256,!uname,!gname,!flags', '-C', out, '.'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const sorted = (s: string) => s.trim().split('\n').sort().join('\n');
  assert.is(sorted(text), sorted(r.stdout));
});

test('mtree: a changed file on the host, or in the image, is a mismatch', () => {
  const img = image();
  const spec = scratchPath('m2.mtree');
  ok(['manifest', img, '-o', spec]);
  const out = extract(img, 'm2-out');
  assert.ok(verify(out, spec).ok);
  fs.appendFileSync(path.join(out, 'd/café'), 'y');
  let r = verify(out, spec);
  assert.not.ok(r.ok);
  assert.match(r.report, /caf/);
  // Same size, other bytes, in the image: the digest catches it.
  const fresh = extract(img, 'm3-out');
  ok(['write', img, '/d/sp ace#=x', '--data', 'HI']);
  ok(['manifest', img, '-o', spec]);
  r = verify(fresh, spec);
  assert.not.ok(r.ok);
  assert.match(r.report, /sha256/);
});

test('json: one object per line with xattrs, device numbers and the chosen digest; PATH narrows', () => {
  const img = image();
  ok(['mknod', img, '/e/tty', 'c', '4', '5']);
  const lines = ok(['manifest', img, '--format', 'json', '--digest', 'md5']).trim().split('\n').map((l) => JSON.parse(l));
  const by = new Map(lines.map((e) => [e.path, e]));
  const big = by.get('./big');
  assert.equal(big.xattrs, [{ name: 'user.a', value: 'b' }]);
  assert.is(big.md5, createHash('md5').update(fs.readFileSync('/etc/services')).digest('hex'));
  assert.is(big.mode, '4750');
  assert.equal(by.get('./e/tty').device, { major: 4, minor: 5 });
  assert.is(by.get('./d/l').link, '../big');
  assert.is(by.get('./sparse').size, 5 * 1024 * 1024 + 3);
  assert.is(by.get('.').mtime, '1600000000.000000000');
  const mtree = ok(['manifest', img, '/e']);
  assert.equal(mtree.trim().split('\n').slice(1).map((l) => l.split(' ')[0]), ['.', './tty']);
  assert.match(mtree, /type=char device=native,4,5/);
  // --json: the manifest goes to a file, the summary to stdout.
  const spec = scratchPath('m4.json');
  const summary = JSON.parse(ok(['manifest', img, '--format', 'json', '-o', spec, '--json']));
  assert.is(summary.entries, lines.length);
  assert.is(cli(['manifest', img, '--json']).status, 2);
});

test.run();
