// Failing mutating commands: one clear line on stderr (`f2fsdbg: CODE: message`), a non-zero exit status, nothing on
// stdout, and the image byte-identical to before the command (sha256) and still clean for our fsck and fsck.f2fs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fsckImage } from '../src/fsck/fsck.js';
import { EXTRA_FEATURES, mkfsImage, sha256, tmpPath } from './helpers/images.js';
import { cli as run, type Ran } from './helpers/cli.js';

const cli = (args: string[]): Ran => run(args);

function ok(args: string[]): void {
  known.clear();
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

function expectClean(img: string, after: string): void {
  const r = fsckImage(img);
  assert.ok(r.ok, `our fsck after ${after}:\n${r.findings.map((f) => `${f.code}: ${f.message}`).join('\n')}`);
  const real = spawnSync('fsck.f2fs', ['--dry-run', img], { input: 'n\n', encoding: 'utf8' });
  const out = `${real.stdout}${real.stderr}`;
  assert.is(real.status, 0, `fsck.f2fs after ${after}:\n${out}`);
  assert.not.match(out, /\[Fail\]|\[ASSERT\]/, `fsck.f2fs after ${after}:\n${out}`);
}

/** sha256 of each image as last checked: a failing command must leave it as it was. */
const known = new Map<string, string>();
const hashOf = (img: string) => known.get(img) ?? sha256(img);

/** Runs a command that must fail with `code` (and `status`), leaving the image exactly as it was. */
function fails(img: string, args: string[], code: string, status = 1, message?: RegExp): string {
  const before = hashOf(img);
  const [cmd, ...rest] = args;
  const r = cli([cmd, img, ...rest]);
  const what = `${args.join(' ').slice(0, 100)}`;
  assert.is(r.status, status, `${what}: status (${r.stderr.trim()})`);
  assert.is(r.stdout, '', `${what}: nothing on stdout`);
  assert.match(r.stderr, new RegExp(`^f2fsdbg: ${code}: [^\\n]+\\n$`), `${what}: one line with ${code}, got: ${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /, `${what}: no stack`);
  if (message) assert.match(r.stderr, message, what);
  const after = sha256(img);
  assert.is(after, before, `${what}: image unchanged`);
  known.set(img, after);
  return r.stderr;
}

const LONG = 'n'.repeat(256);

/** A small populated image: an inline file, a block file, a directory with a child, an empty directory. */
function populate(img: string): void {
  ok(['write', img, '/file', '--data', 'inline']);
  ok(['write', img, '/big', '--data', 'b'.repeat(10_000)]);
  ok(['mkdir', img, '/dir/sub', '-p']);
  ok(['write', img, '/dir/child', '--data', 'c']);
  ok(['mkdir', img, '/emptydir']);
  expectClean(img, 'populate');
}

const FLAVOURS: [string, () => string][] = [
  [
    'our mkfs',
    () => {
      const img = tmpPath('err-ours.img');
      ok(['mkfs', img, '--size', '64M', '--seed', '11']);
      return img;
    },
  ],
  ['mkfs.f2fs -O extra', () => mkfsImage('err-extra.img', 64, EXTRA_FEATURES)],
];

for (const [flavour, make] of FLAVOURS) {
  let img = '';
  const t = (name: string, fn: () => void) => test(`${flavour}: ${name}`, fn);

  t('set-up', () => {
    img = make();
    populate(img);
  });

  t('a name longer than 255 bytes: ENAMETOOLONG', () => {
    fails(img, ['touch', `/${LONG}`], 'ENAMETOOLONG');
    fails(img, ['mkdir', `/${LONG}`], 'ENAMETOOLONG');
    fails(img, ['mkdir', `/dir/${LONG}/x`, '-p'], 'ENAMETOOLONG');
    fails(img, ['write', `/dir/${LONG}`, '--data', 'x'], 'ENAMETOOLONG');
    fails(img, ['symlink', 'target', `/${LONG}`], 'ENAMETOOLONG');
    fails(img, ['mknod', `/${LONG}`, 'p'], 'ENAMETOOLONG');
    fails(img, ['ln', '/file', `/${LONG}`], 'ENAMETOOLONG');
    fails(img, ['mv', '/file', `/${LONG}`], 'ENAMETOOLONG');
    expectClean(img, 'ENAMETOOLONG');
  });

  t('creating an existing target: EEXIST', () => {
    fails(img, ['mkdir', '/dir'], 'EEXIST');
    fails(img, ['mkdir', '/file', '-p'], 'EEXIST');
    fails(img, ['symlink', 'x', '/file'], 'EEXIST');
    fails(img, ['ln', '/file', '/dir/child'], 'EEXIST');
    fails(img, ['mknod', '/emptydir', 'p'], 'EEXIST');
    expectClean(img, 'EEXIST');
  });

  t('rmdir of a non-empty directory: ENOTEMPTY; other wrong kinds', () => {
    fails(img, ['rmdir', '/dir'], 'ENOTEMPTY');
    fails(img, ['mv', '/emptydir', '/dir'], 'ENOTEMPTY');
    fails(img, ['rmdir', '/file'], 'ENOTDIR');
    fails(img, ['rm', '/dir'], 'EISDIR');
    fails(img, ['ln', '/dir', '/dirlink'], 'EISDIR');
    fails(img, ['truncate', '/dir', '0'], 'EISDIR');
    fails(img, ['mv', '/dir', '/dir/sub/inside'], 'EINVAL');
    fails(img, ['rm', '/'], 'EINVAL');
    expectClean(img, 'wrong kinds');
  });

  t('a missing parent: ENOENT', () => {
    fails(img, ['touch', '/nope/f'], 'ENOENT', 1, /nope/);
    fails(img, ['mkdir', '/nope/d'], 'ENOENT');
    fails(img, ['write', '/nope/f', '--data', 'x'], 'ENOENT');
    fails(img, ['symlink', 'x', '/nope/l'], 'ENOENT');
    fails(img, ['mv', '/file', '/nope/file'], 'ENOENT');
    fails(img, ['chmod', '600', '/nope'], 'ENOENT');
    expectClean(img, 'missing parent');
  });

  t('write into a directory: EISDIR naming it', () => {
    fails(img, ['write', '/dir', '--data', 'x'], 'EISDIR', 1, /\/dir is a directory/);
    fails(img, ['write', '/dir', '--append', '--data', 'x'], 'EISDIR');
  });

  t('a path through a file: ENOTDIR', () => {
    fails(img, ['touch', '/file/x'], 'ENOTDIR');
    fails(img, ['mkdir', '/file/x/y', '-p'], 'ENOTDIR');
    fails(img, ['write', '/big/x', '--data', 'x'], 'ENOTDIR');
    fails(img, ['rm', '/file/x'], 'ENOTDIR');
    expectClean(img, 'ENOTDIR');
  });

  t('rm of a missing file: ENOENT', () => {
    fails(img, ['rm', '/missing'], 'ENOENT', 1, /\/missing: no such file or directory/);
    fails(img, ['rm', '/missing', '-r'], 'ENOENT');
    fails(img, ['rmdir', '/dir/missing'], 'ENOENT');
    fails(img, ['mv', '/missing', '/x'], 'ENOENT');
    fails(img, ['xattr-rm', '/missing', 'user.a'], 'ENOENT');
    expectClean(img, 'rm missing');
  });

  t('xattrs: a missing name is ENODATA, too much is ENOSPC, a name Linux has no handler for EOPNOTSUPP', () => {
    fails(img, ['xattr-rm', '/file', 'user.none'], 'ENODATA');
    fails(img, ['xattr-set', '/file', 'user.huge', 'v'.repeat(5000)], 'ENOSPC');
    fails(img, ['xattr-set', '/file', 'bogus.name', 'v'], 'EOPNOTSUPP');
    // The fscrypt context and the verity descriptor are no user xattrs: set-policy and verity-enable write them.
    fails(img, ['xattr-set', '/file', 'encryption.c', 'v'], 'EOPNOTSUPP', 1, /set-policy/);
    fails(img, ['xattr-rm', '/file', 'encryption.c'], 'EOPNOTSUPP');
    fails(img, ['xattr-set', '/file', 'verity.v', 'v'], 'EOPNOTSUPP', 1, /verity-enable/);
    fails(img, ['xattr-set', '/file', 'lustre.x', 'v'], 'EOPNOTSUPP');
    fails(img, ['xattr-set', '/file', 'system.posix_acl_accessX', 'v'], 'EOPNOTSUPP');
    fails(img, ['xattr-set', '/file', 'user.', 'v'], 'EINVAL');
    // system.advise is i_advise: only its cold and hot bits, and it cannot be removed.
    fails(img, ['xattr-set', '/file', 'system.advise', '04', '--hex'], 'EINVAL');
    fails(img, ['xattr-rm', '/file', 'system.advise'], 'EINVAL');
    expectClean(img, 'xattr errors');
  });

  if (flavour === 'our mkfs') t('bad arguments: USAGE, exit 2', () => {
    fails(img, ['chmod', '999', '/file'], 'USAGE', 2);
    fails(img, ['chown', 'root', '/file'], 'USAGE', 2);
    fails(img, ['truncate', '/file', '12Q'], 'USAGE', 2);
    fails(img, ['write', '/file', '--offset', 'x', '--data', 'y'], 'USAGE', 2);
    fails(img, ['write', '/file', '--data', 'a', '--from', '/etc/hostname'], 'USAGE', 2);
    fails(img, ['set-times', '/file'], 'USAGE', 2);
    fails(img, ['set-times', '/file', '--mtime', 'yesterday'], 'USAGE', 2);
    fails(img, ['mknod', '/n', 'c'], 'USAGE', 2);
    fails(img, ['mknod', '/n', 'x'], 'USAGE', 2);
    fails(img, ['mknod', '/n', 'p', '1', '2'], 'USAGE', 2);
    fails(img, ['xattr-set', '/file', 'user.h', 'zz', '--hex'], 'USAGE', 2);
    fails(img, ['touch', '/n', '--sync', 'later'], 'USAGE', 2);
    fails(img, ['mkdir'], 'USAGE', 2);
  });

  t('host-side errors: a missing --from file or import directory', () => {
    fails(img, ['write', '/w', '--from', tmpPath('no-such-host-file')], 'ENOENT');
    fails(img, ['import', tmpPath('no-such-host-dir'), '/imp'], 'ENOENT');
    fails(img, ['import', '/etc/hostname', '/imp'], 'ENOTDIR');
    fails(img, ['write', '/w', '--from', tmpPath('')], 'EISDIR');
  });

  t('a read-only image file: EROFS, nothing opened for writing', () => {
    fs.chmodSync(img, 0o444);
    try {
      const msg = fails(img, ['touch', '/ro'], 'EROFS', 1, /read-only file \(mode 0444\)/);
      assert.ok(msg.includes(img));
      fails(img, ['checkpoint'], 'EROFS');
      fails(img, ['mkfs', '--force'], 'EROFS');
      const r = cli(['ls', img, '/']);
      assert.is(r.status, 0, 'read-only commands still work');
    } finally {
      fs.chmodSync(img, 0o644);
    }
  });

  t('errors with --json: {"error": {...}} on stdout, same status', () => {
    const before = sha256(img);
    const r = cli(['rmdir', img, '/dir', '--json']);
    assert.is(r.status, 1);
    assert.is(r.stderr, '');
    const e = JSON.parse(r.stdout).error;
    assert.is(e.code, 'ENOTEMPTY');
    assert.type(e.message, 'string');
    assert.ok(Array.isArray(e.context));
    assert.is(sha256(img), before);
  });

  t('the image still takes writes afterwards', () => {
    ok(['write', img, '/after', '--data', 'fine']);
    expectClean(img, 'a write after the errors');
  });
}

/* ---- ENOSPC on a minimum-size image ---- */

const MIN_FLAVOURS: [string, () => string][] = [
  [
    'our mkfs',
    () => {
      const img = tmpPath('min-ours.img');
      ok(['mkfs', img, '--size', '52M', '--seed', '12']);
      return img;
    },
  ],
  ['mkfs.f2fs', () => mkfsImage('min-mkfs.img', 52)],
];

const MiB = 1024 * 1024;
const chunk = tmpPath('one-mib.bin');
fs.writeFileSync(chunk, Buffer.alloc(MiB, 0xa5));

for (const [flavour, make] of MIN_FLAVOURS) {
  test(`${flavour}: filling a 52 MiB image ends in ENOSPC with the image unchanged and clean`, () => {
    const img = make();
    let n = 0;
    for (; n < 64; n++) {
      const before = sha256(img);
      const r = cli(['write', img, `/fill-${n}`, '--from', chunk]);
      if (r.status === 0) continue;
      assert.is(r.status, 1, r.stderr);
      assert.match(r.stderr, /^f2fsdbg: ENOSPC: [^\n]+\n$/);
      assert.is(sha256(img), before, 'the failing write left no trace');
      break;
    }
    assert.ok(n > 2 && n < 64, `ENOSPC after ${n} MiB`);
    expectClean(img, 'ENOSPC');
    // Part of a big write fits, the rest does not: still nothing written.
    ok(['rm', img, '/fill-0']);
    const big = tmpPath('three-mib.bin');
    fs.writeFileSync(big, Buffer.alloc(3 * MiB, 0x5a));
    fails(img, ['write', '/three', '--from', big], 'ENOSPC');
    // An import that runs out of space half way: nothing written either.
    const tree = tmpPath(`fill-tree-${flavour.replace(/\W/g, '')}`);
    fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
    for (let i = 0; i < 4; i++) fs.copyFileSync(chunk, path.join(tree, 'sub', `f${i}`));
    fails(img, ['import', tree, '/imported'], 'ENOSPC');
    // Small creations still fit.
    ok(['touch', img, '/empty']);
    ok(['mkdir', img, '/emptydir']);
    expectClean(img, 'ENOSPC, then small creations');
  });
}

test.run();
