// fscrypt against Linux 6.1 (fixtures/crypto, made by fixtures/make-crypto.ts): without the key our tree, names
// and symlink targets equal the kernel's no-key listing byte for byte and contents are ENOKEY; with --key they equal
// the kernel's listing with the key (names, contents md5, targets). Writes outside encrypted directories leave both
// fscks clean (writes inside them: test/crypto-write.test.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, fixtureListing, loadFixture, type FixtureEntry } from '../fixtures/load.js';
import { resolveFile } from '../src/debugfs/filespec.js';
import { statInode } from '../src/debugfs/inode.js';
import { rdump } from '../src/debugfs/rdump.js';
import { ctsCbcDecrypt, keyIdentifier, nokeyName } from '../src/fs/crypto.js';
import { F2fsError } from '../src/errors.js';
import { Volume } from '../src/fs/volume.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { compareListing, ourPaths } from './helpers/listing.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SET = path.join(HERE, '..', 'fixtures', 'crypto');
const KEY_FILE = path.join(SET, 'master.key');
const KEY = fs.readFileSync(KEY_FILE);
const KERNEL = JSON.parse(fs.readFileSync(path.join(SET, 'crypto.kernel.json'), 'utf8')) as { keyIdentifier: string; noKeyRead: string };
const NOKEY = (JSON.parse(fs.readFileSync(path.join(SET, 'crypto.nokey.listing.json'), 'utf8')) as { entries: FixtureEntry[] }).entries;
const WITHKEY = fixtureListing('crypto');

/** The ciphertext inside a short no-key name (dirhash, then the name as stored). */
const decodeCipher = (p: string) => Buffer.from(path.basename(p), 'base64url').subarray(8);

const openCrypto = async (keys: Buffer[] = []) => Volume.open(await loadFixture('crypto'), { readOnly: true, keys });

test('the v2 key identifier is the one FS_IOC_ADD_ENCRYPTION_KEY gave', () => {
  assert.is(keyIdentifier(KEY), KERNEL.keyIdentifier);
});

test('without the key: our tree, names, inode fields and symlink targets equal the kernel no-key listing', async () => {
  const vol = await openCrypto();
  try {
    assert.equal(ourPaths(vol), NOKEY.map((e) => e.path));
    assert.equal(compareListing(vol, NOKEY, false), []);
    // The fixture holds every no-key form: short names, the sha256-abbreviated long ones, and a long symlink target.
    const names = NOKEY.map((e) => path.basename(e.path));
    assert.ok(names.some((n) => n.length === 252), 'a hashed (189-byte) no-key name');
    assert.ok(NOKEY.some((e) => e.type === 'symlink' && e.target!.length > 150));
  } finally {
    vol.close();
  }
});

test('with --key: names, contents and symlink targets equal the kernel listing with the key', async () => {
  const vol = await openCrypto([KEY]);
  try {
    assert.equal(ourPaths(vol), WITHKEY.map((e) => e.path));
    assert.equal(compareListing(vol, WITHKEY, true), []);
    assert.ok(WITHKEY.some((e) => e.path === '/enc/héllo-wörld-日本語.txt'));
    assert.ok(WITHKEY.some((e) => e.path.endsWith('/enc/big.bin') && e.size > 5 * 4096));
    // The same key as a v1 key (by descriptor) and under IV_INO_LBLK_64 (one key per mode, the inode in the IV).
    const v1 = statInode(vol, resolveFile(vol, '/encv1/big.bin').info).encryption!;
    assert.is(v1.version, 1);
    assert.match(v1.masterKeyDescriptor!, /^[0-9a-f]{16}$/);
    assert.is(statInode(vol, resolveFile(vol, '/enc64/big.bin').info).encryption!.flags, 0x0b);
    for (const p of ['/encv1/big.bin', '/enc64/big.bin', '/encv1/link', '/enc64/sub/n.txt']) assert.ok(WITHKEY.some((e) => e.path === p), p);
  } finally {
    vol.close();
  }
});

