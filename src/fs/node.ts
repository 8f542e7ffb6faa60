// Node manager: NAT lookups (journal over the current NAT copy), node block reads with footer checks, and the file block → node path.
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { ADDRS_PER_BLOCK, BLKSIZE, BLOCKS_PER_SEG, NAT_ENTRY_PER_BLOCK, NEW_ADDR, NIDS_PER_BLOCK, RESERVED_NODE_NUM } from './layout/constants.js';
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
} from './layout/node.js';
import { NatJournal } from './layout/summary.js';
import { bitMsb } from './layout/struct.js';
import type { Geometry } from './super.js';
import type { Validator } from './validate.js';

export interface NatLookup extends NatEntry {
  nid: number;
  source: 'journal' | 'block';
  natBlkaddr: number; // where the current copy of its NAT block lives
}

export interface NodePage {
  nid: number;
  blkaddr: number;
  footer: NodeFooter;
  ofs: number;
  raw: Buffer; // shared with the device cache: do not mutate
}

export class NodeManager {
  private readonly journal = new Map<number, NatEntry>();
  /** NAT entries changed since the last checkpoint; they override the journal and the NAT blocks. */
  readonly natDirty = new Map<number, NatEntry>();
  /** Node blocks changed in memory and not yet written to a log (the kernel's dirty node pages). */
  readonly dirtyNodes = new Map<number, Buffer>();
  /** Nids freed since the last checkpoint: the durable NAT still names them, so they are not reused before the next one. */
  private readonly freedSinceCp = new Set<number>();
  private nidHint: number;

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

  getNat(nid: number): NatLookup {
    this.check.nid(nid, 'NAT lookup');
    const k = Math.floor(nid / NAT_ENTRY_PER_BLOCK);
    const natBlkaddr = this.natBlockAddr(k);
    const d = this.natDirty.get(nid);
    if (d) return { ...d, nid, source: 'journal', natBlkaddr };
    const j = this.journal.get(nid);
    if (j) return { ...j, nid, source: 'journal', natBlkaddr };
    const e = NatEntry.decode(this.dev.readBlock(natBlkaddr), (nid % NAT_ENTRY_PER_BLOCK) * NatEntry.size);
    return { ...e, nid, source: 'block', natBlkaddr };
  }

  /** Reads node `nid` and checks its footer names it (and, for inodes, the checksum when enabled). */
  readNode(nid: number, expectIno?: number): NodePage {
    return during(`while reading node ${nid}`, () => {
      const ne = this.getNat(nid);
      if (ne.block_addr === 0) fail('CORRUPT', `node ${nid} is not allocated in the NAT`, { nid });
      const dirty = this.dirtyNodes.get(nid);
      const blkaddr = dirty ? ne.block_addr : this.check.mainBlkaddr(ne.block_addr, `NAT entry of node ${nid}`);
      const raw = dirty ?? this.dev.readBlock(blkaddr);
      const footer = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
      if (footer.nid !== nid) fail('CORRUPT', `node block at ${blkaddr} has footer nid ${footer.nid}, expected ${nid}`, { blkaddr });
      if (footer.ino !== ne.ino) fail('CORRUPT', `node block at ${blkaddr} has footer ino ${footer.ino}, NAT says ${ne.ino}`, { blkaddr });
      if (expectIno !== undefined && footer.ino !== expectIno) fail('CORRUPT', `node ${nid} belongs to inode ${footer.ino}, not ${expectIno}`);
      const ofs = footerOfs(footer.flag);
      if (nid === footer.ino && ofs !== 0) fail('CORRUPT', `inode block at ${blkaddr} has node offset ${ofs}`);
      return { nid, blkaddr, footer, ofs, raw };
    });
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
    const raw = Buffer.alloc(BLKSIZE);
    NodeFooter.encode({ nid, ino, flag: makeFooterFlag(ofs, cold ? NodeFlag.COLD : 0), cp_ver: 0n, next_blkaddr: 0 }, raw, NODE_FOOTER_OFFSET);
    this.dirtyNodes.set(nid, raw);
    this.natDirty.set(nid, { version: cur.version, ino, block_addr: NEW_ADDR });
    return raw;
  }

  /** The node's block as a mutable dirty copy (read from its log the first time). */
  nodeForUpdate(nid: number): Buffer {
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
    if (ne.block_addr !== NEW_ADDR && ne.block_addr !== 0) invalidate(ne.block_addr);
    this.dirtyNodes.delete(nid);
    const wasWritten = ne.block_addr !== NEW_ADDR;
    this.natDirty.set(nid, { version: wasWritten ? (ne.version + 1) & 0xff : ne.version, ino: ne.ino, block_addr: 0 });
    this.freedSinceCp.add(nid);
  }

  /** Records where a node now lives (after its block was written). */
  setNodeAddr(nid: number, ino: number, blkaddr: number): void {
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
  return fail('EINVAL', `file block ${block} is beyond the largest file`);
}

/** Number of file blocks addressable through an inode with `addrsPerInode` slots. */
export const maxFileBlocks = (addrsPerInode: number) =>
  addrsPerInode + 2 * ADDRS_PER_BLOCK + 2 * ADDRS_PER_BLOCK * NIDS_PER_BLOCK + ADDRS_PER_BLOCK * NIDS_PER_BLOCK * NIDS_PER_BLOCK;

