// Tests for the block devices: lazy cached reads, write queue ordering, flush, power cut and read-only enforcement.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F2fsError, type ErrorCode } from '../src/errors.js';
import { BLOCK_SIZE, FileDevice, MemDevice, SLAB_PAGES, allocPages, openDevice } from '../src/device/index.js';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-device-'));
let nextFile = 0;

/** A temp image of `blocks` blocks, block i filled with byte i+1 (so every block is distinguishable). */
function makeImage(blocks: number): string {
  const file = path.join(tmpDir, `img${nextFile++}`);
  const buf = Buffer.alloc(blocks * BLOCK_SIZE);
  for (let i = 0; i < blocks; i++) buf.fill(i + 1, i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
  fs.writeFileSync(file, buf);
  return file;
}

const page = (byte: number) => Buffer.alloc(BLOCK_SIZE, byte);
const blockOf = (file: string, blkaddr: number) =>
  fs.readFileSync(file).subarray(blkaddr * BLOCK_SIZE, (blkaddr + 1) * BLOCK_SIZE);

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof F2fsError, `expected F2fsError, got ${String(e)}`);
    assert.is((e as F2fsError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** Records what reaches the backing store, to observe flush order and coalescing. */
class RecordingMemDevice extends MemDevice {
  raw: Array<[number, number]> = [];
  protected override writeRaw(blkaddr: number, blocks: Buffer[]): void {
    this.raw.push([blkaddr, blocks.length]);
    super.writeRaw(blkaddr, blocks);
  }
}

// First, so no other test's garbage muddies the RSS measurement.
test('1 TiB sparse image opens lazily and reads only the page asked for', () => {
  const file = path.join(tmpDir, 'sparse');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 2 ** 40);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, page(0xab), 0, BLOCK_SIZE, 2 ** 40 - BLOCK_SIZE);
  fs.closeSync(fd);

  const rssBefore = process.memoryUsage().rss;
  const dev = FileDevice.open(file);
  assert.is(dev.blockCount, 2 ** 28);
  assert.ok(dev.readBlock(dev.blockCount - 1).equals(page(0xab)));
  assert.is(dev.stats.blocksRead, 1);
  assert.is(dev.stats.cacheHits, 0);
  dev.readBlock(dev.blockCount - 1);
  assert.is(dev.stats.blocksRead, 1);
  assert.is(dev.stats.cacheHits, 1);
  assert.ok(dev.readBlock(12345).equals(page(0)));
  assert.is(dev.stats.blocksRead, 2);
  assert.is(dev.cachedPages, 2);
  const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  assert.ok(grownMb < 8, `RSS grew by ${grownMb.toFixed(1)} MiB`);
  dev.close();
});

test('block count ignores a trailing partial block; reads past the end are EINVAL', () => {
  const tiny = path.join(tmpDir, 'tiny');
  fs.writeFileSync(tiny, Buffer.alloc(BLOCK_SIZE - 1));
  const t = FileDevice.open(tiny);
  assert.is(t.blockCount, 0);
  throwsCode(() => t.readBlock(0), 'EINVAL');
  t.close();

  const file = makeImage(3);
  fs.appendFileSync(file, Buffer.alloc(100, 9));
  const dev = FileDevice.open(file, { readOnly: false });
  assert.is(dev.blockCount, 3);
  assert.ok(dev.readBlock(2).equals(page(3)));
  for (const bad of [3, -1, 1.5, NaN]) throwsCode(() => dev.readBlock(bad), 'EINVAL');
  throwsCode(() => dev.writeBlock(3, page(1)), 'EINVAL');
  throwsCode(() => dev.writeBlock(0, Buffer.alloc(100)), 'EINVAL');
  assert.is(dev.pendingCount, 0);
  dev.close();
  throwsCode(() => new MemDevice(4).readBlock(4), 'EINVAL');
});

