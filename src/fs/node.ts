// Node manager and the node tree: NAT lookups (journal over the current NAT copy), node reads with footer checks, the
// node-tree geometry (get_node_path, start_bidx_of_node) and the one walk over a file's tree; dnode allocation and truncation.
import type { BlockDevice } from '../device/types.js';
import { fail, withContext } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, COMPRESS_ADDR, NAT_ENTRY_PER_BLOCK, NEW_ADDR, NIDS_PER_BLOCK, NULL_ADDR, RESERVED_NODE_NUM } from './layout/constants.js';
import { NatEntry } from './layout/nat.js';
import { CpFlag } from './layout/checkpoint.js';
import { I_ADDR_OFFSET, InlineFlag, Inode, InodeExtra, NODE_DIND_OFS, NODE_FOOTER_OFFSET, NODE_IND1_OFS, NODE_IND2_OFS, NodeFlag, NodeFooter, footerField, footerOfs, inodeChecksum, isDnodeOfs, makeFooterFlag, readSlot, slotOffset, writeSlot } from './layout/node.js';
import { NatJournal } from './layout/summary.js';
import { bitMsb } from '../util/struct.js';
import type { Checkpoint } from './checkpoint.js';
import type { Geometry } from './super.js';
import type { Validator } from './validate.js';
import type { Volume } from './volume.js';
import type { InodeInfo } from './inode.js';
import type { DnodeSlot } from './data.js';

const extraField = { isize: InodeExtra.field('i_extra_isize'), checksum: InodeExtra.field('i_inode_checksum') };
const iInline = Inode.field('i_inline');

/** A node block as read, its footer's nid and ino checked against the NAT; the whole footer is decoded on demand. */
export class NodePage {
  constructor(
    readonly nid: number,
    readonly blkaddr: number,
    readonly ino: number,
    /** Node offset (footer flag >> OFFSET_BIT_SHIFT). */
    readonly ofs: number,
    /** Shared with the device cache: do not mutate. */
    readonly raw: Buffer,
  ) {}

  get footer(): NodeFooter {
    return NodeFooter.decode(this.raw, NODE_FOOTER_OFFSET);
  }
}

/** Where copy 0 of logical NAT block `k` lies: the two copies alternate segment by segment. */
export function natBlockCopy0(natBlkaddr: number, k: number): number {
  return natBlkaddr + 2 * BLOCKS_PER_SEG * Math.floor(k / BLOCKS_PER_SEG) + (k % BLOCKS_PER_SEG);
}

export class NodeManager {
  private readonly journal = new Map<number, NatEntry>();
  /** NAT entries changed since the last checkpoint; they override the journal and the NAT blocks. */
  readonly natDirty = new Map<number, NatEntry>();
  /** Node blocks changed in memory and not yet written to a log (the kernel's dirty node pages). */
  readonly dirtyNodes = new Map<number, Buffer>();
  /** Nids freed since the last checkpoint: the durable NAT still names them, so they are not reused before the next one. */
  private readonly freedSinceCp = new Set<number>();
  /** Nodes created since the last checkpoint (the kernel's NAT entries without IS_CHECKPOINTED). */
  readonly newSinceCp = new Set<number>();
  /** Inodes whose block went out with an fsync mark since the last checkpoint (HAS_FSYNCED_INODE). */
  readonly fsyncedInodes = new Set<number>();
  private nidHint: number;
  private readonly gens = new Map<number, number>();

  constructor(
    private readonly dev: BlockDevice,
    private readonly geo: Geometry,
    private readonly check: Validator,
    /** The volume's current checkpoint (its NAT version bitmap says which NAT copy is current). */
    private readonly currentCp: () => Checkpoint,
    natJournal: NatJournal,
    private readonly inodeCsumSeed: number | null,
  ) {
    this.nidHint = currentCp().head.next_free_nid;
    this.check.range(natJournal.n_nats, 0, natJournal.entries.length, 'NAT journal entry count');
    for (const e of natJournal.entries.slice(0, natJournal.n_nats)) this.journal.set(e.nid, e.ne);
  }

  /** Address of the current copy of logical NAT block `k` (current_nat_addr). */
  natBlockAddr(k: number): number {
    const copy0 = natBlockCopy0(this.geo.natBlkaddr, k);
    return bitMsb.test(this.currentCp().natBitmap, k) ? copy0 + BLOCKS_PER_SEG : copy0;
  }

