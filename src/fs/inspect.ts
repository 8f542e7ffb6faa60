// Read-only inspection operations behind the debugfs-style commands: stat, ls, bmap, icheck, ncheck, table dumps and block decoding.
import { fail } from '../errors.js';
import { BLKSIZE, BLOCKS_PER_SEG, CURSEG_NAMES, NAT_ENTRY_PER_BLOCK, NEW_ADDR, NULL_ADDR, isNodeSegType } from './layout/constants.js';
import { CpFlag, cpFlagNames } from './layout/checkpoint.js';
import { FILE_TYPE_NAMES, fileTypeOfMode } from './layout/dentry.js';
import { NODE_FOOTER_OFFSET, NodeFooter, NodeFlag, footerOfs, isDnodeOfs, isXattrOfs } from './layout/node.js';
import { bitMsb } from './layout/struct.js';
import { featureNames, volumeName } from './layout/superblock.js';
import { SUM_TYPE_NODE } from './layout/summary.js';
import { NatEntry } from './layout/nat.js';
import { deviceNumber, gcFailures, isDir, isSymlink, modeString, type InodeInfo } from './inode.js';
import type { Dentry } from './dir.js';
import type { Volume } from './volume.js';

export const fileTypeName = (mode: number) => FILE_TYPE_NAMES[fileTypeOfMode(mode)];
const time = (sec: number, nsec: number) => ({ sec, nsec, iso: new Date(sec * 1000 + Math.floor(nsec / 1e6)).toISOString() });

export function uuidString(u: Buffer): string {
  const h = u.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Volume summary: geometry, checkpoint state and usage (what `fsck.f2fs -l` and `dump.f2fs` print first). */
export function info(vol: Volume) {
  const sb = vol.sb;
  const h = vol.cp.head;
  return {
    superblock: { copy: vol.sbChoice.index, version: `${sb.major_ver}.${sb.minor_ver}`, uuid: uuidString(sb.uuid), label: volumeName(sb), features: featureNames(sb.feature) },
    geometry: {
      blockSize: BLKSIZE,
      blockCount: sb.block_count,
      sizeBytes: sb.block_count * BLKSIZE,
      segmentCount: sb.segment_count,
      sectionCount: sb.section_count,
      segsPerSec: sb.segs_per_sec,
      secsPerZone: sb.secs_per_zone,
      areas: {
        cp: { blkaddr: sb.cp_blkaddr, segments: sb.segment_count_ckpt },
        sit: { blkaddr: sb.sit_blkaddr, segments: sb.segment_count_sit },
        nat: { blkaddr: sb.nat_blkaddr, segments: sb.segment_count_nat },
        ssa: { blkaddr: sb.ssa_blkaddr, segments: sb.segment_count_ssa },
        main: { blkaddr: sb.main_blkaddr, segments: sb.segment_count_main },
      },
      maxNid: vol.geo.maxNid,
      cpPayload: sb.cp_payload,
    },
    checkpoint: {
      pack: vol.cp.pack,
      version: h.checkpoint_ver.toString(),
      flags: cpFlagNames(h.ckpt_flags),
      flagsRaw: h.ckpt_flags,
      packs: vol.cp.packs.map((p) => ({ pack: p.pack, blkaddr: p.base, valid: p.valid, version: p.version?.toString() ?? null, why: p.why ?? null })),
      userBlockCount: h.user_block_count,
      validBlockCount: h.valid_block_count,
      validNodeCount: h.valid_node_count,
      validInodeCount: h.valid_inode_count,
      freeSegmentCount: h.free_segment_count,
      rsvdSegmentCount: h.rsvd_segment_count,
      overprovSegmentCount: h.overprov_segment_count,
      nextFreeNid: h.next_free_nid,
      elapsedTime: h.elapsed_time,
      orphans: h.ckpt_flags & CpFlag.ORPHAN_PRESENT ? vol.orphans().length : 0,
    },
    cursegs: vol.sm.cursegs.map((c) => ({ type: CURSEG_NAMES[c.type], segno: c.segno, blkoff: c.blkoff, blkaddr: vol.sm.segBlkaddr(c.segno) + c.blkoff, alloc: c.allocType ? 'ssr' : 'lfs' })),
  };
}

export function statInode(vol: Volume, info: InodeInfo) {
  const i = info.inode;
  const e = info.extra;
  const f = info.page.footer;
  const dir = isDir(i.i_mode);
  const devnum = fileTypeOfMode(i.i_mode) === 3 || fileTypeOfMode(i.i_mode) === 4 ? deviceNumber(info) : null;
  return {
    ino: info.ino,
    type: fileTypeName(i.i_mode),
    mode: i.i_mode,
    modeString: modeString(i.i_mode),
    uid: i.i_uid,
    gid: i.i_gid,
    links: i.i_links,
    size: i.i_size,
    blocks: i.i_blocks,
    atime: time(i.i_atime, i.i_atime_nsec),
    ctime: time(i.i_ctime, i.i_ctime_nsec),
    mtime: time(i.i_mtime, i.i_mtime_nsec),
    crtime: e && info.extraIsize >= 28 ? time(e.i_crtime, e.i_crtime_nsec) : null,
    generation: i.i_generation,
    advise: i.i_advise,
    inline: i.i_inline,
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
    nids: i.i_nid,
    node: { nid: info.page.nid, blkaddr: info.page.blkaddr, footer: { ...f, cp_ver: f.cp_ver.toString(), cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT), ofs: footerOfs(f.flag) } },
    symlink: isSymlink(i.i_mode) ? vol.readlink(info).toString() : null,
  };
}

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
}

