// fs-verity on-disk codecs (include/uapi/linux/fsverity.h, fs/f2fs/verity.c): the descriptor stored past EOF and
// the location xattr ("v", index 11) that points at it.
import { struct, bytes, type Of } from '../../util/struct.js';
import { XattrIndex } from './xattr.js';

/** F2FS_XATTR_INDEX_VERITY, F2FS_XATTR_NAME_VERITY, F2FS_VERIFY_VER. */
export const XATTR_INDEX_VERITY = XattrIndex.VERITY;
export const XATTR_NAME_VERITY = 'v';
export const F2FS_VERIFY_VER = 1;

export const FsverityDescriptorLocation = struct('fsverity_descriptor_location', [
  ['version', 'u32'],
  ['size', 'u32'],
  ['pos', 'u64n'],
]);
export type FsverityDescriptorLocation = Of<typeof FsverityDescriptorLocation>;

export const FsverityDescriptor = struct('fsverity_descriptor', [
  ['version', 'u8'],
  ['hash_algorithm', 'u8'],
  ['log_blocksize', 'u8'],
  ['salt_size', 'u8'],
  ['sig_size', 'u32'],
  ['data_size', 'u64n'],
  ['root_hash', bytes(64)],
  ['salt', bytes(32)],
  ['__reserved', bytes(144)],
]);
export type FsverityDescriptor = Of<typeof FsverityDescriptor>;

/** FS_VERITY_HASH_ALG_*: node's digest name and size. */
export const FSVERITY_HASH_ALGS: Record<number, { name: 'sha256' | 'sha512'; size: number }> = {
  1: { name: 'sha256', size: 32 },
  2: { name: 'sha512', size: 64 },
};

/** f2fs_verity_metadata_pos: the Merkle tree starts at i_size rounded up to 64K. */
export const verityMetadataPos = (iSize: number) => Math.ceil(iSize / 65536) * 65536;
