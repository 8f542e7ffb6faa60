// The mutating commands through the CLI (bin/run.js, one process per command), on images made by our mkfs and by
// mkfs.f2fs (default, and with the extra features). After every mutating command both our fsck and fsck.f2fs --dry-run
// must find the image clean, and the change is read back in a NEW process with our read-only commands (cat, ls, stat,
// readlink, xattr-list), or with a fresh Volume where a command would be too slow (the tail of a 9 GiB sparse file).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fsckImage } from '../src/fsck/fsck.js';
import { EXTRA_FEATURES, mkfsImage, sha256, tmpPath, withVol } from './helpers/images.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const GiB = 1024 ** 3;

interface Ran {
  status: number;
  stdout: Buffer;
  stderr: string;
}

function cli(args: string[], input?: string | Buffer): Ran {
  const r = spawnSync(process.execPath, [RUN, ...args], { input, maxBuffer: 256 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A read-only command that must succeed; its stdout. */
function read(args: string[]): Buffer {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const json = (args: string[]) => JSON.parse(read([...args, '--json']).toString());
const cat = (img: string, p: string) => read(['cat', img, p]);
const stat = (img: string, p: string) => json(['stat', img, p]);
const names = (img: string, dir: string): string[] => json(['ls', img, dir]).entries.map((e: { name: string }) => e.name).filter((n: string) => n !== '.' && n !== '..');

/** fsck.f2fs 1.15 in dry-run mode ("n" answers its lost+found question). */
function realFsck(img: string): { status: number; out: string } {
  const r = spawnSync('fsck.f2fs', ['--dry-run', img], { input: 'n\n', encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Our fsck (in-process: fast) and fsck.f2fs both find the image clean. */
function expectClean(img: string, after: string): void {
  const r = fsckImage(img);
  assert.ok(r.ok, `our fsck after ${after}:\n${r.findings.map((f) => `${f.code}: ${f.message}`).join('\n')}`);
  const real = realFsck(img);
  assert.is(real.status, 0, `fsck.f2fs after ${after}:\n${real.out}`);
  assert.not.match(real.out, /\[Fail\]|\[ASSERT\]/, `fsck.f2fs after ${after}:\n${real.out}`);
}

/** A mutating command that must succeed, then the fsck pair; its --json result. */
function mut(img: string, args: string[], input?: string | Buffer) {
  const [cmd, ...rest] = args;
  const r = cli([cmd, img, ...rest, '--json'], input);
  assert.is(r.status, 0, `${args.join(' ').slice(0, 200)}: ${r.stderr}${r.stdout.toString().slice(0, 500)}`);
  assert.is(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
  const out = JSON.parse(r.stdout.toString());
  assert.is(out.sync.mode, 'checkpoint');
  assert.type(out.sync.checkpoint.version, 'string');
  expectClean(img, args.join(' ').slice(0, 80));
  return out;
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

/* ---- host inputs ---- */

const hostDir = tmpPath('host');
fs.mkdirSync(hostDir, { recursive: true });
const FIVE_MIB = bytes(5 * 1024 * 1024 + 321, 1);
const fiveMibFile = path.join(hostDir, 'five-mib.bin');
fs.writeFileSync(fiveMibFile, FIVE_MIB);
const TWELVE_MIB = bytes(12 * 1024 * 1024, 8);
const twelveMibFile = path.join(hostDir, 'twelve-mib.bin');
fs.writeFileSync(twelveMibFile, TWELVE_MIB);

/** 2,500 empty files: imported in one command to make a multi-level hashed directory. */
const manyDir = path.join(hostDir, 'many');
fs.mkdirSync(manyDir);
for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(manyDir, `entry-${String(i).padStart(4, '0')}`), '');

/** A small tree with files, nested dirs, symlinks and an empty file. */
const treeDir = path.join(hostDir, 'tree');
const TREE_FILES: Record<string, Buffer> = {
  'hello.txt': Buffer.from('hello, world\n'),
  'empty': Buffer.alloc(0),
  'one-block': bytes(4096, 2),
  'a/inline-max': bytes(3400, 3),
  'a/b/c/deep.bin': bytes(70_000, 4),
  'a/b/two-mib': bytes(2 * 1024 * 1024 + 7, 5),
};
const TREE_LINKS: Record<string, string> = { 'link-rel': 'hello.txt', 'a/b/link-up': '../../one-block', 'a/dangling': '/no/such/target' };
for (const [p, data] of Object.entries(TREE_FILES)) {
  fs.mkdirSync(path.dirname(path.join(treeDir, p)), { recursive: true });
  fs.writeFileSync(path.join(treeDir, p), data);
}
fs.mkdirSync(path.join(treeDir, 'emptydir'));
for (const [p, target] of Object.entries(TREE_LINKS)) fs.symlinkSync(target, path.join(treeDir, p));

/* ---- the three image flavours ---- */

interface Flavour {
  name: string;
  make(): string;
}

const FLAVOURS: Flavour[] = [
  {
    name: 'our mkfs',
    make() {
      const img = tmpPath('ours.img');
      const r = cli(['mkfs', img, '--size', '256M', '--seed', '7', '--json']);
      assert.is(r.status, 0, r.stderr);
      return img;
    },
  },
  { name: 'mkfs.f2fs', make: () => mkfsImage('mkfs-default.img', 256) },
  { name: 'mkfs.f2fs -O extra', make: () => mkfsImage('mkfs-extra.img', 256, EXTRA_FEATURES) },
];

/* ---- mkfs itself ---- */

test('mkfs: a new sparse image, --json report, clean for both checkers', () => {
  const img = tmpPath('new.img');
  const r = cli(['mkfs', img, '--size', '96M', '--features', 'extra_attr,inode_checksum,sb_checksum', '--label', 'data', '--seed', '3', '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.toString());
  assert.is(j.image, img);
  assert.is(j.created, true);
  assert.is(j.replaced, null);
  assert.is(j.sizeBytes, 96 * 1024 * 1024);
  assert.is(j.label, 'data');
  assert.equal(j.features.sort(), ['extra_attr', 'inode_checksum', 'sb_checksum']);
  const st = fs.statSync(img);
  assert.is(st.size, 96 * 1024 * 1024);
  assert.ok(st.blocks * 512 < 8 * 1024 * 1024, `sparse: ${st.blocks * 512} bytes allocated`);
  expectClean(img, 'mkfs');
  assert.is(json(['info', img]).superblock.volume_name, 'data');
});

test('mkfs: over an existing F2FS image it needs --force (no terminal: USAGE, image untouched)', () => {
  const img = mkfsImage('existing.img', 64);
  const before = sha256(img);
  const r = cli(['mkfs', img]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^f2fsdbg: USAGE: .*already holds an F2FS file system: pass --force/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.is(sha256(img), before);
  const f = cli(['mkfs', img, '--force', '--seed', '1', '--uuid', '01234567-89ab-4cde-8f01-23456789abcd', '--json']);
  assert.is(f.status, 0, f.stderr);
  const j = JSON.parse(f.stdout.toString());
  assert.is(j.created, false);
  assert.is(j.replaced, 'f2fs');
  assert.is(j.sizeBytes, 64 * 1024 * 1024, 'an existing file is formatted whole');
  assert.is(j.uuid, '01234567-89ab-4cde-8f01-23456789abcd');
  expectClean(img, 'mkfs --force');
});

test('mkfs: a non-F2FS file is formatted without --force; same seed, uuid and time give the same bytes', () => {
  const a = tmpPath('junk-a.img');
  const b = tmpPath('junk-b.img');
  fs.writeFileSync(a, bytes(1 << 20, 9));
  fs.truncateSync(a, 64 << 20);
  const args = ['--seed', '5', '--uuid', '6f2a1c3e-1111-4222-8333-944455556666', '--timestamp', '1700000000'];
  let r = cli(['mkfs', a, ...args]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout.toString(), /^formatted .*junk-a\.img: 64 MiB$/m);
  expectClean(a, 'mkfs over junk');
  r = cli(['mkfs', b, '--size', '64M', ...args]);
  assert.is(r.status, 0, r.stderr);
  // The junk file kept its old bytes outside the metadata, and the fresh one is TRIMMED: compare the file systems by fsck stats.
  assert.equal(fsckImage(a).stats, fsckImage(b).stats);
});

test('mkfs: bad flags are USAGE errors (exit 2) and create nothing', () => {
  for (const args of [['--size', '12Q'], ['--size', '10M'], ['--features', 'bogus'], ['--overprovision', '150'], ['--uuid', 'nope']]) {
    const img = tmpPath('never.img');
    const r = cli(['mkfs', img, ...args]);
    assert.ok(r.status === 2 || r.status === 1, `${args.join(' ')}: status ${r.status}`);
    assert.match(r.stderr, /^f2fsdbg: [A-Z_]+: [^\n]+\n$/, args.join(' '));
    assert.not.ok(fs.existsSync(img), `${args.join(' ')}: nothing left behind`);
  }
});

/* ---- on a terminal: the mkfs question and the progress line ---- */

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const sh = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI under util-linux `script` (a pseudo-terminal on stdin, stdout and stderr); types `answer` once `prompt` shows. */
function inPty(args: string[], prompt?: RegExp, answer?: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', [process.execPath, RUN, ...args].map(sh).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (prompt && !typed && prompt.test(out)) {
        typed = true;
        child.stdin.write(answer ?? '');
      }
    });
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status: code ?? -1, out });
    });
  });
}

if (HAS_SCRIPT) {
  test('mkfs on a terminal asks before formatting over F2FS: no leaves it, yes formats', async () => {
    const img = mkfsImage('asked.img', 64);
    const before = sha256(img);
    const no = await inPty(['mkfs', img], /\(y\/N\)/, 'n\r');
    assert.is(no.status, 1, no.out);
    assert.match(no.out, /EEXIST: .*left as it was/);
    assert.is(sha256(img), before);
    const yes = await inPty(['mkfs', img, '--seed', '4'], /\(y\/N\)/, 'y\r');
    assert.is(yes.status, 0, yes.out);
    assert.match(yes.out, /formatted .*asked\.img: 64 MiB/);
    assert.is.not(sha256(img), before);
    expectClean(img, 'mkfs after yes');
  });

  test('import shows a one-line progress on a terminal, none with --json', async () => {
    const img = mkfsImage('progress.img', 64);
    const tty = await inPty(['import', img, treeDir, '/p1']);
    assert.is(tty.status, 0, tty.out);
    assert.match(tty.out, /\r\x1b\[Kimporting {2}100% \(\d+\/\d+\)/);
    assert.match(tty.out, /\r\x1b\[K(\r\n)?imported /, 'the line is cleared before the result');
    const js = await inPty(['import', img, treeDir, '/p2', '--json']);
    assert.is(js.status, 0, js.out);
    assert.not.match(js.out, /importing/);
    expectClean(img, 'import on a terminal');
  });
}

/* ---- every command, on every flavour ---- */

for (const flavour of FLAVOURS) {
  let img = '';
  const t = (name: string, fn: () => void) => test(`${flavour.name}: ${name}`, fn);

  t('make the image', () => {
    img = flavour.make();
    expectClean(img, 'mkfs');
  });

  t('write --data creates an inline file; cat, ls and stat see it in a new process', () => {
    const w = mut(img, ['write', '/small', '--data', 'hello world\n']);
    assert.equal([w.created, w.bytes, w.size, w.offset], [true, 12, 12, 0]);
    assert.is(cat(img, '/small').toString(), 'hello world\n');
    assert.ok(names(img, '/').includes('small'));
    const s = stat(img, '/small');
    assert.is(s.size, 12);
    assert.is(s.modeOctal, '100644');
    assert.is(s.inlineData, true);
  });

  t('write from stdin, --append, --offset inside, --truncate', () => {
    mut(img, ['write', '/stdin'], 'from stdin\n');
    assert.is(cat(img, '/stdin').toString(), 'from stdin\n');
    mut(img, ['write', '/stdin', '--append', '--data', 'more\n']);
    assert.is(cat(img, '/stdin').toString(), 'from stdin\nmore\n');
    mut(img, ['write', '/stdin', '--offset', '5', '--data', 'STDIN']);
    assert.is(cat(img, '/stdin').toString(), 'from STDIN\nmore\n');
    const w = mut(img, ['write', '/stdin', '--truncate', '--data', 'new']);
    assert.is(w.size, 3);
    assert.is(cat(img, '/stdin').toString(), 'new');
  });

  t('an inline file grows past the inline limit', () => {
    const s0 = stat(img, '/small');
    const max = 4 * (s0.addrsPerInode - 1);
    const tail = bytes(max, 6);
    mut(img, ['write', '/small', '--append', '--data', tail.toString('latin1').replace(/[^\x20-\x7e]/g, 'x')]);
    const s = stat(img, '/small');
    assert.is(s.inlineData, false);
    assert.is(s.size, 12 + max);
    const content = cat(img, '/small');
    assert.is(content.subarray(0, 12).toString(), 'hello world\n');
    assert.is(content.length, 12 + max);
  });

  t('a 5 MiB file from a host file needs direct nodes; cat gives the same bytes', () => {
    const w = mut(img, ['write', '/five', '--from', fiveMibFile, '--mode', '600']);
    assert.is(w.size, FIVE_MIB.length);
    assert.ok(cat(img, '/five').equals(FIVE_MIB));
    const s = stat(img, '/five');
    assert.is(s.modeOctal, '100600');
    assert.ok(s.nids[0] !== 0, `a direct node: ${s.nids}`);
    assert.is(json(['cat', img, '/five']).md5, md5(FIVE_MIB));
  });

  t('a 12 MiB file needs an indirect node', () => {
    const w = mut(img, ['write', '/twelve', '--from', twelveMibFile]);
    assert.is(w.size, TWELVE_MIB.length);
    const s = stat(img, '/twelve');
    assert.ok(s.nids[0] && s.nids[1] && s.nids[2], `direct, direct, indirect: ${s.nids}`);
    assert.is(json(['cat', img, '/twelve']).md5, md5(TWELVE_MIB));
    mut(img, ['rm', '/twelve']);
  });

  t('a sparse write at 9 GiB goes through the double indirect node', () => {
    const w = mut(img, ['write', '/sparse', '--data', 'far away', '--offset', '9G']);
    assert.is(w.size, 9 * GiB + 8);
    const s = stat(img, '/sparse');
    assert.is(s.size, 9 * GiB + 8);
    assert.ok(s.nids[4] !== 0, `double indirect node: ${s.nids}`);
    assert.is(s.blocks, 1 + 1 + 3, 'inode, one data block, dind + ind + direct node');
    withVol(img, (vol) => {
      const info = vol.inode(s.ino);
      assert.is(vol.data.read(info, 9 * GiB - 4, 12).toString('latin1'), '\0\0\0\0far away');
    });
  });

  t('truncate shrinks to a non-aligned size, then grows with a hole', () => {
    const r = mut(img, ['truncate', '/five', '1234567']);
    assert.equal([r.oldSize, r.size], [FIVE_MIB.length, 1234567]);
    assert.ok(cat(img, '/five').equals(FIVE_MIB.subarray(0, 1234567)));
    mut(img, ['truncate', '/five', '3M']);
    const c = cat(img, '/five');
    assert.is(c.length, 3 * 1024 * 1024);
    assert.ok(c.subarray(0, 1234567).equals(FIVE_MIB.subarray(0, 1234567)));
    assert.ok(c.subarray(1234567).every((b) => b === 0), 'the grown part reads as zeros');
    mut(img, ['truncate', '/sparse', '0']);
    assert.is(stat(img, '/sparse').size, 0);
  });

  t('touch, chmod, chown, set-times', () => {
    const t0 = mut(img, ['touch', '/empty']);
    assert.is(t0.created, true);
    assert.is(stat(img, '/empty').size, 0);
    assert.is(mut(img, ['touch', '/empty']).created, false);
    mut(img, ['chmod', '4751', '/empty']);
    assert.is(stat(img, '/empty').modeOctal, '104751');
    mut(img, ['chown', '1000:100', '/empty']);
    let s = stat(img, '/empty');
    assert.equal([s.uid, s.gid], [1000, 100]);
    mut(img, ['chown', ':7', '/empty']);
    s = stat(img, '/empty');
    assert.equal([s.uid, s.gid], [1000, 7]);
    const st = mut(img, ['set-times', '/empty', '--atime', '1600000000', '--mtime', '2024-01-02T03:04:05.123456789Z']);
    assert.equal(st.mtime, { sec: 1704164645, nsec: 123456789, iso: '2024-01-02T03:04:05.123Z' });
    s = stat(img, '/empty');
    assert.equal([s.atime.sec, s.atime.nsec], [1600000000, 0]);
    assert.equal([s.mtime.sec, s.mtime.nsec], [1704164645, 123456789]);
  });

  t('mkdir and mkdir -p, rmdir', () => {
    const m = mut(img, ['mkdir', '/d1', '--mode', '700']);
    assert.is(stat(img, '/d1').modeOctal, '040700');
    assert.is(m.created, true);
    mut(img, ['mkdir', '/p/q/r', '-p']);
    assert.equal(names(img, '/p/q'), ['r']);
    assert.is(mut(img, ['mkdir', '/p/q', '-p']).created, false);
    mut(img, ['rmdir', '/p/q/r']);
    assert.equal(names(img, '/p/q'), []);
    assert.is(stat(img, '/p').links, 3);
  });

  t('a directory of 2,500 entries (hash levels): import, add, remove', () => {
    const r = mut(img, ['import', manyDir, '/many']);
    assert.is(r.files, 2500);
    const list = names(img, '/many');
    assert.is(list.length, 2500);
    assert.ok(list.includes('entry-0000') && list.includes('entry-2499'));
    const s = stat(img, '/many');
    assert.ok(s.currentDepth >= 2, `hash levels in use: i_current_depth ${s.currentDepth}`);
    mut(img, ['write', '/many/added', '--data', 'x']);
    mut(img, ['rm', '/many/entry-1234']);
    const after = names(img, '/many');
    assert.is(after.length, 2500);
    assert.ok(after.includes('added') && !after.includes('entry-1234'));
    assert.is(cat(img, '/many/added').toString(), 'x');
    // rm -r of a big multi-level directory (and later fscks stay quick).
    assert.is(mut(img, ['rm', '/many', '-r']).removed, 2501);
    assert.not.ok(names(img, '/').includes('many'));
  });

  t('hard links', () => {
    const l = mut(img, ['ln', '/small', '/d1/small-link']);
    assert.is(l.links, 2);
    assert.is(stat(img, '/small').links, 2);
    assert.ok(cat(img, '/d1/small-link').equals(cat(img, '/small')));
    mut(img, ['ln', '<' + l.ino + '>', '/small-link2']);
    assert.is(stat(img, '/small-link2').links, 3);
    mut(img, ['rm', '/small']);
    assert.is(stat(img, '/d1/small-link').links, 2);
    mut(img, ['rm', '/small-link2']);
    assert.is(stat(img, '/d1/small-link').links, 1);
  });

  t('mv: rename, over an existing file, across directories, into a directory, a directory across', () => {
    mut(img, ['write', '/r1', '--data', 'one']);
    mut(img, ['write', '/r2', '--data', 'two']);
    const over = mut(img, ['mv', '/r1', '/r2']);
    assert.ok(over.replaced !== null);
    assert.is(cat(img, '/r2').toString(), 'one');
    assert.not.ok(names(img, '/').includes('r1'));
    mut(img, ['mkdir', '/d2']);
    mut(img, ['mv', '/r2', '/d2/renamed']);
    assert.is(cat(img, '/d2/renamed').toString(), 'one');
    const into = mut(img, ['mv', '/d2/renamed', '/d1']);
    assert.is(into.to, '/d1/renamed');
    assert.equal(names(img, '/d1').sort(), ['renamed', 'small-link']);
    mut(img, ['mkdir', '/d2/sub']);
    mut(img, ['write', '/d2/sub/f', '--data', 'in sub']);
    mut(img, ['mv', '/d2/sub', '/d1/moved']);
    const dots = json(['ls', img, '/d1/moved']).entries.find((e: { name: string }) => e.name === '..');
    assert.is(dots.ino, stat(img, '/d1').ino, "'..' follows the directory");
    assert.is(cat(img, '/d1/moved/f').toString(), 'in sub');
    assert.is(stat(img, '/d2').links, 2);
    assert.is(stat(img, '/d1').links, 3);
  });

  t('symlinks', () => {
    mut(img, ['write', '/sl-target', '--data', 'pointed at']);
    const s = mut(img, ['symlink', '/sl-target', '/sl']);
    assert.is(json(['readlink', img, '/sl']).target, '/sl-target');
    assert.is(cat(img, '/sl').toString(), 'pointed at');
    mut(img, ['symlink', 'sl-target', '/sl-rel']);
    assert.is(cat(img, '/sl-rel').toString(), 'pointed at');
    mut(img, ['symlink', 'x'.repeat(3000), '/long-link']);
    assert.is(json(['readlink', img, '/long-link']).target, 'x'.repeat(3000));
    assert.is(stat(img, '/sl').ino, s.ino);
  });

  t('xattrs: inline, then spilling into the xattr node, then removed', () => {
    mut(img, ['write', '/xf', '--data', 'has xattrs']);
    mut(img, ['xattr-set', '/xf', 'user.small', 'v1']);
    let s = stat(img, '/xf');
    assert.is(s.xattrNid, 0, 'fits inline');
    mut(img, ['xattr-set', '/xf', 'user.bin', '00ff10', '--hex']);
    const big = 'B'.repeat(600);
    for (let i = 0; i < 3; i++) mut(img, ['xattr-set', '/xf', `user.big${i}`, big]);
    s = stat(img, '/xf');
    assert.ok(s.xattrNid !== 0, 'spilled into the xattr node');
    const list = json(['xattr-list', img, '/xf']).xattrs;
    const byName = Object.fromEntries(list.map((x: { name: string; value: string }) => [x.name, x.value]));
    assert.is(byName['user.small'], Buffer.from('v1').toString('hex'));
    assert.is(byName['user.bin'], '00ff10');
    assert.is(byName['user.big2'], Buffer.from(big).toString('hex'));
    mut(img, ['xattr-set', '/xf', 'user.small', 'changed']);
    mut(img, ['xattr-rm', '/xf', 'user.big1']);
    const names2 = json(['xattr-list', img, '/xf']).xattrs.map((x: { name: string }) => x.name).sort();
    assert.equal(names2, ['user.big0', 'user.big2', 'user.bin', 'user.small']);
    mut(img, ['mkdir', '/xd']);
    mut(img, ['xattr-set', '/xd', 'trusted.dir', 'on a directory']);
    assert.is(json(['xattr-list', img, '/xd']).xattrs[0].name, 'trusted.dir');
  });

  t('system.advise sets the cold and hot bits of i_advise (f2fs_xattr_advise_set) and stores no xattr', () => {
    mut(img, ['write', '/adv', '--data', 'advised']);
    const before = stat(img, '/adv').advise;
    mut(img, ['xattr-set', '/adv', 'system.advise', '01', '--hex']);
    assert.is(stat(img, '/adv').advise, (before & ~0x21) | 0x01, 'cold set, the other bits kept');
    assert.equal(stat(img, '/adv').adviseNames.filter((n: string) => n === 'cold' || n === 'hot'), ['cold']);
    mut(img, ['xattr-set', '/adv', 'system.advise', '20', '--hex']);
    assert.is(stat(img, '/adv').advise, (before & ~0x21) | 0x20, 'hot replaces cold');
    assert.equal(json(['xattr-list', img, '/adv']).xattrs, [], 'no xattr entry');
  });

  t('mknod of each type', () => {
    const p = mut(img, ['mknod', '/dev-fifo', 'p']);
    assert.equal([p.type, p.major, p.minor], ['fifo', null, null]);
    mut(img, ['mknod', '/dev-null', 'c', '1', '3']);
    mut(img, ['mknod', '/dev-sda1', 'b', '8', '1', '--mode', '660']);
    mut(img, ['mknod', '/dev-big', 'c', '300', '70000']);
    mut(img, ['mknod', '/dev-sock', 's']);
    assert.is(stat(img, '/dev-fifo').type, 'fifo');
    assert.is(stat(img, '/dev-sock').type, 'socket');
    const c = stat(img, '/dev-null');
    assert.is(c.type, 'chrdev');
    assert.equal(c.device, { major: 1, minor: 3 });
    const b = stat(img, '/dev-sda1');
    assert.is(b.type, 'blkdev');
    assert.is(b.modeOctal, '060660');
    assert.equal(b.device, { major: 8, minor: 1 });
    assert.equal(stat(img, '/dev-big').device, { major: 300, minor: 70000 });
    for (const n of ['/dev-fifo', '/dev-null', '/dev-big']) mut(img, ['rm', n]);
    assert.ok(!names(img, '/').some((n) => ['dev-fifo', 'dev-null', 'dev-big'].includes(n)));
  });

  t('import of a host tree: files, nested dirs, symlinks, an empty file; byte for byte through cat', () => {
    const r = mut(img, ['import', treeDir, '/imported/here']);
    assert.equal([r.files, r.symlinks, r.specials], [Object.keys(TREE_FILES).length, Object.keys(TREE_LINKS).length, 0]);
    assert.is(r.bytes, Object.values(TREE_FILES).reduce((n, b) => n + b.length, 0));
    for (const [p, data] of Object.entries(TREE_FILES)) {
      assert.ok(cat(img, `/imported/here/${p}`).equals(data), p);
      const s = stat(img, `/imported/here/${p}`);
      const host = fs.statSync(path.join(treeDir, p));
      assert.is(s.modeOctal, (host.mode & 0o177777).toString(8));
      assert.is(s.mtime.sec, Math.floor(host.mtimeMs / 1000));
    }
    for (const [p, target] of Object.entries(TREE_LINKS)) assert.is(json(['readlink', img, `/imported/here/${p}`]).target, target, p);
    assert.equal(names(img, '/imported/here/emptydir'), []);
    assert.equal(names(img, '/imported/here').sort(), ['a', 'empty', 'emptydir', 'hello.txt', 'link-rel', 'one-block']);
    // A second import merges into the directories and skips what exists.
    const again = mut(img, ['import', treeDir, '/imported/here']);
    assert.is(again.files, 0);
    assert.is(again.skipped.length, Object.keys(TREE_FILES).length + Object.keys(TREE_LINKS).length);
  });

  t('rm -r of a tree: inline and block files, nested and empty dirs, symlinks, xattrs', () => {
    mut(img, ['xattr-set', '/imported/here/a/b/c/deep.bin', 'user.x', 'y'.repeat(1000)]);
    mut(img, ['xattr-set', '/imported/here/a', 'user.dir', 'x']);
    const r = mut(img, ['rm', '/imported', '-r']);
    assert.is(r.removed, 2 + Object.keys(TREE_FILES).length + Object.keys(TREE_LINKS).length + 4); // imported, here, a, a/b, a/b/c, emptydir
    assert.not.ok(names(img, '/').includes('imported'));
  });

  t('checkpoint writes version + 1 into the other pack', () => {
    const a = json(['checkpoint', img]);
    assert.is(BigInt(a.version), BigInt(a.previous.version) + 1n);
    assert.is(a.pack, a.previous.pack === 1 ? 2 : 1);
    assert.is(a.dirty, false);
    assert.ok(a.flags.includes('umount'));
    const b = json(['checkpoint', img]);
    assert.equal(b.previous, { version: a.version, pack: a.pack });
    expectClean(img, 'checkpoint');
    assert.is(json(['info', img]).checkpoint.checkpoint_ver, b.version);
  });

  t('--sync none: a power cut right after the command leaves the image as it was', () => {
    const before = sha256(img);
    const r = cli(['write', img, '/lost', '--data', 'never', '--sync', 'none']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /--sync none: not checkpointed/);
    const j = cli(['mkdir', img, '/lost-dir', '--sync', 'none', '--json']);
    assert.equal(JSON.parse(j.stdout.toString()).sync, { mode: 'none', checkpoint: null });
    assert.is(sha256(img), before);
    assert.not.ok(names(img, '/').includes('lost'));
  });

  t('fsck command: exit 0 and a clean report', () => {
    const r = cli(['fsck', img]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /^clean: 0 findings; \d+ inodes/m);
    const j = json(['fsck', img]);
    assert.is(j.ok, true);
    assert.equal(j.findings, []);
    assert.ok(j.stats.inodes > 10);
  });
}

test('import keeps host names and symlink targets byte for byte, also when they are not UTF-8', () => {
  const host = tmpPath('host-bytes');
  fs.rmSync(host, { recursive: true, force: true });
  fs.mkdirSync(path.join(host, 'd'), { recursive: true });
  const at = (...name: number[]) => Buffer.concat([Buffer.from(`${host}/d/`), Buffer.from(name)]);
  // U+FFFD is what a lossy decoding makes of 0xff: both names must stay apart.
  fs.symlinkSync(Buffer.from([0x74, 0xfe]), at(0xef, 0xbf, 0xbd));
  fs.writeFileSync(at(0xff), 'x'.repeat(5000));
  fs.writeFileSync(at(0xc3, 0x28), 'small');
  const img = mkfsImage('import-bytes.img', 64);
  const r = mut(img, ['import', host, '/imp']);
  assert.equal([r.files, r.symlinks], [2, 1]);
  withVol(img, (v) => {
    const dir = v.inode(v.resolve('/imp/d').ino);
    const got = [...v.dirs.entries(dir)].map((e) => e.name.toString('hex')).sort();
    assert.equal(got, ['2e', '2e2e', 'c328', 'efbfbd', 'ff']);
    const byName = (hex: string) => v.inode([...v.dirs.entries(dir)].find((e) => e.name.toString('hex') === hex)!.ino);
    assert.equal(v.readlink(byName('efbfbd')), Buffer.from([0x74, 0xfe]));
    const ff = byName('ff');
    assert.ok(v.data.read(ff, 0, 5000).equals(Buffer.from('x'.repeat(5000))));
    assert.is(v.data.read(byName('c328'), 0, 10).toString(), 'small');
  });
});

test('fsck command: findings table and exit 1 on a damaged image', () => {
  const img = mkfsImage('damaged.img', 64);
  mut(img, ['write', '/f', '--data', 'x'.repeat(5000)]);
  // Zero the file's inode block in place: the NAT still points at it, so the tree walk finds a broken node.
  const nodeBlk: number = stat(img, '/f').node.blkaddr;
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, nodeBlk * 4096);
  fs.closeSync(fd);
  const r = cli(['fsck', img]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout.toString(), /NOT clean: \d+ findings?/);
  assert.match(r.stdout.toString(), /error/);
  const j = cli(['fsck', img, '--json']);
  assert.is(j.status, 1);
  const rep = JSON.parse(j.stdout.toString());
  assert.is(rep.ok, false);
  assert.ok(rep.findings.length > 0);
  assert.equal(Object.keys(rep).sort(), ['counts', 'findings', 'ms', 'ok', 'stats', 'truncated']);
});

test('fsck command: an unmountable image is one MOUNT_FAILED finding; a missing one is ENOENT', () => {
  const junk = tmpPath('junk.img');
  fs.writeFileSync(junk, Buffer.alloc(1 << 20, 0x5a));
  const j = cli(['fsck', junk, '--json']);
  assert.is(j.status, 1);
  assert.is(JSON.parse(j.stdout.toString()).findings[0].code, 'MOUNT_FAILED');
  const m = cli(['fsck', tmpPath('no-such.img')]);
  assert.is(m.status, 1);
  assert.match(m.stderr, /^f2fsdbg: ENOENT: /);
});

test('help lists the write commands with the WRITE flag group', () => {
  const top = read(['--help']).toString();
  for (const c of ['mkfs', 'write', 'touch', 'mkdir', 'rm', 'rmdir', 'mv', 'ln', 'symlink', 'truncate', 'chmod', 'chown', 'set-times', 'xattr-set', 'xattr-rm', 'mknod', 'import', 'checkpoint', 'fsck']) {
    assert.match(top, new RegExp(`^\\s+${c}\\s`, 'm'), c);
  }
  const w = read(['write', '--help']).toString();
  assert.match(w, /WRITE FLAGS/);
  assert.match(w, /--sync=<option>/);
  assert.match(w, /<options: [a-z|]*checkpoint[a-z|]*>/);
  assert.match(w, /<options: [a-z|]*none[a-z|]*>/);
});

test.run();
