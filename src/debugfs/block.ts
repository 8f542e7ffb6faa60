// Block decoding by area: `block BLKADDR`, `dump-node NID`, node blocks by footer kind, CP-area blocks by role.
import { during, fail } from '../errors.js';
import { packStatuses } from '../fs/checkpoint.js';
import { areaEntries } from '../fs/dir.js';
import { hasInlineData, hasInlineDentry, inodeAddr, inodeNids, isDir, readInodeInfo } from '../fs/inode.js';
import { CheckpointHead, CpFlag, OrphanBlock, checkpointCrc, cpFlagNames, cpCrcOffsetOk, cpStoredCrc, natBitsSize } from '../fs/layout/checkpoint.js';
import { BLKSIZE, BLOCKS_PER_SEG, CURSEG_NAMES, NAT_ENTRY_PER_BLOCK, NEW_ADDR, NULL_ADDR, ORPHANS_PER_BLOCK, SIT_ENTRY_PER_BLOCK, SUPER_OFFSET, isNodeSegType, isZeroBlock } from '../fs/layout/constants.js';
import { FILE_TYPE_NAMES, blockArea } from '../fs/layout/dentry.js';
import { NatBlock } from '../fs/layout/nat.js';
import { DirectNode, IndirectNode, NODE_FOOTER_OFFSET, NodeFlag, NodeFooter, footerOfs, isDnodeOfs, isXattrOfs } from '../fs/layout/node.js';
import { SitBlock, sitType, sitValidBlocks } from '../fs/layout/sit.js';
import { SUM_TYPE_NODE, NatJournal, SitJournal, SummaryBlock, type SummaryEntry } from '../fs/layout/summary.js';
import { Superblock } from '../fs/layout/superblock.js';
import { NodePage } from '../fs/node.js';
import { startBidxOfNode } from '../fs/node.js';
import type { Volume } from '../fs/volume.js';
import { userRange } from './filespec.js';
import { packLayout, pick, CP_FIELDS } from './info.js';
import { cpVerParts, statInode } from './inode.js';
import { icheck } from './reverse.js';

/* ------------------------------------------------------------------ areas, nodes, blocks */

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

function footerJson(f: NodeFooter, ckptFlags: number) {
  const ofs = footerOfs(f.flag);
  const kind: NodeKind = f.nid === f.ino && ofs === 0 ? 'inode' : isXattrOfs(ofs) ? 'xattr' : isDnodeOfs(ofs) ? 'direct' : 'indirect';
  return { ...f, cp_ver: f.cp_ver.toString(), ...cpVerParts(f.cp_ver, ckptFlags), ofs, kind, cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT) };
}

/**
 * Decodes a node block by its footer kind, reporting (not failing on) a footer that disagrees with the NAT.
 * `nid` is the node the caller looked up (dump-node), if any.
 */
export function decodeNodeBlock(vol: Volume, raw: Buffer, blkaddr: number, nid?: number) {
  const f = NodeFooter.decode(raw, NODE_FOOTER_OFFSET);
  const footer = footerJson(f, vol.cp.head.ckpt_flags);
  const problems: string[] = [];
  const who = nid ?? f.nid;
  if (nid !== undefined && f.nid !== nid) problems.push(`footer nid ${f.nid} is not ${nid}`);
  let nat: { ino: number; block_addr: number; version: number } | null = null;
  if (vol.check.isValidNid(who)) {
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
      const first = guard('owner inode', () => startBidxOfNode(footer.ofs, vol.inode(f.ino)));
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
  // The node and meta inodes exist only in memory (the kernel's page caches of node and meta blocks): mkfs marks their
  // NAT entries in use with block_addr 1, which is no node block.
  if (nid === vol.sb.node_ino || nid === vol.sb.meta_ino) {
    const role = nid === vol.sb.node_ino ? ('node-inode' as const) : ('meta-inode' as const);
    const about = `${role === 'node-inode' ? 'the node inode: the address space of node blocks' : 'the meta inode: the address space of CP, SIT, NAT and SSA blocks'}; it lives only in memory and has no node block on disk`;
    return { natSource: vol.nm.natSource(nid), unflushed: false, nid, kind: role, nat: { ino: ne.ino, block_addr: ne.block_addr, version: ne.version }, about };
  }
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
  const nb = natBitsSize(g.natBlocks).blocks;
  if (blkaddr === layout.head || blkaddr === layout.tail) {
    const h = CheckpointHead.decode(raw);
    const off = h.checksum_offset;
    const crcOk = cpCrcOffsetOk(off) && checkpointCrc(raw, off) === cpStoredCrc.get(raw, off);
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