  journalEntries(): [number, NatEntry][] {
    return [...this.journal];
  }

  /** The live NAT entry of `nid` (dirty set, then journal, then the current NAT block). Callers must not mutate it. */
  getNat(nid: number): NatEntry {
    this.check.nid(nid, 'NAT lookup');
    return this.natDirty.get(nid) ?? this.journal.get(nid) ?? this.blockEntry(nid);
  }

  /** Where the live entry comes from: changed in this session, the checkpoint's NAT journal, or the NAT block. */
  natSource(nid: number): 'session' | 'journal' | 'block' {
    return this.natDirty.has(nid) ? 'session' : this.journal.has(nid) ? 'journal' : 'block';
  }

  /** Bumped whenever node `nid`'s block may change: lets readers cache what they decoded from it. */
  generation(nid: number): number {
    return this.gens.get(nid) ?? 0;
  }

  private bump(nid: number): void {
    this.gens.set(nid, (this.gens.get(nid) ?? 0) + 1);
  }

  /** Reads node `nid` and checks its footer names it (and, for inodes, the checksum when enabled). */
  readNode(nid: number, expectIno?: number): NodePage {
    try {
      const ne = this.getNat(nid);
      if (ne.block_addr === 0) fail('CORRUPT', `node ${nid} is not allocated in the NAT`, { nid });
      const dirty = this.dirtyNodes.get(nid);
      const blkaddr = dirty ? ne.block_addr : this.check.mainBlkaddr(ne.block_addr, `NAT entry of node ${nid}`);
      const raw = dirty ?? this.dev.readBlock(blkaddr);
      const fnid = footerField.nid.get(raw, NODE_FOOTER_OFFSET);
      const fino = footerField.ino.get(raw, NODE_FOOTER_OFFSET);
      if (fnid !== nid) fail('CORRUPT', `node block at ${blkaddr} has footer nid ${fnid}, expected ${nid}`, { blkaddr });
      if (fino !== ne.ino) fail('CORRUPT', `node block at ${blkaddr} has footer ino ${fino}, NAT says ${ne.ino}`, { blkaddr });
      if (expectIno !== undefined && fino !== expectIno) fail('CORRUPT', `node ${nid} belongs to inode ${fino}, not ${expectIno}`);
      const ofs = footerOfs(footerField.flag.get(raw, NODE_FOOTER_OFFSET));
      if (nid === fino && ofs !== 0) fail('CORRUPT', `inode block at ${blkaddr} has node offset ${ofs}`);
      return new NodePage(nid, blkaddr, fino, ofs, raw);
    } catch (e) {
      throw withContext(e, `while reading node ${nid}`);
    }
  }

  /** Inode checksum verdict for an inode block: null when checksums are off or the field does not fit. */
  checksumOk(page: NodePage, extraIsize: number, hasExtra: boolean): boolean | null {
    if (this.inodeCsumSeed === null || !hasExtra || extraIsize < 12) return null;
    return inodeChecksum(this.inodeCsumSeed, page.raw) === extraField.checksum.get(page.raw, I_ADDR_OFFSET);
  }

  /* ---- write side ---- */

  journalNats(): Map<number, NatEntry> {
    return this.journal;
  }

  /** A free nid (block_addr 0 everywhere, not freed since the checkpoint), reserved with NEW_ADDR until its node is written. */
  allocNid(): number {
    const max = this.geo.maxNid;
    for (let i = 0; i < max; i++) {
      const nid = ((this.nidHint - RESERVED_NODE_NUM + i) % (max - RESERVED_NODE_NUM)) + RESERVED_NODE_NUM;
      if (this.freedSinceCp.has(nid) || this.natDirty.has(nid)) continue;
      const j = this.journal.get(nid);
      if (j ? j.block_addr !== 0 : this.blockEntry(nid).block_addr !== 0) continue;
      this.nidHint = nid + 1;
      this.natDirty.set(nid, { version: (j ?? this.blockEntry(nid)).version, ino: 0, block_addr: NEW_ADDR });
      return nid;
    }
    return fail('ENOSPC', 'no free node id left');
  }

  private blockEntry(nid: number): NatEntry {
    return NatEntry.decode(this.dev.readBlock(this.natBlockAddr(Math.floor(nid / NAT_ENTRY_PER_BLOCK))), (nid % NAT_ENTRY_PER_BLOCK) * NatEntry.size);
  }

