// What the log still remembers: F2FS writes out of place, so older copies of node blocks (and the data they point
// at) stay on disk until their segment is reused. One pass over the main area indexes every block that reads as a
// node block by ino; `history` lists an inode's copies, `lsdel` the inodes deleted since, `undel` restores one copy's
// content after checking, block by block, that nothing else has been written there since.
import { fail } from '../errors.js';
import { DataReader, DirtyPages } from '../fs/data.js';
import { BLKSIZE, BLOCKS_PER_SEG, NEW_ADDR } from '../fs/layout/constants.js';
import { NODE_FOOTER_OFFSET, NodeFlag, NodeFooter, footerField, footerOfs } from '../fs/layout/node.js';
import { FILE_TYPE_NAMES, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, fileTypeOfMode } from '../fs/layout/dentry.js';
import { hasInlineData, hasInlineDentry, inodeSize, isDir, readInodeInfo, type InodeInfo } from '../fs/inode.js';
import { NodePage, maxFileBlocks } from '../fs/node.js';
import type { Volume } from '../fs/volume.js';
import { inodeSeconds } from './time.js';

/** One node block found in the main area. */
export interface NodeCopy {
  blkaddr: number;
  nid: number;
  ino: number;
  /** Node offset (0: the inode itself). */
  ofs: number;
  /** Checkpoint version the block was written under (the footer's low 32 bits). */
  cpVer: number;
  fsync: boolean;
  /** The NAT places this nid here: the live copy. */
  current: boolean;
  /** The block is valid in the SIT. */
  valid: boolean;
}

export interface NodeIndex {
  byIno: Map<number, NodeCopy[]>;
  /** Generation and link count of each inode copy (by blkaddr), decoded during the scan: lsdel sorts copies by them. */
  inodeFacts: Map<number, { generation: number; links: number }>;
  blocksScanned: number;
  nodeBlocks: number;
  ms: number;
}

const KNOWN_TYPES = new Set([S_IFIFO, S_IFCHR, S_IFDIR, S_IFBLK, S_IFREG, S_IFLNK, S_IFSOCK]);

/**
 * Whether the block at `off` in `buf` reads as a node block of this volume (footer in range, and a sane, checksummed
 * inode).
 */
function nodeCopyOf(
  vol: Volume,
  buf: Buffer,
  off: number,
  blkaddr: number,
  curVer: number,
): (Omit<NodeCopy, 'current' | 'valid'> & { facts?: { generation: number; links: number } }) | null {
  const { maxNid, mainBlkaddr, blockCount } = vol.geo;
  const root = vol.sb.root_ino;
  // Most blocks are data or zeros: two fields turn them away before a whole footer is decoded or the block gets a
  // view of its own (a view per block of the volume costs more than reading it).
  const nid = footerField.nid.get(buf, off + NODE_FOOTER_OFFSET);
  const ino = footerField.ino.get(buf, off + NODE_FOOTER_OFFSET);
  if (nid < root || nid >= maxNid || ino < root || ino >= maxNid) return null;
  const raw = buf.subarray(off, off + BLKSIZE);
  const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
  const cpVer = Number(f.cp_ver & 0xffffffffn);
  if (cpVer === 0 || cpVer > curVer) return null;
  if (f.next_blkaddr !== 0 && (f.next_blkaddr < mainBlkaddr || f.next_blkaddr >= blockCount)) return null;
  const ofs = footerOfs(f.flag);
  if ((f.nid === f.ino) !== (ofs === 0)) return null;
  let facts: { generation: number; links: number } | undefined;
  if (ofs === 0) {
    try {
      const info = readInodeInfo(new NodePage(f.nid, blkaddr, f.ino, 0, raw), vol.sb.feature, (p, e, h) => vol.nm.checksumOk(p, e, h));
      if (info.checksumOk === false || !KNOWN_TYPES.has(info.inode.i_mode & S_IFMT) || info.inode.i_namelen > 255) return null;
      facts = { generation: info.inode.i_generation, links: info.inode.i_links };
    } catch {
      return null;
    }
  }
  return { blkaddr, nid: f.nid, ino: f.ino, ofs, cpVer, fsync: (f.flag & NodeFlag.FSYNC) !== 0, facts };
}

