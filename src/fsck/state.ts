// One fsck run's state (fsck.f2fs's struct f2fs_fsck): the SIT and referenced-block bitmaps, the live nid set,
// per-segment types, the summary cache, findings; and the block marking and SSA check every phase uses.
import { F2fsError } from '../errors.js';
import { BLOCKS_PER_SEG, CURSEG_NAMES, isNodeSegType } from '../fs/layout/constants.js';
import { type CheckpointHead } from '../fs/layout/checkpoint.js';
import { SparseBitmap } from '../util/sparse-bitmap.js';
import { SUM_TYPE_DATA, SUM_TYPE_NODE, type SummaryBlock, type SummaryEntry } from '../fs/layout/summary.js';
import { type Superblock } from '../fs/layout/superblock.js';
import { Volume } from '../fs/volume.js';
import type { Usage } from '../fs/quota.js';
import { trimOldest } from '../util/bounded-map.js';
import { type FsckCode, type FsckFinding, type FsckOptions, type FsckStats, emptyStats } from './report.js';
import { ExtentCheck } from './tree.js';
import type { ComprCount } from './compress.js';

export type Where = Omit<FsckFinding, 'code' | 'message' | 'severity'>;
export type NodeKind = 'inode' | 'direct' | 'indirect' | 'dind' | 'xattr';

export interface NodeRef {
  nid: number;
  blkaddr: number;
  raw: Buffer;
  version: number; // NAT version: what the SSA entries of this node's data blocks must carry
  again: boolean; // an inode already claimed (a further hard link)
}

export interface DirState {
  ino: number;
  pino: number;
  parent: number;
  dirLevel: number;
  /** +F on a casefold image: names hash casefolded. */
  casefolded: boolean;
  path: string;
  /** fscrypt: its names are ciphertext (paths show them in the no-key form). */
  encrypted: boolean;
  /** Encrypted and casefolded, its key given: names hash by SipHash of the decrypted folded name under `key`. */
  siphash: { key: Buffer; plain: (name: Buffer) => Buffer } | null;
  links: number; // 2 + subdirectories found
  dots: number;
}

/** What one file's traversal accumulates: its block count for i_blocks and the largest-extent check. */
export interface FileState {
  ino: number;
  path: string;
  blocks: number;
  dir: DirState | null; // data blocks are dentry blocks
  ext: ExtentCheck;
  /** Saved-block count of a compressed file (src/fsck/compress.ts). */
  compr?: ComprCount;
}

export interface PendingDir {
  ino: number;
  parent: number;
  path: string;
  /** How --fix removes the entry that reached it, should the directory's inode be unusable. */
  drop?: Repair;
}

/**
 * What `fsck --fix` does about a finding (src/fsck/repair.ts applies them): the checker records one where it knows the
 * structure and index to change. A dentry is named by its directory, block (null: inline) and slot; a node pointer by
 * the node holding it and the byte offset of the slot in its block (as walkNodeTree gives them).
 */
export type Repair =
  | { kind: 'dentry-drop'; dir: number; bidx: number | null; slot: number }
  | { kind: 'dentry-set'; dir: number; bidx: number | null; slot: number; hash?: number; ino?: number; fileType?: number }
  | { kind: 'node-ptr'; holder: number; off: number }
  | { kind: 'node-ofs'; nid: number; ofs: number }
  | { kind: 'xattr-nid'; ino: number }
  | { kind: 'data-slot'; holder: number; off: number }
  | { kind: 'inode'; ino: number; field: 'i_links' | 'i_blocks' | 'i_size' | 'i_pino' | 'i_extra_isize'; value: number }
  | { kind: 'inode-flag'; ino: number; set: number; clear: number }
  | { kind: 'inode-rewrite'; ino: number }
  | { kind: 'nat-ino'; nid: number; ino: number }
  | { kind: 'ssa'; blkaddr: number; entry: SummaryEntry }
  | { kind: 'ssa-type'; segno: number; type: number }
  | { kind: 'orphan-drop'; ino: number }
  | { kind: 'fsync-chain' };

export const SUMMARY_CACHE = 64;

export const isBadData = (e: unknown) => e instanceof F2fsError || e instanceof RangeError;
export const errText = (e: unknown) => (e instanceof F2fsError ? e.describe() : (e as Error).message);

export class FsckRun {
  readonly sb: Superblock;
  readonly head: CheckpointHead;
  readonly mainBlkaddr: number;
  readonly mainSegs: number;
  readonly maxNid: number;
  readonly maxFindings: number;

  readonly findings: FsckFinding[] = [];
  readonly counts: Partial<Record<FsckCode, number>> = {};
  truncated = 0;
  errors = 0;
  readonly stats: FsckStats = emptyStats();

