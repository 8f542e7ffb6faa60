// Read-only inspection operations behind the debugfs-style commands: info, checkpoint/NAT/SIT/SSA dumps, stat, ls,
// bmap, icheck, ncheck, node and block decoding. Each returns a plain object (the command's JSON) and never writes.
//
// JSON naming: fields that are on-disk struct fields keep their on-disk names (block_count, checkpoint_ver, i_mode);
// derived values are camelCase (modeString, natBlkaddr). 64-bit versions are strings (render.ts turns bigint into
// decimal strings).
import { inodeTime } from '../debugfs/time.js';
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { cpCurseg, currentPack, packStatuses, readCheckpoint, readOrphans, type Checkpoint, type PackStatus } from './checkpoint.js';
import { areaEntries, type Dentry } from './dir.js';
import { deviceNumber, gcFailures, hasInlineData, hasInlineDentry, inodeAddr, inodeNids, isDir, isSymlink, modeString, readInodeInfo, type InodeInfo } from './inode.js';
import { CP_BITMAP_OFFSET, CheckpointHead, CpFlag, OrphanBlock, checkpointCrc, cpFlagNames } from './layout/checkpoint.js';
import {
  BLKSIZE,
  BLOCKS_PER_SEG,
  CURSEG_NAMES,
  CUR_SEG_TYPES,
  NAT_ENTRY_PER_BLOCK,
  NEW_ADDR,
  NULL_ADDR,
  ORPHANS_PER_BLOCK,
  SIT_ENTRY_PER_BLOCK,
  SUPER_OFFSET,
  isNodeSegType,
} from './layout/constants.js';
import { FILE_TYPE_NAMES, blockArea, fileTypeOfMode } from './layout/dentry.js';
import { NatBlock, NatEntry } from './layout/nat.js';
import { DirectNode, IndirectNode, NODE_FOOTER_OFFSET, NodeFlag, NodeFooter, footerOfs, isDnodeOfs, isXattrOfs, startBidxOfNode } from './layout/node.js';
import { SitBlock, sitType, sitValidBlocks } from './layout/sit.js';
import { bitMsb, popcount } from './layout/struct.js';
import { SUM_TYPE_NODE, NatJournal, SitJournal, SummaryBlock, type SummaryEntry } from './layout/summary.js';
import { Superblock, featureNames, volumeName, SB_GEOMETRY_FIELDS, uuidString } from './layout/superblock.js';
import { NodePage, maxFileBlocks } from './node.js';
import { parseInoSpec } from './namei.js';
import type { Geometry } from './super.js';
import type { Volume } from './volume.js';

export const fileTypeName = (mode: number) => FILE_TYPE_NAMES[fileTypeOfMode(mode)];

/** A user-given number that must name something in [min, max): EINVAL (not CORRUPT: the image is fine). */
function userRange(n: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < min || n >= max) fail('EINVAL', `${what} ${n} is out of range [${min}, ${max})`);
  return n;
}

const allocName = (t: number) => (t ? 'ssr' : 'lfs');

/**
 * A user's FILESPEC (a path, or `<ino>`) to its inode. An `<ino>` out of range is EINVAL and a free one ENOENT (the
 * image is not at fault); a path resolves through the directories, following symlinks on the way and, with
 * `follow`, at the end.
 */
export function resolveFile(vol: Volume, spec: string, opts: { follow?: boolean } = {}): { ino: number; info: InodeInfo; name?: string } {
  const n = parseInoSpec(spec);
  if (n !== null) {
    userRange(n, vol.sb.root_ino, vol.geo.maxNid, 'inode number');
    if (vol.nm.getNat(n).block_addr === NULL_ADDR) fail('ENOENT', `inode ${n} is not allocated (NAT block_addr 0)`, { ino: n });
    const info = vol.inode(n);
    if (!opts.follow || !isSymlink(info.inode.i_mode)) return { ino: n, info };
    // A symlink named by number: its target is relative to its parent, which i_pino records.
    const r = vol.resolve(vol.readlink(info).toString(), { cwd: info.inode.i_pino, follow: true });
    return { ino: r.ino, info: vol.inode(r.ino), name: r.name?.toString() };
  }
  const r = vol.resolve(spec, { follow: opts.follow ?? false });
  return { ino: r.ino, info: vol.inode(r.ino), name: r.name?.toString() };
}

/* ------------------------------------------------------------------ info */

/** Superblock fields `fsck.f2fs -l` prints (same names), in on-disk order. */
const SB_FIELDS = [...SB_GEOMETRY_FIELDS, 'cp_payload', 'feature', 'crc'] as const satisfies readonly (keyof Superblock)[];

/** Checkpoint head scalars `fsck.f2fs -l` prints (same names). */
const CP_FIELDS = [
  'user_block_count',
  'valid_block_count',
  'rsvd_segment_count',
  'overprov_segment_count',
  'free_segment_count',
  'ckpt_flags',
  'cp_pack_total_block_count',
  'cp_pack_start_sum',
  'valid_node_count',
  'valid_inode_count',
  'next_free_nid',
  'sit_ver_bitmap_bytesize',
  'nat_ver_bitmap_bytesize',
  'checksum_offset',
  'elapsed_time',
] as const satisfies readonly (keyof CheckpointHead)[];

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}

function packJson(p: PackStatus) {
  return { pack: p.pack, blkaddr: p.base, valid: p.valid, checkpoint_ver: p.version?.toString() ?? null, why: p.why ?? null };
}

/** The six logs as a checkpoint head records them. */
function cpCursegs(head: CheckpointHead, mainBlkaddr: number) {
  return Array.from({ length: CUR_SEG_TYPES }, (_, t) => {
    const c = cpCurseg(head, t);
    return { type: CURSEG_NAMES[t], segno: c.segno, blkoff: c.blkoff, blkaddr: mainBlkaddr + c.segno * BLOCKS_PER_SEG + c.blkoff, alloc_type: allocName(c.allocType) };
  });
}

