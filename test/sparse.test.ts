// Android sparse images: round trips against img2simg/simg2img (android-sdk-libsparse-utils), every read command on a
// sparse image equal to the raw one, writes through a sparse image equal to the same writes on the raw image (as
// simg2img expands it), the device contract (flush, power cut, lazy reads) and hostile headers (CORRUPT, exit 3).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture } from '../fixtures/load.js';
import { BLOCK_SIZE, SparseDevice, openDevice } from '../src/device/index.js';
import { ChunkHeader, SparseHeader } from '../src/device/sparse-device.js';
import { F2fsError } from '../src/errors.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, tmpPath } from './helpers/images.js';

const img2simg = (raw: string, out: string) => execFileSync('img2simg', [raw, out], { stdio: 'pipe' });
const simg2img = (sparse: string, out: string) => execFileSync('simg2img', [sparse, out], { stdio: 'pipe' });
const same = (a: string, b: string) => fs.readFileSync(a).equals(fs.readFileSync(b));

/** A sparse image made by hand: chunks given as [type, blocks, data] (data: RAW blocks, or the FILL/CRC32 word). */
type HandChunk = ['raw', number, Buffer] | ['fill', number, number] | ['dont-care', number] | ['crc32', number];
const CODES = { raw: 0xcac1, fill: 0xcac2, 'dont-care': 0xcac3, crc32: 0xcac4 };
function handSparse(name: string, chunks: HandChunk[], header: Partial<ReturnType<typeof SparseHeader.decode>> = {}): string {
  const parts: Buffer[] = [];
  let blocks = 0;
  for (const c of chunks) {
    const data = c[0] === 'raw' ? c[2] : c[0] === 'dont-care' ? Buffer.alloc(0) : word(c[0] === 'fill' ? c[2] : c[1]);
    const covered = c[0] === 'crc32' ? 0 : c[1];
    parts.push(ChunkHeader.encode({ chunk_type: CODES[c[0]], reserved1: 0, chunk_sz: covered, total_sz: ChunkHeader.size + data.length }), data);
    blocks += covered;
  }
  const head = SparseHeader.encode({
    magic: 0xed26ff3a, major_version: 1, minor_version: 0, file_hdr_sz: 28, chunk_hdr_sz: 12, blk_sz: BLOCK_SIZE,
    total_blks: blocks, total_chunks: chunks.length, image_checksum: 0, ...header,
  });
  const file = tmpPath(name);
  fs.writeFileSync(file, Buffer.concat([head, ...parts]));
  return file;
}
function word(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** Every read command whose output must not depend on the image being sparse. */
function readViews(img: string): Record<string, string> {
  return {
    info: cliOk(['info', img, '--json']),
    manifest: cliOk(['manifest', img]),
    ls: cliOk(['ls', img, '/', '-l', '--json']),
    fsck: cliOk(['fsck', img, '--json']).replace(/"ms": \d+/g, ''),
    sb: cliOk(['dump-sb', img, '--json']),
    sit: cliOk(['dump-sit', img, '--brief', '--json']),
  };
}

let golden: string;
let goldenSparse: string;

test('sparse equals img2simg and unsparse equals simg2img on the golden image and a mkfs.f2fs image', async () => {
  golden = await copyFixture('default', tmpPath('golden.img'));
  for (const raw of [golden, mkfsImage('mkfs.img', 64)]) {
    const theirs = `${raw}.img2simg`;
    img2simg(raw, theirs);
    const ours = `${raw}.ours.simg`;
    const r = JSON.parse(cliOk(['sparse', raw, ours, '--json']));
    assert.is(r.blocks, fs.statSync(raw).size / BLOCK_SIZE);
    assert.ok(same(ours, theirs), `sparse ${raw} differs from img2simg's`);
    assert.is(r.bytes, fs.statSync(ours).size);
    // Each tool expands the other's output to the raw image.
    simg2img(ours, `${raw}.simg2img`);
    assert.ok(same(`${raw}.simg2img`, raw));
    cliOk(['unsparse', theirs, `${raw}.unsparse`]);
    assert.ok(same(`${raw}.unsparse`, raw));
    if (raw === golden) goldenSparse = theirs;
  }
});

test('every read command on the sparse image answers as on the raw image', () => {
  assert.equal(readViews(goldenSparse), readViews(golden));
  const file = cliOk(['manifest', golden]).match(/^\.\/(\S+) .*type=file/m)?.[1];
  assert.ok(file, 'the golden image has a file');
  const a = cli(['cat', goldenSparse, `/${file}`]);
  assert.is(a.status, 0);
  assert.is(a.stdout, cliOk(['cat', golden, `/${file}`]));
});

test('writes through a sparse image: simg2img gives the same image as the writes on the raw one, both fscks clean', () => {
  const raw = tmpPath('w.img');
  const sparse = tmpPath('w.simg');
  fs.copyFileSync(golden, raw);
  fs.copyFileSync(goldenSparse, sparse);
  const host = tmpPath('payload');
  fs.writeFileSync(host, Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff)));
  for (const img of [raw, sparse]) {
    cliOk(['mkdir', img, '/android', '--timestamp', '1000']);
    cliOk(['write', img, '/android/payload', '--from', host, '--timestamp', '1000']);
    cliOk(['symlink', img, '/android/payload', '/android/link', '--timestamp', '1000']);
    cliOk(['rm', img, '/android/link', '--timestamp', '1000']);
    // A power cut after the command, and fsync without a checkpoint: what reaches the sparse image is what reaches the raw one.
    cliOk(['write', img, '/android/lost', '--data', 'never checkpointed', '--sync', 'none', '--timestamp', '1000']);
    cliOk(['write', img, '/android/synced', '--data', 'fsynced only', '--sync', 'fsync', '--timestamp', '1000']);
  }
  assert.is(fs.readFileSync(sparse).readUInt32LE(0), 0xed26ff3a, 'still a sparse image');
  const expanded = tmpPath('w.expanded');
  simg2img(sparse, expanded);
  assert.ok(same(expanded, raw), 'simg2img of the written sparse image equals the written raw image');
  assert.equal(fsckBoth(expanded).problems, []);
  // The rewrite keeps img2simg's layout: it is what img2simg makes of the new content.
  img2simg(expanded, `${expanded}.img2simg`);
  assert.ok(same(sparse, `${expanded}.img2simg`));
  assert.is(fs.readdirSync(tmpPath('.')).filter((n) => n.includes('f2fsdbg-')).length, 0, 'no temporary file left behind');
});

