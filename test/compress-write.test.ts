// Compressed writes (write, import, truncate, set-flags, release/reserve-cblocks) through the CLI on a compression image
// made by our mkfs: the cluster layout and i_compr_blocks are what Linux 6.1 would write, both fscks are clean, and
// Linux 6.1 under qemu reads every file with the same content and the same saved-block count.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveFile } from '../src/debugfs/filespec.js';
import { clusterState, compressAttrs, forEachCluster } from '../src/fs/compress.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { CompressAlgorithm } from '../src/fs/layout/compress.js';
import { Volume } from '../src/fs/volume.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { noiseBytes, textBytes } from '../fixtures/make-compress.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-compress-w-'));
const host = (name: string, data: Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
};

const text = textBytes;
const noise = noiseBytes;

/** Compressed and plain clusters of a file, by the walk. */
function clusters(vol: Volume, p: string): { compressed: number; plain: number } {
  const { info } = resolveFile(vol, p);
  const out = { compressed: 0, plain: 0 };
  forEachCluster(compressAttrs(info)!, 0, Math.ceil(info.inode.i_size / BLKSIZE), (s, e, v) => vol.data.walk(info, s, e, v), (c) => {
    if (clusterState(c.addrs).compressed) out.compressed++;
    else out.plain++;
  });
  return out;
}

const TEXT = text(300_000);
const NOISE = noise(100_000, 7);
// 16 KiB of text, 16 KiB of noise, ...: every other 4-block cluster compresses.
const MIXED = Buffer.concat(Array.from({ length: 8 }, (_, i) => (i % 2 ? noise(16384, i + 1) : text(16384))));
const BIG = text(5 << 20);

const img = path.join(dir, 'c.img');
/** What each file must hold afterwards (the host's view), and which algorithm it has. */
const expect = new Map<string, { data: Buffer; algorithm: number }>();