  /** A fresh node block for `nid` of inode `ino` at node offset `ofs`, dirty in memory. */
  newNode(nid: number, ino: number, ofs: number, cold: boolean): Buffer {
    const cur = this.getNat(nid);
    this.bump(nid);
    const raw = Buffer.alloc(BLKSIZE);
    NodeFooter.encode({ nid, ino, flag: makeFooterFlag(ofs, cold ? NodeFlag.COLD : 0), cp_ver: 0n, next_blkaddr: 0 }, raw, NODE_FOOTER_OFFSET);
    this.dirtyNodes.set(nid, raw);
    this.natDirty.set(nid, { version: cur.version, ino, block_addr: NEW_ADDR });
    this.newSinceCp.add(nid);
    return raw;
  }

  /**
   * Set by a guarded writable open (src/fs/writecheck.ts): checks a node's block as the checkpoint has it before a
   * write rewrites or frees it; throws when the block is not that node's live block.
   */
  touchCheck: ((nid: number, blkaddr: number) => void) | null = null;

  /** The node's block as a mutable dirty copy (read from its log the first time). */
  nodeForUpdate(nid: number): Buffer {
    this.bump(nid);
    let raw = this.dirtyNodes.get(nid);
    if (!raw) {
      const page = this.readNode(nid);
      if (this.touchCheck && this.natSource(nid) !== 'session') this.touchCheck(nid, page.blkaddr);
      raw = Buffer.from(page.raw);
      this.dirtyNodes.set(nid, raw);
    }
    return raw;
  }

  /** Frees a node: its block is invalidated by the caller's segment manager, the NAT entry cleared with the version bumped. */
  freeNode(nid: number, invalidate: (blkaddr: number) => void): void {
    const ne = this.getNat(nid);
    if (this.touchCheck && this.natSource(nid) !== 'session' && ne.block_addr !== NEW_ADDR && ne.block_addr !== 0) this.touchCheck(nid, ne.block_addr);
    this.bump(nid);
    if (ne.block_addr !== NEW_ADDR && ne.block_addr !== 0) invalidate(ne.block_addr);
    this.dirtyNodes.delete(nid);
    const wasWritten = ne.block_addr !== NEW_ADDR;
    this.natDirty.set(nid, { version: wasWritten ? (ne.version + 1) & 0xff : ne.version, ino: ne.ino, block_addr: 0 });
    this.freedSinceCp.add(nid);
    this.newSinceCp.add(nid);
  }

  /** Records where a node now lives (after its block was written). */
  setNodeAddr(nid: number, ino: number, blkaddr: number): void {
    this.bump(nid);
    const ne = this.getNat(nid);
    this.natDirty.set(nid, { version: ne.version, ino, block_addr: blkaddr });
  }

  /** Recomputes the inode checksum of a dirty inode block when the feature is on and the field fits. */
  setChecksum(raw: Buffer): void {
    if (this.inodeCsumSeed === null) return;
    const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
    if (f.nid !== f.ino || footerOfs(f.flag) !== 0) return;
    if (!(iInline.get(raw) & InlineFlag.EXTRA_ATTR) || extraField.isize.get(raw, I_ADDR_OFFSET) < 12) return;
    extraField.checksum.set(raw, inodeChecksum(this.inodeCsumSeed, raw), I_ADDR_OFFSET);
  }

  /** At checkpoint: the dirty NAT set is handed over (and forgotten after the CP); freed nids become reusable. */
  checkpointDone(journal: Map<number, NatEntry>): void {
    this.journal.clear();
    for (const [k, v] of journal) this.journal.set(k, v);
    this.natDirty.clear();
    this.freedSinceCp.clear();
    this.newSinceCp.clear();
    this.fsyncedInodes.clear();
  }

  get nextFreeNid(): number {
    return this.nidHint;
  }
}

/* ---- the node tree of a file: its geometry (get_node_path, start_bidx_of_node) and the one walk over it ---- */

/**
 * A subtree of a file's node tree: the node at footer offset `ofs`, of `depth` 0 (direct), 1 (indirect) or 2 (double
 * indirect), mapping file blocks [base, base + span).
 */
