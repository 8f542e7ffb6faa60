// The device module's public API, and openDevice for callers holding either a path or a device.

import { FileDevice } from './file-device.js';
import { SparseDevice, isSparseImage } from './sparse-device.js';
import type { DeviceOptions } from './page-cache.js';
import type { BlockDevice } from './types.js';

export { BLOCK_SIZE, type BlockDevice, type IoStats, type TraceEvent } from './types.js';
export { CachedDevice, DEFAULT_CACHE_MB, PageCache, type DeviceOptions } from './page-cache.js';
export { FileDevice } from './file-device.js';
export { SLAB_PAGES, allocPage, allocPages } from './page-alloc.js';
export { MemDevice } from './mem-device.js';
export { ReadWindow } from './read-window.js';

/**
 * Opens an image file (an Android sparse image as its raw view), or returns an already open device unchanged
 * (`opts` apply to paths only).
 */
export function openDevice(pathOrDevice: string | BlockDevice, opts: DeviceOptions = {}): BlockDevice {
  if (typeof pathOrDevice !== 'string') return pathOrDevice;
  return isSparseImage(pathOrDevice) ? SparseDevice.open(pathOrDevice, opts) : FileDevice.open(pathOrDevice, opts);
}
export { RecordingDevice, type RecordedOp } from './recording-device.js';
export { OverlayDevice } from './overlay-device.js';
export { SparseDevice, expandSparseImage, isSparseImage, writeSparseImage, type SparseChunk, type SparseConversion } from './sparse-device.js';
