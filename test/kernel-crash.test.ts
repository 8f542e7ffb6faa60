// Linux parity of crash recovery: power cuts made by Linux 6.1 (f2fs_io shutdown 2) recovered by `recover` and by the
// kernel give the same tree, and Linux then mounts our result without further recovery; and the other way round.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { tmpPath } from './helpers/images.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { Volume } from '../src/fs/volume.js';
import { mkdir, remove, writePath } from '../src/fs/ops.js';
import { gc } from '../src/fs/gc.js';
import { fsyncFile } from '../src/fs/file.js';
import { atomicBegin, writeStaged, atomicCommit } from '../src/fs/atomic.js';
import { recover } from '../src/fs/recovery.js';
import { walkTree } from '../src/debugfs/reverse.js';
import { isReg } from '../src/fs/inode.js';

const fill = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));

/** A base image made by our tools: files the scenarios change, checkpointed. */
function baseImage(name: string): string {
  const p = tmpPath(name);
  fs.rmSync(p, { force: true });
  mkfsImage(p, { sizeBytes: 128 << 20, seed: 7, timestamp: 1700000000 });
  const v = Volume.open(p, { readOnly: false });
  writePath(v, '/a', fill(5000, 1));
  writePath(v, '/big', fill(1 << 20, 2));
  writePath(v, '/db', fill(64 * 4096, 3));
  writePath(v, '/u', fill(20000, 4));
  mkdir(v, '/dir');
  v.finish('checkpoint');
  v.close();
  return p;
}

/** Scenario scripts run by Linux in /mnt, each ended by a power cut. */
const KERNEL_SCENARIOS: Record<string, string> = {
  'fsync-new': 'echo hello-new > /mnt/dir/n1 && f2fs_io fsync /mnt/dir/n1',
  'append-segments': 'dd if=/dev/urandom of=/mnt/big bs=4096 count=1200 seek=256 conv=notrunc status=none && f2fs_io fsync /mnt/big',
  'truncate-fsync': 'truncate -s 1000 /mnt/big && f2fs_io fsync /mnt/big',
  // The truncate frees direct nodes that the last checkpoint still holds: only the inode block is fsynced.
  'truncate-dnodes-fsync': 'dd if=/dev/urandom of=/mnt/t3k bs=4096 count=3000 status=none && sync && truncate -s 40960 /mnt/t3k && f2fs_io fsync /mnt/t3k',
  'rename-fsync': 'mv /mnt/a /mnt/dir/a2 && f2fs_io fsync /mnt/dir/a2',
  // The removal of the old x is not durable: recovery finds its entry under the name and replaces it.
  'replace-name-fsync': 'echo old > /mnt/dir/x && sync && rm /mnt/dir/x && echo new > /mnt/dir/x && f2fs_io fsync /mnt/dir/x',
  'new-dir': 'mkdir /mnt/nd && echo in-new-dir > /mnt/nd/f && f2fs_io fsync /mnt/nd/f',
  'atomic-mid': '(f2fs_io write 1 0 64 rand atomic_commit /mnt/db 20000 >/dev/null 2>&1 &) ; sleep 3',
  'atomic-commit': 'f2fs_io write 1 0 64 inc_num atomic_commit /mnt/db >/dev/null',
  'atomic-abort': 'f2fs_io write 1 0 64 rand atomic_abort /mnt/db >/dev/null',
  'unlinked-open': 'exec 3</mnt/u; rm /mnt/u; sync; echo x > /mnt/after-sync',
};

/** The same tree description on both sides: path|type|size|mode|nlink|md5. */
const LIST = `cd /mnt && find . | sort | while read p; do
  t=$(stat -c %F "$p"); m=-; [ -f "$p" ] && [ ! -L "$p" ] && m=$(md5sum < "$p" | cut -d' ' -f1)
  echo "L|$p|$t|$(stat -c '%s|%a|%h' "$p")|$m"; done; cd /`;

