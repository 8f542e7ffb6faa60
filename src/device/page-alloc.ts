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
  return allocPages(1);
}

/** `count` contiguous uninitialised pages (one read can fill them); runs longer than a slab get their own store. */
export function allocPages(count: number): Buffer {
  const len = count * BLOCK_SIZE;
  if (count > SLAB_PAGES) return Buffer.allocUnsafeSlow(len);
  if (used + len > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_PAGES * BLOCK_SIZE);
    used = 0;
  }
  used += len;
  return slab.subarray(used - len, used);
}
