// import's owners, modes and capabilities against Android's own lookup code: libcutils' fs_config() (import
// --product-out, sload.f2fs -p: the binary fs_config_dirs/fs_config_files of each partition) and canned_fs_config()
// (import --fs-config, sload.f2fs -C). Debian's sload.f2fs has neither, so the reference is libcutils itself: its
// answers for this tree are in fixtures/android/libcutils-fs-config.json (see "source" there), from libcutils'
// fs_config.cpp and canned_fs_config.cpp as they are, and from fs_config.cpp with its built-in tables emptied
// (what --product-out applies: the override files, then root 0755/0644).
// With F2FSDBG_LIBCUTILS (and F2FSDBG_LIBCUTILS_NO_BUILTINS) naming such a lookup program (stdin "d|f PATH" lines,
// stdout "= PATH uid gid mode-octal 0xcaps"; -p DIR or -C FILE as fs_config's arguments), the answers are asked anew
// and the JSON file rewritten.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { walkTree } from '../src/api.js';
import { listXattrs } from '../src/fs/xattr.js';
import { CAPABILITY_XATTR, decodeCapabilities } from '../src/debugfs/android.js';
import { fnmatchRegExp, fsConfigFile, parseFsConfigBinary, ProductOutConfig } from '../src/debugfs/fs-config.js';
import { fsConfigBinary, writeProductOut, type FsConfigRecord } from './helpers/android.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, tmpPath, withVol } from './helpers/images.js';
import { runInVm, shq, vmAvailable } from './helpers/vm.js';

const GOLDEN = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/android/libcutils-fs-config.json');

/** The host tree, as paths of the image mounted at "/" (a trailing '/' marks a directory). */
const TREE = [
  'system/', 'system/bin/', 'system/bin/sh', 'system/bin/ping', 'system/bin/su-helper', 'system/bin/run-as',
  'system/bin/hw/', 'system/bin/hw/daemon', 'system/xbin/', 'system/xbin/tool', 'system/lib64/', 'system/lib64/libc.so',
  'system/lib64/libc.txt', 'system/etc/', 'system/etc/hosts', 'system/etc/rc.local', 'system/etc/99-net',
  'system/vendor/', 'system/vendor/bin/', 'system/vendor/bin/vnd', 'system/system_ext/', 'system/system_ext/bin/',
  'system/system_ext/bin/x', 'vendor/', 'vendor/bin/', 'vendor/bin/vnd', 'vendor/bin/hw/',
  'vendor/bin/hw/android.hardware.power', 'vendor/odm/', 'vendor/odm/bin/', 'vendor/odm/bin/tool', 'product/',
  'product/app/', 'product/app/Alpha.apk', 'product/app/Beta.apk', 'product/app/Zeta.apk', 'oem/', 'oem/etc/',
  'oem/etc/thing', 'data/', 'data/misc/', 'data/misc/file', 'init.rc', 'README', 'sh',
];

const r = (pattern: string, uid: number, gid: number, mode: number, capabilities = 0n): FsConfigRecord => ({ pattern, uid, gid, mode, capabilities });

/** The override files: wildcards, brackets, partition aliases, shadowed rules (first match wins), high capability bits. */
const PRODUCT_OUT = {
  system: {
    dirs: [r('system/bin/', 0, 2000, 0o711), r('data/*', 1000, 1000, 0o771), r('data', 1, 1, 0o700)],
    files: [
      r('system/bin/ping', 0, 2000, 0o750, 1n << 13n), // CAP_NET_RAW
      r('system/bin/su*', 0, 2000, 0o4750),
      r('system/bin/su-helper', 5, 5, 0o700), // shadowed by the line above
      r('system/xbin/*', 0, 2000, 0o750, (1n << 6n) | (1n << 7n)), // CAP_SETGID | CAP_SETUID
      r('system/lib*/*.so', 0, 0, 0o444), // '*' crosses '/'
      r('system/etc/[[:digit:]]*', 0, 1000, 0o640),
    ],
  },
  vendor: {
    dirs: [r('vendor', 0, 2000, 0o751)], // also system/vendor/..., through the partition alias
    files: [
      r('system/bin/ping', 9, 9, 0o777), // shadowed: the system file comes first
      r('system/bin/run-as', 0, 2000, 0o750, 1n << 36n), // an override beats libcutils' built-in entry
      r('vendor/bin/vnd', 1000, 2000, 0o755),
      r('vendor/bin/hw/android.hardware.*', 1000, 1000, 0o755, (1n << 36n) | (1n << 35n)), // CAP_BLOCK_SUSPEND | CAP_WAKE_ALARM
    ],
  },
  oem: { files: [r('oem/etc/th?ng', 2, 3, 0o600)] },
  odm: { files: [r('odm/bin/tool', 1000, 2000, 0o750, 1n << 10n)] }, // vendor/odm/bin/tool too
  product: { files: [r('product/app/[A-C]*', 1000, 1000, 0o640), r('product/app/[!A-C]*', 1001, 1001, 0o604)] },
  system_ext: { files: [r('system_ext/bin/*', 0, 2000, 0o755, 1n << 1n)] }, // system/system_ext/bin/x
};