/** Indexes of read-only volumes, which nothing can change: a session's lsdel, history and undel scan once. */
const readOnlyIndexes = new WeakMap<Volume, NodeIndex>();

/**
 * One pass over the main area, a segment (2 MiB) per read; `progress(segmentsDone, segments)` after each. A
 * read-only volume's index is kept and handed out again (its `ms` is the scan's).
 */
export function indexNodes(vol: Volume, progress?: (done: number, total: number) => void): NodeIndex {
  const kept = readOnlyIndexes.get(vol);
  if (kept) return kept;
  const index = scanNodes(vol, progress);
  if (vol.dev.readOnly) readOnlyIndexes.set(vol, index);
  return index;
}

function scanNodes(vol: Volume, progress?: (done: number, total: number) => void): NodeIndex {
  const t0 = performance.now();
  const byIno = new Map<number, NodeCopy[]>();
  const inodeFacts = new Map<number, { generation: number; links: number }>();
  const curVer = Number(vol.cp.head.checkpoint_ver & 0xffffffffn);
  const buf = Buffer.alloc(BLOCKS_PER_SEG * BLKSIZE);
  const segs = vol.geo.mainSegments;
  let nodeBlocks = 0;
  for (let segno = 0; segno < segs; segno++) {
    const start = vol.sm.segBlkaddr(segno);
    vol.dev.readBlocks(start, BLOCKS_PER_SEG, buf, 0);
    for (let i = 0; i < BLOCKS_PER_SEG; i++) {
      const found = nodeCopyOf(vol, buf, i * BLKSIZE, start + i, curVer);
      if (!found) continue;
      nodeBlocks++;
      const { facts, ...c } = found;
      if (facts) inodeFacts.set(c.blkaddr, facts);
      const nat = vol.nm.getNat(c.nid);
      const copy: NodeCopy = { ...c, current: nat.block_addr === c.blkaddr, valid: vol.sm.isBlockValid(c.blkaddr) };
      let list = byIno.get(c.ino);
      if (!list) byIno.set(c.ino, (list = []));
      list.push(copy);
    }
    progress?.(segno + 1, segs);
  }
  // Oldest first: by checkpoint version, then by address (a log appends).
  for (const list of byIno.values()) list.sort((a, b) => a.cpVer - b.cpVer || a.blkaddr - b.blkaddr);
  return { byIno, inodeFacts, blocksScanned: segs * BLOCKS_PER_SEG, nodeBlocks, ms: Math.round(performance.now() - t0) };
}

/**
 * An inode copy decoded from its block (read afresh: the index keeps no block content). Its page is the device's,
 * good until the next flush, as readNode's are.
 */
export function copyInfo(vol: Volume, c: NodeCopy): InodeInfo {
  const raw = vol.dev.readBlock(c.blkaddr);
  return readInodeInfo(new NodePage(c.nid, c.blkaddr, c.ino, 0, raw), vol.sb.feature, (p, e, h) => vol.nm.checksumOk(p, e, h));
}

/** Fate of a data block an old copy points at. */
export type BlockFate = 'intact' | 'shared' | 'reused';

export interface CopyAssessment {
  blocks: number;
  /** Not valid any more, and the SSA still names this copy's slot: nothing was written there since. */
  intact: number;
  /** Still valid and still this inode's block at this slot (an unchanged block the live file shares). */
  shared: number;
  /** Written again for something else since: that part of the content is gone. */
  reused: number;
  reusedBlocks: { bidx: number; blkaddr: number }[];
  /** Direct/indirect node copies were picked by checkpoint version (the newest not newer than the inode copy). */
  nodesApproximate: boolean;
  /** Why the block map could not be walked to its end (a node copy missing or damaged); null when it was. */
  why: string | null;
}

