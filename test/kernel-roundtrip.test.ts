// Linux round trip of images written by f2fsdbg (Linux 6.1 under qemu, see scripts/vm/README.md):
//
//   1. host: our mkfs (both feature sets) + our write path build a varied tree (the random generator with a fixed
//      seed under /gen, plus explicit cases: a 2,500-entry directory, a 5 MiB file, a sparse 9 GiB file, inline
//      files around the limits, short/long symlinks, hard links, inline and xattr-node xattrs, fifo/char/block
//      nodes, empty files and directories), checkpointed; both fscks pass and a fresh Volume equals the model.
//   2. boot 1 (all images attached): per image, mount, the kernel's listing (fixtures/guest/listing.sh) must equal the
//      model exactly; then Linux writes more (new files, appends, overwrites, truncates, deletes, renames, a new
//      1,500-entry directory, xattrs, links, nodes), umounts, and lists again read-only.
//   3. host: our Volume reads the kernel's result and equals the model updated with Linux's changes; both fscks pass.
//   4. host: our tools modify the kernel-written images again, checkpoint; both fscks, comparison.
//   5. boot 2: Linux mounts each image, its listing equals the model, it writes one more file and umounts;
//      host: comparison and both fscks once more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { Model, compareListing, compareVolume, parseKernelListing } from './helpers/model.js';
import { makeImage, scratchPath, type FeatureSet } from './helpers/scratch.js';
import { runInVm, shq, vmAvailable, type VmRunResult } from './helpers/vm.js';
import { Generator, Rng, Session, applyModel, dataBytes, describeOp, type Data, type Op } from './helpers/workload.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LISTING_SH = fs.readFileSync(path.join(HERE, '..', 'fixtures', 'guest', 'listing.sh'), 'utf8');
const GEN_SEED = 20240601;
const GEN_OPS = Number(process.env.ROUNDTRIP_GEN_OPS ?? 400);
const GiB = 2 ** 30;
const MiB = 2 ** 20;

interface Img {
  name: string;
  features: FeatureSet;
  path: string;
  dev: string;
  model: Model;
  /** Linux's changes of boot 1, as operations on the model (applied once its listing-before matched). */
  kernelOps: Op[];
}

const images: Img[] = [];
const timings: string[] = [];
let boot1: VmRunResult | undefined;

const vm = vmAvailable();

/* ---------------- step 1: the tree, written by our tools ---------------- */

/** Applies `o` to both sides and insists on success (explicit cases are all valid). */
function must(s: Session, o: Op): void {
  const r = s.apply(o);
  if (!r.ok) return assert.unreachable(`${describeOp(o)}: ${r.why}`);
  if (r.error) assert.unreachable(`${describeOp(o)}: unexpected ${r.error} on both sides`);
}

const d = (len: number, seed: number): Data => ({ len, seed });

