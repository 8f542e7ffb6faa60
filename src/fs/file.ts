// Regular-file operations: write at an offset, truncate (shrink and grow), and attribute changes.
import { fail } from '../errors.js';
import { ADDRS_PER_BLOCK, BLKSIZE } from './layout/constants.js';
import { editInode, hasInlineData, isDir, isReg, isSymlink, now, setTimes, type InodeInfo, type Timespec } from './inode.js';
import { convertInlineData, truncateInline, writeInline } from './inline.js';
import { blockSpans, dropExtent, writePage, writeback } from './data.js';
import { allocPage } from '../device/index.js';
import { balanceFs, writeCheckpoint } from './checkpoint.js';
import { balanceGc } from './gc.js';
import { Advise, InlineFlag } from './layout/node.js';
import { releasedTruncate, requireNotReleased, truncateClusters } from './compress.js';
import { fsyncNodes, maxFileBlocks, needDentryMark, truncateBlocks } from './node.js';
import type { Volume } from './volume.js';
import { requireNotVerity } from './verity.js';
import { requireMutable } from './immutable.js';

function requireFile(vol: Volume, info: InodeInfo): void {
  if (isDir(info.inode.i_mode)) fail('EISDIR', `inode ${info.ino} is a directory`);
  if (!isReg(info.inode.i_mode) && !isSymlink(info.inode.i_mode)) fail('EINVAL', `inode ${info.ino} is not a regular file`);
  requireContentsWritable(vol, info);
}

/** Contents a write or truncate may change: not a verity file's (EPERM), an encrypted file's only with its key (ENOKEY). */
export function requireContentsWritable(vol: Volume, info: InodeInfo): void {
  requireNotVerity(info);
  vol.crypto.requireContentsWritable(info);
}

/** Pages of an encrypted file are staged as ciphertext (the page cache's view of the disk); null for a plain file. */
function contentsEncrypter(vol: Volume, info: InodeInfo): ((lblk: number, page: Buffer) => Buffer) | null {
  const encrypt = vol.crypto.contentsEncrypter(info);
  if (encrypt && (info.logClusterSize || hasInlineData(info))) fail('UNSUPPORTED', `inode ${info.ino} is encrypted and ${info.logClusterSize ? 'compressed' : 'inline'}: this tool does not write such a file`);
  return encrypt;
}

/**
 * Writes `data` at byte `pos` (f2fs_file_write_iter): inline while it fits, block pages otherwise; i_size grows, m/ctime change.
 * `owned`: the caller hands the memory over (bulk import): `pos` is a multiple of the page size, `data` starts a page
 * of its memory, that memory is zero past `data.length` up to the next page boundary and never touched again, so
 * whole pages are staged without a copy.
 */
export function writeFile(vol: Volume, ino: number, pos: number, data: Buffer, times: Timespec = now(), opts: { owned?: boolean } = {}): void {
  vol.requireWritable();
  balanceFs(vol);
  let info = vol.inode(ino);
  requireFile(vol, info);
  requireNotReleased(info, 'write');
  requireMutable(info, 'write', pos === info.inode.i_size);
  const encrypt = contentsEncrypter(vol, info);
  const end = pos + data.length;
  if (Math.ceil(end / BLKSIZE) > maxFileBlocks(info)) fail('EINVAL', `write ending at byte ${end} exceeds the largest F2FS file`);
  if (data.length && !(hasInlineData(info) && end <= info.maxInlineData)) vol.requireSpace(blocksToWrite(vol, info, pos, end), `a write of ${data.length} bytes`);
  if (data.length) {
    if (hasInlineData(info) && end <= info.maxInlineData) writeInline(vol, info, pos, data);
    else {
      if (hasInlineData(info)) {
        convertInlineData(vol, info);
        info = vol.inode(ino);
      }
      const oldSize = info.inode.i_size;
      // `info` stays valid through the loop: block writes change slots and i_blocks, which are read from the node blocks.
      for (const { bidx, blockPos, from, to } of blockSpans(pos, end)) {
        // f2fs_write_begin: clean first when free segments run short (GC moves blocks: the inode is read again).
        if (balanceGc(vol)) info = vol.inode(ino);
        let page: Buffer;
        if (opts.owned && pos % BLKSIZE === 0 && from === blockPos && (to === blockPos + BLKSIZE || oldSize <= to)) {
          // The whole page is ours: data up to `to`, zeros after it (nothing of the file lies past `to` in this block).
          page = Buffer.from(data.buffer, data.byteOffset + (from - pos), BLKSIZE);
        } else {
          // A partial block starts from its current content (zeros past EOF and in holes).
          page = to - from === BLKSIZE ? allocPage() : Buffer.concat([vol.data.read(info, blockPos, BLKSIZE)], BLKSIZE);
          data.copy(page, from - blockPos, from - pos, to - pos);
        }
        writePage(vol, info, bidx, encrypt ? encrypt(bidx, page) : page);
      }
    }
  }
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    if (end > i.i_size) i.i_size = end;
    setTimes(i, { m: times, c: times });
  });
}

/**
 * At most the blocks a write of [pos, end) takes: its unmapped blocks, and a direct node per 1,018 of them plus an
 * indirect one (`info` null: a file still to be made, its inode counted too).
 */
