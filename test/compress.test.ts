// Compressed files made by Linux 6.1 (fixtures/make-compress.ts: lz4, lz4hc, lzo, lzo-rle, zstd; cluster sizes 4 to
// 256 blocks; by extension, flag and inherited flag; released blocks): ours reads what the kernel read, and both
// fscks are clean.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureListing, loadFixture } from '../fixtures/load.js';
import { resolveFile } from '../src/debugfs/filespec.js';
import { statInode } from '../src/debugfs/inode.js';
import { compressAttrs } from '../src/fs/compress.js';
import { Volume } from '../src/fs/volume.js';
import { copyFixture } from '../fixtures/load.js';
import { RUN, cli, cliOk } from './helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { fsckBoth } from './helpers/fsck.js';
import { fsck } from '../src/fsck/fsck.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { lz4CompressBlock, lz4DecompressBlock } from '../src/fs/codecs/lz4.js';
import { clusterState, forEachCluster } from '../src/fs/compress.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const IMAGES = ['compress-a', 'compress-b'];

/** Compressed clusters of a file (COMPRESS_ADDR first), by the walk. */
function compressedClusters(vol: Volume, path: string): number[][] {
  const { info } = resolveFile(vol, path);
  const out: number[][] = [];
  forEachCluster(compressAttrs(info)!, 0, Math.ceil(info.inode.i_size / BLKSIZE), (s, e, v) => vol.data.walk(info, s, e, v), (c) => {
    if (clusterState(c.addrs).compressed) out.push(c.addrs);
  });
  return out;
}

for (const name of IMAGES) {
  test(`${name}: every file's content, st_blocks and i_compr_blocks are the kernel's`, async () => {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    try {
      const bad: string[] = [];
      const files = fixtureListing(name).filter((e) => e.type === 'file');
      assert.ok(files.length >= 30, `${files.length} files`);
      for (const e of files) {
        const { info } = resolveFile(vol, e.path);
        const got = md5(vol.data.read(info, 0, info.inode.i_size));
        if (got !== e.md5) bad.push(`${e.path}: md5 ${got}, the kernel's ${e.md5}`);
        const st = statInode(vol, info);
        if (st.stBlocks !== e.blocks) bad.push(`${e.path}: st_blocks ${st.stBlocks}, the kernel's ${e.blocks}`);
        const attrs = compressAttrs(info);
        if ((attrs !== null) !== (e.flags === 'compression')) bad.push(`${e.path}: compressed ${attrs !== null}, flags ${e.flags}`);
        if (e.comprBlocks !== undefined && attrs?.comprBlocks !== e.comprBlocks) bad.push(`${e.path}: i_compr_blocks ${attrs?.comprBlocks}, the kernel's ${e.comprBlocks}`);
      }
      assert.equal(bad, []);
    } finally {
      vol.close();
    }
  });

  test(`${name}: both fscks are clean`, async () => {
    const r = fsckBoth(await loadFixture(name));
    assert.equal(r.problems, []);
  });
}

test('every algorithm and a released file have compressed clusters in the fixtures (the reads above decode them)', async () => {
  const seen = new Map<string, number>();
  for (const name of IMAGES) {
    const vol = Volume.open(await loadFixture(name), { readOnly: true });
    try {
      for (const e of fixtureListing(name).filter((x) => x.type === 'file' && x.flags === 'compression')) {
        const a = compressAttrs(resolveFile(vol, e.path).info)!;
        const key = `${a.algorithmName}${a.released ? ' released' : ''}${a.chksum ? ' chksum' : ''}`;
        seen.set(key, (seen.get(key) ?? 0) + compressedClusters(vol, e.path).length);
        seen.set(`log ${a.logClusterSize}`, (seen.get(`log ${a.logClusterSize}`) ?? 0) + compressedClusters(vol, e.path).length);
      }
    } finally {
      vol.close();
    }
  }
  for (const k of ['lz4', 'lz4 chksum', 'lzo', 'lzo released', 'lzo-rle chksum', 'lzo-rle released chksum', 'zstd', 'zstd chksum', 'log 2', 'log 3', 'log 4', 'log 5', 'log 8'])
    assert.ok((seen.get(k) ?? 0) > 0, `${k}: ${JSON.stringify([...seen])}`);
});

test('cat through the CLI gives the kernel\'s bytes of a compressed file (zstd level 6, 256-block clusters, beyond the inode)', async () => {
  const img = await loadFixture('compress-b');
  const e = fixtureListing('compress-b').find((x) => x.path === '/zstd-8/big.txt')!;
  const r = spawnCat(img, e.path);
  assert.is(md5(r), e.md5);
});

test('fsck reports a wrong i_compr_blocks (set-inode), which the kernel refuses at iget', async () => {
  const img = await copyFixture('compress-a');
  // By inode number: a path needs a writable open, which this image's feature set does not allow yet.
  cliOk(['set-inode', img, `<${fixtureListing('compress-a').find((e) => e.path === '/lz4-2/text.txt')!.ino}>`, 'i_compr_blocks', '53']);
  const vol = Volume.open(img, { readOnly: true });
  try {
    const r = fsck(vol);
    assert.equal(r.findings.map((f) => f.code), ['I_COMPR_BLOCKS'], JSON.stringify(r.findings));
    assert.match(r.findings[0]!.message, /i_compr_blocks is 53, its clusters saved 54/);
  } finally {
    vol.close();
  }
});

