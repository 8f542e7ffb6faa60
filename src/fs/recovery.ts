// Mount-time recovery as Linux 6.1 does it: orphan inodes first, then roll-forward of fsync'd dnodes along the warm-node chain.
//
// What the chain after the last checkpoint (CP) can hold for one inode x, and what replay makes of it (the cases
// Linux's recovery.c lists). Marks: F = FSYNC on the node, D = DENT (the inode's dentry must be replayed too);
// "inode" is x's inode block, "dnode" a direct node (or the inode block carrying data slots).
//
//   | before CP | after CP, in chain order | replay                                                            |
//   |-----------|--------------------------|-------------------------------------------------------------------|
//   | inode     | inode, dnode(F)          | x exists: its latest inode and dnode are replayed                  |
//   | inode     | inode(F), dnode(F)       | likewise                                                           |
//   | inode     | dnode(F), inode          | replay stops at the last F node of x: the unmarked inode is dropped |
//   | inode     | dnode(F), inode(F)       | both replayed                                                      |
//   | -         | inode, dnode(F)          | x was never made durable (no D): its nodes are skipped             |
//   | -         | inode(DF), dnode(F)      | x is rebuilt from inode(DF) (recoverInodePage), its name re-linked |
//   | -         | dnode(F), inode(DF)      | the first pass finds inode(DF) later in the chain: as above        |
//   | -         | dnode(F), inode          | no inode(DF) anywhere: skipped ("no dentry mark")                  |
//
// Compressed files: Linux's fsync of one is a checkpoint (CP_COMPRESSED), so its own chains never hold clusters.
// Replay of chains that do (other writers) is do_recover_data's, which knows no clusters: a COMPRESS_ADDR slot is
// never copied, one replayed as NULL/NEW_ADDR takes a whole cluster off i_compr_blocks, and the slot counts are those
// f2fs_iget saw. A new compressed inode is refused by f2fs_iget (recovery keeps no compression fields): recovery fails.
//
// First pass (find_fsync_dnodes): walkChain, then one entry per inode with its last F node and last D inode block.
// Second pass (recover_data): each node of an entry, up to its last F node, replayed in chain order; then fresh
// segments for every log and a checkpoint, as the kernel's mount does.
import { during, fail } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, COMPRESS_ADDR, CursegType, MAX_NAME_LEN, NEW_ADDR, NULL_ADDR, XATTR_NODE_OFFSET } from './layout/constants.js';
import { INameHashTail } from './layout/crypto.js';
import { isCasefolded } from './hash.js';
import { addComprBlocks, igetCompressRefusal, isDataBlkaddr } from './compress.js';
import { CpFlag } from './layout/checkpoint.js';
import { fileTypeOfMode } from './layout/dentry.js';
import { Advise, I_ADDR_OFFSET, InlineFlag, Inode, InodeExtra, InodeHead, NODE_BODY_SIZE, NODE_FOOTER_OFFSET, NodeFlag, NodeFooter, footerOfs, isDnodeOfs, isXattrOfs, readSlot, slotOffset, writeSlot } from './layout/node.js';
import { Feature } from './layout/superblock.js';
import { writeCheckpoint } from './checkpoint.js';
import { addEntry } from './dir.js';
import { dropExtent } from './data.js';
import { editInode, hasInlineData, isDir, now, setTimes, slotCounts, type InodeInfo } from './inode.js';
import { chargeInode, footerCpVer, freeSlot, getDnode, reserveSlot, truncateBlocks } from './node.js';
import { dropName, freeInode } from './namei.js';
import { startBidxOfNode } from './node.js';
import { ownerOf } from './segment.js';
import { OverlayDevice } from '../device/index.js';
import { Volume } from './volume.js';

export interface ChainNode {
  blkaddr: number;
  nid: number;
  ino: number;
  ofs: number;
  kind: 'inode' | 'direct' | 'indirect' | 'xattr';
  fsync: boolean;
  dent: boolean;
  next: number;
}

export interface Chain {
  start: number;
  nodes: ChainNode[];
  /** Why the walk ended: the first block that is not a recoverable node, or an error. */
  end: { blkaddr: number; why: string };
  looped: boolean;
}