function ourListing(img: string): string[] {
  const v = Volume.open(img, { readOnly: true });
  const out: string[] = [];
  const line = (p: string, ino: number) => {
    const i = v.inode(ino);
    const t = (i.inode.i_mode & 0o170000) === 0o040000 ? 'directory' : isReg(i.inode.i_mode) ? (i.inode.i_size ? 'regular file' : 'regular empty file') : 'other';
    const md = isReg(i.inode.i_mode) ? createHash('md5').update(v.data.read(i, 0, i.inode.i_size)).digest('hex') : '-';
    const size = t === 'directory' ? 'dir' : String(i.inode.i_size);
    out.push(`${p}|${t}|${size}|${(i.inode.i_mode & 0o7777).toString(8)}|${i.inode.i_links}|${md}`);
  };
  line('.', 3);
  walkTree(v, (p, d) => line(`.${p}`, d.ino));
  v.close();
  return out.sort();
}

function kernelListing(output: string, disk: string): string[] {
  const sect = output.split(`@@disk ${disk}@@`)[1]?.split('@@end@@')[0] ?? '';
  return sect
    .split('\n')
    .filter((l) => l.startsWith('L|'))
    .map((l) => {
      const [, p, t, size, mode, nlink, md] = l.split('|');
      return `${p}|${t}|${t === 'directory' ? 'dir' : size}|${mode}|${nlink}|${md}`;
    })
    .sort();
}

const vm = vmAvailable();
const disks = 'abcdefghijklmnopqrstuvwxyz';

test('Linux-made power cuts: recover gives the kernel tree, and Linux mounts our result with nothing left to recover', async () => {
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const names = Object.keys(KERNEL_SCENARIOS);
  const crash = names.map((n) => baseImage(`kc-${n}.img`));
  // Boot 1: Linux runs each scenario and cuts power.
  // Each scenario gets its own mount point: a busy one (open fd, background writer) stays mounted until power-off.
  const script1 = names
    .map((n, i) => `mkdir -p /m${i} && mount -t f2fs /dev/vd${disks[i]} /m${i} && mount --bind /m${i} /mnt && sync && { ${KERNEL_SCENARIOS[n]}; } ; f2fs_io shutdown 2 /m${i} >/dev/null; umount /mnt`)
    .join('\n');
  const r1 = await runInVm({ disks: crash, script: script1, timeoutMs: 300000 });
  assert.not.match(r1.output, /Invalid argument|No such file/, r1.output);
  // Ours: recover copies of the crash images.
  const ours = crash.map((c, i) => {
    const p = tmpPath(`kc-ours-${names[i]}.img`);
    fs.copyFileSync(c, p);
    const v = Volume.open(p, { readOnly: false });
    recover(v);
    v.close();
    return p;
  });
  // Boot 2: the kernel recovers the crash images; then it mounts ours, which must need no recovery.
  const all = [...crash, ...ours];
  const script2 = all.map((_, i) => `echo @@disk ${i}@@; mount -t f2fs /dev/vd${disks[i]} /mnt && ${LIST}; umount /mnt; dmesg -c | grep -c 'recover_inode\\|recover_data' | sed 's/^/R|/'; echo @@end@@`).join('\n');
  const r2 = await runInVm({ disks: all, script: `dmesg -c >/dev/null; ${script2}`, timeoutMs: 300000 });
  names.forEach((n, i) => {
    const kernel = kernelListing(r2.output, String(i));
    assert.ok(kernel.length > 3, `${n}: kernel listing empty`);
    assert.equal(ourListing(ours[i]), kernel, `${n}: recover must give the kernel's tree`);
    const oursSect = r2.output.split(`@@disk ${names.length + i}@@`)[1].split('@@end@@')[0];
    assert.match(oursSect, /R\|0/, `${n}: Linux replayed something on our recovered image`);
    assert.equal(kernelListing(r2.output, String(names.length + i)), kernel, `${n}: Linux sees our recovered tree`);
  });
  console.log(`  kernel crash parity: ${names.length} scenarios, boots ${r1.ms} ms + ${r2.ms} ms`);
});

