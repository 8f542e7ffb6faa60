// The f2fsdbg library API (`import { ... } from 'f2fsdbg'`): the very functions the commands, the shell and the
// batch runner call, re-exported, plus the few openers a program needs (a path or an in-memory image). docs/api.md.
import { MemDevice } from './device/mem-device.js';
import { BLOCK_SIZE, type BlockDevice } from './device/types.js';
import { fileChunks } from './debugfs/extract.js';
import { resolveFile } from './debugfs/filespec.js';
import { mkfs as mkfsDevice, mkfsImage, type MkfsOptions, type MkfsReport } from './fs/mkfs.js';
import { Volume } from './fs/volume.js';

export interface OpenOptions {
  /** Open read-write (default read-only). */
  write?: boolean;
  /** Bound of the block cache in MiB (default 64; 0 disables it). */
  cacheMb?: number;
  /** fscrypt master keys (raw bytes): encrypted names, contents and symlink targets read decrypted, and written encrypted. */
  keys?: Buffer[];
}

/** Opens an image: a file path, a Buffer holding a whole image (copied into memory), or a block device. */
export function openVolume(image: string | Buffer | BlockDevice, opts: OpenOptions = {}): Volume {
  const readOnly = !opts.write;
  const dev = Buffer.isBuffer(image) ? MemDevice.fromBuffer(image, { readOnly, cacheMb: opts.cacheMb }) : image;
  return Volume.open(dev, { readOnly, cacheMb: opts.cacheMb, keys: opts.keys });
}

/** Formats an image file (created sparse with `sizeBytes` when missing), like `f2fsdbg mkfs`. */
export function mkfs(path: string, opts: MkfsOptions = {}): MkfsReport {
  return mkfsImage(path, opts);
}

/** A formatted in-memory image of `sizeBytes`: open it with openVolume(dev, { write: true }); dev.toBuffer() is the image. */
export function mkfsMemory(sizeBytes: number, opts: MkfsOptions = {}): { dev: MemDevice; report: MkfsReport } {
  const dev = new MemDevice(Math.floor(sizeBytes / BLOCK_SIZE));
  const report = mkfsDevice(dev, opts);
  dev.flush('mkfs');
  return { dev, report };
}

/** Ends the work like an unmount: everything pending is written and a checkpoint taken. */
export function checkpoint(vol: Volume): void {
  vol.finish('checkpoint');
}

/**
 * Power cut: every block not yet durable is dropped, and the image is opened again from what reached the device
 * (the session's `crash`). The returned Volume replaces `vol`, which must not be used any more.
 */
export function crash(vol: Volume): Volume {
  vol.dev.discardPending();
  return Volume.open(vol.dev, { readOnly: vol.readOnly });
}

/** A whole file's content (FILESPEC: path or `<ino>`; symlinks followed), like `cat`. */
export function readFile(vol: Volume, spec: string): Buffer {
  const { info } = resolveFile(vol, spec, { follow: true });
  return Buffer.concat([...fileChunks(vol, info)].map((c) => c.data));
}

// Volumes, devices and errors
export { Volume } from './fs/volume.js';
export { MemDevice } from './device/mem-device.js';
export type { BlockDevice } from './device/types.js';
export { F2fsError, type ErrorCode } from './errors.js';
export type { MkfsOptions, MkfsReport } from './fs/mkfs.js';
export { now, pinTime, fixedTime } from './fs/clock.js';

// Namespace and file operations (what write, mkdir, rm, mv, ln, symlink, mknod, truncate, chmod/chown/set-times,
// xattr-set/rm and import call)
export { mkdir, writePath, touch, remove, move, link, symlink, mknod, truncatePath, setAttrPath, xattrSetPath } from './fs/ops.js';
export { importTree } from './debugfs/import.js';
export { fsyncFile } from './fs/file.js';
export { atomicBegin, writeStaged, truncateStaged, readStaged, atomicCommit, atomicAbort, sessions as atomicSessions } from './fs/atomic.js';
export { recover } from './fs/recovery.js';
export { fsck } from './fsck/fsck.js';

// Reading and inspection (the --json shapes of the read-only commands)
export { resolveFile } from './debugfs/filespec.js';
export { statInode, ls, bmap } from './debugfs/inode.js';
export { icheck, ncheck, walkTree } from './debugfs/reverse.js';
export { info, dumpCp } from './debugfs/info.js';
export { dumpNat, dumpSit, dumpSsa } from './debugfs/tables.js';
export { dumpNode, describeBlock } from './debugfs/block.js';
export { fileChunks, fileDigest } from './debugfs/extract.js';
export { rdump } from './debugfs/rdump.js';
export { gc } from './fs/gc.js';
export { enableVerity, readVerity, type VerityInfo } from './fs/verity.js';
export { keyIdentifier } from './fs/crypto.js';

// Golden-image tools
export { diffImages, type DiffOptions, type DiffResult } from './debugfs/diff.js';
export { manifestLines, type ManifestOptions } from './debugfs/manifest.js';
export { indexNodes, history, lsdel, copyContent, chooseCopy } from './debugfs/history.js';
