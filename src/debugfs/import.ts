// import: a host tree loaded into a live image (like sload.f2fs): host reads straight into the pages written.
import fs from 'node:fs';
import { fromHost } from '../errors.js';
import { SLAB_PAGES, allocPages } from '../device/index.js';
import { ADDRS_PER_BLOCK, BLKSIZE } from '../fs/layout/constants.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../fs/layout/dentry.js';
import { type Timespec } from '../fs/inode.js';
import { fixedTime } from '../fs/clock.js';
import { createNode } from '../fs/namei.js';
import { isCasefolded } from '../fs/hash.js';
import { setAttr, writeFile } from '../fs/file.js';
import { mkdir, mknodIn, symlinkIn, symlinkTarget } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';
import { joinImagePath, type AndroidImport } from './android.js';

export interface ImportStats {
  files: number;
  dirs: number;
  symlinks: number;
  specials: number;
  bytes: number;
  skipped: { path: string; why: string }[];
}

const SLASH = Buffer.from('/');
/** Bytes read per host read during import: a slab of pages (256 KiB). */
const CHUNK = SLAB_PAGES * BLKSIZE;

/** Files this small may stay inline in their inode (MAX_INLINE_DATA is a little over 3,400 bytes). */
const INLINE_MAX = 3000;

/** At most the blocks a host tree takes in the image: an inode per entry, a dentry block per directory, data and dnodes. */
function hostTreeBlocks(host: Buffer): number {
  let blocks = 0;
  const visit = (dir: Buffer) => {
    blocks += 2;
    for (const name of fromHost(() => fs.readdirSync(dir, { encoding: 'buffer' }))) {
      const p = Buffer.concat([dir, SLASH, name]);
      const st = fromHost(() => fs.lstatSync(p));
      if (st.isDirectory()) visit(p);
      else if (st.isFile() && st.size > INLINE_MAX) blocks += 1 + Math.ceil(st.size / BLKSIZE) * (1 + 1 / ADDRS_PER_BLOCK) + 1;
      else blocks += 1;
    }
  };
  visit(host);
  return Math.ceil(blocks);
}

/**
 * Bulk load of a host tree into an existing directory (like sload.f2fs, but into a live image): modes, owners, times
 * kept, or with `android` the owners, modes, capabilities and SELinux labels of its fs_config and file_contexts (as
 * sload.f2fs -C/-s/-t). A pinned time (--timestamp, SOURCE_DATE_EPOCH) replaces the host times, as sload.f2fs -T.
 */
export function importTree(vol: Volume, hostDir: string, imagePath: string, progress?: (hostPath: string) => void, android?: AndroidImport): ImportStats {
  const stats: ImportStats = { files: 0, dirs: 0, symlinks: 0, specials: 0, bytes: 0, skipped: [] };
  vol.requireSpace(hostTreeBlocks(Buffer.from(hostDir)), `importing ${hostDir}`);
  android?.checkCovers(hostDir, imagePath);
  const top = mkdir(vol, imagePath, { parents: true });
  if (android) android.apply(vol, top, { label: android.label(imagePath, S_IFDIR) });
  const fixed = fixedTime();
  const ts = (ms: number): Timespec => (fixed !== undefined ? { sec: fixed, nsec: 0 } : { sec: Math.floor(ms / 1000), nsec: Math.round((ms % 1000) * 1e6) });
  const scratch = Buffer.allocUnsafe(BLKSIZE);
  // `fresh`: the directory was made by this import, so nothing in it can exist yet (no lookup needed).
  // Host paths stay Buffers: names need not be UTF-8, and they are stored byte for byte.
  const visit = (host: Buffer, dir: number, fresh: boolean, at: string) => {
    // In a casefolded directory host names that differ only in case fold into one: each must be looked up.
    if (fresh && isCasefolded(vol.sb, vol.inode(dir))) fresh = false;
    const names = fromHost(() => fs.readdirSync(host, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const name of names) {
      const hp = Buffer.concat([host, SLASH, name]);
      progress?.(hp.toString());
      const st = fromHost(() => fs.lstatSync(hp));
      const existing = fresh ? null : vol.lookup(vol.inode(dir), name);
      if (existing && !st.isDirectory()) {
        stats.skipped.push({ path: hp.toString(), why: 'already exists in the image' });
        continue;
      }
      const p = joinImagePath(at, name.toString());
      const meta = existing ? undefined : android?.entry(p, st.mode);
      const perm = meta?.perms?.mode ?? st.mode & 0o7777;
      const owner = { uid: meta?.perms?.uid ?? st.uid, gid: meta?.perms?.gid ?? st.gid, times: ts(st.mtimeMs), absent: fresh };
      let ino: number;
      if (st.isDirectory()) {
        ino = existing ? existing.ino : createNode(vol, dir, name, S_IFDIR | perm, owner);
        if (!existing) stats.dirs++;
        visit(hp, ino, !existing, p);
        setAttr(vol, ino, { atime: ts(st.atimeMs), mtime: ts(st.mtimeMs) });
      } else if (st.isFile()) {
        ino = createNode(vol, dir, name, S_IFREG | perm, owner);
        const fd = fromHost(() => fs.openSync(hp, 'r'));
        let pos = 0;
        try {
          for (;;) {
            // Whole pages are read straight into pages handed to writeFile (no copy). A tail under a page, the check
            // for EOF, and a stretch left unaligned by a short read go through the reused buffer instead.
            const left = st.size - pos;
            const direct = pos % BLKSIZE === 0 && left >= BLKSIZE;
            const want = direct ? Math.min(CHUNK, Math.ceil(left / BLKSIZE) * BLKSIZE) : BLKSIZE - (pos % BLKSIZE);
            const buf = direct ? allocPages(want / BLKSIZE) : scratch;
            const got = fromHost(() => fs.readSync(fd, buf, 0, want, pos));
            if (!got) break;
            if (direct) {
              buf.fill(0, got);
              writeFile(vol, ino, pos, buf.subarray(0, got), owner.times, { owned: true });
            } else writeFile(vol, ino, pos, buf.subarray(0, got), owner.times);
            pos += got;
            // Short of the size lstat gave: read on until 0 (a file that grew, or a read cut short).
            if (got < want && pos >= st.size) break;
          }
        } finally {
          fs.closeSync(fd);
        }
        setAttr(vol, ino, { atime: ts(st.atimeMs), mtime: ts(st.mtimeMs) });
        stats.files++;
        stats.bytes += pos; // what was read: the file may have changed since lstat
      } else if (st.isSymbolicLink()) {
        ino = symlinkIn(vol, dir, name, symlinkTarget(fromHost(() => fs.readlinkSync(hp, { encoding: 'buffer' }))), owner);
        // sload.f2fs gives a link fs_config's mode as to any entry (a link is made 0777 otherwise).
        if (meta?.perms) setAttr(vol, ino, { mode: meta.perms.mode });
        stats.symlinks++;
      } else {
        const type = st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isCharacterDevice() ? 'char' : 'block';
        const rdev = { major: ((st.rdev >> 8) & 0xfff) | (Math.floor(st.rdev / 2 ** 32) & ~0xfff), minor: (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff & 0xfffff) };
        ino = mknodIn(vol, dir, name, type, { mode: (st.mode & S_IFMT) | perm, rdev, ...owner });
        stats.specials++;
      }
      if (meta) android!.apply(vol, ino, meta);
    }
  };
  visit(Buffer.from(hostDir), top, false, imagePath);
  return stats;
}
