import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { Superblock, superblockCrc, Feature } from '../src/fs/layout/superblock.js';
import { CheckpointHead, checkpointCrc } from '../src/fs/layout/checkpoint.js';
import { NatBlock } from '../src/fs/layout/nat.js';
import { SummaryBlock, NatJournal, SitJournal } from '../src/fs/layout/summary.js';
import { Inode, InodeExtra, inodeChecksum, inodeChecksumSeed, I_ADDR_OFFSET, isDnodeOfs } from '../src/fs/layout/node.js';
import { DentryBlock, inlineDentryGeometry } from '../src/fs/layout/dentry.js';
import { dentryHash } from '../src/fs/layout/hash.js';
import { f2fsCrc32 } from '../src/fs/layout/crc.js';
import { nodePath, startBidxOfNode } from '../src/fs/node.js';
import { ADDRS_PER_BLOCK } from '../src/fs/layout/constants.js';
import { Volume } from '../src/fs/volume.js';
import { EXTRA_FEATURES, mkfsImage } from './helpers/images.js';

const plain = mkfsImage('layout-plain.img', 64);
const extra = mkfsImage('layout-extra.img', 128, EXTRA_FEATURES);
const block = (img: string, blkaddr: number) => {
  const fd = fs.openSync(img, 'r');
  const b = Buffer.alloc(4096);
  fs.readSync(fd, b, 0, 4096, blkaddr * 4096);
  fs.closeSync(fd);
  return b;
};

test('struct sizes and offsets match the on-disk format', () => {
  assert.is(Superblock.size, 3072);
  assert.is(Superblock.offsets.feature, 2180);
  assert.is(Superblock.offsets.crc, 3068);
  assert.is(CheckpointHead.size, 192);
  assert.is(CheckpointHead.offsets.ckpt_flags, 132);
  assert.is(NatBlock.size, 4095);
  assert.is(SummaryBlock.size, 4096);
  assert.is(SummaryBlock.offsets.journal, 3584);
  assert.is(NatJournal.size, 507);
  assert.is(SitJournal.size, 507);
  assert.is(Inode.size, 4072);
  assert.is(Inode.offsets.i_addr, 360);
  assert.is(Inode.offsets.i_nid, 4052);
  assert.is(InodeExtra.size, 36);
  assert.is(DentryBlock.size, 4096);
  assert.is(DentryBlock.offsets.filename, 2384);
});

for (const [name, img] of [['default', plain], ['extra', extra]] as const) {
  test(`${name}: superblock, checkpoint, NAT, inode and dentry blocks round-trip byte for byte`, () => {
    const b0 = block(img, 0);
    const raw = b0.subarray(1024, 1024 + 3072);
    const sb = Superblock.decode(raw);
    assert.is(sb.magic, 0xf2f52010);
    assert.equal(Superblock.encode(sb), Buffer.from(raw));
    if (sb.feature & Feature.SB_CHKSUM) assert.is(superblockCrc(raw), sb.crc);
    else assert.is(sb.feature & Feature.SB_CHKSUM, 0);

    const cpb = block(img, sb.cp_blkaddr);
    const cp = CheckpointHead.decode(cpb);
    const reenc = Buffer.from(cpb);
    CheckpointHead.encode(cp, reenc);
    assert.equal(reenc, cpb);
    assert.is(checkpointCrc(cpb, cp.checksum_offset), cpb.readUInt32LE(cp.checksum_offset));

    const natb = block(img, sb.nat_blkaddr);
    const nat = NatBlock.decode(natb);
    assert.is(nat.entries[3].block_addr, sb.main_blkaddr, 'root inode at the first main block');
    assert.equal(NatBlock.encode(nat, Buffer.from(natb)), natb);

    const rootb = block(img, nat.entries[3].block_addr);
    const root = Inode.decode(rootb);
    assert.is(root.i_mode & 0o170000, 0o040000);
    assert.equal(Inode.encode(root, Buffer.from(rootb)), rootb);
    const extraWords = root.i_inline & 0x20 ? InodeExtra.decode(rootb, I_ADDR_OFFSET).i_extra_isize / 4 : 0;
    const dentb = block(img, root.i_addr[extraWords]);
    const dent = DentryBlock.decode(dentb);
    assert.is(dent.dentry[0].ino, 3);
    assert.is(dent.filename.subarray(8, 10).toString(), '..');
    assert.equal(DentryBlock.encode(dent), dentb);
  });
}

