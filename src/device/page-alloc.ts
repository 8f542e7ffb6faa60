// Page buffers for bulk file data, cut from 256 KiB slabs: one backing store per 64 pages instead of one per page
// (allocating a backing store per page was the largest cost of bulk writes). Only for pages that live and die
// together, as file data on its way to the device does: one long-lived page keeps its whole slab alive (when node
// and dentry blocks, which stay dirty much longer, came from slabs too, a 58,000-file import held 642 MiB of buffers
// instead of 326).
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
