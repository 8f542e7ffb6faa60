// fs-verity against Linux 6.1 (fixtures/crypto, made by fixtures/make-crypto.ts): verity files read exactly (i_size
// excludes the Merkle tree and descriptor past EOF), stat shows the descriptor and the digest FS_IOC_MEASURE_VERITY
// gave, writes and truncates fail EPERM leaving the image unchanged, and removing a verity file keeps both fscks clean.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, fixtureListing, loadFixture } from '../fixtures/load.js';
import { fileDigest } from '../src/debugfs/extract.js';
import { readVerity } from '../src/fs/verity.js';
import { verityMetadataPos } from '../src/fs/layout/verity.js';
import { Volume } from '../src/fs/volume.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { sha256 } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KERNEL = JSON.parse(fs.readFileSync(path.join(HERE, '..', 'fixtures', 'crypto', 'crypto.kernel.json'), 'utf8')) as { verityDigests: Record<string, string> };
const LISTING = fixtureListing('crypto');
const VERITY = Object.keys(KERNEL.verityDigests);

test('verity files read exactly as Linux read them; the descriptor and digest are the kernel\'s', async () => {
  assert.equal(VERITY.sort(), ['/verity/big.bin', '/verity/small.txt']);
  const vol = Volume.open(await loadFixture('crypto'), { readOnly: true });
  try {
    for (const p of VERITY) {
      const e = LISTING.find((x) => x.path === p)!;
      const info = vol.inode(vol.resolve(p).ino);
      assert.is(info.inode.i_size, e.size, p);
      assert.is(fileDigest(vol, info), e.md5, p);
      const v = readVerity(vol, info);
      assert.is(v.digest, KERNEL.verityDigests[p], p);
      assert.is(v.hashAlgorithm, 'sha256');
      assert.is(v.blockSize, 4096);
      assert.is(v.dataSize, e.size);
      assert.is(v.merkleTreePos, verityMetadataPos(e.size));
      assert.ok(v.descriptorPos >= v.merkleTreePos, p);
    }
    // One data block: no tree, the root hash is the hash of the block zero-padded to 4096 (no salt).
    const small = vol.inode(vol.resolve('/verity/small.txt').ino);
    const block = Buffer.alloc(4096);
    vol.data.read(small, 0, 4096).copy(block);
    assert.is(readVerity(vol, small).rootHash, createHash('sha256').update(block).digest('hex'));
    assert.is(readVerity(vol, vol.inode(vol.resolve('/verity/big.bin').ino)).salt, '0123456789abcdef');
    assert.is(readVerity(vol, vol.inode(vol.resolve('/verity/small.txt').ino)).salt, '');
  } finally {
    vol.close();
  }
});

test('stat --json and the table show the verity digest; a plain file has none', async () => {
  const img = await loadFixture('crypto');
  const st = JSON.parse(cliOk(['stat', img, '/verity/big.bin', '--json'])) as { verity: { digest: string; rootHash: string } };
  assert.is(st.verity.digest, KERNEL.verityDigests['/verity/big.bin']);
  assert.match(st.verity.rootHash, /^[0-9a-f]{64}$/);
  assert.match(cliOk(['stat', img, '/verity/small.txt']), new RegExp(`verity digest +${KERNEL.verityDigests['/verity/small.txt']}`));
  assert.is((JSON.parse(cliOk(['stat', img, '/plain/hello.txt', '--json'])) as { verity: unknown }).verity, null);
});

test('writes, truncates and atomic writes to a verity file fail EPERM (exit 1) and change nothing', async () => {
  const img = await copyFixture('crypto');
  const before = sha256(img);
  for (const args of [
    ['write', img, '/verity/small.txt', '--data', 'x'],
    ['write', img, '/verity/big.bin', '--append', '--data', 'x'],
    ['truncate', img, '/verity/big.bin', '0'],
    ['atomic-begin', img, '/verity/small.txt'],
  ]) {
    const r = cli(args);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /EPERM: inode \d+ is a verity file/, args.join(' '));
  }
  assert.is(sha256(img), before);
  fs.rmSync(img);
});

