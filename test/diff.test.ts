// diff IMAGE_A IMAGE_B [PATH] (issue 16): files, metadata and blocks levels, exit status like diff(1), and an
// image made by mkfs.f2fs + sload.f2fs against ours.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, cliOk } from './helpers/cli.js';
import { scratchPath } from './helpers/scratch.js';
import { fsckBoth } from './helpers/fsck.js';
import { diffImages, type DiffResult } from '../src/debugfs/diff.js';
import { Volume } from '../src/fs/volume.js';

const TS = { SOURCE_DATE_EPOCH: '1600000000' };

const ok = (args: string[]) => cliOk(args, { env: TS });

function base(): string {
  const img = scratchPath('diff-base.img');
  fs.rmSync(img, { force: true });
  ok(['mkfs', img, '--size', '64M']);
  const script = ['mkdir /d', 'write /d/f --data hello', 'write /d/gone --data bye', 'symlink f /d/l', 'xattr-set /d/f user.k v1', 'mknod /d/c c 1 3'].join('\n');
  cliOk(['run', img, '-q'], { input: script, env: TS });
  return img;
}

function diffJson(a: string, b: string, ...more: string[]): { status: number; json: DiffResult } {
  const r = cli(['diff', a, b, '--json', ...more]);
  return { status: r.status, json: JSON.parse(r.stdout) };
}

test('identical images: exit 0, nothing listed, blocks identical too', () => {
  const a = base();
  const b = scratchPath('diff-copy.img');
  fs.copyFileSync(a, b);
  const r = cli(['diff', a, b, '--blocks']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /identical/);
  const { json } = diffJson(a, b, '--blocks');
  assert.equal([json.identical, json.files, json.metadata, json.blocks?.byArea], [true, [], [], {}]);
});

test('files level: added, removed, content, mode, owner, times, xattrs, link target; exit 1', () => {
  const a = base();
  const b = scratchPath('diff-changed.img');
  fs.copyFileSync(a, b);
  const script = ['write /d/f --data HELLO', 'chmod 600 /d/f', 'chown 7:8 /d/f', 'xattr-set /d/f user.k v2', 'xattr-set /d/f user.new x', 'rm /d/gone', 'rm /d/l', 'symlink gone /d/l', 'write /d/added --data new'].join('\n');
  const r = cli(['run', b, '-q'], { input: script, env: { SOURCE_DATE_EPOCH: '1600000100' } });
  assert.is(r.status, 0, r.stderr);
  const { status, json } = diffJson(a, b);
  assert.is(status, 1);
  const byPath = new Map(json.files.map((f) => [f.path, f]));
  assert.is(byPath.get('/d/added')?.status, 'added');
  assert.is(byPath.get('/d/gone')?.status, 'removed');
  const f = byPath.get('/d/f')!;
  const fields = Object.fromEntries(f.changes!.map((c) => [c.field, [c.a, c.b]]));
  assert.equal(fields.mode, ['0644', '0600']);
  assert.equal([fields.uid, fields.gid], [[0, 7], [0, 8]]);
  assert.equal(fields['xattr user.k'], ['v1', 'v2']);
  assert.equal(fields['xattr user.new'], [null, 'x']);
  // hello -> HELLO: the first byte differs.
  assert.equal(fields['content at byte 0'], [Buffer.from('hello').toString('hex'), Buffer.from('HELLO').toString('hex')]);
  assert.equal(fields.mtime, ['1600000000.000000000', '1600000100.000000000']);
  assert.equal(Object.fromEntries(byPath.get('/d/l')!.changes!.map((c) => [c.field, [c.a, c.b]])).target, ['f', 'gone']);
  assert.not.ok(byPath.has('/d/c'), 'an unchanged device node is not listed');
  // Metadata level: a later checkpoint.
  assert.ok(json.metadata.some((m) => m.field === 'checkpoint.checkpoint_ver'));
  // PATH narrows, --ignore drops fields.
  const narrowed = diffJson(a, b, '/d/f', '--ignore', 'times,owner,mode,xattrs,content').json;
  assert.equal(narrowed.files, []);
});