test('a short read (file truncated under us) is IO', () => {
  const file = makeImage(3);
  const dev = FileDevice.open(file);
  fs.truncateSync(file, BLOCK_SIZE + 10);
  throwsCode(() => dev.readBlock(2), 'IO');
  throwsCode(() => dev.readBlock(1), 'IO');
  assert.ok(dev.readBlock(0).equals(page(1)));
  dev.close();
});

test('LRU keeps at most capacity clean pages and evicts the least recently used', () => {
  const file = makeImage(10);
  const dev = FileDevice.open(file, { cacheMb: 4 / 256 }); // 4 pages
  for (let b = 0; b < 10; b++) {
    assert.ok(dev.readBlock(b).equals(page(b + 1)));
    assert.ok(dev.cachedPages <= 4);
  }
  assert.is(dev.cachedPages, 4);
  assert.is(dev.stats.blocksRead, 10);

  for (let b = 0; b < 4; b++) dev.readBlock(b); // cache: 0 1 2 3 (all misses)
  dev.readBlock(0); // hit; 1 is now least recent
  dev.readBlock(4); // evicts 1
  assert.is(dev.stats.blocksRead, 15);
  assert.is(dev.stats.cacheHits, 1);
  dev.readBlock(0);
  assert.is(dev.stats.cacheHits, 2);
  dev.readBlock(1);
  assert.is(dev.stats.blocksRead, 16);
  assert.is(dev.cachedPages, 4);
  dev.close();

  const none = FileDevice.open(file, { cacheMb: 0 });
  none.readBlock(0);
  none.readBlock(0);
  assert.is(none.cachedPages, 0);
  assert.is(none.stats.blocksRead, 2);
  none.close();
  throwsCode(() => FileDevice.open(file, { cacheMb: -1 }), 'USAGE');
});

test('a full LRU evicts its least recent sixteenth at once, in use order', () => {
  const dev = new MemDevice(64, { cacheMb: 32 / 256 }); // 32 pages: 2 evicted per overflow
  for (let b = 0; b < 32; b++) dev.writeBlock(b, page(b));
  dev.flush();
  assert.is(dev.cachedPages, 32);
  dev.readBlock(0); // 0 becomes most recent: 1 and 2 are now the two oldest
  dev.writeBlock(40, page(40));
  dev.flush();
  assert.is(dev.cachedPages, 31);
  const reads = dev.stats.blocksRead;
  for (const b of [0, 3, 31, 40]) dev.readBlock(b);
  assert.is(dev.stats.blocksRead, reads); // kept
  dev.readBlock(1);
  dev.readBlock(2);
  assert.is(dev.stats.blocksRead, reads + 2); // evicted
});

test('allocator pages go back to it once flushed: not cached, their slab reused when all came back', () => {
  const dev = new MemDevice(4 * SLAB_PAGES);
  const run = allocPages(SLAB_PAGES); // a whole slab
  const store = run.buffer;
  for (let i = 0; i < SLAB_PAGES; i++) {
    const p = run.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
    p.fill(i + 1);
    dev.adoptBlock(i, p);
  }
  const old = allocPages(1); // the slab is full: a new one
  assert.is.not(old.buffer, store);
  assert.ok(dev.readBlock(5).equals(page(6))); // pending pages read back until the flush
  dev.flush();
  assert.is(dev.cachedPages, 0);
  run.fill(0xee); // nothing the device holds may alias the released pages
  assert.ok(dev.readBlock(5).equals(page(6)));
  assert.is(dev.stats.blocksRead, 1);
  dev.adoptBlock(100, old.fill(7));
  dev.flush();
  const next = allocPages(SLAB_PAGES); // the second slab can't hold it: the released first one comes back
  assert.is(next.buffer, store);
  assert.ok(dev.readBlock(100).equals(page(7)));
});