/** Volume summary: superblock geometry, the checkpoint in use and the logs (what `fsck.f2fs -l` prints, same names). */
export function info(vol: Volume) {
  const sb = vol.sb;
  const cp = vol.cp;
  const h = cp.head;
  const live = vol.sm.cursegs.map((c) => ({ type: CURSEG_NAMES[c.type], segno: c.segno, blkoff: c.blkoff, blkaddr: vol.sm.segBlkaddr(c.segno) + c.blkoff, alloc_type: allocName(c.allocType) }));
  return {
    superblock: {
      copy: vol.sbChoice.index,
      ...pick(sb, SB_FIELDS),
      features: featureNames(sb.feature),
      uuid: uuidString(sb.uuid),
      volume_name: volumeName(sb),
    },
    checkpoint: {
      pack: cp.pack,
      blkaddr: cp.base,
      checkpoint_ver: h.checkpoint_ver.toString(),
      ...pick(h, CP_FIELDS),
      flags: cpFlagNames(h.ckpt_flags),
      orphan_count: h.ckpt_flags & CpFlag.ORPHAN_PRESENT ? vol.orphans().length : 0,
      packs: cp.packs.map(packJson),
      cursegs: cpCursegs(h, sb.main_blkaddr),
    },
    /** Current logs as this session sees them (the checkpoint's until something is written). */
    cursegs: live,
    usage: {
      sizeBytes: sb.block_count * BLKSIZE,
      maxNid: vol.geo.maxNid,
      mainBlocks: sb.segment_count_main * BLOCKS_PER_SEG,
      userBlocks: h.user_block_count,
      validBlocks: vol.counts.blocks,
      validNodes: vol.counts.nodes,
      validInodes: vol.counts.inodes,
      freeBlocks: h.user_block_count - vol.counts.blocks,
    },
  };
}
export type InfoResult = ReturnType<typeof info>;

/* ------------------------------------------------------------------ dump-cp */

/** Blocks of nat_bits at the end of a CP segment (§4.7). */
export const natBitsBlocks = (geo: Geometry) => Math.ceil((2 * (geo.natBlocks / 8) + 8) / BLKSIZE);

function bitmapSummary(map: Buffer | null, bytes: number, offset: number | null) {
  if (!map) return { bytes, offset, set: null, hex: null };
  return { bytes, offset, set: popcount(map), hex: map.toString('hex') };
}

/** Where each part of a pack lives (block addresses), from its head. */
export function packLayout(head: CheckpointHead, base: number, cpPayload: number) {
  const total = head.cp_pack_total_block_count;
  const compact = (head.ckpt_flags & CpFlag.COMPACT_SUM) !== 0;
  const nodeSums = (head.ckpt_flags & (CpFlag.UMOUNT | CpFlag.FASTBOOT)) !== 0;
  const start = base + head.cp_pack_start_sum;
  const nodeFirst = base + total - 4;
  const dataEnd = nodeSums ? nodeFirst : base + total - 1;
  // The counts come from disk (this pack may be the invalid one): no list runs past the pack's segment.
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, Math.min(to, base + BLOCKS_PER_SEG) - from) }, (_, i) => from + i);
  return {
    head: base,
    tail: base + total - 1,
    payload: range(base + 1, base + 1 + cpPayload),
    orphans: range(base + 1 + cpPayload, start),
    dataSummaries: range(start, dataEnd),
    nodeSummaries: nodeSums ? range(nodeFirst, nodeFirst + 3) : [],
    compact,
  };
}

/**
 * dump-cp: one pack's head (the one the kernel would mount, or `force`), decoded, with its bitmaps, orphans and
 * summary locations, plus the validity of both packs. Works from the device alone (no root inode needed), and on a
 * pack that fails validation (its head is decoded anyway; `valid` says so).
 */