function explicitCases(s: Session): void {
  // inline data around every MAX_INLINE_DATA candidate (the limit depends on the inode layout: extra area, inline
  // xattr area), so both sides of each are written
  must(s, { op: 'mkdir', path: '/inline' });
  for (const n of [0, 1, 100, 3000, 3451, 3452, 3453, 3487, 3488, 3489, 3663, 3664, 3665, 3687, 3688, 3689, 4095, 4096, 4097, 8193])
    must(s, { op: 'write', path: `/inline/s${n}`, data: d(n, 1000 + n) });
  must(s, { op: 'write', path: '/inline/grown', data: d(10, -1) });
  must(s, { op: 'truncate', path: '/inline/grown', size: 100_000 }); // inline converted, then a hole
  must(s, { op: 'write', path: '/inline/shrunk', data: d(9000, 7) });
  must(s, { op: 'truncate', path: '/inline/shrunk', size: 1234 });

  // a dense 5 MiB file: inode slots, both direct nodes
  must(s, { op: 'mkdir', path: '/big' });
  must(s, { op: 'write', path: '/big/five_mib', data: d(5 * MiB, 55) });
  must(s, { op: 'write', path: '/big/thirteen_mib_sparse', data: d(4096, 56), offset: 13 * MiB }); // first indirect node

  // sparse: blocks 0, 1000, 5000, 1500000, 2359296 (9 GiB, double indirect) and 1000 bytes of 2359297
  must(s, { op: 'mkdir', path: '/sparse' });
  for (const b of [0, 1000, 5000, 1500000, 2359296]) must(s, { op: 'write', path: '/sparse/sparse_9g', data: d(4096, 90 + b), offset: b * 4096 });
  must(s, { op: 'write', path: '/sparse/sparse_9g', data: d(1000, 99), offset: 2359297 * 4096 });
  must(s, { op: 'write', path: '/sparse/hole_4g', data: d(0, 1) });
  must(s, { op: 'truncate', path: '/sparse/hole_4g', size: 4 * GiB });

  // hard links and symlinks
  must(s, { op: 'mkdir', path: '/links' });
  must(s, { op: 'write', path: '/links/orig.txt', data: d(15, -2) });
  must(s, { op: 'link', target: '/links/orig.txt', path: '/links/hard1' });
  must(s, { op: 'link', target: '/links/orig.txt', path: '/inline/hard2' }); // nlink 3, across directories
  must(s, { op: 'symlink', target: 'orig.txt', path: '/links/short' });
  must(s, { op: 'symlink', target: '../big', path: '/links/dir_link' });
  must(s, { op: 'symlink', target: 'does/not/exist', path: '/links/dangling' });
  const longTarget = (n: number) => Array.from({ length: 1200 }, (_, i) => String(i + 1)).join('/').slice(0, n);
  must(s, { op: 'symlink', target: longTarget(1000), path: '/links/long1000' }); // inline
  must(s, { op: 'symlink', target: longTarget(4000), path: '/links/long4000' }); // > MAX_INLINE_DATA: a data block
  must(s, { op: 'symlink', target: longTarget(4095), path: '/links/long4095' });

  // xattrs: inline, the xattr node, spilling, on a directory
  must(s, { op: 'mkdir', path: '/xattr' });
  must(s, { op: 'write', path: '/xattr/small', data: d(13, -3) });
  must(s, { op: 'xattr', path: '/xattr/small', name: 'user.color', value: d(4, 11) });
  must(s, { op: 'xattr', path: '/xattr/small', name: 'user.empty', value: d(0, 1) });
  must(s, { op: 'xattr', path: '/xattr/small', name: 'trusted.num', value: d(5, -4) });
  must(s, { op: 'write', path: '/xattr/big', data: d(10, -5) });
  must(s, { op: 'xattr', path: '/xattr/big', name: 'user.big', value: d(2000, 12) });
  must(s, { op: 'write', path: '/xattr/many', data: d(12, -6) });
  for (let i = 0; i < 30; i++) must(s, { op: 'xattr', path: '/xattr/many', name: `user.k${String(i).padStart(2, '0')}`, value: d(8, 100 + i) });
  must(s, { op: 'xattr', path: '/xattr/many', name: 'user.k05', value: null });
  must(s, { op: 'xattr', path: '/xattr/many', name: 'user.k06', value: d(300, 77) }); // replaced, larger
  must(s, { op: 'mkdir', path: '/xattr/dir' });
  must(s, { op: 'xattr', path: '/xattr/dir', name: 'user.dir', value: d(3, -7) });
  must(s, { op: 'write', path: '/xattr/full', data: d(1, 1) });
  for (let i = 0; i < 4; i++) must(s, { op: 'xattr', path: '/xattr/full', name: `user.f${i}`, value: d(1000, 200 + i) });

  // special files, modes and owners
  must(s, { op: 'mkdir', path: '/special' });
  must(s, { op: 'mknod', path: '/special/fifo', type: 'fifo' });
  must(s, { op: 'mknod', path: '/special/chr', type: 'char', rdev: { major: 1, minor: 3 } });
  must(s, { op: 'mknod', path: '/special/blk', type: 'block', rdev: { major: 8, minor: 0 } });
  must(s, { op: 'mknod', path: '/special/bigdev', type: 'char', rdev: { major: 300, minor: 70000 } }); // new encoding
  must(s, { op: 'write', path: '/special/setuid', data: d(7, -8), mode: 0o4755 });
  must(s, { op: 'write', path: '/special/private', data: d(8, -9) });
  must(s, { op: 'chmod', path: '/special/private', mode: 0o600 });
  must(s, { op: 'mkdir', path: '/special/sticky', mode: 0o1777 });
  must(s, { op: 'write', path: '/special/owned', data: d(6, -10) });
  must(s, { op: 'chown', path: '/special/owned', uid: 1000, gid: 1000 });

  // empties and a UTF-8 name
  must(s, { op: 'mkdir', path: '/empty/empty_dir', parents: true });
  must(s, { op: 'write', path: '/empty/empty_file', data: d(0, 1) });
  must(s, { op: 'write', path: '/unicode-héllo-wörld-中文.txt', data: d(6, -11) });

  // a directory of 2,500 entries: several hash levels
  must(s, { op: 'mkdir', path: '/dirs/hashed2500', parents: true });
  for (let i = 0; i < 2500; i++) {
    const n = String(i).padStart(4, '0');
    must(s, { op: 'write', path: `/dirs/hashed2500/file-${n}`, data: d(i % 7 === 0 ? 0 : 5, -(i + 1)) });
  }
  // some deletions inside it (holes in the dentry blocks)
  for (let i = 0; i < 2500; i += 97) must(s, { op: 'rm', path: `/dirs/hashed2500/file-${String(i).padStart(4, '0')}` });
}

