// Extended attributes: the inline xattr area followed by the xattr node, parsed into (index, name, value) entries.
import { during, fail } from '../errors.js';
import { NODE_BODY_SIZE, isXattrOfs } from './layout/node.js';
import { XATTR_MAGIC, XATTR_PREFIXES, XattrEntryHead, XattrHeader, xattrEntrySize, xattrFullName } from './layout/xattr.js';
import { hasInlineXattr, type InodeInfo } from './inode.js';
import type { NodeManager } from './node.js';

export interface Xattr {
  index: number;
  name: string; // full name with namespace prefix
  rawName: Buffer;
  value: Buffer;
}

/** read_all_xattrs: inline area then xattr node body, as one buffer (empty when the inode has neither). */
export function xattrBuffer(info: InodeInfo, nm: NodeManager): Buffer {
  const parts: Buffer[] = [];
  if (hasInlineXattr(info)) parts.push(info.page.raw.subarray(info.inlineXattrOffset, info.inlineXattrOffset + info.inlineXattrWords * 4));
  const xnid = info.inode.i_xattr_nid;
  if (xnid) {
    during(`while reading the xattr node ${xnid} of inode ${info.ino}`, () => {
      const page = nm.readNode(xnid, info.ino);
      if (!isXattrOfs(page.ofs)) fail('CORRUPT', `node ${xnid} is not an xattr node (offset ${page.ofs})`);
      parts.push(page.raw.subarray(0, NODE_BODY_SIZE));
    });
  }
  return Buffer.concat(parts);
}

export function listXattrs(info: InodeInfo, nm: NodeManager): Xattr[] {
  return during(`while reading xattrs of inode ${info.ino}`, () => {
    const buf = xattrBuffer(info, nm);
    if (buf.length < XattrHeader.size) return [];
    const header = XattrHeader.decode(buf);
    // A zero header means "no xattrs yet" (the kernel initialises it on first set).
    if (header.h_magic === 0) return [];
    if (header.h_magic !== XATTR_MAGIC) fail('CORRUPT', `bad xattr magic 0x${header.h_magic.toString(16)}`);
    const out: Xattr[] = [];
    let off = XattrHeader.size;
    while (off + 4 <= buf.length && buf.readUInt32LE(off) !== 0) {
      if (off + XattrEntryHead.size > buf.length) fail('CORRUPT', `xattr entry at ${off} runs past the xattr area`);
      const e = XattrEntryHead.decode(buf, off);
      const size = xattrEntrySize(e.e_name_len, e.e_value_size);
      if (off + size > buf.length) fail('CORRUPT', `xattr entry at ${off} (${size} bytes) runs past the xattr area of ${buf.length}`);
      const nameStart = off + XattrEntryHead.size;
      const rawName = Buffer.from(buf.subarray(nameStart, nameStart + e.e_name_len));
      const value = Buffer.from(buf.subarray(nameStart + e.e_name_len, nameStart + e.e_name_len + e.e_value_size));
      out.push({ index: e.e_name_index, name: xattrFullName(e.e_name_index, rawName), rawName, value });
      off += size;
    }
    return out;
  });
}

/** Splits "user.foo" into its name index and stored name. */
export function parseXattrName(full: string): { index: number; name: Buffer } {
  let best: [number, string] | null = null;
  for (const [idx, prefix] of Object.entries(XATTR_PREFIXES)) {
    if (full.startsWith(prefix) && (!best || prefix.length > best[1].length)) best = [Number(idx), prefix];
  }
  if (!best) return fail('EINVAL', `unsupported xattr namespace in "${full}" (use user., trusted., security. or system.posix_acl_*)`);
  return { index: best[0], name: Buffer.from(full.slice(best[1].length), 'latin1') };
}