  /** SIT valid maps of all main segments, MSB-first like the SIT itself. */
  readonly sitMap: SparseBitmap;
  /** Blocks the tree references (fsck.f2fs main_area_bitmap). */
  readonly mainMap: SparseBitmap;
  readonly segType: Uint8Array;
  readonly segTypeReported: Uint8Array;
  /** Per segment, what the tree keeps in it: 1 node blocks, 2 data blocks (both: 3). */
  readonly segUse: Uint8Array;
  /** What --fix would do about the findings (each recorded once per structure). */
  readonly repairs: Repair[] = [];
  /** Allocated nids not reached yet (fsck.f2fs nat_area_bitmap). */
  readonly natLive: SparseBitmap;
  readonly isCurseg: Uint8Array;
  readonly summaries = new Map<number, SummaryBlock | null>();
  readonly hardLinks = new Map<number, { links: number; found: number; path: string }>();
  readonly pending: PendingDir[] = [];
  /** Usage per quota type and id over the inodes reached (quota files excluded), for the quota check. */
  readonly quotaUsage: Map<number, Usage>[] = [new Map(), new Map(), new Map()];

  // counters as fsck.f2fs keeps them (fsck->chk)
  validBlocks = 0; // nodes + data + NEW_ADDR slots
  natNodeCount = 0; // NAT entries with block_addr != 0
  sitNodeBlocks = 0;
  progressTick = 0;

  constructor(
    readonly vol: Volume,
    readonly opts: FsckOptions,
  ) {
    this.sb = vol.sb;
    this.head = vol.cp.head;
    this.mainBlkaddr = vol.geo.mainBlkaddr;
    this.mainSegs = vol.geo.mainSegments;
    this.maxNid = vol.geo.maxNid;
    this.maxFindings = opts.maxFindings ?? 1000;
    this.sitMap = new SparseBitmap(this.mainSegs * BLOCKS_PER_SEG);
    this.mainMap = new SparseBitmap(this.mainSegs * BLOCKS_PER_SEG);
    this.segType = new Uint8Array(this.mainSegs);
    this.segTypeReported = new Uint8Array(this.mainSegs);
    this.segUse = new Uint8Array(this.mainSegs);
    this.isCurseg = new Uint8Array(this.mainSegs);
    this.natLive = new SparseBitmap(this.maxNid);
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

  fix(repair: Repair | undefined): void {
    if (repair) this.repairs.push(repair);
  }

  /** Runs `fn`; bad on-disk data it trips over becomes one finding instead of an exception. */
  guard(code: FsckCode, what: string, where: Where, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isBadData(e)) throw e;
      this.add(code, `${what}: ${errText(e)}`, where);
    }
  }

  idx(blkaddr: number): number {
    return blkaddr - this.mainBlkaddr;
  }

  /** f2fs_set_main_bitmap: mark a referenced block, checking its segment's data/node class. */
  mark(blkaddr: number, node: boolean, where: () => Where): void {
    const i = this.idx(blkaddr);
    const segno = Math.floor(i / BLOCKS_PER_SEG);
    const t = this.segType[segno];
    this.segUse[segno] |= node ? 1 : 2;
    if (isNodeSegType(t) !== node && !this.segTypeReported[segno]) {
      this.segTypeReported[segno] = 1;
      this.add('SEG_TYPE_MISMATCH', `${node ? 'node' : 'data'} block ${blkaddr} lies in segment ${segno} of SIT type ${CURSEG_NAMES[t] ?? t}`, { ...where(), blkaddr, segno });
    }
    this.mainMap.set(i);
  }

  lastSegno = -1;
  lastSummary: SummaryBlock | null = null;

  summary(segno: number): SummaryBlock | null {
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
  checkSsa(blkaddr: number, node: boolean, nid: number, version: number, ofsInNode: number, where: () => Where): void {
    const i = this.idx(blkaddr);
    const segno = Math.floor(i / BLOCKS_PER_SEG);
    const sum = this.summary(segno);
    if (!sum) return;
    const kind = node ? 'node' : 'data';
    if (sum.footer.entry_type !== (node ? SUM_TYPE_NODE : SUM_TYPE_DATA)) {
      this.fix({ kind: 'ssa-type', segno, type: node ? SUM_TYPE_NODE : SUM_TYPE_DATA });
      this.fix({ kind: 'ssa', blkaddr, entry: node ? { nid, version: 0, ofs_in_node: 0 } : { nid, version, ofs_in_node: ofsInNode } });
      this.add('SSA_MISMATCH', `${kind} block ${blkaddr}: summary of segment ${segno} is not for a ${kind} segment`, { ...where(), blkaddr, segno });
      return;
    }
    const e = sum.entries[i % BLOCKS_PER_SEG];
    const ok = node ? e.nid === nid : e.nid === nid && e.version === version && e.ofs_in_node === ofsInNode;
    if (!ok) {
      const want = node ? `nid ${nid}` : `nid ${nid} version ${version} ofs ${ofsInNode}`;
      const got = node ? `nid ${e.nid}` : `nid ${e.nid} version ${e.version} ofs ${e.ofs_in_node}`;
      this.add('SSA_MISMATCH', `${kind} block ${blkaddr}: summary says ${got}, expected ${want}`, { ...where(), blkaddr, segno });
      this.fix({ kind: 'ssa', blkaddr, entry: node ? { nid, version: 0, ofs_in_node: 0 } : { nid, version, ofs_in_node: ofsInNode } });
    }
  }

  tick(): void {
    if (this.opts.progress && ++this.progressTick % 4096 === 0) this.opts.progress(this.stats.nodes, Math.max(this.head.valid_node_count, this.stats.nodes));
  }
}