export function ls(vol: Volume, dir: InodeInfo, long: boolean): LsEntry[] {
  const out: LsEntry[] = [];
  for (const d of vol.dirs.entries(dir)) {
    const e: LsEntry = { name: d.name.toString(), ino: d.ino, fileType: FILE_TYPE_NAMES[d.fileType] ?? `type${d.fileType}`, hash: d.hash };
    if (long) {
      const c = vol.inode(d.ino).inode;
      Object.assign(e, { mode: c.i_mode, modeString: modeString(c.i_mode), links: c.i_links, uid: c.i_uid, gid: c.i_gid, size: c.i_size, mtime: c.i_mtime });
    }
    out.push(e);
  }
  return out;
}

/** Block map of a file: every allocated slot from file block `from` (inclusive) to `to` (exclusive). */
export function bmap(vol: Volume, info: InodeInfo, from = 0, to = Math.ceil(info.inode.i_size / BLKSIZE)) {
  const out: { bidx: number; blkaddr: number; kind: 'block' | 'new'; nid: number; ofsInNode: number }[] = [];
  vol.data.walk(info, from, to, (bidx, blkaddr, owner) => out.push({ bidx, blkaddr, kind: blkaddr === NEW_ADDR ? 'new' : 'block', nid: owner.nid, ofsInNode: owner.ofsInNode }));
  return out;
}

/** Nodes of a file: inode, direct/indirect nodes and the xattr node. */
export function fileNodes(vol: Volume, info: InodeInfo) {
  const nodes: { nid: number; ofs: number; blkaddr: number }[] = [{ nid: info.ino, ofs: 0, blkaddr: info.page.blkaddr }];
  vol.data.walk(info, 0, Number.MAX_SAFE_INTEGER, () => {}, (nid, ofs, blkaddr) => nodes.push({ nid, ofs, blkaddr }));
  if (info.inode.i_xattr_nid) {
    const x = vol.nm.readNode(info.inode.i_xattr_nid, info.ino);
    nodes.push({ nid: x.nid, ofs: x.ofs, blkaddr: x.blkaddr });
  }
  return nodes;
}

