// fs-verity as f2fs stores it (fs/verity/, fs/f2fs/verity.c): the Merkle tree past EOF at i_size rounded up to 64K,
// the descriptor after it, found through the "v" xattr; the file digest that FS_IOC_MEASURE_VERITY reports.
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { Advise } from './layout/node.js';
import { BLKSIZE } from './layout/constants.js';
import { Feature } from './layout/superblock.js';
import { F2FS_VERIFY_VER, FSVERITY_HASH_ALGS, FsverityDescriptor, FsverityDescriptorLocation, XATTR_INDEX_VERITY, XATTR_NAME_VERITY, verityMetadataPos } from './layout/verity.js';
import { editInode, hasInlineData, isReg, type InodeInfo } from './inode.js';
import { convertInlineData } from './inline.js';
import { writePage } from './data.js';
import { blocksToWrite } from './file.js';
import { balanceFs } from './checkpoint.js';
import { balanceGc } from './gc.js';
import { sessionOf } from './atomic.js';
import { setXattr } from './xattr.js';
import type { Volume } from './volume.js';

/** FS_VERITY_MAX_DESCRIPTOR_SIZE (a descriptor with its builtin signature). */
const MAX_DESCRIPTOR_SIZE = 16384;
/** 6.1 only accepts Merkle tree blocks of PAGE_SIZE. */
const LOG_BLOCKSIZE = 12;

export interface VerityInfo {
  hashAlgorithm: string;
  blockSize: number;
  salt: string;
  rootHash: string;
  dataSize: number;
  /** "sha256:<hex>", as `fsverity digest` prints it. */
  digest: string;
  merkleTreePos: number;
  descriptorPos: number;
  descriptorSize: number;
  signatureSize: number;
}

export const isVerity = (info: InodeInfo) => (info.inode.i_advise & Advise.VERITY) !== 0;

/** f2fs_get_verity_descriptor + fsverity_create_info's checks: the descriptor and the file digest over it (sig_size 0). */
export function readVerity(vol: Volume, info: InodeInfo): VerityInfo {
  if (!isVerity(info)) fail('ENODATA', `inode ${info.ino} is not a verity file`);
  const x = vol.xattrs(info).find((e) => e.index === XATTR_INDEX_VERITY && e.rawName.toString('latin1') === XATTR_NAME_VERITY);
  if (!x || x.value.length !== FsverityDescriptorLocation.size) return fail('CORRUPT', `verity inode ${info.ino} has no valid descriptor location xattr`);
  const loc = FsverityDescriptorLocation.decode(x.value);
  const size = info.inode.i_size;
  const treePos = verityMetadataPos(size);
  if (loc.version !== F2FS_VERIFY_VER || loc.size < FsverityDescriptor.size || loc.size > MAX_DESCRIPTOR_SIZE || loc.pos < treePos || loc.pos > Number.MAX_SAFE_INTEGER - loc.size) {
    fail('CORRUPT', `verity inode ${info.ino}: bad descriptor location (version ${loc.version}, ${loc.size} bytes at ${loc.pos})`);
  }
  const raw = vol.data.readPastEof(info, loc.pos, loc.pos + loc.size);
  const d = FsverityDescriptor.decode(raw);
  const alg = FSVERITY_HASH_ALGS[d.hash_algorithm];
  if (d.version !== 1 || !alg || d.log_blocksize !== LOG_BLOCKSIZE || d.salt_size > d.salt.length || d.data_size !== size || d.__reserved.some((b) => b !== 0)) {
    fail('CORRUPT', `verity inode ${info.ino}: bad descriptor (version ${d.version}, hash ${d.hash_algorithm}, log_blocksize ${d.log_blocksize}, salt ${d.salt_size}, data_size ${d.data_size} of i_size ${size})`);
  }
  if (FsverityDescriptor.size + d.sig_size > loc.size) fail('CORRUPT', `verity inode ${info.ino}: signature of ${d.sig_size} bytes past the descriptor's ${loc.size}`);
  // fsverity_compute_file_digest: the hash of the fixed-size descriptor with sig_size zeroed.
  const unsigned = FsverityDescriptor.encode({ ...d, sig_size: 0 });
  return {
    hashAlgorithm: alg.name,
    blockSize: 1 << d.log_blocksize,
    salt: d.salt.subarray(0, d.salt_size).toString('hex'),
    rootHash: d.root_hash.subarray(0, alg.size).toString('hex'),
    dataSize: d.data_size,
    digest: `${alg.name}:${createHash(alg.name).update(unsigned).digest('hex')}`,
    merkleTreePos: treePos,
    descriptorPos: loc.pos,
    descriptorSize: loc.size,
    signatureSize: d.sig_size,
  };
}

/** fsverity_file_open / fsverity_prepare_setattr: a verity file is never opened for writing nor truncated. */
export function requireNotVerity(info: InodeInfo): void {
  if (isVerity(info)) fail('EPERM', `inode ${info.ino} is a verity file: its contents are read-only`);
}

/* ---- write side: FS_IOC_ENABLE_VERITY (fs/verity/enable.c, f2fs_begin/end_enable_verity) ---- */

const SHA256 = 1;
const MAX_SALT = 32;