function build(features: FeatureSet, idx: number): Img {
  const name = `rt-${features}`;
  const p = makeImage(scratchPath(`${name}.img`), { mkfs: 'ours', features, seed: 77 + idx });
  const extra = features === 'extra';
  const s = new Session(p, new Model({ lostFound: extra, extraAttr: extra }));
  try {
    must(s, { op: 'mkdir', path: '/gen' });
    const gen = new Generator(s.model, GEN_SEED, { base: '/gen', maxSparse: 40 * MiB, budget: 24 * MiB, maxBig: 3 * MiB });
    for (let i = 0; i < GEN_OPS; i++) {
      const o = gen.next();
      const r = s.apply(o);
      if (!r.ok) assert.unreachable(`${name}: generator (seed ${GEN_SEED}) op ${i} ${describeOp(o)}: ${r.why}`);
      if (i === Math.floor(GEN_OPS / 2)) {
        const pr = s.checkpoint();
        gen.model = s.model;
        if (pr.length) assert.unreachable(`${name}: after a checkpoint at generator op ${i}:\n${pr.join('\n')}`);
      }
    }
    explicitCases(s);
    const pr = s.checkpoint();
    if (pr.length) assert.unreachable(`${name}: after the final checkpoint:\n${pr.join('\n')}`);
  } finally {
    s.close();
  }
  return { name, features, path: p, dev: `/dev/vd${String.fromCharCode(97 + idx)}`, model: s.model, kernelOps: [] };
}

/* ---------------- Linux's changes (boot 1): shell commands and the same operations for the model ---------------- */

const q = (p: string) => `"$M"${shq(p)}`;
const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

interface Changes {
  sh: string[];
  ops: Op[];
  files: Record<string, Buffer>;
}