/** is_recoverable_dnode: the footer carries this checkpoint's version (and crc, with CRC_RECOVERY). */
function recoverable(vol: Volume, cpVer: bigint): boolean {
  const flags = vol.cp.head.ckpt_flags;
  if (flags & CpFlag.NOCRC_RECOVERY) return (vol.cp.head.checkpoint_ver & 0xffffffffn) === (cpVer & 0xffffffffn);
  return footerCpVer(vol.cp) === cpVer;
}

/** Walks the warm-node log from its next free block through next_blkaddr links while nodes are recoverable (find_fsync_dnodes). */
export function walkChain(vol: Volume, onNode?: (count: number) => void): Chain {
  const c = vol.sm.cursegs[CursegType.WARM_NODE];
  const start = vol.sm.segBlkaddr(c.segno) + c.blkoff;
  const freeBlocks = vol.geo.mainSegments * BLOCKS_PER_SEG - vol.cp.head.valid_block_count;
  const nodes: ChainNode[] = [];
  let blkaddr = start;
  for (;;) {
    if (!vol.check.isValidBlkaddr(blkaddr, 'main')) return { start, nodes, end: { blkaddr, why: 'address outside the main area' }, looped: false };
    const f = NodeFooter.decode(vol.dev.readBlock(blkaddr), NODE_FOOTER_OFFSET);
    if (!recoverable(vol, f.cp_ver)) return { start, nodes, end: { blkaddr, why: 'not a node of this checkpoint' }, looped: false };
    const ofs = footerOfs(f.flag);
    const kind = f.nid === f.ino && ofs === 0 ? 'inode' : isXattrOfs(ofs) ? 'xattr' : isDnodeOfs(ofs) ? 'direct' : 'indirect';
    nodes.push({ blkaddr, nid: f.nid, ino: f.ino, ofs, kind, fsync: (f.flag & NodeFlag.FSYNC) !== 0, dent: (f.flag & NodeFlag.DENT) !== 0, next: f.next_blkaddr });
    onNode?.(nodes.length);
    blkaddr = f.next_blkaddr;
    // Floyd's cycle check, as fsck.f2fs does: the chain so far is x0..x(n-1), the next node xn; a loop makes
    // x(n) == x(n/2) for some even n within twice its length. The free-block bound stays for the memory it caps.
    const n = nodes.length;
    if ((n % 2 === 0 && nodes[n / 2].blkaddr === blkaddr) || n >= freeBlocks) return loopedChain(start, nodes, blkaddr);
  }
}

/** A looped chain, cut where it first comes back (the kernel would replay each node once, then fail). */
function loopedChain(start: number, nodes: ChainNode[], next: number): Chain {
  const seen = new Set<number>();
  const cut = nodes.findIndex((x) => seen.has(x.blkaddr) || !seen.add(x.blkaddr));
  const kept = cut < 0 ? nodes : nodes.slice(0, cut);
  const last = kept[kept.length - 1];
  return { start, nodes: kept, end: { blkaddr: last.blkaddr, why: `looped node chain (next ${cut < 0 ? next : nodes[cut].blkaddr}, already walked)` }, looped: true };
}

/**
 * Nodes of a roll-forward chain Linux's mount would replay, 0 when there is none. Cheap when there is none: one read,
 * the block at the warm-node log's next address, must be a node of this checkpoint before the chain is walked.
 */
export function pendingRollForward(vol: Volume): number {
  const c = vol.sm.cursegs[CursegType.WARM_NODE];
  const first = vol.sm.segBlkaddr(c.segno) + c.blkoff;
  if (!vol.check.isValidBlkaddr(first, 'main')) return 0;
  if (!recoverable(vol, NodeFooter.decode(vol.dev.readBlock(first), NODE_FOOTER_OFFSET).cp_ver)) return 0;
  const chain = walkChain(vol);
  return chain.nodes.some((n) => n.fsync) ? chain.nodes.length : 0;
}

export interface RecoveredInode {
  ino: number;
  lastBlkaddr: number;
  dentry: boolean;
  created: boolean;
  nodes: number;
  blocks: number;
}

export interface RecoveryReport {
  /** A dry run: everything below is what the real run does, its writes (checkpoint included) dropped. */
  dryRun: boolean;
  orphans: number[];
  chain: { start: number; length: number; end: Chain['end'] };
  inodes: RecoveredInode[];
  skipped: { ino: number; blkaddr: number; why: string }[];
  checkpoint: { version: string; pack: number } | null;
}