test('readBlocks copies a run: pending and cached blocks from memory, the gaps in one read each, nothing cached', () => {
  const file = makeImage(12);
  const dev = FileDevice.open(file, { readOnly: false });
  dev.readBlock(3); // cached
  dev.writeBlock(5, page(0xaa)); // pending
  const reads = dev.stats.blocksRead;
  const out = Buffer.alloc(10 * BLOCK_SIZE + 1, 0xff);
  dev.readBlocks(1, 10, out, 1);
  for (let b = 1; b <= 10; b++) {
    const want = b === 5 ? page(0xaa) : page(b + 1);
    assert.ok(out.subarray(1 + (b - 1) * BLOCK_SIZE, 1 + b * BLOCK_SIZE).equals(want), `block ${b}`);
  }
  assert.is(out[0], 0xff);
  assert.is(dev.stats.blocksRead - reads, 8);
  assert.is(dev.stats.cacheHits, 1);
  assert.is(dev.cachedPages, 1); // the streamed blocks were not cached
  throwsCode(() => dev.readBlocks(8, 5, Buffer.alloc(5 * BLOCK_SIZE), 0), 'EINVAL'); // past the device
  throwsCode(() => dev.readBlocks(0, 2, Buffer.alloc(BLOCK_SIZE), 0), 'EINVAL'); // past the buffer
  dev.close();
});

test('a page just read stays cached even when every older page was hit since (CLOCK makes room first)', () => {
  const dev = new MemDevice(64, { cacheMb: 16 / 256 }); // 16 pages
  for (let b = 0; b < 16; b++) dev.readBlock(b);
  for (let b = 0; b < 16; b++) dev.readBlock(b); // all marked
  dev.readBlock(40);
  const reads = dev.stats.blocksRead;
  dev.readBlock(40);
  assert.is(dev.stats.blocksRead, reads);
  assert.is(dev.cachedPages, 16);
});

test('readBlocks reads a long gap from the store in pieces of at most 256 blocks (1 MiB)', () => {
  class Counting extends MemDevice {
    readonly pieces: number[] = [];
    protected override readRawInto(blkaddr: number, count: number, out: Buffer, off: number): void {
      this.pieces.push(count);
      super.readRawInto(blkaddr, count, out, off);
    }
  }
  const dev = new Counting(1000);
  dev.writeBlock(599, page(9));
  dev.flush();
  const out = Buffer.alloc(600 * BLOCK_SIZE);
  dev.readBlocks(0, 600, out, 0);
  assert.equal(dev.pieces, [256, 256, 87]); // block 599 comes from the cache (kept at its flush)
  assert.ok(out.subarray(599 * BLOCK_SIZE).equals(page(9)));
});

test('flushed pages stay cached but never push the cache past capacity', () => {
  const dev = new MemDevice(20, { cacheMb: 4 / 256 });
  for (let b = 0; b < 10; b++) dev.writeBlock(b, page(b));
  assert.is(dev.cachedPages, 0); // pending pages are not in the LRU
  dev.flush();
  assert.is(dev.cachedPages, 4);
  dev.readBlock(9);
  assert.is(dev.stats.cacheHits, 1);
  assert.is(dev.stats.blocksRead, 0);
});

test('read-only devices refuse writes with EROFS and leave the file unchanged', () => {
  const file = makeImage(2);
  const before = fs.readFileSync(file);
  const dev = FileDevice.open(file); // read-only is the default
  assert.is(dev.readOnly, true);
  dev.trace = [];
  throwsCode(() => dev.writeBlock(0, page(0xee)), 'EROFS');
  assert.is(dev.pendingCount, 0);
  assert.equal(dev.trace, []);
  dev.flush('noop'); // nothing pending: still a barrier
  assert.is(dev.stats.flushes, 1);
  assert.is(dev.stats.blocksWritten, 0);
  dev.close();
  assert.ok(fs.readFileSync(file).equals(before));

  const mem = new MemDevice(2, { readOnly: true });
  throwsCode(() => mem.writeBlock(1, page(1)), 'EROFS');
});

