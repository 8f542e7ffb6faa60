// Our reader against a kernel listing (fixtures/*.listing.json): the tree's paths and each path's inode fields.
import { type FixtureEntry } from '../../fixtures/load.js';
import { fileDigest } from '../../src/debugfs/extract.js';
import { resolveFile } from '../../src/debugfs/filespec.js';
import { statInode } from '../../src/debugfs/inode.js';
import type { InodeInfo } from '../../src/fs/inode.js';
import type { Volume } from '../../src/fs/volume.js';

const TYPE: Record<string, FixtureEntry['type']> = { regular: 'file', directory: 'dir', symlink: 'symlink' };

/** Each entry below directory `dir` of our reader, depth first ('.' and '..' skipped): its path and inode. */
export function walkEntries(vol: Volume, dir: string, fn: (path: string, info: InodeInfo) => void): void {
  const walk = (ino: number, prefix: string) => {
    for (const d of vol.dirs.entries(vol.inode(ino))) {
      const n = d.name.toString();
      if (n === '.' || n === '..') continue;
      const p = `${prefix}/${n}`;
      fn(p, vol.inode(d.ino));
      if (d.fileType === 2) walk(d.ino, p);
    }
  };
  walk(vol.resolve(dir).ino, dir === '/' ? '' : dir);
}

/** Every path below / as our library names it (user names: no-key or decrypted), sorted like the listing. */
export function ourPaths(vol: Volume): string[] {
  const out = ['/'];
  walkEntries(vol, '/', (p) => out.push(p));
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Our stat (and md5 with `contents`) of every listed path, found by its listed name, against the kernel's. */
export function compareListing(vol: Volume, entries: FixtureEntry[], contents: boolean): string[] {
  const bad: string[] = [];
  for (const e of entries) {
    const { info } = resolveFile(vol, e.path);
    const s = statInode(vol, info);
    // st_size of an encrypted symlink is its target's length as shown (fscrypt_symlink_getattr), i_size the stored form's.
    const size = s.symlink !== null && s.encryption ? Buffer.byteLength(s.symlink) : s.size;
    const ours = { type: TYPE[s.type], ino: s.ino, size, mode: s.modeOctal, nlink: s.links, blocks: s.stBlocks, target: s.symlink ?? undefined };
    const theirs = { type: e.type, ino: e.ino, size: e.size, mode: e.mode, nlink: e.nlink, blocks: e.blocks, target: e.target };
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) bad.push(`${e.path}: ours ${JSON.stringify(ours)}, kernel ${JSON.stringify(theirs)}`);
    if (contents && e.md5 && fileDigest(vol, info) !== e.md5) bad.push(`${e.path}: md5 differs`);
  }
  return bad;
}
