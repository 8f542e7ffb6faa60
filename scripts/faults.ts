// The fsck fault corpus (issue 11): one fault per case, injected with our own injection library into a small seed
// image, then judged by our fsck and by fsck.f2fs 1.15 --dry-run, repaired by our `fsck --fix` and by fsck.f2fs
// (-a, and -f -y) on copies, and each repair judged again by fsck.f2fs --dry-run. `--doc` writes the table in
// docs/fsck.md from the run; `--vm` also mounts every image our repair left clean under Linux (one VM boot).
//
//   npx tsx scripts/faults.ts [--only REGEX] [--doc] [--vm] [--work DIR]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDevice } from '../src/device/index.js';
import type { BlockDevice } from '../src/device/types.js';
import { clri, setCp, setDentry, setInode, setNode, setSsa, setSuper, setTableEntry, sitBit, zapBlock } from '../src/debugfs/inject.js';
import { walkChain } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { mkdir, symlink, link, writePath, xattrSetPath } from '../src/fs/ops.js';
import { createOrphan } from '../src/fs/namei.js';
import { writeFile } from '../src/fs/file.js';
import { BLOCKS_PER_SEG, CursegType } from '../src/fs/layout/constants.js';
import { blockArea } from '../src/fs/layout/dentry.js';
import { OrphanBlock } from '../src/fs/layout/checkpoint.js';
import { sitVblocks } from '../src/fs/layout/sit.js';
import { bitLsb } from '../src/util/struct.js';
import { IndirectNode, NODE_FOOTER_OFFSET, NodeFooter } from '../src/fs/layout/node.js';
import { inodeNid } from '../src/fs/inode.js';
import { fsckFix, fsckImage, type FsckFinding } from '../src/fsck/fsck.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FEATURES = 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found';
const TIMEOUT_MS = 30_000;

/** Deterministic bytes (xorshift32). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * The seed: mkfs.f2fs (inode checksums, sb crc, lost+found) populated by us: inline data and dentries, a file through
 * direct nodes and one through an indirect node, an xattr node, a hard link, a symlink, a multi-level directory, an
 * orphan in the checkpoint, then an fsynced file (a roll-forward chain after the checkpoint).
 */
