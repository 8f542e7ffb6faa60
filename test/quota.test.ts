// Quota: the v2 quota tree, the charges every write makes, the quota files at checkpoint, fsck's check and --fix, the
// quota and set-project commands, mkfs with quota — against the Linux-made fixture (the kernel's own usage), fsck.f2fs
// 1.15 (which recomputes usage and compares it with the files) and Linux 6.1 mounting what we wrote.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, fixtureListing, loadFixture } from '../fixtures/load.js';
import { fsckImage } from '../src/fsck/fsck.js';
import { fsyncFile } from '../src/fs/file.js';
import { CpFlag } from '../src/fs/layout/checkpoint.js';
import { V2_MAGICS } from '../src/fs/layout/quota.js';
import { mkfsImage as ourMkfs } from '../src/fs/mkfs.js';
import { link, mkdir, move, remove, setAttrPath, truncatePath, writePath, xattrSetPath } from '../src/fs/ops.js';
import { QuotaTree, countUsage, quotaRecords, quotaTypes, readQuotaFile, setProjectPath, type Dquot } from '../src/fs/quota.js';
import { Volume } from '../src/fs/volume.js';
import { atomicBegin, atomicCommit, writeStaged } from '../src/fs/atomic.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, tmpPath, withVol } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const QUOTA_FEATURES = 'extra_attr,quota,project_quota,lost_found';
const TYPES = ['user', 'group', 'project'] as const;

interface Row {
  type: string;
  id: number;
  space: number;
  inodes: number;
}

/** The usage the tree holds, per type and id (ids with no inode left out), sorted like the quota command's output. */
function treeUsage(vol: Volume): Row[] {
  const usage = countUsage(vol);
  return quotaTypes(vol.sb).flatMap((t) =>
    [...usage[t]]
      .filter(([, u]) => u.inodes)
      .sort((a, b) => a[0] - b[0])
      .map(([id, u]) => ({ type: TYPES[t], id, space: u.space, inodes: u.inodes })),
  );
}

/** What the quota files say (charges not yet written included). */
function fileUsage(vol: Volume): Row[] {
  return quotaTypes(vol.sb).flatMap((t) => quotaRecords(vol, t).map((d) => ({ type: TYPES[t], id: d.dqb_id, space: d.dqb_curspace, inodes: d.dqb_curinodes })));
}

/** Both fscks clean, and the files equal the usage counted over the tree. */
function expectQuotaExact(img: string, after: string): void {
  const both = fsckBoth(img);
  assert.equal(both.problems, [], `after ${after}`);
  withVol(img, (v) => assert.equal(fileUsage(v), treeUsage(v), `quota files after ${after}`));
}

function writable<T>(img: string, fn: (v: Volume) => T): T {
  const v = Volume.open(img, { readOnly: false });
  try {
    const r = fn(v);
    v.finish('checkpoint');
    return r;
  } finally {
    v.close();
  }
}

const bytes = (n: number, seed = 1) => Buffer.alloc(n, seed);

/* ---------------- the Linux-made fixture ---------------- */

test('Linux fixture: quota reports the kernel\'s own usage (Q_GETNEXTQUOTA), which is also the tree\'s; both fscks clean', async () => {
  const img = await loadFixture('quota');
  const kernel = JSON.parse(fs.readFileSync(new URL('../fixtures/quota/quota.usage.json', import.meta.url), 'utf8')).usage as Row[];
  const r = JSON.parse(cliOk(['quota', img, '--json'])) as { files: { type: string; records: Dquot[] }[] };
  const ours = r.files.flatMap((f) => f.records.map((d) => ({ type: f.type, id: d.dqb_id, space: d.dqb_curspace, inodes: d.dqb_curinodes })));
  assert.equal(ours, kernel);
  withVol(img, (v) => assert.equal(treeUsage(v), kernel));
  assert.equal(fsckBoth(img).problems, []);
  // The fixture covers what it says: several owners, a project inherited through PROJINHERIT, an xattr node.
  assert.ok(kernel.some((u) => u.type === 'project' && u.id === 7 && u.inodes === 4));
  assert.ok(fixtureListing('quota').some((e) => e.path === '/shared/xattr_node' && e.uid === 1002));
  // --type and the table.
  const one = JSON.parse(cliOk(['quota', img, '--type', 'project', '--json'])) as { files: { type: string }[] };
  assert.equal(one.files.map((f) => f.type), ['project']);
  assert.match(cliOk(['quota', img]), /\*\*\* group quota \(inode 5\)/);
});