function kernelChanges(img: Img): Changes {
  const m = img.model.clone(); // targets are chosen on a copy as the changes apply
  const rng = new Rng(0xbeef + img.name.length);
  const out: Changes = { sh: [], ops: [], files: {} };
  let fileNo = 0;
  const dataFile = (data: Data): string => {
    const n = `${img.name}/k${fileNo++}.bin`;
    out.files[n] = dataBytes(data);
    return `/job/files/${n}`;
  };
  const add = (sh: string, ...ops: Op[]) => {
    for (const o of ops) applyKernelOp(m, o);
    out.sh.push(sh);
    out.ops.push(...ops);
  };
  const entries = () => m.walk().filter(([p]) => isUnder(p, '/gen') && p !== '/gen');
  const files = () => entries().filter(([, n]) => n.kind === 'file' && n.size < 30 * MiB);
  const dirs = () => m.walk().filter(([p, n]) => n.isDir && isUnder(p, '/gen'));
  const pick = <T>(a: T[]) => rng.pick(a);
  const fresh = (dir: string) => `${dir === '/' ? '' : dir}/linux-${fileNo++}-${rng.int(0, 9999)}`;

  // new files of several sizes, in random generated directories
  for (const len of [0, 100, 3000, 5000, 200_000, 2_000_000]) {
    const p = fresh(pick(dirs())[0]);
    const data = d(len, 5000 + len);
    add(`cat ${dataFile(data)} > ${q(p)}`, { op: 'write', path: p, data });
  }
  // appends
  for (let i = 0; i < 4; i++) {
    const [p] = pick(files());
    const data = d(rng.int(1, 20_000), 6000 + i);
    add(`cat ${dataFile(data)} >> ${q(p)}`, { op: 'write', path: p, data, append: true });
  }
  // overwrites: block-aligned inside bigger files, and one unaligned small one
  for (let i = 0; i < 3; i++) {
    const big = files().filter(([, n]) => n.size > 3 * 4096);
    if (!big.length) break;
    const [p, n] = pick(big);
    const blk = rng.int(0, Math.floor(n.size / 4096) - 1);
    const data = d(rng.int(4096, 12288), 6100 + i);
    add(`dd if=${dataFile(data)} of=${q(p)} bs=4096 seek=${blk} conv=notrunc status=none`, { op: 'write', path: p, data, offset: blk * 4096 });
  }
  {
    const [p, n] = pick(files());
    const off = rng.int(0, n.size);
    const data = d(rng.int(1, 3000), 6200);
    add(`dd if=${dataFile(data)} of=${q(p)} bs=1 seek=${off} conv=notrunc status=none`, { op: 'write', path: p, data, offset: off });
  }
  // a block in the sparse 9 GiB file
  {
    const data = d(4096, 6300);
    add(`dd if=${dataFile(data)} of=${q('/sparse/sparse_9g')} bs=4096 seek=1500001 conv=notrunc status=none`, { op: 'write', path: '/sparse/sparse_9g', data, offset: 1500001 * 4096 });
  }
  // truncates: shrink unaligned, grow
  {
    const [p, n] = pick(files().filter(([, x]) => x.size > 10));
    const size = rng.int(1, n.size - 1);
    add(`truncate -s ${size} ${q(p)}`, { op: 'truncate', path: p, size });
    const [p2, n2] = pick(files());
    const size2 = n2.size + rng.int(1, 500_000);
    add(`truncate -s ${size2} ${q(p2)}`, { op: 'truncate', path: p2, size: size2 });
  }
  // deletes: files, a hard-linked name, a symlink, a whole generated directory
  for (let i = 0; i < 3; i++) {
    const [p] = pick(files());
    add(`rm ${q(p)}`, { op: 'rm', path: p });
  }
  add(`rm ${q('/links/hard1')}`, { op: 'rm', path: '/links/hard1' });
  add(`rm ${q('/links/dangling')}`, { op: 'rm', path: '/links/dangling' });
  {
    const sub = dirs().filter(([p]) => p !== '/gen');
    if (sub.length) {
      const [p] = pick(sub);
      add(`rm -r ${q(p)}`, { op: 'rm', path: p, recursive: true });
    }
  }
  // renames: within a directory, across directories, over an existing file, a directory to a new name
  {
    const [p] = pick(files());
    const dst = `${path.posix.dirname(p)}/renamed-${fileNo++}`;
    add(`mv ${q(p)} ${q(dst)}`, { op: 'mv', src: p, dst });
    const [p2] = pick(files());
    const dst2 = fresh(pick(dirs())[0]);
    add(`mv ${q(p2)} ${q(dst2)}`, { op: 'mv', src: p2, dst: dst2 });
    const fs2 = files();
    const [a] = pick(fs2);
    const over = fs2.filter(([x]) => x !== a);
    if (over.length) {
      const [b] = pick(over);
      add(`mv ${q(a)} ${q(b)}`, { op: 'mv', src: a, dst: b });
    }
    const sub = dirs().filter(([x]) => x !== '/gen');
    if (sub.length) {
      const [src] = pick(sub);
      const targets = dirs().filter(([x]) => !isUnder(x, src));
      const dst3 = fresh(pick(targets)[0]);
      add(`mv ${q(src)} ${q(dst3)}`, { op: 'mv', src, dst: dst3 });
    }
  }
  // a new large directory, written by the shell's echo
  {
    const ops: Op[] = [{ op: 'mkdir', path: '/kdir' }];
    for (let i = 0; i < 1500; i++) ops.push(textWrite(`/kdir/e${i}`, `k${i}\n`));
    add(`mkdir ${q('/kdir')}; i=0; while [ $i -lt 1500 ]; do echo "k$i" > "$M/kdir/e$i"; i=$((i + 1)); done`, ...ops);
  }
  // xattrs: small ones, a big one (xattr node), a removal, one on a directory
  for (let i = 0; i < 3; i++) {
    const [p] = pick(files());
    const v = d(rng.int(1, 40), 6400 + i);
    add(`xattr sethex ${q(p)} user.linux${i} ${dataBytes(v).toString('hex')}`, { op: 'xattr', path: p, name: `user.linux${i}`, value: v });
  }
  {
    const big = d(2000, 6500);
    add(`xattr sethex ${q('/xattr/small')} user.linuxbig ${dataBytes(big).toString('hex')}`, { op: 'xattr', path: '/xattr/small', name: 'user.linuxbig', value: big });
    add(`xattr rm ${q('/xattr/many')} user.k10`, { op: 'xattr', path: '/xattr/many', name: 'user.k10', value: null });
    add(`xattr set ${q('/xattr/dir')} user.fromlinux ''`, { op: 'xattr', path: '/xattr/dir', name: 'user.fromlinux', value: d(0, 1) });
  }
  // modes, links, nodes, a directory
  {
    const [p] = pick(files());
    add(`chmod 600 ${q(p)}`, { op: 'chmod', path: p, mode: 0o600 });
    const [p2] = pick(files());
    const l = fresh(pick(dirs())[0]);
    add(`ln ${q(p2)} ${q(l)}`, { op: 'link', target: p2, path: l });
    const s = fresh('/links');
    add(`ln -s ${shq('../big/five_mib')} ${q(s)}`, { op: 'symlink', target: '../big/five_mib', path: s });
    add(`mkfifo ${q('/special/fifo2')}`, { op: 'mknod', path: '/special/fifo2', type: 'fifo', mode: 0o644 });
    add(`mknod ${q('/special/null2')} c 1 3`, { op: 'mknod', path: '/special/null2', type: 'char', rdev: { major: 1, minor: 3 }, mode: 0o644 });
    add(`mkdir ${q('/linux_dir')}`, { op: 'mkdir', path: '/linux_dir' });
    add(`echo hello > ${q('/linux_dir/hello.txt')}`, textWrite('/linux_dir/hello.txt', 'hello\n'));
  }
  return out;
}

