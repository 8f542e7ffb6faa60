#!/usr/bin/env -S node --import tsx
// Long GC churn runs (the CI test runs 1.5x capacity on 64 MiB): live data between 75% and 90% of the user capacity
// until N times the capacity is written, both fscks at every checkpoint, the model's content checked at the end.
// With --linux, Linux 6.1 (qemu) then mounts the final image and must read exactly the model's files.
//   node --import tsx scripts/churn.ts [--size 64M|1G] [--times 10] [--mkfs ours|mkfs.f2fs] [--seed N] [--linux]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkfsImage } from '../src/fs/mkfs.js';
import { checkModel, churn, compareDigests, linuxDigestScript, modelDigests } from '../test/helpers/churn.js';
import { runInVm } from '../test/helpers/vm.js';
import { fsckBoth } from '../test/helpers/fsck.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const sizeText = opt('--size', '64M');
const size = Number.parseInt(sizeText, 10) * (/g$/i.test(sizeText) ? 1 << 30 : 1 << 20);
const times = Number(opt('--times', '10'));
const formatter = opt('--mkfs', 'ours');
const seed = Number(opt('--seed', '1'));
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-churn-'));
const img = path.join(dir, 'churn.img');
try {
  if (formatter === 'ours') mkfsImage(img, { sizeBytes: size, seed, timestamp: 1700000000 });
  else {
    fs.writeFileSync(img, '');
    fs.truncateSync(img, size);
    execFileSync('mkfs.f2fs', ['-q', '-f', img]);
  }
  const t0 = performance.now();
  let checks = 0;
  const r = churn(img, {
    seed,
    capacityMultiple: times,
    low: 0.75,
    high: 0.9,
    checkpointEvery: Math.max(1000, Math.floor(size / 4096 / 20)),
    onCheckpoint: (p) => {
      const both = fsckBoth(p);
      checks++;
      if (both.problems.length) throw new Error(`checkpoint ${checks}: ${both.problems.join('\n')}`);
    },
  });
  const bad = checkModel(img, r.files);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `churn ${sizeText} ${formatter} seed ${seed}: ${r.writtenBlocks} user blocks written (${(r.writtenBlocks / r.userBlocks).toFixed(1)}x the ${r.userBlocks}-block capacity), ` +
      `${r.checkpoints} checkpoints + ${r.gcCheckpoints} taken by GC/balance, both fscks clean at ${checks}; write amplification ${(r.deviceBlocks / r.writtenBlocks).toFixed(2)}; ` +
      `${Math.round(r.writtenBlocks / secs)} blocks/s; ops ${JSON.stringify(r.ops)}; model ${bad.length ? `MISMATCH: ${bad.slice(0, 5).join('; ')}` : 'matches'}`,
  );
  let linuxBad: string[] = [];
  if (argv.includes('--linux')) {
    const t1 = performance.now();
    const vm = await runInVm({ disks: [img], script: linuxDigestScript('/dev/vda'), timeoutMs: 60 * 60_000, memMb: 512 });
    linuxBad = vm.status === 0 ? compareDigests(vm.output, modelDigests(r.files)) : [`guest exit ${vm.status}: ${vm.output.slice(-500)}`];
    console.log(`linux: mounted the final image, ${r.files.size} files: ${linuxBad.length ? `MISMATCH: ${linuxBad.slice(0, 5).join('; ')}` : 'all equal the model'} (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
  }
  process.exitCode = bad.length || linuxBad.length ? 1 : 0;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