test('struct views read and write the buffer in place; u64n is exact below 2^53; a bytes field can be set from a view of itself', () => {
  const raw = Buffer.alloc(4096);
  const v = Inode.view(raw);
  v.i_size = 2 ** 53 - 1;
  v.i_blocks = 2 ** 32 + 5;
  assert.is(raw.readBigUInt64LE(Inode.offsets.i_size), 2n ** 53n - 1n);
  assert.is(raw.readBigUInt64LE(Inode.offsets.i_blocks), 2n ** 32n + 5n);
  assert.is(Inode.decode(raw).i_blocks, 2 ** 32 + 5);
  assert.throws(() => (v.i_size = -1), RangeError);
  assert.throws(() => (v.i_size = 1.5), RangeError);
  v.i_name = Buffer.from('abcdef');
  v.i_name = v.i_name.subarray(2, 4); // a view of the field itself: 'cd' then zeros
  assert.equal(raw.subarray(Inode.offsets.i_name, Inode.offsets.i_name + 3), Buffer.from('cd\0'));
  raw.writeUInt16LE(0o100644, Inode.offsets.i_mode);
  assert.is(v.i_mode, 0o100644); // live: no snapshot
  assert.is(JSON.parse(JSON.stringify(v)).i_mode, 0o100644); // toJSON decodes
  // The largest u64 values decode rounded up to 2^64 and re-encode as the largest (a crafted field round-trips).
  raw.writeBigUInt64LE(2n ** 64n - 2n, Inode.offsets.i_size);
  assert.is(v.i_size, 2 ** 64);
  v.i_size = v.i_size;
  assert.is(raw.readBigUInt64LE(Inode.offsets.i_size), 2n ** 64n - 1n);
  assert.throws(() => (v.i_size = 2 ** 64 + 4096), RangeError);
});

test('inode checksum matches what mkfs.f2fs wrote', () => {
  const sb = Superblock.decode(block(extra, 0), 1024);
  const vol = Volume.open(extra, { readOnly: true });
  const seed = inodeChecksumSeed(sb.uuid);
  let checked = 0;
  // lost+found (4) is only in the NAT journal: the volume's lookup finds it.
  for (const nid of [3, 4]) {
    const b = block(extra, vol.nm.getNat(nid).block_addr);
    assert.is(inodeChecksum(seed, b), b.readUInt32LE(368), `inode ${nid}`);
    const damaged = Buffer.from(b);
    damaged[20] ^= 1;
    assert.is.not(inodeChecksum(seed, damaged), b.readUInt32LE(368));
    checked++;
  }
  vol.close();
  assert.is(checked, 2);
});

test('crc32 identity and TEA hash vectors', () => {
  // Reflected CRC-32 with seed and no final xor: crc of "" is the seed itself.
  assert.is(f2fsCrc32(0xf2f52010, Buffer.alloc(0)), 0xf2f52010);
  assert.is((f2fsCrc32(0xffffffff, Buffer.from('123456789')) ^ 0xffffffff) >>> 0, 0xcbf43926);
  const vectors: [string, number][] = [
    ['lost+found', 0x2dbf9e80],
    ['a', 0x6d0ea4c1],
    ['hello.txt', 0x5107c3f3],
    ['0123456789abcdef', 0x5a0788b2],
    ['0123456789abcdefg', 0xfb1a23ec],
    ['x'.repeat(40), 0xb3f4bbfc],
    ['.', 0],
    ['..', 0],
  ];
  for (const [n, h] of vectors) assert.is(dentryHash(Buffer.from(n)), h, n);
});

test('inline dentry geometry', () => {
  assert.equal(inlineDentryGeometry(3488), { slots: 182, bitmapSize: 23, reserved: 7, dentryOffset: 30, filenameOffset: 30 + 182 * 11 });
  assert.is(inlineDentryGeometry(3452).slots, 180);
  assert.is(inlineDentryGeometry(3652).reserved, 18);
});

test('node paths and node offsets agree with start_bidx_of_node', () => {
  for (const A of [923, 873, 864]) {
    for (const bidx of [0, A - 1, A, A + 1017, A + 1018, A + 2036, A + 2036 + 1018 * 5 + 3, A + 2036 + 1018 * 1018, A + 2036 + 2 * 1018 * 1018 + 7, A + 2036 + 2 * 1018 * 1018 + 1018 * 1018 * 3 + 1018 * 7 + 5]) {
      const p = nodePath(bidx, { addrsPerInode: A, addrsPerBlock: ADDRS_PER_BLOCK });
      const dnodeOfs = p.noffset[p.level];
      assert.ok(isDnodeOfs(dnodeOfs), `ofs ${dnodeOfs} is a dnode`);
      assert.is(startBidxOfNode(dnodeOfs, { addrsPerInode: A, addrsPerBlock: ADDRS_PER_BLOCK }) + p.offset[p.level], bidx, `bidx ${bidx} with A=${A}`);
      for (let l = 1; l < p.level; l++) assert.not.ok(isDnodeOfs(p.noffset[l]), `ofs ${p.noffset[l]} is indirect`);
    }
  }
});

test.run();