export interface NodeSpan {
  ofs: number;
  depth: 0 | 1 | 2;
  base: number;
  span: number;
}

/** Address slots of a file's inode and of each of its direct nodes (both cluster-aligned in a compressed file). */
export type FileGeometry = Pick<InodeInfo, 'addrsPerInode' | 'addrsPerBlock'>;

/** File blocks under a node of `depth`. */
const spanOf = (g: FileGeometry, depth: number) => g.addrsPerBlock * NIDS_PER_BLOCK ** depth;
const INODE_CHILDREN: readonly [number, 0 | 1 | 2][] = [
  [1, 0],
  [2, 0],
  [NODE_IND1_OFS, 1],
  [NODE_IND2_OFS, 1],
  [NODE_DIND_OFS, 2],
];

/** The subtrees under i_nid[0..4]: two direct nodes, two indirect nodes, one double indirect node. */
export function inodeSpans(g: FileGeometry): NodeSpan[] {
  let base = g.addrsPerInode;
  return INODE_CHILDREN.map(([ofs, depth]) => {
    const s = { ofs, depth, base, span: spanOf(g, depth) };
    base += s.span;
    return s;
  });
}

/** Child `c` of an indirect or double indirect node: node offsets number a subtree depth-first, so a double indirect's children are N+1 apart. */
export function childSpan(p: NodeSpan, c: number): NodeSpan {
  const depth = (p.depth - 1) as 0 | 1;
  const span = p.span / NIDS_PER_BLOCK;
  return { ofs: p.depth === 2 ? p.ofs + 1 + c * (NIDS_PER_BLOCK + 1) : p.ofs + 1 + c, depth, base: p.base + c * span, span };
}

/** Number of file blocks addressable through a file's node tree. */
export const maxFileBlocks = (g: FileGeometry) => g.addrsPerInode + 2 * spanOf(g, 0) + 2 * spanOf(g, 1) + spanOf(g, 2);

export interface NodePath {
  level: 0 | 1 | 2 | 3;
  /** offset[0]: index into i_addr (level 0) or i_nid (0..4); then child indexes. */
  offset: number[];
  /** Expected footer offsets of the nodes along the path (noffset[0] = 0, the inode). */
  noffset: number[];
}

/** get_node_path: where file block `block` lives in a file of geometry `g`. */
export function nodePath(block: number, g: FileGeometry): NodePath {
  if (block < g.addrsPerInode) return { level: 0, offset: [block], noffset: [0] };
  const spans = inodeSpans(g);
  const k = spans.findIndex((s) => block < s.base + s.span);
  // Callers check user-given indexes first (EINVAL): one reaching here came from disk.
  if (k < 0) return fail('CORRUPT', `file block ${block} is beyond the largest file`);
  let s = spans[k];
  const offset = [k];
  const noffset = [0, s.ofs];
  while (s.depth > 0) {
    const c = Math.floor((block - s.base) / (s.span / NIDS_PER_BLOCK));
    s = childSpan(s, c);
    offset.push(c);
    noffset.push(s.ofs);
  }
  offset.push(block - s.base);
  return { level: (noffset.length - 1) as 1 | 2 | 3, offset, noffset };
}

/** f2fs_start_bidx_of_node: first file block mapped by the direct node (or inode) with footer offset `ofs`. */
export function startBidxOfNode(ofs: number, g: FileGeometry): number {
  const N = NIDS_PER_BLOCK;
  if (ofs === 0) return 0;
  let bidx: number;
  if (ofs <= 2) bidx = ofs - 1;
  else if (ofs <= 2 * N + 4) bidx = ofs - 2 - Math.floor((ofs - 4) / (N + 1));
  else bidx = ofs - 5 - Math.floor((ofs - 2 * N - 7) / (N + 1));
  return bidx * g.addrsPerBlock + g.addrsPerInode;
}

/** A node block as a walk sees it: reads pass NodePages, fsck its claimed references, truncate the dirty copies. */
export interface TreeNode {
  raw: Buffer;
}

/** What a walk over a file's node tree does at each step; the walk itself only follows the geometry. */
export interface NodeTreeVisitor<P extends TreeNode> {
  /** Node `nid` found at `span` (its pointer at byte `ptr` of `parent`): its block, or null to skip the subtree. */
  node(nid: number, span: NodeSpan, parent: P, ptr: number): P | null;
  /** Data slot `ofsInNode` of `holder` (the inode or a direct node), mapping file block `bidx`. */
  slot(bidx: number, addr: number, holder: P, ofsInNode: number, off: number): void;
  /** After a node's subtree was walked (post-order: truncate frees the node here). */
  leave?(nid: number, span: NodeSpan, page: P, parent: P, ptr: number): void;
}

