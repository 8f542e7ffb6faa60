// fsck's tree phase: claiming nodes and data blocks from each inode down (NAT, footer, SSA and SIT checked on the way),
// and the per-inode checks (i_blocks, extent, inline data, symlinks, links).
import { COMPRESS_ADDR, MAX_INLINE_XATTR_SIZE_WORDS, MAX_NAME_LEN, NEW_ADDR, NULL_ADDR, SYMLINK_MAX, XATTR_NODE_OFFSET } from '../fs/layout/constants.js';
import { FileType, blockArea, fileTypeOfMode } from '../fs/layout/dentry.js';
import { FsFlag, I_ADDR_OFFSET, InlineFlag, Inode, InodeExtra, MAX_EXTRA_ISIZE, NODE_FOOTER_OFFSET, NodeFooter, footerOfs } from '../fs/layout/node.js';
import { extraIsize } from '../fs/mkfs.js';
import { isCasefolded } from '../fs/hash.js';
import { Feature } from '../fs/layout/superblock.js';
import { inlineArea } from '../fs/dir.js';
import { readInodeInfo, gcFailures, inodeAddr, inodeSize, inodeU64, type InodeInfo } from '../fs/inode.js';
import { type FsckCode } from './report.js';
import { NodePage, walkNodeTree } from '../fs/node.js';
import { FsckRun, errText, isBadData, type FileState, type NodeKind, type NodeRef, type Repair, type Where } from './state.js';
import { checkDentries, siphashNames } from './dentries.js';
import { addInodeUsage } from '../fs/quota.js';
import { checkComprBlocks, comprCount, comprSlot } from './compress.js';

const iInline = Inode.field('i_inline');

/** claim's node kind for a subtree of each depth. */
const SPAN_KINDS = ['direct', 'indirect', 'dind'] as const;

/** check_extent_info: the inode's largest extent must map exactly what the tree maps, or have len 0. */
export class ExtentCheck {
  private last = 0;
  unmatched = false;

  constructor(
    private readonly fofs: number,
    private readonly blk: number,
    private readonly len: number,
  ) {}

  /** Whether slots need to be shown at all (len 0: no extent). */
  get active(): boolean {
    return this.len !== 0 && !this.unmatched;
  }

  slot(blkaddr: number, pgofs: number): void {
    if (!this.len || this.unmatched) return;
    const hole = blkaddr === NULL_ADDR || blkaddr === NEW_ADDR;
    if (pgofs >= this.fofs && pgofs < this.fofs + this.len) {
      if (hole || blkaddr !== pgofs - this.fofs + this.blk) this.unmatched = true;
      else if (!this.last ? pgofs !== this.fofs : this.last + 1 !== blkaddr) this.unmatched = true;
      else this.last = blkaddr;
      return;
    }
    if (hole || blkaddr < this.blk || blkaddr >= this.blk + this.len) return;
    this.unmatched = true; // the extent's blocks appear at another file offset
  }

  /** End of the file (inline: any nonzero extent is wrong). */
  finish(inline: boolean): boolean {
    if (!this.len || this.unmatched) return !this.unmatched;
    if (inline || this.last !== this.blk + this.len - 1) this.unmatched = true;
    return !this.unmatched;
  }
}

/**
 * sanity_check_nid: the node `nid` as a `kind` node of inode `where.ino` at node offset `ofs`. On success it is
 * claimed: marked referenced, counted, taken out of the live NAT set. An inode claimed before comes back with
 * `again` (a further hard link); any other node claimed before is a duplicate.
 */
