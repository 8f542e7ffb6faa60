// CLI infrastructure: bin/run.js as a child process (output, --json, exit statuses, error lines), and the
// programmatic runWith() path the shell and batch runner use.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Args, Command, Config } from '@oclif/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isInImage } from '../src/cli/args.js';
import { F2fsCommand, VolumeCommand, imageArg, type CmdArgs } from '../src/cli/base.js';
import { confirm } from '../src/cli/prompt.js';
import { Session } from '../src/cli/session.js';
import { Shell } from '../src/cli/shell.js';
import { hexdump, humanSize, kv, table, toJsonValue } from '../src/cli/render.js';
import Cat from '../src/commands/cat.js';
import DumpSb from '../src/commands/dump-sb.js';
import Write from '../src/commands/write.js';
import { F2fsError } from '../src/errors.js';
import { Volume } from '../src/fs/volume.js';
import { EXTRA_FEATURES, mkfsImage, sha256, tmpPath } from './helpers/images.js';
import { fsckBoth } from './helpers/fsck.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const UUID = '6f2a1c3e-1111-4222-8333-944455556666'; // what helpers/images.ts gives mkfs.f2fs -U

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Ran {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The superblock section of `dump.f2fs -d 1` as name → decimal value. */
function dumpF2fsSuperblock(image: string): Record<string, number> {
  const out = execFileSync('dump.f2fs', ['-d', '1', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const section = out.slice(out.indexOf('| Super block'), out.indexOf('| Checkpoint'));
  const fields: Record<string, number> = {};
  for (const m of section.matchAll(/^(\w+)\s+\[0x\s*[0-9a-f]+ : (\d+)\]/gm)) fields[m[1]] = Number(m[2]);
  return fields;
}

const plain = mkfsImage('plain.img', 64);
const featured = mkfsImage('featured.img', 128, EXTRA_FEATURES);

test('dump-sb prints the magic, the copy used and the feature names', () => {
  const r = cli(['dump-sb', featured]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /^Superblock copy 0 \(byte 1024\)$/m);
  assert.match(r.stdout, /^magic\s+0xf2f52010$/m);
  for (const f of EXTRA_FEATURES.split(',')) assert.match(r.stdout, new RegExp(`^feature\\s.*\\b${f}\\b`, 'm'));
  assert.match(r.stdout, new RegExp(`^uuid\\s+${UUID}$`, 'm'));
  assert.match(r.stdout, /^block_count\s+32768 \(0x8000\)$/m);
  assert.not.match(r.stdout, /\x1b\[/, 'no colour into a pipe');
});

test('dump-sb --json matches dump.f2fs field by field', () => {
  const r = cli(['dump-sb', plain, '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.copy, 0);
  assert.is(j.offset, 1024);
  assert.equal(j.problems, []);
  const sb = j.superblock;
  assert.is(sb.magic, 0xf2f52010);
  assert.is(sb.block_count, (64 * 1024 * 1024) / 4096);
  assert.is(sb.uuid, UUID);
  assert.is(sb.volume_name, '');
  assert.type(sb.version, 'string');
  assert.ok(Array.isArray(sb.features) && Array.isArray(sb.extension_list));
  assert.is(sb.extension_list.length, sb.extension_count + sb.hot_ext_count);
  assert.is(sb.encrypt_pw_salt, '0'.repeat(32), 'buffers as hex');
  const ref = dumpF2fsSuperblock(plain);
  assert.ok(Object.keys(ref).length > 20, 'dump.f2fs output parsed');
  for (const [name, value] of Object.entries(ref)) {
    if (name in sb) assert.is(sb[name], value, `${name} differs from dump.f2fs`);
  }
});

test('--json with features, and --io-stats inside the JSON', () => {
  const r = cli(['dump-sb', featured, '--json', '--io-stats']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.superblock.features, EXTRA_FEATURES.split(',').sort((a, b) => order(a) - order(b)));
  assert.ok(j.io.blocksRead >= 1);
  assert.equal(Object.keys(j.io).sort(), ['blocksRead', 'blocksWritten', 'cacheHits', 'flushes']);
  assert.is(j.io.blocksWritten, 0);
});

const FEATURE_ORDER = ['extra_attr', 'inode_checksum', 'flexible_inline_xattr', 'inode_crtime', 'lost_found', 'sb_checksum'];
const order = (f: string) => FEATURE_ORDER.indexOf(f);

test('--io-stats prints one line on stderr', () => {
  const r = cli(['dump-sb', plain, '--io-stats', '--cache-mb', '1']);
  assert.is(r.status, 0);
  assert.match(r.stderr, /^io: blocks read \d+, blocks written 0, flushes 0, cache hits \d+\n$/);
});

test('a non-F2FS file: exit 3, one line on stderr, no stack, file unchanged', () => {
  const junk = tmpPath('random.img');
  fs.writeFileSync(junk, Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24)));
  const before = sha256(junk);
  const r = cli(['dump-sb', junk]);
  assert.is(r.status, 3);
  assert.is(r.stdout, '');
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  assert.match(r.stderr, /^f2fsdbg: NOT_F2FS: .+\(while reading the superblock\)\n$/);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.is(sha256(junk), before);

  const j = cli(['dump-sb', junk, '--json']);
  assert.is(j.status, 3);
  assert.is(j.stderr, '');
  const e = JSON.parse(j.stdout).error;
  assert.is(e.code, 'NOT_F2FS');
  assert.equal(e.context, ['while reading the superblock']);
  assert.is(sha256(junk), before);
});

test('a missing image: ENOENT naming the file, exit 1', () => {
  const missing = tmpPath('no-such.img');
  const r = cli(['dump-sb', missing]);
  assert.is(r.status, 1);
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  assert.match(r.stderr, /^f2fsdbg: ENOENT: .*no-such\.img/);
  assert.not.ok(fs.existsSync(missing), 'not created');
});

test('usage errors exit 2 with one line', () => {
  for (const args of [['dump-sb'], ['dump-sb', plain, '--bogus'], ['dump-sb', plain, 'extra'], ['dump-sb', plain, '--cache-mb', 'x']]) {
    const r = cli(args);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stdout, '');
    assert.match(r.stderr, /^f2fsdbg: USAGE: [^\n]+\n$/, args.join(' '));
  }
  const j = cli(['dump-sb', '--json']);
  assert.is(j.status, 2);
  assert.is(JSON.parse(j.stdout).error.code, 'USAGE');
});

test('an unknown command exits non-zero with one line', () => {
  const r = cli(['no-such-command', plain]);
  assert.is(r.status, 2);
  assert.is(r.stderr, "f2fsdbg: USAGE: unknown command 'no-such-command' (see f2fsdbg --help)\n");
});

test('--help lists dump-sb and the global flags', () => {
  const top = cli(['--help']);
  assert.is(top.status, 0);
  assert.match(top.stdout, /dump-sb\s+Show every superblock field/);
  const sub = cli(['dump-sb', '--help']);
  assert.is(sub.status, 0);
  assert.match(sub.stdout, /GLOBAL FLAGS/);
  for (const f of ['--json', '--io-stats', '--cache-mb']) assert.match(sub.stdout, f);
});

test('a missing arg without a terminal: the usage error, no prompt', () => {
  const cases: [string[], string][] = [
    [['cat', plain], 'Missing 1 required arg: filespec (see f2fsdbg cat --help)'],
    [['write', plain, '--data', 'x'], 'Missing 1 required arg: path (see f2fsdbg write --help)'],
    [['cat'], 'Missing 2 required args: image; filespec (see f2fsdbg cat --help)'],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stdout, '');
    assert.is(r.stderr, `f2fsdbg: USAGE: ${message}\n`);
  }
});

test('stdin never fills an arg: a piped line is not taken for a missing one', () => {
  // oclif reads a missing arg from a piped stdin: `echo 3 | f2fsdbg bmap IMG /f` mapped block 3 only, and
  // `echo /f | f2fsdbg cat IMG` printed /f.
  const img = tmpPath('cli-stdin.img');
  fs.copyFileSync(plain, img);
  assert.is(cli(['write', img, '/f', '--data', 'x'.repeat(3 * 4096)]).status, 0);
  const piped = (args: string[], input: string) => {
    const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', input });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const map = piped(['bmap', img, '/f', '--json'], '1\n');
  assert.is(map.status, 0, map.stderr);
  assert.is(JSON.parse(map.stdout).mapped, 3);
  const cat = piped(['cat', img], '/f\n');
  assert.is(cat.status, 2);
  assert.is(cat.stderr, 'f2fsdbg: USAGE: Missing 1 required arg: filespec (see f2fsdbg cat --help)\n');
  assert.equal(fsckBoth(img).problems, []);
});

const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';
const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

/** What bash offers for the last of `words` (a completion as Tab sees it), with the script sourced. */
function bashComplete(script: string, words: string[]): string[] {
  const body = `source ${BASH_COMPLETION}; source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; _f2fsdbg_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', body, 'bash', script, ...words], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('autocomplete: bash and zsh scripts complete our commands and their flags', () => {
  const cache = tmpPath('ac-cache');
  const env = { XDG_CACHE_HOME: cache };
  for (const shell of ['bash', 'zsh']) {
    const r = cli(['autocomplete', shell], env);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, `f2fsdbg autocomplete script ${shell}`, 'setup instructions');
    const s = cli(['autocomplete', 'script', shell], env);
    assert.is(s.status, 0, s.stderr);
    assert.match(s.stdout, `F2FSDBG_AC_${shell.toUpperCase()}_SETUP_PATH=${cache}/f2fsdbg/autocomplete/${shell}_setup`);
  }
  const functions = path.join(cache, 'f2fsdbg/autocomplete/functions');
  const bash = path.join(functions, 'bash/f2fsdbg.bash');
  const bashText = fs.readFileSync(bash, 'utf8');
  assert.match(bashText, /^cat --json --io-stats --trace-io --wait --cache-mb --key --staged$/m);
  assert.match(bashText, /^write [^\n]* --sync --timestamp --fs-mode --force --from --data --offset --append --truncate --mode --compress-ext --nocompress-ext --compress-algorithm --compress-log-size --compress-chksum$/m);
  assert.not.match(bashText, /^autocomplete:script/m, 'hidden commands left out');
  const zsh = path.join(functions, 'zsh/_f2fsdbg');
  const zshText = fs.readFileSync(zsh, 'utf8');
  assert.match(zshText, /^"cat:Write a file's content to stdout\."$/m);
  const catCase = zshText.slice(zshText.indexOf('\ncat)\n'), zshText.indexOf(';;', zshText.indexOf('\ncat)\n')));
  assert.match(catCase, /^\s*"--staged\[/m, 'cat) lists --staged');
  // README line 2 installs both shells' pieces: without them this test fails rather than passing unchecked.
  assert.ok(fs.existsSync(BASH_COMPLETION), `${BASH_COMPLETION} missing (package bash-completion)`);
  assert.equal(bashComplete(bash, ['f2fsdbg', 'wr']), ['write']);
  assert.equal(bashComplete(bash, ['f2fsdbg', 'ls', '/tmp/disk.img', '--j']), ['--json'], 'a flag after IMAGE');
  assert.equal(bashComplete(bash, ['f2fsdbg', 'cat', 'disk.img', '/a/b', '--st']), ['--staged']);
  assert.ok(hasZsh, 'zsh missing (package zsh)');
  const check = spawnSync('zsh', ['-n', zsh], { encoding: 'utf8' });
  assert.is(check.status, 0, `zsh -n: ${check.stderr}`);
});

// ---- programmatic use (shell / batch runner) ----

async function testConfig(): Promise<Config> {
  return Config.load({ root: ROOT, pjson: { name: 'f2fsdbg', version: '0.0.0', oclif: { bin: 'f2fsdbg' } } as never });
}

test('the shell prompt shows a working directory whose name carries terminal controls escaped', async () => {
  const img = tmpPath('cli-prompt.img');
  fs.copyFileSync(plain, img);
  const dir = '/d\x1b]0;title\x07';
  assert.is(cli(['mkdir', img, dir]).status, 0);
  const session = new Session({ config: await testConfig(), readOnly: true, quiet: true, stdout: () => {}, stderr: () => {} });
  await session.open(img);
  try {
    const r = await session.execLine(`cd "${dir}"`);
    assert.is(r?.status ?? 0, 0);
    assert.is(new Shell(session).prompt(), 'f2fsdbg:cli-prompt.img:/d\\x1b]0;title\\x07> ');
  } finally {
    session.close(false);
  }
  assert.equal(fsckBoth(img).problems, []);
});

test('runWith on an open volume: no IMAGE arg, output captured, volume left open', async () => {
  const config = await testConfig();
  const vol = Volume.open(plain, { readOnly: true });
  try {
    const out: string[] = [];
    const err: string[] = [];
    const r = await DumpSb.runWith({ config, vol, stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, ['--json', '--io-stats']);
    assert.is(r.status, 0);
    assert.is(r.result?.superblock.uuid, UUID);
    const j = JSON.parse(out.join('\n'));
    assert.is(j.superblock.block_count, 16384);
    assert.type(j.io.blocksRead, 'number');
    assert.equal(err, []);
    assert.is(vol.sb.magic, 0xf2f52010, 'still usable');

    const bad = await DumpSb.runWith({ config, vol, stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, ['extra-arg']);
    assert.is(bad.status, 2);
    assert.is(bad.error?.code, 'USAGE');
    assert.is(err.length, 1);
    assert.is(process.exitCode ?? 0, 0, 'runWith leaves process.exitCode alone');
  } finally {
    vol.close();
  }
});

test('a missing arg under runWith outside the interactive shell: the usage error, no prompt', async () => {
  const config = await testConfig();
  const vol = Volume.open(plain, { readOnly: true });
  // As if on a terminal: only the missing interactive shell (no terminal lender) stops the prompt here.
  const tty = [process.stdin.isTTY, process.stderr.isTTY];
  process.stdin.isTTY = true;
  process.stderr.isTTY = true;
  try {
    const err: string[] = [];
    const r = await Cat.runWith({ config, vol, stdout: () => {}, stderr: (s) => err.push(s) }, []);
    assert.is(r.status, 2);
    assert.is(err.length, 1);
    assert.match(err[0], /^f2fsdbg: USAGE: Missing 1 required arg: filespec\b/);
  } finally {
    [process.stdin.isTTY, process.stderr.isTTY] = tty;
    vol.close();
  }
  assert.ok(isInImage(Cat.args.filespec) && isInImage(Write.args.path), 'paths in the image get the picker');
  assert.not.ok(isInImage(Cat.args.image), 'IMAGE is a host file');
});

/** A VolumeCommand as a real one would be written: IMAGE plus one arg, one operation, a render. */
class RootIno extends VolumeCommand<typeof RootIno, { root: number; extra?: string }> {
  static override id = 'root-ino';
  static override args = { image: imageArg(), extra: Args.string({ description: 'fail with this text' }) };
  protected async execute(vol: Volume, args: CmdArgs<typeof RootIno>) {
    if (args.extra) throw new F2fsError('EINVAL', args.extra);
    return { root: vol.sb.root_ino };
  }
  protected override render(r: { root: number }) {
    this.out(`root ${r.root}`);
  }
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

test('VolumeCommand opens IMAGE read-only and closes it, on success and on failure', async () => {
  const config = await testConfig();
  const out: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
  const fds = openFds();
  const ok = await RootIno.runWith({ config, ...io }, [plain]);
  assert.is(ok.status, 0);
  assert.equal(out, ['root 3']);
  assert.is(openFds(), fds, 'volume closed');
  const bad = await RootIno.runWith({ config, ...io }, [plain, 'nope']);
  assert.is(bad.status, 1);
  assert.is(out[1], 'f2fsdbg: EINVAL: nope');
  assert.is(openFds(), fds, 'volume closed after an error');
  const vol = Volume.open(plain, { readOnly: true });
  try {
    const shared = await RootIno.runWith({ config, vol, ...io }, ['--json']);
    assert.equal(shared.result, { root: 3 });
    assert.is(vol.sb.root_ino, 3, 'shared volume left open');
  } finally {
    vol.close();
  }
});

class Boom extends F2fsCommand<typeof Boom, { ok: boolean }> {
  static override id = 'boom';
  protected async invoke(): Promise<{ ok: boolean }> {
    (undefined as unknown as { x: () => void }).x();
    return { ok: true };
  }
}

test('an unexpected exception: status 70, one line, stack only with F2FSDBG_DEBUG=1', async () => {
  const config = await testConfig();
  const lines: string[] = [];
  const run = () => Boom.runWith({ config, stdout: (s) => lines.push(s), stderr: (s) => lines.push(s) }, []);
  const saved = process.env.F2FSDBG_DEBUG;
  try {
    delete process.env.F2FSDBG_DEBUG;
    let r = await run();
    assert.is(r.status, 70);
    assert.is(lines.length, 1);
    assert.match(lines[0], /^f2fsdbg: INTERNAL: TypeError: /);
    lines.length = 0;
    process.env.F2FSDBG_DEBUG = '1';
    r = await run();
    assert.is(r.status, 70);
    assert.is(lines.length, 2);
    assert.match(lines[1], /\n\s+at /);
  } finally {
    if (saved === undefined) delete process.env.F2FSDBG_DEBUG;
    else process.env.F2FSDBG_DEBUG = saved;
  }
  assert.ok(Boom.prototype instanceof Command);
});

// ---- render helpers ----

test('render: hexdump like xxd, sizes, kv, table without colour, stable JSON', () => {
  const buf = Buffer.from('\x10\x20\xf5\xf2hello, world!!!\x00\x01', 'latin1');
  assert.is(
    hexdump(buf, 0x1000),
    '00001000: 1020 f5f2 6865 6c6c 6f2c 2077 6f72 6c64  . ..hello, world\n' +
      '00001010: 2121 2100 01                             !!!..',
  );
  const zeros = hexdump(Buffer.alloc(64), 0, { skipZero: true }).split('\n');
  assert.equal(zeros.length, 3);
  assert.is(zeros[1], '*');
  assert.is(humanSize(512), '512 B');
  assert.is(humanSize(4096), '4 KiB');
  assert.is(humanSize(1536 * 1024), '1.5 MiB');
  assert.is(humanSize(64 * 1024 * 1024), '64 MiB');
  assert.is(kv([['a', 1], ['long_key', 'x\ny']]), 'a         1\nlong_key  x\n          y');
  const t = table(['nid', 'name'], [[3, 'root']], { colour: false });
  assert.not.match(t, /\x1b\[/);
  assert.match(t, /│ nid │ name │/);
  assert.equal(toJsonValue({ b: Buffer.from([1, 255]), n: 2n ** 64n, u: undefined, m: new Map([[1, 2]]) }), { b: '01ff', n: '18446744073709551616', m: { 1: 2 } });
});

test('prompts: no terminal means a USAGE error, --yes answers', async () => {
  assert.is(await confirm('Overwrite?', { assumeYes: true }), true);
  if (process.stdin.isTTY && process.stderr.isTTY) return; // would really ask
  try {
    await confirm('Overwrite?');
    assert.unreachable('should refuse without a terminal');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'USAGE');
  }
});

test('the bundle stays lean: no inquirer (lazy), no TypeScript compiler', () => {
  const bundle = fs.readFileSync(path.join(ROOT, 'dist/cli.cjs'), 'utf8');
  assert.not.ok(bundle.includes('node_modules/@inquirer/'), 'inquirer is bundled');
  // 1.06 MB with compression codecs, fscrypt, quota and the casefold tables (37 KB); a heavy package would be far more.
  assert.ok(bundle.length < 1.25 * 1024 * 1024, `dist/cli.cjs is ${bundle.length} bytes`);
});

test.run();