export function dumpCp(dev: BlockDevice, sb: Superblock, geo: Geometry, force?: 1 | 2) {
  const packs = packStatuses(dev, geo);
  const pack = force ?? currentPack(packs);
  const status = packs[pack - 1];
  const base = status.base;
  const block = dev.readBlock(base);
  const head = CheckpointHead.decode(block);
  const problems: string[] = [];
  if (!status.valid) problems.push(`pack ${pack} is not valid: ${status.why}`);
  let cp: Checkpoint | null = null;
  if (status.valid) {
    try {
      cp = readCheckpoint(dev, sb, geo, pack);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const crcOff = head.checksum_offset;
  const crcOk = crcOff >= CP_BITMAP_OFFSET && crcOff <= BLKSIZE - 4;
  const crc = { offset: crcOff, stored: crcOk ? block.readUInt32LE(crcOff) : null, computed: crcOk ? checkpointCrc(block, crcOff) : null };
  let orphans: number[] | null = null;
  if (cp) {
    try {
      orphans = readOrphans(dev, cp, sb.cp_payload);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const layout = packLayout(head, base, sb.cp_payload);
  const nb = natBitsBlocks(geo);
  return {
    pack,
    blkaddr: base,
    valid: status.valid,
    chosen: force === undefined,
    packs: packs.map(packJson),
    problems,
    head: {
      checkpoint_ver: head.checkpoint_ver.toString(),
      ...pick(head, CP_FIELDS),
      cur_node_segno: head.cur_node_segno,
      cur_node_blkoff: head.cur_node_blkoff,
      cur_data_segno: head.cur_data_segno,
      cur_data_blkoff: head.cur_data_blkoff,
      alloc_type: head.alloc_type,
    },
    flags: cpFlagNames(head.ckpt_flags),
    crc,
    cursegs: cpCursegs(head, geo.mainBlkaddr),
    bitmaps: {
      sit: bitmapSummary(cp?.sitBitmap ?? null, head.sit_ver_bitmap_bytesize, null),
      nat: bitmapSummary(cp?.natBitmap ?? null, head.nat_ver_bitmap_bytesize, null),
    },
    orphans: { present: (head.ckpt_flags & CpFlag.ORPHAN_PRESENT) !== 0, blocks: layout.orphans, inos: orphans },
    summaries: {
      start: head.cp_pack_start_sum,
      form: layout.compact ? 'compact' : 'normal',
      data: layout.dataSummaries,
      node: layout.nodeSummaries,
    },
    payload: layout.payload,
    tail: layout.tail,
    natBits: head.ckpt_flags & CpFlag.NAT_BITS ? { blkaddr: base + BLOCKS_PER_SEG - nb, blocks: nb } : null,
  };
}
export type DumpCpResult = ReturnType<typeof dumpCp>;

/* ------------------------------------------------------------------ stat / ls */

/** st_blocks as the kernel reports it: i_blocks minus the inode block, in 512-byte units, plus inline bytes. */
export function stBlocks(info: InodeInfo): number {
  const i = info.inode;
  let blocks = Math.max(0, i.i_blocks - 1) * (BLKSIZE / 512);
  if ((fileTypeOfMode(i.i_mode) === 1 && hasInlineData(info)) || hasInlineDentry(info)) blocks += Math.ceil(i.i_size / 512);
  return blocks;
}

export function statInode(vol: Volume, info: InodeInfo) {
  const i = info.inode;
  const e = info.extra;
  const f = info.page.footer;
  const dir = isDir(i.i_mode);
  const ft = fileTypeOfMode(i.i_mode);
  const devnum = ft === 3 || ft === 4 ? deviceNumber(info) : null;
  return {
    ino: info.ino,
    type: fileTypeName(i.i_mode),
    mode: i.i_mode,
    modeOctal: i.i_mode.toString(8).padStart(6, '0'),
    modeString: modeString(i.i_mode),
    uid: i.i_uid,
    gid: i.i_gid,
    links: i.i_links,
    size: i.i_size,
    blocks: i.i_blocks,
    stBlocks: stBlocks(info),
    atime: inodeTime(info.page.raw, 'i_atime', i.i_atime_nsec),
    ctime: inodeTime(info.page.raw, 'i_ctime', i.i_ctime_nsec),
    mtime: inodeTime(info.page.raw, 'i_mtime', i.i_mtime_nsec),
    crtime: e && info.extraIsize >= 28 ? inodeTime(info.page.raw, 'i_crtime', e.i_crtime_nsec) : null,
    generation: i.i_generation,
    advise: i.i_advise,
    inline: i.i_inline,
    inlineData: hasInlineData(info),
    inlineDentry: hasInlineDentry(info),
    flags: i.i_flags,
    xattrNid: i.i_xattr_nid,
    pino: i.i_pino,
    name: i.i_name.subarray(0, Math.min(i.i_namelen, 255)).toString(),
    currentDepth: dir ? i.i_current_depth : null,
    gcFailures: dir ? null : gcFailures(info),
    dirLevel: i.i_dir_level,
    extent: i.i_ext,
    extraIsize: info.extraIsize,
    inlineXattrSize: info.inlineXattrWords,
    projid: e && info.extraIsize >= 8 ? e.i_projid : null,
    checksum: e && info.extraIsize >= 12 ? { value: e.i_inode_checksum, ok: info.checksumOk } : null,
    addrsPerInode: info.addrsPerInode,
    device: devnum,
    nids: inodeNids(info),
    node: {
      nid: info.page.nid,
      blkaddr: info.page.blkaddr,
      footer: { ...f, cp_ver: f.cp_ver.toString(), cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT), ofs: footerOfs(f.flag) },
    },
    symlink: isSymlink(i.i_mode) ? vol.readlink(info).toString() : null,
    xattrs: vol.xattrs(info).map((x) => ({ name: x.name, index: x.index, value: x.value })),
  };
}
export type StatResult = ReturnType<typeof statInode>;

export interface LsEntry {
  name: string;
  ino: number;
  fileType: string;
  hash: number;
  mode?: number;
  modeString?: string;
  links?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  /** Symlink target (long listing). */
  target?: string;
}

function longFields(vol: Volume, c: InodeInfo): Partial<LsEntry> {
  const i = c.inode;
  return {
    mode: i.i_mode,
    modeString: modeString(i.i_mode),
    links: i.i_links,
    uid: i.i_uid,
    gid: i.i_gid,
    size: i.i_size,
    mtime: i.i_mtime,
    target: isSymlink(i.i_mode) ? vol.readlink(c).toString() : undefined,
  };
}

/** Entries of a directory in storage order ('.' and '..' included); `long` adds each child's inode fields. */
export function ls(vol: Volume, dir: InodeInfo, long: boolean): LsEntry[] {
  const out: LsEntry[] = [];
  for (const d of vol.dirs.entries(dir)) {
    const e: LsEntry = { name: d.name.toString(), ino: d.ino, fileType: FILE_TYPE_NAMES[d.fileType] ?? `type${d.fileType}`, hash: d.hash };
    if (long) Object.assign(e, during(`while reading inode ${d.ino} (entry "${e.name}")`, () => longFields(vol, vol.inode(d.ino))));
    out.push(e);
  }
  return out;
}

/** One entry describing a non-directory itself (`ls FILE`). */
export function lsSelf(vol: Volume, info: InodeInfo, name: string, long: boolean): LsEntry {
  const e: LsEntry = { name, ino: info.ino, fileType: fileTypeName(info.inode.i_mode), hash: 0 };
  if (long) Object.assign(e, longFields(vol, info));
  return e;
}

/* ------------------------------------------------------------------ bmap */

export interface BmapEntry {
  bidx: number;
  blkaddr: number;
  kind: 'block' | 'new';
  nid: number;
  ofsInNode: number;
}

/** Block map of a file: every allocated slot from file block `from` (inclusive) to `to` (exclusive). */
export function bmap(vol: Volume, info: InodeInfo, from = 0, to = Math.ceil(info.inode.i_size / BLKSIZE)): BmapEntry[] {
  const out: BmapEntry[] = [];
  if (hasInlineData(info) || hasInlineDentry(info)) return out;
  vol.data.walk(info, from, to, (bidx, blkaddr, owner) => out.push({ bidx, blkaddr, kind: blkaddr === NEW_ADDR ? 'new' : 'block', nid: owner.nid, ofsInNode: owner.ofsInNode }));
  return out;
}

export interface BmapRun {
  /** First file block of the run. */
  bidx: number;
  /** Blocks in the run. */
  len: number;
  /** First block address ('new' runs: NEW_ADDR reservations, no block yet). */
  blkaddr: number;
  kind: 'block' | 'new';
}

/** Compresses a block map into runs: consecutive file blocks at consecutive addresses (or consecutive reservations). */
export function bmapRuns(entries: BmapEntry[]): BmapRun[] {
  const runs: BmapRun[] = [];
  for (const e of entries) {
    const r = runs[runs.length - 1];
    if (r && r.kind === e.kind && r.bidx + r.len === e.bidx && (e.kind === 'new' || r.blkaddr + r.len === e.blkaddr)) r.len++;
    else runs.push({ bidx: e.bidx, len: 1, blkaddr: e.blkaddr, kind: e.kind });
  }
  return runs;
}

/** bmap of one file block: its address (or hole/reservation/inline) and the node slot holding it. */
export function bmapOne(vol: Volume, info: InodeInfo, bidx: number) {
  userRange(bidx, 0, maxFileBlocks(info.addrsPerInode), 'file block');
  const size = info.inode.i_size;
  const pastEof = bidx * BLKSIZE >= size;
  if (hasInlineData(info) || hasInlineDentry(info))
    return { bidx, kind: 'inline' as const, blkaddr: null, nid: info.ino, ofsInNode: null, nodeBlkaddr: info.page.blkaddr, level: 0, pastEof };
  const r = vol.data.bmap(info, bidx);
  const kind = r.blkaddr === NULL_ADDR ? ('hole' as const) : r.blkaddr === NEW_ADDR ? ('new' as const) : ('block' as const);
  return { bidx, kind, blkaddr: kind === 'hole' ? null : r.blkaddr, nid: r.owner?.nid ?? null, ofsInNode: r.owner?.ofsInNode ?? null, nodeBlkaddr: r.owner?.nodeBlkaddr ?? null, level: r.level, pastEof };
}

/** Nodes of a file: inode, direct/indirect nodes and the xattr node. */
export function fileNodes(vol: Volume, info: InodeInfo) {
  const nodes: { nid: number; ofs: number; blkaddr: number }[] = [{ nid: info.ino, ofs: 0, blkaddr: info.page.blkaddr }];
  if (!hasInlineData(info) && !hasInlineDentry(info)) vol.data.walk(info, 0, Number.MAX_SAFE_INTEGER, () => {}, (nid, ofs, blkaddr) => nodes.push({ nid, ofs, blkaddr }));
  if (info.inode.i_xattr_nid) {
    const x = vol.nm.readNode(info.inode.i_xattr_nid, info.ino);
    nodes.push({ nid: x.nid, ofs: x.ofs, blkaddr: x.blkaddr });
  }
  return nodes;
}

/* ------------------------------------------------------------------ icheck / ncheck */

export interface IcheckResult {
  blkaddr: number;
  area: Area;
  /** Main-area position (null outside main). */
  segno: number | null;
  offset: number | null;
  segType: (typeof CURSEG_NAMES)[number] | null;
  /** The block's bit in the SIT. */
  valid: boolean | null;
  summarySource: 'curseg' | 'ssa' | null;
  summary: SummaryEntry | null;
  /** data / node: a valid block of that kind; free: not valid in the SIT; metadata: outside the main area. */
  kind: 'data' | 'node' | 'free' | 'metadata';
  ino: number | null;
  /** The node named by the summary (data: the node holding the slot; node: the node itself). */
  nid: number | null;
  /** Footer offset of that node (node blocks). */
  nodeOfs: number | null;
  /** Slot in the owning node and the file block it maps (data blocks). */
  ofsInNode: number | null;
  bidx: number | null;
  /** The owner really points at this block (data: the slot holds it; node: the NAT places the node here). */
  verified: boolean;
  why: string | null;
}

/** icheck: the owner of a block through its SSA entry, verified against the node that should point at it. */
export function icheck(vol: Volume, blkaddr: number): IcheckResult {
  userRange(blkaddr, 0, vol.geo.blockCount, 'block address');
  const area = areaOf(vol, blkaddr);
  const none = { ino: null, nid: null, nodeOfs: null, ofsInNode: null, bidx: null };
  if (area !== 'main') {
    return { blkaddr, area, segno: null, offset: null, segType: null, valid: null, summarySource: null, summary: null, kind: 'metadata', ...none, verified: false, why: `block is in the ${area} area` };
  }
  const segno = vol.sm.segnoOf(blkaddr);
  const off = (blkaddr - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG;
  const sit = vol.sm.getSit(segno);
  const valid = bitMsb.test(sit.valid_map, off);
  const { sum, source, curseg } = vol.sm.summaryOf(segno);
  const entry = sum.entries[off];
  const node = curseg !== undefined ? isNodeSegType(curseg) : isNodeSegType(sit.type) || (sit.valid === 0 && sum.footer.entry_type === SUM_TYPE_NODE);
  const base = { blkaddr, area, segno, offset: off, segType: CURSEG_NAMES[sit.type], valid, summarySource: source, summary: { ...entry }, ...none };
  if (!valid) return { ...base, kind: 'free', verified: false, why: 'block is not valid in the SIT' };
  const kind = node ? ('node' as const) : ('data' as const);
  try {
    if (node) {
      const ne = vol.nm.getNat(entry.nid);
      if (ne.block_addr !== blkaddr) return { ...base, kind, ino: ne.ino, nid: entry.nid, verified: false, why: `NAT places node ${entry.nid} at ${ne.block_addr}` };
      const page = vol.nm.readNode(entry.nid);
      return { ...base, kind, ino: page.footer.ino, nid: entry.nid, nodeOfs: page.ofs, verified: true, why: null };
    }
    const page = vol.nm.readNode(entry.nid);
    const ino = page.footer.ino;
    const held = { ...base, kind, ino, nid: entry.nid, nodeOfs: page.ofs, ofsInNode: entry.ofs_in_node };
    let slotAddr: number;
    let bidx: number;
    if (page.nid === ino) {
      const inode = vol.inode(ino);
      slotAddr = inodeAddr(inode, entry.ofs_in_node);
      bidx = entry.ofs_in_node;
    } else {
      if (!isDnodeOfs(page.ofs) || isXattrOfs(page.ofs)) return { ...held, verified: false, why: `node ${entry.nid} (offset ${page.ofs}) is not a direct node` };
      slotAddr = page.raw.readUInt32LE(4 * entry.ofs_in_node);
      bidx = startBidxOfNode(page.ofs, vol.inode(ino).addrsPerInode) + entry.ofs_in_node;
    }
    const ok = slotAddr === blkaddr;
    return { ...held, bidx, verified: ok, why: ok ? null : `node ${entry.nid} slot ${entry.ofs_in_node} holds ${slotAddr}` };
  } catch (e) {
    return { ...base, kind, verified: false, why: (e as Error).message };
  }
}


/** ncheck: paths naming each inode, by a walk of the whole tree (hard links give several). */
export function ncheck(vol: Volume, inos: number[]): Map<number, string[]> {
  const want = new Set(inos);
  const found = new Map<number, string[]>(inos.map((i) => [i, []]));
  if (want.has(vol.sb.root_ino)) found.get(vol.sb.root_ino)!.push('/');
  walkTree(vol, (path, d) => {
    if (want.has(d.ino)) found.get(d.ino)!.push(path);
  });
  return found;
}

/**
 * Depth-first walk of every dentry below `start` (no '.'/'..'). A directory met twice (a dentry naming an ancestor,
 * or a second link to a directory) is CORRUPT: the walk would not end or would repeat a subtree.
 */
export function walkTree(vol: Volume, visit: (path: string, d: Dentry, parent: number) => void, start = vol.sb.root_ino, prefix = ''): void {
  const seen = new Map<number, string>([[start, prefix || '/']]);
  const stack: [number, string][] = [[start, prefix]];
  while (stack.length) {
    const [ino, path] = stack.pop()!;
    const dir = vol.inode(ino);
    for (const d of vol.dirs.entries(dir)) {
      const name = d.name.toString();
      if (name === '.' || name === '..') continue;
      const p = `${path}/${name}`;
      visit(p, d, ino);
      if (d.fileType !== 2) continue;
      const before = seen.get(d.ino);
      if (before !== undefined) fail('CORRUPT', `${p}: directory inode ${d.ino} is already at ${before} (a directory cycle or a second link to a directory)`, { ino: d.ino });
      seen.set(d.ino, p);
      stack.push([d.ino, p]);
    }
  }
}

/* ------------------------------------------------------------------ NAT / SIT / SSA tables */

export interface NatDumpEntry {
  nid: number;
  ino: number;
  blkaddr: number;
  version: number;
  /** Where the entry came from: the NAT journal, the current NAT block, or this session's unflushed changes. */
  source: 'journal' | 'block' | 'dirty';
  /** Current NAT copy of its block (1 or 2, as dump.f2fs prints "pack"). */
  pack: 1 | 2;
  natBlkaddr: number;
  /** Footer offset of the node block (dump.f2fs's "offset"), with `footers`; null when not read or not in main. */
  offset?: number | null;
}

/**
 * NAT entries for nids in [start, end] (inclusive), current copies with journal (and unflushed) overrides; only
 * allocated ones (block_addr != 0) unless `all`. `footers` reads each node block for its footer offset.
 */
export function dumpNat(vol: Volume, start: number, end: number, all = false, opts: { footers?: boolean } = {}): NatDumpEntry[] {
  const last = Math.min(end, vol.geo.maxNid - 1);
  const journal = new Map(vol.nm.journalEntries());
  const dirty = vol.nm.natDirty;
  const out: NatDumpEntry[] = [];
  for (let k = Math.floor(Math.max(start, 0) / NAT_ENTRY_PER_BLOCK); k * NAT_ENTRY_PER_BLOCK <= last; k++) {
    const natBlkaddr = vol.nm.natBlockAddr(k);
    const pack = natBlkaddr === vol.geo.natBlkaddr + 2 * BLOCKS_PER_SEG * Math.floor(k / BLOCKS_PER_SEG) + (k % BLOCKS_PER_SEG) ? 1 : 2;
    const block = vol.dev.readBlock(natBlkaddr);
    for (let s = 0; s < NAT_ENTRY_PER_BLOCK; s++) {
      const nid = k * NAT_ENTRY_PER_BLOCK + s;
      if (nid < Math.max(start, 1) || nid > last) continue;
      const d = dirty.get(nid);
      const j = d ? undefined : journal.get(nid);
      const e = d ?? j ?? NatEntry.decode(block, s * NatEntry.size);
      if (!all && e.block_addr === NULL_ADDR) continue;
      const entry: NatDumpEntry = { nid, ino: e.ino, blkaddr: e.block_addr, version: e.version, source: d ? 'dirty' : j ? 'journal' : 'block', pack, natBlkaddr };
      if (opts.footers) {
        const a = e.block_addr;
        const raw = a >= vol.geo.mainBlkaddr && a < vol.geo.mainEnd ? (vol.nm.dirtyNodes.get(nid) ?? vol.dev.readBlock(a)) : vol.nm.dirtyNodes.get(nid);
        entry.offset = raw ? footerOfs(NodeFooter.decode(raw, NODE_FOOTER_OFFSET).flag) : null;
      }
      out.push(entry);
    }
  }
  return out;
}

/** Current SIT copy (1 or 2) of the SIT block holding `segno` (dump.f2fs's sit_pack). */
const sitPack = (vol: Volume, segno: number): 1 | 2 => (bitMsb.test(vol.cp.sitBitmap, Math.floor(segno / SIT_ENTRY_PER_BLOCK)) ? 2 : 1);

/** SIT entries of segments [start, end] (inclusive), journal and unflushed changes applied; totals like dump.f2fs's last line. */
export function dumpSit(vol: Volume, start: number, end: number) {
  const last = Math.min(end, vol.geo.mainSegments - 1);
  const segments = [];
  let validBlocks = 0;
  let free = 0;
  for (let segno = start; segno <= last; segno++) {
    const s = vol.sm.getSit(segno);
    const c = vol.sm.cursegOf(segno);
    validBlocks += s.valid;
    if (s.valid === 0) free++;
    segments.push({
      segno,
      vblocks: s.valid,
      type: s.type,
      typeName: CURSEG_NAMES[s.type],
      mtime: s.mtime,
      validMap: s.valid_map.toString('hex'),
      source: vol.sm.sitDirty.has(segno) ? ('dirty' as const) : s.source,
      pack: sitPack(vol, segno),
      curseg: c ? CURSEG_NAMES[c.type] : null,
    });
  }
  return { segments, totals: { validBlocks, validSegments: segments.length - free, freeSegments: free } };
}
export type DumpSitResult = ReturnType<typeof dumpSit>;

/** Summary blocks of segments [start, end] (inclusive): the log's in-memory summary for current segments, else the SSA block. */
export function dumpSsa(vol: Volume, start: number, end: number) {
  const last = Math.min(end, vol.geo.mainSegments - 1);
  const out = [];
  for (let segno = start; segno <= last; segno++) {
    const { sum, source, curseg } = vol.sm.summaryOf(segno);
    const node = curseg !== undefined ? isNodeSegType(curseg) : sum.footer.entry_type === SUM_TYPE_NODE;
    out.push({ segno, source, curseg: curseg === undefined ? null : CURSEG_NAMES[curseg], entryType: node ? ('node' as const) : ('data' as const), entries: sum.entries });
  }
  return out;
}
export type DumpSsaResult = ReturnType<typeof dumpSsa>;

/* ------------------------------------------------------------------ areas, nodes, blocks */

const ZERO_BLOCK = Buffer.alloc(BLKSIZE);
const isZeroBlock = (b: Buffer) => b.equals(ZERO_BLOCK);

export type Area = 'superblock' | 'unused' | 'cp' | 'sit' | 'nat' | 'ssa' | 'main' | 'past-main';

/** Which area a device block belongs to. */
export function areaOf(vol: Volume, blkaddr: number): Area {
  const g = vol.geo;
  if (blkaddr < 2) return 'superblock';
  if (blkaddr < g.cpBlkaddr) return 'unused';
  if (blkaddr < g.sitBlkaddr) return 'cp';
  if (blkaddr < g.natBlkaddr) return 'sit';
  if (blkaddr < g.ssaBlkaddr) return 'nat';
  if (blkaddr < g.mainBlkaddr) return 'ssa';
  if (blkaddr < g.mainEnd) return 'main';
  return 'past-main';
}

export type NodeKind = 'inode' | 'direct' | 'indirect' | 'xattr';

function footerJson(f: NodeFooter) {
  const ofs = footerOfs(f.flag);
  const kind: NodeKind = f.nid === f.ino && ofs === 0 ? 'inode' : isXattrOfs(ofs) ? 'xattr' : isDnodeOfs(ofs) ? 'direct' : 'indirect';
  return { ...f, cp_ver: f.cp_ver.toString(), ofs, kind, cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT) };
}

/**
 * Decodes a node block by its footer kind, reporting (not failing on) a footer that disagrees with the NAT.
 * `nid` is the node the caller looked up (dump-node), if any.
 */
export function decodeNodeBlock(vol: Volume, raw: Buffer, blkaddr: number, nid?: number) {
  const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
  const footer = footerJson(f);
  const problems: string[] = [];
  const who = nid ?? f.nid;
  if (nid !== undefined && f.nid !== nid) problems.push(`footer nid ${f.nid} is not ${nid}`);
  let nat: { ino: number; block_addr: number; version: number } | null = null;
  if (who >= 1 && who < vol.geo.maxNid) {
    const ne = vol.nm.getNat(who);
    nat = { ino: ne.ino, block_addr: ne.block_addr, version: ne.version };
    if (ne.block_addr !== blkaddr && ne.block_addr !== NEW_ADDR) problems.push(`NAT places node ${who} at ${ne.block_addr}, not ${blkaddr}`);
    if (ne.ino !== f.ino) problems.push(`footer ino ${f.ino} differs from the NAT's ${ne.ino}`);
  } else problems.push(`footer nid ${f.nid} is out of range`);
  const guard = <T>(what: string, fn: () => T): T | null => {
    try {
      return fn();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };
  const base = { blkaddr, nid: who, footer, nat, problems };
  switch (footer.kind) {
    case 'inode': {
      const page = new NodePage(f.nid, blkaddr, f.ino, footer.ofs, raw);
      const ii = guard('inode', () => readInodeInfo(page, vol.sb.feature, (p, e, h) => vol.nm.checksumOk(p, e, h)));
      if (!ii) return { ...base, kind: 'inode' as const, inode: null, inline: null, addrs: [], nids: [] };
      const inline = hasInlineData(ii) || hasInlineDentry(ii);
      const addrs = inline ? [] : Array.from({ length: ii.addrsPerInode }, (_, slot) => ({ slot, bidx: slot, blkaddr: inodeAddr(ii, slot) })).filter((a) => a.blkaddr !== NULL_ADDR);
      const stat = guard('inode', () => statInode(vol, ii));
      return {
        ...base,
        kind: 'inode' as const,
        inode: stat,
        inline: inline ? { bytes: hasInlineData(ii) ? ii.inode.i_size : ii.maxInlineData, offset: ii.inlineDataOffset } : null,
        addrs,
        nids: inodeNids(ii).map((n, i) => ({ slot: i, nid: n })).filter((x) => x.nid !== 0),
      };
    }
    case 'direct': {
      const first = guard('owner inode', () => startBidxOfNode(footer.ofs, vol.inode(f.ino).addrsPerInode));
      const addrs = DirectNode.decode(raw).addr.flatMap((a, slot) => (a === NULL_ADDR ? [] : [{ slot, bidx: first === null ? null : first + slot, blkaddr: a }]));
      return { ...base, kind: 'direct' as const, firstBidx: first, addrs };
    }
    case 'indirect': {
      const nids = IndirectNode.decode(raw).nid.flatMap((n, slot) => (n === 0 ? [] : [{ slot, nid: n }]));
      return { ...base, kind: 'indirect' as const, nids };
    }
    case 'xattr': {
      const xattrs = guard('owner xattrs', () => vol.xattrs(vol.inode(f.ino)).map((x) => ({ name: x.name, index: x.index, value: x.value })));
      return { ...base, kind: 'xattr' as const, owner: f.ino, xattrs };
    }
  }
}
export type NodeDump = ReturnType<typeof decodeNodeBlock>;

/** dump-node: node `nid` through the NAT (an unflushed node of this session comes from memory). */
export function dumpNode(vol: Volume, nid: number) {
  userRange(nid, 1, vol.geo.maxNid, 'nid');
  const ne = vol.nm.getNat(nid);
  if (ne.block_addr === NULL_ADDR) fail('ENOENT', `node ${nid} is not allocated (NAT block_addr 0)`, { nid });
  const dirty = vol.nm.dirtyNodes.get(nid);
  if (!dirty) vol.check.mainBlkaddr(ne.block_addr, `NAT entry of node ${nid}`);
  const raw = dirty ?? vol.dev.readBlock(ne.block_addr);
  return { natSource: vol.nm.natSource(nid), unflushed: !!dirty, ...decodeNodeBlock(vol, raw, ne.block_addr, nid) };
}
export type DumpNodeResult = ReturnType<typeof dumpNode>;

const nonZeroSummaries = (entries: SummaryEntry[]) =>
  entries.flatMap((e, offset) => (e.nid || e.version || e.ofs_in_node ? [{ offset, nid: e.nid, version: e.version, ofs_in_node: e.ofs_in_node }] : []));

function summaryJson(sum: SummaryBlock) {
  return { entryType: sum.footer.entry_type === SUM_TYPE_NODE ? 'node' : 'data', checkSum: sum.footer.check_sum, entries: nonZeroSummaries(sum.entries) };
}

/** What a block of the CP area is, from the head of its pack. */
function describeCpBlock(vol: Volume, blkaddr: number, raw: Buffer) {
  const g = vol.geo;
  const pack: 1 | 2 = blkaddr < g.cpBlkaddr + BLOCKS_PER_SEG ? 1 : 2;
  const base = g.cpBlkaddr + (pack - 1) * BLOCKS_PER_SEG;
  const index = blkaddr - base;
  const headBlock = vol.dev.readBlock(base);
  const head = CheckpointHead.decode(headBlock);
  const status = packStatuses(vol.dev, g)[pack - 1];
  const common = { pack, index, packValid: status.valid };
  const layout = packLayout(head, base, vol.sb.cp_payload);
  const nb = natBitsBlocks(g);
  if (blkaddr === layout.head || blkaddr === layout.tail) {
    const h = CheckpointHead.decode(raw);
    const off = h.checksum_offset;
    const crcOk = off >= CP_BITMAP_OFFSET && off <= BLKSIZE - 4 ? checkpointCrc(raw, off) === raw.readUInt32LE(off) : false;
    return { ...common, role: blkaddr === layout.head ? ('cp-head' as const) : ('cp-tail' as const), checkpoint: { checkpoint_ver: h.checkpoint_ver.toString(), ...pick(h, CP_FIELDS), flags: cpFlagNames(h.ckpt_flags), crcOk } };
  }
  if (!status.valid) return { ...common, role: 'unknown' as const, why: `pack ${pack} is not valid: ${status.why}` };
  if (layout.payload.includes(blkaddr)) return { ...common, role: 'cp-payload' as const };
  if (layout.orphans.includes(blkaddr)) {
    const o = OrphanBlock.decode(raw);
    return { ...common, role: 'orphan' as const, orphan: { blk_addr: o.blk_addr, blk_count: o.blk_count, entry_count: o.entry_count, inos: o.ino.slice(0, Math.min(o.entry_count, ORPHANS_PER_BLOCK)) } };
  }
  const d = layout.dataSummaries.indexOf(blkaddr);
  if (d >= 0) {
    if (layout.compact) {
      if (d > 0) return { ...common, role: 'compact-summary' as const, first: false };
      const nat = NatJournal.decode(raw, 0);
      const sit = SitJournal.decode(raw, NatJournal.size);
      return { ...common, role: 'compact-summary' as const, first: true, natJournal: nat.n_nats, sitJournal: sit.n_sits };
    }
    return { ...common, role: 'data-summary' as const, log: CURSEG_NAMES[d], summary: summaryJson(SummaryBlock.decode(raw)) };
  }
  const n = layout.nodeSummaries.indexOf(blkaddr);
  if (n >= 0) return { ...common, role: 'node-summary' as const, log: CURSEG_NAMES[3 + n], summary: summaryJson(SummaryBlock.decode(raw)) };
  if (head.ckpt_flags & CpFlag.NAT_BITS && index >= BLOCKS_PER_SEG - nb) return { ...common, role: 'nat-bits' as const, natBitsBlock: index - (BLOCKS_PER_SEG - nb) };
  return { ...common, role: 'unused' as const };
}

/**
 * `block BLKADDR`: the area of a device block and its content decoded by what it is (superblock, CP block, SIT/NAT
 * block, SSA block, node block, or data with its owner; a dentry block when the owner is a directory).
 */
export function describeBlock(vol: Volume, blkaddr: number) {
  userRange(blkaddr, 0, vol.dev.blockCount, 'block address');
  const g = vol.geo;
  const area = areaOf(vol, blkaddr);
  const raw = vol.dev.readBlock(blkaddr);
  const base = { blkaddr, area, byteOffset: blkaddr * BLKSIZE };
  switch (area) {
    case 'superblock': {
      const sb = Superblock.decode(raw.subarray(SUPER_OFFSET, SUPER_OFFSET + Superblock.size));
      return { ...base, kind: 'superblock' as const, copy: blkaddr, inUse: vol.sbChoice.index === blkaddr, superblock: sb };
    }
    case 'cp':
      return { ...base, kind: 'checkpoint' as const, cp: describeCpBlock(vol, blkaddr, raw) };
    case 'sit': {
      const rel = blkaddr - g.sitBlkaddr;
      const copy = rel >= g.sitBlocks ? 2 : 1;
      const k = rel % g.sitBlocks;
      const current = vol.sm.sitBlockAddr(k) === blkaddr;
      const entries = SitBlock.decode(raw).entries.flatMap((e, i) => {
        const segno = k * SIT_ENTRY_PER_BLOCK + i;
        if (segno >= g.mainSegments || (e.vblocks === 0 && e.mtime === 0)) return [];
        return [{ segno, vblocks: sitValidBlocks(e.vblocks), type: sitType(e.vblocks), mtime: e.mtime, validMap: e.valid_map.toString('hex') }];
      });
      return { ...base, kind: 'sit' as const, sitBlock: k, copy, current, firstSegno: k * SIT_ENTRY_PER_BLOCK, entries };
    }
    case 'nat': {
      const rel = blkaddr - g.natBlkaddr;
      const seg = Math.floor(rel / BLOCKS_PER_SEG);
      const copy = seg % 2 === 0 ? 1 : 2;
      const k = Math.floor(seg / 2) * BLOCKS_PER_SEG + (rel % BLOCKS_PER_SEG);
      const current = k < g.natBlocks && vol.nm.natBlockAddr(k) === blkaddr;
      const entries = NatBlock.decode(raw).entries.flatMap((e, i) =>
        e.block_addr || e.ino || e.version ? [{ nid: k * NAT_ENTRY_PER_BLOCK + i, ino: e.ino, blkaddr: e.block_addr, version: e.version }] : [],
      );
      return { ...base, kind: 'nat' as const, natBlock: k, copy, current, firstNid: k * NAT_ENTRY_PER_BLOCK, entries };
    }
    case 'ssa': {
      const segno = blkaddr - g.ssaBlkaddr;
      if (segno >= g.mainSegments) return { ...base, kind: 'unused' as const };
      const c = vol.sm.cursegOf(segno);
      return { ...base, kind: 'ssa' as const, segno, stale: c ? `segment ${segno} is the current ${CURSEG_NAMES[c.type]} log: its live summary is in the checkpoint, this block may be stale` : null, summary: summaryJson(SummaryBlock.decode(raw)) };
    }
    case 'main': {
      const owner = icheck(vol, blkaddr);
      const sit = vol.sm.getSit(owner.segno!);
      // A free block is decoded only when it holds something (a stale node, old data); zeros are just free.
      const zero = owner.kind === 'free' && isZeroBlock(raw);
      const nodeSeg = owner.kind === 'node' || (owner.kind === 'free' && !zero && isNodeSegType(sit.type));
      if (nodeSeg) return { ...base, kind: 'node' as const, owner, node: during(`while decoding node block ${blkaddr}`, () => decodeNodeBlock(vol, raw, blkaddr)) };
      let dentries: { name: string; ino: number; fileType: string; hash: number; slot: number }[] | null = null;
      if (owner.kind === 'data' && owner.verified && owner.ino !== null) {
        const o = vol.inode(owner.ino);
        if (isDir(o.inode.i_mode)) {
          dentries = [...areaEntries(blockArea(raw), owner.bidx ?? 0, vol.check, `directory ${o.ino}`)].map((d) => ({
            name: d.name.toString(),
            ino: d.ino,
            fileType: FILE_TYPE_NAMES[d.fileType] ?? `type${d.fileType}`,
            hash: d.hash,
            slot: d.slot,
          }));
        }
      }
      return { ...base, kind: owner.kind === 'free' ? ('free' as const) : ('data' as const), owner, zero: zero || isZeroBlock(raw), dentries };
    }
    default:
      return { ...base, kind: 'unused' as const };
  }
}
export type BlockResult = ReturnType<typeof describeBlock>;
