// Android sparse images (libsparse's format, as img2simg writes and simg2img reads): a lazy raw view over an index of
// the chunks, and a streaming writer. Knows nothing of F2FS.
//
// A sparse image is a header and a list of chunks, each covering a run of blocks: RAW (the blocks follow), FILL (one
// 32-bit word repeated), DONT_CARE (no data: zeros when expanded) and CRC32 (no blocks: the crc of everything expanded
// so far). Opening indexes the chunk headers once (their data is not read); a block read finds its chunk by binary
// search. Writes go behind the shared cache as for any device; what a flush makes durable is kept in a spill file
// (only the written blocks, so memory does not grow with the image) and the image is rewritten from the old chunks
// and the spilled blocks at close, into a temporary file renamed over the image: a crash before that leaves the old
// image whole.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fail, toF2fsError } from '../errors.js';
import { hostIo } from './file-device.js';
// The generic little-endian codec (no F2FS in it): the sparse structs are declared once, like the on-disk F2FS ones.
import { struct } from '../util/struct.js';
import { CachedDevice, cacheCapacity, type DeviceOptions } from './page-cache.js';
import { BLOCK_SIZE, type BlockDevice } from './types.js';

export const SPARSE_HEADER_MAGIC = 0xed26ff3a;
const SPARSE_MAJOR_VERSION = 1;
const CHUNK_TYPE_RAW = 0xcac1;
const CHUNK_TYPE_FILL = 0xcac2;
const CHUNK_TYPE_DONT_CARE = 0xcac3;
const CHUNK_TYPE_CRC32 = 0xcac4;

/** sparse_header_t of libsparse's sparse_format.h. */
export const SparseHeader = struct('sparse_header', [
  ['magic', 'u32'],
  ['major_version', 'u16'],
  ['minor_version', 'u16'],
  ['file_hdr_sz', 'u16'],
  ['chunk_hdr_sz', 'u16'],
  ['blk_sz', 'u32'],
  ['total_blks', 'u32'],
  ['total_chunks', 'u32'],
  ['image_checksum', 'u32'],
] as const);

/** chunk_header_t: total_sz counts the header and the chunk's data. */
export const ChunkHeader = struct('chunk_header', [
  ['chunk_type', 'u16'],
  ['reserved1', 'u16'],
  ['chunk_sz', 'u32'],
  ['total_sz', 'u32'],
] as const);

/** The u32 that is a FILL chunk's data (the repeated word) or a CRC32 chunk's (the crc). */
const ChunkWord = struct('chunk_word', [['value', 'u32']] as const);

export type ChunkType = 'raw' | 'fill' | 'dont-care' | 'crc32';
const TYPE_NAMES: Record<number, ChunkType> = {
  [CHUNK_TYPE_RAW]: 'raw',
  [CHUNK_TYPE_FILL]: 'fill',
  [CHUNK_TYPE_DONT_CARE]: 'dont-care',
  [CHUNK_TYPE_CRC32]: 'crc32',
};
const TYPE_CODES: Record<ChunkType, number> = { raw: CHUNK_TYPE_RAW, fill: CHUNK_TYPE_FILL, 'dont-care': CHUNK_TYPE_DONT_CARE, crc32: CHUNK_TYPE_CRC32 };

export interface SparseChunk {
  type: ChunkType;
  /** First block covered, and how many (0 for CRC32). */
  start: number;
  blocks: number;
  /** File offset of the chunk's data (RAW blocks, FILL word, CRC32 value). */
  dataOffset: number;
  /** FILL: the repeated word; CRC32: the stored crc. */
  value: number;
}

/** Largest RAW chunk: total_sz (header and data) is a u32. */
const MAX_RAW_BLOCKS = Math.floor((0xffffffff - ChunkHeader.size) / BLOCK_SIZE);
/** Largest run of blocks moved by one host read or write (1 MiB). */
const COPY_BLOCKS = 256;

const corrupt = (file: string, msg: string, info?: Record<string, unknown>): never => fail('CORRUPT', `${file}: sparse image: ${msg}`, info);