/** A canned fs_config for the same tree under --mount-point /, with libcutils' quirks at the end. */
function cannedConfig(): string {
  const lines = TREE.map((p, i) => `${p.replace(/\/$/, '')} ${i} ${1000 + i} ${(p.endsWith('/') ? 0o750 : 0o640).toString(8)} capabilities=0x${(BigInt(i) << BigInt(i)).toString(16)}`);
  lines.push(
    '/system/bin/ping 0 2000 0750 capabilities=8192', // a later duplicate wins; a leading '/' is dropped; decimal
    'system/bin/sh 0 2000 0755 selabel=u:object_r:shell_exec:s0 capabilities=010', // octal (strtoll base 0); selabel ignored
    ' 0 0 0755', // the root, written as a space
  );
  return `${lines.join('\n')}\n`;
}

interface Golden {
  source: string;
  inputs: Record<string, string>;
  libcutils: Record<string, string>;
  builtinsEmptied: Record<string, string>;
  canned: Record<string, string>;
}

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
const key = (p: string) => p.replace(/\/$/, '');

let productOut: string;
let canned: string;
let src: string;
let golden: Golden;

/** Every input file, by its path below productOut (and "canned"), with its digest. */
function inputs(): Record<string, string> {
  const out: Record<string, string> = { canned: sha(fs.readFileSync(canned)) };
  for (const part of Object.keys(PRODUCT_OUT)) {
    for (const dir of [true, false]) {
      const f = fsConfigFile(productOut, part, dir);
      if (fs.existsSync(f)) out[path.relative(productOut, f)] = sha(fs.readFileSync(f));
    }
  }
  return out;
}