/** f2fs_recover_inode_page: a new inode rebuilt from a dentry-marked fsync'd inode block (its data follows by replay). */
function recoverInodePage(vol: Volume, page: Buffer): void {
  const f = NodeFooter.decode(page, NODE_FOOTER_OFFSET);
  const ino = f.ino;
  if (vol.nm.getNat(ino).block_addr !== NULL_ADDR) fail('CORRUPT', `recovering inode ${ino}, which is still allocated`);
  const raw = vol.nm.newNode(ino, ino, 0, true);
  // memcpy up to i_ext, then the kernel's resets.
  page.copy(raw, 0, 0, Inode.offsets.i_ext);
  const dst = InodeHead.view(raw);
  Object.assign(dst, { i_size: 0, i_blocks: 1, i_links: 1, i_xattr_nid: 0, i_inline: dst.i_inline & (InlineFlag.XATTR | InlineFlag.EXTRA_ATTR) });
  if (dst.i_inline & InlineFlag.EXTRA_ATTR) {
    const se = InodeExtra.decode(page, I_ADDR_OFFSET);
    const de = InodeExtra.decode(Buffer.alloc(InodeExtra.size));
    de.i_extra_isize = se.i_extra_isize;
    const fits = (field: keyof InodeExtra, size: number) => InodeExtra.offsets[field] + size <= se.i_extra_isize;
    if (vol.sb.feature & Feature.FLEXIBLE_INLINE_XATTR && fits('i_inline_xattr_size', 2)) de.i_inline_xattr_size = se.i_inline_xattr_size;
    if (vol.sb.feature & Feature.PRJQUOTA && fits('i_projid', 4)) de.i_projid = se.i_projid;
    if (vol.sb.feature & Feature.INODE_CRTIME && fits('i_crtime_nsec', 4)) [de.i_crtime, de.i_crtime_nsec] = [se.i_crtime, se.i_crtime_nsec];
    InodeExtra.encode(de).copy(raw, I_ADDR_OFFSET, 0, se.i_extra_isize);
  }
  vol.reserveBlocks(1);
  vol.counts.nodes++;
  vol.counts.inodes++;
}

const extraIsize = InodeExtra.field('i_extra_isize');
const projid = InodeExtra.field('i_projid');

/** recover_inode: attributes of the fsync'd inode block onto the live inode. */
function recoverInode(vol: Volume, ino: number, page: Buffer): void {
  const ri = InodeHead.view(page);
  const extra = ri.i_inline & InlineFlag.EXTRA_ATTR ? InodeExtra.decode(page, I_ADDR_OFFSET) : null;
  const raw = vol.nm.nodeForUpdate(ino);
  // i_projid sits in the extra area: both inodes must have one that reaches it.
  const liveIsize = InodeHead.field('i_inline').get(raw) & InlineFlag.EXTRA_ATTR ? extraIsize.get(raw, I_ADDR_OFFSET) : 0;
  if (extra && vol.sb.feature & Feature.PRJQUOTA && extra.i_extra_isize >= 8 && liveIsize >= 8) projid.set(raw, extra.i_projid, I_ADDR_OFFSET);
  editInode(raw, (i) => {
    i.i_mode = ri.i_mode;
    i.i_uid = ri.i_uid;
    i.i_gid = ri.i_gid;
    i.i_size = ri.i_size;
    [i.i_atime, i.i_ctime, i.i_mtime] = [ri.i_atime, ri.i_ctime, ri.i_mtime];
    [i.i_atime_nsec, i.i_ctime_nsec, i.i_mtime_nsec] = [ri.i_atime_nsec, ri.i_ctime_nsec, ri.i_mtime_nsec];
    i.i_advise = ri.i_advise;
    i.i_flags = ri.i_flags;
    if (!isDir(i.i_mode)) i.i_current_depth = (i.i_current_depth & ~0xffff) | (ri.i_current_depth & 0xffff);
    const keep = InlineFlag.PIN_FILE | InlineFlag.DATA_EXIST;
    i.i_inline = (i.i_inline & ~keep) | (ri.i_inline & keep);
  });
}

