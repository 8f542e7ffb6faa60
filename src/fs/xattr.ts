// Extended attributes: the inline xattr area followed by the xattr node, parsed into (index, name, value) entries.
import { during, fail } from '../errors.js';
import { NODE_BODY_SIZE, isXattrOfs } from './layout/node.js';
import { XATTR_MAGIC, XATTR_PREFIXES, XattrEntryHead, XattrHeader, isLastXattr, xattrEntrySize, xattrFullName } from './layout/xattr.js';
import { editInode, hasInlineXattr, isDir, now, setTimes, type InodeInfo } from './inode.js';
import { XATTR_NODE_OFFSET } from './layout/constants.js';
import { chargeInode } from './node.js';
import type { Volume } from './volume.js';
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
    while (!isLastXattr(buf, off)) {
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

/* ---- write side: f2fs_setxattr / removal, one buffer split over the inline area and the xattr node ---- */

const MAX_XATTR_NAME = 255;

/** Sets (value) or removes (null) an xattr, rewriting the whole list as the kernel does; ENOSPC when it no longer fits. */
export function setXattr(vol: Volume, ino: number, fullName: string, value: Buffer | null, mode: 'any' | 'create' | 'replace' = 'any'): void {
  vol.requireWritable();
  const info = vol.inode(ino);
  const { index, name } = parseXattrName(fullName);
  if (name.length > MAX_XATTR_NAME) fail('ENAMETOOLONG', `xattr name of ${name.length} bytes is too long`);
  const list = listXattrs(info, vol.nm);
  const at = list.findIndex((x) => x.index === index && x.rawName.equals(name));
  if (value === null) {
    if (at < 0) fail('ENODATA', `no xattr ${fullName}`);
  } else {
    if (mode === 'create' && at >= 0) fail('EEXIST', `xattr ${fullName} exists`);
    if (mode === 'replace' && at < 0) fail('ENODATA', `no xattr ${fullName}`);
  }
  if (at >= 0) list.splice(at, 1);
  if (value !== null) list.push({ index, name: fullName, rawName: name, value });

  const inlineSize = hasInlineXattr(info) ? info.inlineXattrWords * 4 : 0;
  const used = XattrHeader.size + list.reduce((n, x) => n + xattrEntrySize(x.rawName.length, x.value.length), 0) + 4;
  if (used > inlineSize + NODE_BODY_SIZE) fail('ENOSPC', `xattrs of inode ${ino} would need ${used} bytes; ${inlineSize + NODE_BODY_SIZE} fit`);
  const buf = Buffer.alloc(inlineSize + NODE_BODY_SIZE);
  if (list.length || at >= 0) XattrHeader.encode({ h_magic: XATTR_MAGIC, h_refcount: 1, h_reserved: Buffer.alloc(16) }, buf, 0);
  let off = XattrHeader.size;
  for (const x of list) {
    XattrEntryHead.encode({ e_name_index: x.index, e_name_len: x.rawName.length, e_value_size: x.value.length }, buf, off);
    x.rawName.copy(buf, off + XattrEntryHead.size);
    x.value.copy(buf, off + XattrEntryHead.size + x.rawName.length);
    off += xattrEntrySize(x.rawName.length, x.value.length);
  }
  const iraw = vol.nm.nodeForUpdate(ino);
  if (inlineSize) buf.copy(iraw, info.inlineXattrOffset, 0, inlineSize);
  let xnid = info.inode.i_xattr_nid;
  if (!xnid && used > inlineSize) {
    vol.reserveBlocks(1);
    xnid = vol.nm.allocNid();
    vol.nm.newNode(xnid, ino, XATTR_NODE_OFFSET, !isDir(info.inode.i_mode));
    vol.counts.nodes++;
    chargeInode(vol, ino, 1);
  }
  if (xnid) buf.copy(vol.nm.nodeForUpdate(xnid), 0, inlineSize, inlineSize + NODE_BODY_SIZE);
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_xattr_nid = xnid;
    setTimes(i, { c: now() });
  });
}