test('without the key, reading encrypted contents is ENOKEY (exit 4), as the kernel refuses; the CLI finds no-key names', async () => {
  assert.match(KERNEL.noKeyRead, /Required key not available/);
  const img = await loadFixture('crypto');
  const short = NOKEY.find((e) => e.ino === WITHKEY.find((k) => k.path === '/enc/short.txt')!.ino)!;
  const r = cli(['cat', img, short.path]);
  assert.is(r.status, 4, r.stderr);
  assert.match(r.stderr, /ENOKEY/);
  assert.match(r.stderr, new RegExp(KERNEL.keyIdentifier));
  assert.is(cliOk(['cat', img, '/enc/short.txt', '--key', KEY_FILE]), 'short encrypted file\n');
  // Several keys: the right one is found by its identifier.
  const other = path.join(os.tmpdir(), `f2fsdbg-other-${process.pid}.key`);
  fs.writeFileSync(other, Buffer.alloc(64, 7));
  try {
    assert.is(cliOk(['cat', img, '/enc/short.txt', '--key', other, '--key', KEY_FILE]), 'short encrypted file\n');
    assert.is(cli(['cat', img, '/enc/short.txt', '--key', other]).status, 1); // no such name: the no-key names stay
  } finally {
    fs.rmSync(other);
  }
});

test('ls --json shows the no-key names; stat and xattr-list decode the v2 context', async () => {
  const img = await loadFixture('crypto');
  const ls = JSON.parse(cliOk(['ls', img, '/enc', '--json'])) as { entries?: { name: string }[] } | { name: string }[];
  const names = (Array.isArray(ls) ? ls : ls.entries!).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
  assert.equal(names, NOKEY.filter((e) => path.dirname(e.path) === '/enc').map((e) => path.basename(e.path)).sort());
  const st = JSON.parse(cliOk(['stat', img, '/enc', '--json'])) as { encryption: Record<string, unknown> };
  assert.is(st.encryption.version, 2);
  assert.is(st.encryption.contentsMode, 'AES-256-XTS');
  assert.is(st.encryption.filenamesMode, 'AES-256-CTS-CBC');
  assert.is(st.encryption.padding, 32);
  assert.is(st.encryption.masterKeyIdentifier, KERNEL.keyIdentifier);
  assert.is(st.encryption.keyAvailable, false);
  assert.match(String(st.encryption.nonce), /^[0-9a-f]{32}$/);
  const xl = JSON.parse(cliOk(['xattr-list', img, '/enc', '--json'])) as { xattrs: { name: string; decoded?: Record<string, unknown> }[] };
  assert.is(xl.xattrs.find((x) => x.name === 'encryption.c')?.decoded?.masterKeyIdentifier, KERNEL.keyIdentifier);
});

