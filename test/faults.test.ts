// The fsck fault corpus (scripts/faults.ts, the table in docs/fsck.md): on every case our fsck and fsck.f2fs --dry-run
// agree on clean versus damaged (but for the few differences docs/fsck.md explains), our finding names the structure
// and its index, and `fsck --fix` repairs every case fsck.f2fs -f -y repairs (and the rest it finds, unless the image
// cannot be mounted at all): both checkers find the copy clean afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CASES, WHY_WE_DIFFER, makeCorpusSeed, runCase } from '../scripts/faults.js';
import { cli } from './helpers/cli.js';
import { openDevice } from '../src/device/index.js';
import type { FsckCode } from '../src/fsck/fsck.js';

const work = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-faults-test-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
const { seed, info, clean } = makeCorpusSeed(work);
/** Findings about a count of the whole image (the checkpoint's), with no index to name. */
const WHOLE_IMAGE: FsckCode[] = ['VALID_BLOCK_COUNT', 'VALID_NODE_COUNT', 'VALID_INODE_COUNT', 'NAT_ENTRY_COUNT', 'SIT_NODE_COUNT', 'FREE_SEGMENT_COUNT'];

test('the seed image is clean for both checkers', () => {
  assert.ok(clean);
});

for (const c of CASES) {
  test(`fault ${c.name}: ${c.what}`, () => {
    // fsck.f2fs -a repairs nothing here (no fault sets CP_FSCK_FLAG): the test runs only -f -y, the script both.
    const r = runCase(seed, info, c, work, { realA: false });
    const why = `ours: ${JSON.stringify(r.ours.findings.slice(0, 3))}\nfsck.f2fs: ${r.real.complaints.join('\n')}`;
    if (WHY_WE_DIFFER[c.name]) assert.ok(!r.ours.clean && r.real.clean, `${c.name} is listed as a difference (we damaged, fsck.f2fs clean), but: ${why}`);
    else assert.is(r.ours.clean, r.real.clean, `verdicts differ: ${why}`);
    if (!r.ours.clean) {
      // The structure by name, and its index (an inode, node, block or segment) unless it is one of the image's own
      // (a superblock, a checkpoint count).
      const f = r.ours.findings[0];
      const whole = f.code === 'MOUNT_FAILED' || WHOLE_IMAGE.includes(f.code);
      assert.match(f.message, /superblock|checkpoint|CP |NAT|SIT|summary|inode|symlink|node|directory|orphan|block|chain/, `the finding names no structure: ${JSON.stringify(f)}`);
      assert.ok(whole || [f.ino, f.nid, f.blkaddr, f.segno].some((x) => x !== undefined), `the finding names no index: ${JSON.stringify(f)}`);
      const mountable = f.code !== 'MOUNT_FAILED';
      if (mountable || r.realFixFY.clean)
        assert.ok(r.ourFix.clean, `fsck --fix left it damaged (fsck.f2fs -f -y: ${r.realFixFY.clean ? 'repaired' : 'not repaired'}): ${r.ourFix.error ?? r.ourFix.unfixed}; fixed: ${r.ourFix.fixed.join('; ')}`);
    }
    fs.rmSync(r.ourFix.image, { force: true });
  });
}

test('the command: fsck --fix repairs a damaged copy, says what it fixed, and a second run finds it clean', () => {
  const img = path.join(work, 'command.img');
  fs.copyFileSync(seed, img);
  const dev = openDevice(img, { readOnly: false, cacheMb: 0 });
  try {
    CASES.find((x) => x.name === 'dir-cycle')!.inject(dev, info);
  } finally {
    dev.close();
  }
  const before = cli(['fsck', img, '--json']);
  assert.is(before.status, 1, before.stderr);
  const fix = cli(['fsck', img, '--fix', '--json']);
  assert.is(fix.status, 0, fix.stdout + fix.stderr);
  const report = JSON.parse(fix.stdout);
  assert.ok(report.fixed.some((f: string) => /lost\+found/.test(f)), JSON.stringify(report.fixed));
  assert.is(cli(['fsck', img]).status, 0);
});

test.run();
