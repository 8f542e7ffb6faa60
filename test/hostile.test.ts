// Hostile and damaged images, each built with our own injection commands: rdump never writes outside its target,
// 64-bit times print and restore, directory cycles and looped node chains are reported (CORRUPT), lengths read
// from disk bound every loop, and rdump recreates special files (or says why not, per entry).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, RUN, cli, type Ran } from './helpers/cli.js';
import { EXTRA_FEATURES, mkfsImage, tmpPath } from './helpers/images.js';
import { fsckBoth } from './helpers/fsck.js';
import { loadFixture } from '../fixtures/load.js';

function ok(args: string[]): Ran {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r;
}
const json = (args: string[]) => JSON.parse(ok([...args, '--json']).stdout);

/** One typed error line, this status, no stack. */
function failsWith(r: Ran, status: number, code: string, message?: RegExp): void {
  assert.is(r.status, status, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^f2fsdbg: ${code}: `), r.stderr);
  if (message) assert.match(r.stderr, message);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
}

let n = 0;
function image(): string {
  return mkfsImage(`hostile-${n++}.img`, 64, EXTRA_FEATURES);
}

/** A fresh, empty host directory. */
function hostDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-hostile-'));
}

test('rdump: a symlink and a directory under one name do not lead outside the target (--keep-going skips, lists)', () => {
  const img = image();
  const outside = hostDir();
  ok(['mkdir', img, '/d']);
  // Storage order: the symlink first, then the directory; renaming "xa" to "x" (name_len 1) makes the name appear twice.
  ok(['symlink', img, outside, '/d/xa']);
  ok(['mkdir', img, '/d/x']);
  ok(['write', img, '/d/x/pwned', '--data', 'escaped']);
  ok(['set-dentry', img, '/d', 'xa', 'name_len', '1']);
  // A second '..' (from "...", name_len 2): never a host entry.
  ok(['write', img, '/d/...', '--data', 'dots']);
  ok(['set-dentry', img, '/d', '...', 'name_len', '2']);
  const names = json(['ls', img, '/d']).entries.map((e: { name: string }) => e.name);
  assert.equal(names.filter((x: string) => x === 'x').length, 2, names.join(' '));

  const dest = hostDir();
  failsWith(cli(['rdump', img, '/d', dest]), 3, 'CORRUPT', /\/d\/x: name 'x' appears twice/);
  const dest2 = hostDir();
  const r = json(['rdump', img, '/d', dest2, '--keep-going']);
  assert.equal(fs.readdirSync(outside), [], 'nothing written outside the target');
  assert.equal(r.skipped.map((s: { path: string; why: string }) => `${s.path}: ${s.why}`).sort(), ["/d/..: a second '..' entry", "/d/x: name 'x' appears twice in the directory"]);
  assert.is(fs.readlinkSync(path.join(dest2, 'd/x')), outside);
  assert.ok(fs.lstatSync(path.join(dest2, 'd/x')).isSymbolicLink());
});

test('rdump and dump never write through a host entry they did not create', () => {
  const img = image();
  ok(['mkdir', img, '/d']);
  ok(['write', img, '/d/f', '--data', 'new']);
  const dest = hostDir();
  const victim = path.join(hostDir(), 'victim');
  fs.writeFileSync(victim, 'old');
  fs.mkdirSync(path.join(dest, 'd'));
  fs.symlinkSync(victim, path.join(dest, 'd/f'));
  // /d exists already below the target: refused (EEXIST), the victim untouched.
  failsWith(cli(['rdump', img, '/d', dest]), 1, 'EEXIST');
  assert.is(fs.readFileSync(victim, 'utf8'), 'old');
  // dump writes the host file it names, never through a symlink there.
  failsWith(cli(['dump', img, '/d/f', path.join(dest, 'd/f')]), 1, 'ELOOP');
  assert.is(fs.readFileSync(victim, 'utf8'), 'old');
});

test('times outside the Date range: stat, stat --json, ls -l, set-times and rdump print and restore them', () => {
  const img = image();
  ok(['write', img, '/f', '--data', 'x']);
  ok(['write', img, '/g', '--data', 'y']);
  ok(['set-inode', img, '/f', 'i_mtime', '0x7fffffffffffffff']);
  ok(['set-inode', img, '/g', 'i_mtime', '-1']);
  const s = ok(['stat', img, '/f']).stdout;
  assert.match(s, /mtime\s+9223372036854775807\.\d{9}\s+\(outside the representable date range\)/);
  const j = json(['stat', img, '/f']);
  assert.equal([j.mtime.sec, j.mtime.iso], ['9223372036854775807', null]);
  assert.equal(json(['stat', img, '/g']).mtime.sec, -1);
  assert.match(json(['stat', img, '/g']).mtime.iso, /^1969-12-31T23:59:59\./);
  const long = ok(['ls', img, '/', '-l']).stdout;
  assert.match(long, /@9223372036854775807 +f\n/);
  assert.match(long, /1969-12-31 23:59 +g\n/);
  ok(['set-times', img, '/f', '--atime', '1700000000']);
  const dest = hostDir();
  const r = cli(['rdump', img, '/', dest]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: inode \d+: mtime 9223372036854775807 is outside the representable range, set to \+275760-09-13T00:00:00\.000Z/);
  // The host clamps further (ext4: 2446); what matters is a far-future time, not 1970 or now.
  assert.ok(fs.statSync(path.join(dest, 'f')).mtimeMs > Date.UTC(2400, 0, 1));
  assert.ok(fs.statSync(path.join(dest, 'g')).mtimeMs < 0);
});

// A JSON number rounds past 2^53 (2^64-1 printed as 18446744073709552000): such values print exact, as set-inode wrote them.
test('64-bit sizes, block counts and times print exact in stat, ls -l, history, diff and manifest', () => {
  const a = image();
  ok(['write', a, '/f', '--data', 'x']);
  ok(['write', a, '/g', '--data', 'y']);
  const b = tmpPath('hostile-exact-b.img');
  fs.copyFileSync(a, b);
  ok(['set-inode', b, '/f', 'i_size', '18446744073709551615']);
  ok(['set-inode', b, '/f', 'i_blocks', '9007199254740993']);
  ok(['set-inode', b, '/g', 'i_mtime', '9223372036854775807']);
  const j = json(['stat', b, '/f']);
  assert.equal([j.size, j.blocks], ['18446744073709551615', '9007199254740993']);
  // (2^53+1 - 1) blocks of 8 sectors, plus the inline bytes in sectors: (2^64-1 + 511) / 512.
  assert.is(j.stBlocks, String(((2n ** 53n) * 8n) + (2n ** 64n - 1n + 511n) / 512n));
  assert.match(ok(['stat', b, '/f']).stdout, /^size +18446744073709551615$/m);
  assert.match(ok(['ls', b, '/', '-l']).stdout, / 18446744073709551615 +\S+ \S+ +f\n/);
  assert.is(json(['ls', b, '/', '-l']).entries.find((e: { name: string }) => e.name === 'g').mtime, '9223372036854775807');
  assert.equal(json(['history', b, '/f']).inodes.map((c: { size: unknown }) => c.size), ['18446744073709551615']);
  failsWith(cli(['cat', b, '/f']), 3, 'CORRUPT', /i_size 18446744073709551615/);
  assert.match(cli(['fsck', b]).stdout, /inode \d+: i_blocks is 9007199254740993, the tree holds 1/);
  const diff = cli(['diff', a, b, '/g', '--json']);
  assert.is(diff.status, 1, 'diff exits 1 on a difference');
  const d = JSON.parse(diff.stdout).files[0].changes[0];
  assert.equal([d.field, d.b.split('.')[0]], ['mtime', '9223372036854775807']);
  assert.match(ok(['manifest', b, '/g']).stdout, / time=9223372036854775807\.\d+ /);
  assert.equal(fsckBoth(a).problems, [], 'the image before the injection is clean');
});

test('directory cycles: rm -r, rdump, ncheck and mv report CORRUPT with the path instead of recursing', () => {
  const img = image();
  ok(['mkdir', img, '/d']);
  ok(['mkdir', img, '/d/e']);
  ok(['mkdir', img, '/d/e/loop']);
  const d = json(['stat', img, '/d']).ino;
  ok(['set-dentry', img, '/d/e', 'loop', 'ino', String(d)]);
  failsWith(cli(['rm', img, '/d', '-r']), 3, 'CORRUPT', /\/d\/e\/loop: directory inode \d+ is its own ancestor/);
  failsWith(cli(['rdump', img, '/', hostDir()]), 3, 'CORRUPT', /\/d\/e\/loop: directory inode \d+ is already at \/d/);
  failsWith(cli(['ncheck', img, String(d)]), 3, 'CORRUPT', /\/d\/e\/loop: directory inode \d+ is already at \/d/);
  // '..' of /d/e names /d/e/f: moving /d into /d/e/f walks the '..' chain, which loops.
  ok(['mkdir', img, '/d/e/f']);
  const f = json(['stat', img, '/d/e/f']).ino;
  ok(['set-dentry', img, '/d/e', '..', 'ino', String(f)]);
  failsWith(cli(['mv', img, '/d', '/d/e/f/g']), 3, 'CORRUPT', /loop/);
});

test('a looped roll-forward chain: log shows each node once and says so; recover refuses; a node offset past the largest file is CORRUPT', () => {
  const img = image();
  const big = tmpPath('hostile-4m');
  fs.writeFileSync(big, Buffer.alloc(4 << 20, 7));
  ok(['write', img, '/big', '--from', big, '--sync', 'fsync']);
  const chain = json(['log', img]);
  assert.is(chain.nodes.length, 2);
  const [first, second] = chain.nodes;
  const ofs = tmpPath('hostile-ofs.img');
  fs.copyFileSync(img, ofs);
  ok(['set-node', img, String(second.nid), 'next_blkaddr', String(first.blkaddr), '--blkaddr', String(second.blkaddr)]);
  const looped = spawnSync(process.execPath, [RUN, 'log', img, '--json'], { encoding: 'utf8', timeout: 20000 });
  assert.is(looped.status, 0, looped.stderr);
  const l = JSON.parse(looped.stdout);
  assert.ok(l.looped);
  assert.equal(l.nodes.map((x: { blkaddr: number }) => x.blkaddr), [first.blkaddr, second.blkaddr]);
  failsWith(cli(['recover', img]), 3, 'CORRUPT', /looped node chain/);
  // The direct node claims footer offset 2^24: its file blocks lie past the largest file.
  ok(['set-node', ofs, String(second.nid), 'flag', String((1 << 24) * 8 + 2), '--blkaddr', String(second.blkaddr)]);
  failsWith(cli(['recover', ofs]), 3, 'CORRUPT', /beyond the largest file/);
});

test('lengths from disk bound loops: dump-cp of a pack with a huge cp_pack_total_block_count, rdump/cat of i_size near 2^62, a 512-byte image', () => {
  const img = image();
  ok(['set-cp', img, 'cp_pack_total_block_count', '0xfffffff0', '--pack', '1']);
  const r = spawnSync(process.execPath, [RUN, 'dump-cp', img, '--pack', '1', '--json'], { encoding: 'utf8', timeout: 20000 });
  assert.is(r.status, 0, r.stderr);
  const cp = JSON.parse(r.stdout);
  assert.is(cp.valid, false);
  assert.ok(cp.summaries.data.length <= 512);

  const img2 = image();
  ok(['write', img2, '/f', '--data', 'x']);
  ok(['set-inode', img2, '/f', 'i_size', '0x3fffffffffffff00']);
  failsWith(cli(['rdump', img2, '/', hostDir()]), 3, 'CORRUPT', /i_size .*out of range/);
  failsWith(cli(['cat', img2, '/f']), 3, 'CORRUPT', /i_size .*out of range/);

  const tiny = tmpPath('hostile-tiny.img');
  fs.writeFileSync(tiny, fs.readFileSync(img2).subarray(0, 512));
  failsWith(cli(['info', tiny]), 3, 'NOT_F2FS', /needs 2 blocks of 4096 bytes and holds 0 whole blocks/);
});

// Fuzz campaign 7001, mutants 763 and 771: an elapsed_time near 2^64 made every checkpoint written after it exit 70.
test('a checkpoint elapsed_time near 2^64: the clock of SIT mtimes and the next checkpoint wraps as get_mtime does', () => {
  const img = image();
  ok(['set-cp', img, 'elapsed_time', '18446744073709551614']);
  ok(['symlink', img, '/x', '/l', '--force']);
  const cp = json(['dump-cp', img]);
  assert.ok(cp.head.elapsed_time < 3600, `wrapped: ${cp.head.elapsed_time}`);
  assert.is(json(['readlink', img, '/l']).target, '/x');
  const both = fsckBoth(img);
  assert.equal(both.problems, []);
});

// Fuzz campaign 7001, mutant 32052: a symlink's i_size of 2^63 made readlink and stat allocate that much (exit 70).
test('a symlink whose i_size is far past a block: readlink, stat and rdump give the target cut at 4095 bytes as page_get_link does; fsck names the size', () => {
  const img = image();
  // Longer than the inline area: the target lives in a data block, as Linux's in the quota fixture did.
  const target = `/${'t'.repeat(3600)}`;
  ok(['symlink', img, target, '/l']);
  ok(['set-inode', img, '/l', 'i_size', '9223372036854775808']);
  assert.is(json(['readlink', img, '/l']).target, target);
  assert.is(cli(['stat', img, '/l']).status, 0);
  const dest = hostDir();
  ok(['rdump', img, '/', path.join(dest, 'out')]);
  assert.is(fs.readlinkSync(path.join(dest, 'out', 'l')), target);
  const f = cli(['fsck', img, '--json']);
  assert.ok(JSON.parse(f.stdout).findings.some((x: { code: string }) => x.code === 'SYMLINK_SIZE'), f.stdout);
});

test('names, link targets and values from the image reach the terminal with their control characters escaped', () => {
  const img = image();
  // OSC 52 (write the clipboard), BEL, CR (overwrite the line), a cursor move; --json and cat keep the bytes.
  const name = 'a\x1b]52;c;ZXZpbA==\x07\rX\x1b[2A';
  const shown = 'a\\x1b]52;c;ZXZpbA==\\x07\\x0dX\\x1b[2A';
  ok(['write', img, `/${name}`, '--data', 'in\x1b[31mside']);
  ok(['symlink', img, `/t${name}`, '/l']);
  ok(['xattr-set', img, `/${name}`, 'user.v', `v${name}`]);
  const terminal = (args: string[]) => {
    const r = cli(args);
    assert.not.match(r.stdout + r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, `${args[0]}: ${JSON.stringify(r.stdout + r.stderr)}`);
    return r.stdout + r.stderr;
  };
  assert.ok(terminal(['ls', img, '/']).includes(shown));
  assert.ok(terminal(['readlink', img, '/l']).includes(`t${shown}`));
  assert.ok(terminal(['xattr-get', img, `/${name}`, 'user.v']).includes(`v${shown}`));
  const entry = json(['ls', img, '/']).entries.find((e: { ino: number; name: string }) => e.name.startsWith('a'));
  assert.is(entry.name, name, '--json keeps the bytes');
  assert.ok(terminal(['ncheck', img, String(entry.ino)]).includes(shown));
  assert.ok(terminal(['cat', img, `/${name}x`]).includes(`/${shown}x`), 'an error naming it');
  assert.is(cli(['cat', img, `/${name}`]).stdout, 'in\x1b[31mside');
  assert.equal(fsckBoth(img).problems, []);
});

// Fuzz campaign 7001, mutant 56385: history of an inode whose i_mtime is 2^63-1 exited 70 (a Date out of range).
test('history and lsdel list a copy whose mtime is outside the Date range as @SECONDS', () => {
  const img = image();
  ok(['write', img, '/f', '--data', 'x']);
  ok(['write', img, '/g', '--data', 'y']);
  ok(['set-inode', img, '/f', 'i_mtime', '9223372036854775807']);
  ok(['set-inode', img, '/g', 'i_mtime', '9223372036854775807']);
  assert.match(ok(['history', img, '/f']).stdout, / @9223372036854775807 /);
  ok(['rm', img, '/g']);
  assert.match(ok(['lsdel', img]).stdout, / @9223372036854775807 /);
  assert.equal(fsckBoth(img).problems, []);
});

// The inline case is refused, as Linux 6.1 refuses it: sanity_check_inode finds inline data in an inode whose i_size is
// past MAX_INLINE_DATA (support_inline_data) and iget gives EFSCORRUPTED (checked under qemu: readlink and ls -l fail
// with "Structure needs cleaning", dmesg "should not have inline_data").
test('an inline symlink or file whose i_size is past the inline area is CORRUPT, as the kernel finds it', () => {
  const img = image();
  ok(['symlink', img, '/short', '/l']);
  ok(['write', img, '/f', '--data', 'hello']);
  ok(['set-inode', img, '/l', 'i_size', '9223372036854775808']);
  ok(['set-inode', img, '/f', 'i_size', '9000']);
  failsWith(cli(['readlink', img, '/l']), 3, 'CORRUPT', /inode \d+: inline file of \d+ bytes exceeds \d+/);
  failsWith(cli(['cat', img, '/f']), 3, 'CORRUPT', /inode \d+: inline file of 9000 bytes exceeds \d+/);
  const f = JSON.parse(cli(['fsck', img, '--json']).stdout);
  assert.equal(f.findings.filter((x: { code: string }) => x.code === 'INLINE_DATA').length, 2);
});

// Fuzz campaign 7001, mutant 140290: cat of an inline file whose i_size was 4 GiB + 6 exited 70: the read buffer was
// sized by i_size before the inline area bounded it (under 4 GiB, gigabytes allocated before the CORRUPT).
test('an inline file whose i_size is gigabytes is CORRUPT before any buffer is sized by it', () => {
  const img = image();
  ok(['write', img, '/f', '--data', 'hello']);
  ok(['set-inode', img, '/f', 'i_size', '4294967302']);
  for (const args of [['cat', img, '/f'], ['dump', img, '/f', path.join(hostDir(), 'f')]]) {
    failsWith(cli(args), 3, 'CORRUPT', /inode \d+: inline file of 4294967302 bytes exceeds \d+/);
  }
  const r = cli(['cat', img, '/f', '--json']);
  assert.is(r.status, 3);
  assert.is(JSON.parse(r.stdout).error.code, 'CORRUPT');
});

// Found beside mutant 32052 (the campaign mutates no system inode): a quota inode's i_size of 2^63 made quota and
// every write to a quota image exit 70 allocating it.
test('a quota file whose i_size is past the largest file: quota says CORRUPT, a forced write still ends cleanly', async () => {
  const img = tmpPath('hostile-quota.img');
  fs.copyFileSync(await loadFixture('quota'), img);
  const qf = json(['dump-sb', img]).superblock.qf_ino[0];
  ok(['set-inode', img, `<${qf}>`, 'i_size', '9223372036854775808']);
  failsWith(cli(['quota', img]), 3, 'CORRUPT', new RegExp(`quota inode ${qf}: i_size \\d+ is beyond the largest file`));
  assert.is(cli(['write', img, '/zz', '--data', 'x', '--force']).status, 0);
});

// Fuzz campaign 7001, mutant 1602: a checkpoint valid_inode_count of 0 and an rm --force exited 70 (a count of -1).
test('counts below zero on a damaged image written with --force stop at zero, as the kernel keeps them', () => {
  const img = image();
  ok(['write', img, '/f', '--data', 'x']);
  ok(['set-cp', img, 'valid_inode_count', '0']);
  ok(['rm', img, '/f', '--force']);
  assert.is(json(['dump-cp', img]).head.valid_inode_count, 0);
  // Still damaged as before (the count was wrong), not worse: fsck names the same count.
  const r = cli(['fsck', img, '--json']);
  assert.equal(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code), ['VALID_INODE_COUNT']);
});

test('rdump recreates fifos, sockets and device nodes with modes, owners and times; unprivileged, it lists what it could not make', () => {
  const img = image();
  ok(['mkdir', img, '/s', '--mode', '777']);
  ok(['mknod', img, '/s/fifo', 'p', '--mode', '640']);
  ok(['mknod', img, '/s/sock', 's', '--mode', '600']);
  ok(['mknod', img, '/s/null', 'c', '1', '3', '--mode', '666']);
  ok(['mknod', img, '/s/loop', 'b', '7', '200', '--mode', '660']);
  // One shell makes every node: a name with a newline, quotes and a leading dash is one argument of it.
  ok(['mknod', img, '/s/-a\n"b\' $c', 'c', '1', '5']);
  ok(['chown', img, '123:456', '/s/fifo']);
  ok(['set-times', img, '/s/null', '--mtime', '1600000000']);
  const dest = hostDir();
  const r = json(['rdump', img, '/s', dest]);
  assert.is(r.special, 5);
  assert.equal(r.skipped, []);
  const st = (p: string) => fs.lstatSync(path.join(dest, 's', p));
  assert.ok(st('fifo').isFIFO());
  assert.is(st('fifo').mode & 0o7777, 0o640);
  assert.equal([st('fifo').uid, st('fifo').gid], [123, 456]);
  assert.ok(st('sock').isSocket());
  assert.ok(st('null').isCharacterDevice());
  assert.is(st('null').rdev, (1 << 8) | 3);
  assert.is(st('null').mtimeMs, 1600000000 * 1000);
  assert.ok(st('loop').isBlockDevice());
  assert.is(st('loop').rdev, (7 << 8) | 200);
  assert.is(st('-a\n"b\' $c').rdev, (1 << 8) | 5);

  // Unprivileged (nobody): device nodes are refused per entry, the rest is made, exit 0.
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-nobody-'));
  fs.chmodSync(shared, 0o777);
  const simg = path.join(shared, 'img');
  fs.copyFileSync(img, simg);
  fs.chmodSync(simg, 0o644);
  const out = path.join(shared, 'out');
  // The CLI itself (one bundle) copied where nobody can read it: the checkout may sit in a 0700 directory (mktemp -d).
  const cliCopy = path.join(shared, 'cli');
  for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(cliCopy, part), { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', cliCopy]);
  const u = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(cliCopy, 'bin/run.js'), 'rdump', simg, '/s', out, '--json'], { encoding: 'utf8' });
  assert.is(u.status, 0, u.stderr);
  const ur = JSON.parse(u.stdout);
  assert.equal(ur.skipped.map((s: { path: string }) => s.path).sort(), ['/s/-a\n"b\' $c', '/s/loop', '/s/null']);
  assert.ok(ur.skipped.every((s: { why: string }) => /not permitted/i.test(s.why)), JSON.stringify(ur.skipped));
  assert.is(ur.special, 2);
  assert.ok(ur.warnings.some((w: string) => /owners not restored/.test(w)));
  fs.rmSync(shared, { recursive: true, force: true });
});

test.run();
