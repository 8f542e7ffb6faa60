// Node manager: NAT lookups (journal over the current NAT copy), node block reads with footer checks, and the file block → node path.
import type { BlockDevice } from '../device/types.js';
import { fail, withContext } from '../errors.js';
import { ADDRS_PER_BLOCK, BLKSIZE, BLOCKS_PER_SEG, NAT_ENTRY_PER_BLOCK, NEW_ADDR, NIDS_PER_BLOCK, NULL_ADDR, RESERVED_NODE_NUM } from './layout/constants.js';
import { NatEntry } from './layout/nat.js';
import {
  DirectNode,
  I_ADDR_OFFSET,
  INODE_CHECKSUM_OFFSET,
  IndirectNode,
  InlineFlag,
  Inode,
  NODE_FOOTER_OFFSET,
  NodeFlag,
  NodeFooter,
  footerOfs,
  inodeChecksum,
  isDnodeOfs,
  isXattrOfs,
  makeFooterFlag,
  readSlot,
  slotOffset,
  writeSlot,
} from './layout/node.js';
import { NatJournal } from './layout/summary.js';
import { bitMsb } from './layout/struct.js';
import type { Geometry } from './super.js';
import type { Validator } from './validate.js';
import type { Volume } from './volume.js';
import type { InodeInfo } from './inode.js';
import type { DnodeSlot } from './data.js';

const footerField = { nid: NodeFooter.field('nid'), ino: NodeFooter.field('ino'), flag: NodeFooter.field('flag') };

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
    private readonly natBitmap: Buffer,
    natJournal: NatJournal,
    private readonly inodeCsumSeed: number | null,
    nextFreeNid: number,
  ) {
    this.nidHint = nextFreeNid;
    this.check.range(natJournal.n_nats, 0, natJournal.entries.length, 'NAT journal entry count');
    for (const e of natJournal.entries.slice(0, natJournal.n_nats)) this.journal.set(e.nid, e.ne);
  }

  /** Address of the current copy of logical NAT block `k` (current_nat_addr). */
  natBlockAddr(k: number): number {
    const copy0 = this.geo.natBlkaddr + 2 * BLOCKS_PER_SEG * Math.floor(k / BLOCKS_PER_SEG) + (k % BLOCKS_PER_SEG);
    return bitMsb.test(this.natBitmap, k) ? copy0 + BLOCKS_PER_SEG : copy0;
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
    return inodeChecksum(this.inodeCsumSeed, page.raw) === page.raw.readUInt32LE(INODE_CHECKSUM_OFFSET);
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

  /** The node's block as a mutable dirty copy (read from its log the first time). */
  nodeForUpdate(nid: number): Buffer {
    this.bump(nid);
    let raw = this.dirtyNodes.get(nid);
    if (!raw) {
      raw = Buffer.from(this.readNode(nid).raw);
      this.dirtyNodes.set(nid, raw);
    }
    return raw;
  }

  /** Frees a node: its block is invalidated by the caller's segment manager, the NAT entry cleared with the version bumped. */
  freeNode(nid: number, invalidate: (blkaddr: number) => void): void {
    const ne = this.getNat(nid);
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
    const inline = raw[Inode.offsets.i_inline];
    if (!(inline & InlineFlag.EXTRA_ATTR) || raw.readUInt16LE(I_ADDR_OFFSET) < 12) return;
    raw.writeUInt32LE(inodeChecksum(this.inodeCsumSeed, raw), INODE_CHECKSUM_OFFSET);
  }

  /** At checkpoint: the dirty NAT set is handed over (and forgotten after the CP); freed nids become reusable. */
  checkpointDone(journal: Map<number, NatEntry>, natBitmap: Buffer, nextFreeNid: number): void {
    this.journal.clear();
    for (const [k, v] of journal) this.journal.set(k, v);
    this.natDirty.clear();
    this.freedSinceCp.clear();
    this.newSinceCp.clear();
    this.fsyncedInodes.clear();
    natBitmap.copy(this.natBitmap);
    this.nidHint = nextFreeNid;
  }

  get nextFreeNid(): number {
    return this.nidHint;
  }
}