test('write/import/set-flags make compressed files as Linux would (inherit, extension, flag); overwrite and truncate keep them exact', () => {
  cliOk(['mkfs', img, '--size', '64M', '--features', 'extra_attr,inode_checksum,flexible_inline_xattr,compression']);
  cliOk(['mkdir', img, '/z']);
  cliOk(['set-flags', img, '/z', '+compression', '--compress-algorithm', 'zstd:3', '--compress-log-size', '4', '--compress-chksum']);
  cliOk(['write', img, '/z/text', '--from', host('text', TEXT)]); // inherits compression with the write's options (lz4, log 2)
  cliOk(['write', img, '/z/noise', '--from', host('noise', NOISE), '--compress-algorithm', 'zstd', '--compress-log-size', '3']);
  cliOk(['write', img, '/e.txt', '--from', host('text', TEXT), '--compress-ext', 'txt', '--compress-algorithm', 'lz4']);
  cliOk(['write', img, '/plain.bin', '--from', host('text', TEXT), '--compress-ext', 'txt']);
  cliOk(['touch', img, '/f']);
  cliOk(['set-flags', img, '/f', '+compression', '--compress-algorithm', 'zstd', '--compress-log-size', '2']);
  cliOk(['write', img, '/f', '--from', host('mixed', MIXED)]);
  cliOk(['write', img, '/big.txt', '--from', host('big', BIG), '--compress-ext', 'txt', '--compress-log-size', '8', '--compress-algorithm', 'zstd']);
  fs.mkdirSync(path.join(dir, 'tree'));
  fs.writeFileSync(path.join(dir, 'tree', 'a.log'), TEXT);
  fs.writeFileSync(path.join(dir, 'tree', 'b.dat'), TEXT);
  cliOk(['import', img, path.join(dir, 'tree'), '/imp', '--compress-ext', 'log', '--compress-algorithm', 'lz4', '--compress-log-size', '5']);
  // Overwrites inside compressed clusters: the cluster is read, rewritten and compressed again.
  const patched = Buffer.from(TEXT);
  patched.write('OVERWRITTEN IN A COMPRESSED CLUSTER', 5000);
  cliOk(['write', img, '/e.txt', '--data', 'OVERWRITTEN IN A COMPRESSED CLUSTER', '--offset', '5000']);
  // A compressed cluster cut in the middle becomes plain; whole clusters past the end go.
  cliOk(['write', img, '/z/cut', '--from', host('text', TEXT)]);
  cliOk(['truncate', img, '/z/cut', '70000']);
  cliOk(['write', img, '/z/grow', '--from', host('text', TEXT.subarray(0, 100_000))]);
  cliOk(['truncate', img, '/z/grow', '200000']);

  const z3 = CompressAlgorithm.ZSTD;
  expect.set('/z/text', { data: TEXT, algorithm: CompressAlgorithm.LZ4 });
  expect.set('/z/noise', { data: NOISE, algorithm: z3 });
  expect.set('/e.txt', { data: patched, algorithm: CompressAlgorithm.LZ4 });
  expect.set('/f', { data: MIXED, algorithm: z3 });
  expect.set('/big.txt', { data: BIG, algorithm: z3 });
  expect.set('/imp/a.log', { data: TEXT, algorithm: CompressAlgorithm.LZ4 });
  expect.set('/z/cut', { data: TEXT.subarray(0, 70000), algorithm: CompressAlgorithm.LZ4 });
  expect.set('/z/grow', { data: Buffer.concat([TEXT.subarray(0, 100_000), Buffer.alloc(100_000)]), algorithm: CompressAlgorithm.LZ4 });

  const vol = Volume.open(img, { readOnly: true });
  try {
    for (const [p, e] of expect) {
      const { info } = resolveFile(vol, p);
      const a = compressAttrs(info);
      assert.ok(a, `${p} is compressed`);
      assert.is(a!.algorithm, e.algorithm, p);
      assert.is(md5(vol.data.read(info, 0, info.inode.i_size)), md5(e.data), `${p} content`);
    }
    assert.is(compressAttrs(resolveFile(vol, '/plain.bin').info), null);
    assert.is(compressAttrs(resolveFile(vol, '/imp/b.dat').info), null);
    const z = resolveFile(vol, '/z').info.extra!;
    assert.equal([z.i_compress_algorithm, z.i_log_cluster_size, z.i_compress_flag], [CompressAlgorithm.ZSTD, 4, 1 | (3 << 8)], 'the directory takes the options of set-flags');
    const f = compressAttrs(resolveFile(vol, '/f').info)!;
    assert.is(f.logClusterSize, 2);
    // Text clusters compress, noise clusters stay plain, the partial last cluster is never compressed.
    assert.equal(clusters(vol, '/f'), { compressed: 4, plain: 4 });
    assert.equal(clusters(vol, '/z/noise'), { compressed: 0, plain: 4 });
    // 300000 bytes = 74 blocks: 18 full clusters of 4, then a partial one (never compressed).
    assert.equal(clusters(vol, '/z/text'), { compressed: 18, plain: 1 });
    assert.ok(clusters(vol, '/big.txt').compressed === 5, JSON.stringify(clusters(vol, '/big.txt')));
    // 70000 bytes = 17.1 blocks: clusters 0..3 stay compressed, cluster 4 (cut) is plain, the rest is gone.
    assert.equal(clusters(vol, '/z/cut'), { compressed: 4, plain: 1 });
    // i_compr_blocks is the sum of saved slots; i_blocks counts every slot of a compressed cluster.
    const { info } = resolveFile(vol, '/z/text');
    assert.is(compressAttrs(info)!.comprBlocks, 18 * 3);
    assert.is(info.inode.i_blocks, 1 + 74);
  } finally {
    vol.close();
  }
  assert.equal(fsckBoth(img).problems, []);
});