test('Linux fixture: writes, creates, deletes, chown, truncate, set-project and a file in the PROJINHERIT directory keep the quota exact', async () => {
  const img = await copyFixture('quota');
  writable(img, (v) => {
    writePath(v, '/u1000/more', bytes(50_000), { uid: 1000, gid: 1000 });
    writePath(v, '/u1000/big', bytes(10_000), { append: true });
    writePath(v, '/proj/new', bytes(20_000)); // inherits project 7 from its PROJINHERIT parent
    mkdir(v, '/proj/newdir');
    truncatePath(v, '/u1001/data', 5000);
    remove(v, '/u1000/hardlink'); // one of two names: the inode stays charged once
    remove(v, '/shared/xattr_node'); // uid 1002's only inode: its record goes
    setAttrPath(v, '/u1001/prealloc', { uid: 1006, gid: 1006 });
    setProjectPath(v, '/u1000/blocks', 11);
  });
  expectQuotaExact(img, 'the edits');
  withVol(img, (v) => {
    const prj = quotaRecords(v, 2);
    assert.ok(prj.some((d) => d.dqb_id === 7 && d.dqb_curinodes === 6), 'the new file and directory joined project 7');
    assert.ok(prj.some((d) => d.dqb_id === 11 && d.dqb_curspace === 5 * 4096));
    assert.not.ok(quotaRecords(v, 0).some((d) => d.dqb_id === 1002));
    assert.ok(readQuotaFile(v, 0).find(1006) > 0);
  });
});

/* ---------------- images made by mkfs.f2fs and by us ---------------- */

for (const [maker, make] of [
  ['mkfs.f2fs', (name: string) => mkfsImage(name, 64, QUOTA_FEATURES)],
  ['our mkfs', (name: string) => (ourMkfs(tmpPath(name), { sizeBytes: 64 << 20, features: QUOTA_FEATURES.split(',') }), tmpPath(name))],
] as const) {
  test(`${maker} quota image: many owners across quota leaf blocks, hard links, xattr nodes, renames, atomic writes, then everything removed`, () => {
    const img = make(`many-${maker}.img`);
    expectQuotaExact(img, 'mkfs');
    // More ids than a leaf holds (14), over several tree paths (ids differing in every byte).
    const ids = Array.from({ length: 40 }, (_, i) => (i < 20 ? 1000 + i : i * 0x01010101));
    writable(img, (v) => {
      mkdir(v, '/d');
      ids.forEach((id, i) => writePath(v, `/d/f${i}`, bytes(3000 + i * 1500, i), { uid: id, gid: id % 7 }));
      link(v, '/d/f3', '/d/f3-link');
      xattrSetPath(v, '/d/f4', 'user.big', bytes(2500));
      move(v, '/d/f5', '/f5-moved');
      setProjectPath(v, '/d/f6', 0xfffffffe);
    });
    expectQuotaExact(img, 'creating 40 owners');
    withVol(img, (v) => assert.ok(readQuotaFile(v, 0).info.dqi_blocks > 8, 'several leaves and tree paths'));
    writable(img, (v) => {
      const ino = v.resolve('/d/f7').ino;
      atomicBegin(v, ino);
      writeStaged(v, ino, 0, bytes(9000, 9));
      atomicCommit(v, ino);
      for (let i = 0; i < 40; i += 2) remove(v, i === 5 ? '/f5-moved' : `/d/f${i}`);
      truncatePath(v, '/d/f9', 0);
      setAttrPath(v, '/d/f11', { uid: 0, gid: 0 });
    });
    expectQuotaExact(img, 'removing half');
    writable(img, (v) => {
      remove(v, '/d', { recursive: true });
      remove(v, '/f5-moved');
    });
    expectQuotaExact(img, 'removing all');
    withVol(img, (v) => {
      assert.equal(quotaRecords(v, 0).map((d) => d.dqb_id), [0], 'only root\'s id is left');
      assert.ok(readQuotaFile(v, 0).info.dqi_free_blk > 0, 'emptied leaves and tree blocks went to the free list');
    });
    // Freed blocks are used again.
    writable(img, (v) => ids.slice(0, 30).forEach((id, i) => writePath(v, `/g${i}`, bytes(100), { uid: id })));
    expectQuotaExact(img, 'creating again');
  });
}

