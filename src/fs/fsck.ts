// fsck: a read-only consistency check of an opened Volume, following the rules of fsck.f2fs 1.15 (format doc §21).
//
// One pass over the metadata (SIT, NAT, current segments, nat_bits) builds three bitmaps as fsck.f2fs does:
// the SIT valid map (one bit per main block), the set of allocated nids, and an empty "referenced" map. A
// traversal from the quota inodes, the orphan list and the root then claims every node and data block the tree
// references, checking each against the NAT, its node footer, its SSA entry and the SIT as it goes. Whatever is
// left over (allocated nids never reached, SIT bits never referenced) and the global counts are compared at the end.
//
// Bad data never throws: every check turns into a finding, and a structure that cannot be read at all becomes a
// finding for that object only. Memory stays bounded: the bitmaps, per-segment arrays, a small summary cache, the
// pending-directory stack (ino, parent, path) and a map of the multiply linked files; no decoded tree is kept.
import { F2fsError } from '../errors.js';
import {
  ADDRS_PER_BLOCK,
  BLOCKS_PER_SEG,
  COMPRESS_ADDR,
  CUR_SEG_TYPES,
  CURSEG_NAMES,
  MAX_DIR_HASH_DEPTH,
  MAX_INLINE_XATTR_SIZE_WORDS,
  MAX_NAME_LEN,
  NAT_ENTRY_PER_BLOCK,
  NEW_ADDR,
  NIDS_PER_BLOCK,
  NULL_ADDR,
  SIT_ENTRY_PER_BLOCK,
  SLOT_LEN,
  XATTR_NODE_OFFSET,
  isNodeSegType,
} from './layout/constants.js';
import { CpFlag, type CheckpointHead } from './layout/checkpoint.js';
import { FileType, blockArea, fileTypeOfMode, slotsFor, type DentryArea } from './layout/dentry.js';
import { dentryHash } from './layout/hash.js';
import { NatEntry } from './layout/nat.js';
import { InlineFlag, NODE_DIND_OFS, NODE_FOOTER_OFFSET, NODE_IND1_OFS, NODE_IND2_OFS } from './layout/node.js';
import { SitEntry, sitType, sitValidBlocks } from './layout/sit.js';
import { bitLsb, bitMsb, popcount } from './layout/struct.js';
import { SUM_TYPE_DATA, SUM_TYPE_NODE, type SummaryBlock } from './layout/summary.js';
import { Feature, type Superblock } from './layout/superblock.js';
import { bucketBlocks, dirBlockIndex, dirBuckets, inlineArea } from './dir.js';
import { gcFailures, inodeAddr, inodeNid, isDir, type InodeInfo } from './inode.js';
import { dumpNat } from './inspect.js';
import { ALLOC_SSR } from './segment.js';
import { Volume } from './volume.js';
import { trimOldest } from '../util/bounded-map.js';

/** Every finding code this checker can report. */
export type FsckCode =
  // the image could not be mounted at all (fsckImage only)
  | 'MOUNT_FAILED'
  // an unexpected error stopped part of the check
  | 'CHECK_ABORTED'
  // metadata tables
  | 'SIT_ENTRY_CORRUPT' // vblocks disagrees with the valid map, > 512, or type >= 6
  | 'NAT_ENTRY_CORRUPT' // nid 0 in use, nid 1/2 not {blk 1}, allocated entry with ino 0
  | 'NAT_BITS_MISMATCH' // full/empty nat_bits disagree with a NAT block
  | 'CURSEG_TYPE' // SIT type or summary footer of a current segment is not its log's
  | 'CURSEG_NEXT_NOT_FREE' // next_blkoff (or, in LFS, a later block) of a current segment is valid
  | 'SEG_TYPE_MISMATCH' // a node block in a data segment or vice versa (SIT type class)
  | 'SSA_MISMATCH' // summary entry (nid/version/ofs_in_node) or summary footer type wrong
  // block accounting
  | 'BLOCK_NOT_IN_SIT' // a referenced block whose SIT valid bit is clear
  | 'SIT_BLOCK_UNREFERENCED' // a SIT valid bit no node or file references
  | 'DUPLICATE_BLOCK' // a data block referenced twice
  | 'BLKADDR_INVALID' // address outside the main area (or NEW_ADDR/COMPRESS_ADDR where not allowed)
  | 'VALID_BLOCK_COUNT'
  | 'VALID_NODE_COUNT'
  | 'NAT_ENTRY_COUNT' // allocated NAT entries vs CP valid_node_count
  | 'SIT_NODE_COUNT' // valid blocks of node segments vs CP valid_node_count
  | 'VALID_INODE_COUNT'
  | 'FREE_SEGMENT_COUNT'
  // nodes
  | 'NID_INVALID' // a referenced nid out of range or reserved
  | 'NODE_NOT_ALLOCATED' // a referenced nid that is free in the NAT
  | 'NODE_FOOTER_MISMATCH' // footer nid/ino disagree with the NAT or with the owning inode
  | 'NODE_TYPE_MISMATCH' // inode where a non-inode was expected or the reverse, xattr node with wrong ofs
  | 'NODE_OFFSET_MISMATCH' // footer ofs disagrees with the node's place in the tree
  | 'NODE_DUPLICATE' // a directory, xattr, direct or indirect node reached twice
  | 'NAT_UNREACHABLE' // allocated nid reached from nowhere
  // inodes
  | 'INODE_CORRUPT' // the inode block cannot be decoded (extra size, inline xattr size, ...)
  | 'INODE_MODE_INVALID'
  | 'INODE_CHECKSUM'
  | 'EXTRA_ATTR' // EXTRA_ATTR flag without the feature
  | 'INLINE_XATTR_SIZE'
  | 'INLINE_DATA' // reserved slot nonzero, i_size too large, data without DATA_EXIST
  | 'INLINE_DENTRY' // reserved slot nonzero
  | 'EXTENT_MISMATCH'
  | 'I_BLOCKS'
  | 'I_LINKS'
  | 'I_NAMELEN'
  | 'ORPHAN_LINKS' // an orphan inode with i_links != 0
  | 'ORPHAN_LIST' // orphan blocks unreadable
  | 'SYMLINK_SIZE'
  | 'XATTR_CORRUPT'
  | 'GC_FAILURES' // warning: regular file with nonzero i_gc_failures
  | 'SUPERBLOCK_COPY' // warning: one superblock copy is invalid (the kernel rewrites it from the other)
  // directories
  | 'FILE_TYPE_MISMATCH' // dentry file_type vs the inode's mode
  | 'DENTRY_FILE_TYPE' // file_type outside 1..7
  | 'DENTRY_NAME_LEN' // 0, > 255, or running past the area
  | 'DENTRY_HASH'
  | 'DENTRY_POSITION' // entry not in the bucket its hash selects at its level
  | 'DOTS_WRONG' // '.'/'..' naming the wrong inode, or not NUL padded
  | 'DOTS_MISSING'
  | 'DOTS_DUPLICATE';