/** Writes whose content is text produced by the guest shell (not dataBytes): the bytes the model gets. */
const textOps = new Map<Op, Buffer>();
function textWrite(p: string, text: string): Op {
  const o: Op = { op: 'write', path: p, data: { len: Buffer.byteLength(text), seed: 0 } };
  textOps.set(o, Buffer.from(text));
  return o;
}
function applyKernelOp(m: Model, o: Op): void {
  const text = textOps.get(o);
  if (text && o.op === 'write') m.write(o.path, text);
  else applyModel(m, o);
}

/* ---------------- checks ---------------- */

function hostCheck(img: Img, what: string): void {
  const f = fsckBoth(img.path);
  if (f.problems.length) assert.unreachable(`${img.name} ${what}: fsck:\n${f.problems.join('\n')}`);
  const vol = Volume.open(img.path, { readOnly: true });
  try {
    const diffs = compareVolume(vol, img.model);
    if (diffs.length) assert.unreachable(`${img.name} ${what}: our Volume differs from the model:\n${diffs.join('\n')}`);
  } finally {
    vol.close();
  }
}

function f2fsKernelComplaints(dmesg: string): string[] {
  return dmesg.split('\n').filter((l) => /F2FS/.test(l) && /error|corrupt|inconsist|fsck|invalid|wrong|mismatch|fail/i.test(l));
}

