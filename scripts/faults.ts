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
import { BLKSIZE, BLOCKS_PER_SEG, CursegType } from '../src/fs/layout/constants.js';
import { DentryBlock, blockArea } from '../src/fs/layout/dentry.js';
import { OrphanBlock } from '../src/fs/layout/checkpoint.js';
import { sitVblocks } from '../src/fs/layout/sit.js';
import { bitLsb } from '../src/util/struct.js';
import { IndirectNode, NODE_FOOTER_OFFSET, NodeFooter } from '../src/fs/layout/node.js';
import { inodeNid } from '../src/fs/inode.js';
import { fsckFix, fsckImage, type FsckFinding } from '../src/fsck/fsck.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FEATURES = 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found';
const TIMEOUT_MS = 30_000;

/** The names in /many (36 bytes: five dentry slots each). */
const many = (i: number) => `entry-${String(i).padStart(3, '0')}-with-a-name-of-forty-bytes`;

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
 * direct nodes and one through an indirect node, an xattr node, a hard link, a symlink, a multi-level directory (60 entries), an
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
    // 5-slot names: 42 fill the level-0 block, the rest go to level 1.
    for (let i = 0; i < 60; i++) writePath(vol, `/many/${many(i)}`, Buffer.alloc(0));
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
  /** /many's first dentry block and a used (non-dot) slot in it; /lost+found's dentry block (slots 2.. free). */
  dentryBlk: number;
  manySlot: number;
  lostFoundBlk: number;
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
      lostFoundBlk: vol.data.bmap(vol.inode(ino['/lost+found']), 0).blkaddr,
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
/** Where the slot bitmap of a dentry block and the ino array of an orphan block start. */
const BITMAP = DentryBlock.offsets.dentry_bitmap;
const ORPHAN_INO = OrphanBlock.offsets.ino;

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
  { name: 'sit-map-set', what: 'SIT valid bit of a block in a free segment set (count kept in step)', inject: (d, s) => void sitBit(d, s.freeBlk, 'set') },
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
  { name: 'dentry-hash', what: 'hash_code of an entry in a multi-level directory', inject: (d) => void setDentry(d, '/many', many(7), 'hash_code', '0x1234') },
  { name: 'dentry-hash-inline', what: 'hash_code of an inline entry', inject: (d) => void setDentry(d, '/d', 'small', 'hash_code', '0x1234') },
  { name: 'dentry-name-len-0', what: 'name_len 0', inject: (d) => void setDentry(d, '/many', many(9), 'name_len', '0') },
  { name: 'dentry-name-len-big', what: 'name_len 300', inject: (d) => void setDentry(d, '/d/e', 'f', 'name_len', '300') },
  { name: 'dentry-ino-free', what: 'entry naming an unallocated inode', inject: (d) => void setDentry(d, '/many', many(11), 'ino', '2000') },
  { name: 'dentry-file-type', what: 'file_type of an entry 9', inject: (d) => void setDentry(d, '/d', 'small', 'file_type', '9') },
  { name: 'dentry-bitmap-clear', what: 'bitmap bit of a used slot cleared (the entry vanishes)', inject: (d, s) => void zapBlock(d, s.dentryBlk, { flip: bitOf(BITMAP, s.manySlot) }) },
  { name: 'dentry-bitmap-set', what: 'bitmap bit of a free slot set (in /lost+found)', inject: (d, s) => void zapBlock(d, s.lostFoundBlk, { flip: bitOf(BITMAP, 5) }) },
  { name: 'dots-missing', what: "'.' and '..' of a dentry block cleared from the bitmap", inject: (d, s) => void zapBlock(d, s.dentryBlk, { flip: bitOf(BITMAP, 0) }) },
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
  { name: 'orphan-ino-range', what: 'orphan list entry out of range', inject: (d, s) => void zapBlock(d, s.orphanBlk, { flip: bitOf(ORPHAN_INO + 2, 4) }) },
  { name: 'orphan-count', what: 'orphan block entry_count past the block', inject: (d, s) => void zapBlock(d, s.orphanBlk, { flip: bitOf(s.orphanCountByte + 1, 3) }) },
  { name: 'orphan-linked', what: 'an orphan entry naming a linked file', inject: (d, s) => flipTo(d, s.orphanBlk, ORPHAN_INO, s.orphan, s.ino['/d/e/f/deep']) },
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
  ours: { clean: boolean; findings: Omit<FsckFinding, 'severity' | 'path'>[] };
  real: { clean: boolean; status: number; complaints: string[] };
  /** Our fsck --fix on a copy: what it says it fixed, and whether both fscks then find the copy clean. */
  ourFix: { clean: boolean; fixed: string[]; unfixed: string | null; error?: string; image: string };
  /** fsck.f2fs -a and -f -y on copies (null: not run). */
  realFixA: { clean: boolean } | null;
  realFixFY: { clean: boolean };
}