test('mkfs with quota: the same as mkfs.f2fs for quota, project_quota alone and quota without extra_attr; report names the quota inodes', () => {
  for (const features of ['extra_attr,quota,project_quota,lost_found', 'extra_attr,project_quota', 'quota']) {
    const ours = tmpPath('ours-q.img');
    fs.rmSync(ours, { force: true });
    const r = ourMkfs(ours, { sizeBytes: 64 << 20, features: features.split(',') });
    assert.equal(r.quotaInos, features === 'extra_attr,project_quota' ? [0, 0, 4] : features === 'quota' ? [4, 5, 0] : [4, 5, 6]);
    assert.equal(fsckBoth(ours).problems, [], features);
    withVol(ours, (v) => assert.equal(fileUsage(v), treeUsage(v)));
  }
});

/* ---------------- broken quota, fsck and --fix ---------------- */

test('a quota file left behind by a write (usage not charged) is caught by both fscks; fsck --fix rebuilds it', () => {
  const img = mkfsImage('broken.img', 64, QUOTA_FEATURES);
  writable(img, (v) => {
    writePath(v, '/f', bytes(40_000), { uid: 77 });
    // What a writer that does not keep quota leaves: the charges never reach the files.
    for (const m of v.quota!.pending) m.clear();
  });
  const both = fsckBoth(img);
  assert.ok(both.ours && !both.ours.ok);
  assert.ok(both.ours!.counts.QUOTA_MISMATCH! >= 3, JSON.stringify(both.ours!.counts));
  assert.match(both.real.out, /Quota file is missing or invalid quota file content found/);
  const r = cli(['fsck', img, '--fix', '--json']);
  assert.is(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout.toString());
  assert.equal(rep.fixed, ['quota files rebuilt from the usage the tree holds']);
  assert.ok(rep.ok);
  expectQuotaExact(img, 'fsck --fix');
  // Nothing to fix: nothing done.
  assert.equal(JSON.parse(cliOk(['fsck', img, '--fix', '--json'])).fixed, []);
});

test('a quota file that cannot be parsed: writes set quota_need_fsck instead of guessing, fsck names it, --fix makes it anew', () => {
  const img = mkfsImage('corrupt.img', 64, QUOTA_FEATURES);
  const blkaddr = withVol(img, (v) => v.data.bmap(v.inode(v.sb.qf_ino[1]), 0).blkaddr);
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Buffer.alloc(8, 0xee), 0, 8, blkaddr * 4096);
  fs.closeSync(fd);
  writable(img, (v) => writePath(v, '/f', bytes(9000), { uid: 5, gid: 6 }));
  withVol(img, (v) => assert.ok(v.cp.head.ckpt_flags & CpFlag.QUOTA_NEED_FSCK, 'quota_need_fsck set'));
  const r = fsckImage(img);
  assert.ok(r.counts.QUOTA_FILE_CORRUPT === 1 && r.counts.QUOTA_NEED_FSCK === 1, JSON.stringify(r.counts));
  assert.is(cli(['fsck', img]).status, 1);
  assert.is(cli(['fsck', img, '--fix']).status, 0);
  withVol(img, (v) => {
    assert.not.ok(v.cp.head.ckpt_flags & CpFlag.QUOTA_NEED_FSCK, 'flag cleared by the rebuild');
    assert.is(readQuotaFile(v, 1).bytes.readUInt32LE(0), V2_MAGICS[1]);
  });
  expectQuotaExact(img, 'fsck --fix of a corrupt file');
});