export interface FsckFinding {
  code: FsckCode;
  message: string;
  /** 'warning' findings do not make the report fail. */
  severity: 'error' | 'warning';
  ino?: number;
  nid?: number;
  blkaddr?: number;
  segno?: number;
  path?: string;
}

export interface FsckStats {
  inodes: number; // inode blocks reached
  nodes: number; // node blocks reached (inodes, direct, indirect, xattr)
  dataBlocks: number; // data blocks referenced (NEW_ADDR excluded)
  newAddrBlocks: number; // reserved (NEW_ADDR) slots
  dirs: number;
  files: number; // regular files
  symlinks: number;
  specials: number; // device, fifo, socket
  orphans: number;
  quotaFiles: number;
  dentries: number; // entries checked, '.'/'..' excluded
  natEntries: number; // allocated NAT entries (nids 1 and 2 excluded)
  sitValidBlocks: number;
  freeSegments: number;
  /** Whether nat_bits were compared (NAT_BITS set, header current, NAT journal empty). */
  natBitsChecked: boolean;
}

export interface FsckReport {
  ok: boolean;
  findings: FsckFinding[];
  /** Findings beyond `maxFindings` that were counted but not kept. */
  truncated: number;
  /** How many findings of each code were seen (kept or not). */
  counts: Partial<Record<FsckCode, number>>;
  stats: FsckStats;
  ms: number;
}

export interface FsckOptions {
  progress?: (done: number, total: number) => void;
  /** Findings kept in the report (default 1000); the rest are only counted. */
  maxFindings?: number;
}

type Where = Omit<FsckFinding, 'code' | 'message' | 'severity'>;
type NodeKind = 'inode' | 'direct' | 'indirect' | 'dind' | 'xattr';

interface NodeRef {
  nid: number;
  blkaddr: number;
  raw: Buffer;
  version: number; // NAT version: what the SSA entries of this node's data blocks must carry
  again: boolean; // an inode already claimed (a further hard link)
}

interface DirState {
  ino: number;
  pino: number;
  parent: number;
  dirLevel: number;
  path: string;
  links: number; // 2 + subdirectories found
  dots: number;
}

/** What one file's traversal accumulates: its block count for i_blocks and the largest-extent check. */
interface FileState {
  ino: number;
  path: string;
  blocks: number;
  dir: DirState | null; // data blocks are dentry blocks
  ext: ExtentCheck;
}

interface PendingDir {
  ino: number;
  parent: number;
  path: string;
}

const FOOTER = NODE_FOOTER_OFFSET;
const B = ADDRS_PER_BLOCK;
const N = NIDS_PER_BLOCK;
const SYMLINK_MAX = 4095; // the kernel refuses targets of a block or more
const SUMMARY_CACHE = 64;

/** check_extent_info: the inode's largest extent must map exactly what the tree maps, or have len 0. */
class ExtentCheck {
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

/** __get_current_level: the hash level a directory block index belongs to. */
function levelOfBlock(dirLevel: number, pgofs: number): number {
  let bidx = 0;
  let level = 0;
  for (; level < MAX_DIR_HASH_DEPTH; level++) {
    bidx += dirBuckets(level, dirLevel) * bucketBlocks(level);
    if (bidx > pgofs) break;
  }
  return level;
}

const isBadData = (e: unknown) => e instanceof F2fsError || e instanceof RangeError;
const errText = (e: unknown) => (e instanceof F2fsError ? e.describe() : (e as Error).message);

class FsckRun {
  private readonly sb: Superblock;
  private readonly head: CheckpointHead;
  private readonly mainBlkaddr: number;
  private readonly mainEnd: number;
  private readonly mainSegs: number;
  private readonly maxNid: number;
  private readonly maxFindings: number;

  readonly findings: FsckFinding[] = [];
  readonly counts: Partial<Record<FsckCode, number>> = {};
  truncated = 0;
  errors = 0;
  readonly stats: FsckStats = emptyStats();

  /** SIT valid maps of all main segments, MSB-first like the SIT itself. */
  private readonly sitMap: Buffer;
  /** Blocks the tree references (fsck.f2fs main_area_bitmap). */
  private readonly mainMap: Buffer;
  private readonly segType: Uint8Array;
  private readonly segTypeReported: Uint8Array;
  /** Allocated nids not reached yet (fsck.f2fs nat_area_bitmap). */
  private readonly natLive: Buffer;
  private readonly isCurseg: Uint8Array;
  private readonly summaries = new Map<number, SummaryBlock | null>();
  private readonly hardLinks = new Map<number, { links: number; found: number; path: string }>();
  private readonly pending: PendingDir[] = [];

  // counters as fsck.f2fs keeps them (fsck->chk)
  private validBlocks = 0; // nodes + data + NEW_ADDR slots
  private natNodeCount = 0; // NAT entries with block_addr != 0
  private sitNodeBlocks = 0;
  private progressTick = 0;

  constructor(
    private readonly vol: Volume,
    private readonly opts: FsckOptions,
  ) {
    this.sb = vol.sb;
    this.head = vol.cp.head;
    this.mainBlkaddr = vol.geo.mainBlkaddr;
    this.mainEnd = vol.geo.mainEnd;
    this.mainSegs = vol.geo.mainSegments;
    this.maxNid = vol.geo.maxNid;
    this.maxFindings = opts.maxFindings ?? 1000;
    this.sitMap = Buffer.alloc(this.mainSegs * (BLOCKS_PER_SEG / 8));
    this.mainMap = Buffer.alloc(this.mainSegs * (BLOCKS_PER_SEG / 8));
    this.segType = new Uint8Array(this.mainSegs);
    this.segTypeReported = new Uint8Array(this.mainSegs);
    this.isCurseg = new Uint8Array(this.mainSegs);
    this.natLive = Buffer.alloc(Math.ceil(this.maxNid / 8));
    for (const c of vol.sm.cursegs) if (c.segno < this.mainSegs) this.isCurseg[c.segno] = 1;
  }

  add(code: FsckCode, message: string, where: Where = {}, severity: 'error' | 'warning' = 'error'): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (severity === 'error') this.errors++;
    if (this.findings.length >= this.maxFindings) {
      this.truncated++;
      return;
    }
    const f: FsckFinding = { code, message, severity };
    for (const [k, v] of Object.entries(where)) if (v !== undefined) (f as unknown as Record<string, unknown>)[k] = v;
    this.findings.push(f);
  }