export function makeSeed(img: string): void {
  fs.rmSync(img, { force: true });
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 64 << 20);
  const r = spawnSync('mkfs.f2fs', ['-q', '-f', '-r', '-T', '1700000000', '-U', '6f2a1c3e-1111-4222-8333-944455556666', '-O', FEATURES, img], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfs.f2fs: ${r.stderr}`);
  const vol = Volume.open(img, { readOnly: false });
  try {
    mkdir(vol, '/d');
    mkdir(vol, '/d/e');
    mkdir(vol, '/d/e/f');
    writePath(vol, '/d/small', Buffer.from('hello, f2fs\n'));
    writePath(vol, '/d/e/f/deep', bytes(5000, 1));
    writePath(vol, '/direct', bytes(1200 * 4096, 2));
    // One block past the inode's and its two direct nodes' slots: an indirect node with one direct node under it.
    writePath(vol, '/indirect', bytes(4096, 3), { offset: (923 + 2 * 1018 + 5) * 4096 });
    xattrSetPath(vol, '/d/small', 'user.big', Buffer.from(bytes(3000, 4).map((c) => 0x41 + (c % 26))));
    link(vol, '/d/small', '/hard');
    symlink(vol, '/d/small', '/d/link');
    mkdir(vol, '/many');
    for (let i = 0; i < 300; i++) writePath(vol, `/many/entry-with-a-longer-name-${i}`, Buffer.alloc(0));
    const orphan = createOrphan(vol, vol.sb.root_ino, 0o100644, Buffer.from('orphan'));
    writeFile(vol, orphan, 0, bytes(8192, 5));
    vol.finish('checkpoint');
    writePath(vol, '/fsynced', bytes(3 * 4096, 6));
    writePath(vol, '/d/fsynced', bytes(2 * 4096, 7));
    vol.finish('fsync');
  } finally {
    vol.close();
  }
}

/** What the cases name: inode numbers by path, node ids of the big files, the fsync chain, block addresses, field values. */
export interface SeedInfo {
  ino: Record<string, number>;
  /** The first direct node of /direct (i_nid[0]), the indirect node of /indirect (i_nid[2]) and its child. */
  directNid: number;
  directFlag: number;
  directBlocks: number;
  directInline: number;
  smallInline: number;
  indirectNid: number;
  indirectChild: number;
  chain: { nid: number; blkaddr: number }[];
  orphan: number;
  orphanBlk: number;
  orphanCountByte: number;
  /** A data block of /direct, its segment (not a current one) and vblocks values for it. */
  dataBlk: number;
  dataSeg: number;
  dataSegVblocks: { node: number; invalid: number; plusOne: number };
  /** A block of a free segment. */
  freeBlk: number;
  mainBlkaddr: number;
  validBlocks: number;
  /** /many's first dentry block, a used (non-dot) slot and a free slot in it. */
  dentryBlk: number;
  manySlot: number;
  freeSlot: number;
}

export function seedInfo(img: string): SeedInfo {
  const vol = Volume.open(img, { readOnly: true });
  try {
    const ino: Record<string, number> = {};
    for (const p of ['/', '/d', '/d/e', '/d/e/f', '/d/small', '/d/e/f/deep', '/direct', '/indirect', '/hard', '/d/link', '/many', '/lost+found'])
      ino[p] = vol.resolve(p).ino;
    const direct = vol.inode(ino['/direct']);
    const indirect = vol.inode(ino['/indirect']);
    const directNid = inodeNid(direct, 0);
    const indirectNid = inodeNid(indirect, 2);
    const dataBlk = vol.data.bmap(direct, 10).blkaddr;
    const dataSeg = vol.sm.segnoOf(dataBlk);
    const sit = vol.sm.getSit(dataSeg);
    const many = vol.inode(ino['/many']);
    const dentryBlk = vol.data.bmap(many, 0).blkaddr;
    const area = blockArea(vol.dev.readBlock(dentryBlk));
    const used = (i: number) => bitLsb.test(area.bitmap, i);
    const free = [...Array(area.slots).keys()].filter((i) => !used(i));
    const last = vol.sm.segBlkaddr(vol.geo.mainSegments - 1);
    if (vol.sm.getSit(vol.geo.mainSegments - 1).valid) throw new Error('seed: the last segment is not free');
    const orphanBlk = vol.cp.base + 1 + vol.sb.cp_payload;
    return {
      ino,
      directNid,
      directFlag: NodeFooter.decode(vol.nm.readNode(directNid).raw, NODE_FOOTER_OFFSET).flag,
      directBlocks: direct.inode.i_blocks,
      directInline: direct.inode.i_inline,
      smallInline: vol.inode(ino['/d/small']).inode.i_inline,
      indirectNid,
      indirectChild: IndirectNode.decode(vol.nm.readNode(indirectNid).raw).nid[0],
      chain: walkChain(vol).nodes.map((n) => ({ nid: n.nid, blkaddr: n.blkaddr })),
      orphan: vol.orphans()[0],
      orphanBlk,
      orphanCountByte: OrphanBlock.offsets.entry_count,
      dataBlk,
      dataSeg,
      dataSegVblocks: { node: sitVblocks(CursegType.HOT_NODE, sit.valid), invalid: sitVblocks(7, sit.valid), plusOne: sitVblocks(sit.type, sit.valid + 1) },
      freeBlk: last + 3,
      mainBlkaddr: vol.geo.mainBlkaddr,
      validBlocks: vol.cp.head.valid_block_count,
      dentryBlk,
      manySlot: [...Array(area.slots).keys()].find((i) => i >= 2 && used(i))!,
      freeSlot: free.length ? free[0] : area.slots - 1,
    };
  } finally {
    vol.close();
  }
}

export interface FaultCase {
  name: string;
  /** What was damaged, for the table. */
  what: string;
  inject: (dev: BlockDevice, s: SeedInfo) => void;
}

const node = (s: SeedInfo, p: string) => `<${s.ino[p]}>`;
/** Bit `bit` of byte `byte` of a block, as zapBlock --flip counts them (LSB first within a byte). */
const bitOf = (byte: number, bit: number) => byte * 8 + bit;

/** Makes the u32 at byte `at` of block `blk`, now `from`, read `to` by flipping the bits that differ (zapBlock --flip). */
function flipTo(dev: BlockDevice, blk: number, at: number, from: number, to: number): void {
  for (let bit = 0; bit < 32; bit++) if (((from ^ to) >>> bit) & 1) zapBlock(dev, blk, { flip: at * 8 + bit });
}

/** The corpus: one fault per case (issue 11's list). */
export const CASES: FaultCase[] = [
  // superblock
  { name: 'sb-magic-copy0', what: 'superblock copy 0 magic', inject: (d) => void setSuper(d, 'magic', '0', { copy: 0 }) },
  { name: 'sb-magic-both', what: 'magic of both superblock copies', inject: (d) => void setSuper(d, 'magic', '0') },
  { name: 'sb-log-blocksize', what: 'log_blocksize 13 in both copies', inject: (d) => void setSuper(d, 'log_blocksize', '13') },
  { name: 'sb-segment-count-main', what: 'segment_count_main 7 in both copies', inject: (d) => void setSuper(d, 'segment_count_main', '7') },
  { name: 'sb-main-blkaddr-copy1', what: 'main_blkaddr off by a segment in copy 1', inject: (d, s) => void setSuper(d, 'main_blkaddr', String(s.mainBlkaddr + BLOCKS_PER_SEG), { copy: 1 }) },
  { name: 'sb-crc-copy0', what: 'superblock copy 0 crc', inject: (d) => void setSuper(d, 'crc', '1', { copy: 0 }) },
  // checkpoint
  { name: 'cp-crc-current', what: 'crc of the checkpoint pack in use', inject: (d) => void setCp(d, 'free_segment_count', '1', { keepCrc: true }) },
  {
    name: 'cp-crc-both',
    what: 'crc of both checkpoint packs',
    inject: (d) => {
      setCp(d, 'free_segment_count', '1', { keepCrc: true, pack: 1 });
      setCp(d, 'free_segment_count', '1', { keepCrc: true, pack: 2 });
    },
  },
  { name: 'cp-valid-block-count', what: 'checkpoint valid_block_count + 1', inject: (d, s) => void setCp(d, 'valid_block_count', String(s.validBlocks + 1)) },
  // NAT
  { name: 'nat-ino', what: 'NAT entry of a file: ino of another inode', inject: (d, s) => void setTableEntry(d, 'nat', s.ino['/d/e/f/deep'], 'ino', String(s.ino['/direct'])) },
  { name: 'nat-direct-ino', what: 'NAT entry of a direct node: ino 0', inject: (d, s) => void setTableEntry(d, 'nat', s.directNid, 'ino', '0') },
  { name: 'nat-blkaddr-range', what: 'NAT entry of a file: block_addr outside the main area', inject: (d, s) => void setTableEntry(d, 'nat', s.ino['/d/e/f/deep'], 'block_addr', '0xfffff0') },
  { name: 'nat-blkaddr-free', what: 'NAT entry of a file: block_addr of a free block', inject: (d, s) => void setTableEntry(d, 'nat', s.ino['/d/e/f/deep'], 'block_addr', String(s.freeBlk)) },
  // SIT
  { name: 'sit-type-node', what: 'SIT type of a data segment says node', inject: (d, s) => void setTableEntry(d, 'sit', s.dataSeg, 'vblocks', String(s.dataSegVblocks.node)) },
  { name: 'sit-type-invalid', what: 'SIT type 7', inject: (d, s) => void setTableEntry(d, 'sit', s.dataSeg, 'vblocks', String(s.dataSegVblocks.invalid)) },
  { name: 'sit-vblocks', what: 'SIT vblocks + 1 (the map disagrees)', inject: (d, s) => void setTableEntry(d, 'sit', s.dataSeg, 'vblocks', String(s.dataSegVblocks.plusOne)) },
  { name: 'sit-map-clear', what: 'SIT valid bit of a used data block cleared (count kept in step)', inject: (d, s) => void sitBit(d, s.dataBlk, 'free') },
  { name: 'sit-map-set', what: 'SIT valid bit of a free block set (count kept in step)', inject: (d, s) => void sitBit(d, s.dataBlk + 400, 'set') },
  // SSA
  { name: 'ssa-nid', what: 'SSA entry of a data block: nid', inject: (d, s) => void setSsa(d, s.dataBlk, 'nid', '77') },
  { name: 'ssa-ofs', what: 'SSA entry of a data block: ofs_in_node', inject: (d, s) => void setSsa(d, s.dataBlk, 'ofs_in_node', '500') },
  { name: 'ssa-type', what: 'SSA footer of a data segment says node', inject: (d, s) => void setSsa(d, s.dataBlk, 'entry_type', '1') },
  // inodes
  { name: 'i-addr-range', what: 'i_addr[5] of a file outside the main area', inject: (d, s) => void setInode(d, node(s, '/direct'), 'i_addr[15]', '0xfffffff0') },
  { name: 'i-addr-shared', what: "i_addr[5] of a file names another file's block", inject: (d, s) => void setInode(d, node(s, '/d/e/f/deep'), 'i_addr[11]', String(s.dataBlk)) },
  { name: 'i-links-file', what: 'i_links of a hard-linked file 5 (2 entries)', inject: (d, s) => void setInode(d, node(s, '/d/small'), 'i_links', '5') },
  { name: 'i-links-dir', what: 'i_links of a directory 9', inject: (d, s) => void setInode(d, node(s, '/d/e'), 'i_links', '9') },
  { name: 'i-blocks', what: 'i_blocks of a file + 7', inject: (d, s) => void setInode(d, node(s, '/direct'), 'i_blocks', String(s.directBlocks + 7)) },
  { name: 'i-size-inline', what: 'i_size of an inline file past the inline area', inject: (d, s) => void setInode(d, node(s, '/d/small'), 'i_size', '8000') },
  { name: 'i-size-symlink', what: 'i_size of a symlink 0', inject: (d, s) => void setInode(d, node(s, '/d/link'), 'i_size', '0') },
  { name: 'i-inline-dentry-on-file', what: 'i_inline of a regular file with blocks gets INLINE_DENTRY', inject: (d, s) => void setInode(d, node(s, '/direct'), 'i_inline', String(s.directInline | 0x04)) },
  { name: 'i-inline-data-clear', what: 'i_inline of an inline file loses INLINE_DATA', inject: (d, s) => void setInode(d, node(s, '/d/small'), 'i_inline', String(s.smallInline & ~0x02)) },
  { name: 'i-extra-isize', what: 'i_extra_isize 3', inject: (d, s) => void setInode(d, node(s, '/d/e/f/deep'), 'i_extra_isize', '3') },
  { name: 'i-extra-isize-big', what: 'i_extra_isize 400', inject: (d, s) => void setInode(d, node(s, '/d/e/f/deep'), 'i_extra_isize', '400') },
  { name: 'i-checksum', what: 'i_inode_checksum of a file', inject: (d, s) => void setInode(d, node(s, '/d/e/f/deep'), 'i_inode_checksum', '0x12345678') },
  { name: 'clri-file', what: 'a file inode zeroed (clri)', inject: (d, s) => void clri(d, node(s, '/d/e/f/deep')) },
  // directories
  { name: 'dentry-hash', what: 'hash_code of an entry in a multi-level directory', inject: (d) => void setDentry(d, '/many', 'entry-with-a-longer-name-7', 'hash_code', '0x1234') },
  { name: 'dentry-hash-inline', what: 'hash_code of an inline entry', inject: (d) => void setDentry(d, '/d', 'small', 'hash_code', '0x1234') },
  { name: 'dentry-name-len-0', what: 'name_len 0', inject: (d) => void setDentry(d, '/many', 'entry-with-a-longer-name-9', 'name_len', '0') },
  { name: 'dentry-name-len-big', what: 'name_len 300', inject: (d) => void setDentry(d, '/d/e', 'f', 'name_len', '300') },
  { name: 'dentry-ino-free', what: 'entry naming an unallocated inode', inject: (d) => void setDentry(d, '/many', 'entry-with-a-longer-name-11', 'ino', '2000') },
  { name: 'dentry-file-type', what: 'file_type of an entry 9', inject: (d) => void setDentry(d, '/d', 'small', 'file_type', '9') },
  { name: 'dentry-bitmap-clear', what: 'bitmap bit of a used slot cleared (the entry vanishes)', inject: (d, s) => void zapBlock(d, s.dentryBlk, { flip: bitOf(0, s.manySlot) }) },
  { name: 'dentry-bitmap-set', what: 'bitmap bit of a free slot set', inject: (d, s) => void zapBlock(d, s.dentryBlk, { flip: bitOf(s.freeSlot >> 3, s.freeSlot & 7) }) },
  { name: 'dots-missing', what: "'.' and '..' of a dentry block cleared from the bitmap", inject: (d, s) => void zapBlock(d, s.dentryBlk, { flip: bitOf(0, 0) }) },
  { name: 'dotdot-wrong', what: "'..' names another directory", inject: (d, s) => void setDentry(d, '/d/e', '..', 'ino', String(s.ino['/many'])) },
  { name: 'dir-cycle', what: 'an entry names its grandparent directory', inject: (d, s) => void setDentry(d, '/d/e', 'f', 'ino', String(s.ino['/d'])) },
  { name: 'dir-to-root', what: 'an entry names the root', inject: (d, s) => void setDentry(d, '/d/e/f', 'deep', 'ino', String(s.ino['/'])) },
  // node trees
  { name: 'indirect-loop', what: 'an indirect node naming itself', inject: (d, s) => void setNode(d, s.indirectNid, 'nid[0]', String(s.indirectNid)) },
  { name: 'indirect-shared', what: "a file's i_nid naming another file's direct node", inject: (d, s) => void setInode(d, node(s, '/d/e/f/deep'), 'i_nid[0]', String(s.directNid)) },
  { name: 'direct-twice', what: 'i_nid[1] equal to i_nid[0]', inject: (d, s) => void setInode(d, node(s, '/direct'), 'i_nid[1]', String(s.directNid)) },
  { name: 'node-footer-ofs', what: 'footer offset of a direct node', inject: (d, s) => void setNode(d, s.directNid, 'flag', String(s.directFlag ^ (5 << 3))) },
  // roll-forward chain and orphans
  { name: 'fsync-loop', what: 'fsync chain: the last node points back at the first', inject: (d, s) => void setNode(d, s.chain.at(-1)!.nid, 'next_blkaddr', String(s.chain[0].blkaddr), { blkaddr: s.chain.at(-1)!.blkaddr }) },
  { name: 'orphan-links', what: 'orphan inode with i_links 1', inject: (d, s) => void setInode(d, `<${s.orphan}>`, 'i_links', '1') },
  { name: 'orphan-ino-range', what: 'orphan list entry out of range', inject: (d, s) => void zapBlock(d, s.orphanBlk, { flip: bitOf(2, 4) }) },
  { name: 'orphan-count', what: 'orphan block entry_count past the block', inject: (d, s) => void zapBlock(d, s.orphanBlk, { flip: bitOf(s.orphanCountByte + 1, 3) }) },
  { name: 'orphan-linked', what: 'an orphan entry naming a linked file', inject: (d, s) => flipTo(d, s.orphanBlk, 0, s.orphan, s.ino['/d/e/f/deep']) },
];

/** fsck.f2fs 1.15 --dry-run: clean when it exits 0 with no [Fail] or [ASSERT] line (as the test helpers judge it). */
export function realCheck(img: string): { clean: boolean; status: number; out: string } {
  const r = spawnSync('fsck.f2fs', ['--dry-run', img], { input: 'n\n', encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const status = r.status ?? -1;
  return { clean: status === 0 && !/\[Fail\]|\[ASSERT\]/.test(out), status, out };
}

/** fsck.f2fs repairing a copy with `args` (-a, or -f -y); whether --dry-run then finds it clean. */
function realRepair(img: string, args: string[]): { clean: boolean; status: number } {
  const r = spawnSync('fsck.f2fs', [...args, img], { input: 'y\n'.repeat(64), encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 << 20 });
  return { clean: realCheck(img).clean, status: r.status ?? -1 };
}

export interface CaseResult {
  name: string;
  what: string;
  /** Our verdict: clean, or the first error findings (code and message, which name the structure and index). */
  ours: { clean: boolean; findings: Pick<FsckFinding, 'code' | 'message'>[] };
  real: { clean: boolean; status: number; complaints: string[] };
  /** Our fsck --fix on a copy: what it says it fixed, and whether both fscks then find the copy clean. */
  ourFix: { clean: boolean; fixed: string[]; unfixed: string | null; error?: string; image: string };
  realFixA: { clean: boolean };
  realFixFY: { clean: boolean };
}

function copy(src: string, dst: string): string {
  fs.copyFileSync(src, dst);
  return dst;
}

/** Our fsck --fix, as the command runs it: a writable volume, then fsckFix. */
function ourRepair(img: string): CaseResult['ourFix'] {
  let fixed: string[] = [];
  let unfixed: string | null = null;
  let error: string | undefined;
  try {
    const vol = Volume.open(img, { readOnly: false });
    try {
      const r = fsckFix(vol);
      fixed = r.fixed;
      unfixed = r.unfixed;
    } finally {
      vol.close();
    }
  } catch (e) {
    error = (e as Error).message;
  }
  return { clean: realCheck(img).clean && fsckImage(img).ok, fixed, unfixed, error, image: img };
}

/** One case: the fault on a copy of the seed, both verdicts, and the three repairs each on its own copy. */
export function runCase(seed: string, info: SeedInfo, c: FaultCase, work: string): CaseResult {
  const img = path.join(work, `${c.name}.img`);
  copy(seed, img);
  const dev = openDevice(img, { readOnly: false, cacheMb: 0 });
  try {
    c.inject(dev, info);
  } finally {
    dev.close();
  }
  const ours = fsckImage(img);
  const real = realCheck(img);
  const complaints = real.out.split('\n').filter((l) => /\[Fail\]|\[ASSERT\]|Error|error|invalid|Invalid|Wrong|wrong|mismatch|not match/.test(l)).slice(0, 8);
  return {
    name: c.name,
    what: c.what,
    ours: { clean: ours.ok, findings: ours.findings.filter((f) => f.severity === 'error').slice(0, 6).map((f) => ({ code: f.code, message: f.message })) },
    real: { clean: real.clean, status: real.status, complaints },
    ourFix: ourRepair(copy(img, path.join(work, `${c.name}.ours.img`))),
    realFixA: realRepair(copy(img, path.join(work, `${c.name}.a.img`)), ['-a']),
    realFixFY: realRepair(copy(img, path.join(work, `${c.name}.fy.img`)), ['-f', '-y']),
  };
}

/** Builds the seed in `work` and runs the cases (all, or those whose name matches `only`). */
export function runCorpus(work: string, only?: RegExp): { seedClean: boolean; results: CaseResult[] } {
  fs.mkdirSync(work, { recursive: true });
  const seed = path.join(work, 'seed.img');
  makeSeed(seed);
  const seedClean = fsckImage(seed).ok && realCheck(seed).clean;
  const info = seedInfo(seed);
  const results = CASES.filter((c) => !only || only.test(c.name)).map((c) => runCase(seed, info, c, work));
  return { seedClean, results };
}

const main = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (main) {
  const argv = process.argv.slice(2);
  const opt = (k: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
  const work = opt('--work') ?? fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-faults-'));
  const only = opt('--only');
  const t0 = Date.now();
  const { seedClean, results } = runCorpus(work, only ? new RegExp(only) : undefined);
  if (!seedClean) console.log('the seed image is not clean');
  for (const r of results) {
    const v = (clean: boolean) => (clean ? 'clean' : 'DAMAGED');
    const agree = r.ours.clean === r.real.clean ? '' : '  <-- DISAGREE';
    console.log(`${r.name}: ours ${v(r.ours.clean)}, fsck.f2fs ${v(r.real.clean)}${agree}; fix: ours ${r.ourFix.clean ? 'ok' : 'no'}, -a ${r.realFixA.clean ? 'ok' : 'no'}, -f -y ${r.realFixFY.clean ? 'ok' : 'no'}`);
    if (argv.includes('-v')) {
      for (const f of r.ours.findings) console.log(`    ours: ${f.code}: ${f.message}`);
      for (const l of r.real.complaints) console.log(`    real: ${l}`);
      if (r.ourFix.error || r.ourFix.unfixed) console.log(`    fix: ${r.ourFix.error ?? r.ourFix.unfixed}`);
    }
  }
  console.log(`${results.length} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s; work directory ${work}`);
}