/** Reads exactly `len` bytes at `pos`; running out of file is a short read (IO). */
function preadFull(fd: number, file: string, out: Buffer, off: number, len: number, pos: number): void {
  let done = 0;
  while (done < len) {
    const n = hostIo(`reading ${file}`, () => fs.readSync(fd, out, off + done, len - done, pos + done));
    if (n === 0) fail('IO', `short read of ${file} at byte ${pos + done} (file truncated?)`);
    done += n;
  }
}

function pwriteFull(fd: number, file: string, buf: Buffer, pos: number): void {
  let done = 0;
  while (done < buf.length) done += hostIo(`writing ${file}`, () => fs.writeSync(fd, buf, done, buf.length - done, pos + done));
}

/** True when the file starts with the sparse magic (any failure to read it answers false: the plain open reports it). */
export function isSparseImage(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    if (!fs.fstatSync(fd).isFile()) return false;
    const magic = Buffer.alloc(4);
    return fs.readSync(fd, magic, 0, 4, 0) === 4 && magic.readUInt32LE(0) === SPARSE_HEADER_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads and checks the header and every chunk header (not the chunk data), as libsparse's sparse_file_read does:
 * every size and count is checked against the file before use, so a hostile image costs at most one pass over its
 * chunk headers, each of which takes file space.
 */
function indexChunks(fd: number, file: string, fileSize: number): { header: ReturnType<typeof SparseHeader.decode>; chunks: SparseChunk[] } {
  if (fileSize < SparseHeader.size) corrupt(file, `${fileSize} bytes, shorter than the ${SparseHeader.size}-byte header`);
  const hbuf = Buffer.alloc(SparseHeader.size);
  preadFull(fd, file, hbuf, 0, hbuf.length, 0);
  const h = SparseHeader.decode(hbuf);
  if (h.magic !== SPARSE_HEADER_MAGIC) corrupt(file, `bad magic 0x${h.magic.toString(16)}`);
  if (h.major_version !== SPARSE_MAJOR_VERSION) fail('UNSUPPORTED', `${file}: sparse image major version ${h.major_version} (only ${SPARSE_MAJOR_VERSION} exists)`);
  if (h.file_hdr_sz < SparseHeader.size) corrupt(file, `file_hdr_sz ${h.file_hdr_sz} < ${SparseHeader.size}`);
  if (h.chunk_hdr_sz < ChunkHeader.size) corrupt(file, `chunk_hdr_sz ${h.chunk_hdr_sz} < ${ChunkHeader.size}`);
  if (h.blk_sz === 0 || h.blk_sz % 4 !== 0) corrupt(file, `blk_sz ${h.blk_sz} is not a positive multiple of 4`);
  if (h.blk_sz !== BLOCK_SIZE) fail('UNSUPPORTED', `${file}: sparse image of ${h.blk_sz}-byte blocks (only ${BLOCK_SIZE} is supported)`);
  if (h.file_hdr_sz > fileSize) corrupt(file, `file_hdr_sz ${h.file_hdr_sz} past the end of the ${fileSize}-byte file`);
  const maxChunks = Math.floor((fileSize - h.file_hdr_sz) / h.chunk_hdr_sz);
  if (h.total_chunks > maxChunks) corrupt(file, `total_chunks ${h.total_chunks}, but the file has room for ${maxChunks} chunk headers`);

  const chunks: SparseChunk[] = [];
  const window = Buffer.alloc(64 * 1024);
  let winPos = 0;
  let winLen = 0;
  /** `len` bytes at `pos` (inside the file: checked before), through a 64 KiB window: headers are read in order. */
  const bytesAt = (pos: number, len: number) => {
    if (pos < winPos || pos + len > winPos + winLen) {
      winPos = pos;
      winLen = hostIo(`reading ${file}`, () => fs.readSync(fd, window, 0, window.length, pos));
      if (winLen < len) fail('IO', `short read of ${file} at byte ${pos} (file truncated?)`);
    }
    return window.subarray(pos - winPos, pos - winPos + len);
  };
  let pos = h.file_hdr_sz;
  let block = 0;
  for (let i = 0; i < h.total_chunks; i++) {
    if (pos + h.chunk_hdr_sz > fileSize) corrupt(file, `chunk ${i} header at byte ${pos} runs past the end of the ${fileSize}-byte file`, { chunk: i });
    const c = ChunkHeader.decode(bytesAt(pos, ChunkHeader.size));
    const type = TYPE_NAMES[c.chunk_type];
    if (type === undefined) corrupt(file, `chunk ${i}: unknown chunk type 0x${c.chunk_type.toString(16)}`, { chunk: i });
    const dataSize = c.total_sz - h.chunk_hdr_sz;
    const expect = type === 'raw' ? c.chunk_sz * h.blk_sz : type === 'dont-care' ? 0 : 4;
    if (c.total_sz < h.chunk_hdr_sz || dataSize !== expect) {
      corrupt(file, `chunk ${i} (${type}, ${c.chunk_sz} blocks): total_sz ${c.total_sz}, expected ${h.chunk_hdr_sz + expect}`, { chunk: i });
    }
    if (type === 'crc32' && c.chunk_sz !== 0) corrupt(file, `chunk ${i}: a crc32 chunk covers no blocks, this one ${c.chunk_sz}`, { chunk: i });
    if (pos + c.total_sz > fileSize) corrupt(file, `chunk ${i} data runs past the end of the ${fileSize}-byte file`, { chunk: i });
    if (block + c.chunk_sz > h.total_blks) corrupt(file, `chunk ${i} ends at block ${block + c.chunk_sz}, past total_blks ${h.total_blks}`, { chunk: i });
    const dataOffset = pos + h.chunk_hdr_sz;
    let value = 0;
    if (type === 'fill' || type === 'crc32') value = ChunkWord.decode(bytesAt(dataOffset, ChunkWord.size)).value;
    chunks.push({ type, start: block, blocks: c.chunk_sz, dataOffset, value });
    block += c.chunk_sz;
    pos += c.total_sz;
  }
  if (block !== h.total_blks) corrupt(file, `chunks cover ${block} blocks, total_blks says ${h.total_blks}`);
  return { header: h, chunks };
}

export class SparseDevice extends CachedDevice {
  /** The chunks covering blocks, in block order (what a read searches). */
  private readonly mapped: SparseChunk[];
  /** Blocks made durable by a flush since open: block → slot in the spill file. */
  private readonly spilled = new Map<number, number>();
  private spillFd: number | undefined;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    /** Every chunk in file order, CRC32 ones included. */
    readonly chunks: readonly SparseChunk[],
    private readonly mode: number,
    blockCount: number,
    readOnly: boolean,
    cacheMb: number | undefined,
  ) {
    super(blockCount, readOnly, cacheMb);
    this.mapped = chunks.filter((c) => c.blocks > 0);
  }

  /** Opens a sparse image, reading only its chunk headers; read-only unless `readOnly: false`. */
  static open(file: string, opts: DeviceOptions = {}): SparseDevice {
    const readOnly = opts.readOnly ?? true;
    cacheCapacity(opts.cacheMb);
    if (!readOnly) {
      // Checked now: the rewrite at close is too late to find out that the new image cannot be put beside the old.
      try {
        fs.accessSync(path.dirname(file), fs.constants.W_OK);
      } catch {
        fail('EROFS', `${file} is a sparse image, rewritten at close beside itself, and its directory is not writable`);
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw toF2fsError(e);
    }
    try {
      const st = fs.fstatSync(fd);
      const { header, chunks } = indexChunks(fd, file, st.size);
      return new SparseDevice(fd, file, chunks, st.mode & 0o7777, header.total_blks, readOnly, opts.cacheMb);
    } catch (e) {
      fs.closeSync(fd);
      throw toF2fsError(e);
    }
  }

  /** The chunk holding `blkaddr` (binary search; the mapped chunks tile the device). */
  private chunkAt(blkaddr: number): SparseChunk {
    let lo = 0;
    let hi = this.mapped.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.mapped[mid].start <= blkaddr) lo = mid;
      else hi = mid - 1;
    }
    return this.mapped[lo];
  }

  /** Copies `count` blocks of the chunk `c` from `blkaddr` (all inside it) into `out`. */
  private readChunk(c: SparseChunk, blkaddr: number, count: number, out: Buffer, off: number): void {
    const len = count * BLOCK_SIZE;
    if (c.type === 'raw') preadFull(this.fd, this.path, out, off, len, c.dataOffset + (blkaddr - c.start) * BLOCK_SIZE);
    else if (c.type === 'fill') out.fill(fillWord(c.value), off, off + len);
    else out.fill(0, off, off + len);
  }

  protected readRawInto(blkaddr: number, count: number, out: Buffer, off: number): void {
    const end = blkaddr + count;
    let b = blkaddr;
    while (b < end) {
      const at = off + (b - blkaddr) * BLOCK_SIZE;
      const slot = this.spilled.get(b);
      if (slot !== undefined) {
        preadFull(this.spillFd!, this.path, out, at, BLOCK_SIZE, slot * BLOCK_SIZE);
        b++;
        continue;
      }
      const c = this.chunkAt(b);
      let n = Math.min(end, c.start + c.blocks) - b;
      if (this.spilled.size > 0) {
        for (let i = 1; i < n; i++) {
          if (this.spilled.has(b + i)) {
            n = i;
            break;
          }
        }
      }
      this.readChunk(c, b, n, out, at);
      b += n;
    }
  }

  protected writeRaw(blkaddr: number, blocks: Buffer[]): void {
    if (this.spillFd === undefined) {
      // Beside the image (same file system as the rewrite), unlinked at once: nothing is left behind.
      const spill = siblingTemp(this.path, 'spill');
      this.spillFd = hostIo(`creating ${spill}`, () => fs.openSync(spill, 'wx+', 0o600));
      fs.unlinkSync(spill);
    }
    blocks.forEach((data, i) => {
      let slot = this.spilled.get(blkaddr + i);
      if (slot === undefined) {
        slot = this.spilled.size;
        this.spilled.set(blkaddr + i, slot);
      }
      pwriteFull(this.spillFd!, this.path, data, slot * BLOCK_SIZE);
    });
  }

  /** Nothing to sync: the image itself only changes at close, in one rename. */
  protected syncRaw(): void {}

  protected closeRaw(): void {
    try {
      if (this.spilled.size > 0) replaceFile(this.path, this.mode, (fd, tmp) => this.rewrite(new SparseWriter(fd, tmp)));
    } finally {
      if (this.spillFd !== undefined) fs.closeSync(this.spillFd);
      fs.closeSync(this.fd);
    }
  }

  /**
   * The old chunks with the spilled blocks put in: untouched runs keep their chunk type, and each written block is
   * classified as img2simg would (FILL when it is one repeated word, else RAW), so rewriting an image img2simg made
   * gives what img2simg makes of the new content. CRC32 chunks are dropped (the content they summed changed).
   */
  private rewrite(w: SparseWriter): void {
    const written = [...this.spilled.keys()].sort((a, b) => a - b);
    const buf = Buffer.alloc(COPY_BLOCKS * BLOCK_SIZE);
    let k = 0;
    for (const c of this.mapped) {
      const end = c.start + c.blocks;
      let b = c.start;
      while (b < end) {
        if (written[k] === b) {
          const page = buf.subarray(0, BLOCK_SIZE);
          preadFull(this.spillFd!, this.path, page, 0, BLOCK_SIZE, this.spilled.get(b)! * BLOCK_SIZE);
          w.blocks(page);
          k++;
          b++;
          continue;
        }
        const n = Math.min(end, k < written.length ? written[k] : end) - b;
        if (c.type === 'fill') w.fill(c.value, n);
        else if (c.type === 'dont-care') w.skip(n);
        else {
          for (let i = 0; i < n; i += COPY_BLOCKS) {
            const m = Math.min(COPY_BLOCKS, n - i);
            this.readChunk(c, b + i, m, buf, 0);
            w.raw(buf.subarray(0, m * BLOCK_SIZE));
          }
        }
        b += n;
      }
    }
    w.finish(this.blockCount);
  }
}