test('metadata changes and removal of verity files keep both fscks clean', async () => {
  const img = await copyFixture('crypto');
  cliOk(['chmod', img, '600', '/verity/small.txt']);
  cliOk(['mv', img, '/verity/small.txt', '/plain/small.txt']);
  assert.equal(fsckBoth(img).problems, []);
  const vol = Volume.open(img, { readOnly: true });
  try {
    const info = vol.inode(vol.resolve('/plain/small.txt').ino);
    assert.is(readVerity(vol, info).digest, KERNEL.verityDigests['/verity/small.txt']);
  } finally {
    vol.close();
  }
  cliOk(['rm', img, '/verity/big.bin']);
  const r = fsckBoth(img);
  assert.equal(r.problems, []);
  fs.rmSync(img);
});

test('verity-enable: the tree equals the one Linux built for the same file and salt', async () => {
  const img = await copyFixture('crypto');
  const host = `${img}.content`;
  fs.writeFileSync(host, cliOk(['cat', img, '/verity/big.bin']));
  cliOk(['write', img, '/plain/again.bin', '--from', host]);
  fs.rmSync(host);
  const r = JSON.parse(cliOk(['verity-enable', img, '/plain/again.bin', '--salt', '0123456789abcdef', '--json'])) as { digest: string };
  assert.is(r.digest, KERNEL.verityDigests['/verity/big.bin']);
  const vol = Volume.open(img, { readOnly: true });
  try {
    const [ours, theirs] = ['/plain/again.bin', '/verity/big.bin'].map((p) => {
      const info = vol.inode(vol.resolve(p).ino);
      const v = readVerity(vol, info);
      return vol.data.readPastEof(info, v.merkleTreePos, v.descriptorPos + v.descriptorSize);
    });
    assert.ok(ours!.equals(theirs!), 'tree and descriptor bytes');
  } finally {
    vol.close();
  }
  assert.is(cli(['verity-enable', img, '/plain/again.bin']).status, 1, 'EEXIST the second time');
  assert.equal(fsckBoth(img).problems, []);
  fs.rmSync(img);
});

const vm = vmAvailable();
test('verity-enable: Linux reads and measures our verity files (inline, empty, one block, two tree levels, salted)', async () => {
  if (!vm.ok) return assert.unreachable(`no test VM: ${vm.why}`);
  const img = await copyFixture('crypto');
  const files: Record<string, string> = {
    '/plain/hello.txt': '', // inline data, converted as f2fs_begin_enable_verity does
    '/plain/empty': '',
    '/plain/block': '',
    '/plain/levels': '00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff',
  };
  cliOk(['touch', img, '/plain/empty']);
  cliOk(['write', img, '/plain/block', '--data', 'b'.repeat(4096)]);
  const host = `${img}.levels`;
  fs.writeFileSync(host, Array.from({ length: 60000 }, (_, i) => `line ${i}\n`).join('')); // > 128 blocks: two levels
  cliOk(['write', img, '/plain/levels', '--from', host]);
  fs.rmSync(host);
  const digests: Record<string, string> = {};
  for (const [p, salt] of Object.entries(files)) {
    digests[p] = (JSON.parse(cliOk(['verity-enable', img, p, '--json', ...(salt ? ['--salt', salt] : [])])) as { digest: string }).digest;
  }
  assert.equal(fsckBoth(img).problems, []);
  const md5s = Object.fromEntries(Object.keys(files).map((p) => [p, createHash('md5').update(cliOk(['cat', img, p])).digest('hex')]));
  const script = ['mount -t f2fs -o ro /dev/vda /mnt', 'cd /mnt', ...Object.keys(files).map((p) => `echo "M .${p} $(fscrypt measure-verity .${p})"; md5sum .${p}`), 'cd /', 'umount /mnt'].join('\n');
  const r = await runInVm({ disks: [img], script, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  for (const p of Object.keys(files)) {
    assert.match(r.output, `M .${p} ${digests[p]}`, `${p}: Linux's FS_IOC_MEASURE_VERITY`);
    assert.match(r.output, `${md5s[p]}  .${p}`, `${p}: Linux reads (and verifies) it`);
  }
  const complaints = r.dmesg.split('\n').filter((l) => /verity|corrupt/i.test(l) && !/using implementation/.test(l));
  assert.equal(complaints, [], 'no verity complaint from the kernel');
  fs.rmSync(img);
});

test.run();