/**
 * Walks file blocks [start, end) of `info` through its node tree: the inode's slots, then the five subtrees in file
 * order, skipping subtrees outside the range and absent nodes (nid 0). NULL_ADDR slots are skipped unless `holes`.
 * `until`, asked after each slot and subtree, ends the walk when true (without `leave` for the nodes open then).
 */
export function walkNodeTree<P extends TreeNode>(
  info: InodeInfo,
  inode: P,
  start: number,
  end: number,
  v: NodeTreeVisitor<P>,
  opts: { holes?: boolean; until?: () => boolean } = {},
): void {
  const holes = opts.holes ?? false;
  const until = opts.until ?? (() => false);
  const A = info.addrsPerInode;
  for (let i = Math.max(start, 0); i < Math.min(end, A); i++) {
    const off = slotOffset.inodeAddr(info.extraWords, i);
    const a = readSlot(inode.raw, off);
    if (holes || a !== NULL_ADDR) v.slot(i, a, inode, i, off);
    if (until()) return;
  }
  /** False when `until` ended the walk inside. */
  const walk = (nid: number, span: NodeSpan, parent: P, ptr: number): boolean => {
    const page = v.node(nid, span, parent, ptr);
    if (!page) return true;
    if (span.depth === 0) {
      for (let i = Math.max(0, start - span.base); i < Math.min(span.span, end - span.base); i++) {
        const off = slotOffset.node(i);
        const a = readSlot(page.raw, off);
        if (holes || a !== NULL_ADDR) v.slot(span.base + i, a, page, i, off);
        if (until()) return false;
      }
    } else {
      const childSize = span.span / NIDS_PER_BLOCK;
      for (let c = Math.max(0, Math.floor((start - span.base) / childSize)); c < NIDS_PER_BLOCK && span.base + c * childSize < end; c++) {
        const child = readSlot(page.raw, slotOffset.node(c));
        if (child && !walk(child, childSpan(span, c), page, slotOffset.node(c))) return false;
      }
    }
    v.leave?.(nid, span, page, parent, ptr);
    return true;
  };
  const spans = inodeSpans(info);
  for (let k = 0; k < spans.length; k++) {
    const span = spans[k];
    if (end <= span.base || start >= span.base + span.span) continue;
    const nid = readSlot(inode.raw, slotOffset.inodeNid(k));
    if (nid && !walk(nid, span, inode, slotOffset.inodeNid(k))) return;
  }
}

/* ---- write side over a whole volume: dnode lookup with allocation, node charging, truncation ---- */

const iBlocks = Inode.field('i_blocks');
const iComprBlocks = InodeExtra.field('i_compr_blocks');

/** Adds `delta` to an inode's i_blocks in its dirty block. */
export function chargeInode(vol: Volume, ino: number, delta: number): void {
  const raw = vol.nm.nodeForUpdate(ino);
  iBlocks.set(raw, iBlocks.get(raw) + delta);
  vol.quota?.chargeBlocks(ino, raw, delta);
}

/**
 * f2fs_get_dnode_of_data: the slot of file block `bidx`. With `alloc`, missing direct/indirect nodes are created
 * (charged to the inode and the volume); without, a missing node gives null (a hole).
 */