/**
 * build_merkle_tree: level 0 hashes the data blocks (the last one zero-padded), each level above hashes the one below,
 * 128 SHA-256 hashes per 4 KiB block, until one block remains; every hash is over the salt zero-padded to the hash's
 * block size (64 bytes) and then the block. Returns the levels root-most first (their order on disk) and the root hash.
 */
export function merkleTree(read: (bidx: number, count: number) => Buffer, size: number, salt: Buffer): { levels: Buffer[]; rootHash: Buffer } {
  const paddedSalt = Buffer.alloc(Math.ceil(salt.length / 64) * 64);
  salt.copy(paddedSalt);
  const hash = (block: Buffer) => createHash('sha256').update(paddedSalt).update(block).digest();
  if (size === 0) return { levels: [], rootHash: Buffer.alloc(32) }; // an empty file's root hash is all zeros
  const perBlock = BLKSIZE / 32;
  const dataBlocks = Math.ceil(size / BLKSIZE);
  const levels: Buffer[] = [];
  let count = dataBlocks;
  // The hash of block i of the level below; first the data, read 256 blocks at a time (the last block zero-padded).
  const RUN = 256;
  let run = { first: -1, data: Buffer.alloc(0) };
  let below = (i: number): Buffer => {
    if (i < run.first || i >= run.first + run.data.length / BLKSIZE) {
      const n = Math.min(RUN, dataBlocks - i);
      run = { first: i, data: Buffer.concat([read(i, n)], n * BLKSIZE) };
    }
    const at = (i - run.first) * BLKSIZE;
    return hash(run.data.subarray(at, at + BLKSIZE));
  };
  while (count > 1) {
    const blocks = Math.ceil(count / perBlock);
    const level = Buffer.alloc(blocks * BLKSIZE);
    for (let i = 0; i < count; i++) below(i).copy(level, i * 32);
    levels.unshift(level);
    below = (i) => hash(level.subarray(i * BLKSIZE, (i + 1) * BLKSIZE));
    count = blocks;
  }
  return { levels, rootHash: below(0) };
}

/** FS_IOC_ENABLE_VERITY (SHA-256, 4 KiB blocks): the tree and descriptor past EOF, the "v" xattr, FADVISE_VERITY. */
export function enableVerity(vol: Volume, ino: number, salt: Buffer = Buffer.alloc(0)): VerityInfo {
  vol.requireWritable();
  if (!(vol.sb.feature & Feature.VERITY)) fail('UNSUPPORTED', 'the image has no verity feature (mkfs.f2fs -O verity)');
  if (salt.length > MAX_SALT) fail('EINVAL', `a salt of ${salt.length} bytes: at most ${MAX_SALT}`);
  balanceFs(vol);
  let info = vol.inode(ino);
  if (!isReg(info.inode.i_mode)) fail('EINVAL', `inode ${ino} is not a regular file`);
  if (isVerity(info)) fail('EEXIST', `inode ${ino} is already a verity file`);
  if (vol.crypto.isEncrypted(info)) fail('UNSUPPORTED', `inode ${ino} is encrypted: its Merkle tree would be ciphertext, which this tool does not write`);
  if (sessionOf(vol, ino)) fail('EBUSY', `inode ${ino} has an atomic write in progress`);
  const size = info.inode.i_size;
  const { levels, rootHash } = merkleTree((bidx, count) => vol.data.read(info, bidx * BLKSIZE, count * BLKSIZE), size, salt);
  const tree = Buffer.concat(levels);
  const treePos = verityMetadataPos(size);
  const desc = FsverityDescriptor.encode({
    version: 1,
    hash_algorithm: SHA256,
    log_blocksize: LOG_BLOCKSIZE,
    salt_size: salt.length,
    sig_size: 0,
    data_size: size,
    root_hash: Buffer.concat([rootHash], 64),
    salt: Buffer.concat([salt], MAX_SALT),
    __reserved: Buffer.alloc(144),
  });
  const descPos = treePos + tree.length;
  const end = descPos + BLKSIZE;
  vol.requireSpace(blocksToWrite(vol, info, treePos, end) + 1, `the Merkle tree of ${tree.length / BLKSIZE} blocks`);
  // f2fs_begin_enable_verity: inline data goes to a block first (the tree lies in blocks past it).
  if (hasInlineData(info)) {
    convertInlineData(vol, info);
    info = vol.inode(ino);
  }
  const pages = [...levels.flatMap((l) => Array.from({ length: l.length / BLKSIZE }, (_, i) => l.subarray(i * BLKSIZE, (i + 1) * BLKSIZE))), Buffer.concat([desc], BLKSIZE)];
  pages.forEach((page, k) => {
    if (balanceGc(vol)) info = vol.inode(ino);
    writePage(vol, info, treePos / BLKSIZE + k, Buffer.from(page));
  });
  setXattr(vol, ino, `verity.${XATTR_NAME_VERITY}`, FsverityDescriptorLocation.encode({ version: F2FS_VERIFY_VER, size: FsverityDescriptor.size, pos: descPos }), 'create');
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_advise |= Advise.VERITY;
  });
  return readVerity(vol, vol.inode(ino));
}