/** recover_dentry: the name in i_pino is made to point at this inode (replacing another inode's entry of that name). */
function recoverDentry(vol: Volume, ino: number, page: Buffer): void {
  const ri = InodeHead.view(page);
  if (ri.i_namelen > 255) fail('CORRUPT', `inode ${ino}: i_namelen ${ri.i_namelen}`);
  const name = ri.i_name.subarray(0, ri.i_namelen);
  const pino = ri.i_pino;
  const t = now();
  // init_recovered_filename: an encrypted casefolded directory's hash needs the key, so it was saved after the name.
  const dir = vol.inode(pino);
  let saved: number | undefined;
  if (vol.crypto.isEncrypted(dir) && isCasefolded(vol.sb, dir)) {
    if (name.length + INameHashTail.size > MAX_NAME_LEN) fail('CORRUPT', `inode ${ino}: its encrypted name leaves no room for the saved hash in i_name (EINVAL)`);
    saved = INameHashTail.decode(Buffer.from(ri.i_name.subarray(name.length, name.length + INameHashTail.size))).hash;
  }
  // The on-disk name (ciphertext in an encrypted dir); re-read: dropping a name can move the directory to a new dirty block.
  const find = () => (saved === undefined ? vol.dirs.lookup(vol.inode(pino), name) : vol.dirs.lookupStored(vol.inode(pino), Buffer.from(name), saved));
  for (;;) {
    const d = find();
    if (d && d.ino === ino) return;
    if (!d) break;
    // Another inode holds the name: its entry goes and it loses that link (f2fs_delete_entry).
    dropName(vol, pino, d, t);
  }
  addEntry(vol, pino, Buffer.from(name), ino, fileTypeOfMode(vol.inode(ino).inode.i_mode), saved);
  editInode(vol.nm.nodeForUpdate(ino), (i) => {
    i.i_pino = pino;
    i.i_namelen = name.length;
    i.i_name = Buffer.from(ri.i_name.subarray(0, name.length + (saved === undefined ? 0 : INameHashTail.size)));
  });
  editInode(vol.nm.nodeForUpdate(pino), (i) => setTimes(i, { m: t, c: t }));
}

/** f2fs_recover_inline_xattr: the inline xattr area (and its flag) of the fsync'd inode block. */
function recoverInlineXattr(vol: Volume, info: InodeInfo, page: Buffer): void {
  const ri = InodeHead.view(page);
  const raw = vol.nm.nodeForUpdate(info.ino);
  if (ri.i_inline & InlineFlag.XATTR) {
    editInode(raw, (i) => void (i.i_inline |= InlineFlag.XATTR));
    const now = vol.inode(info.ino);
    const size = now.inlineXattrWords * 4;
    page.copy(vol.nm.nodeForUpdate(info.ino), now.inlineXattrOffset, now.inlineXattrOffset, now.inlineXattrOffset + size);
  } else editInode(raw, (i) => void (i.i_inline &= ~InlineFlag.XATTR));
}

/** f2fs_recover_xattr_data: the xattr node is replaced by a new one holding the fsync'd body. */
function recoverXattrNode(vol: Volume, info: InodeInfo, page: Buffer): void {
  const prev = info.inode.i_xattr_nid;
  if (prev) {
    vol.nm.freeNode(prev, (a) => vol.sm.invalidate(a));
    vol.counts.nodes--;
    vol.counts.blocks--;
    chargeInode(vol, info.ino, -1);
  }
  vol.reserveBlocks(1);
  const xnid = vol.nm.allocNid();
  const raw = vol.nm.newNode(xnid, info.ino, XATTR_NODE_OFFSET, !isDir(info.inode.i_mode));
  vol.counts.nodes++;
  chargeInode(vol, info.ino, 1);
  page.copy(raw, 0, 0, NODE_BODY_SIZE);
  editInode(vol.nm.nodeForUpdate(info.ino), (i) => void (i.i_xattr_nid = xnid));
}