test('readBlock sees pending writes, which are copied on write', () => {
  const file = makeImage(2);
  const dev = FileDevice.open(file, { readOnly: false });
  const data = page(0x55);
  dev.writeBlock(1, data);
  data.fill(0x66);
  assert.ok(dev.readBlock(1).equals(page(0x55)));
  assert.is(dev.stats.blocksRead, 0);
  assert.ok(blockOf(file, 1).equals(page(2))); // nothing reaches the file before flush
  dev.close();
});

test('flush writes in queue order, coalescing adjacent runs; a re-write moves to the end', () => {
  const dev = new RecordingMemDevice(16);
  dev.trace = [];
  dev.writeBlock(7, page(1), 'node');
  dev.writeBlock(2, page(2));
  dev.writeBlock(3, page(3));
  dev.writeBlock(9, page(4), 'cp');
  dev.writeBlock(7, page(5), 'node'); // moves after 9
  dev.writeBlock(8, page(6)); // adjacent to 7 in both address and order
  dev.flush('cp');
  assert.equal(dev.raw, [
    [2, 2],
    [9, 1],
    [7, 2],
  ]);
  assert.equal(dev.trace, [
    { op: 'write', blkaddr: 7, tag: 'node' },
    { op: 'write', blkaddr: 2, tag: 'data' },
    { op: 'write', blkaddr: 3, tag: 'data' },
    { op: 'write', blkaddr: 9, tag: 'cp' },
    { op: 'write', blkaddr: 7, tag: 'node' },
    { op: 'write', blkaddr: 8, tag: 'data' },
    { op: 'flush', tag: 'cp' },
  ]);
  assert.is(dev.stats.blocksWritten, 5);
  assert.is(dev.stats.flushes, 1);
  assert.ok(dev.readBlock(7).equals(page(5)));
  dev.flush();
  assert.equal(dev.trace[dev.trace.length - 1], { op: 'flush', tag: 'flush' });
  assert.is(dev.stats.flushes, 2);
  assert.is(dev.raw.length, 3);
});

test('flush to a file: the latest data of each block lands, in order', () => {
  const file = makeImage(6);
  const dev = FileDevice.open(file, { readOnly: false });
  dev.trace = [];
  dev.writeBlock(5, page(0xa0));
  dev.writeBlock(3, page(0xa1));
  dev.writeBlock(4, page(0xa2));
  dev.writeBlock(5, page(0xa3));
  dev.flush('barrier');
  assert.equal(
    dev.trace.map((e) => (e.op === 'write' ? e.blkaddr : e.tag)),
    [5, 3, 4, 5, 'barrier'],
  );
  assert.is(dev.stats.blocksWritten, 3);
  assert.is(dev.pendingCount, 0);
  dev.close();
  const img = fs.readFileSync(file);
  const expected = [1, 2, 3, 0xa1, 0xa2, 0xa3];
  expected.forEach((byte, b) => assert.ok(img.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE).equals(page(byte)), `block ${b}`));
});

test('discardPending loses unflushed writes but keeps flushed ones', () => {
  const file = makeImage(3);
  const dev = FileDevice.open(file, { readOnly: false });
  dev.readBlock(0); // cached before the write: flush must refresh the clean copy that discard falls back to
  dev.writeBlock(0, page(0x10));
  dev.flush();
  dev.writeBlock(0, page(0x20));
  dev.writeBlock(1, page(0x21));
  assert.ok(dev.readBlock(0).equals(page(0x20)));
  dev.discardPending();
  assert.is(dev.pendingCount, 0);
  assert.ok(dev.readBlock(0).equals(page(0x10)));
  assert.ok(dev.readBlock(1).equals(page(2)));
  dev.flush();
  assert.is(dev.stats.blocksWritten, 1);
  dev.close();
  assert.ok(blockOf(file, 0).equals(page(0x10)));
  assert.ok(blockOf(file, 1).equals(page(2)));
});

