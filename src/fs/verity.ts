// fs-verity as f2fs stores it (fs/verity/, fs/f2fs/verity.c): the Merkle tree past EOF at i_size rounded up to 64K,
// the descriptor after it, found through the "v" xattr; the file digest that FS_IOC_MEASURE_VERITY reports.
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { Advise } from './layout/node.js';
import { F2FS_VERIFY_VER, FSVERITY_HASH_ALGS, FsverityDescriptor, FsverityDescriptorLocation, XATTR_INDEX_VERITY, XATTR_NAME_VERITY, verityMetadataPos } from './layout/verity.js';
import type { InodeInfo } from './inode.js';
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