// Fuzz campaign 7001, mutant 46970 (a bit flipped in a node block of a 9 GiB sparse file): diff hashed both files whole
// to name the difference, 10 s of CPU and more (a hang). It now says where the contents first differ, as cmp does.
test('content of large sparse files: equal ones compared without reading their holes, the first difference named with its bytes', () => {
  const a = scratchPath('diff-sparse-a.img');
  fs.rmSync(a, { force: true });
  ok(['mkfs', a, '--size', '64M']);
  ok(['write', a, '/s', '--data', 'head']);
  ok(['write', a, '/s', '--data', 'tail', '--offset', '9G']);
  const b = scratchPath('diff-sparse-b.img');
  fs.copyFileSync(a, b);
  ok(['write', b, '/t', '--data', 'x']);
  // (Digests of both would read 2 x 9 GiB, about 16 s; the compare skips what is a hole in both.)
  assert.equal(diffJson(a, b).json.files.map((f) => [f.path, f.status]), [['/t', 'added']]);
  ok(['write', b, '/s', '--data', 'TAIL', '--offset', '9G']);
  const hex = (t: string) => Buffer.from(t).toString('hex');
  const changes = (x: string, y: string) => diffJson(x, y).json.files.find((f) => f.path === '/s')!.changes!.map((c) => [c.field, c.a, c.b]);
  assert.equal(changes(a, b), [['content at byte 9663676416', hex('tail'), hex('TAIL')]]);
  // Past the end of the shorter file: its side is null.
  const c = scratchPath('diff-sparse-c.img');
  fs.copyFileSync(a, c);
  ok(['write', c, '/s', '--data', 'more', '--append']);
  assert.equal(changes(a, c).find((x) => x[0] !== 'size'), ['content at byte 9663676420', null, hex('more')]);
  const text = cli(['diff', a, c]).stdout;
  assert.match(text, /~ \/s \(regular\): .*content at byte 9663676420 - -> 6d6f7265/);
  for (const img of [a, b, c]) assert.equal(fsckBoth(img).problems, [], img);
});

test('--blocks: differing main-area blocks with their owners in each image', () => {
  const a = base();
  const b = scratchPath('diff-blocks.img');
  fs.copyFileSync(a, b);
  ok(['write', b, '/d/big', '--data', 'x'.repeat(10000)]);
  const vb = Volume.open(b, { readOnly: true });
  const va = Volume.open(a, { readOnly: true });
  try {
    const r = diffImages(va, vb, { blocks: true });
    const big = vb.resolve('/d/big').ino;
    const data = r.blocks!.main.filter((m) => m.b.kind === 'data' && m.b.ino === big);
    assert.is(data.length, 3, 'the three data blocks of /d/big');
    assert.ok(data.every((m) => m.a.kind === 'free' && m.b.verified && m.b.paths[0] === '/d/big'));
    assert.ok((r.blocks!.byArea.cp ?? 0) > 0, 'checkpoint blocks differ');
    const listed = diffImages(va, vb, { blocks: true, blockLimit: 1 }).blocks!;
    assert.is(listed.main.length, 1);
    assert.ok(listed.truncated);
  } finally {
    va.close();
    vb.close();
  }
});

test('cross-tool: mkfs.f2fs + sload.f2fs against our mkfs + import of the same tree', () => {
  const host = scratchPath('diff-host');
  fs.rmSync(host, { recursive: true, force: true });
  fs.mkdirSync(path.join(host, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(host, 'a'), 'one\n');
  fs.writeFileSync(path.join(host, 'sub/big'), Buffer.alloc(100000, 7));
  fs.symlinkSync('a', path.join(host, 'l'));
  const theirs = scratchPath('diff-sload.img');
  fs.rmSync(theirs, { force: true });
  fs.writeFileSync(theirs, '');
  fs.truncateSync(theirs, 64 << 20);
  execFileSync('mkfs.f2fs', ['-q', theirs]);
  execFileSync('sload.f2fs', ['-f', host, theirs], { stdio: 'ignore' });
  const ours = scratchPath('diff-ours.img');
  fs.rmSync(ours, { force: true });
  ok(['mkfs', ours, '--size', '64M']);
  ok(['import', ours, host, '/']);
  // Same tree: nothing but times (and the tools' own metadata) differs.
  const same = diffJson(theirs, ours, '--ignore', 'times');
  assert.equal(same.json.files, [], JSON.stringify(same.json.files));
  assert.is(same.status, 1, 'metadata (uuid, checkpoint) differs');
  assert.ok(same.json.metadata.some((m) => m.field === 'superblock.uuid'));
  // One byte changed on our side: named by path.
  ok(['write', ours, '/sub/big', '--data', 'X', '--offset', '5000']);
  const changed = diffJson(theirs, ours, '--ignore', 'times');
  assert.equal(changed.json.files.map((f) => [f.path, f.changes!.map((c) => c.field)]), [['/sub/big', ['content at byte 5000']]]);
});

test('usage errors: unknown ignore field, --blocks on images of different sizes', () => {
  const a = base();
  const small = scratchPath('diff-small.img');
  fs.rmSync(small, { force: true });
  ok(['mkfs', small, '--size', '80M']);
  let r = cli(['diff', a, small, '--ignore', 'colour']);
  assert.is(r.status, 2, r.stderr);
  r = cli(['diff', a, small, '--blocks']);
  assert.match(r.stderr, /same layout/);
  assert.is.not(r.status, 0);
});

test.run();
