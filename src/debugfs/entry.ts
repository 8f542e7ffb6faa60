// What a tree listing says about each entry (diff, manifest): a sorted, streaming pre-order walk and the attributes
// stat(2) and mtree know (type, mode, owner, size, times, link target, device number, xattrs).
import { FILE_TYPE_NAMES, fileTypeOfMode } from '../fs/layout/dentry.js';
import { deviceNumber, inodeSize, isDir, isSymlink, type InodeInfo } from '../fs/inode.js';
import type { Volume } from '../fs/volume.js';
import { inodeSeconds, type InodeTime } from './time.js';

/** An inode time as read: signed seconds, exact (a decimal string past 2^53). */
export type EntryTime = Pick<InodeTime, 'sec' | 'nsec'>;

export interface TreeEntry {
  /** Path relative to the walk's start: '' for the start itself, else '/a/b'. */
  rel: string;
  info: InodeInfo;
}

/**
 * Every entry below `start` (itself first), each directory's children sorted by name bytes and visited before the
 * next sibling (pre-order), so that listings are stable whatever the dentry hash order. Memory: one sorted child
 * list per directory level being walked, never the whole tree. A directory reached twice (a corrupt image) is not
 * walked again.
 */
export function* walkSorted(vol: Volume, start: number): Generator<TreeEntry> {
  const root = vol.inode(start);
  yield { rel: '', info: root };
  if (!isDir(root.inode.i_mode)) return;
  const seen = new Set<number>([start]);
  const children = (info: InodeInfo) =>
    [...vol.dirs.entries(info)]
      .filter((d) => !(d.name.length === 1 && d.name[0] === 0x2e) && !(d.name.length === 2 && d.name.toString() === '..'))
      .map((d) => ({ name: d.name, ino: d.ino }))
      .sort((a, b) => Buffer.compare(a.name, b.name));
  const stack: { prefix: string; list: { name: Buffer; ino: number }[]; i: number }[] = [{ prefix: '', list: children(root), i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.i >= top.list.length) {
      stack.pop();
      continue;
    }
    const d = top.list[top.i++];
    const rel = `${top.prefix}/${d.name.toString()}`;
    const info = vol.inode(d.ino);
    yield { rel, info };
    if (isDir(info.inode.i_mode) && !seen.has(d.ino)) {
      seen.add(d.ino);
      stack.push({ prefix: rel, list: children(info), i: 0 });
    }
  }
}

export interface EntryAttrs {
  ino: number;
  /** FILE_TYPE_NAMES: regular, directory, symlink, chrdev, blkdev, fifo, socket. */
  type: string;
  /** Permission bits with setuid/setgid/sticky (mode & 07777). */
  perm: number;
  uid: number;
  gid: number;
  links: number;
  /** Exact (a decimal string past 2^53). */
  size: number | string;
  atime: EntryTime;
  mtime: EntryTime;
  ctime: EntryTime;
  target: string | null;
  device: { major: number; minor: number } | null;
  xattrs: { name: string; value: Buffer }[];
}

export function entryAttrs(vol: Volume, info: InodeInfo): EntryAttrs {
  const i = info.inode;
  const type = FILE_TYPE_NAMES[fileTypeOfMode(i.i_mode)] ?? 'unknown';
  return {
    ino: info.ino,
    type,
    perm: i.i_mode & 0o7777,
    uid: i.i_uid,
    gid: i.i_gid,
    links: i.i_links,
    size: inodeSize(info),
    atime: { sec: inodeSeconds(info.page.raw, 'i_atime'), nsec: i.i_atime_nsec },
    mtime: { sec: inodeSeconds(info.page.raw, 'i_mtime'), nsec: i.i_mtime_nsec },
    ctime: { sec: inodeSeconds(info.page.raw, 'i_ctime'), nsec: i.i_ctime_nsec },
    target: isSymlink(i.i_mode) ? vol.readlink(info).toString() : null,
    device: type === 'chrdev' || type === 'blkdev' ? deviceNumber(info) : null,
    xattrs: vol.xattrs(info).map((x) => ({ name: x.name, value: x.value })),
  };
}

/** An xattr value as text when it is printable ASCII, else `0x` and hex (diff, manifest). */
export const xattrText = (v: Buffer): string => (v.every((b) => b >= 0x20 && b < 0x7f) ? v.toString('latin1') : `0x${v.toString('hex')}`);
