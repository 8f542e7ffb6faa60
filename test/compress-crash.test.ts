// Roll-forward recovery and compressed files, against Linux 6.1 (qemu). Linux never rolls a compressed file forward:
// its fsync takes a checkpoint (need_do_checkpoint: CP_COMPRESSED), and so does ours. Chains that do hold compressed
// clusters (written by tools without that rule, as f2fsdbg's fsync was) are replayed by Linux's do_recover_data, which
// knows no clusters: COMPRESS_ADDR slots are skipped, a truncated one takes a whole cluster off i_compr_blocks, and
// the slot counts stay those of f2fs_iget even when the compression flag went after the checkpoint. `recover` must
// leave the same slots, i_blocks, i_compr_blocks, flags and contents as Linux's mount, and Linux must then mount ours
// with nothing left to replay.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { tmpPath } from './helpers/images.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { Volume } from '../src/fs/volume.js';
import { setFlagsPath, truncatePath, writePath } from '../src/fs/ops.js';
import { fsyncFile } from '../src/fs/file.js';
import { writeback } from '../src/fs/data.js';
import { fsyncNodes } from '../src/fs/node.js';
import { recover } from '../src/fs/recovery.js';
import { walkTree } from '../src/debugfs/reverse.js';
import { isReg } from '../src/fs/inode.js';
import { FsFlag } from '../src/fs/layout/node.js';
import { noiseBytes, textBytes } from '../fixtures/make-compress.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const FEATURES = ['extra_attr,inode_checksum,flexible_inline_xattr,compression'];
const TEXT = textBytes(400_000);
// 16 KiB of text, 16 KiB of noise, ...: every other 4-block cluster compresses.
const MIXED = Buffer.concat(Array.from({ length: 8 }, (_, i) => (i % 2 ? noiseBytes(16384, i + 1) : textBytes(16384))));
// Past the first direct node's 1016 cluster-aligned slots: Linux's replay misses the last two slots of each.
const BIG = textBytes(2000 * 4096);

/** A checkpointed base made by our tools: a compressed file with compressed and plain clusters, an empty compressed file, a plain one. */
function baseImage(name: string): string {
  const p = tmpPath(name);
  fs.rmSync(p, { force: true });
  mkfsImage(p, { sizeBytes: 128 << 20, features: FEATURES, seed: 7, timestamp: 1700000000 });
  const v = Volume.open(p, { readOnly: false });
  v.compressOptions.extensions = ['txt'];
  writePath(v, '/c.txt', TEXT);
  writePath(v, '/m.txt', MIXED);
  writePath(v, '/e.txt', Buffer.alloc(0));
  writePath(v, '/p', TEXT.subarray(0, 50_000));
  v.finish('checkpoint');
  v.close();
  return p;
}

/** What f2fsdbg's fsync wrote before it took Linux's CP_COMPRESSED rule: the file's dnodes as a roll-forward chain. */
function chainFsync(v: Volume, p: string): void {
  const ino = v.resolve(p).ino;
  writeback(v, ino, { fsync: true });
  fsyncNodes(v, ino, false);
  v.dev.flush('fsync');
}