test('device contract: reads see flushed writes, a power cut writes nothing, close rewrites only what was flushed', () => {
  const file = handSparse('contract.simg', [['raw', 2, Buffer.alloc(2 * BLOCK_SIZE, 0x11)], ['fill', 3, 0xdeadbeef], ['dont-care', 5]]);
  const before = fs.readFileSync(file);
  const ino = fs.statSync(file).ino;
  let dev = openDevice(file, { readOnly: false });
  assert.ok(dev instanceof SparseDevice);
  assert.is(dev.blockCount, 10);
  assert.ok(dev.readBlock(3).equals(Buffer.alloc(BLOCK_SIZE, word(0xdeadbeef))));
  assert.ok(dev.readBlock(9).equals(Buffer.alloc(BLOCK_SIZE)));
  dev.writeBlock(9, Buffer.alloc(BLOCK_SIZE, 0x99));
  assert.is(dev.pendingCount, 1);
  dev.discardPending();
  dev.close();
  assert.ok(fs.readFileSync(file).equals(before), 'discarded writes never reach the image');
  assert.is(fs.statSync(file).ino, ino, 'nothing written: not even rewritten');

  dev = openDevice(file, { readOnly: false });
  dev.writeBlock(3, Buffer.alloc(BLOCK_SIZE, 0x33));
  dev.flush();
  dev.writeBlock(8, Buffer.alloc(BLOCK_SIZE, 0x88)); // pending at close: dropped, as on every device
  const mixed = Buffer.alloc(4 * BLOCK_SIZE);
  dev.readBlocks(1, 4, mixed, 0);
  assert.ok(mixed.subarray(BLOCK_SIZE * 2, BLOCK_SIZE * 3).equals(Buffer.alloc(BLOCK_SIZE, 0x33)));
  assert.ok(mixed.subarray(BLOCK_SIZE * 3).equals(Buffer.alloc(BLOCK_SIZE, word(0xdeadbeef))));
  dev.close();
  const expanded = tmpPath('contract.raw');
  simg2img(file, expanded);
  const want = Buffer.alloc(10 * BLOCK_SIZE);
  want.fill(0x11, 0, 2 * BLOCK_SIZE);
  want.fill(word(0xdeadbeef), 2 * BLOCK_SIZE, 5 * BLOCK_SIZE);
  want.fill(0x33, 3 * BLOCK_SIZE, 4 * BLOCK_SIZE);
  assert.ok(fs.readFileSync(expanded).equals(want));
  // The untouched DONT_CARE run stays one (not 5 blocks of zeros).
  const d = SparseDevice.open(file);
  assert.equal(d.chunks.map((c) => [c.type, c.blocks]), [['raw', 2], ['fill', 1], ['fill', 1], ['fill', 1], ['dont-care', 5]]);
  d.close();
});

test('a 1 TiB sparse image opens and is written with memory independent of its size', () => {
  const tib = 2 ** 28; // blocks
  const file = handSparse('huge.simg', [['dont-care', tib]]);
  const rss = process.memoryUsage().rss;
  const dev = openDevice(file, { readOnly: false });
  assert.is(dev.blockCount, tib);
  dev.writeBlock(tib - 1, Buffer.alloc(BLOCK_SIZE, 7));
  dev.flush();
  assert.ok(dev.readBlock(tib - 1).equals(Buffer.alloc(BLOCK_SIZE, 7)));
  assert.ok(dev.readBlock(123456).equals(Buffer.alloc(BLOCK_SIZE)));
  dev.close();
  const grownMb = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grownMb < 16, `RSS grew by ${grownMb.toFixed(1)} MiB`);
  assert.is(fs.statSync(file).size, 28 + 12 + 16, 'a DONT_CARE chunk and a FILL chunk (the block is one repeated word)');
  const d = SparseDevice.open(file);
  assert.equal(d.chunks.map((c) => [c.type, c.blocks]), [['dont-care', tib - 1], ['fill', 1]]);
  d.close();
});

