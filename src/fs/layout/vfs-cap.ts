// The security.capability xattr value: struct vfs_cap_data (include/uapi/linux/capability.h), revision 2 (64-bit
// permitted and inheritable sets) as Android's image builders write it; revision 3 (vfs_ns_cap_data) begins alike.
import { struct, type Of } from '../../util/struct.js';

export const VFS_CAP_REVISION_MASK = 0xff000000;
export const VFS_CAP_REVISION_2 = 0x02000000;
export const VFS_CAP_REVISION_3 = 0x03000000;
export const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

export const VfsCapData = struct('vfs_cap_data', [
  ['magic_etc', 'u32'],
  ['permitted_lo', 'u32'],
  ['inheritable_lo', 'u32'],
  ['permitted_hi', 'u32'],
  ['inheritable_hi', 'u32'],
] as const);
export type VfsCapData = Of<typeof VfsCapData>;