/** Decoded children of a non-inode node. */
export function nodeAddrs(page: NodePage): number[] {
  if (!isDnodeOfs(page.ofs) || isXattrOfs(page.ofs)) fail('CORRUPT', `node ${page.nid} (offset ${page.ofs}) is not a direct node`);
  return DirectNode.decode(page.raw).addr;
}
export function nodeNids(page: NodePage): number[] {
  if (isDnodeOfs(page.ofs)) fail('CORRUPT', `node ${page.nid} (offset ${page.ofs}) is not an indirect node`);
  return IndirectNode.decode(page.raw).nid;
}

export interface NodePath {
  level: 0 | 1 | 2 | 3;
  /** offset[0]: index into i_addr (level 0) or i_nid (0..4); then child indexes. */
  offset: number[];
  /** Expected footer offsets of the nodes along the path (noffset[0] = 0, the inode). */
  noffset: number[];
}

/** get_node_path: where file block `block` lives for a file whose inode holds `addrsPerInode` addresses. */
export function nodePath(block: number, addrsPerInode: number): NodePath {
  const B = ADDRS_PER_BLOCK;
  const N = NIDS_PER_BLOCK;
  const indirect = B * N;
  if (block < addrsPerInode) return { level: 0, offset: [block], noffset: [0] };
  block -= addrsPerInode;
  if (block < B) return { level: 1, offset: [0, block], noffset: [0, 1] };
  block -= B;
  if (block < B) return { level: 1, offset: [1, block], noffset: [0, 2] };
  block -= B;
  if (block < indirect) {
    const c = Math.floor(block / B);
    return { level: 2, offset: [2, c, block % B], noffset: [0, 3, 4 + c] };
  }
  block -= indirect;
  if (block < indirect) {
    const c = Math.floor(block / B);
    return { level: 2, offset: [3, c, block % B], noffset: [0, 4 + N, 5 + N + c] };
  }
  block -= indirect;
  if (block < indirect * N) {
    const x = Math.floor(block / indirect);
    const y = Math.floor(block / B) % N;
    return { level: 3, offset: [4, x, y, block % B], noffset: [0, 5 + 2 * N, 6 + 2 * N + x * (N + 1), 7 + 2 * N + x * (N + 1) + y] };
  }
  // Callers check user-given indexes first (EINVAL): one reaching here came from disk.
  return fail('CORRUPT', `file block ${block} is beyond the largest file`);
}

/** Number of file blocks addressable through an inode with `addrsPerInode` slots. */
export const maxFileBlocks = (addrsPerInode: number) =>
  addrsPerInode + 2 * ADDRS_PER_BLOCK + 2 * ADDRS_PER_BLOCK * NIDS_PER_BLOCK + ADDRS_PER_BLOCK * NIDS_PER_BLOCK * NIDS_PER_BLOCK;


/* ---- write side over a whole volume: dnode lookup with allocation, node charging, truncation ---- */

const iBlocks = Inode.field('i_blocks');

/** Adds `delta` to an inode's i_blocks in its dirty block. */
export function chargeInode(vol: Volume, ino: number, delta: number): void {
  const raw = vol.nm.nodeForUpdate(ino);
  iBlocks.set(raw, iBlocks.get(raw) + delta);
}

/**
 * f2fs_get_dnode_of_data: the slot of file block `bidx`. With `alloc`, missing direct/indirect nodes are created
 * (charged to the inode and the volume); without, a missing node gives null (a hole).
 */
export function getDnode(vol: Volume, info: InodeInfo, bidx: number, alloc: boolean): DnodeSlot | null {
  const ino = info.ino;
  const path = nodePath(bidx, info.addrsPerInode);
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
  if (addr !== NEW_ADDR) vol.sm.invalidate(vol.check.mainBlkaddr(addr, `slot of inode ${ino}`));
  writeSlot(raw, off, NULL_ADDR);
  vol.counts.blocks--;
  chargeInode(vol, ino, -1);
}