/** A FILL chunk's 32-bit word as the 4 bytes it repeats. */
function fillWord(value: number): Buffer {
  return ChunkWord.encode({ value });
}

/** A temporary name beside `file`. */
function siblingTemp(file: string, what: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.f2fsdbg-${what}-${process.pid}`);
}

/**
 * Writes `target` atomically: `write` fills a temporary file beside it, which is synced and
 * renamed over the target (and the directory synced), so the target is either the old file or the whole new one.
 */
function replaceFile(target: string, mode: number, write: (fd: number, tmp: string) => void): void {
  const tmp = siblingTemp(target, 'new');
  const fd = hostIo(`creating ${tmp}`, () => fs.openSync(tmp, 'w', mode));
  let done = false;
  try {
    write(fd, tmp);
    hostIo(`syncing ${tmp}`, () => fs.fsyncSync(fd));
    fs.closeSync(fd);
    done = true;
    hostIo(`renaming ${tmp} to ${target}`, () => fs.renameSync(tmp, target));
    const dir = fs.openSync(path.dirname(target), 'r');
    try {
      hostIo(`syncing ${path.dirname(target)}`, () => fs.fsyncSync(dir));
    } finally {
      fs.closeSync(dir);
    }
  } catch (e) {
    if (!done) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes a sparse image front to back, merging adjacent chunks of one kind as libsparse does (RAW runs, FILL runs of
 * the same word, DONT_CARE runs); a RAW chunk's header is written when its run ends, the file header last.
 */
export class SparseWriter {
  private pos = SparseHeader.size;
  private chunkCount = 0;
  private covered = 0;
  private run: { type: ChunkType; blocks: number; value: number; at: number } | undefined;

  constructor(
    private readonly fd: number,
    private readonly file: string,
  ) {}

  /** Whole blocks, each a FILL when it is one 32-bit word repeated (img2simg's test), else RAW. */
  blocks(data: Buffer): void {
    for (let off = 0; off < data.length; ) {
      if (isFilled(data, off)) {
        this.fill(data.readUInt32LE(off), 1);
        off += BLOCK_SIZE;
        continue;
      }
      let end = off + BLOCK_SIZE;
      while (end < data.length && !isFilled(data, end)) end += BLOCK_SIZE;
      this.raw(data.subarray(off, end));
      off = end;
    }
  }

  raw(data: Buffer): void {
    for (let off = 0; off < data.length; ) {
      if (this.run?.type !== 'raw' || this.run.blocks === MAX_RAW_BLOCKS) {
        this.endRun();
        this.run = { type: 'raw', blocks: 0, value: 0, at: this.pos };
        this.pos += ChunkHeader.size;
      }
      const n = Math.min((data.length - off) / BLOCK_SIZE, MAX_RAW_BLOCKS - this.run.blocks);
      pwriteFull(this.fd, this.file, data.subarray(off, off + n * BLOCK_SIZE), this.pos);
      this.pos += n * BLOCK_SIZE;
      this.run.blocks += n;
      this.covered += n;
      off += n * BLOCK_SIZE;
    }
  }

  fill(value: number, blocks: number): void {
    this.extend('fill', value, blocks);
  }

  skip(blocks: number): void {
    this.extend('dont-care', 0, blocks);
  }

  private extend(type: ChunkType, value: number, blocks: number): void {
    if (blocks === 0) return;
    if (this.run?.type !== type || this.run.value !== value) {
      this.endRun();
      this.run = { type, blocks: 0, value, at: this.pos };
    }
    this.run.blocks += blocks;
    this.covered += blocks;
  }

  private endRun(): void {
    const r = this.run;
    if (r === undefined) return;
    this.run = undefined;
    const dataSize = r.type === 'raw' ? r.blocks * BLOCK_SIZE : r.type === 'fill' ? 4 : 0;
    const head = ChunkHeader.encode({ chunk_type: TYPE_CODES[r.type], reserved1: 0, chunk_sz: r.blocks, total_sz: ChunkHeader.size + dataSize });
    pwriteFull(this.fd, this.file, r.type === 'fill' ? Buffer.concat([head, fillWord(r.value)]) : head, r.at);
    if (r.type !== 'raw') this.pos += head.length + dataSize;
    this.chunkCount++;
  }

  /** Ends the last chunk and writes the file header; the chunks must cover exactly `totalBlocks`. */
  finish(totalBlocks: number): void {
    this.endRun();
    if (this.covered !== totalBlocks) throw new Error(`sparse writer: chunks cover ${this.covered} blocks, expected ${totalBlocks}`);
    const header = SparseHeader.encode({
      magic: SPARSE_HEADER_MAGIC,
      major_version: SPARSE_MAJOR_VERSION,
      minor_version: 0,
      file_hdr_sz: SparseHeader.size,
      chunk_hdr_sz: ChunkHeader.size,
      blk_sz: BLOCK_SIZE,
      total_blks: totalBlocks,
      total_chunks: this.chunkCount,
      image_checksum: 0,
    });
    pwriteFull(this.fd, this.file, header, 0);
    hostIo(`truncating ${this.file}`, () => fs.ftruncateSync(this.fd, this.pos));
  }
}

/** Whether the block at `off` is one 32-bit word repeated: each word equals the next (one memcmp of the block against itself shifted by a word). */
function isFilled(data: Buffer, off: number): boolean {
  return data.compare(data, off + 4, off + BLOCK_SIZE, off, off + BLOCK_SIZE - 4) === 0;
}

export interface SparseConversion {
  blocks: number;
  chunks: { raw: number; fill: number; dontCare: number; crc32: number };
  bytes: number;
}

function chunkCounts(chunks: readonly SparseChunk[]): SparseConversion['chunks'] {
  const n = { raw: 0, fill: 0, dontCare: 0, crc32: 0 };
  for (const c of chunks) {
    if (c.type === 'dont-care') n.dontCare++;
    else n[c.type]++;
  }
  return n;
}

/**
 * img2simg: the device's content as a sparse image at `out`, block for block as img2simg 1.15 (libsparse) writes it
 * (a block of one repeated word is FILL, others RAW, adjacent chunks of a kind merged; no DONT_CARE).
 */
export function writeSparseImage(dev: BlockDevice, out: string): SparseConversion {
  if (dev.blockCount > 0xffffffff) fail('UNSUPPORTED', `${dev.blockCount} blocks do not fit a sparse image's 32-bit total_blks`);
  const buf = Buffer.alloc(COPY_BLOCKS * BLOCK_SIZE);
  replaceFile(out, 0o644, (fd, tmp) => {
    const w = new SparseWriter(fd, tmp);
    for (let b = 0; b < dev.blockCount; b += COPY_BLOCKS) {
      const n = Math.min(COPY_BLOCKS, dev.blockCount - b);
      dev.readBlocks(b, n, buf, 0);
      w.blocks(buf.subarray(0, n * BLOCK_SIZE));
    }
    w.finish(dev.blockCount);
  });
  const made = SparseDevice.open(out);
  try {
    return { blocks: made.blockCount, chunks: chunkCounts(made.chunks), bytes: fs.statSync(out).size };
  } finally {
    made.close();
  }
}