/** A block map reader for an old copy: nids resolve to their copies in the index, not through the NAT. */
function historicReader(vol: Volume, index: NodeIndex, copy: NodeCopy, used: { approximate: boolean }): DataReader {
  const copies = index.byIno.get(copy.ino) ?? [];
  const readNode = (nid: number, ino?: number): NodePage => {
    const cands = copies.filter((c) => c.nid === nid && c.cpVer <= copy.cpVer);
    const pick = cands[cands.length - 1];
    if (!pick) return fail('ENOENT', `no copy of node ${nid} (inode ${ino ?? copy.ino}) from checkpoint ${copy.cpVer} or before is left on disk`);
    used.approximate = true;
    return new NodePage(nid, pick.blkaddr, pick.ino, pick.ofs, vol.dev.readBlock(pick.blkaddr));
  };
  return new DataReader(vol.dev, { readNode }, vol.check, new DirtyPages());
}

/** Checks every data block of an inode copy against the SIT and the SSA. */
export function assessCopy(vol: Volume, index: NodeIndex, copy: NodeCopy, info = copyInfo(vol, copy)): CopyAssessment {
  const used = { approximate: false };
  const out: CopyAssessment = { blocks: 0, intact: 0, shared: 0, reused: 0, reusedBlocks: [], nodesApproximate: false, why: null };
  if (hasInlineDentry(info) || hasInlineData(info)) return out;
  const visit = (bidx: number, blkaddr: number, owner: { nid: number; ofsInNode: number }) => {
    if (blkaddr === NEW_ADDR) return;
    out.blocks++;
    const entry = vol.sm.summaryOf(vol.sm.segnoOf(blkaddr)).sum.entries[(blkaddr - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG];
    const same = entry.nid === owner.nid && entry.ofs_in_node === owner.ofsInNode;
    const fate: BlockFate = !same ? 'reused' : vol.sm.isBlockValid(blkaddr) ? 'shared' : 'intact';
    out[fate]++;
    if (fate === 'reused') out.reusedBlocks.push({ bidx, blkaddr });
  };
  try {
    historicReader(vol, index, copy, used).walk(info, 0, Math.ceil(info.inode.i_size / BLKSIZE), visit);
  } catch (e) {
    out.why = (e as Error).message; // an old copy may point at nodes the log no longer holds
  }
  out.nodesApproximate = used.approximate;
  return out;
}

/** An inode copy as history and lsdel list it. */
export interface CopySummary extends NodeCopy {
  type: string;
  mode: number;
  /** Exact: a decimal string past 2^53, as in stat. */
  size: number | string;
  links: number;
  uid: number;
  gid: number;
  generation: number;
  /** Signed seconds, exact (a decimal string past 2^53), as in stat. */
  mtime: number | string;
  /** The name the inode records (i_name) and its parent (i_pino). */
  name: string;
  pino: number;
  content: CopyAssessment;
}

export function summarizeCopy(vol: Volume, index: NodeIndex, c: NodeCopy): CopySummary {
  const info = copyInfo(vol, c);
  const i = info.inode;
  return {
    ...c,
    type: FILE_TYPE_NAMES[fileTypeOfMode(i.i_mode)] ?? 'unknown',
    mode: i.i_mode,
    size: inodeSize(info),
    links: i.i_links,
    uid: i.i_uid,
    gid: i.i_gid,
    generation: i.i_generation,
    mtime: inodeSeconds(info.page.raw, 'i_mtime'),
    name: i.i_name.subarray(0, Math.min(i.i_namelen, 255)).toString(),
    pino: i.i_pino,
    content: assessCopy(vol, index, c, info),
  };
}

export interface HistoryResult {
  ino: number;
  /** Inode copies, oldest first (the live one marked current). */
  inodes: CopySummary[];
  /** Other node blocks of this ino (direct, indirect, xattr nodes), oldest first. */
  nodes: NodeCopy[];
}

export function history(vol: Volume, index: NodeIndex, ino: number): HistoryResult {
  const copies = index.byIno.get(ino) ?? [];
  return { ino, inodes: copies.filter((c) => c.ofs === 0).map((c) => summarizeCopy(vol, index, c)), nodes: copies.filter((c) => c.ofs !== 0) };
}

/** The newest copy of each deleted inode (nid free now, or reused by an inode of another generation) that had links. */
export function lsdel(vol: Volume, index: NodeIndex): CopySummary[] {
  const out: CopySummary[] = [];
  for (const [ino, copies] of index.byIno) {
    const nat = vol.nm.getNat(ino);
    let liveGen: number | null = null;
    if (nat.block_addr !== 0 && nat.ino === ino) {
      // The live inode is one of the copies scanned (the NAT's block), unless the scan turned it away as damaged.
      const live = copies.find((c) => c.current && c.ofs === 0);
      if (live) liveGen = index.inodeFacts.get(live.blkaddr)!.generation;
      else {
        try {
          liveGen = vol.inode(ino).inode.i_generation;
        } catch {
          liveGen = null; // a damaged live inode: every copy is listed
        }
      }
    }
    // The newest copy with links per generation that is not the live inode's; only those get their blocks checked.
    const byGen = new Map<number, NodeCopy>();
    for (const c of copies) {
      const i = index.inodeFacts.get(c.blkaddr);
      if (c.ofs !== 0 || !i || i.generation === liveGen || i.links === 0) continue;
      byGen.set(i.generation, c);
    }
    for (const c of byGen.values()) out.push(summarizeCopy(vol, index, c));
  }
  return out.sort((a, b) => a.ino - b.ino || a.cpVer - b.cpVer);
}

/** The copy undel restores: `blkaddr` if given (an inode copy of `ino`), else the newest deleted one. */
export function chooseCopy(vol: Volume, index: NodeIndex, ino: number, blkaddr?: number): NodeCopy {
  const copies = (index.byIno.get(ino) ?? []).filter((c) => c.ofs === 0);
  if (blkaddr !== undefined) {
    const c = copies.find((x) => x.blkaddr === blkaddr);
    if (!c) return fail('ENOENT', `block ${blkaddr} is not a copy of inode ${ino} (see history <${ino}>)`);
    return c;
  }
  const deleted = lsdel(vol, index).filter((s) => s.ino === ino);
  if (!deleted.length) fail('ENOENT', `inode ${ino} has no deleted copy left on disk${copies.length ? `; pick one of its ${copies.length} copies with --node (history <${ino}>)` : ''}`);
  return deleted[deleted.length - 1];
}

/**
 * The content of an inode copy, in chunks of up to 1 MiB, after checking its blocks: reused blocks fail the
 * restore unless `partial`, which reads them as zeros. Directories are refused (their entries name inodes that
 * may be gone: restore files one by one).
 */
export function* copyContent(vol: Volume, index: NodeIndex, copy: NodeCopy, opts: { partial?: boolean } = {}): Generator<Buffer> {
  const info = copyInfo(vol, copy);
  if (isDir(info.inode.i_mode)) fail('UNSUPPORTED', `inode ${copy.ino} is a directory: restore the files it held one by one`);
  const most = maxFileBlocks(info) * BLKSIZE;
  if (info.inode.i_size > most) fail('CORRUPT', `inode copy at ${copy.blkaddr}: i_size ${inodeSize(info)} is beyond the largest file (${most} bytes)`);
  const a = assessCopy(vol, index, copy, info);
  if (a.why) fail('CORRUPT', `the block map of inode ${copy.ino} (copy at ${copy.blkaddr}) cannot be read: ${a.why}`);
  if (a.reused && !opts.partial) {
    fail('EINVAL', `${a.reused} of ${a.blocks} blocks of inode ${copy.ino} (copy at ${copy.blkaddr}) were written again since: that content is gone (--partial restores the rest, zeros instead)`, {
      reused: a.reusedBlocks.slice(0, 20),
    });
  }
  const lost = new Set(a.reusedBlocks.map((b) => b.bidx));
  const reader = historicReader(vol, index, copy, { approximate: false });
  const CHUNK = 256 * BLKSIZE;
  for (let pos = 0; pos < info.inode.i_size; pos += CHUNK) {
    const data = reader.read(info, pos, CHUNK);
    for (let b = 0; b < data.length; b += BLKSIZE) if (lost.has((pos + b) / BLKSIZE)) data.fill(0, b, Math.min(b + BLKSIZE, data.length));
    yield data;
  }
}