  /** Runs `fn`; bad on-disk data it trips over becomes one finding instead of an exception. */
  private guard(code: FsckCode, what: string, where: Where, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add(code, `${what}: ${errText(e)}`, where);
    }
  }

  run(): void {
    for (const why of this.vol.sbChoice.problems) this.add('SUPERBLOCK_COPY', why, {}, 'warning');
    this.scanSit();
    this.checkCursegs();
    this.scanNat();
    const total = () => Math.max(this.head.valid_node_count, this.stats.nodes);
    // fsck.f2fs order: quota inodes, orphans, then the tree from the root.
    this.sb.qf_ino.forEach((qino, type) => {
      if (!qino) return;
      this.stats.quotaFiles++;
      const path = `<quota ${['user', 'group', 'project'][type]}>`;
      const ref = this.claim(qino, 'inode', { path });
      if (ref && !ref.again) this.processInode(ref, 'quota', { path });
    });
    this.checkOrphans();
    const root = this.sb.root_ino;
    const rootRef = this.claim(root, 'inode', { path: '/' });
    if (rootRef) {
      this.stats.dirs++;
      this.processInode(rootRef, 'dir', { path: '/', parent: root });
    }
    while (this.pending.length) {
      const d = this.pending.pop()!;
      // Claimed when its entry was seen; only the NAT version is needed again (for its data blocks' SSA entries).
      this.guard('CHECK_ABORTED', `directory ${d.ino}`, { ino: d.ino, path: d.path }, () => {
        const ne = this.vol.nm.getNat(d.ino);
        this.processInode({ nid: d.ino, blkaddr: ne.block_addr, raw: this.vol.dev.readBlock(ne.block_addr), version: ne.version, again: false }, 'dir', { path: d.path, parent: d.parent });
      });
    }
    this.opts.progress?.(this.stats.nodes, total());
    this.finish();
  }

  /* ---- metadata tables ---- */

  /** The SIT entry of `segno` as its current SIT block holds it (the journal may override it). */
  private sitBlockEntry(segno: number): SitEntry {
    const block = this.vol.dev.readBlock(this.vol.sm.sitBlockAddr(Math.floor(segno / SIT_ENTRY_PER_BLOCK)));
    return SitEntry.decode(block, (segno % SIT_ENTRY_PER_BLOCK) * SitEntry.size);
  }

  /** build_sit_area_bitmap + check_block_count: every SIT entry (journal over blocks) into the SIT map. */
  private scanSit(): void {
    const journal = new Map(this.vol.sm.sitJournalEntries());
    for (let segno = 0; segno < this.mainSegs; segno++) {
      let se: SitEntry;
      try {
        se = this.vol.sm.getSit(segno);
      } catch (e) {
        if (!isBadData(e)) throw e;
        this.add('SIT_ENTRY_CORRUPT', errText(e), { segno });
        try {
          se = journal.get(segno) ?? this.sitBlockEntry(segno);
        } catch (e2) {
          if (!isBadData(e2)) throw e2;
          continue;
        }
      }
      se.valid_map.copy(this.sitMap, segno * (BLOCKS_PER_SEG / 8));
      const valid = sitValidBlocks(se.vblocks);
      const type = sitType(se.vblocks);
      this.segType[segno] = type;
      if (valid === 0 && !this.isCurseg[segno]) this.stats.freeSegments++;
      if (isNodeSegType(type)) this.sitNodeBlocks += valid;
      this.stats.sitValidBlocks += valid;
    }
    // The kernel (build_sit_entries) and fsck.f2fs check the block copy of a journaled entry too, before the journal
    // replaces it: a bad one there refuses the mount although it is never used.
    for (const segno of journal.keys()) {
      if (segno >= this.mainSegs) continue;
      this.guard('SIT_ENTRY_CORRUPT', `SIT block entry of segment ${segno}`, { segno }, () => {
        const se = this.sitBlockEntry(segno);
        const valid = sitValidBlocks(se.vblocks);
        const bits = popcount(se.valid_map);
        if (valid > BLOCKS_PER_SEG || bits !== valid || sitType(se.vblocks) >= CUR_SEG_TYPES)
          this.add('SIT_ENTRY_CORRUPT', `SIT block entry of segment ${segno} (shadowed by the SIT journal) is inconsistent: vblocks 0x${se.vblocks.toString(16)}, ${bits} bits set`, { segno });
      });
    }
  }

  /** fsck_chk_curseg_info and check_curseg_offsets. */
  private checkCursegs(): void {
    for (const c of this.vol.sm.cursegs) {
      const name = CURSEG_NAMES[c.type];
      const where = { segno: c.segno };
      if (this.segType[c.segno] !== c.type)
        this.add('CURSEG_TYPE', `current ${name} segment ${c.segno} has SIT type ${CURSEG_NAMES[this.segType[c.segno]] ?? this.segType[c.segno]}`, where);
      this.guard('CURSEG_TYPE', `summary of the current ${name} segment`, where, () => {
        const want = isNodeSegType(c.type) ? SUM_TYPE_NODE : SUM_TYPE_DATA;
        const got = this.vol.sm.cursegSummary(c.type).footer.entry_type;
        if (got !== want) this.add('CURSEG_TYPE', `summary of the current ${name} segment ${c.segno} has entry type ${got}, expected ${want}`, where);
      });
      const base = c.segno * BLOCKS_PER_SEG;
      const last = c.allocType === ALLOC_SSR ? c.blkoff : BLOCKS_PER_SEG - 1;
      for (let off = c.blkoff; off <= last; off++) {
        if (!bitMsb.test(this.sitMap, base + off)) continue;
        const rest = c.allocType === ALLOC_SSR ? '' : ' (an LFS log must be free from there on)';
        this.add('CURSEG_NEXT_NOT_FREE', `current ${name} segment ${c.segno}: block ${off} is valid, next_blkoff is ${c.blkoff}${rest}`, { ...where, blkaddr: this.mainBlkaddr + base + off });
        break;
      }
    }
  }

  /** build_nat_area_bitmap (+ check_nat_bits): every allocated nid into the live set. */
  private scanNat(): void {
    const nm = this.vol.nm;
    // build_nat_area_bitmap looks at the NAT blocks before the journal: nid 0 free, nids 1 and 2 at block 1,
    // no allocated entry with ino 0 (journaled entries are checked again below, as the journal holds them).
    const rawEntry = (nid: number) => NatEntry.decode(this.vol.dev.readBlock(nm.natBlockAddr(Math.floor(nid / NAT_ENTRY_PER_BLOCK))), (nid % NAT_ENTRY_PER_BLOCK) * NatEntry.size);
    this.guard('NAT_ENTRY_CORRUPT', 'NAT entry of nid 0', { nid: 0 }, () => {
      const e0 = rawEntry(0);
      if (e0.block_addr !== NULL_ADDR) this.add('NAT_ENTRY_CORRUPT', `nid 0 must be free, its NAT entry holds block ${e0.block_addr}`, { nid: 0 });
    });
    for (const nid of [this.sb.node_ino, this.sb.meta_ino]) {
      this.guard('NAT_ENTRY_CORRUPT', `NAT entry of nid ${nid}`, { nid }, () => {
        const e = rawEntry(nid);
        if (e.block_addr !== 1) this.add('NAT_ENTRY_CORRUPT', `reserved nid ${nid} must have block_addr 1, has ${e.block_addr}`, { nid });
      });
    }
    for (const [nid] of nm.journalEntries()) {
      if (nid >= this.maxNid) continue;
      this.guard('NAT_ENTRY_CORRUPT', `NAT block entry of nid ${nid}`, { nid }, () => {
        const e = rawEntry(nid);
        if (e.block_addr !== NULL_ADDR && e.ino === 0)
          this.add('NAT_ENTRY_CORRUPT', `NAT block entry of nid ${nid} (shadowed by the NAT journal) points at block ${e.block_addr} with ino 0`, { nid });
      });
    }
    const natBits = this.loadNatBits();
    const blocks = this.vol.geo.natBlocks;
    const journaled = new Set(nm.journalEntries().map(([nid]) => Math.floor(nid / NAT_ENTRY_PER_BLOCK)));
    const zero = Buffer.alloc(4096);
    for (let k = 0; k < blocks; k++) {
      this.guard('NAT_ENTRY_CORRUPT', `NAT block ${k}`, {}, () => {
        // Most of a NAT is empty blocks: skip decoding those (dumpNat decodes every entry).
        const blank = k > 0 && !journaled.has(k) && this.vol.dev.readBlock(nm.natBlockAddr(k)).equals(zero);
        const entries = blank ? [] : dumpNat(this.vol, k * NAT_ENTRY_PER_BLOCK, (k + 1) * NAT_ENTRY_PER_BLOCK - 1);
        let used = k === 0 ? 1 : 0; // nid 0 always counts as used
        for (const e of entries) {
          if (e.source === 'block') used++;
          if (e.nid === this.sb.node_ino || e.nid === this.sb.meta_ino) continue;
          this.natNodeCount++;
          if (e.ino === 0) this.add('NAT_ENTRY_CORRUPT', `nid ${e.nid} points at block ${e.blkaddr} but has ino 0`, { nid: e.nid, blkaddr: e.blkaddr });
          bitMsb.set(this.natLive, e.nid);
        }
        if (!natBits) return;
        const full = bitLsb.test(natBits.full, k);
        const empty = bitLsb.test(natBits.empty, k);
        const want = used === 0 ? 'empty' : used === NAT_ENTRY_PER_BLOCK ? 'full' : 'partial';
        const got = full && empty ? 'full+empty' : full ? 'full' : empty ? 'empty' : 'partial';
        if (want !== got) this.add('NAT_BITS_MISMATCH', `nat_bits mark NAT block ${k} ${got}, it has ${used} of ${NAT_ENTRY_PER_BLOCK} entries in use`, { blkaddr: natBits.blkaddr });
      });
    }
    this.stats.natEntries = this.natNodeCount;
  }

  /** The nat_bits of the current pack, when they are meant to be trusted (header current, NAT journal empty). */
  private loadNatBits(): { full: Buffer; empty: Buffer; blkaddr: number } | null {
    if (!(this.head.ckpt_flags & CpFlag.NAT_BITS)) return null;
    if (this.vol.nm.journalEntries().length) return null; // fsck.f2fs and the kernel ignore them then
    const bytes = this.sb.segment_count_nat << 5;
    const nblocks = Math.ceil((2 * bytes + 8) / 4096);
    const blkaddr = this.vol.cp.base + BLOCKS_PER_SEG - nblocks;
    try {
      const parts: Buffer[] = [];
      for (let i = 0; i < nblocks; i++) parts.push(this.vol.dev.readBlock(blkaddr + i));
      const buf = Buffer.concat(parts);
      const want = BigInt.asUintN(64, this.head.checkpoint_ver | (BigInt(this.vol.cp.crc) << 32n));
      if (buf.readBigUInt64LE(0) !== want) return null; // stale: the kernel disables nat_bits
      this.stats.natBitsChecked = true;
      return { full: buf.subarray(8, 8 + bytes), empty: buf.subarray(8 + bytes, 8 + 2 * bytes), blkaddr };
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('NAT_BITS_MISMATCH', `nat_bits unreadable: ${errText(e)}`, { blkaddr });
      return null;
    }
  }

  private checkOrphans(): void {
    let inos: number[] = [];
    try {
      inos = this.vol.orphans();
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('ORPHAN_LIST', errText(e));
      return;
    }
    for (const ino of inos) {
      this.stats.orphans++;
      const path = `<orphan ${ino}>`;
      const ref = this.claim(ino, 'inode', { path });
      if (!ref) continue;
      if (ref.again) {
        this.add('NODE_DUPLICATE', `orphan inode ${ino} is listed twice`, { ino, path });
        continue;
      }
      this.processInode(ref, 'orphan', { path });
    }
  }

  /* ---- blocks ---- */

  private idx(blkaddr: number): number {
    return blkaddr - this.mainBlkaddr;
  }

  private inMain(blkaddr: number): boolean {
    return blkaddr >= this.mainBlkaddr && blkaddr < this.mainEnd;
  }

  /** f2fs_set_main_bitmap: mark a referenced block, checking its segment's data/node class. */
  private mark(blkaddr: number, node: boolean, where: () => Where): void {
    const i = this.idx(blkaddr);
    const segno = Math.floor(i / BLOCKS_PER_SEG);
    const t = this.segType[segno];
    if (isNodeSegType(t) !== node && !this.segTypeReported[segno]) {
      this.segTypeReported[segno] = 1;
      this.add('SEG_TYPE_MISMATCH', `${node ? 'node' : 'data'} block ${blkaddr} lies in segment ${segno} of SIT type ${CURSEG_NAMES[t] ?? t}`, { ...where(), blkaddr, segno });
    }
    bitMsb.set(this.mainMap, i);
  }

  private lastSegno = -1;
  private lastSummary: SummaryBlock | null = null;

  private summary(segno: number): SummaryBlock | null {
    if (segno === this.lastSegno) return this.lastSummary;
    let s = this.summaries.get(segno);
    if (s !== undefined) {
      this.summaries.delete(segno);
      this.summaries.set(segno, s);
      this.lastSegno = segno;
      this.lastSummary = s;
      return s;
    }
    try {
      s = this.vol.sm.summaryOf(segno).sum;
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('SSA_MISMATCH', `summary of segment ${segno} unreadable: ${errText(e)}`, { segno });
      s = null;
    }
    this.summaries.set(segno, s);
    trimOldest(this.summaries, SUMMARY_CACHE);
    this.lastSegno = segno;
    this.lastSummary = s;
    return s;
  }

  /** is_valid_ssa_node_blk / is_valid_ssa_data_blk. */
  private checkSsa(blkaddr: number, node: boolean, nid: number, version: number, ofsInNode: number, where: () => Where): void {
    const i = this.idx(blkaddr);
    const segno = Math.floor(i / BLOCKS_PER_SEG);
    const sum = this.summary(segno);
    if (!sum) return;
    const kind = node ? 'node' : 'data';
    if (sum.footer.entry_type !== (node ? SUM_TYPE_NODE : SUM_TYPE_DATA)) {
      this.add('SSA_MISMATCH', `${kind} block ${blkaddr}: summary of segment ${segno} is not for a ${kind} segment`, { ...where(), blkaddr, segno });
      return;
    }
    const e = sum.entries[i % BLOCKS_PER_SEG];
    const ok = node ? e.nid === nid : e.nid === nid && e.version === version && e.ofs_in_node === ofsInNode;
    if (!ok) {
      const want = node ? `nid ${nid}` : `nid ${nid} version ${version} ofs ${ofsInNode}`;
      const got = node ? `nid ${e.nid}` : `nid ${e.nid} version ${e.version} ofs ${e.ofs_in_node}`;
      this.add('SSA_MISMATCH', `${kind} block ${blkaddr}: summary says ${got}, expected ${want}`, { ...where(), blkaddr, segno });
    }
  }

  private tick(): void {
    if (this.opts.progress && ++this.progressTick % 4096 === 0) this.opts.progress(this.stats.nodes, Math.max(this.head.valid_node_count, this.stats.nodes));
  }

  /**
   * sanity_check_nid: the node `nid` as a `kind` node of inode `where.ino` at node offset `ofs`. On success it is
   * claimed: marked referenced, counted, taken out of the live NAT set. An inode claimed before comes back with
   * `again` (a further hard link); any other node claimed before is a duplicate.
   */
  private claim(nid: number, kind: NodeKind, where: Where & { ofs?: number }): NodeRef | null {
    const { ofs: wantOfs, ...w } = where;
    const at = { ...w, nid, ino: w.ino ?? (kind === 'inode' ? nid : undefined) };
    const what = kind === 'inode' ? `inode ${nid}` : `${kind} node ${nid} of inode ${w.ino}`;
    if (!Number.isInteger(nid) || nid < 3 || nid >= this.maxNid) {
      this.add('NID_INVALID', `${what}: nid is out of range [3, ${this.maxNid})`, at);
      return null;
    }
    let ne;
    try {
      ne = this.vol.nm.getNat(nid);
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('NID_INVALID', `${what}: ${errText(e)}`, at);
      return null;
    }
    const blkaddr = ne.block_addr;
    if (blkaddr === NULL_ADDR || ne.ino === 0) {
      this.add('NODE_NOT_ALLOCATED', `${what} is not allocated in the NAT (ino ${ne.ino}, block ${blkaddr})`, at);
      return null;
    }
    if (blkaddr === NEW_ADDR || !this.inMain(blkaddr)) {
      this.add('BLKADDR_INVALID', `${what}: NAT block address ${blkaddr} is outside the main area`, { ...at, blkaddr });
      return null;
    }
    let raw: Buffer;
    try {
      raw = this.vol.dev.readBlock(blkaddr);
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('CHECK_ABORTED', `${what}: ${errText(e)}`, { ...at, blkaddr });
      return null;
    }
    const fNid = raw.readUInt32LE(FOOTER);
    const fIno = raw.readUInt32LE(FOOTER + 4);
    const ofs = raw.readUInt32LE(FOOTER + 8) >>> 3;
    const inSit = bitMsb.test(this.sitMap, this.idx(blkaddr));
    const claimed = bitMsb.test(this.mainMap, this.idx(blkaddr));
    const nodeAt = { ...at, blkaddr };
    let problem: [FsckCode, string] | null = null;
    if (fNid !== nid) problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} has footer nid ${fNid}`];
    else if (fIno !== ne.ino) problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} has footer ino ${fIno}, the NAT says ${ne.ino}`];
    else if (kind === 'inode' && fNid !== fIno) problem = ['NODE_TYPE_MISMATCH', `${what}: block ${blkaddr} is not an inode (footer ino ${fIno})`];
    else if (kind !== 'inode' && fNid === fIno) problem = ['NODE_TYPE_MISMATCH', `${what}: block ${blkaddr} is an inode`];
    else if (kind !== 'inode' && fIno !== w.ino) problem = ['NODE_FOOTER_MISMATCH', `${what}: block ${blkaddr} belongs to inode ${fIno}`];
    else if (kind === 'xattr' && ofs !== XATTR_NODE_OFFSET) problem = ['NODE_TYPE_MISMATCH', `${what}: footer offset ${ofs} is not the xattr node offset`];
    if (problem) {
      this.add(problem[0], problem[1], nodeAt);
      if (!inSit && !claimed) this.add('BLOCK_NOT_IN_SIT', `${what}: NAT points at block ${blkaddr}, which is free in the SIT`, nodeAt);
      return null;
    }
    if (claimed) {
      if (kind === 'inode') return { nid, blkaddr, raw, version: ne.version, again: true };
      this.add('NODE_DUPLICATE', `${what} (block ${blkaddr}) is referenced more than once`, nodeAt);
      return null;
    }
    const expectOfs = kind === 'inode' ? 0 : wantOfs;
    if (expectOfs !== undefined && ofs !== expectOfs) this.add('NODE_OFFSET_MISMATCH', `${what}: footer offset ${ofs}, its place in the tree gives ${expectOfs}`, nodeAt);
    if (!inSit) this.add('BLOCK_NOT_IN_SIT', `${what}: block ${blkaddr} is not valid in the SIT`, nodeAt);
    this.checkSsa(blkaddr, true, nid, 0, 0, () => at);
    bitMsb.clear(this.natLive, nid);
    this.mark(blkaddr, true, () => at);
    this.validBlocks++;
    this.stats.nodes++;
    if (kind === 'inode') this.stats.inodes++;
    this.tick();
    return { nid, blkaddr, raw, version: ne.version, again: false };
  }

  /** fsck_chk_data_blk: one non-NULL data slot at file block `pgofs`, held by node `parent` slot `ofsInNode`. */
  private dataSlot(addr: number, parent: NodeRef, ofsInNode: number, pgofs: number, fs: FileState): void {
    const where = (): Where => ({ ino: fs.ino, nid: parent.nid, path: fs.path, blkaddr: addr });
    if (addr === NEW_ADDR) {
      this.validBlocks++;
      fs.blocks++;
      this.stats.newAddrBlocks++;
      return;
    }
    if (addr === COMPRESS_ADDR || !this.inMain(addr)) {
      const why = addr === COMPRESS_ADDR ? 'COMPRESS_ADDR without compression' : 'outside the main area';
      this.add('BLKADDR_INVALID', `inode ${fs.ino} block ${pgofs} (node ${parent.nid} slot ${ofsInNode}): address ${addr} is ${why}`, where());
      return;
    }
    this.checkSsa(addr, false, parent.nid, parent.version, ofsInNode, where);
    const i = this.idx(addr);
    if (!bitMsb.test(this.sitMap, i)) this.add('BLOCK_NOT_IN_SIT', `inode ${fs.ino} block ${pgofs}: data block ${addr} is not valid in the SIT`, where());
    const dup = bitMsb.test(this.mainMap, i);
    if (dup) this.add('DUPLICATE_BLOCK', `inode ${fs.ino} block ${pgofs}: data block ${addr} is referenced more than once`, where());
    this.validBlocks++;
    fs.blocks++;
    this.stats.dataBlocks++;
    this.mark(addr, false, where);
    if (fs.dir && !dup) {
      const dir = fs.dir;
      this.guard('CHECK_ABORTED', `dentry block ${addr} of directory ${fs.ino}`, where(), () =>
        this.checkDentries(blockArea(this.vol.dev.readBlock(addr)), dir, pgofs, addr),
      );
    }
  }

  /* ---- trees ---- */

  /** Walks the inode's own slots, then its five node subtrees, with node offsets as get_node_path numbers them. */
  private walkTree(info: InodeInfo, self: NodeRef, fs: FileState): void {
    const A = info.addrsPerInode;
    for (let k = 0; k < A; k++) {
      const a = inodeAddr(info, k);
      if (fs.ext.active) fs.ext.slot(a, k);
      if (a !== NULL_ADDR) this.dataSlot(a, self, k, k, fs);
    }
    const spans: [NodeKind, number, number][] = [
      ['direct', 1, A],
      ['direct', 2, A + B],
      ['indirect', NODE_IND1_OFS, A + 2 * B],
      ['indirect', NODE_IND2_OFS, A + 2 * B + B * N],
      ['dind', NODE_DIND_OFS, A + 2 * B + 2 * B * N],
    ];
    spans.forEach(([kind, ofs, base], k) => {
      const nid = inodeNid(info, k);
      if (nid) this.walkNode(nid, kind, ofs, base, fs);
    });
  }

  private walkNode(nid: number, kind: NodeKind, ofs: number, base: number, fs: FileState): void {
    const ref = this.claim(nid, kind, { ino: fs.ino, path: fs.path, ofs });
    if (!ref) return;
    fs.blocks++;
    const raw = ref.raw;
    if (kind === 'direct') {
      for (let k = 0; k < B; k++) {
        const a = raw.readUInt32LE(4 * k);
        if (fs.ext.active) fs.ext.slot(a, base + k);
        if (a !== NULL_ADDR) this.dataSlot(a, ref, k, base + k, fs);
      }
      return;
    }
    for (let c = 0; c < N; c++) {
      const child = raw.readUInt32LE(4 * c);
      if (!child) continue;
      if (kind === 'indirect') this.walkNode(child, 'direct', ofs + 1 + c, base + c * B, fs);
      else this.walkNode(child, 'indirect', ofs + 1 + c * (N + 1), base + c * B * N, fs);
    }
  }

  /* ---- inodes ---- */

  /** fsck_chk_inode_blk for a claimed inode: `role` says how it was reached (fsck.f2fs's ftype). */
  private processInode(ref: NodeRef, role: 'dir' | 'file' | 'orphan' | 'quota', ctx: { path: string; parent?: number }): void {
    const ino = ref.nid;
    const path = ctx.path;
    const at = { ino, path };
    let info: InodeInfo;
    try {
      info = this.vol.inode(ino);
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add('INODE_CORRUPT', `inode ${ino}: ${errText(e)}`, at);
      return;
    }
    this.guard('CHECK_ABORTED', `inode ${ino}`, at, () => this.checkInode(info, ref, role, ctx));
  }

  private checkInode(info: InodeInfo, ref: NodeRef, role: 'dir' | 'file' | 'orphan' | 'quota', ctx: { path: string; parent?: number }): void {
    const ino = info.ino;
    const i = info.inode;
    const path = ctx.path;
    const at = { ino, path };
    const features = this.sb.feature;
    const ft = fileTypeOfMode(i.i_mode);
    if (ft === FileType.UNKNOWN) this.add('INODE_MODE_INVALID', `inode ${ino} has mode 0${i.i_mode.toString(8)} of no known file type`, at);
    const hasExtra = (i.i_inline & InlineFlag.EXTRA_ATTR) !== 0;
    if (hasExtra && !(features & Feature.EXTRA_ATTR)) this.add('EXTRA_ATTR', `inode ${ino} has the EXTRA_ATTR flag but the feature is off`, at);
    if (hasExtra && features & Feature.FLEXIBLE_INLINE_XATTR && i.i_inline & InlineFlag.XATTR) {
      const w = info.inlineXattrWords;
      if (w === 0 || w > MAX_INLINE_XATTR_SIZE_WORDS) this.add('INLINE_XATTR_SIZE', `inode ${ino}: i_inline_xattr_size ${w} is outside 1..${MAX_INLINE_XATTR_SIZE_WORDS}`, at);
    }
    if (info.checksumOk === false) this.add('INODE_CHECKSUM', `inode ${ino}: i_inode_checksum 0x${(info.extra?.i_inode_checksum ?? 0).toString(16)} does not match its contents`, at);
    if (i.i_namelen > MAX_NAME_LEN) this.add('I_NAMELEN', `inode ${ino}: i_namelen ${i.i_namelen} exceeds ${MAX_NAME_LEN}`, at);

    const fs: FileState = { ino, path, blocks: 1, dir: null, ext: new ExtentCheck(i.i_ext.fofs, i.i_ext.blk, i.i_ext.len) };
    const isDirRole = role === 'dir';
    if (isDirRole) {
      fs.dir = { ino, pino: i.i_pino, parent: ctx.parent ?? ino, dirLevel: i.i_dir_level, path, links: 2, dots: 0 };
    } else if (role === 'file') {
      if (ft === FileType.REG) this.stats.files++;
      else if (ft === FileType.SYMLINK) this.stats.symlinks++;
      else if (ft !== FileType.DIR) this.stats.specials++;
    }

    // xattr node (fsck_chk_xattr_blk), then the whole xattr area must parse
    let xattrOk = true;
    if (i.i_xattr_nid) {
      const x = this.claim(i.i_xattr_nid, 'xattr', { ino, path });
      if (x) fs.blocks++;
      else xattrOk = false;
    }
    if (xattrOk) {
      try {
        this.vol.xattrs(info);
      } catch (e) {
        if (!isBadData(e)) throw e;
        this.add('XATTR_CORRUPT', `inode ${ino}: ${errText(e)}`, at);
      }
    }

    const special = ft === FileType.CHRDEV || ft === FileType.BLKDEV || ft === FileType.FIFO || ft === FileType.SOCK;
    let inline = false;
    if (special) {
      // device numbers live in the address slots: nothing to walk
    } else if (i.i_inline & InlineFlag.DATA) {
      inline = true;
      this.checkInlineData(info, at);
    } else if (i.i_inline & InlineFlag.DENTRY) {
      inline = true;
      const reserved = inodeAddr(info, 0);
      if (reserved !== 0) this.add('INLINE_DENTRY', `inode ${ino}: inline dentry reserved slot holds ${reserved}`, at);
      if (fs.dir) {
        const dir = fs.dir;
        this.guard('CHECK_ABORTED', `inline dentries of directory ${ino}`, at, () => this.checkDentries(inlineArea(info), dir, null, info.page.blkaddr));
      }
    } else {
      this.walkTree(info, ref, fs);
    }

    if (!special && !fs.ext.finish(inline))
      this.add('EXTENT_MISMATCH', `inode ${ino}: extent [fofs ${i.i_ext.fofs}, blk ${i.i_ext.blk}, len ${i.i_ext.len}] does not match the block map`, at);
    if (i.i_blocks !== fs.blocks) this.add('I_BLOCKS', `inode ${ino}: i_blocks is ${i.i_blocks}, the tree holds ${fs.blocks}`, at);

    if (fs.dir) {
      if (i.i_links !== fs.dir.links) this.add('I_LINKS', `directory ${ino}: i_links is ${i.i_links}, expected ${fs.dir.links} (2 + subdirectories)`, at);
      if (fs.dir.dots < 2 && !(i.i_inline & InlineFlag.DOTS)) this.add('DOTS_MISSING', `directory ${ino} has ${fs.dir.dots} of its '.' and '..' entries`, at);
    }
    if (role !== 'dir' && ft === FileType.REG && gcFailures(info))
      this.add('GC_FAILURES', `regular file ${ino} has i_gc_failures ${gcFailures(info)}`, at, 'warning');
    if (ft === FileType.SYMLINK) this.checkSymlink(info, at);
    if (role === 'orphan' && i.i_links !== 0) this.add('ORPHAN_LINKS', `orphan inode ${ino} has i_links ${i.i_links}`, at);
  }

  private checkInlineData(info: InodeInfo, at: Where): void {
    const i = info.inode;
    const ino = info.ino;
    const reserved = inodeAddr(info, 0);
    if (reserved !== 0) this.add('INLINE_DATA', `inode ${ino}: inline data reserved slot holds ${reserved}`, at);
    if (i.i_size > info.maxInlineData) this.add('INLINE_DATA', `inode ${ino}: inline i_size ${i.i_size} exceeds ${info.maxInlineData}`, at);
    if (!(i.i_inline & InlineFlag.DATA_EXIST)) {
      const area = info.page.raw.subarray(info.inlineDataOffset, info.inlineDataOffset + info.maxInlineData);
      if (area.some((b) => b !== 0)) this.add('INLINE_DATA', `inode ${ino}: inline area holds data but DATA_EXIST is clear`, at);
    }
  }

  private checkSymlink(info: InodeInfo, at: Where): void {
    const i = info.inode;
    const size = i.i_size;
    if (size === 0 || size > SYMLINK_MAX) {
      this.add('SYMLINK_SIZE', `symlink ${info.ino}: i_size ${size} is outside 1..${SYMLINK_MAX}`, at);
      return;
    }
    if (!(i.i_inline & InlineFlag.DATA) && inodeAddr(info, 0) === NULL_ADDR)
      this.add('SYMLINK_SIZE', `symlink ${info.ino}: i_size ${size} but no data block holds the target`, at);
  }

  /* ---- directories ---- */

  /** __chk_dentries over one area: a dentry block at file block `pgofs`, or the inline area (`pgofs` null). */
  private checkDentries(area: DentryArea, dir: DirState, pgofs: number | null, blkaddr: number): void {
    let i = 0;
    while (i < area.slots) {
      if (!bitLsb.test(area.bitmap, i)) {
        i++;
        continue;
      }
      const de = area.entry(i);
      const at = { ino: dir.ino, path: dir.path, blkaddr };
      const slotDesc = `directory ${dir.ino} ${pgofs === null ? 'inline' : `block ${pgofs}`} slot ${i}`;
      if (de.ino >= this.maxNid) {
        this.add('NID_INVALID', `${slotDesc}: entry names ino ${de.ino}, beyond ${this.maxNid - 1}`, at);
        i++;
        continue;
      }
      const ftype = de.file_type;
      if (ftype < FileType.REG || ftype > FileType.SYMLINK) {
        this.add('DENTRY_FILE_TYPE', `${slotDesc}: file_type ${ftype}`, at);
        i++;
        continue;
      }
      const len = de.name_len;
      if (len === 0 || len > MAX_NAME_LEN || i + slotsFor(len) > area.slots) {
        this.add('DENTRY_NAME_LEN', `${slotDesc}: name_len ${len}`, at);
        i++;
        continue;
      }
      const slots = slotsFor(len);
      const name = area.filename.subarray(i * SLOT_LEN, i * SLOT_LEN + len);
      const dot = len === 1 && name[0] === 0x2e;
      const dotdot = len === 2 && name[0] === 0x2e && name[1] === 0x2e;
      if (ftype === FileType.DIR && (dot || dotdot)) {
        this.checkDot(de, dot, dir, area.filename[i * SLOT_LEN + len], slotDesc, at);
        if (++dir.dots > 2) this.add('DOTS_DUPLICATE', `${slotDesc}: a further '${dot ? '.' : '..'}' entry`, at);
        i++;
        continue;
      }
      const shown = name.toString();
      const path = dir.path === '/' ? `/${shown}` : `${dir.path}/${shown}`;
      const hash = dentryHash(name);
      if (hash !== de.hash_code) this.add('DENTRY_HASH', `"${path}": hash_code 0x${de.hash_code.toString(16)}, the name hashes to 0x${hash.toString(16)}`, { ...at, path });
      if (pgofs !== null) {
        const level = levelOfBlock(dir.dirLevel, pgofs);
        const first = dirBlockIndex(level, dir.dirLevel, hash % dirBuckets(level, dir.dirLevel));
        if (pgofs < first || pgofs >= first + bucketBlocks(level))
          this.add('DENTRY_POSITION', `"${path}" is in block ${pgofs} (level ${level}), its hash selects blocks ${first}..${first + bucketBlocks(level) - 1}`, { ...at, path });
      }
      this.stats.dentries++;
      this.visitChild(de.ino, ftype, dir, path);
      i += slots;
    }
  }

  /** __chk_dots_dentries: '.' names the directory, '..' its parent (and i_pino), both hash 0 and NUL padded. */
  private checkDot(de: { ino: number; hash_code: number }, dot: boolean, dir: DirState, after: number, slotDesc: string, at: Where): void {
    const root = this.sb.root_ino;
    const name = dot ? "'.'" : "'..'";
    if (dot) {
      if (de.ino !== dir.ino) this.add('DOTS_WRONG', `${slotDesc}: '.' names inode ${de.ino}`, at);
    } else if (dir.ino === root) {
      if (de.ino !== root) this.add('DOTS_WRONG', `${slotDesc}: the root's '..' names inode ${de.ino}`, at);
    } else if (de.ino !== dir.parent) {
      this.add('DOTS_WRONG', `${slotDesc}: '..' names inode ${de.ino}, the directory is linked from ${dir.parent}`, at);
    } else if (de.ino !== dir.pino) {
      this.add('DOTS_WRONG', `${slotDesc}: '..' names inode ${de.ino} but i_pino is ${dir.pino}`, at);
    }
    if (de.hash_code !== 0) this.add('DENTRY_HASH', `${slotDesc}: ${name} has hash_code 0x${de.hash_code.toString(16)}, expected 0`, at);
    if (after !== 0) this.add('DOTS_WRONG', `${slotDesc}: ${name} is not NUL padded`, at);
  }

  /** The inode a dentry names: claimed now; files are checked at once, directories queued. */
  private visitChild(ino: number, ftype: number, dir: DirState, path: string): void {
    const ref = this.claim(ino, 'inode', { path });
    if (!ref) return;
    const mode = ref.raw.readUInt16LE(0);
    const actual = fileTypeOfMode(mode);
    if (actual !== ftype) this.add('FILE_TYPE_MISMATCH', `"${path}": dentry file_type ${ftype}, inode ${ino} has mode 0${mode.toString(8)}`, { ino, path });
    if (isDir(mode)) {
      if (ref.again) {
        this.add('NODE_DUPLICATE', `"${path}": directory ${ino} is reached by more than one entry`, { ino, path });
        return;
      }
      if (ftype === FileType.DIR) dir.links++;
      this.stats.dirs++;
      this.pending.push({ ino, parent: dir.ino, path });
      return;
    }
    const links = ref.raw.readUInt32LE(12);
    if (ref.again) {
      const h = this.hardLinks.get(ino);
      if (h) h.found++;
      else this.hardLinks.set(ino, { links, found: 2, path });
      return;
    }
    if (links > 1) this.hardLinks.set(ino, { links, found: 1, path });
    else if (links === 0) this.add('I_LINKS', `"${path}": inode ${ino} has i_links 0 but a directory entry names it`, { ino, path });
    this.processInode(ref, 'file', { path });
  }

  /* ---- fsck_verify ---- */

  private finish(): void {
    // allocated nids nothing reached
    for (let byte = 0; byte < this.natLive.length; byte++) {
      if (!this.natLive[byte]) continue;
      for (let b = 0; b < 8; b++) {
        const nid = byte * 8 + b;
        if (!bitMsb.test(this.natLive, nid)) continue;
        let desc = '';
        let blkaddr: number | undefined;
        let ino: number | undefined;
        try {
          const ne = this.vol.nm.getNat(nid);
          blkaddr = ne.block_addr;
          ino = ne.ino;
          desc = ` (ino ${ne.ino}, block ${ne.block_addr})`;
        } catch {
          // the entry was read once already; its details are only decoration
        }
        this.add('NAT_UNREACHABLE', `nid ${nid}${desc} is allocated but reached from no inode`, { nid, ino, blkaddr });
      }
    }
    for (const [ino, h] of this.hardLinks)
      if (h.found !== h.links) this.add('I_LINKS', `inode ${ino} has i_links ${h.links}, ${h.found} directory entries name it`, { ino, path: h.path });

    // SIT valid bits nothing references (the other direction was reported block by block)
    const bytesPerSeg = BLOCKS_PER_SEG / 8;
    for (let segno = 0; segno < this.mainSegs; segno++) {
      const o = segno * bytesPerSeg;
      for (let j = 0; j < bytesPerSeg; j++) {
        const extra = this.sitMap[o + j] & ~this.mainMap[o + j];
        if (!extra) continue;
        for (let b = 0; b < 8; b++) {
          if (!(extra & (0x80 >> b))) continue;
          const blkaddr = this.mainBlkaddr + (o + j) * 8 + b;
          this.add('SIT_BLOCK_UNREFERENCED', `block ${blkaddr} is valid in the SIT but nothing references it`, { blkaddr, segno });
        }
      }
    }

    const h = this.head;
    if (this.validBlocks !== h.valid_block_count) this.add('VALID_BLOCK_COUNT', `CP valid_block_count is ${h.valid_block_count}, the tree holds ${this.validBlocks}`);
    if (this.stats.nodes !== h.valid_node_count) this.add('VALID_NODE_COUNT', `CP valid_node_count is ${h.valid_node_count}, the tree holds ${this.stats.nodes} nodes`);
    if (this.natNodeCount !== h.valid_node_count) this.add('NAT_ENTRY_COUNT', `CP valid_node_count is ${h.valid_node_count}, the NAT has ${this.natNodeCount} allocated entries`);
    if (this.sitNodeBlocks !== h.valid_node_count) this.add('SIT_NODE_COUNT', `CP valid_node_count is ${h.valid_node_count}, node segments hold ${this.sitNodeBlocks} valid blocks`);
    if (this.stats.inodes !== h.valid_inode_count) this.add('VALID_INODE_COUNT', `CP valid_inode_count is ${h.valid_inode_count}, the tree holds ${this.stats.inodes} inodes`);
    if (this.stats.freeSegments !== h.free_segment_count) this.add('FREE_SEGMENT_COUNT', `CP free_segment_count is ${h.free_segment_count}, the SIT has ${this.stats.freeSegments} free segments`);
  }
}

