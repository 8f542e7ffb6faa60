// FS_IMMUTABLE_FL and FS_APPEND_FL are enforced as Linux 6.1 enforces them: the same operations on the same files
// give EPERM in our library and in Linux (qemu, busybox tools as root), and what succeeds leaves the same tree.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FsFlag } from '../src/fs/layout/node.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { link, mkdir, move, remove, setAttrPath, setFlagsPath, truncatePath, writePath, xattrSetPath } from '../src/fs/ops.js';
import { Volume } from '../src/fs/volume.js';
import { walkTree } from '../src/debugfs/reverse.js';
import { isReg } from '../src/fs/inode.js';
import { fsckBoth } from './helpers/fsck.js';
import { tmpPath } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { errCode } from './helpers/workload.js';

const ABC = Buffer.from('abc');
const T2020 = { sec: 1577836800, nsec: 0 };
/** [what, our call, the same in the guest's shell]; /i immutable, /a append-only, /di and /da such directories. */
const OPS: [string, (v: Volume) => unknown, string][] = [];
for (const f of ['i', 'a']) {
  OPS.push(
    [`overwrite /${f}`, (v) => writePath(v, `/${f}`, ABC, { offset: 0 }), `printf abc | dd of=/mnt/${f} conv=notrunc status=none`],
    [`append /${f}`, (v) => writePath(v, `/${f}`, ABC, { append: true }), `printf abc >> /mnt/${f}`],
    [`truncate /${f}`, (v) => truncatePath(v, `/${f}`, 1), `truncate -s 1 /mnt/${f}`],
    [`chmod /${f}`, (v) => setAttrPath(v, `/${f}`, { mode: 0o600 }), `chmod 600 /mnt/${f}`],
    [`utimes /${f}`, (v) => setAttrPath(v, `/${f}`, { atime: T2020, mtime: T2020 }), `touch -d '2020-01-01 00:00:00' /mnt/${f}`],
    [`setxattr /${f}`, (v) => xattrSetPath(v, `/${f}`, 'user.t', ABC), `xattr set /mnt/${f} user.t abc`],
    [`link /${f}`, (v) => link(v, `/${f}`, `/${f}-link`), `ln /mnt/${f} /mnt/${f}-link`],
    [`rename /${f}`, (v) => move(v, `/${f}`, `/${f}-moved`), `mv /mnt/${f} /mnt/${f}-moved`],
    [`unlink /${f}`, (v) => remove(v, `/${f}`), `rm -f /mnt/${f}`],
    [`create in /d${f}`, (v) => writePath(v, `/d${f}/new`, ABC), `printf abc > /mnt/d${f}/new`],
    [`unlink in /d${f}`, (v) => remove(v, `/d${f}/old`), `rm -f /mnt/d${f}/old`],
    [`rename out of /d${f}`, (v) => move(v, `/d${f}/old2`, `/moved-${f}`), `mv /mnt/d${f}/old2 /mnt/moved-${f}`],
    [`rename into /d${f}`, (v) => move(v, `/plain-${f}`, `/d${f}/in`), `mv /mnt/plain-${f} /mnt/d${f}/in`],
  );
}

function base(name: string): string {
  const img = tmpPath(name);
  fs.rmSync(img, { force: true });
  mkfsImage(img, { sizeBytes: 64 << 20, features: ['extra_attr'], seed: 5, timestamp: 1700000000 });
  const v = Volume.open(img, { readOnly: false });
  for (const f of ['i', 'a']) {
    writePath(v, `/${f}`, Buffer.from(`content of ${f}\n`));
    writePath(v, `/plain-${f}`, ABC);
    mkdir(v, `/d${f}`);
    writePath(v, `/d${f}/old`, ABC);
    writePath(v, `/d${f}/old2`, ABC);
  }
  for (const p of ['/i', '/di']) setFlagsPath(v, p, FsFlag.IMMUTABLE, 0);
  for (const p of ['/a', '/da']) setFlagsPath(v, p, FsFlag.APPEND, 0);
  v.finish('checkpoint');
  v.close();
  return img;
}

/** path|size|mode|md5 of every regular file. */
function tree(img: string): string[] {
  const v = Volume.open(img, { readOnly: true });
  const out: string[] = [];
  walkTree(v, (p, d) => {
    const i = v.inode(d.ino);
    if (isReg(i.inode.i_mode)) out.push(`${p}|${i.inode.i_size}|${(i.inode.i_mode & 0o7777).toString(8)}|${createHash('md5').update(v.data.read(i, 0, i.inode.i_size)).digest('hex')}`);
  });
  v.close();
  return out.sort();
}

let ours: string[] = [];
let img = '';

test('immutable and append-only inodes refuse writes, truncates, attribute and name changes with EPERM; both fscks clean', () => {
  img = base('immutable-ours.img');
  const v = Volume.open(img, { readOnly: false });
  ours = OPS.map(([what, fn]) => `${what}: ${errCode(() => fn(v))}`);
  v.finish('checkpoint');
  v.close();
  const want = (f: string, ok: string[]) => OPS.filter(([w]) => w.endsWith(`/${f}`) || w.endsWith(`/d${f}`)).map(([w]) => `${w}: ${ok.some((o) => w.startsWith(o)) ? 'ok' : 'EPERM'}`);
  assert.equal(ours.filter((l) => /\/i\b|\/di\b/.test(l)), want('i', []));
  assert.equal(ours.filter((l) => /\/a\b|\/da\b/.test(l)), want('a', ['append', 'create in', 'rename into']));
  assert.equal(fsckBoth(img).problems, []);
});

test('Linux gives the same results and the same tree', async () => {
  const vm = vmAvailable();
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const linuxCopy = base('immutable-linux.img');
  const script = ['mount -t f2fs /dev/vda /mnt || exit 9', ...OPS.map(([what, , sh]) => `if ${sh} 2>/dev/null; then echo "R|${what}: ok"; else echo "R|${what}: EPERM"; fi`), 'umount /mnt'].join('\n');
  const r = await runInVm({ disks: [linuxCopy], script, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output);
  assert.equal(r.output.split('\n').filter((l) => l.startsWith('R|')).map((l) => l.slice(2)), ours);
  assert.equal(tree(linuxCopy), tree(img));
});

test.run();