/**
 * simg2img: the raw content of a sparse image at `out` (DONT_CARE and zero FILL runs left as holes). Unlike simg2img,
 * CRC32 chunks are checked (every byte passes by anyway): a mismatch is CORRUPT.
 */
export function expandSparseImage(file: string, out: string): SparseConversion {
  if (!isSparseImage(file)) fail('EINVAL', `${file} is not an Android sparse image (no magic 0x${SPARSE_HEADER_MAGIC.toString(16)})`);
  const dev = SparseDevice.open(file, { cacheMb: 0 });
  try {
    const checkCrc = dev.chunks.some((c) => c.type === 'crc32');
    const buf = Buffer.alloc(COPY_BLOCKS * BLOCK_SIZE);
    replaceFile(out, 0o644, (fd, tmp) => {
      let crc = 0;
      for (const c of dev.chunks) {
        if (c.type === 'crc32') {
          if (c.value !== crc) corrupt(file, `crc32 chunk says 0x${c.value.toString(16)}, the data before it sums to 0x${crc.toString(16)}`);
          continue;
        }
        const hole = c.type === 'dont-care' || (c.type === 'fill' && c.value === 0);
        if (hole && !checkCrc) continue;
        for (let b = c.start; b < c.start + c.blocks; b += COPY_BLOCKS) {
          const n = Math.min(COPY_BLOCKS, c.start + c.blocks - b);
          const data = buf.subarray(0, n * BLOCK_SIZE);
          dev.readBlocks(b, n, data, 0);
          if (checkCrc) crc = zlib.crc32(data, crc);
          if (!hole) pwriteFull(fd, tmp, data, b * BLOCK_SIZE);
        }
      }
      hostIo(`truncating ${tmp}`, () => fs.ftruncateSync(fd, dev.blockCount * BLOCK_SIZE));
    });
    return { blocks: dev.blockCount, chunks: chunkCounts(dev.chunks), bytes: dev.blockCount * BLOCK_SIZE };
  } finally {
    dev.close();
  }
}
