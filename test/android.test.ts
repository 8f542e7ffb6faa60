// Android metadata against sload.f2fs 1.15: import's --file-contexts/--mount-point/--timestamp label, own and date a
// tree as sload.f2fs -s/-t/-T does; --fs-config sets owners, modes and capabilities (Debian's sload.f2fs ignores -C,
// so those are checked against the file itself); export-android + rdump rebuild the same tree through sload.f2fs and
// through import.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, walkTree } from '../src/api.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../src/fs/layout/dentry.js';
import { listXattrs } from '../src/fs/xattr.js';
import { FileContexts } from '../src/debugfs/android.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, sha256, tmpPath, withVol } from './helpers/images.js';

/**
 * Every entry of an image: mode, owner, size (not a directory's: sload.f2fs writes no inline dentries, we do), mtime
 * (not the root's: mkfs sets it), content digest and xattrs.
 */
function listing(img: string, opts: { withoutXattr?: string } = {}): Record<string, string> {
  return withVol(img, (vol) => {
    const out: Record<string, string> = {};
    const add = (p: string, ino: number) => {
      const info = vol.inode(ino);
      const { i_mode, i_uid, i_gid, i_size, i_mtime } = info.inode;
      const xattrs = listXattrs(info, vol.nm).filter((x) => x.name !== opts.withoutXattr).map((x) => `${x.name}=${x.value.toString('hex')}`);
      const digest = (i_mode & S_IFMT) === S_IFREG ? crypto.createHash('sha256').update(readFile(vol, p)).digest('hex').slice(0, 16) : '';
      out[p] = [i_mode.toString(8), `${i_uid}:${i_gid}`, (i_mode & S_IFMT) === S_IFDIR ? '' : `size=${i_size}`, p === '/' ? '' : `mtime=${i_mtime}`, digest, ...xattrs.sort()].join(' ');
    };
    add('/', vol.sb.root_ino);
    walkTree(vol, (p, d) => add(p, d.ino));
    return out;
  });
}

