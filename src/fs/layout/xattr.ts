// Extended attribute codecs: the 24-byte header and variable-length entries, plus namespace prefixes.
import { struct, type Of } from '../../util/struct.js';

export const XATTR_MAGIC = 0xf2f52011;

export const XattrHeader = struct('f2fs_xattr_header', [
  ['h_magic', 'u32'],
  ['h_refcount', 'u32'],
  ['h_reserved', { bytes: 16 }],
]);
export type XattrHeader = Of<typeof XattrHeader>;

/** Fixed part of an entry; the name then the value follow it, padded to 4 bytes. */
export const XattrEntryHead = struct('f2fs_xattr_entry', [
  ['e_name_index', 'u8'],
  ['e_name_len', 'u8'],
  ['e_value_size', 'u16'],
]);
export type XattrEntryHead = Of<typeof XattrEntryHead>;

/** IS_XATTR_LAST: the entry list ends at a zero word (or at the end of the area). */
export const isLastXattr = (buf: Buffer, off: number) => off + 4 > buf.length || buf.readUInt32LE(off) === 0;

export const xattrEntrySize = (nameLen: number, valueSize: number) => (XattrEntryHead.size + nameLen + valueSize + 3) & ~3;

/** F2FS_XATTR_INDEX_* (fs/f2fs/xattr.h). */
export const XattrIndex = { USER: 1, POSIX_ACL_ACCESS: 2, POSIX_ACL_DEFAULT: 3, TRUSTED: 4, LUSTRE: 5, SECURITY: 6, ADVISE: 7, ENCRYPTION: 9, VERITY: 11 } as const;

/** Name index → prefix shown to users (fs/f2fs/xattr.h). */
export const XATTR_PREFIXES: Record<number, string> = {
  [XattrIndex.USER]: 'user.',
  [XattrIndex.POSIX_ACL_ACCESS]: 'system.posix_acl_access',
  [XattrIndex.POSIX_ACL_DEFAULT]: 'system.posix_acl_default',
  [XattrIndex.TRUSTED]: 'trusted.',
  [XattrIndex.LUSTRE]: 'lustre.',
  [XattrIndex.SECURITY]: 'security.',
  [XattrIndex.ADVISE]: 'system.advise',
  [XattrIndex.ENCRYPTION]: 'encryption.',
  [XattrIndex.VERITY]: 'verity.',
};

/** f2fs_xattr_handlers, the names userspace may set: a prefix handler takes any non-empty suffix, the others their exact name. */
export const XATTR_HANDLERS: readonly { index: number; prefix: boolean }[] = [
  { index: XattrIndex.USER, prefix: true },
  { index: XattrIndex.POSIX_ACL_ACCESS, prefix: false },
  { index: XattrIndex.POSIX_ACL_DEFAULT, prefix: false },
  { index: XattrIndex.TRUSTED, prefix: true },
  { index: XattrIndex.ADVISE, prefix: false },
  { index: XattrIndex.SECURITY, prefix: true },
];

export function xattrFullName(index: number, name: Buffer): string {
  const prefix = XATTR_PREFIXES[index] ?? `index${index}.`;
  return prefix + name.toString('latin1');
}