/** f2fs_recover_inline_data: returns true when the node was fully handled as inline data. */
function recoverInlineData(vol: Volume, ino: number, page: Buffer, isInodePage: boolean): boolean {
  const cur = vol.inode(ino);
  const ri = isInodePage ? InodeHead.view(page) : null;
  const pageInline = ri !== null && (ri.i_inline & InlineFlag.DATA) !== 0;
  const copyInline = () => {
    const now = vol.inode(ino);
    const raw = vol.nm.nodeForUpdate(ino);
    page.copy(raw, now.inlineDataOffset, now.inlineDataOffset, now.inlineDataOffset + now.maxInlineData);
    editInode(raw, (i) => void (i.i_inline |= InlineFlag.DATA | InlineFlag.DATA_EXIST));
  };
  if (hasInlineData(cur) && pageInline) {
    copyInline();
    return true;
  }
  if (hasInlineData(cur)) {
    const raw = vol.nm.nodeForUpdate(ino);
    raw.fill(0, cur.inlineDataOffset, cur.inlineDataOffset + cur.maxInlineData);
    editInode(raw, (i) => void (i.i_inline &= ~(InlineFlag.DATA | InlineFlag.DATA_EXIST)));
  } else if (pageInline) {
    vol.pages.drop(ino);
    truncateBlocks(vol, cur, 0);
    copyInline();
    return true;
  }
  return false;
}

/** check_index_in_prev_nodes: a block about to be replayed is taken away from whichever slot still owns it. */
function detachFromPrevOwner(vol: Volume, dest: number, max: number): void {
  if (!vol.sm.isBlockValid(dest)) return;
  const owner = ownerOf(vol, dest);
  if (owner.summary.ofs_in_node >= max) fail('CORRUPT', `summary of block ${dest} has ofs_in_node ${owner.summary.ofs_in_node}`);
  // The kernel gives up when the owner's node cannot be read; a slot that moved on simply owns nothing.
  if (owner.verdict === 'mismatched' && owner.ino === null) fail('CORRUPT', `owner of block ${dest}: ${owner.why}`);
  if (owner.verdict !== 'valid' || owner.node) return;
  // The slot is reached again through the inode's own tree, as f2fs_truncate_hole does.
  const dn = getDnode(vol, vol.inode(owner.ino!), owner.bidx!, false);
  if (!dn || readSlot(vol.nm.readNode(dn.nid).raw, dn.off) !== dest) return;
  freeSlot(vol, owner.ino!, vol.nm.nodeForUpdate(dn.nid), dn.off);
}

/** What f2fs_iget of an inode to recover set (FI_COMPRESSED_FILE, i_log_cluster_size), which recovery never changes. */
interface IgetState {
  compressed: boolean;
  logClusterSize: number;
}

/** f2fs_i_compr_blocks_update(inode, 0, false): a cluster's size leaves i_compr_blocks, unless it is 0 (released). */
function subComprCluster(vol: Volume, ino: number, clusterSize: number): void {
  const have = vol.inode(ino).extra!.i_compr_blocks;
  if (!have) return;
  // The kernel's counter is an int: below 0 it is written as a huge u64, which its next f2fs_iget refuses.
  if (have < clusterSize) fail('CORRUPT', `inode ${ino}: replaying a truncated compressed cluster takes i_compr_blocks ${have} below 0 (Linux leaves the inode unreadable)`);
  addComprBlocks(vol, ino, -clusterSize);
}

/**
 * f2fs_truncate_data_blocks_range(dn, 1) as recovery calls it: the slot is freed; on a file compressed at f2fs_iget a
 * COMPRESS_ADDR slot starts a "compressed cluster" of that one slot, so i_compr_blocks loses a whole cluster size
 * (the cluster size minus its valid blocks, none) unless it is 0 (released).
 */
function truncateSlot(vol: Volume, ino: number, nid: number, slot: number, iget: IgetState): void {
  const src = readSlot(vol.nm.readNode(nid).raw, slot);
  freeSlot(vol, ino, vol.nm.nodeForUpdate(nid), slot);
  if (iget.compressed && src === COMPRESS_ADDR) subComprCluster(vol, ino, 1 << iget.logClusterSize);
}

