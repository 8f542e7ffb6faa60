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

/** Name index → prefix shown to users (fs/f2fs/xattr.h). */
export const XATTR_PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  5: 'lustre.',
  6: 'security.',
  7: 'system.advise',
  9: 'encryption.',
  11: 'verity.',
};

export function xattrFullName(index: number, name: Buffer): string {
  const prefix = XATTR_PREFIXES[index] ?? `index${index}.`;
  return prefix + name.toString('latin1');
}
