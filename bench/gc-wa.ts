#!/usr/bin/env -S node --import tsx
// Write amplification of the GC workload against Linux 6.1 (issue 12): a 64 MiB mkfs.f2fs image, four 3 MiB files,
// then N random 4 KiB overwrites with a sync every 1,000, run by our library and by the kernel under qemu on the same
// image and the same (file, block) sequence. WA = blocks the device wrote / 4 KiB blocks the user wrote, counted after
// the files exist: ours from the device's write counter, the kernel's from lifetime_write_kbytes.
// --fs-mode lfs runs both sides in lfs mode (mount -o mode=lfs): no in-place rewrites, so GC does the cleaning.
//   node --import tsx bench/gc-wa.ts [--writes 12000] [--seed 7] [--fs-mode adaptive|lfs]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { writePath } from '../src/fs/ops.js';
import { Volume } from '../src/fs/volume.js';
import { runInVm, vmAvailable } from '../test/helpers/vm.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const writes = Number(opt('--writes', '12000'));
const seed = Number(opt('--seed', '7'));
const fsMode = opt('--fs-mode', 'adaptive') as 'adaptive' | 'lfs';
const BLK = 4096;
const FILE_BLOCKS = (3 << 20) / BLK;
const SYNC_EVERY = 1000;

function lcg(s: number): () => number {
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

const rnd = lcg(seed);
const seq = Array.from({ length: writes }, () => [Math.floor(rnd() * 4), Math.floor(rnd() * FILE_BLOCKS)] as const);
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-wa-'));

function mkfs(name: string): string {
  const img = path.join(dir, name);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 64 << 20);
  execFileSync('mkfs.f2fs', ['-q', '-f', img]);
  return img;
}

function ours(): { wa: number; written: number; ms: number } {
  const img = mkfs('ours.img');
  let vol = Volume.open(img, { readOnly: false });
  for (let f = 0; f < 4; f++) writePath(vol, `/f${f}`, Buffer.alloc(FILE_BLOCKS * BLK, f + 1));
  writeCheckpoint(vol, { umount: true });
  vol.close();
  vol = Volume.open(img, { readOnly: false, mode: fsMode });
  const t0 = performance.now();
  seq.forEach(([f, b], i) => {
    writePath(vol, `/f${f}`, Buffer.alloc(BLK, (i % 251) + 5), { offset: b * BLK });
    if (i % SYNC_EVERY === SYNC_EVERY - 1) writeCheckpoint(vol, { umount: false });
  });
  writeCheckpoint(vol, { umount: true });
  const written = vol.dev.stats.blocksWritten;
  vol.close();
  return { wa: written / writes, written, ms: performance.now() - t0 };
}

async function linux(): Promise<{ wa: number; written: number; ms: number; status: string } | string> {
  const ok = vmAvailable();
  if (!ok.ok) return `no VM: ${ok.why}`;
  const img = mkfs('linux.img');
  const plan = seq.map(([f, b], i) => `${f} ${b} ${(i % 251) + 5}`).join('\n') + '\n';
  const script = [
    'set -e',
    'mount -t f2fs /dev/vda /mnt',
    'for f in 0 1 2 3; do dd if=/dev/zero of=/mnt/f$f bs=4096 count=768 2>/dev/null; done',
    `umount /mnt; mount -t f2fs -o mode=${fsMode} /dev/vda /mnt`,
    'mount -t debugfs none /sys/kernel/debug 2>/dev/null || true',
    'kb0=$(cat /sys/fs/f2fs/vda/lifetime_write_kbytes); t0=$(cut -d" " -f1 /proc/uptime)',
    // One 4 KiB block per byte value, made once: dd then copies it in place.
    'i=0; while [ $i -lt 256 ]; do printf "$(printf "\\\\%03o" $i)%.0s" $(seq 4096) > /tmp/b$i 2>/dev/null || true; i=$((i+1)); done',
    `n=0; while read f b v; do dd if=/tmp/b$v of=/mnt/f$f bs=4096 seek=$b count=1 conv=notrunc 2>/dev/null; n=$((n+1)); [ $((n % ${SYNC_EVERY})) -eq 0 ] && sync; done < /job/files/plan`,
    'sync; t1=$(cut -d" " -f1 /proc/uptime)',
    'cat /sys/kernel/debug/f2fs/status 2>/dev/null | grep -iE "GC calls|GC called|Moved|SSR|LFS|IPU|Free|Prefree|Dirty" || true',
    'umount /mnt',
    'echo "WA kb0=$kb0 t0=$t0 t1=$t1"',
    // The counter is kept in the checkpoint: read it back after the umount's checkpoint.
    'mount -t f2fs -o ro /dev/vda /mnt; echo "WA kb1=$(cat /sys/fs/f2fs/vda/lifetime_write_kbytes)"; umount /mnt',
  ].join('\n');
  const r = await runInVm({ disks: [img], script, files: { plan }, timeoutMs: 60 * 60_000 });
  if (r.status !== 0) return `guest failed (${r.status}): ${r.output.slice(-2000)}`;
  const kb0 = Number(/kb0=(\d+)/.exec(r.output)?.[1]);
  const kb1 = Number(/kb1=(\d+)/.exec(r.output)?.[1]);
  const [t0, t1] = [/t0=([\d.]+)/, /t1=([\d.]+)/].map((re) => Number(re.exec(r.output)?.[1]));
  const written = (kb1 - kb0) / 4;
  return { wa: written / writes, written, ms: (t1 - t0) * 1000, status: r.output.split('\n').filter((l) => /GC|Moved|SSR|LFS|IPU|Free|Dirty/i.test(l)).join('\n') };
}

try {
  const a = ours();
  console.log(`fs mode ${fsMode}`);
  const rate = (ms: number) => Math.round(writes / (ms / 1000));
  console.log(`ours:  ${writes} writes, ${a.written} blocks written, WA ${a.wa.toFixed(2)}, ${Math.round(a.ms)} ms, ${rate(a.ms)} user blocks/s`);
  const k = await linux();
  if (typeof k === 'string') console.log(`linux: ${k}`);
  else {
    console.log(`linux: ${writes} writes, ${k.written} blocks written, WA ${k.wa.toFixed(2)}, ${Math.round(k.ms)} ms, ${rate(k.ms)} user blocks/s (TCG, one dd per write)\n${k.status}`);
    console.log(`ratio ours/linux WA: ${(a.wa / k.wa).toFixed(2)}; throughput ${(rate(a.ms) / rate(k.ms)).toFixed(2)} (informational)`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