test('close drops pending writes without writing them; a closed device refuses I/O', () => {
  const file = makeImage(1);
  const dev = FileDevice.open(file, { readOnly: false });
  dev.writeBlock(0, page(0x77));
  dev.close();
  dev.close();
  assert.ok(blockOf(file, 0).equals(page(1)));
  throwsCode(() => dev.readBlock(0), 'EINVAL');
  throwsCode(() => dev.flush(), 'EINVAL');
});

test('open errors are typed', () => {
  throwsCode(() => FileDevice.open(path.join(tmpDir, 'missing')), 'ENOENT');
  throwsCode(() => FileDevice.open(tmpDir), 'EISDIR');
  throwsCode(() => FileDevice.open(tmpDir, { readOnly: false }), 'EISDIR');
});

test('MemDevice: zeros by default, fromBuffer/toBuffer, independent clones', () => {
  const a = new MemDevice(4);
  assert.is(a.readOnly, false);
  assert.ok(a.readBlock(3).equals(page(0)));
  a.writeBlock(1, page(1));
  a.flush();
  a.writeBlock(2, page(2)); // pending: not part of the clone
  const b = a.clone();
  assert.ok(b.readBlock(1).equals(page(1)));
  assert.ok(b.readBlock(2).equals(page(0)));
  assert.is(b.pendingCount, 0);
  assert.is(b.stats.flushes, 0);
  b.writeBlock(1, page(0xb1));
  b.flush();
  assert.ok(a.readBlock(1).equals(page(1)));
  a.flush();
  assert.ok(b.readBlock(2).equals(page(0)));
  assert.ok(a.clone().toBuffer().equals(Buffer.concat([page(0), page(1), page(2), page(0)])));

  const src = Buffer.concat([page(7), page(8), Buffer.alloc(10, 9)]);
  const c = MemDevice.fromBuffer(src, { readOnly: true });
  src.fill(0);
  assert.is(c.blockCount, 2);
  assert.ok(c.readBlock(1).equals(page(8)));
  assert.is(c.clone().readOnly, true);
});

test('MemDevice.fromFile keeps non-zero blocks only, across read chunks; saveTo writes the same image back', () => {
  // 600 blocks (three 256-block read chunks), a trailing partial block; zero blocks inside and at both chunk edges.
  const blocks = 600;
  const src = Buffer.alloc(blocks * BLOCK_SIZE + 100, 0x5a);
  for (const zero of [0, 255, 256, 300, 511, 512, 599]) src.fill(0, zero * BLOCK_SIZE, (zero + 1) * BLOCK_SIZE);
  src.fill(0, 400 * BLOCK_SIZE, 400 * BLOCK_SIZE + 1); // not all zero: kept
  const file = path.join(tmpDir, `img${nextFile++}`);
  fs.writeFileSync(file, src);
  const dev = MemDevice.fromFile(file, { readOnly: false });
  assert.is(dev.blockCount, blocks);
  const image = src.subarray(0, blocks * BLOCK_SIZE);
  assert.ok(dev.toBuffer().equals(image));
  // Writing one block (shared backing store) leaves its neighbours and a clone unchanged.
  const before = dev.clone();
  dev.writeBlock(2, page(0xc3));
  dev.flush();
  assert.ok(dev.readBlock(1).equals(page(0x5a)) && dev.readBlock(3).equals(page(0x5a)));
  assert.ok(before.toBuffer().equals(image));
  const out = path.join(tmpDir, `img${nextFile++}`);
  before.saveTo(out);
  assert.ok(fs.readFileSync(out).equals(image));
});

test('openDevice opens paths and passes devices through', () => {
  const file = makeImage(2);
  const dev = openDevice(file);
  assert.ok(dev instanceof FileDevice);
  assert.is(dev.readOnly, true);
  dev.close();
  const mem = new MemDevice(1);
  assert.is(openDevice(mem, { readOnly: true }), mem);
});

test.after(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

test.run();