/** do_recover_data: xattrs, inline data and every address slot of one fsync'd dnode, replayed onto the live tree. */
function recoverData(vol: Volume, ino: number, page: Buffer, rec: RecoveredInode, iget: IgetState): void {
  const f = NodeFooter.decode(page, NODE_FOOTER_OFFSET);
  const ofs = footerOfs(f.flag);
  const isInodePage = f.nid === f.ino && ofs === 0;
  if (isInodePage) recoverInlineXattr(vol, vol.inode(ino), page);
  else if (isXattrOfs(ofs)) {
    recoverXattrNode(vol, vol.inode(ino), page);
    return;
  }
  if (recoverInlineData(vol, ino, page, isInodePage)) return;
  // ADDRS_PER_INODE/ADDRS_PER_BLOCK follow FI_COMPRESSED_FILE as f2fs_iget set it: recover_inode's new i_flags do not
  // change it, so a file whose compression flag went after the checkpoint is replayed with cluster-aligned slot counts.
  const cur = vol.inode(ino);
  const geo = { ...cur, ...slotCounts(cur.extraWords, cur.inlineXattrWords, iget.logClusterSize) };
  const start = startBidxOfNode(ofs, geo);
  const count = isInodePage ? geo.addrsPerInode : geo.addrsPerBlock;
  const dn = getDnode(vol, geo, start, true)!;
  const dnOfs = vol.nm.readNode(dn.nid).ofs;
  if (dnOfs !== ofs) fail('CORRUPT', `inode ${ino}: node at offset ${dnOfs} replayed from a node at offset ${ofs}`);
  const version = vol.nm.getNat(dn.nid).version;
  for (let k = 0; k < count; k++) {
    const bidx = start + k;
    const slot = dn.off + 4 * k;
    const src = readSlot(vol.nm.readNode(dn.nid).raw, slot);
    const dest = readSlot(page, isInodePage ? slotOffset.inodeAddr(cur.extraWords, k) : slotOffset.node(k));
    if (isDataBlkaddr(src)) vol.check.mainBlkaddr(src, `inode ${ino} block ${bidx}`);
    if (isDataBlkaddr(dest)) vol.check.mainBlkaddr(dest, `fsync'd node of inode ${ino} block ${bidx}`);
    if (src === dest) continue;
    if (dest === NULL_ADDR) {
      truncateSlot(vol, ino, dn.nid, slot, iget);
      continue;
    }
    const info = vol.inode(ino);
    if (!(info.inode.i_advise & Advise.KEEP_SIZE) && info.inode.i_size <= bidx * BLKSIZE)
      editInode(vol.nm.nodeForUpdate(ino), (i) => void (i.i_size = (bidx + 1) * BLKSIZE));
    if (dest === NEW_ADDR) {
      truncateSlot(vol, ino, dn.nid, slot, iget);
      reserveSlot(vol, ino, dn.nid, slot);
      continue;
    }
    // COMPRESS_ADDR is no block address (f2fs_is_valid_blkaddr(META_POR) fails): Linux leaves the slot as it was.
    if (dest === COMPRESS_ADDR) continue;
    if (src === NULL_ADDR) reserveSlot(vol, ino, dn.nid, slot);
    detachFromPrevOwner(vol, dest, count);
    if (vol.sm.isBlockValid(dest)) fail('CORRUPT', `block ${dest} replayed for inode ${ino} is still owned elsewhere`);
    // f2fs_replace_block: the block becomes this slot's, with its summary; the slot's previous block is released.
    vol.sm.markValidAt(dest, src === NULL_ADDR);
    vol.sm.setSummary(dest, { nid: dn.nid, version, ofs_in_node: dn.ofsInNode + k });
    if (isDataBlkaddr(src)) vol.sm.invalidate(src);
    writeSlot(vol.nm.nodeForUpdate(dn.nid), slot, dest);
    rec.blocks++;
  }
  dropExtent(vol, ino);
}

/** Where recovery is: the phase, and items done of `total` (none while the chain's length is still unknown). */
export type RecoveryProgress = (phase: 'orphans' | 'walking the node chain' | 'replaying' | 'checkpoint', done: number, total?: number) => void;

/**
 * Orphan processing, then the two chain passes, then fresh segments for every log and a checkpoint (f2fs_recover_fsync_data).
 * `dryRun`: the same run on a copy-on-write overlay of the device, whose writes are dropped, so the report is exactly
 * what the real run does. The volume must then have nothing unwritten (the overlay sees only its device).
 */