export function claim(r: FsckRun, nid: number, kind: NodeKind, where: Where & { ofs?: number }, drop?: Repair): NodeRef | null {
  const { ofs: wantOfs, ...w } = where;
  const wantIno = kind === 'inode' ? nid : w.ino;
  // A NAT entry whose ino alone is wrong, over a block whose footer is what this reference expects: fix the entry.
  const natFix = (blkaddr: number): Repair | undefined => {
    if (!r.vol.check.isValidBlkaddr(blkaddr, 'main')) return drop;
    const f = NodeFooter.view(r.vol.dev.readBlock(blkaddr), NODE_FOOTER_OFFSET);
    return f.nid === nid && f.ino === wantIno && wantIno !== undefined ? { kind: 'nat-ino', nid, ino: wantIno } : drop;
  };
  const at = { ...w, nid, ino: w.ino ?? (kind === 'inode' ? nid : undefined) };
  const what = kind === 'inode' ? `inode ${nid}` : `${kind} node ${nid} of inode ${w.ino}`;
  if (!r.vol.check.isValidIno(nid)) {
    r.add('NID_INVALID', `${what}: nid is out of range [3, ${r.maxNid})`, at);
    r.fix(drop);
    return null;
  }
  let ne;
  try {
    ne = r.vol.nm.getNat(nid);
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('NID_INVALID', `${what}: ${errText(e)}`, at);
    r.fix(drop);
    return null;
  }
  const blkaddr = ne.block_addr;
  if (blkaddr === NULL_ADDR || ne.ino === 0) {
    r.add('NODE_NOT_ALLOCATED', `${what} is not allocated in the NAT (ino ${ne.ino}, block ${blkaddr})`, at);
    r.fix(blkaddr === NULL_ADDR ? drop : natFix(blkaddr));
    return null;
  }
  if (blkaddr === NEW_ADDR || !r.vol.check.isValidBlkaddr(blkaddr, 'main')) {
    r.add('BLKADDR_INVALID', `${what}: NAT block address ${blkaddr} is outside the main area`, { ...at, blkaddr });
    r.fix(drop);
    return null;
  }
  let raw: Buffer;
  try {
    raw = r.vol.dev.readBlock(blkaddr);
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('CHECK_ABORTED', `${what}: ${errText(e)}`, { ...at, blkaddr });
    r.fix(drop);
    return null;
  }
  const footer = NodeFooter.view(raw, NODE_FOOTER_OFFSET);
  const fNid = footer.nid;
  const fIno = footer.ino;
  const ofs = footerOfs(footer.flag);
  const inSit = r.sitMap.test(r.idx(blkaddr));
  const claimed = r.mainMap.test(r.idx(blkaddr));
  const nodeAt = { ...at, blkaddr };
  let problem: [FsckCode, string] | null = null;
  let repair = drop;
  if (fNid !== nid) problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} has footer nid ${fNid}`];
  else if (fIno !== ne.ino) {
    problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} has footer ino ${fIno}, the NAT says ${ne.ino}`];
    repair = natFix(blkaddr);
  } else if (kind === 'inode' && fNid !== fIno) problem = ['NODE_TYPE_MISMATCH', `${what}: block ${blkaddr} is not an inode (footer ino ${fIno})`];
  else if (kind !== 'inode' && fNid === fIno) problem = ['NODE_TYPE_MISMATCH', `${what}: block ${blkaddr} is an inode`];
  else if (kind !== 'inode' && fIno !== w.ino) problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} belongs to inode ${fIno}`];
  else if (kind === 'xattr' && ofs !== XATTR_NODE_OFFSET) problem = ['NODE_TYPE_MISMATCH', `${what}: footer offset ${ofs} is not the xattr node offset`];
  if (problem) {
    r.add(problem[0], problem[1], nodeAt);
    r.fix(repair);
    if (!inSit && !claimed) r.add('BLOCK_NOT_IN_SIT', `${what}: NAT points at block ${blkaddr}, which is free in the SIT`, nodeAt);
    return null;
  }
  if (claimed) {
    if (kind === 'inode') return { nid, blkaddr, raw, version: ne.version, again: true };
    r.add('NODE_DUPLICATE', `${what} (block ${blkaddr}) is referenced more than once`, nodeAt);
    r.fix(drop);
    return null;
  }
  const expectOfs = kind === 'inode' ? 0 : wantOfs;
  if (expectOfs !== undefined && ofs !== expectOfs) {
    r.add('NODE_OFFSET_MISMATCH', `${what}: footer offset ${ofs}, its place in the tree gives ${expectOfs}`, nodeAt);
    r.fix({ kind: 'node-ofs', nid, ofs: expectOfs });
  }
  if (!inSit) r.add('BLOCK_NOT_IN_SIT', `${what}: block ${blkaddr} is not valid in the SIT`, nodeAt);
  r.checkSsa(blkaddr, true, nid, 0, 0, () => at);
  r.natLive.clear(nid);
  r.mark(blkaddr, true, () => at);
  r.validBlocks++;
  r.stats.nodes++;
  if (kind === 'inode') r.stats.inodes++;
  r.tick();
  return { nid, blkaddr, raw, version: ne.version, again: false };
}

/** fsck_chk_data_blk: one non-NULL data slot at file block `pgofs`, held by node `parent` slot `ofsInNode`. */
export function dataSlot(r: FsckRun, addr: number, parent: NodeRef, ofsInNode: number, pgofs: number, fs: FileState, slotOff: number): void {
  const where = (): Where => ({ ino: fs.ino, nid: parent.nid, path: fs.path, blkaddr: addr });
  if (addr === NEW_ADDR) {
    r.validBlocks++;
    fs.blocks++;
    r.stats.newAddrBlocks++;
    return;
  }
  if (addr === COMPRESS_ADDR || !r.vol.check.isValidBlkaddr(addr, 'main')) {
    const why = addr === COMPRESS_ADDR ? 'COMPRESS_ADDR without compression' : 'outside the main area';
    r.add('BLKADDR_INVALID', `inode ${fs.ino} block ${pgofs} (node ${parent.nid} slot ${ofsInNode}): address ${addr} is ${why}`, where());
    r.fix({ kind: 'data-slot', holder: parent.nid, off: slotOff });
    return;
  }
  const i = r.idx(addr);
  const dup = r.mainMap.test(i);
  if (dup) {
    // The block belongs to whoever reached it first (its SSA entry may name either): this slot lets go of it.
    r.add('DUPLICATE_BLOCK', `inode ${fs.ino} block ${pgofs}: data block ${addr} is referenced more than once`, where());
    r.fix({ kind: 'data-slot', holder: parent.nid, off: slotOff });
  } else r.checkSsa(addr, false, parent.nid, parent.version, ofsInNode, where);
  if (!r.sitMap.test(i)) r.add('BLOCK_NOT_IN_SIT', `inode ${fs.ino} block ${pgofs}: data block ${addr} is not valid in the SIT`, where());
  r.validBlocks++;
  fs.blocks++;
  r.stats.dataBlocks++;
  r.mark(addr, false, where);
  if (fs.dir && !dup) {
    const dir = fs.dir;
    r.guard('CHECK_ABORTED', `dentry block ${addr} of directory ${fs.ino}`, where(), () =>
      checkDentries(r, blockArea(r.vol.dev.readBlock(addr)), dir, pgofs, addr),
    );
  }
}

/** Walks the inode's slots and its node subtrees (every slot, holes too: the extent check needs them), claiming each node. */
export function walkTree(r: FsckRun, info: InodeInfo, self: NodeRef, fs: FileState): void {
  walkNodeTree<NodeRef>(
    info,
    self,
    0,
    Number.MAX_SAFE_INTEGER,
    {
      node: (nid, span, parent, ptr) => {
        const ref = claim(r, nid, SPAN_KINDS[span.depth], { ino: fs.ino, path: fs.path, ofs: span.ofs }, { kind: 'node-ptr', holder: parent.nid, off: ptr });
        if (ref) fs.blocks++;
        return ref;
      },
      slot: (bidx, a, holder, k, off) => {
        if (fs.ext.active) fs.ext.slot(a, bidx);
        if (fs.compr && comprSlot(r, fs.compr, fs, a, holder, k, bidx)) return;
        if (a !== NULL_ADDR) dataSlot(r, a, holder, k, bidx, fs, off);
      },
    },
    { holes: true },
  );
}

/**
 * fsck_chk_inode_blk for a claimed inode: `role` says how it was reached (fsck.f2fs's ftype). False when the inode is
 * beyond repair (no file type, or undecodable but for its extra size): --fix then drops what reached it.
 */
export function processInode(r: FsckRun, ref: NodeRef, role: 'dir' | 'file' | 'orphan' | 'quota', ctx: { path: string; parent?: number }): boolean {
  const ino = ref.nid;
  const path = ctx.path;
  const at = { ino, path };
  let info: InodeInfo;
  try {
    info = r.vol.inode(ino);
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('INODE_CORRUPT', `inode ${ino}: ${errText(e)}`, at);
    const isize = extraIsizeRepair(r, ref);
    if (isize === null) return false;
    r.fix({ kind: 'inode', ino, field: 'i_extra_isize', value: isize });
    return true;
  }
  let usable = true;
  r.guard('CHECK_ABORTED', `inode ${ino}`, at, () => {
    usable = checkInode(r, info, ref, role, ctx);
  });
  return usable;
}

/**
 * The i_extra_isize a damaged one should have been (when that alone is wrong): of the sizes F2FS writes (the kernel's
 * whole extra area, mkfs.f2fs's size for the features), the one under which most address slots name main-area blocks.
 */
function extraIsizeRepair(r: FsckRun, ref: NodeRef): number | null {
  const raw = ref.raw;
  if (!(iInline.get(raw) & InlineFlag.EXTRA_ATTR) || !(r.sb.feature & Feature.EXTRA_ATTR)) return null;
  const field = InodeExtra.field('i_extra_isize');
  const now = field.get(raw, I_ADDR_OFFSET);
  const scores = [MAX_EXTRA_ISIZE, extraIsize(r.sb.feature)].map((isize) => {
    const copy = Buffer.from(raw);
    field.set(copy, isize, I_ADDR_OFFSET);
    try {
      const info = readInodeInfo(new NodePage(ref.nid, ref.blkaddr, ref.nid, 0, copy), r.sb.feature, () => null);
      let valid = 0;
      for (let k = 0; k < info.addrsPerInode; k++) if (r.vol.check.isValidBlkaddr(inodeAddr(info, k), 'main')) valid++;
      return { isize, valid };
    } catch {
      return { isize, valid: -1 };
    }
  });
  const best = scores.reduce((a, b) => (b.valid > a.valid ? b : a));
  return best.valid < 0 || best.isize === now ? null : best.isize;
}

export function checkInode(r: FsckRun, info: InodeInfo, ref: NodeRef, role: 'dir' | 'file' | 'orphan' | 'quota', ctx: { path: string; parent?: number }): boolean {
  const ino = info.ino;
  const i = info.inode;
  const path = ctx.path;
  const at = { ino, path };
  const features = r.sb.feature;
  const ft = fileTypeOfMode(i.i_mode);
  if (ft === FileType.UNKNOWN) {
    r.add('INODE_MODE_INVALID', `inode ${ino} has mode 0${i.i_mode.toString(8)} of no known file type`, at);
    return false;
  }
  const hasExtra = (i.i_inline & InlineFlag.EXTRA_ATTR) !== 0;
  if (hasExtra && !(features & Feature.EXTRA_ATTR)) r.add('EXTRA_ATTR', `inode ${ino} has the EXTRA_ATTR flag but the feature is off`, at);
  if (hasExtra && features & Feature.FLEXIBLE_INLINE_XATTR && i.i_inline & InlineFlag.XATTR) {
    const w = info.inlineXattrWords;
    if (w === 0 || w > MAX_INLINE_XATTR_SIZE_WORDS) r.add('INLINE_XATTR_SIZE', `inode ${ino}: i_inline_xattr_size ${w} is outside 1..${MAX_INLINE_XATTR_SIZE_WORDS}`, at);
  }
  if (info.checksumOk === false) {
    r.add('INODE_CHECKSUM', `inode ${ino}: i_inode_checksum 0x${(info.extra?.i_inode_checksum ?? 0).toString(16)} does not match its contents`, at);
    r.fix({ kind: 'inode-rewrite', ino });
  }
  if (i.i_flags & FsFlag.CASEFOLD && (ft !== FileType.DIR || !(features & Feature.CASEFOLD)))
    r.add('CASEFOLD_FLAG', `inode ${ino}: casefold flag on ${ft !== FileType.DIR ? 'a non-directory' : 'an image without the casefold feature'}`, at);
  if (i.i_namelen > MAX_NAME_LEN) r.add('I_NAMELEN', `inode ${ino}: i_namelen ${i.i_namelen} exceeds ${MAX_NAME_LEN}`, at);

  // quota_add_inode_usage: every inode reached but the quota files.
  if (role !== 'quota') addInodeUsage(r.quotaUsage, info.page.raw);
  const fs: FileState = { ino, path, blocks: 1, dir: null, ext: new ExtentCheck(i.i_ext.fofs, i.i_ext.blk, i.i_ext.len) };
  const isDirRole = role === 'dir';
  if (isDirRole) {
    const casefolded = isCasefolded(r.sb, info);
    const encrypted = r.vol.crypto.isEncrypted(info);
    const siphash = casefolded && encrypted ? siphashNames(r, info, path) : null;
    fs.dir = { ino, pino: i.i_pino, parent: ctx.parent ?? ino, dirLevel: i.i_dir_level, path, links: 2, dots: 0, casefolded, encrypted, siphash };
  } else if (role === 'file') {
    if (ft === FileType.REG) r.stats.files++;
    else if (ft === FileType.SYMLINK) r.stats.symlinks++;
    else if (ft !== FileType.DIR) r.stats.specials++;
  }

  // xattr node (fsck_chk_xattr_blk), then the whole xattr area must parse
  let xattrOk = true;
  if (i.i_xattr_nid) {
    const x = claim(r, i.i_xattr_nid, 'xattr', { ino, path }, { kind: 'xattr-nid', ino });
    if (x) fs.blocks++;
    else xattrOk = false;
  }
  if (xattrOk) {
    try {
      r.vol.xattrs(info);
    } catch (e) {
      if (!isBadData(e)) throw e;
      r.add('XATTR_CORRUPT', `inode ${ino}: ${errText(e)}`, at);
    }
  }

  const special = ft === FileType.CHRDEV || ft === FileType.BLKDEV || ft === FileType.FIFO || ft === FileType.SOCK;
  let inline = false;
  if (special) {
    // device numbers live in the address slots: nothing to walk
  } else if (i.i_inline & InlineFlag.DATA) {
    inline = true;
    checkInlineData(r, info, at);
  } else if (i.i_inline & InlineFlag.DENTRY && ft === FileType.DIR) {
    inline = true;
    const reserved = inodeAddr(info, 0);
    if (reserved !== 0) r.add('INLINE_DENTRY', `inode ${ino}: inline dentry reserved slot holds ${reserved}`, at);
    if (fs.dir) {
      const dir = fs.dir;
      r.guard('CHECK_ABORTED', `inline dentries of directory ${ino}`, at, () => checkDentries(r, inlineArea(info), dir, null, info.page.blkaddr));
    }
  } else {
    if (i.i_inline & InlineFlag.DENTRY) {
      // The flag alone is wrong (the kernel reads such a file's slots as dentries): its tree is walked as it is.
      r.add('INLINE_DENTRY', `inode ${ino}: inline dentry flag on a non-directory`, at);
      r.fix({ kind: 'inode-flag', ino, set: 0, clear: InlineFlag.DENTRY });
    }
    fs.compr = comprCount(r, info);
    walkTree(r, info, ref, fs);
    if (fs.compr) checkComprBlocks(r, info, fs.compr);
  }

  if (!special && !fs.ext.finish(inline))
    r.add('EXTENT_MISMATCH', `inode ${ino}: extent [fofs ${i.i_ext.fofs}, blk ${i.i_ext.blk}, len ${i.i_ext.len}] does not match the block map`, at);
  if (i.i_blocks !== fs.blocks) {
    r.add('I_BLOCKS', `inode ${ino}: i_blocks is ${inodeU64(info, 'i_blocks')}, the tree holds ${fs.blocks}`, at);
    r.fix({ kind: 'inode', ino, field: 'i_blocks', value: fs.blocks });
  }

  if (fs.dir) {
    if (i.i_links !== fs.dir.links) {
      r.add('I_LINKS', `directory ${ino}: i_links is ${i.i_links}, expected ${fs.dir.links} (2 + subdirectories)`, at);
      r.fix({ kind: 'inode', ino, field: 'i_links', value: fs.dir.links });
    }
    if (fs.dir.dots < 2 && !(i.i_inline & InlineFlag.DOTS)) {
      r.add('DOTS_MISSING', `directory ${ino} has ${fs.dir.dots} of its '.' and '..' entries`, at);
      r.fix({ kind: 'inode-flag', ino, set: InlineFlag.DOTS, clear: 0 }); // as fsck.f2fs: the kernel then adds them on lookup
    }
  }
  if (role !== 'dir' && ft === FileType.REG && gcFailures(info))
    r.add('GC_FAILURES', `regular file ${ino} has i_gc_failures ${gcFailures(info)}`, at, 'warning');
  if (ft === FileType.SYMLINK) checkSymlink(r, info, at);
  if (role === 'orphan' && i.i_links !== 0) {
    r.add('ORPHAN_LINKS', `orphan inode ${ino} has i_links ${i.i_links}`, at);
    r.fix({ kind: 'orphan-drop', ino });
  }
  return true;
}

export function checkInlineData(r: FsckRun, info: InodeInfo, at: Where): void {
  const i = info.inode;
  const ino = info.ino;
  const reserved = inodeAddr(info, 0);
  if (reserved !== 0) r.add('INLINE_DATA', `inode ${ino}: inline data reserved slot holds ${reserved}`, at);
  if (i.i_size > info.maxInlineData) {
    r.add('INLINE_DATA', `inode ${ino}: inline i_size ${inodeSize(info)} exceeds ${info.maxInlineData}`, at);
    r.fix({ kind: 'inode', ino, field: 'i_size', value: info.maxInlineData });
  }
  if (!(i.i_inline & InlineFlag.DATA_EXIST)) {
    const area = info.page.raw.subarray(info.inlineDataOffset, info.inlineDataOffset + info.maxInlineData);
    if (area.some((b) => b !== 0)) r.add('INLINE_DATA', `inode ${ino}: inline area holds data but DATA_EXIST is clear`, at);
  }
}

export function checkSymlink(r: FsckRun, info: InodeInfo, at: Where): void {
  const i = info.inode;
  const size = i.i_size;
  if (size === 0 || size > SYMLINK_MAX) {
    r.add('SYMLINK_SIZE', `symlink ${info.ino}: i_size ${inodeSize(info)} is outside 1..${SYMLINK_MAX}`, at);
    // The target is NUL-terminated where it is stored: its length is the size the symlink had.
    r.guard('CHECK_ABORTED', `symlink ${info.ino}`, at, () => {
      const inline = (i.i_inline & InlineFlag.DATA) !== 0;
      const blk = inline ? NULL_ADDR : inodeAddr(info, 0);
      const stored = inline ? info.page.raw.subarray(info.inlineDataOffset, info.inlineDataOffset + info.maxInlineData) : r.vol.check.isValidBlkaddr(blk, 'main') ? r.vol.dev.readBlock(blk) : Buffer.alloc(0);
      const len = stored.indexOf(0);
      if (len > 0 && len <= SYMLINK_MAX) r.fix({ kind: 'inode', ino: info.ino, field: 'i_size', value: len });
    });
    return;
  }
  if (!(i.i_inline & InlineFlag.DATA) && inodeAddr(info, 0) === NULL_ADDR)
    r.add('SYMLINK_SIZE', `symlink ${info.ino}: i_size ${size} but no data block holds the target`, at);
}
