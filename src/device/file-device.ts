// The image-file device: lazy positional 4 KiB reads and ordered, synced write-back of an image file.

import fs from 'node:fs';
import { F2fsError, toF2fsError } from '../errors.js';
import { CachedDevice, cacheCapacity, type DeviceOptions } from './page-cache.js';
import { BLOCK_SIZE } from './types.js';

/** Any host failure during block I/O is IO, whatever its errno (a host ENOSPC is not an F2FS ENOSPC). */
export function hostIo<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new F2fsError('IO', `${what}: ${err?.message ?? String(e)}`, { errno: err?.code });
  }
}

export class FileDevice extends CachedDevice {
  private constructor(
    private readonly fd: number,
    readonly path: string,
    blockCount: number,
    readOnly: boolean,
    cacheMb: number | undefined,
  ) {
    super(blockCount, readOnly, cacheMb);
  }

  /**
   * Opens an image file without reading any of it; read-only unless `readOnly: false`.
   * A trailing partial block is not addressable, so a file under 4 KiB has no blocks.
   */
  static open(path: string, opts: DeviceOptions = {}): FileDevice {
    const readOnly = opts.readOnly ?? true;
    cacheCapacity(opts.cacheMb); // reject a bad size before there is an fd to leak
    let fd: number;
    try {
      fd = fs.openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      throw toF2fsError(e);
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) throw new F2fsError('EISDIR', `${path} is a directory`);
      // fstat reports size 0 for block devices, which would silently give an empty device.
      if (!st.isFile()) throw new F2fsError('UNSUPPORTED', `${path} is not a regular file`);
      return new FileDevice(fd, path, Math.floor(st.size / BLOCK_SIZE), readOnly, opts.cacheMb);
    } catch (e) {
      fs.closeSync(fd);
      throw toF2fsError(e);
    }
  }

  protected readRawInto(blkaddr: number, count: number, out: Buffer, off: number): void {
    const pos = blkaddr * BLOCK_SIZE;
    const len = count * BLOCK_SIZE;
    let done = 0;
    while (done < len) {
      const n = hostIo(`reading block ${blkaddr + Math.floor(done / BLOCK_SIZE)} of ${this.path}`, () => fs.readSync(this.fd, out, off + done, len - done, pos + done));
      if (n === 0) {
        const at = blkaddr + Math.floor(done / BLOCK_SIZE);
        throw new F2fsError('IO', `short read of block ${at} of ${this.path}: ${done % BLOCK_SIZE} of ${BLOCK_SIZE} bytes (file truncated?)`, {
          blkaddr: at,
        });
      }
      done += n;
    }
  }

  protected writeRaw(blkaddr: number, blocks: Buffer[]): void {
    const pos = blkaddr * BLOCK_SIZE;
    const total = blocks.length * BLOCK_SIZE;
    let done = hostIo(`writing blocks ${blkaddr}..${blkaddr + blocks.length - 1} of ${this.path}`, () => fs.writevSync(this.fd, blocks, pos));
    // A short write (signal, full host disk) is finished block by block; a real error is raised by hostIo.
    while (done < total) {
      const i = Math.floor(done / BLOCK_SIZE);
      const off = done % BLOCK_SIZE;
      done += hostIo(`writing block ${blkaddr + i} of ${this.path}`, () => fs.writeSync(this.fd, blocks[i], off, BLOCK_SIZE - off, pos + done));
    }
  }

  /** fdatasync suffices: writes never extend the file, so no size metadata needs syncing. */
  protected syncRaw(): void {
    hostIo(`syncing ${this.path}`, () => fs.fdatasyncSync(this.fd));
  }

  protected closeRaw(): void {
    hostIo(`closing ${this.path}`, () => fs.closeSync(this.fd));
  }
}