/** icheck: the owner of a main-area block through its SSA entry, verified against the node that should point at it. */
export function icheck(vol: Volume, blkaddr: number) {
  vol.check.mainBlkaddr(blkaddr, 'icheck');
  const segno = vol.sm.segnoOf(blkaddr);
  const off = (blkaddr - vol.geo.mainBlkaddr) % BLOCKS_PER_SEG;
  const sit = vol.sm.getSit(segno);
  const valid = bitMsb.test(sit.valid_map, off);
  const { sum, source } = vol.sm.summaryOf(segno);
  const entry = sum.entries[off];
  const node = isNodeSegType(sit.type) || (sit.valid === 0 && sum.footer.entry_type === SUM_TYPE_NODE);
  const base = { blkaddr, segno, offset: off, segType: CURSEG_NAMES[sit.type], valid, summarySource: source, summary: entry };
  if (!valid) return { ...base, kind: 'free' as const, ino: null, verified: false, why: 'block is not valid in the SIT' };
  try {
    if (node) {
      const ne = vol.nm.getNat(entry.nid);
      if (ne.block_addr !== blkaddr) return { ...base, kind: 'node' as const, ino: ne.ino, verified: false, why: `NAT places node ${entry.nid} at ${ne.block_addr}` };
      const page = vol.nm.readNode(entry.nid);
      return { ...base, kind: 'node' as const, ino: page.footer.ino, nid: entry.nid, nodeOfs: page.ofs, verified: true, why: null };
    }
    const page = vol.nm.readNode(entry.nid);
    let slotAddr: number;
    let ino = page.footer.ino;
    if (page.nid === page.footer.ino) {
      const inode = vol.inode(page.nid);
      slotAddr = inode.inode.i_addr[inode.extraWords + entry.ofs_in_node];
    } else {
      slotAddr = page.raw.readUInt32LE(4 * entry.ofs_in_node);
      ino = page.footer.ino;
    }
    const ok = slotAddr === blkaddr;
    return { ...base, kind: 'data' as const, ino, nid: entry.nid, ofsInNode: entry.ofs_in_node, verified: ok, why: ok ? null : `node ${entry.nid} slot ${entry.ofs_in_node} holds ${slotAddr}` };
  } catch (e) {
    return { ...base, kind: node ? ('node' as const) : ('data' as const), ino: null, verified: false, why: (e as Error).message };
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

/** Depth-first walk of every dentry below root (no '.'/'..'), visiting each directory once. */
export function walkTree(vol: Volume, visit: (path: string, d: Dentry, parent: number) => void, start = vol.sb.root_ino, prefix = ''): void {
  const seen = new Set<number>([start]);
  const stack: [number, string][] = [[start, prefix]];
  while (stack.length) {
    const [ino, path] = stack.pop()!;
    const dir = vol.inode(ino);
    for (const d of vol.dirs.entries(dir)) {
      const name = d.name.toString();
      if (name === '.' || name === '..') continue;
      const p = `${path}/${name}`;
      visit(p, d, ino);
      if (d.fileType === 2 && !seen.has(d.ino)) {
        seen.add(d.ino);
        stack.push([d.ino, p]);
      }
    }
  }
}

/** NAT entries for nids in [start, end], current copies with journal overrides; only allocated ones unless `all`. */
export function dumpNat(vol: Volume, start: number, end: number, all = false) {
  const last = Math.min(end, vol.geo.maxNid - 1);
  const journal = new Map(vol.nm.journalEntries());
  const out: { nid: number; ino: number; blkaddr: number; version: number; source: 'journal' | 'block'; natBlkaddr: number }[] = [];
  for (let k = Math.floor(start / NAT_ENTRY_PER_BLOCK); k * NAT_ENTRY_PER_BLOCK <= last; k++) {
    const natBlkaddr = vol.nm.natBlockAddr(k);
    const block = vol.dev.readBlock(natBlkaddr);
    for (let s = 0; s < NAT_ENTRY_PER_BLOCK; s++) {
      const nid = k * NAT_ENTRY_PER_BLOCK + s;
      if (nid < Math.max(start, 1) || nid > last) continue;
      const j = journal.get(nid);
      const e = j ?? NatEntry.decode(block, s * NatEntry.size);
      if (!all && e.block_addr === NULL_ADDR) continue;
      out.push({ nid, ino: e.ino, blkaddr: e.block_addr, version: e.version, source: j ? 'journal' : 'block', natBlkaddr });
    }
  }
  return out;
}

export function dumpSit(vol: Volume, start: number, end: number) {
  const last = Math.min(end, vol.geo.mainSegments - 1);
  const out = [];
  for (let segno = start; segno <= last; segno++) {
    const s = vol.sm.getSit(segno);
    const c = vol.sm.cursegOf(segno);
    out.push({ segno, valid: s.valid, type: s.type, typeName: CURSEG_NAMES[s.type], mtime: s.mtime, validMap: s.valid_map.toString('hex'), source: s.source, curseg: c ? CURSEG_NAMES[c.type] : null });
  }
  return out;
}

export function dumpSsa(vol: Volume, start: number, end: number) {
  const last = Math.min(end, vol.geo.mainSegments - 1);
  const out = [];
  for (let segno = start; segno <= last; segno++) {
    const { sum, source, curseg } = vol.sm.summaryOf(segno);
    out.push({ segno, source, curseg: curseg === undefined ? null : CURSEG_NAMES[curseg], entryType: sum.footer.entry_type === SUM_TYPE_NODE ? 'node' : 'data', entries: sum.entries });
  }
  return out;
}

/** Which area a device block belongs to. */
export function areaOf(vol: Volume, blkaddr: number): 'superblock' | 'unused' | 'cp' | 'sit' | 'nat' | 'ssa' | 'main' | 'past-main' {
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

/** A node block's identity (from its footer) without trusting the NAT. */
export function nodeFooterAt(vol: Volume, blkaddr: number) {
  const f = NodeFooter.decode(vol.dev.readBlock(blkaddr), NODE_FOOTER_OFFSET);
  const ofs = footerOfs(f.flag);
  const kind = f.nid === f.ino && ofs === 0 ? 'inode' : isXattrOfs(ofs) ? 'xattr' : isDnodeOfs(ofs) ? 'direct' : 'indirect';
  return { ...f, cp_ver: f.cp_ver.toString(), ofs, kind, cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT) };
}

export function requireRegular(info: InodeInfo, what: string): void {
  if (isDir(info.inode.i_mode)) fail('EISDIR', `${what} is a directory`);
}