test('release-cblocks frees the saved blocks; writes and unaligned truncates are then refused as Linux does; reserve-cblocks restores them', () => {
  const before = JSON.parse(cliOk(['get-cblocks', img, '/e.txt', '--json'])).blocks;
  assert.ok(before > 0);
  const freed = JSON.parse(cliOk(['release-cblocks', img, '/e.txt', '--json'])).blocks;
  assert.is(freed, before);
  assert.is(JSON.parse(cliOk(['get-cblocks', img, '/e.txt', '--json'])).blocks, 0);
  assert.equal(fsckBoth(img).problems, []);
  const w = cli(['write', img, '/e.txt', '--data', 'x']);
  assert.is(w.status, 1);
  assert.match(w.stderr, /EPERM: write: inode \d+ is a compressed file whose blocks were released/);
  const t = cli(['truncate', img, '/e.txt', '1000']);
  assert.match(t.stderr, /EINVAL.*multiple of its cluster size/);
  assert.is(md5(Buffer.from(cliOk(['cat', img, '/e.txt']), 'latin1')), md5(expect.get('/e.txt')!.data), 'released files read the same');
  assert.match(cli(['release-cblocks', img, '/e.txt']).stderr, /EINVAL.*released already/);
  assert.is(JSON.parse(cliOk(['reserve-cblocks', img, '/e.txt', '--json'])).blocks, before);
  assert.is(JSON.parse(cliOk(['get-cblocks', img, '/e.txt', '--json'])).blocks, before);
  assert.equal(fsckBoth(img).problems, []);
  // Released again, for Linux to read below.
  cliOk(['release-cblocks', img, '/e.txt']);
  assert.equal(fsckBoth(img).problems, []);
});

test('set-flags follows f2fs_setflags_common: no compression flag on a file with data, get-flags names the flags', () => {
  assert.match(cli(['set-flags', img, '/plain.bin', '+compression']).stderr, /EINVAL/);
  assert.match(cli(['set-flags', img, '/big.txt', '--', '-compression']).stderr, /EINVAL.*data blocks/);
  assert.match(cli(['set-flags', img, '/f', '+nocompression']).stderr, /EINVAL.*exclude/);
  assert.match(cliOk(['get-flags', img, '/f']), /compression/);
  cliOk(['touch', img, '/g']);
  cliOk(['set-flags', img, '/g', '+compression']);
  cliOk(['set-flags', img, '/g', '--', '-compression,+nodump']);
  assert.equal(JSON.parse(cliOk(['get-flags', img, '/g', '--json'])).names, ['nodump']);
  // f2fs_ioc_start_atomic_write: a compressed file with data is refused, an empty one stops being compressed.
  assert.match(cli(['atomic-begin', img, '/f']).stderr, /EINVAL.*has data blocks/);
  cliOk(['touch', img, '/h']);
  cliOk(['set-flags', img, '/h', '+compression']);
  cliOk(['atomic-begin', img, '/h']);
  assert.equal(JSON.parse(cliOk(['get-flags', img, '/h', '--json'])).names, []);
  assert.equal(fsckBoth(img).problems, []);
});

const vm = vmAvailable();
test('Linux 6.1 reads our compressed files with the same content and i_compr_blocks', async () => {
  if (!vm.ok) {
    console.log(`  (skipped: ${vm.why})`);
    return;
  }
  const names = [...expect.keys()];
  const vol = Volume.open(img, { readOnly: true });
  const ours = new Map(names.map((p) => [p, compressAttrs(resolveFile(vol, p).info)!.comprBlocks]));
  vol.close();
  const script = ['set -e', 'mount -t f2fs -o ro /dev/vda /mnt', ...names.map((p) => `echo "F ${p} $(md5sum < /mnt${p} | cut -d' ' -f1) $(f2fs_io get_cblocks /mnt${p})"`), 'umount /mnt'].join('\n');
  const r = await runInVm({ disks: [img], script, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output + r.dmesg);
  const bad: string[] = [];
  for (const p of names) {
    const m = new RegExp(`^F ${p} ([0-9a-f]{32}) (\\d+)$`, 'm').exec(r.output);
    if (!m) bad.push(`${p}: no line from the guest`);
    else {
      if (m[1] !== md5(expect.get(p)!.data)) bad.push(`${p}: Linux read md5 ${m[1]}`);
      if (Number(m[2]) !== ours.get(p)) bad.push(`${p}: Linux says i_compr_blocks ${m[2]}, ours ${ours.get(p)}`);
    }
  }
  assert.equal(bad, [], r.output);
  assert.not.match(r.dmesg, /F2FS-fs.*(decompress|checksum invalid|inconsistent|run fsck)/i);
});

test.run();
