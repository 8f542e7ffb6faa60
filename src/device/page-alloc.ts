// Page buffers for file data on its way to the device, cut from 256 KiB slabs and recycled once written.
// One backing store per 64 pages instead of one per page (allocating a store per page was the largest cost of bulk
// writes). Only for pages that live and die together, as file data does: one long-lived page keeps its whole slab
// (when node and dentry blocks, which stay dirty much longer, came from slabs too, a 58,000-file import held 642 MiB
// of buffers instead of 326). The device hands each page back once it is written (releasePage) instead of caching
// it; a slab whose pages all came back is reused: fresh memory costs a page fault per 4 KiB on first touch.
import { BLOCK_SIZE } from './types.js';

export const SLAB_PAGES = 64;
const SLAB_BYTES = SLAB_PAGES * BLOCK_SIZE;
/** Written slabs kept for reuse (16 MiB); more than that are left to the garbage collector. */
const MAX_FREE_SLABS = 64;

class Slab {
  readonly buf = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Bytes handed out. */
  used = 0;
  /** Pages handed out and not yet released. */
  live = 0;
}

/** The slab of each page, by the page's backing store (every slab has its own). */
const slabOf = new WeakMap<ArrayBufferLike, Slab>();
const free: Slab[] = [];
let current: Slab | null = null;

/** An uninitialised page, for a caller that fills all of it. */
export function allocPage(): Buffer {
  return allocPages(1);
}

/** `count` (at most SLAB_PAGES) contiguous uninitialised pages, so that one read can fill them. */
export function allocPages(count: number): Buffer {
  const len = count * BLOCK_SIZE;
  if (!Number.isInteger(count) || count < 1 || count > SLAB_PAGES) throw new RangeError(`allocPages(${count}): 1 to ${SLAB_PAGES} pages`);
  if (!current || current.used + len > SLAB_BYTES) {
    const done = current;
    current = free.pop() ?? newSlab();
    if (done && done.live === 0) recycle(done);
  }
  current.used += len;
  current.live += count;
  return current.buf.subarray(current.used - len, current.used);
}

/** Whether `page` came from allocPages: the device may then release it after writing it, instead of caching it. */
export function isPooledPage(page: Buffer): boolean {
  return slabOf.has(page.buffer);
}

/** Gives a written page back; nothing may use it afterwards. */
export function releasePage(page: Buffer): void {
  const slab = slabOf.get(page.buffer);
  if (!slab) return;
  slab.live--;
  if (slab.live === 0 && slab !== current) recycle(slab);
}

function newSlab(): Slab {
  const slab = new Slab();
  slabOf.set(slab.buf.buffer, slab);
  return slab;
}

function recycle(slab: Slab): void {
  slab.used = 0;
  if (free.length < MAX_FREE_SLABS) free.push(slab);
}