test('no room for the quota file to grow: the checkpoint goes out with quota_need_fsck, nothing half written; --fix repairs once there is room', () => {
  const img = mkfsImage('full.img', 64, QUOTA_FEATURES);
  writable(img, (v) => {
    for (let i = 0; i < 40; i++) writePath(v, `/s${i}`, bytes(10));
    for (const chunk of [1 << 20, 4096]) {
      for (;;) {
        try {
          writePath(v, '/fill', bytes(chunk), { append: true });
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  });
  // chown needs no block, but 40 ids far apart need new quota tree blocks.
  writable(img, (v) => {
    for (let i = 0; i < 40; i++) setAttrPath(v, `/s${i}`, { uid: (i + 1) * 0x01010101 });
  });
  withVol(img, (v) => assert.ok(v.cp.head.ckpt_flags & CpFlag.QUOTA_NEED_FSCK, 'quota_need_fsck set'));
  const r = fsckImage(img);
  assert.ok(r.counts.QUOTA_NEED_FSCK && r.counts.QUOTA_MISMATCH, JSON.stringify(r.counts));
  assert.not.ok(r.counts.QUOTA_FILE_CORRUPT, 'the files stayed whole');
  cliOk(['rm', img, '/fill']);
  assert.is(cli(['fsck', img, '--fix']).status, 0);
  expectQuotaExact(img, '--fix after freeing space');
});

/* ---------------- the commands ---------------- */

test('set-project and chown through the CLI move the charge; set-project refuses images without project quota', () => {
  const img = mkfsImage('cmds.img', 64, QUOTA_FEATURES);
  cliOk(['write', img, '/f', '--data', 'x'.repeat(10_000)]);
  const r = JSON.parse(cliOk(['set-project', img, '/f', '31', '--json']));
  assert.equal([r.ino > 0, r.projid], [true, 31]);
  cliOk(['chown', img, '500:600', '/f']);
  expectQuotaExact(img, 'set-project and chown');
  const q = JSON.parse(cliOk(['quota', img, '--json'])) as { files: { type: string; records: Dquot[] }[] };
  const rec = (type: string, id: number) => q.files.find((f) => f.type === type)!.records.find((d) => d.dqb_id === id);
  assert.equal([rec('user', 500)?.dqb_curspace, rec('group', 600)?.dqb_curinodes, rec('project', 31)?.dqb_curspace], [12288, 1, 12288]);
  const plain = mkfsImage('plain.img', 64, 'extra_attr');
  cliOk(['write', plain, '/f', '--data', 'x']);
  assert.is(cli(['set-project', plain, '/f', '3']).status, 4);
  assert.match(cliOk(['quota', plain]), /no quota files/);
});

/* ---------------- roll-forward recovery ---------------- */

test('roll-forward recovery of fsync\'d files counts quota again: both fscks clean after recover', () => {
  const img = mkfsImage('recover.img', 64, QUOTA_FEATURES);
  const v = Volume.open(img, { readOnly: false });
  writePath(v, '/a', bytes(20_000), { uid: 40 });
  v.finish('checkpoint');
  writePath(v, '/a', bytes(9000), { append: true });
  fsyncFile(v, v.resolve('/a').ino);
  v.finish('none');
  v.close();
  cliOk(['recover', img]);
  expectQuotaExact(img, 'recover');
  withVol(img, (w) => assert.ok(quotaRecords(w, 0).some((d) => d.dqb_id === 40 && d.dqb_curspace === 8 * 4096)));
});

/* ---------------- the quota tree alone ---------------- */

test('quota tree: inserts and deletes in any order keep every record, the free lists and the leaf counts consistent', () => {
  const check = {
    range: (x: number, min: number, max: number, what: string): number => {
      if (x < min || x > max) throw new Error(`${what} ${x} out of [${min}, ${max}]`);
      return x;
    },
  };
  const t = QuotaTree.create(0, check);
  const model = new Map<number, number>();
  let seed = 7;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 4) % n;
  for (let step = 0; step < 3000; step++) {
    const id = rnd(4) === 0 ? rnd(0x0fffffff) * 16 + rnd(16) : rnd(200);
    if (model.has(id) && rnd(2) === 0) {
      t.delete(id);
      model.delete(id);
      assert.is(t.find(id), 0);
    } else {
      t.put({ dqb_id: id, dqb_ihardlimit: 0, dqb_isoftlimit: 0, dqb_curinodes: step, dqb_bhardlimit: 0, dqb_bsoftlimit: 0, dqb_curspace: step * 4096, dqb_btime: 0, dqb_itime: 0 });
      model.set(id, step);
    }
    // No record is reachable that the model lacks (a leaf shared by many ids is forgotten by each id's path).
    if (step % 50 === 0) assert.is(t.entries().length, model.size, `step ${step}`);
  }
  const got = new Map(t.entries().map((d) => [d.dqb_id, d.dqb_curinodes]));
  assert.equal([...got].sort((a, b) => a[0] - b[0]), [...model].sort((a, b) => a[0] - b[0]));
  // Re-parsed from its bytes it reads the same (and the free-entry leaves have room).
  const again = QuotaTree.parse(t.bytes, 0, check);
  assert.is(again.entries().length, model.size);
  // Deleting everything leaves the root alone, every other block on the free list.
  for (const id of [...model.keys()]) t.delete(id);
  assert.is(t.entries().length, 0);
  let free = 0;
  for (let b = t.info.dqi_free_blk; b; b = t.bytes.readUInt32LE(b * 1024)) free++;
  assert.is(free, t.info.dqi_blocks - 2);
  // An all-zero record of id 0 stays findable (the itime escape).
  const z = QuotaTree.create(1, check);
  z.put({ dqb_id: 0, dqb_ihardlimit: 0, dqb_isoftlimit: 0, dqb_curinodes: 0, dqb_bhardlimit: 0, dqb_bsoftlimit: 0, dqb_curspace: 0, dqb_btime: 0, dqb_itime: 0 });
  assert.equal(z.get(0)?.dqb_itime, 0);
  assert.is(z.entries().length, 1);
});

/* ---------------- Linux mounts what we wrote ---------------- */

const vm = vmAvailable();
if (!vm.ok) {
  test('quota under Linux: the test VM can run here', () => assert.ok(vm.ok, `no test VM: ${vm.why}`));
} else {
  test('Linux mounts our quota image: the kernel\'s usage equals our files; after Linux writes more, both fscks are clean', async () => {
    const img = tmpPath('linux-quota.img');
    fs.rmSync(img, { force: true });
    ourMkfs(img, { sizeBytes: 64 << 20, features: QUOTA_FEATURES.split(',') });
    writable(img, (v) => {
      mkdir(v, '/p');
      for (let i = 0; i < 20; i++) writePath(v, `/p/f${i}`, bytes(i * 3000), { uid: 2000 + (i % 5), gid: 300 + (i % 3) });
      setProjectPath(v, '/p/f7', 5);
      remove(v, '/p/f3');
      setAttrPath(v, '/p/f4', { uid: 2100 });
      xattrSetPath(v, '/p/f8', 'user.big', bytes(3000));
    });
    const ours = withVol(img, fileUsage);
    const script = [
      'mount -t f2fs /dev/vda /mnt',
      'for t in 0 1 2; do guest-util quota /dev/vda $t; done',
      'echo ---',
      'dd if=/dev/zero of=/mnt/p/linux bs=4096 count=7 status=none; chown 2001:301 /mnt/p/linux; rm /mnt/p/f9',
      'umount /mnt',
    ].join('\n');
    const r = await runInVm({ disks: [img], script, timeoutMs: 180_000 });
    assert.is(r.status, 0, r.output);
    const [before] = r.output.split('---');
    const kernel = before
      .split('\n')
      .filter((l) => /^\d \d+ \d+ \d+$/.test(l.trim()))
      .map((l) => {
        const [t, id, space, inodes] = l.trim().split(' ').map(Number);
        return { type: TYPES[t], id, space, inodes };
      });
    assert.equal(kernel, ours);
    assert.not.match(r.dmesg, /quota.*(error|fail)|Quota error/i);
    expectQuotaExact(img, 'Linux wrote more');
  });
}

test.run();
