// A file tree as our library reads it and as Linux lists it in the VM, in one shape to compare (resize, defrag).
import { createHash } from 'node:crypto';
import { isDir, isReg, isSymlink } from '../../src/fs/inode.js';
import { Volume } from '../../src/fs/volume.js';

export interface Entry {
  path: string;
  mode: number;
  size: number;
  /** The md5 of a file's bytes, a symlink's target, '' for the rest. */
  md5: string;
}

const byPath = (a: Entry, b: Entry) => (a.path < b.path ? -1 : 1);

/** Our listing of the tree of `img`, paths from `.` (directories size 0). */
export function treeListing(img: string): Entry[] {
  const vol = Volume.open(img, { readOnly: true });
  try {
    const out: Entry[] = [];
    const walk = (ino: number, p: string) => {
      const info = vol.inode(ino);
      const i = info.inode;
      const md5 = isReg(i.i_mode) ? createHash('md5').update(vol.data.read(info, 0, i.i_size)).digest('hex') : isSymlink(i.i_mode) ? vol.readlink(info).toString() : '';
      out.push({ path: p, mode: i.i_mode, size: isDir(i.i_mode) ? 0 : i.i_size, md5 });
      if (!isDir(i.i_mode)) return;
      for (const d of vol.dirs.entries(info)) {
        const name = d.name.toString();
        if (name !== '.' && name !== '..') walk(d.ino, `${p}/${name}`);
      }
    };
    walk(vol.sb.root_ino, '.');
    return out.sort(byPath);
  } finally {
    vol.close();
  }
}

/** Guest shell lines mounting disk `i` at /mnt/i, listing its tree (lines tagged with `i`), writing a file, unmounting. */
export function vmTreeScript(i: number): string[] {
  const dev = `/dev/vd${String.fromCharCode(97 + i)}`;
  return [
    `mkdir -p /mnt/${i} && mount -t f2fs ${dev} /mnt/${i} || exit 10`,
    `(cd /mnt/${i} && find . -exec stat -c "L ${i} %n|%f|%s" {} + && find . -type f -exec md5sum {} + | sed "s/^/M ${i} /" && find . -type l -exec sh -c 'for f do echo "T ${i} $f|$(readlink "$f")"; done' sh {} +)`,
    `echo hello > /mnt/${i}/after && sync && umount /mnt/${i} || exit 11`,
  ];
}

/** The tree of disk `i` from the output of vmTreeScript's lines. */
export function vmTreeListing(output: string, i: number): Entry[] {
  const got = new Map<string, Entry>();
  for (const m of output.matchAll(new RegExp(`^L ${i} (.*)\\|([0-9a-f]+)\\|(\\d+)$`, 'gm'))) {
    const mode = parseInt(m[2], 16);
    got.set(m[1], { path: m[1], mode, size: isDir(mode) ? 0 : Number(m[3]), md5: '' });
  }
  for (const m of output.matchAll(new RegExp(`^M ${i} ([0-9a-f]{32})  (.*)$`, 'gm'))) got.get(m[2])!.md5 = m[1];
  for (const m of output.matchAll(new RegExp(`^T ${i} (.*)\\|(.*)$`, 'gm'))) got.get(m[1])!.md5 = m[2];
  return [...got.values()].sort(byPath);
}