test('rdump without the key keeps going: encrypted files listed as skipped, the rest written', async () => {
  const vol = await openCrypto();
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-rdump-crypto-'));
  try {
    const stats = rdump(vol, vol.sb.root_ino, path.join(dest, 'out'));
    const encryptedFiles = NOKEY.filter((e) => e.type === 'file' && /^\/enc[^/]*\//.test(e.path));
    assert.is(stats.skipped.length, encryptedFiles.length);
    assert.ok(stats.skipped.every((s) => /encrypted/.test(s.why)));
    assert.is(fs.readFileSync(path.join(dest, 'out/plain/hello.txt'), 'utf8'), 'plain text outside encryption\n');
    const link = NOKEY.find((e) => e.type === 'symlink')!;
    assert.is(fs.readlinkSync(path.join(dest, 'out', link.path)), link.target);
  } finally {
    vol.close();
    fs.rmSync(dest, { recursive: true, force: true });
  }
});

test('writes outside encrypted directories on the encrypt image: both fscks clean, encrypted tree intact', async () => {
  const img = await copyFixture('crypto');
  assert.equal(fsckBoth(img).problems, []);
  cliOk(['mkdir', img, '/plain/sub']);
  cliOk(['write', img, '/plain/sub/a.txt', '--data', 'a'.repeat(10000)]);
  cliOk(['write', img, '/plain/hello.txt', '--append', '--data', 'more\n']);
  cliOk(['symlink', img, '../enc', '/plain/l']);
  cliOk(['mv', img, '/plain/sub/a.txt', '/a.txt']);
  cliOk(['rm', img, '/plain/l']);
  cliOk(['chmod', img, '700', '/enc']);
  // An encrypted directory moves between plain ones (its '..' is rewritten), as Linux allows without the key.
  cliOk(['mv', img, '/encv1', '/plain/encv1']);
  assert.equal(fsckBoth(img).problems, []);
  const vol = Volume.open(img, { readOnly: true, keys: [KEY] });
  try {
    assert.equal(compareListing(vol, WITHKEY.filter((e) => e.path.startsWith('/enc/')), true), []);
    const moved = WITHKEY.filter((e) => e.path.startsWith('/encv1/')).map((e) => ({ ...e, path: `/plain${e.path}` }));
    assert.equal(compareListing(vol, moved, true), []);
    assert.is(vol.parentOf(vol.inode(vol.resolve('/plain/encv1').ino)), vol.resolve('/plain').ino);
    assert.is(vol.data.read(vol.inode(vol.resolve('/a.txt').ino), 0, 20000).toString(), 'a'.repeat(10000));
  } finally {
    vol.close();
  }
  fs.rmSync(img);
});

test('fsck checks encrypted directories as fsck.f2fs does: hashes over the ciphertext, paths in no-key form', async () => {
  const img = await copyFixture('crypto');
  assert.equal(fsckBoth(img).problems, []);
  const e = NOKEY.find((x) => x.type === 'file' && x.path.split('/').length === 4)!; // in /enc/<many>/, a dentry block
  cliOk(['set-dentry', img, path.dirname(e.path), path.basename(e.path), 'hash_code', '0x1234']);
  const r = fsckBoth(img);
  assert.ok(r.real.status !== 0 || /Mismatch hash_code/.test(r.real.out), 'fsck.f2fs sees the bad hash');
  const f = r.ours!.findings.find((x) => x.code === 'DENTRY_HASH');
  assert.ok(f, 'our fsck sees it too');
  // The path is the one ls shows without the key (the stored, now wrong, hash is its dirhash).
  assert.is(f!.path, `${path.dirname(e.path)}/${nokeyName(decodeCipher(e.path), 0x1234).toString()}`);
  fs.rmSync(img);
});

test('ncheck names encrypted inodes by their no-key paths, and by real paths with --key', async () => {
  const img = await loadFixture('crypto');
  const e = NOKEY.find((x) => x.type === 'file' && x.path.startsWith('/enc/'))!;
  const r = JSON.parse(cliOk(['ncheck', img, String(e.ino), '--json'])) as { inodes: { ino: number; paths: string[] }[] };
  assert.equal(r.inodes[0]!.paths, [e.path]);
  const k = JSON.parse(cliOk(['ncheck', img, String(e.ino), '--json', '--key', KEY_FILE])) as typeof r;
  assert.equal(k.inodes[0]!.paths, [WITHKEY.find((x) => x.ino === e.ino)!.path]);
});

test('cts(cbc(aes)) and the no-key encoding: boundary lengths', () => {
  // A one-block name is plain CBC; the no-key form of 149 bytes is inline, of 150 it is the 189-byte hashed form.
  const key = Buffer.alloc(32, 1);
  assert.is(ctsCbcDecrypt(key, Buffer.alloc(16), Buffer.alloc(16)).length, 16);
  assert.throws(() => ctsCbcDecrypt(key, Buffer.alloc(16), Buffer.alloc(15)), (e: unknown) => e instanceof F2fsError && e.code === 'CORRUPT');
  assert.is(Buffer.from(nokeyName(Buffer.alloc(149), 5).toString(), 'base64url').length, 8 + 149);
  const hashed = Buffer.from(nokeyName(Buffer.alloc(150), 5).toString(), 'base64url');
  assert.is(hashed.length, 189);
  assert.equal(hashed.subarray(157), createHash('sha256').update(Buffer.alloc(1)).digest());
});

test.run();