function vmTiming(label: string, r: VmRunResult): void {
  const steps = r.output.split('\n').filter((l) => l.startsWith('TIMING '));
  const line = `${label}: qemu ${Math.round(r.ms)} ms total, job started after ${Math.round(r.bootMs)} ms (guest uptime ${r.guestBootMs} ms)`;
  timings.push(line, ...steps.map((s) => `  ${s}`));
  console.log(`\n  ${line}\n${steps.map((s) => `    ${s}`).join('\n')}`);
}

const up = '$(cut -d" " -f1 /proc/uptime)';

/* ---------------- the tests ---------------- */

if (!vm.ok) {
  test('kernel round trip: the Linux test VM can run here', () => assert.ok(vm.ok, `no test VM: ${vm.why}`));
} else {
  test('step 1: our mkfs and write path build both images; fsck (ours and fsck.f2fs) and our reader agree with the model', () => {
    const t0 = performance.now();
    (['default', 'extra'] as FeatureSet[]).forEach((f, i) => images.push(build(f, i)));
    console.log(`\n  built ${images.map((i) => `${i.name} (${i.model.walk().length} entries)`).join(', ')} in ${Math.round(performance.now() - t0)} ms`);
  });

  test('step 2 (boot 1): Linux lists each image exactly as the model, then writes more into it and umounts', async () => {
    assert.ok(images.length === 2, 'step 1 failed');
    const files: Record<string, string | Uint8Array> = { 'listing.sh': LISTING_SH };
    const parts: string[] = ['set -e', 'echo "KERNEL $(uname -r)"'];
    for (const img of images) {
      const ch = kernelChanges(img);
      img.kernelOps = ch.ops;
      Object.assign(files, ch.files);
      files[`${img.name}/changes.sh`] = `set -e\nM=$1\n${ch.sh.join('\n')}\n`;
      parts.push(
        `M=/mnt/${img.name}; mkdir -p $M`,
        `t0=${up}; mount -t f2fs ${img.dev} $M; t1=${up}`,
        `sh /job/files/listing.sh $M /tmp/out/${img.name}-before; t2=${up}`,
        `sh /job/files/${img.name}/changes.sh $M; t3=${up}`,
        `umount $M; t4=${up}`,
        `mount -t f2fs -o ro ${img.dev} $M; sh /job/files/listing.sh $M /tmp/out/${img.name}-after; umount $M; t5=${up}`,
        `echo "TIMING ${img.name} mount=$t0..$t1 listing=$t1..$t2 changes=$t2..$t3 umount=$t3..$t4 ro-listing=$t4..$t5"`,
      );
    }
    const r = (boot1 = await runInVm({ disks: images.map((i) => i.path), script: parts.join('\n'), files, outMb: 32, timeoutMs: 15 * 60_000 }));
    vmTiming('boot 1', r);
    if (r.status !== 0) assert.unreachable(`guest job failed (status ${r.status}):\n${r.output.slice(-4000)}\n--- dmesg ---\n${r.dmesg.slice(-3000)}`);
    const complaints = f2fsKernelComplaints(r.dmesg);
    assert.equal(complaints, [], `the kernel complained:\n${complaints.join('\n')}`);
    for (const img of images) {
      const before = compareListing(parseKernelListing(r.outFiles, `${img.name}-before`), img.model);
      if (before.length) assert.unreachable(`${img.name}: the kernel's listing of our image differs from the model:\n${before.join('\n')}`);
      for (const o of img.kernelOps) applyKernelOp(img.model, o);
      const after = compareListing(parseKernelListing(r.outFiles, `${img.name}-after`), img.model);
      if (after.length) assert.unreachable(`${img.name}: after Linux's changes, its own listing differs from the updated model (a test bug?):\n${after.join('\n')}`);
    }
  });

  test("step 3: our Volume reads Linux's result exactly; both fscks pass", () => {
    assert.ok(boot1, 'boot 1 failed');
    for (const img of images) hostCheck(img, "after Linux's writes");
  });

  test('step 4: our tools modify the kernel-written images again and checkpoint', () => {
    assert.ok(boot1, 'boot 1 failed');
    for (const img of images) {
      const s = new Session(img.path, img.model);
      try {
        const kfiles = [7, 8, 9, 10, 11, 12, 13];
        must(s, { op: 'write', path: '/kdir/e7', data: d(5000, 7001), append: true });
        for (const i of kfiles.slice(1, 5)) must(s, { op: 'rm', path: `/kdir/e${i}` });
        must(s, { op: 'mv', src: '/kdir/e12', dst: '/linux_dir/moved-by-host' });
        must(s, { op: 'xattr', path: '/kdir/e13', name: 'user.host', value: d(50, 7002) });
        must(s, { op: 'xattr', path: '/linux_dir/hello.txt', name: 'user.big', value: d(1500, 7003) });
        must(s, { op: 'write', path: '/linux_dir/hello.txt', data: d(100_000, 7004), offset: 3 });
        must(s, { op: 'mkdir', path: '/host2/a/b/c', parents: true });
        for (let i = 0; i < 300; i++) must(s, { op: 'write', path: `/host2/a/f${i}`, data: d(i * 37, 7100 + i) });
        must(s, { op: 'write', path: '/sparse/sparse_9g', data: d(4096, 7005), offset: 2000000 * 4096 });
        must(s, { op: 'rm', path: '/dirs/hashed2500/file-0001' });
        must(s, { op: 'write', path: '/dirs/hashed2500/new-from-host', data: d(10, 7006) });
        must(s, { op: 'xattr', path: '/xattr/small', name: 'user.linuxbig', value: null });
        const gen = new Generator(s.model, GEN_SEED + 1, { base: '/gen', maxSparse: 40 * MiB, budget: 24 * MiB, maxBig: 3 * MiB });
        for (let i = 0; i < 200; i++) {
          const o = gen.next();
          const r = s.apply(o);
          if (!r.ok) assert.unreachable(`${img.name}: generator (seed ${GEN_SEED + 1}) op ${i} ${describeOp(o)}: ${r.why}`);
        }
        const pr = s.checkpoint();
        if (pr.length) assert.unreachable(`${img.name}: after our checkpoint on the kernel-written image:\n${pr.join('\n')}`);
      } finally {
        s.close();
      }
      img.model = s.model;
    }
  });

  test('step 5 (boot 2): Linux mounts the images we modified, sees our changes, writes and umounts; we read it back', async () => {
    assert.ok(boot1, 'boot 1 failed');
    const parts: string[] = ['set -e'];
    for (const img of images) {
      parts.push(
        `M=/mnt/${img.name}; mkdir -p $M`,
        `t0=${up}; mount -t f2fs ${img.dev} $M; t1=${up}`,
        `sh /job/files/listing.sh $M /tmp/out/${img.name}-boot2; t2=${up}`,
        `echo second boot > $M/boot2.txt; rm -r $M/host2/a/b; mv $M/kdir/e20 $M/kdir/e20-renamed`,
        `umount $M; t3=${up}`,
        `echo "TIMING ${img.name} mount=$t0..$t1 listing=$t1..$t2 write+umount=$t2..$t3"`,
      );
    }
    const r = (await runInVm({ disks: images.map((i) => i.path), script: parts.join('\n'), files: { 'listing.sh': LISTING_SH }, outMb: 32, timeoutMs: 15 * 60_000 }));
    vmTiming('boot 2', r);
    if (r.status !== 0) assert.unreachable(`guest job failed (status ${r.status}):\n${r.output.slice(-4000)}\n--- dmesg ---\n${r.dmesg.slice(-3000)}`);
    const complaints = f2fsKernelComplaints(r.dmesg);
    assert.equal(complaints, [], `the kernel complained:\n${complaints.join('\n')}`);
    for (const img of images) {
      const diffs = compareListing(parseKernelListing(r.outFiles, `${img.name}-boot2`), img.model);
      if (diffs.length) assert.unreachable(`${img.name}: Linux's listing of the image we modified differs from the model:\n${diffs.join('\n')}`);
      img.model.write('/boot2.txt', Buffer.from('second boot\n'));
      img.model.remove('/host2/a/b', { recursive: true });
      img.model.move('/kdir/e20', '/kdir/e20-renamed');
      hostCheck(img, 'after the second boot');
    }
  });

  test('VM timing', () => {
    console.log(`\n  ${timings.join('\n  ')}`);
  });
}

test.run();