/** Checks an opened volume (read-only: nothing is written). Run it on a freshly opened volume: it reads the on-disk state. */
export function fsck(vol: Volume, opts: FsckOptions = {}): FsckReport {
  const t0 = performance.now();
  const r = new FsckRun(vol, opts);
  try {
    r.run();
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('CHECK_ABORTED', `check stopped: ${errText(e)}`);
  }
  return report(r.errors, r.findings, r.truncated, r.counts, r.stats, t0);
}

/** Opens `image` read-only and checks it; an image that cannot be mounted gives one MOUNT_FAILED finding. */
export function fsckImage(image: string, opts: FsckOptions = {}): FsckReport {
  const t0 = performance.now();
  let vol: Volume;
  try {
    vol = Volume.open(image, { readOnly: true });
  } catch (e) {
    if (!(e instanceof F2fsError)) throw e;
    const f: FsckFinding = { code: 'MOUNT_FAILED', message: e.describe(), severity: 'error' };
    return report(1, [f], 0, { MOUNT_FAILED: 1 }, emptyStats(), t0);
  }
  try {
    return fsck(vol, opts);
  } finally {
    vol.close();
  }
}

function report(errors: number, findings: FsckFinding[], truncated: number, counts: Partial<Record<FsckCode, number>>, stats: FsckStats, t0: number): FsckReport {
  return { ok: errors === 0, findings, truncated, counts, stats, ms: Math.round(performance.now() - t0) };
}

function emptyStats(): FsckStats {
  return {
    inodes: 0,
    nodes: 0,
    dataBlocks: 0,
    newAddrBlocks: 0,
    dirs: 0,
    files: 0,
    symlinks: 0,
    specials: 0,
    orphans: 0,
    quotaFiles: 0,
    dentries: 0,
    natEntries: 0,
    sitValidBlocks: 0,
    freeSegments: 0,
    natBitsChecked: false,
  };
}