export function getDnode(vol: Volume, info: InodeInfo, bidx: number, alloc: boolean): DnodeSlot | null {
  const ino = info.ino;
  const path = nodePath(bidx, info);
  if (path.level === 0) return { nid: ino, raw: vol.nm.readNode(ino).raw, off: slotOffset.inodeAddr(info.extraWords, bidx), ofsInNode: bidx };
  let parentNid = ino;
  let parentOff = slotOffset.inodeNid(path.offset[0]);
  const cold = (info.inode.i_mode & 0o170000) !== 0o040000;
  for (let l = 1; l <= path.level; l++) {
    const parentRaw = vol.nm.readNode(parentNid).raw;
    let nid = readSlot(parentRaw, parentOff);
    if (nid === 0) {
      if (!alloc) return null;
      vol.reserveBlocks(1);
      nid = vol.nm.allocNid();
      vol.nm.newNode(nid, ino, path.noffset[l], cold);
      writeSlot(vol.nm.nodeForUpdate(parentNid), parentOff, nid);
      chargeInode(vol, ino, 1);
      vol.counts.nodes++;
    } else vol.check.nid(nid, `node ${parentNid} child`);
    const page = vol.nm.readNode(nid, ino);
    if (page.ofs !== path.noffset[l]) fail('CORRUPT', `node ${nid} has offset ${page.ofs}, expected ${path.noffset[l]}`);
    if (l === path.level) return { nid, raw: page.raw, off: slotOffset.node(path.offset[l]), ofsInNode: path.offset[l] };
    parentNid = nid;
    parentOff = slotOffset.node(path.offset[l]);
  }
  return fail('EINVAL', 'unreachable node path');
}

/** f2fs_reserve_new_block: a hole becomes NEW_ADDR, charged to the file and the volume. */
export function reserveSlot(vol: Volume, ino: number, nid: number, off: number): void {
  vol.reserveBlocks(1);
  writeSlot(vol.nm.nodeForUpdate(nid), off, NEW_ADDR);
  chargeInode(vol, ino, 1);
}

/** Releases one data slot of a dirty node (invalidate its block, uncharge). */
export function freeSlot(vol: Volume, ino: number, raw: Buffer, off: number): void {
  const addr = readSlot(raw, off);
  if (addr === NULL_ADDR) return;
  if (addr !== NEW_ADDR && addr !== COMPRESS_ADDR) vol.sm.invalidate(vol.check.mainBlkaddr(addr, `slot of inode ${ino}`));
  writeSlot(raw, off, NULL_ADDR);
  // A compressed cluster's COMPRESS_ADDR is a charged block, unless the saved blocks were released (i_compr_blocks 0).
  if (addr === COMPRESS_ADDR && !iComprBlocks.get(vol.nm.readNode(ino).raw, I_ADDR_OFFSET)) return;
  vol.counts.blocks--;
  chargeInode(vol, ino, -1);
}

/** f2fs_truncate_inode_blocks: frees every data block and node of the file at or after block `from`. */
export function truncateBlocks(vol: Volume, info: InodeInfo, from: number): void {
  const ino = info.ino;
  const dirty = (nid: number): TreeNode => ({ raw: vol.nm.nodeForUpdate(nid) });
  walkNodeTree(info, dirty(ino), from, Number.MAX_SAFE_INTEGER, {
    node: (nid, span) => {
      readChild(vol.nm, vol.check, ino, nid, span);
      return dirty(nid);
    },
    slot: (_bidx, _addr, holder, _k, off) => freeSlot(vol, ino, holder.raw, off),
    // A node whose whole subtree lies past `from` goes, and its parent forgets it.
    leave: (nid, span, _page, parent, ptr) => {
      if (from > span.base) return;
      vol.nm.freeNode(nid, (a) => vol.sm.invalidate(a));
      vol.counts.nodes--;
      vol.counts.blocks--;
      chargeInode(vol, ino, -1);
      writeSlot(parent.raw, ptr, 0);
    },
  });
}

/** A child node reached from its parent must be this file's, at the offset its position implies. */
export function readChild(nm: Pick<NodeManager, 'readNode'>, check: Validator, ino: number, nid: number, span: NodeSpan): NodePage {
  const page = nm.readNode(check.nid(nid, `node of inode ${ino} at offset ${span.ofs}`), ino);
  if (page.ofs !== span.ofs) fail('CORRUPT', `node ${nid} has footer offset ${page.ofs}, expected ${span.ofs} from its position`);
  return page;
}

/** f2fs_truncate_hole for one block: frees file block `bidx` (its node stays). */
export function punchBlock(vol: Volume, info: InodeInfo, bidx: number): void {
  const dn = getDnode(vol, info, bidx, false);
  if (!dn) return;
  freeSlot(vol, info.ino, vol.nm.nodeForUpdate(dn.nid), dn.off);
}