/** A sparse copy (the corpus keeps many 64 MiB images that are mostly holes, often in /dev/shm). */
function copy(src: string, dst: string): string {
  const r = spawnSync('cp', ['--sparse=always', src, dst], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp ${src} ${dst}: ${r.stderr}`);
  return dst;
}

/** Our fsck --fix, as the command runs it: a writable volume, then fsckFix. */
function ourRepair(img: string): CaseResult['ourFix'] {
  let fixed: string[] = [];
  let unfixed: string | null = null;
  let error: string | undefined;
  let ok = false;
  try {
    const vol = Volume.open(img, { readOnly: false });
    try {
      const r = fsckFix(vol);
      ({ fixed, unfixed, ok } = r); // `ok`: our check after the repair
    } finally {
      vol.close();
    }
  } catch (e) {
    error = (e as Error).message;
  }
  return { clean: ok && realCheck(img).clean, fixed, unfixed, error, image: img };
}

/** One case: the fault on a copy of the seed, both verdicts, and the three repairs each on its own copy. */
export function runCase(seed: string, info: SeedInfo, c: FaultCase, work: string, opts: { realA?: boolean } = {}): CaseResult {
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
  const result: CaseResult = {
    name: c.name,
    what: c.what,
    ours: { clean: ours.ok, findings: ours.findings.filter((f) => f.severity === 'error').slice(0, 6).map(({ severity: _s, path: _p, ...f }) => f) },
    real: { clean: real.clean, status: real.status, complaints },
    ourFix: ourRepair(copy(img, path.join(work, `${c.name}.ours.img`))),
    realFixA: opts.realA === false ? null : realRepair(copy(img, path.join(work, `${c.name}.a.img`)), ['-a']),
    realFixFY: realRepair(img, ['-f', '-y']), // the last use of the damaged image: repaired in place
  };
  // Only our repaired copy is kept (a VM may mount it); the others are spent.
  for (const x of ['', '.a']) fs.rmSync(path.join(work, `${c.name}${x}.img`), { force: true });
  return result;
}

/** Builds the seed in `work` and runs the cases (all, or those whose name matches `only`). */
export function makeCorpusSeed(work: string): { seed: string; info: SeedInfo; clean: boolean } {
  fs.mkdirSync(work, { recursive: true });
  const seed = path.join(work, 'seed.img');
  makeSeed(seed);
  return { seed, info: seedInfo(seed), clean: fsckImage(seed).ok && realCheck(seed).clean };
}

export function runCorpus(work: string, only?: RegExp): { seedClean: boolean; results: CaseResult[] } {
  const { seed, info, clean: seedClean } = makeCorpusSeed(work);
  const results = CASES.filter((c) => !only || only.test(c.name)).map((c) => runCase(seed, info, c, work));
  return { seedClean, results };
}

/**
 * Linux mounts each image (one VM boot): they are laid end to end on one disk and copied in turn onto a scratch disk,
 * mounted, every file read, unmounted. Returns the verdict per image name: 'ok' or what failed.
 */
export async function mountAll(images: { name: string; image: string }[], work: string): Promise<Map<string, string>> {
  const { runInVm } = await import('../test/helpers/vm.js');
  const size = fs.statSync(images[0].image).size;
  const mb = size >> 20;
  const all = path.join(work, 'vm-disks.img');
  fs.rmSync(all, { force: true });
  const fd = fs.openSync(all, 'w');
  const zero = Buffer.alloc(BLKSIZE);
  images.forEach((x, i) => {
    const data = fs.readFileSync(x.image);
    if (data.length !== size) throw new Error(`${x.image}: ${data.length} bytes, expected ${size}`);
    // Only the blocks in use: the disk stays sparse.
    for (let off = 0; off < size; off += BLKSIZE) {
      const b = data.subarray(off, off + BLKSIZE);
      if (!b.equals(zero)) fs.writeSync(fd, b, 0, BLKSIZE, i * size + off);
    }
  });
  fs.ftruncateSync(fd, images.length * size);
  fs.closeSync(fd);
  const scratch = path.join(work, 'vm-scratch.img');
  fs.writeFileSync(scratch, '');
  fs.truncateSync(scratch, size);
  const script = [
    'i=0',
    `for name in ${images.map((x) => x.name).join(' ')}; do`,
    `  dd if=/dev/vda of=/dev/vdb bs=1M skip=$((i*${mb})) count=${mb} 2>/dev/null`,
    '  if mount -t f2fs /dev/vdb /mnt 2>/tmp/err; then',
    '    if ls -lR /mnt >/dev/null 2>/tmp/err && find /mnt -type f -exec cat {} + >/dev/null 2>>/tmp/err; then r=ok; else r="read failed: $(head -c 200 /tmp/err)"; fi',
    '    umount /mnt || r="umount failed"',
    '  else r="mount failed: $(head -c 200 /tmp/err)"; fi',
    '  echo "@@ $name $r"',
    '  i=$((i+1))',
    'done',
  ].join('\n');
  const r = await runInVm({ disks: [all, scratch], script, timeoutMs: 600_000 });
  const out = new Map<string, string>();
  for (const line of r.output.split('\n')) {
    const m = /^@@ (\S+) (.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  for (const x of images) if (!out.has(x.name)) out.set(x.name, `no answer from the VM (status ${r.status}): ${r.output.slice(-300)}`);
  return out;
}

/** Why our verdict differs from fsck.f2fs 1.15's on a case (the cases that differ are found by the run). */
export const WHY_WE_DIFFER: Record<string, string> = {
  'sit-type-node':
    'fsck.f2fs only prints "[FIX] Wrong segment type" and exits 0. A data block in a segment the SIT calls a node segment misleads garbage collection and SSR allocation (the kernel reads its blocks as nodes), so we count it as damage.',
  'i-size-symlink':
    'fsck.f2fs 1.15 does not check a symlink\'s i_size. With i_size 0 the kernel\'s readlink returns an empty target (and f2fs_get_link refuses sizes of a block or more), so the link is unusable: we report it and --fix restores the size from the stored, NUL-terminated target.',
  'dentry-hash':
    'fsck.f2fs 1.15 rewrites a wrong hash_code in a dentry block only when fixing and does not fail --dry-run for it. The kernel\'s lookup compares the hash first, so such a name cannot be found: damage.',
  'node-footer-ofs':
    'fsck.f2fs 1.15 does not compare a direct node\'s footer offset with its place in the tree. Garbage collection computes a moved data block\'s file offset from that footer offset (start_bidx_of_node), so a wrong one moves data to the wrong place: damage.',
  'fsync-loop':
    'fsck.f2fs 1.15 does not walk the roll-forward chain. Linux (find_fsync_dnodes) detects the loop and fails the mount with EINVAL, so we report it; --fix writes a new checkpoint, which supersedes the chain.',
};

const yes = (b: boolean) => (b ? 'yes' : 'no');
const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/fsck.md: the table of a run, and the reasons for each difference in verdict. */
export function fsckDoc(results: CaseResult[], mounts: Map<string, string> | null, meta: { seconds: number; fsckVersion: string }): string {
  const rows = results.map((r) => {
    const f = r.ours.findings[0];
    const ours = r.ours.clean ? 'clean' : `damaged: ${f ? `\`${f.code}\` ${cell(f.message)}` : ''}`;
    const real = r.real.clean ? 'clean' : `damaged${r.real.complaints[0] ? `: ${cell(r.real.complaints[0].trim())}` : ''}`;
    const needed = !r.ours.clean || !r.real.clean;
    const ourFix = !needed ? '—' : r.ourFix.clean ? `yes: ${cell(r.ourFix.fixed.join('; '))}` : `no${r.ourFix.error || r.ourFix.unfixed ? `: ${cell(r.ourFix.error ?? r.ourFix.unfixed ?? '')}` : ''}`;
    const mount = !mounts ? 'not run' : mounts.get(r.name) ?? '—';
    return `| \`${r.name}\` | ${cell(r.what)} | ${ours} | ${real} | ${ourFix} | ${needed && r.realFixA ? yes(r.realFixA.clean) : '—'} | ${needed ? yes(r.realFixFY.clean) : '—'} | ${mount} |`;
  });
  const differ = results.filter((r) => r.ours.clean !== r.real.clean);
  const count = (p: (r: CaseResult) => boolean) => results.filter(p).length;
  return [
    '# fsck verdicts and repairs on the fault corpus',
    '',
    '<!-- Generated by `npx tsx scripts/faults.ts --doc --vm` from a real run: do not edit by hand. -->',
    '',
    `Each case injects one fault with our injection library (\`src/debugfs/inject.ts\`) into a copy of one seed image: mkfs.f2fs`,
    '(extra_attr, inode_checksum, flexible_inline_xattr, inode_crtime, sb_checksum, lost_found; 64 MiB) populated by us with',
    'inline data and dentries, a file through direct nodes and one through an indirect node, an xattr node, a hard link, a',
    'symlink, a 60-entry multi-level directory, an orphan and a roll-forward chain of two fsynced files. Then:',
    '',
    '- **ours**: `f2fsdbg fsck` (its first finding names the structure and the index);',
    `- **fsck.f2fs**: \`fsck.f2fs --dry-run\` (${meta.fsckVersion}); damaged when it exits non-zero or prints \`[Fail]\`/\`[ASSERT]\`;`,
    '- **our fix**: `f2fsdbg fsck --fix` on a copy; "yes" when both checkers then find the copy clean;',
    '- **-a**, **-f -y**: `fsck.f2fs -a` and `fsck.f2fs -f -y` on copies; "yes" when `fsck.f2fs --dry-run` then finds the copy clean',
    '  (`-a` only repairs when the checkpoint asks for fsck, which no injected fault does);',
    '- **Linux mounts our fix**: the repaired image in a Linux VM: mounted, every file read, unmounted.',
    '',
    `${results.length} cases; ${count((r) => r.ours.clean === r.real.clean)} with the same verdict from both checkers; fsck.f2fs -f -y repairs ${count((r) => !r.real.clean && r.realFixFY.clean)} of the ${count((r) => !r.real.clean)} it finds damaged, our --fix ${count((r) => !r.real.clean && r.ourFix.clean)}; run in ${meta.seconds} s.`,
    '',
    '| case | fault | ours | fsck.f2fs --dry-run | our fix | -a | -f -y | Linux mounts our fix |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Where the verdicts differ',
    '',
    ...(differ.length ? differ.map((r) => `- \`${r.name}\` (ours ${r.ours.clean ? 'clean' : 'damaged'}, fsck.f2fs ${r.real.clean ? 'clean' : 'damaged'}): ${WHY_WE_DIFFER[r.name] ?? 'no reason recorded: a bug to look at.'}`) : ['None.']),
    '',
    '## What `fsck --fix` does',
    '',
    'See `src/fsck/repair.ts`. The checker records, next to each finding, the repair of the structure and index it names',
    '(a dentry slot, a node or data pointer, an inode field, a NAT entry, an SSA entry). Each pass then rebuilds the NAT,',
    'SIT, SSA and checkpoint counts from the tree it checked, reconnects unreachable inodes in /lost+found (as `#ino`),',
    'applies the recorded repairs through the library (nodes and dentry pages go out through the normal write path) and',
    'writes a checkpoint; passes repeat until the check is clean. A pending roll-forward chain is superseded by the new',
    'checkpoint (run `recover` first to keep fsynced data). Damage to both superblocks or both checkpoint packs, or an',
    'orphan block that cannot be read, stops the mount and is not repaired (fsck.f2fs 1.15 does not repair those either).',
    '',
    '## Encrypted casefolded directories',
    '',
    "In a directory that is both encrypted (fscrypt) and casefolded, as Android's /data/media, Linux hashes each name with",
    "SipHash-2-4 of its casefolded plaintext under a key derived from the master key and the directory's nonce",
    '(f2fs_hash_filename, fscrypt_fname_siphash). fsck.f2fs 1.15 has no key and skips these hash_codes entirely: it',
    "neither reports nor fixes a wrong one (it still checks the entry's bucket against the stored hash). Our fsck checks",
    'them when the master key is given (`fsck --key FILE`: `DENTRY_HASH`, and the bucket from the hash it computes);',
    'without the key it checks the bucket against the stored hash, as fsck.f2fs does, and reports one',
    '`DENTRY_HASH_UNCHECKED` warning per such directory (warnings keep the image clean). Tested on the Linux-made',
    'fixtures/cryptcf image (test/cryptcf.test.ts).',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (k: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
  const work = opt('--work') ?? fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-faults-'));
  const only = opt('--only');
  const t0 = Date.now();
  const { seedClean, results } = runCorpus(work, only ? new RegExp(only) : undefined);
  const seconds = Math.round((Date.now() - t0) / 1000);
  if (!seedClean) console.log('the seed image is not clean');
  for (const r of results) {
    const v = (clean: boolean) => (clean ? 'clean' : 'DAMAGED');
    const agree = r.ours.clean === r.real.clean ? '' : '  <-- DISAGREE';
    console.log(`${r.name}: ours ${v(r.ours.clean)}, fsck.f2fs ${v(r.real.clean)}${agree}; fix: ours ${r.ourFix.clean ? 'ok' : 'no'}, -a ${r.realFixA?.clean ? 'ok' : 'no'}, -f -y ${r.realFixFY.clean ? 'ok' : 'no'}`);
    if (argv.includes('-v')) {
      for (const f of r.ours.findings) console.log(`    ours: ${f.code}: ${f.message}`);
      for (const l of r.real.complaints) console.log(`    real: ${l}`);
      if (r.ourFix.error || r.ourFix.unfixed) console.log(`    fix: ${r.ourFix.error ?? r.ourFix.unfixed}`);
    }
  }
  console.log(`${results.length} cases in ${seconds} s; work directory ${work}`);
  let mounts: Map<string, string> | null = null;
  if (argv.includes('--vm')) {
    const repaired = results.filter((r) => (!r.ours.clean || !r.real.clean) && r.ourFix.clean).map((r) => ({ name: r.name, image: r.ourFix.image }));
    mounts = await mountAll([{ name: 'seed', image: path.join(work, 'seed.img') }, ...repaired], work);
    for (const [name, v] of mounts) console.log(`linux: ${name}: ${v}`);
  }
  if (argv.includes('--doc')) {
    const version = spawnSync('fsck.f2fs', ['-V'], { encoding: 'utf8' });
    const fsckVersion = `${version.stdout ?? ''}${version.stderr ?? ''}`.trim().split('\n')[0] || 'fsck.f2fs';
    fs.writeFileSync(path.join(ROOT, 'docs/fsck.md'), fsckDoc(results, mounts, { seconds, fsckVersion }));
    console.log('wrote docs/fsck.md');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
