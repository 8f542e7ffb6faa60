// Page buffers for hot paths, cut from 256 KiB slabs: one backing store per 64 pages instead of one per 4 KiB page
// (allocating a backing store per page was the largest cost of bulk writes).
import { BLOCK_SIZE } from './types.js';

const SLAB_PAGES = 64;
let slab = Buffer.alloc(0);
let used = 0;

/** An uninitialised page, for a caller that fills all of it. */
export function allocPage(): Buffer {
  if (used === slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_PAGES * BLOCK_SIZE);
    used = 0;
  }
  used += BLOCK_SIZE;
  return slab.subarray(used - BLOCK_SIZE, used);
}

export const zeroedPage = (): Buffer => allocPage().fill(0);

/** A private copy of a whole page. */
export function copyPage(src: Buffer): Buffer {
  const page = allocPage();
  src.copy(page, 0, 0, BLOCK_SIZE);
  return page;
}