test('our power cuts (--sync fsync / none, fsync after a background checkpoint, GC between fsyncs, mid-session atomic writes) recover identically in Linux and in recover', async () => {
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const scenarios: Record<string, (v: Volume) => void> = {
    'fsync-files': (v) => {
      writePath(v, '/dir/new', fill(70000, 5));
      writePath(v, '/a', fill(3000, 6), { append: true });
      v.finish('fsync');
    },
    'none': (v) => {
      writePath(v, '/lost', fill(100, 1));
      v.finish('none');
    },
    // Past the dirty-node bound a background checkpoint is taken (balanceFs): the files made before it survive, the
    // ones after it and never fsynced do not, and /a's fsync after it is rolled forward.
    'background-checkpoint': (v) => {
      const before = v.cp.head.checkpoint_ver;
      writePath(v, '/a', fill(3000, 12));
      mkdir(v, '/many');
      for (let i = 0; i < 4300; i++) writePath(v, `/many/f${i}`, fill(10, i));
      assert.ok(v.cp.head.checkpoint_ver > before, 'a background checkpoint was taken');
      writePath(v, '/a', fill(100, 13), { append: true });
      fsyncFile(v, v.resolve('/a').ino);
      v.finish('none');
    },
    // GC between two fsyncs: moved blocks are not durable (their segments stay prefree), both fsyncs are rolled forward.
    'gc-between-fsyncs': (v) => {
      for (let i = 0; i < 8; i++) writePath(v, `/g${i}`, fill(300 * 4096, 20 + i));
      v.finish('checkpoint');
      for (let i = 0; i < 8; i += 2) remove(v, `/g${i}`);
      writePath(v, '/g1', fill(100 * 4096, 40), { offset: 50 * 4096 });
      v.finish('checkpoint');
      writePath(v, '/a', fill(3000, 14), { append: true });
      fsyncFile(v, v.resolve('/a').ino);
      assert.ok(gc(v, { sections: 3 }).moved.data > 0, 'GC moved data blocks');
      writePath(v, '/dir/after-gc', fill(9000, 15));
      fsyncFile(v, v.resolve('/dir/after-gc').ino);
      v.finish('none');
    },
    'atomic-committed': (v) => {
      const ino = v.resolve('/db').ino;
      atomicBegin(v, ino);
      writeStaged(v, ino, 8192, fill(100000, 9));
      v.finish('checkpoint');
      atomicCommit(v, ino);
      v.finish('none');
    },
    'atomic-pending': (v) => {
      const ino = v.resolve('/db').ino;
      atomicBegin(v, ino);
      writeStaged(v, ino, 0, fill(50000, 10));
      v.finish('checkpoint');
      writeStaged(v, ino, 50000, fill(50000, 11));
      fsyncFile(v, v.resolve('/a').ino);
      v.finish('none');
    },
  };
  const names = Object.keys(scenarios);
  const crash = names.map((n) => {
    const p = baseImage(`oc-${n}.img`);
    const v = Volume.open(p, { readOnly: false });
    scenarios[n](v);
    v.close();
    return p;
  });
  const ours = crash.map((c, i) => {
    const p = tmpPath(`oc-ours-${names[i]}.img`);
    fs.copyFileSync(c, p);
    const v = Volume.open(p, { readOnly: false });
    recover(v);
    v.close();
    return p;
  });
  const script = crash.map((_, i) => `echo @@disk ${i}@@; mount -t f2fs /dev/vd${disks[i]} /mnt && ${LIST}; umount /mnt; echo @@end@@`).join('\n');
  const r = await runInVm({ disks: crash, script, timeoutMs: 300000 });
  names.forEach((n, i) => assert.equal(ourListing(ours[i]), kernelListing(r.output, String(i)), `${n}: Linux and recover disagree`));
});

test.run();