/** The lookup program's answers for every path of TREE. */
function ask(program: string, args: string[]): Record<string, string> {
  const run = spawnSync(program, args, { input: TREE.map((p) => `${p.endsWith('/') ? 'd' : 'f'} ${key(p)}\n`).join(''), encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  const out: Record<string, string> = {};
  for (const m of run.stdout.matchAll(/^= (\S+) (.*)$/gm)) out[m[1]] = m[2];
  return out;
}

/** uid, gid, permission bits (octal) and capabilities (hex) of every entry of the image but its root, as the program prints them. */
function resolved(img: string): Record<string, string> {
  return withVol(img, (vol) => {
    const out: Record<string, string> = {};
    walkTree(vol, (p, d) => {
      const info = vol.inode(d.ino);
      const cap = listXattrs(info, vol.nm).find((x) => x.name === CAPABILITY_XATTR);
      const caps = cap ? decodeCapabilities(cap.value) : 0n;
      out[p.slice(1)] = `${info.inode.i_uid} ${info.inode.i_gid} ${(info.inode.i_mode & 0o7777).toString(8)} 0x${caps!.toString(16)}`;
    });
    return out;
  });
}

test('setup: the tree, the override files and the canned fs_config are the ones libcutils answered for', () => {
  productOut = tmpPath('out');
  writeProductOut(productOut, PRODUCT_OUT);
  canned = tmpPath('fs_config');
  fs.writeFileSync(canned, cannedConfig());
  src = tmpPath('tree');
  for (const p of TREE) {
    const full = path.join(src, p);
    if (p.endsWith('/')) fs.mkdirSync(full, { recursive: true });
    else if (p === 'sh') fs.symlinkSync('system/bin/sh', full);
    else fs.writeFileSync(full, `${p}\n`);
  }
  if (process.env.F2FSDBG_LIBCUTILS && process.env.F2FSDBG_LIBCUTILS_NO_BUILTINS) {
    const fresh: Golden = {
      source:
        'Answers of a lookup program compiled from AOSP platform/system/core (commit a3b721a32242006b59cb12bd62c9133632af3a2d) ' +
        'libcutils/fs_config.cpp and canned_fs_config.cpp with their headers, calling fs_config(path, dir, -p DIR) and ' +
        'canned_fs_config(path) for each path; builtinsEmptied: the same with android_dirs/android_files emptied.',
      inputs: inputs(),
      libcutils: ask(process.env.F2FSDBG_LIBCUTILS, ['-p', productOut]),
      builtinsEmptied: ask(process.env.F2FSDBG_LIBCUTILS_NO_BUILTINS, ['-p', productOut]),
      canned: ask(process.env.F2FSDBG_LIBCUTILS, ['-C', canned]),
    };
    fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
    fs.writeFileSync(GOLDEN, `${JSON.stringify(fresh, null, 2)}\n`);
  }
  golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8'));
  assert.equal(inputs(), golden.inputs, 'the inputs the answers are for');
  assert.is(Object.keys(golden.canned).length, TREE.length);
});

test('import --product-out: owners, modes and capabilities equal libcutils fs_config() but for the paths only its built-in table names', () => {
  const img = mkfsImage('import-p.img');
  const out = JSON.parse(cliOk(['import', img, src, '/', '--product-out', `${productOut}/system/`, '--json']));
  const ours = resolved(img);
  assert.equal(ours, golden.builtinsEmptied);
  // Where libcutils answers from its compiled-in tables instead, we give root 0755/0644: these paths only.
  const differ = Object.keys(ours).filter((p) => ours[p] !== golden.libcutils[p]);
  assert.equal(differ.sort(), ['init.rc', 'system/bin/hw/daemon', 'system/bin/sh', 'system/etc/rc.local', 'system/system_ext/bin', 'system/xbin']);
  for (const p of differ) assert.match(ours[p], /^0 0 (755|644) 0x0$/, p);
  // --json lists the entries no rule named (no rule here gives exactly root 0755/0644).
  const defaults = Object.keys(ours).filter((p) => /^0 0 (755|644) 0x0$/.test(ours[p]));
  assert.equal(out.defaulted.sort(), defaults.map((p) => `/${p}`).sort());
  assert.ok(defaults.length > differ.length && differ.every((p) => defaults.includes(p)));
  assert.is(ours['system/bin/ping'], '0 2000 750 0x2000');
  assert.is(ours['vendor/bin/hw/android.hardware.power'], '1000 1000 755 0x1800000000');
  assert.equal(fsckBoth(img).problems, []);
});

test('Linux reads the same owners, modes and security.capability (vfs_cap_data revision 2) from the --product-out image', async () => {
  const vm = vmAvailable();
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const img = tmpPath('import-p.img');
  const script = [
    'mount -t f2fs -o ro /dev/vda /mnt || exit 9',
    'cd /mnt',
    ...TREE.map((p) => `echo "S|$(stat -c '%n %u %g %a' ${shq(key(p))})"; guest-util xattr list ${shq(key(p))} | sed 's/^/X|/'`),
    'cd /; umount /mnt',
  ].join('\n');
  const run = await runInVm({ disks: [img], script, timeoutMs: 300_000 });
  assert.is(run.status, 0, run.output);
  const linux: Record<string, string> = {};
  for (const m of run.output.matchAll(/^S\|(\S+) (\d+ \d+ [0-7]+)$/gm)) linux[m[1]] = `${m[2]} 0x0`;
  for (const m of run.output.matchAll(/^X\|(\S+)\tsecurity\.capability\t([0-9a-f]+)$/gm)) {
    linux[m[1]] = linux[m[1]].replace(/0x0$/, `0x${decodeCapabilities(Buffer.from(m[2], 'hex'))!.toString(16)}`);
    assert.match(m[2], /^01000002/, 'magic_etc: revision 2, effective');
  }
  assert.equal(linux, golden.builtinsEmptied);
});

test('import --fs-config equals libcutils canned_fs_config() (a later duplicate wins, octal capabilities), and ignores --product-out', () => {
  const img = mkfsImage('import-canned.img');
  cliOk(['import', img, src, '/', '--fs-config', canned, '--product-out', tmpPath('no-such-dir')]);
  assert.equal(resolved(img), golden.canned);
  assert.equal(fsckBoth(img).problems, []);
});

test('fs_config_* records: fs_config_generate padding, directory patterns, and what libcutils would read only in part is refused', () => {
  const buf = fsConfigBinary([r('system/bin/', 0, 2000, 0o751), r('a', 1, 2, 0o700, 5n)]);
  assert.is(buf.length, 32 + 24);
  const rules = parseFsConfigBinary(buf, 'f', true);
  assert.equal(rules[0].match, /^\x73\x79\x73\x74\x65\x6d\x2f\x62\x69\x6e\x2f[^]*$/);
  assert.equal(rules[1].entry, { uid: 1, gid: 2, mode: 0o700, capabilities: 5n });
  assert.throws(() => parseFsConfigBinary(buf.subarray(0, 48), 'f', false), /f: record at byte 32: length 24 runs past the end/);
  assert.throws(() => parseFsConfigBinary(Buffer.concat([buf, Buffer.alloc(4)]), 'f', false), /4 bytes left, short of a 16-byte header/);
  const noNul = Buffer.from(buf.subarray(32));
  noNul.fill(0x61, 16);
  assert.throws(() => parseFsConfigBinary(noNul, 'f', false), /no terminating NUL/);
  const short = Buffer.from(buf.subarray(32));
  short.writeUInt16LE(16, 0);
  assert.throws(() => parseFsConfigBinary(short, 'f', false), /length 16 does not pass the 16-byte header/);

  const bad = tmpPath('bad-out');
  fs.mkdirSync(path.join(bad, 'vendor/etc'), { recursive: true });
  fs.writeFileSync(path.join(bad, 'vendor/etc/fs_config_files'), short);
  const img = mkfsImage('import-bad-p.img');
  assert.match(cli(['import', img, src, '/', '-p', bad]).stderr, /USAGE: .*vendor\/etc\/fs_config_files: record at byte 0/);
});

/** fnmatch(pattern, string, FNM_NOESCAPE) as glibc 2.36 answers in the C locale: bracket expressions at their edges. */
const GLIBC_FNMATCH: [string, string, boolean][] = [
  ["[^.[]", "]", true],
  ["[:alpha:][:digit:]*", "::!11", true],
  ["[?[=a=]:]", ":", true],
  ["[:nope:]", ":", true],
  ["[", "[", true],
  ["[].\\[.a.]]", "a", true],
  ["[.a.]", "a", true],
  ["[.?[:alpha:]![=a=]]", ".", true],
  ["*[.a.]", ".", true],
  ["*[!?*:]", "1]/\\", true],
  ["[a^[.-.]^]?", "a/", true],
  ["[!b^]", ".", true],
  ["[:upper:]?", ":.", true],
  ["*[=a=]", "1^.-1a", true],
  ["[*", "[1", true],
  ["[.??]", ".", true],
  ["**][", "b\\1b][", true],
  ["?[:upper:]", "b:", true],
  ["[.a.]*", "a^1^[:", true],
  ["*[:alpha:]", "a", true],
  ["--[=a=]*[:upper:]*-", "/", false],
  [":\\^-[[", "-bbaA", false],
  ["][a", ":/-]1", false],
  ["[.-.][", "^.A", false],
  ["[/!", "/^:/", false],
  ["\\[b", "\\\\![-", false],
  ["![][:upper:]", "/.", false],
  ["a?[:nope:].", "..a[.", false],
  ["]\\[=a=]", "A", false],
  [".[:upper:][.a.][.a.]?::", "/!\\\\a", false],
  ["][.a.]aa[:upper:]\\", "AbA/-[", false],
  ["[.a.]]*a[=a=]", "a-1", false],
  ["?[:alpha:]", "a.", false],
  ["\\[:alpha:]-", ".", false],
  ["^]![:upper:]", "Ab", false],
  ["[[:upper:]", "/]..^", false],
  ["].[*-", "-\\", false],
  ["][:alpha:]", "1[", false],
  ["\\[", "!", false],
  ["[[:alpha:][.a.]**?!", "![.", false],
];

test('fs_config paths and patterns: the product out directory may end in /system; fnmatch without FNM_PATHNAME', () => {
  for (const d of ['/o', '/o/', '/o/system', '/o/system/']) assert.is(fsConfigFile(d, 'vendor', true), '/o/vendor/etc/fs_config_dirs');
  assert.ok(fnmatchRegExp('a/*').test('a/b/c'));
  assert.ok(fnmatchRegExp('a?c').test('a/c'));
  assert.ok(fnmatchRegExp('[]x]').test(']'));
  assert.ok(fnmatchRegExp('[!a]').test('/'));
  assert.ok(fnmatchRegExp('a[b').test('a[b'), 'an unclosed bracket is a literal');
  assert.ok(fnmatchRegExp('a\\*').test('a\\xyz'), 'FNM_NOESCAPE: a backslash is a literal');
  assert.not.ok(fnmatchRegExp('[[:nope:]]').test('n'));
  for (const [p, str, want] of GLIBC_FNMATCH) assert.is(fnmatchRegExp(p).test(str), want, `fnmatch(${JSON.stringify(p)}, ${JSON.stringify(str)})`);
  assert.is(ProductOutConfig.load(tmpPath('tree')).lookup('/x/y', true), undefined, 'no override files: no rules');
});

test.run();