test('CRC32 chunks: simg2img and we accept a right one; unsparse refuses a wrong one', () => {
  const data = Buffer.alloc(2 * BLOCK_SIZE, 0x5a);
  data[77] = 1;
  const crc = zlib.crc32(Buffer.concat([data, Buffer.alloc(BLOCK_SIZE)]));
  const good = handSparse('crc-good.simg', [['raw', 2, data], ['dont-care', 1], ['crc32', crc]]);
  simg2img(good, tmpPath('crc-good.raw'));
  cliOk(['unsparse', good, tmpPath('crc-good.ours')]);
  assert.ok(same(tmpPath('crc-good.raw'), tmpPath('crc-good.ours')));
  const bad = handSparse('crc-bad.simg', [['raw', 2, data], ['dont-care', 1], ['crc32', crc ^ 1]]);
  const r = cli(['unsparse', bad, tmpPath('crc-bad.ours')]);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /CORRUPT: .*crc32/);
  assert.not.ok(fs.existsSync(tmpPath('crc-bad.ours')));
});

test('hostile sparse headers are CORRUPT (exit 3) without hanging or allocating what they claim', () => {
  const raw4 = Buffer.alloc(4 * BLOCK_SIZE, 1);
  const cases: [string, string, RegExp][] = [
    ['raw chunk size', handSparse('h1', [['raw', 4, raw4.subarray(0, 3 * BLOCK_SIZE)]], { total_blks: 4 }), /total_sz/],
    ['chunk count beyond the file', handSparse('h2', [['fill', 4, 0]], { total_chunks: 0xffffffff }), /total_chunks 4294967295/],
    ['total_blks mismatch', handSparse('h3', [['fill', 4, 0]], { total_blks: 5 }), /cover 4 blocks, total_blks says 5/],
    ['chunk past total_blks', handSparse('h4', [['fill', 0xffffffff, 0]], { total_blks: 4 }), /past total_blks/],
    ['crc32 chunk covering blocks', handSparse('h5', [['fill', 4, 0], ['crc32', 0]]), /crc32/],
    ['unknown chunk type', handSparse('h6', [['fill', 4, 0]]), /unknown chunk type/],
    ['file header size', handSparse('h7', [['fill', 4, 0]], { file_hdr_sz: 12 }), /file_hdr_sz/],
    ['chunk header size', handSparse('h8', [['fill', 4, 0]], { chunk_hdr_sz: 4 }), /chunk_hdr_sz/],
    ['block size', handSparse('h9', [['fill', 4, 0]], { blk_sz: 0 }), /blk_sz/],
    ['raw data truncated', handSparse('h10', [['raw', 4, raw4]]), /past the end/],
  ];
  // Corrupt what the generic encoder cannot express: the crc32 chunk's block count, the chunk type, the truncation.
  const patch = (file: string, off: number, v: number, size = 4) => {
    const b = fs.readFileSync(file);
    if (size === 2) b.writeUInt16LE(v, off);
    else b.writeUInt32LE(v, off);
    fs.writeFileSync(file, b);
  };
  patch(cases[4][1], 28 + 16 + 4, 1); // the crc32 chunk's chunk_sz
  patch(cases[5][1], 28, 0xcac9, 2);
  fs.truncateSync(cases[9][1], fs.statSync(cases[9][1]).size - 100);
  for (const [what, file, why] of cases) {
    const t0 = Date.now();
    const r = cli(['info', file]);
    assert.is(r.status, 3, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /CORRUPT: /, what);
    assert.match(r.stderr, why, what);
    assert.ok(Date.now() - t0 < 10_000, `${what} took ${Date.now() - t0} ms`);
    try {
      SparseDevice.open(file);
      assert.unreachable(what);
    } catch (e) {
      assert.ok(e instanceof F2fsError && e.code === 'CORRUPT', `${what}: ${String(e)}`);
    }
  }
  // A block size other than 4096 is valid but not ours to read: UNSUPPORTED (exit 4).
  const r = cli(['info', handSparse('h11', [['fill', 4, 0]], { blk_sz: 1024 })]);
  assert.is(r.status, 4, r.stderr);
});

test('unsparse of a raw image is a usage mistake; sparse of a sparse image re-sparses its raw view', () => {
  const r = cli(['unsparse', golden, tmpPath('nope')]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /not an Android sparse image/);
  cliOk(['sparse', goldenSparse, tmpPath('again.simg')]);
  assert.ok(same(tmpPath('again.simg'), goldenSparse));
});

test.run();