/** sload.f2fs into a fresh mkfs.f2fs image (its output is noise unless it fails). */
function sload(img: string, args: string[]): void {
  const r = spawnSync('sload.f2fs', [...args, img], { encoding: 'utf8' });
  assert.is(r.status, 0, `sload.f2fs ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** A host tree with owners, set-id modes, a symlink, nested and empty directories and a multi-block file. */
function hostTree(name: string): string {
  const root = tmpPath(name);
  fs.rmSync(root, { recursive: true, force: true });
  const mk = (p: string, mode: number, uid: number, gid: number, data?: string | Buffer) => {
    const full = path.join(root, p);
    if (data === undefined) fs.mkdirSync(full, { recursive: true });
    else fs.writeFileSync(full, data);
    fs.chownSync(full, uid, gid);
    fs.chmodSync(full, mode);
  };
  mk('', 0o755, 0, 0);
  mk('bin', 0o755, 0, 2000);
  mk('bin/sh', 0o755, 0, 2000, '#!/bin/sh\n');
  mk('bin/su', 0o4750, 0, 2000, 'su binary');
  mk('bin/ping', 0o755, 0, 2000, 'ping binary');
  mk('etc', 0o755, 0, 0);
  mk('etc/hosts', 0o644, 0, 0, '127.0.0.1 localhost\n');
  mk('etc/big.dat', 0o600, 1000, 1000, Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff)));
  mk('lib', 0o700, 1000, 1000);
  fs.symlinkSync('bin/sh', path.join(root, 'sh'));
  fs.lchownSync(path.join(root, 'sh'), 0, 2000);
  return root;
}

const CONTEXTS = [
  '/system(/.*)?            u:object_r:system_file:s0',
  '/system/bin(/.*)?        u:object_r:system_exec:s0',
  '/system/bin/s.*          u:object_r:shell_exec:s0', // a later regex beats an earlier one
  '/system/bin/sh        -d u:object_r:wrong_type:s0', // type-restricted: never a file's label
  '/system/etc/hosts        u:object_r:exact_hosts:s0', // an exact path beats every regex,
  '/system/etc/host.        u:object_r:regex_hosts:s0', // even one written after it
  '/system/system           u:object_r:rootfs:s0', // the root's key (the mount point twice)
  '/system/sh            -l u:object_r:link_file:s0',
].join('\n');

const FS_CONFIG = [
  'system 0 0 0755',
  'system/bin 0 2000 0751',
  'system/bin/sh 0 2000 0755 capabilities=0x0',
  'system/bin/su 0 2000 04750',
  'system/bin/ping 0 2000 0750 capabilities=0x2000', // CAP_NET_RAW
  'system/etc 0 0 0755',
  'system/etc/hosts 0 0 0644',
  'system/etc/big.dat 1000 1000 0640 capabilities=0x100000000', // bit 32: the high word
  'system/lib 1000 1000 0700',
  'system/sh 0 2000 0777',
].join('\n');

let src: string;
let contexts: string;
let fsConfig: string;

test('file_contexts lookup follows libselinux: exact specs last, then the last match wins; type fields restrict', () => {
  const fc = FileContexts.parse(CONTEXTS, 'fc');
  assert.is(fc.lookup('/system/etc/hosts', 0o100644), 'u:object_r:exact_hosts:s0');
  assert.is(fc.lookup('/system/etc/hostx', 0o100644), 'u:object_r:regex_hosts:s0');
  assert.is(fc.lookup('/system/bin/sh', 0o100755), 'u:object_r:shell_exec:s0');
  assert.is(fc.lookup('/system/bin/sh', 0o40755), 'u:object_r:wrong_type:s0');
  assert.is(fc.lookup('//system//bin', 0o40755), 'u:object_r:system_exec:s0', 'repeated slashes collapse');
  assert.is(fc.lookup('/vendor', 0o40755), null);
  assert.throws(() => FileContexts.parse('/a( u:object_r:x:s0', 'fc'), /fc:1: bad regex/);
});

test('import --file-contexts --mount-point --timestamp labels, owns and dates the tree as sload.f2fs -s -t -T -P', () => {
  src = hostTree('src');
  contexts = tmpPath('file_contexts');
  fs.writeFileSync(contexts, `${CONTEXTS}\n`);
  const theirs = mkfsImage('sload-s.img');
  sload(theirs, ['-f', src, '-s', contexts, '-t', '/system', '-T', '1000', '-P']);
  const ours = mkfsImage('import-s.img');
  const r = JSON.parse(cliOk(['import', ours, src, '/', '--file-contexts', contexts, '--mount-point', '/system', '--timestamp', '1000', '--json']));
  assert.equal(r.unlabelled, []);
  const want = listing(theirs);
  assert.ok(want['/etc/hosts'].includes(Buffer.from('u:object_r:exact_hosts:s0').toString('hex')), want['/etc/hosts']);
  assert.ok(want['/'].includes(Buffer.from('u:object_r:rootfs:s0').toString('hex')), `sload.f2fs labels the root by the doubled mount point: ${want['/']}`);
  assert.equal(listing(ours), want);
  assert.equal(fsckBoth(ours).problems, []);
});

test('import --fs-config sets owners, modes and capabilities from the file; an entry it lacks is refused before any change', () => {
  fsConfig = tmpPath('fs_config');
  fs.writeFileSync(fsConfig, `${FS_CONFIG}\n`);
  const img = mkfsImage('import-c.img');
  cliOk(['import', img, src, '/', '-C', fsConfig, '-s', contexts, '-t', '/system', '--timestamp', '1000']);
  const l = listing(img);
  assert.match(l['/bin'], /^40751 0:2000 /);
  assert.match(l['/bin/su'], /^104750 0:2000 /);
  assert.match(l['/etc/big.dat'], /^100640 1000:1000 /);
  assert.match(l['/sh'], /^120777 0:2000 /);
  // vfs_cap_data revision 2 with the effective flag: magic_etc, permitted/inheritable low words, then the high words.
  assert.ok(l['/bin/ping'].includes('security.capability=0100000200200000000000000000000000000000'), l['/bin/ping']);
  assert.ok(l['/etc/big.dat'].includes('security.capability=0100000200000000000000000100000000000000'), l['/etc/big.dat']);
  assert.not.ok(l['/bin/sh'].includes('security.capability'), 'a zero set stores nothing');
  assert.equal(fsckBoth(img).problems, []);

  // Debian's sload.f2fs is built without Android's fs_config support: -C changes nothing there (owners stay 0:0).
  const theirs = mkfsImage('sload-c.img');
  sload(theirs, ['-f', src, '-C', fsConfig, '-s', contexts, '-t', '/system', '-T', '1000']);
  const honoursC = listing(theirs)['/bin'].startsWith('40751 0:2000 ');
  if (honoursC) assert.equal(listing(theirs, { withoutXattr: 'security.capability' }), listing(img, { withoutXattr: 'security.capability' }));
  else assert.match(listing(theirs)['/bin'], /^40755 0:0 /);

  const partial = tmpPath('fs_config.partial');
  fs.writeFileSync(partial, FS_CONFIG.split('\n').filter((l) => !l.startsWith('system/etc/hosts')).join('\n'));
  const img2 = mkfsImage('import-c2.img');
  const before = sha256(img2);
  const r = cli(['import', img2, src, '/', '-C', partial, '-t', '/system']);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /ENOENT: fs_config has no entry for system\/etc\/hosts/);
  assert.is(sha256(img2), before, 'nothing written');
  const bad = tmpPath('fs_config.bad');
  fs.writeFileSync(bad, 'system/bin 0 x 0755\n');
  assert.match(cli(['import', img2, src, '/', '-C', bad]).stderr, /USAGE: .*fs_config.bad:1: uid and gid must be decimal/);
});

test('export-android + rdump rebuild the tree through sload.f2fs (no capabilities: it never stores them) and through import', () => {
  const a = tmpPath('import-c.img');
  const dump = tmpPath('dump');
  const meta = tmpPath('meta');
  cliOk(['rdump', a, '/', dump]);
  const r = JSON.parse(cliOk(['export-android', a, meta, '--mount-point', '/system', '--json']));
  assert.is(r.entries, 10);
  assert.is(r.labelled, 10);
  assert.is(r.withCapabilities, 2);
  const config = fs.readFileSync(path.join(meta, 'fs_config'), 'utf8');
  assert.match(config, /^system\/bin\/ping 0 2000 0750 capabilities=0x2000$/m);
  assert.match(fs.readFileSync(path.join(meta, 'file_contexts'), 'utf8'), /^\/system\/etc\/big\\\.dat -- u:object_r:system_file:s0$/m);

  const want = listing(a);
  const b = mkfsImage('roundtrip-sload.img');
  sload(b, ['-f', dump, '-C', path.join(meta, 'fs_config'), '-s', path.join(meta, 'file_contexts'), '-t', '/system', '-T', '1000', '-P']);
  assert.equal(listing(b), listing(a, { withoutXattr: 'security.capability' }));
  const c = mkfsImage('roundtrip-import.img');
  cliOk(['import', c, dump, '/', '-C', path.join(meta, 'fs_config'), '-s', path.join(meta, 'file_contexts'), '-t', '/system', '--timestamp', '1000']);
  assert.equal(listing(c), want);
  assert.equal(fsckBoth(c).problems, []);
});

test('export-android: a label from the image with a line break or white space adds no spec to file_contexts', () => {
  const img = tmpPath('android-label.img');
  fs.copyFileSync(tmpPath('import-c.img'), img);
  // A crafted label that would append a spec of its own, and one with a space (an extra field).
  cliOk(['xattr-set', img, '/etc/hosts', 'security.selinux', 'u:object_r:system_file:s0\n/system/bin/.* u:object_r:su_exec:s0']);
  cliOk(['xattr-set', img, '/etc/big.dat', 'security.selinux', 'u:object_r:system_file:s0 extra']);
  const meta = tmpPath('meta-label');
  const r = JSON.parse(cliOk(['export-android', img, meta, '--mount-point', '/system', '--json']));
  assert.equal(r.skipped.map((s: { path: string }) => s.path).sort(), ['/etc/big.dat', '/etc/hosts']);
  assert.is(r.labelled, 8);
  const contexts = fs.readFileSync(path.join(meta, 'file_contexts'), 'utf8');
  assert.not.match(contexts, /su_exec|extra|hosts|big/);
  assert.is(contexts.split('\n').filter(Boolean).length, 8);
  // Their owners and modes are still in fs_config.
  assert.match(fs.readFileSync(path.join(meta, 'fs_config'), 'utf8'), /^system\/etc\/hosts 0 0 0644 capabilities=0x0$/m);
  assert.equal(fsckBoth(img).problems, []);
});

test('an Android sparse image is built in place: import -C -s into img2simg output equals the raw build, simg2img clean', () => {
  const raw = mkfsImage('android-sparse.raw');
  const sparse = tmpPath('android.simg');
  execFileSync('img2simg', [raw, sparse]);
  cliOk(['import', sparse, src, '/', '-C', fsConfig, '-s', contexts, '-t', '/system', '--timestamp', '1000']);
  assert.equal(listing(sparse), listing(tmpPath('import-c.img')));
  const expanded = tmpPath('android.expanded');
  execFileSync('simg2img', [sparse, expanded]);
  assert.equal(listing(expanded), listing(sparse));
  assert.equal(fsckBoth(expanded).problems, []);
});

test.run();