/** A footer's cp_ver split as footerCpVer made it: the version (low half) and, with CRC_RECOVERY, the CP crc (high half). */
export function splitFooterCpVer(cpVer: bigint, ckptFlags: number): { version: bigint; crc: number | null } {
  if (!(ckptFlags & CpFlag.CRC_RECOVERY)) return { version: cpVer, crc: null };
  return { version: cpVer & 0xffffffffn, crc: Number(cpVer >> 32n) };
}

/** cp_ver a node footer carries: the CP version, with the CP crc in the high half when CRC_RECOVERY is on. */
export function footerCpVer(cp: { head: { checkpoint_ver: bigint; ckpt_flags: number }; crc: number }): bigint {
  const ver = cp.head.checkpoint_ver;
  return cp.head.ckpt_flags & CpFlag.CRC_RECOVERY ? (ver | (BigInt(cp.crc) << 32n)) & 0xffffffffffffffffn : ver;
}

/** The node log a block goes to (__get_segment_type_6): dnodes of files warm, of directories hot, indirect nodes cold. */
export function nodeLogOf(raw: Buffer): number {
  const flag = footerField.flag.get(raw, NODE_FOOTER_OFFSET);
  if (!isDnodeOfs(footerOfs(flag))) return 5; // CURSEG_COLD_NODE
  return flag & NodeFlag.COLD ? 4 : 3;
}

/**
 * Writes a dirty node out of place (f2fs_write_node_page): new block in its log, footer cp_ver and next_blkaddr set
 * (the roll-forward chain), inode checksum refreshed, the old block invalidated, the NAT updated.
 */
export function writeNode(vol: Volume, nid: number, marks = 0, tag = 'node'): number {
  const raw = vol.nm.dirtyNodes.get(nid);
  if (!raw) return fail('EINVAL', `node ${nid} is not dirty`);
  const footer = NodeFooter.view(raw, NODE_FOOTER_OFFSET); // edited in place
  const old = vol.nm.getNat(nid).block_addr;
  const type = nodeLogOf(raw);
  const blkaddr = vol.sm.allocate(type, { nid, version: 0, ofs_in_node: 0 });
  footer.flag = ((footer.flag & ~(NodeFlag.FSYNC | NodeFlag.DENT)) | marks) >>> 0;
  footer.cp_ver = footerCpVer(vol.cp);
  footer.next_blkaddr = vol.sm.nextBlkaddr(type);
  vol.nm.setChecksum(raw);
  // The dirty copy leaves the node manager here, so the device can keep it: a later edit copies it again (nodeForUpdate).
  vol.dev.adoptBlock(blkaddr, raw, tag);
  if (old !== NEW_ADDR && old !== NULL_ADDR) vol.sm.invalidate(old);
  vol.nm.setNodeAddr(nid, footer.ino, blkaddr);
  vol.nm.dirtyNodes.delete(nid);
  return blkaddr;
}

/** f2fs_need_dentry_mark: an inode created since the checkpoint whose block was never fsynced needs its dentry replayed. */
export const needDentryMark = (vol: Volume, ino: number) => vol.nm.newSinceCp.has(ino) && !vol.nm.fsyncedInodes.has(ino);

/**
 * f2fs_fsync_node_pages: writes the file's dirty dnodes (inode, direct and xattr nodes) into the warm-node log in nid
 * order with the FSYNC mark — on every one, or with `atomic` only on the last — and DENT on the inode block when needed.
 * Returns the addresses written.
 */
export function fsyncNodes(vol: Volume, ino: number, atomic: boolean): number[] {
  const nids = [...vol.nm.dirtyNodes]
    .filter(([, raw]) => {
      const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
      return f.ino === ino && isDnodeOfs(footerOfs(f.flag)) && (f.flag & NodeFlag.COLD) !== 0;
    })
    .map(([nid]) => nid)
    .sort((a, b) => a - b);
  const out: number[] = [];
  nids.forEach((nid, k) => {
    const last = k === nids.length - 1;
    const fsync = !atomic || last;
    // Atomic commits write the marked node with PREFLUSH|FUA: everything before it is durable first.
    if (atomic && last) vol.dev.flush('preflush');
    const dent = nid === ino && fsync && needDentryMark(vol, ino) ? NodeFlag.DENT : 0;
    out.push(writeNode(vol, nid, (fsync ? NodeFlag.FSYNC : 0) | dent, fsync ? 'node-fsync' : 'node'));
    if (nid === ino && fsync) vol.nm.fsyncedInodes.add(ino);
  });
  return out;
}