const ourScenarios: Record<string, (v: Volume) => void> = {
  // Our fsync of a compressed file is a checkpoint; a later plain fsync makes a chain beside it.
  'fsync-compressed': (v) => {
    writePath(v, '/n.txt', TEXT);
    writePath(v, '/c.txt', textBytes(30000), { offset: 100_000 });
    const r = fsyncFile(v, v.resolve('/n.txt').ino);
    assert.is(r.method, 'checkpoint', 'a compressed file is checkpointed');
    assert.is(r.reason, 'compressed file');
    writePath(v, '/n.txt', TEXT, { offset: 400_000 }); // lost
    writePath(v, '/p', TEXT.subarray(0, 9000), { append: true });
    fsyncFile(v, v.resolve('/p').ino);
    v.finish('none');
  },
  // The flag goes from the empty compressed file, which is then written plain and fsynced (a chain, even in Linux):
  // Linux replays it with the cluster-aligned slot counts its f2fs_iget saw.
  'flag-cleared-fsync': (v) => {
    setFlagsPath(v, '/e.txt', 0, FsFlag.COMPR);
    writePath(v, '/e.txt', BIG);
    const r = fsyncFile(v, v.resolve('/e.txt').ino);
    assert.is(r.method, 'nodes');
    v.finish('none');
  },
  // Chains holding clusters: rewritten compressed, made plain, appended.
  'chain-overwrite': (v) => {
    writePath(v, '/c.txt', textBytes(40000), { offset: 8192 });
    writePath(v, '/m.txt', noiseBytes(16384, 99), { offset: 0 });
    writePath(v, '/m.txt', textBytes(16384), { offset: 16384 });
    writePath(v, '/c.txt', TEXT, { append: true });
    chainFsync(v, '/c.txt');
    chainFsync(v, '/m.txt');
    v.finish('none');
  },
  // Whole compressed clusters truncated away: each COMPRESS_ADDR replayed as NULL takes a cluster off i_compr_blocks.
  'chain-truncate': (v) => {
    truncatePath(v, '/c.txt', 200_000);
    chainFsync(v, '/c.txt');
    v.finish('none');
  },
  // A new compressed file in the chain (its inode block marked DENT): f2fs_recover_inode_page keeps no compression
  // fields, so f2fs_iget refuses the inode (i_log_cluster_size 0) and Linux's recovery fails; recover fails the same way.
  'chain-new-file': (v) => {
    writePath(v, '/new.txt', TEXT);
    chainFsync(v, '/new.txt');
    v.finish('none');
  },
  // A compressed file first written into an empty compressed file after the checkpoint.
  'chain-fill-empty': (v) => {
    writePath(v, '/e.txt', MIXED);
    chainFsync(v, '/e.txt');
    v.finish('none');
  },
};

/** Linux-made power cuts: compressed files written and fsynced (checkpoints), a plain fsync for a chain, then more. */
const KERNEL_SCENARIOS: Record<string, string> = {
  'k-fsync-compressed':
    'cp /job/files/text /mnt/k.txt && f2fs_io fsync /mnt/k.txt && cat /job/files/text >> /mnt/k.txt && cat /job/files/text > /mnt/p && f2fs_io fsync /mnt/p',
  'k-overwrite-truncate':
    'dd if=/job/files/text of=/mnt/c.txt bs=4096 seek=5 count=7 conv=notrunc status=none && f2fs_io fsync /mnt/c.txt && truncate -s 10000 /mnt/c.txt && cat /job/files/text >> /mnt/p && f2fs_io fsync /mnt/p',
  'k-fill-empty': 'cp /job/files/mixed /mnt/e.txt && f2fs_io fsync /mnt/e.txt && dd if=/job/files/text of=/mnt/m.txt bs=4096 seek=2 count=2 conv=notrunc status=none',
};

/** The state recovery must agree on, per file: size, i_blocks, i_compr_blocks, flags, every data slot, the content. */
function fileStates(img: string): string[] {
  const v = Volume.open(img, { readOnly: true });
  const out: string[] = [];
  walkTree(v, (p, d) => {
    const i = v.inode(d.ino);
    if (!isReg(i.inode.i_mode)) return;
    const slots: string[] = [];
    v.data.walk(i, 0, 0xffffffff, (bidx, a) => slots.push(`${bidx}:${a.toString(16)}`));
    const sum = md5(v.data.read(i, 0, i.inode.i_size));
    out.push(`${p}|size ${i.inode.i_size}|blocks ${i.inode.i_blocks}|compr ${i.extra?.i_compr_blocks}|flags ${i.inode.i_flags.toString(16)}|${sum}|${slots.join(',')}`);
  });
  v.close();
  return out.sort();
}

const REFUSED = new Set(['chain-new-file']);

/** Linux's view after its recovery: path|size|512-byte blocks|get_cblocks|md5. */
const LIST = `cd /mnt && for p in $(find . -type f | sort); do
  echo "L|$p|$(stat -c '%s|%b' "$p")|$(f2fs_io get_cblocks "$p" 2>/dev/null | tr -d '\\n')|$(md5sum < "$p" | cut -d' ' -f1)"; done; cd /`;

function kernelSection(output: string, disk: number): string {
  return output.split(`@@disk ${disk}@@`)[1]?.split('@@end@@')[0] ?? '';
}

function ourLinuxView(img: string): string[] {
  const v = Volume.open(img, { readOnly: true });
  const out: string[] = [];
  walkTree(v, (p, d) => {
    const i = v.inode(d.ino);
    if (!isReg(i.inode.i_mode)) return;
    const sum = md5(v.data.read(i, 0, i.inode.i_size));
    const cblocks = i.compressedFile ? String(i.extra!.i_compr_blocks) : '';
    out.push(`L|.${p}|${i.inode.i_size}|${(i.inode.i_blocks - 1) * 8}|${cblocks}|${sum}`);
  });
  v.close();
  return out.sort();
}