export function blocksToWrite(vol: Volume, info: InodeInfo | null, pos: number, end: number): number {
  const first = Math.floor(pos / BLKSIZE);
  const last = Math.ceil(end / BLKSIZE);
  if (!info) return last - first + Math.ceil((last - first) / ADDRS_PER_BLOCK) + 2;
  let mapped = 0;
  if (!hasInlineData(info)) vol.data.walk(info, first, last, () => mapped++);
  const unmapped = last - first - mapped;
  return unmapped ? unmapped + Math.ceil(unmapped / ADDRS_PER_BLOCK) + 1 : 0;
}

/** f2fs_truncate / f2fs_setattr(size): frees blocks past the new end, zeroes the tail of the last block, or extends with a hole. */
export function truncateFile(vol: Volume, ino: number, size: number, times: Timespec = now()): void {
  vol.requireWritable();
  let info = vol.inode(ino);
  requireFile(vol, info);
  requireMutable(info, 'truncate');
  if (Math.ceil(size / BLKSIZE) > maxFileBlocks(info)) fail('EINVAL', `size ${size} exceeds the largest F2FS file`);
  const released = releasedTruncate(info, size);
  const old = info.inode.i_size;
  if (hasInlineData(info)) {
    if (size <= info.maxInlineData) {
      if (size < old) truncateInline(vol, info, size);
    } else {
      convertInlineData(vol, info);
      info = vol.inode(ino);
    }
  }
  if (!hasInlineData(info) && size < old) {
    const keep = Math.ceil(size / BLKSIZE);
    vol.pages.drop(ino, keep);
    if (info.logClusterSize) truncateClusters(vol, info, keep);
    else truncateBlocks(vol, info, keep);
    info = vol.inode(ino);
    const tail = size % BLKSIZE;
    if (tail) {
      const last = keep - 1;
      const { blkaddr } = vol.data.bmap(info, last);
      if (blkaddr) {
        const page = Buffer.concat([vol.data.read(info, last * BLKSIZE, tail)], BLKSIZE);
        const encrypt = contentsEncrypter(vol, info);
        writePage(vol, info, last, encrypt ? encrypt(last, page) : page);
      }
    }
    dropExtent(vol, ino);
  }
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_size = size;
    setTimes(i, { m: times, c: times });
    if (released && size === 0) i.i_inline &= ~InlineFlag.COMPRESS_RELEASED;
  });
}

export interface AttrChange {
  mode?: number; // permission bits only
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

/** chmod/chown/utimes (f2fs_setattr without size): ctime always moves. */
export function setAttr(vol: Volume, ino: number, change: AttrChange, times: Timespec = now()): void {
  vol.requireWritable();
  requireMutable(vol.inode(ino), 'setattr');
  // dquot_transfer: a new owner takes the inode's whole charge.
  const owner = change.uid !== undefined || change.gid !== undefined;
  if (owner) vol.quota?.chargeInode(ino, vol.nm.nodeForUpdate(ino), -1);
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    if (change.mode !== undefined) i.i_mode = (i.i_mode & 0o170000) | (change.mode & 0o7777);
    if (change.uid !== undefined) i.i_uid = change.uid;
    if (change.gid !== undefined) i.i_gid = change.gid;
    setTimes(i, { a: change.atime, m: change.mtime, c: times });
  });
  if (owner) vol.quota?.chargeInode(ino, vol.nm.nodeForUpdate(ino), 1);
}

/** need_do_checkpoint: why an fsync of this inode must be a full checkpoint instead of a node chain, or null. */
export function fsyncNeedsCheckpoint(vol: Volume, info: InodeInfo): string | null {
  const i = info.inode;
  if (!isReg(i.i_mode)) return 'not a regular file';
  // CP_COMPRESSED: Linux never rolls a compressed file forward (recovery knows no clusters).
  if (info.logClusterSize) return 'compressed file';
  if (i.i_links !== 1) return 'hard links';
  if (i.i_advise & Advise.LOST_PINO) return 'parent unknown (renamed or linked)';
  if (vol.nm.newSinceCp.has(i.i_pino)) return 'parent directory not checkpointed';
  return null;
}

export interface FsyncResult {
  ino: number;
  /** 'nodes': roll-forward chain written; 'checkpoint': fell back to a checkpoint, as Linux does. */
  method: 'nodes' | 'checkpoint';
  reason: string | null;
  nodes: number[];
}

/** f2fs_do_sync_file: the file's data, then its dnodes with fsync marks and a flush — or a checkpoint where Linux takes one. */
export function fsyncFile(vol: Volume, ino: number, opts: { atomic?: boolean } = {}): FsyncResult {
  vol.requireWritable();
  const info = vol.inode(ino);
  writeback(vol, ino, { fsync: true });
  const reason = fsyncNeedsCheckpoint(vol, info);
  if (reason) {
    writeCheckpoint(vol, { umount: false });
    return { ino, method: 'checkpoint', reason, nodes: [] };
  }
  // A new inode must reach the chain (with its dentry mark) even when only its data changed.
  if (needDentryMark(vol, ino)) vol.nm.nodeForUpdate(ino);
  const nodes = fsyncNodes(vol, ino, opts.atomic ?? false);
  vol.dev.flush(opts.atomic ? 'fua' : 'fsync');
  return { ino, method: 'nodes', reason: null, nodes };
}