test('a damaged compressed cluster reads as CORRUPT (bad clen, bad lz4 data), never as wrong bytes', async () => {
  const img = await copyFixture('compress-a');
  const vol = Volume.open(img, { readOnly: true });
  const [c0, c1] = compressedClusters(vol, '/lz4-2/text.txt');
  vol.close();
  const fd = fs.openSync(img, 'r+');
  // clen larger than the cluster's one compressed block can hold
  fs.writeSync(fd, Buffer.from([0xff, 0x0f, 0, 0]), 0, 4, c0![1]! * BLKSIZE);
  // a match offset before the start of the output: token 0x0f (no literals), offset 0xffff
  fs.writeSync(fd, Buffer.from([0x0f, 0xff, 0xff]), 0, 3, c1![1]! * BLKSIZE + 24);
  fs.closeSync(fd);
  const r = cli(['cat', img, '/lz4-2/text.txt']);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /CORRUPT.*cluster 0: clen 4095 exceeds/);
  const r2 = cli(['dump', img, '/lz4-2/text.txt', '/dev/null', '--force']);
  assert.ok(r2.status !== 0);
  const v2 = Volume.open(img, { readOnly: true });
  try {
    const { info } = resolveFile(v2, '/lz4-2/text.txt');
    assert.throws(() => v2.data.read(info, 4 * BLKSIZE, BLKSIZE), /cluster 1: lz4: match offset 65535 before the start/);
  } finally {
    v2.close();
  }
});

test('our LZ4 blocks decode to the input and keep the end-of-block rules (last match 12 bytes before the end, 5 literal bytes last)', () => {
  const inputs = [Buffer.alloc(16384), Buffer.from('abcd'.repeat(4096)), Buffer.from(Array.from({ length: 3000 }, (_, i) => `row ${i % 97}\n`).join('').slice(0, 16384)), Buffer.alloc(64, 7)];
  for (const src of inputs) {
    const c = lz4CompressBlock(src, src.length)!;
    assert.ok(c && c.length < src.length, `${src.length} bytes compress`);
    const out = Buffer.alloc(src.length);
    assert.is(lz4DecompressBlock(c, out), src.length);
    assert.ok(out.equals(src));
    // The last sequence is literals only and holds at least the last 5 bytes.
    const lastToken = lastSequenceToken(c);
    assert.is(lastToken & 15, 0);
  }
  let x = 2463534242;
  const noise = Buffer.from(Array.from({ length: 4096 }, () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff)));
  assert.is(lz4CompressBlock(noise, noise.length - 1), null, 'incompressible: null, stored plain');
});

/** The token of the last sequence of an LZ4 block (walking the sequences). */
function lastSequenceToken(c: Buffer): number {
  let ip = 0;
  let token = 0;
  for (;;) {
    token = c[ip++]!;
    let lit = token >> 4;
    if (lit === 15) for (let b = 255; b === 255; lit += b) b = c[ip++]!;
    ip += lit;
    if (ip >= c.length) return token;
    ip += 2;
    if ((token & 15) === 15) for (let b = 255; b === 255; ) b = c[ip++]!;
  }
}

test('stat, bmap, compress-stats, get-cblocks and get-flags show the compression of a Linux-made file', async () => {
  const img = await loadFixture('compress-a');
  const e = fixtureListing('compress-a').find((x) => x.path === '/lz4-2/text.txt')!;
  const st = JSON.parse(cliOk(['stat', img, e.path, '--json']));
  assert.equal(
    { ...st.compression, comprBlocks: st.compression.comprBlocks },
    { algorithm: 1, algorithmName: 'lz4', logClusterSize: 2, clusterSize: 4, chksum: false, level: 0, comprBlocks: e.comprBlocks, released: false },
  );
  const cs = JSON.parse(cliOk(['compress-stats', img, e.path, '--json']));
  assert.equal([cs.compressed, cs.plain, cs.saved], [18, 1, e.comprBlocks]);
  assert.ok(cs.clusters.every((c: { state: string; blocks: number; reserved: number; clen: number | null }) => (c.state === 'compressed' ? c.blocks === 1 && c.reserved === 2 && c.clen! > 0 && c.clen! <= 4096 - 24 : c.clen === null)));
  const bm = JSON.parse(cliOk(['bmap', img, e.path, '--json']));
  assert.is(bm.entries.filter((x: { kind: string }) => x.kind === 'compress').length, 18);
  assert.is(JSON.parse(cliOk(['bmap', img, e.path, '4', '--json'])).block.kind, 'compress');
  assert.is(JSON.parse(cliOk(['get-cblocks', img, e.path, '--json'])).blocks, e.comprBlocks);
  assert.equal(JSON.parse(cliOk(['get-flags', img, e.path, '--json'])).names, ['compression']);
  const released = JSON.parse(cliOk(['compress-stats', img, '/lzo-3/text.txt', '--json']));
  assert.equal([released.compression.released, released.compression.comprBlocks, released.saved], [true, 0, 9 * 6]);
  assert.match(cli(['get-cblocks', img, '/lz4-2/plain.bin']).stderr, /EINVAL.*not a compressed file/);
});

function spawnCat(img: string, p: string): Buffer {
  const r = spawnSync(process.execPath, [RUN, 'cat', img, p], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

test.run();
