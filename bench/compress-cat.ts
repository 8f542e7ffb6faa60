#!/usr/bin/env -S node --import tsx
// `cat` of a 64 MiB compressed file (issue 14's bench line): our CLI against our own `cat` of the same bytes stored
// plain (the ratio to quote), and Linux 6.1 reading both under qemu (TCG: informational only). One image, made by our
// library: /c.txt compressed (lz4 by default, or --algorithm lzo|lzo-rle|zstd, 4-block clusters) and /u.bin plain.
//   node --import tsx bench/compress-cat.ts [--runs 5] [--algorithm lz4]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCompressors } from '../src/fs/codecs/index.js';
import { CompressAlgorithm } from '../src/fs/layout/compress.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { writePath } from '../src/fs/ops.js';
import { Volume } from '../src/fs/volume.js';
import { runInVm, vmAvailable } from '../test/helpers/vm.js';
import { textBytes } from '../fixtures/make-compress.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const runs = Number(opt('--runs', '5'));
const algorithm = { lzo: CompressAlgorithm.LZO, lz4: CompressAlgorithm.LZ4, zstd: CompressAlgorithm.ZSTD, 'lzo-rle': CompressAlgorithm.LZORLE }[opt('--algorithm', 'lz4')]!;
const SIZE = 64 << 20;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-ccat-'));
const img = path.join(dir, 'c.img');

await loadCompressors();
mkfsImage(img, { sizeBytes: 256 << 20, features: ['extra_attr,compression'], seed: 1, timestamp: 1700000000 });
const vol = Volume.open(img, { readOnly: false });
Object.assign(vol.compressOptions, { extensions: ['txt'], algorithm });
const data = textBytes(SIZE);
writePath(vol, '/c.txt', data);
writePath(vol, '/u.bin', data);
vol.finish('checkpoint');
const saved = vol.inode(vol.resolve('/c.txt').ino).extra!.i_compr_blocks;
vol.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const catMs = (p: string) => {
  const t0 = performance.now();
  const r = spawnSync('node', [path.join(root, 'bin/run.js'), 'cat', img, p], { maxBuffer: 2 * SIZE, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || r.stdout.length !== SIZE) throw new Error(`cat ${p}: status ${r.status} ${r.stderr}`);
  return performance.now() - t0;
};
const c: number[] = [];
const u: number[] = [];
for (let i = 0; i < runs; i++) {
  c.push(catMs('/c.txt'));
  u.push(catMs('/u.bin'));
}
console.log(`saved blocks ${saved} of ${SIZE / 4096}`);
console.log(`ours: cat compressed ${median(c).toFixed(0)} ms, cat plain ${median(u).toFixed(0)} ms, ratio ${(median(c) / median(u)).toFixed(2)} (medians of ${runs})`);

const vm = vmAvailable();
if (!vm.ok) console.log(`Linux: skipped (${vm.why})`);
else {
  // busybox date has no %N: /proc/uptime (10 ms steps) is the guest's clock.
  const t = (p: string) => `echo 3 > /proc/sys/vm/drop_caches; s=$(cut -d' ' -f1 /proc/uptime); cat /mnt${p} > /dev/null; e=$(cut -d' ' -f1 /proc/uptime); echo "T|${p}|$s|$e"`;
  const script = ['mount -t f2fs -o ro /dev/vda /mnt || exit 9', ...Array.from({ length: 3 }, () => [t('/c.txt'), t('/u.bin')]).flat(), 'umount /mnt'].join('\n');
  const r = await runInVm({ disks: [img], script, timeoutMs: 600_000 });
  const times = (p: string) => r.output.split('\n').filter((l) => l.startsWith(`T|${p}|`)).map((l) => (Number(l.split('|')[3]) - Number(l.split('|')[2])) * 1000);
  if (!times('/c.txt').length) throw new Error(`no times from the guest:\n${r.output}`);
  const lc = median(times('/c.txt'));
  const lu = median(times('/u.bin'));
  console.log(`Linux (qemu TCG, cold cache): cat compressed ${lc.toFixed(0)} ms, cat plain ${lu.toFixed(0)} ms, ratio ${(lc / lu).toFixed(2)}; ours / Linux on the compressed file ${(median(c) / lc).toFixed(2)}`);
}
fs.rmSync(dir, { recursive: true, force: true });
