// Writing inside encrypted directories (fixtures/crypto, Linux-made). Without the key: unlink and rmdir by no-key
// name work as in Linux, create/link/rename are ENOKEY and change nothing. With --key: create, write, truncate, mkdir,
// symlink, rename, link and unlink in v2, IV_INO_LBLK_64 and v1 directories; our reader gets back what was written, a
// key-less reader sees no-key names and ENOKEY contents, both fscks stay clean, and Linux (one VM boot) reads the same
// names, contents and symlink targets with the key. The same boot mounts an image from `mkfs --android` and fills it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, type FixtureEntry } from '../fixtures/load.js';
import { chainBytes } from '../fixtures/make-fixtures.js';
import { ctsCbcDecrypt, ctsCbcEncrypt, decodeContext, encryptedSize, keyIdentifier } from '../src/fs/crypto.js';
import { XATTR_INDEX_ENCRYPTION } from '../src/fs/layout/crypto.js';
import { Advise, InlineFlag } from '../src/fs/layout/node.js';
import { Volume } from '../src/fs/volume.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { walkEntries } from './helpers/listing.js';
import { sha256, tmpPath } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SET = path.join(HERE, '..', 'fixtures', 'crypto');
const KEY_FILE = path.join(SET, 'master.key');
const KEY = fs.readFileSync(KEY_FILE);
const NOKEY = (JSON.parse(fs.readFileSync(path.join(SET, 'crypto.nokey.listing.json'), 'utf8')) as { entries: FixtureEntry[] }).entries;
const V1_DESCRIPTOR = createHash('sha512').update(createHash('sha512').update(KEY).digest()).digest().subarray(0, 8).toString('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const bytes = chainBytes;

/** Every file and symlink below `dirs`, by decrypted path: md5 of the contents or the target. */
function ourView(img: string, dirs: string[]): Map<string, string> {
  const vol = Volume.open(img, { readOnly: true, keys: [KEY] });
  const out = new Map<string, string>();
  try {
    for (const dir of dirs)
      walkEntries(vol, dir, (p, info) => {
        const type = info.inode.i_mode & 0o170000;
        if (type === 0o120000) out.set(p, `L ${vol.readlink(info).toString()}`);
        else if (type !== 0o040000) out.set(p, md5(vol.data.read(info, 0, info.inode.i_size)));
      });
  } finally {
    vol.close();
  }
  return out;
}

const LONG_NAME = 'n'.repeat(180) + '.txt';
const LONG_TARGET = 'some/where/' + 't'.repeat(200);
const UTF8 = 'écrit-ici-日本.txt';
const BIG = bytes('big write', 5 * 4096 + 1000);

/** What the key holder writes, and the contents each new path must then have. */
function writeWithKey(img: string): Map<string, string> {
  const k = ['--key', KEY_FILE];
  const host = tmpPath(`crypto-write-${process.pid}.bin`);
  fs.writeFileSync(host, BIG);
  try {
    cliOk(['mkdir', img, '/enc/w', ...k]);
    cliOk(['mkdir', img, '/enc/w/deep/er', '-p', ...k]);
    cliOk(['write', img, '/enc/w/big.bin', '--from', host, ...k]);
    // A partial overwrite across a block boundary, then an append: read-modify-write of ciphertext blocks.
    cliOk(['write', img, '/enc/w/big.bin', '--offset', '4000', '--data', 'X'.repeat(200), ...k]);
    cliOk(['write', img, '/enc/w/big.bin', '--append', '--data', 'tail', ...k]);
    cliOk(['write', img, '/enc/w/small.txt', '--data', 'small encrypted text\n', ...k]);
    cliOk(['write', img, `/enc/w/${LONG_NAME}`, '--data', 'long name\n', ...k]);
    cliOk(['write', img, `/enc/w/${UTF8}`, '--data', 'utf-8\n', ...k]);
    cliOk(['write', img, '/enc/w/cut.bin', '--from', host, ...k]);
    cliOk(['truncate', img, '/enc/w/cut.bin', '5000', ...k]);
    cliOk(['touch', img, '/enc/w/deep/er/empty', ...k]);
    cliOk(['symlink', img, '../short.txt', '/enc/w/ln', ...k]);
    cliOk(['symlink', img, LONG_TARGET, '/enc/w/longln', ...k]);
    cliOk(['ln', img, '/enc/w/small.txt', '/enc/w/hard', ...k]);
    cliOk(['mv', img, '/enc/w/small.txt', '/enc/sub/moved.txt', ...k]);
    cliOk(['mv', img, '/enc/w/deep', '/enc/sub/deep', ...k]);
    cliOk(['rm', img, '/enc/big.bin', ...k]);
    // Over an existing name (f2fs_set_link).
    cliOk(['write', img, '/enc/w/over', '--data', 'to be replaced', ...k]);
    cliOk(['mv', img, '/enc/w/ln', '/enc/w/over', ...k]);
    // IV_INO_LBLK_64 (one key per mode, the inode in the IV) and v1 (key by descriptor).
    cliOk(['write', img, '/enc64/new.bin', '--from', host, ...k]);
    cliOk(['symlink', img, 'a.txt', '/enc64/newln', ...k]);
    cliOk(['write', img, '/encv1/new.bin', '--from', host, ...k]);
    cliOk(['mkdir', img, '/encv1/newdir', ...k]);
    cliOk(['write', img, '/encv1/newdir/f', '--data', 'v1 nested\n', ...k]);
  } finally {
    fs.rmSync(host);
  }
  const big = Buffer.concat([BIG.subarray(0, 4000), Buffer.from('X'.repeat(200)), BIG.subarray(4200), Buffer.from('tail')]);
  return new Map([
    ['/enc/w/big.bin', md5(big)],
    ['/enc/w/hard', md5(Buffer.from('small encrypted text\n'))],
    ['/enc/sub/moved.txt', md5(Buffer.from('small encrypted text\n'))],
    [`/enc/w/${LONG_NAME}`, md5(Buffer.from('long name\n'))],
    [`/enc/w/${UTF8}`, md5(Buffer.from('utf-8\n'))],
    ['/enc/w/cut.bin', md5(BIG.subarray(0, 5000))],
    ['/enc/sub/deep/er/empty', md5(Buffer.alloc(0))],
    ['/enc/w/over', 'L ../short.txt'],
    ['/enc/w/longln', `L ${LONG_TARGET}`],
    ['/enc64/new.bin', md5(BIG)],
    ['/enc64/newln', 'L a.txt'],
    ['/encv1/new.bin', md5(BIG)],
    ['/encv1/newdir/f', md5(Buffer.from('v1 nested\n'))],
  ]);
}

test('cts(cbc(aes)) encryption inverts the decryption at every length class; padding per policy flags', () => {
  const key = bytes('k', 32);
  const iv = bytes('iv', 16);
  for (const n of [16, 17, 31, 32, 33, 48, 100, 255]) {
    const p = bytes(`p${n}`, n);
    const c = ctsCbcEncrypt(key, iv, p);
    assert.is(c.length, n);
    assert.ok(ctsCbcDecrypt(key, iv, c).equals(p), `length ${n}`);
  }
  // fscrypt_fname_encrypted_size: at least 16, rounded to 4/8/16/32, never past the limit.
  assert.equal([0, 1, 2, 3].map((pad) => encryptedSize(pad, 5, 255)), [16, 16, 16, 32]);
  assert.equal([0, 1, 2, 3].map((pad) => encryptedSize(pad, 17, 255)), [20, 24, 32, 32]);
  assert.is(encryptedSize(3, 250, 255), 255);
  assert.is(encryptedSize(3, 256, 255), null);
});

test('without the key: rm and rmdir by no-key name as Linux allows; create, link and rename are ENOKEY and change nothing', async () => {
  const img = await copyFixture('crypto');
  const before = sha256(img);
  const file = NOKEY.find((e) => e.type === 'file' && path.dirname(e.path) === '/enc')!.path;
  for (const args of [
    ['mkdir', img, '/enc/new'],
    ['write', img, '/enc/new.txt', '--data', 'x'],
    ['mv', img, file, '/plain/moved'],
    ['mv', img, '/plain/hello.txt', '/enc/moved'],
    ['ln', img, '/plain/hello.txt', '/enc/hard'],
    ['symlink', img, 'target', '/enc/sl'],
    ['write', img, file, '--data', 'x'],
    ['truncate', img, file, '0'],
  ]) {
    const r = cli(args);
    assert.is(r.status, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /ENOKEY/, args.join(' '));
  }
  assert.is(sha256(img), before);
  // A file by its no-key name, a whole encrypted tree (rm -r: names, then directories), an empty directory (rmdir).
  cliOk(['rm', img, file]);
  const many = NOKEY.find((e) => e.type === 'dir' && e.path.startsWith('/enc/') && NOKEY.filter((x) => x.path.startsWith(`${e.path}/`)).length > 50)!.path;
  cliOk(['rm', img, '-r', many]);
  const sub = NOKEY.filter((e) => e.type === 'dir' && e.path.startsWith('/enc64/'))[0]!.path;
  cliOk(['rm', img, '-r', sub]);
  cliOk(['rm', img, '-r', '/encv1']);
  assert.equal(fsckBoth(img).problems, []);
  const vol = Volume.open(img, { readOnly: true });
  try {
    const left = [...vol.dirs.entries(vol.inode(vol.resolve('/enc').ino))].map((d) => d.name.toString());
    assert.not.ok(left.includes(path.basename(file)));
    assert.not.ok(left.includes(path.basename(many)));
    assert.is(left.length, NOKEY.filter((e) => path.dirname(e.path) === '/enc').length, "the rest stays (with '.' and '..', two names fewer)");
    assert.is(vol.lookup(vol.inode(3), Buffer.from('encv1')), null);
  } finally {
    vol.close();
  }
  fs.rmSync(img);
});

test('with --key: what is written reads back through our reader; without the key it is no-key names and ENOKEY; both fscks clean', async () => {
  const img = await copyFixture('crypto');
  const expected = writeWithKey(img);
  assert.equal(fsckBoth(img).problems, []);
  const view = ourView(img, ['/enc', '/enc64', '/encv1']);
  for (const [p, want] of expected) assert.is(view.get(p), want, p);
  assert.not.ok(view.has('/enc/big.bin'));
  assert.not.ok(view.has('/enc/w/small.txt'));
  // The new inodes as Linux makes them: the parent's policy with a fresh nonce, ENCRYPT (+ ENC_NAME), no inline data.
  const vol = Volume.open(img, { readOnly: true, keys: [KEY] });
  try {
    const parent = vol.crypto.context(vol.inode(vol.resolve('/enc').ino))!;
    const seen = new Set<string>();
    for (const p of ['/enc/w', '/enc/w/big.bin', '/enc/w/longln', '/enc/sub/moved.txt']) {
      const info = vol.inode(vol.resolve(p).ino);
      const ctx = vol.crypto.context(info)!;
      assert.equal({ ...ctx, nonce: null }, { ...parent, nonce: null }, p);
      seen.add(ctx.nonce.toString('hex'));
      assert.is(info.inode.i_advise & (Advise.ENCRYPT | Advise.ENC_NAME), Advise.ENCRYPT | Advise.ENC_NAME, p);
      assert.ok(vol.xattrs(info).some((x) => x.index === XATTR_INDEX_ENCRYPTION && decodeContext(x.value).version === 2), p);
    }
    assert.is(seen.size, 4, 'every inode its own nonce');
    assert.is(vol.inode(vol.resolve('/enc/w/hard').ino).inode.i_inline & InlineFlag.DATA, 0, 'encrypted files are never inline');
    // The stored names are the ciphertext of the padded name (32 here: padding flag 3), hashed as stored.
    const w = vol.inode(vol.resolve('/enc/w').ino);
    const raw = [...vol.dirs.rawEntries(w)].filter((d) => d.name.length > 2);
    assert.ok(raw.every((d) => d.name.length % 32 === 0 || d.name.length === 255), raw.map((d) => d.name.length).join(' '));
    assert.ok(raw.some((d) => d.name.length === 192), `${LONG_NAME.length}-byte name padded to 192`);
  } finally {
    vol.close();
  }
  const keyless = Volume.open(img, { readOnly: true });
  try {
    const names = [...keyless.dirs.entries(keyless.inode(keyless.resolve('/enc').ino))].map((d) => d.name.toString());
    assert.not.ok(names.includes('w'), 'without the key the new directory has a no-key name');
    assert.is(names.length, NOKEY.filter((e) => path.dirname(e.path) === '/enc').length + 2, "'.', '..', one name gone (big.bin), one new (w)");
  } finally {
    keyless.close();
  }
  const r = cli(['cat', img, '/enc/sub/moved.txt']);
  assert.is(r.status, 1, 'no such name without the key');
  // Refusals that stay with the key: another policy (EXDEV, as Linux), verity EPERM elsewhere unchanged.
  for (const [args, code] of [
    [['mv', img, '/plain/hello.txt', '/enc/moved'], 'EXDEV'],
    [['ln', img, '/plain/hello.txt', '/enc/hard2'], 'EXDEV'],
    [['mv', img, '/enc/w/big.bin', '/enc64/big.bin'], 'EXDEV'],
    [['write', img, '/verity/small.txt', '--data', 'x'], 'EPERM'],
  ] as const) {
    const x = cli([...args, '--key', KEY_FILE]);
    assert.is(x.status, 1, `${args.join(' ')}: ${x.stderr}`);
    assert.match(x.stderr, new RegExp(code), args.join(' '));
  }
  // Out of an encrypted directory into a plain one is allowed with the key (the file stays encrypted).
  cliOk(['mv', img, '/enc/w/hard', '/plain/was-encrypted', '--key', KEY_FILE]);
  assert.is(cliOk(['cat', img, '/plain/was-encrypted', '--key', KEY_FILE]), 'small encrypted text\n');
  assert.equal(fsckBoth(img).problems, []);
  fs.rmSync(img);
});

test('set-policy: an empty directory of an mkfs --android image becomes encrypted; the rules of FS_IOC_SET_ENCRYPTION_POLICY', () => {
  const img = tmpPath(`crypto-set-policy-${process.pid}.img`);
  fs.rmSync(img, { force: true });
  cliOk(['mkfs', img, '--size', '64M', '--android']);
  const k = ['--key', KEY_FILE];
  cliOk(['mkdir', img, '/d']);
  cliOk(['mkdir', img, '/full']);
  cliOk(['write', img, '/full/f', '--data', 'x']);
  cliOk(['mkdir', img, '/e']);
  const fails: [string[], number, RegExp][] = [
    [['set-policy', img, '/d'], 4, /ENOKEY/],
    [['set-policy', img, '/full/f', ...k], 1, /ENOTDIR/],
    [['set-policy', img, '/full', ...k], 1, /ENOTEMPTY/],
    [['set-policy', img, '/d', '--padding', '12', ...k], 2, /USAGE/],
  ];
  for (const [args, status, why] of fails) {
    const r = cli(args);
    assert.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  const r = JSON.parse(cliOk(['set-policy', img, '/d', '--padding', '16', '--json', ...k])) as { masterKeyIdentifier: string; padding: number };
  assert.equal([r.masterKeyIdentifier, r.padding], [keyIdentifier(KEY), 16]);
  cliOk(['set-policy', img, '/d', '--padding', '16', ...k]); // the same policy again: nothing to do
  assert.match(cli(['set-policy', img, '/d', ...k]).stderr, /EEXIST/, 'another policy');
  cliOk(['write', img, '/d/a-name-of-17-chars', '--data', 'secret', ...k]);
  cliOk(['mkdir', img, '/d/sub', ...k]);
  assert.equal(fsckBoth(img).problems, []);
  assert.is(cliOk(['cat', img, '/d/a-name-of-17-chars', ...k]), 'secret');
  const vol = Volume.open(img, { readOnly: true });
  try {
    const d = vol.inode(vol.resolve('/d').ino);
    assert.is(d.inode.i_advise & Advise.ENCRYPT, Advise.ENCRYPT);
    const lens = [...vol.dirs.rawEntries(d)].filter((e) => e.name.length > 2).map((e) => e.name.length).sort();
    assert.equal(lens, [16, 32], 'names padded to 16 (policy flags 2)');
  } finally {
    vol.close();
  }
  fs.rmSync(img);
});

const vm = vmAvailable();
test('Linux reads our encrypted writes with the key (names, contents, targets) and mounts and fills an image from mkfs --android', async () => {
  if (!vm.ok) return assert.unreachable(`no test VM: ${vm.why}`);
  const img = await copyFixture('crypto');
  const expected = writeWithKey(img);
  // Key-less removals too: Linux must agree they are gone.
  const noKeyFile = NOKEY.find((e) => e.type === 'file' && path.dirname(e.path) === '/enc')!;
  cliOk(['rm', img, noKeyFile.path]);
  assert.equal(fsckBoth(img).problems, []);
  const ours = ourView(img, ['/enc', '/enc64', '/encv1']);
  for (const [p, want] of expected) assert.is(ours.get(p), want, p);

  const android = tmpPath(`crypto-write-android-${process.pid}.img`);
  fs.rmSync(android, { force: true });
  cliOk(['mkfs', android, '--size', '64M', '--android', '--timestamp', '1700000000']);
  assert.equal(fsckBoth(android).problems, []);
  // Our own policy (set-policy) on the new image, filled by us: Linux must read it with the key.
  cliOk(['mkdir', android, '/ours']);
  cliOk(['set-policy', android, '/ours', '--key', KEY_FILE]);
  cliOk(['write', android, '/ours/f.txt', '--data', 'ours encrypted\n', '--key', KEY_FILE]);
  cliOk(['symlink', android, 'f.txt', '/ours/ln', '--key', KEY_FILE]);
  assert.equal(fsckBoth(android).problems, []);

  const script = `set -e
mkdir -p /mnt/c /mnt/a
mount -t f2fs /dev/vda /mnt/c
fscrypt add-key /job/files/master.key /mnt/c > /dev/null
fscrypt add-key-v1 /job/files/master.key /mnt/c ${V1_DESCRIPTOR}
cd /mnt/c
find enc enc64 encv1 -type f -exec md5sum {} + | sed 's/^/F /'
find enc enc64 encv1 -type l | while read -r f; do echo "S $f|$(readlink "$f")"; done
cd /
umount /mnt/c
mount -t f2fs /dev/vdb /mnt/a
mkdir /mnt/a/data /mnt/a/data/e
echo "A $(grep ' /mnt/a ' /proc/mounts)"
ID=$(fscrypt add-key /job/files/master.key /mnt/a)
fscrypt set-policy /mnt/a/data/e "$ID"
printf 'written by linux\\n' > /mnt/a/data/e/linux.txt
printf 'plain\\n' > /mnt/a/data/plain.txt
echo "O $(cat /mnt/a/ours/f.txt) $(readlink /mnt/a/ours/ln) $(ls /mnt/a/ours | tr '\\n' ' ')"
umount /mnt/a
echo DONE`;
  const r = await runInVm({ disks: [img, android], script, files: { 'master.key': KEY }, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  assert.match(r.output, /DONE/);
  const linux = new Map<string, string>();
  for (const line of r.output.split('\n')) {
    const f = /^F ([0-9a-f]{32}) {2}(.*)$/.exec(line);
    if (f) linux.set(`/${f[2]}`, f[1]!);
    const s = /^S ([^|]*)\|(.*)$/.exec(line);
    if (s) linux.set(`/${s[1]}`, `L ${s[2]}`);
  }
  for (const [p, want] of expected) assert.is(linux.get(p), want, `Linux reads ${p}`);
  assert.equal([...linux.keys()].sort(), [...ours.keys()].sort(), 'Linux and we list the same encrypted trees');
  for (const [p, v] of ours) assert.is(linux.get(p), v, p);
  const complaints = r.dmesg.split('\n').filter((l) => /f2fs|fscrypt/i.test(l) && /error|corrupt|inconsistent|fail/i.test(l));
  assert.equal(complaints, []);
  // The --android image mounts read-write; Linux's own encrypted file reads back here with the key; both fscks clean.
  assert.match(r.output, /^A \/dev\/vdb \/mnt\/a f2fs rw/m);
  assert.match(r.output, /^O ours encrypted f\.txt f\.txt ln $/m, 'Linux reads the directory our set-policy made');
  assert.equal(fsckBoth(android).problems, []);
  assert.is(cliOk(['cat', android, '/data/e/linux.txt', '--key', KEY_FILE]), 'written by linux\n');
  fs.rmSync(img);
  fs.rmSync(android);
});

test.run();