/** Frees node `nid` and its whole subtree (`depth` 0 = direct, 1 = indirect, 2 = double indirect). */
function freeSubtree(vol: Volume, ino: number, nid: number, depth: number): void {
  const raw = vol.nm.nodeForUpdate(nid);
  for (let i = 0; i < (depth === 0 ? ADDRS_PER_BLOCK : NIDS_PER_BLOCK); i++) {
    const v = readSlot(raw, slotOffset.node(i));
    if (!v) continue;
    if (depth === 0) freeSlot(vol, ino, raw, slotOffset.node(i));
    else freeSubtree(vol, ino, vol.check.nid(v, `node ${nid} child`), depth - 1);
  }
  vol.nm.freeNode(nid, (a) => vol.sm.invalidate(a));
  vol.counts.nodes--;
  vol.counts.blocks--;
  chargeInode(vol, ino, -1);
}

/** Frees the part of node `nid`'s subtree covering file blocks >= `from` (the subtree starts at `base`). */
function truncateNode(vol: Volume, ino: number, nid: number, depth: number, base: number, from: number): void {
  if (from <= base) {
    freeSubtree(vol, ino, nid, depth);
    return;
  }
  const raw = vol.nm.nodeForUpdate(nid);
  if (depth === 0) {
    for (let i = from - base; i < ADDRS_PER_BLOCK; i++) freeSlot(vol, ino, raw, slotOffset.node(i));
    return;
  }
  const span = depth === 1 ? ADDRS_PER_BLOCK : ADDRS_PER_BLOCK * NIDS_PER_BLOCK;
  for (let c = Math.floor((from - base) / span); c < NIDS_PER_BLOCK; c++) {
    const child = readSlot(raw, slotOffset.node(c));
    if (!child) continue;
    const childBase = base + c * span;
    truncateNode(vol, ino, vol.check.nid(child, `node ${nid} child`), depth - 1, childBase, from);
    if (from <= childBase) writeSlot(vol.nm.nodeForUpdate(nid), slotOffset.node(c), 0);
  }
}

/** f2fs_truncate_inode_blocks: frees every data block and node of the file at or after block `from`. */
export function truncateBlocks(vol: Volume, info: InodeInfo, from: number): void {
  const ino = info.ino;
  const A = info.addrsPerInode;
  const iraw = vol.nm.nodeForUpdate(ino);
  for (let i = from; i < A; i++) freeSlot(vol, ino, iraw, slotOffset.inodeAddr(info.extraWords, i));
  const B = ADDRS_PER_BLOCK;
  const N = NIDS_PER_BLOCK;
  const kids: [number, number][] = [
    [A, 0],
    [A + B, 0],
    [A + 2 * B, 1],
    [A + 2 * B + B * N, 1],
    [A + 2 * B + 2 * B * N, 2],
  ];
  kids.forEach(([base, depth], k) => {
    const nid = readSlot(iraw, slotOffset.inodeNid(k));
    if (!nid) return;
    truncateNode(vol, ino, vol.check.nid(nid, `inode ${ino} i_nid[${k}]`), depth, base, from);
    if (from <= base) writeSlot(vol.nm.nodeForUpdate(ino), slotOffset.inodeNid(k), 0);
  });
}

/** f2fs_truncate_hole for one block: frees file block `bidx` (its node stays). */
export function punchBlock(vol: Volume, info: InodeInfo, bidx: number): void {
  const dn = getDnode(vol, info, bidx, false);
  if (!dn) return;
  freeSlot(vol, info.ino, vol.nm.nodeForUpdate(dn.nid), dn.off);
}

/** cp_ver a node footer carries: the CP version, with the CP crc in the high half when CRC_RECOVERY is on. */
export function footerCpVer(cp: { head: { checkpoint_ver: bigint; ckpt_flags: number }; crc: number }): bigint {
  const ver = cp.head.checkpoint_ver;
  return cp.head.ckpt_flags & 0x40 ? (ver | (BigInt(cp.crc) << 32n)) & 0xffffffffffffffffn : ver;
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