const kernelView = (sect: string) => sect.split('\n').filter((l) => l.startsWith('L|')).sort();

const vm = vmAvailable();
const disks = 'abcdefghijklmnopqrstuvwxyz';

test('compressed files and roll-forward: recover leaves what Linux 6.1 mount-time recovery leaves (slots, i_blocks, i_compr_blocks, contents)', async () => {
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const knames = Object.keys(KERNEL_SCENARIOS);
  const onames = Object.keys(ourScenarios);
  const kcrash = knames.map((n) => baseImage(`cc-${n}.img`));
  // Boot 1: Linux runs its scenarios and cuts power.
  const script1 = knames
    .map((n, i) => `mkdir -p /m${i} && mount -t f2fs -o compress_extension=txt /dev/vd${disks[i]} /m${i} && mount --bind /m${i} /mnt && { ${KERNEL_SCENARIOS[n]}; } ; f2fs_io shutdown 2 /m${i} >/dev/null; umount /mnt`)
    .join('\n');
  const r1 = await runInVm({ disks: kcrash, script: script1, files: { text: TEXT, mixed: MIXED }, timeoutMs: 300000 });
  assert.not.match(r1.output, /Invalid argument|No such file|Operation not/, r1.output);
  const ocrash = onames.map((n) => {
    const p = baseImage(`cc-${n}.img`);
    const v = Volume.open(p, { readOnly: false });
    v.compressOptions.extensions = ['txt'];
    ourScenarios[n](v);
    v.close();
    return p;
  });
  const names = [...knames, ...onames];
  const crash = [...kcrash, ...ocrash];
  // Ours: recover copies; the crash images themselves are recovered by Linux in boot 2.
  const ours = crash.map((c, i) => {
    const p = tmpPath(`cc-ours-${names[i]}.img`);
    fs.copyFileSync(c, p);
    const v = Volume.open(p, { readOnly: false });
    try {
      if (REFUSED.has(names[i])) assert.throws(() => recover(v), /f2fs_iget refuses it/, `${names[i]}: recover must fail as Linux's mount does`);
      else recover(v);
    } finally {
      v.close();
    }
    return p;
  });
  const all = [...crash, ...ours];
  const script2 = all
    .map((_, i) => `echo @@disk ${i}@@; { mount -t f2fs /dev/vd${disks[i]} /mnt || echo MOUNT-FAILED; } && ${LIST}; umount /mnt; dmesg -c > /tmp/d; grep -c 'recover_inode\\|recover_data' /tmp/d | sed 's/^/R|/'; grep -o 'sanity_check_inode.*\\|Cannot recover.*' /tmp/d; echo @@end@@`)
    .join('\n');
  const r2 = await runInVm({ disks: all, script: `dmesg -c >/dev/null; ${script2}`, timeoutMs: 300000 });
  names.forEach((n, i) => {
    if (REFUSED.has(n)) {
      // Its recovery fails (EFSCORRUPTED); the mount is retried without roll-forward, so the file is gone.
      assert.match(kernelSection(r2.output, i), /sanity_check_inode: inode \(ino=\d+\) has unsupported log cluster size: 0[\s\S]*Cannot recover all fsync data errno=-117/);
      assert.not.match(kernelSection(r2.output, i), /new\.txt/);
      return;
    }
    const kernel = kernelView(kernelSection(r2.output, i));
    assert.ok(kernel.length >= 4, `${n}: kernel listing empty:\n${kernelSection(r2.output, i)}`);
    // The crash image now holds Linux's recovery: ours must match it slot for slot.
    assert.equal(fileStates(ours[i]), fileStates(crash[i]), `${n}: recover and Linux's recovery differ`);
    assert.equal(ourLinuxView(ours[i]), kernel, `${n}: our view of our recovery and Linux's view of its own differ`);
    const oursSect = kernelSection(r2.output, crash.length + i);
    assert.match(oursSect, /R\|0/, `${n}: Linux replayed something on our recovered image`);
    assert.equal(kernelView(oursSect), kernel, `${n}: Linux reads our recovered image differently`);
    if (n === 'flag-cleared-fsync') assert.not.ok(kernel.join('\n').includes(md5(BIG)), 'Linux lost the slots past the aligned counts');
  });
  console.log(`  compressed crash parity: ${names.length} scenarios, boots ${r1.ms} ms + ${r2.ms} ms`);
});

test.run();