export function recover(vol: Volume, opts: { dryRun?: boolean; progress?: RecoveryProgress } = {}): RecoveryReport {
  if (!opts.dryRun) return replay(vol, opts.progress);
  if (vol.dirty) fail('USAGE', 'recover --dry-run: this session has changes not written yet; checkpoint first');
  const shadow = Volume.open(new OverlayDevice(vol.dev), { readOnly: false });
  try {
    return { ...replay(shadow, opts.progress), dryRun: true };
  } finally {
    shadow.close();
  }
}

function replay(vol: Volume, progress: RecoveryProgress | undefined): RecoveryReport {
  vol.requireWritable();
  return during('while recovering', () => {
    const orphans = vol.orphanList();
    orphans.forEach((ino, i) => {
      progress?.('orphans', i, orphans.length);
      if (vol.inodeAllocated(ino)) freeInode(vol, ino);
    });
    vol.orphanSet.clear();
    const chain = walkChain(vol, progress && ((n) => progress('walking the node chain', n)));
    if (chain.looped) fail('CORRUPT', `roll-forward: ${chain.end.why} at block ${chain.end.blkaddr}`);
    const entries = new Map<number, RecoveredInode & { lastDentry: number; iget: IgetState }>();
    const skipped: RecoveryReport['skipped'] = [];
    for (const n of chain.nodes) {
      if (!n.fsync) continue;
      let e = entries.get(n.ino);
      if (!e) {
        let created = false;
        if (!vol.inodeAllocated(n.ino)) {
          if (n.kind !== 'inode' || !n.dent) {
            skipped.push({ ino: n.ino, blkaddr: n.blkaddr, why: 'inode does not exist and the block carries no dentry mark' });
            continue;
          }
          recoverInodePage(vol, Buffer.from(vol.dev.readBlock(n.blkaddr)));
          created = true;
        }
        // add_fsync_inode's f2fs_iget: an inode its sanity check refuses fails the mount.
        const info = vol.inode(n.ino);
        const refused = igetCompressRefusal(info);
        if (refused) fail('CORRUPT', `roll-forward: inode ${n.ino}${created ? ' (recreated from its fsync\'d block)' : ''}: ${refused}; Linux's f2fs_iget refuses it and its recovery fails`);
        const iget = { compressed: info.compressedFile, logClusterSize: info.logClusterSize };
        e = { ino: n.ino, lastBlkaddr: n.blkaddr, dentry: false, created, nodes: 0, blocks: 0, lastDentry: -1, iget };
        entries.set(n.ino, e);
      }
      e.lastBlkaddr = n.blkaddr;
      if (n.kind === 'inode' && n.dent) {
        e.dentry = true;
        e.lastDentry = n.blkaddr;
      }
    }
    const done = new Set<number>();
    for (const [i, n] of chain.nodes.entries()) {
      progress?.('replaying', i, chain.nodes.length);
      const e = entries.get(n.ino);
      if (!e || done.has(n.ino)) continue;
      e.nodes++;
      const page = Buffer.from(vol.dev.readBlock(n.blkaddr));
      during(`while replaying node ${n.nid} of inode ${n.ino} at block ${n.blkaddr}`, () => {
        if (n.kind === 'inode') recoverInode(vol, n.ino, page);
        if (e.lastDentry === n.blkaddr) recoverDentry(vol, n.ino, page);
        recoverData(vol, n.ino, page, e, e.iget);
      });
      if (n.blkaddr === e.lastBlkaddr) done.add(n.ino);
    }
    let checkpoint: RecoveryReport['checkpoint'] = null;
    if (entries.size || orphans.length) {
      if (entries.size) vol.sm.allocateNewSegments();
      // Recovered inodes and attributes were charged piecemeal: usage is counted again from the tree.
      if (vol.quota) vol.quota.recount = true;
      progress?.('checkpoint', 0);
      const cp = writeCheckpoint(vol, { umount: false });
      checkpoint = { version: cp.head.checkpoint_ver.toString(), pack: cp.pack };
    }
    const inodes = [...entries.values()].map(({ lastDentry: _, iget: __, ...r }) => r);
    return { dryRun: false, orphans, chain: { start: chain.start, length: chain.nodes.length, end: chain.end }, inodes, skipped, checkpoint };
  });
}
