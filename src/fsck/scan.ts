// fsck's metadata-table phase: SIT, current segments, NAT (with nat_bits) and the orphan list, as fsck.f2fs builds them.
import { ReadWindow } from '../device/read-window.js';
import { BLOCKS_PER_SEG, CUR_SEG_TYPES, CURSEG_NAMES, NAT_ENTRY_PER_BLOCK, NULL_ADDR, SIT_ENTRY_PER_BLOCK, isNodeSegType, isZeroBlock } from '../fs/layout/constants.js';
import { CpFlag, NatBitsHead, natBitsSize, natBitsStamp } from '../fs/layout/checkpoint.js';
import { NatEntry } from '../fs/layout/nat.js';
import { SitEntry, sitType, sitValidBlocks } from '../fs/layout/sit.js';
import { bitLsb, popcount } from '../util/struct.js';
import { SUM_TYPE_DATA, SUM_TYPE_NODE } from '../fs/layout/summary.js';
import { dumpNat } from '../debugfs/tables.js';
import { ALLOC_SSR } from '../fs/segment.js';
import { FsckRun, errText, isBadData } from './state.js';
import { claim, processInode } from './tree.js';

/** The SIT entry of `segno` as its current SIT block holds it (the journal may override it). */
export function sitBlockEntry(r: FsckRun, segno: number): SitEntry {
  const block = r.vol.dev.readBlock(r.vol.sm.sitBlockAddr(Math.floor(segno / SIT_ENTRY_PER_BLOCK)));
  return SitEntry.decode(block, (segno % SIT_ENTRY_PER_BLOCK) * SitEntry.size);
}

/** build_sit_area_bitmap + check_block_count: every SIT entry (journal over blocks) into the SIT map. */
export function scanSit(r: FsckRun): void {
  const journal = new Map(r.vol.sm.sitJournalEntries());
  for (const run of r.vol.sm.sitRuns()) for (let segno = run.first; segno < run.end; segno++) {
    if (run.blank) {
      if (!r.isCurseg[segno]) r.stats.freeSegments++;
      continue;
    }
    let se: SitEntry;
    try {
      se = r.vol.sm.getSit(segno);
    } catch (e) {
      if (!isBadData(e)) throw e;
      r.add('SIT_ENTRY_CORRUPT', errText(e), { segno });
      try {
        se = journal.get(segno) ?? sitBlockEntry(r, segno);
      } catch (e2) {
        if (!isBadData(e2)) throw e2;
        continue;
      }
    }
    r.sitMap.orBytes(segno * BLOCKS_PER_SEG, se.valid_map);
    const valid = sitValidBlocks(se.vblocks);
    const type = sitType(se.vblocks);
    r.segType[segno] = type;
    if (valid === 0 && !r.isCurseg[segno]) r.stats.freeSegments++;
    if (isNodeSegType(type)) r.sitNodeBlocks += valid;
    r.stats.sitValidBlocks += valid;
  }
  // The kernel (build_sit_entries) and fsck.f2fs check the block copy of a journaled entry too, before the journal
  // replaces it: a bad one there refuses the mount although it is never used.
  for (const segno of journal.keys()) {
    if (!r.vol.check.isValidSegno(segno)) continue;
    r.guard('SIT_ENTRY_CORRUPT', `SIT block entry of segment ${segno}`, { segno }, () => {
      const se = sitBlockEntry(r, segno);
      const valid = sitValidBlocks(se.vblocks);
      const bits = popcount(se.valid_map);
      if (valid > BLOCKS_PER_SEG || bits !== valid || sitType(se.vblocks) >= CUR_SEG_TYPES)
        r.add('SIT_ENTRY_CORRUPT', `SIT block entry of segment ${segno} (shadowed by the SIT journal) is inconsistent: vblocks 0x${se.vblocks.toString(16)}, ${bits} bits set`, { segno });
    });
  }
}

/** fsck_chk_curseg_info and check_curseg_offsets. */
export function checkCursegs(r: FsckRun): void {
  for (const c of r.vol.sm.cursegs) {
    const name = CURSEG_NAMES[c.type];
    const where = { segno: c.segno };
    if (r.segType[c.segno] !== c.type)
      r.add('CURSEG_TYPE', `current ${name} segment ${c.segno} has SIT type ${CURSEG_NAMES[r.segType[c.segno]] ?? r.segType[c.segno]}`, where);
    r.guard('CURSEG_TYPE', `summary of the current ${name} segment`, where, () => {
      const want = isNodeSegType(c.type) ? SUM_TYPE_NODE : SUM_TYPE_DATA;
      const got = r.vol.sm.cursegSummary(c.type).footer.entry_type;
      if (got !== want) r.add('CURSEG_TYPE', `summary of the current ${name} segment ${c.segno} has entry type ${got}, expected ${want}`, where);
    });
    const base = c.segno * BLOCKS_PER_SEG;
    const last = c.allocType === ALLOC_SSR ? c.blkoff : BLOCKS_PER_SEG - 1;
    for (let off = c.blkoff; off <= last; off++) {
      if (!r.sitMap.test(base + off)) continue;
      const rest = c.allocType === ALLOC_SSR ? '' : ' (an LFS log must be free from there on)';
      r.add('CURSEG_NEXT_NOT_FREE', `current ${name} segment ${c.segno}: block ${off} is valid, next_blkoff is ${c.blkoff}${rest}`, { ...where, blkaddr: r.mainBlkaddr + base + off });
      break;
    }
  }
}

/** build_nat_area_bitmap (+ check_nat_bits): every allocated nid into the live set. */
export function scanNat(r: FsckRun): void {
  const nm = r.vol.nm;
  // build_nat_area_bitmap looks at the NAT blocks before the journal: nid 0 free, nids 1 and 2 at block 1,
  // no allocated entry with ino 0 (journaled entries are checked again below, as the journal holds them).
  const rawEntry = (nid: number) => NatEntry.decode(r.vol.dev.readBlock(nm.natBlockAddr(Math.floor(nid / NAT_ENTRY_PER_BLOCK))), (nid % NAT_ENTRY_PER_BLOCK) * NatEntry.size);
  r.guard('NAT_ENTRY_CORRUPT', 'NAT entry of nid 0', { nid: 0 }, () => {
    const e0 = rawEntry(0);
    if (e0.block_addr !== NULL_ADDR) r.add('NAT_ENTRY_CORRUPT', `nid 0 must be free, its NAT entry holds block ${e0.block_addr}`, { nid: 0 });
  });
  for (const nid of [r.sb.node_ino, r.sb.meta_ino]) {
    r.guard('NAT_ENTRY_CORRUPT', `NAT entry of nid ${nid}`, { nid }, () => {
      const e = rawEntry(nid);
      if (e.block_addr !== 1) r.add('NAT_ENTRY_CORRUPT', `reserved nid ${nid} must have block_addr 1, has ${e.block_addr}`, { nid });
    });
  }
  for (const [nid] of nm.journalEntries()) {
    if (!r.vol.check.isValidNid(nid)) continue;
    r.guard('NAT_ENTRY_CORRUPT', `NAT block entry of nid ${nid}`, { nid }, () => {
      const e = rawEntry(nid);
      if (e.block_addr !== NULL_ADDR && e.ino === 0)
        r.add('NAT_ENTRY_CORRUPT', `NAT block entry of nid ${nid} (shadowed by the NAT journal) points at block ${e.block_addr} with ino 0`, { nid });
    });
  }
  const natBits = loadNatBits(r);
  const blocks = r.vol.geo.natBlocks;
  const journaled = new Set(nm.journalEntries().map(([nid]) => Math.floor(nid / NAT_ENTRY_PER_BLOCK)));
  const window = new ReadWindow(r.vol.dev, (k) => nm.natBlockAddr(k), blocks);
  for (let k = 0; k < blocks; k++) {
    r.guard('NAT_ENTRY_CORRUPT', `NAT block ${k}`, {}, () => {
      // Most of a NAT is empty blocks: skip decoding those (dumpNat decodes every entry).
      const blank = k > 0 && !journaled.has(k) && isZeroBlock(window.get(k));
      const entries = blank ? [] : dumpNat(r.vol, k * NAT_ENTRY_PER_BLOCK, (k + 1) * NAT_ENTRY_PER_BLOCK - 1);
      let used = k === 0 ? 1 : 0; // nid 0 always counts as used
      for (const e of entries) {
        if (e.source === 'block') used++;
        if (e.nid === r.sb.node_ino || e.nid === r.sb.meta_ino) continue;
        r.natNodeCount++;
        if (e.ino === 0) r.add('NAT_ENTRY_CORRUPT', `nid ${e.nid} points at block ${e.blkaddr} but has ino 0`, { nid: e.nid, blkaddr: e.blkaddr });
        r.natLive.set(e.nid);
      }
      if (!natBits) return;
      const full = bitLsb.test(natBits.full, k);
      const empty = bitLsb.test(natBits.empty, k);
      const want = used === 0 ? 'empty' : used === NAT_ENTRY_PER_BLOCK ? 'full' : 'partial';
      const got = full && empty ? 'full+empty' : full ? 'full' : empty ? 'empty' : 'partial';
      if (want !== got) r.add('NAT_BITS_MISMATCH', `nat_bits mark NAT block ${k} ${got}, it has ${used} of ${NAT_ENTRY_PER_BLOCK} entries in use`, { blkaddr: natBits.blkaddr });
    });
  }
  r.stats.natEntries = r.natNodeCount;
}

/** The nat_bits of the current pack, when they are meant to be trusted (header current, NAT journal empty). */
export function loadNatBits(r: FsckRun): { full: Buffer; empty: Buffer; blkaddr: number } | null {
  if (!(r.head.ckpt_flags & CpFlag.NAT_BITS)) return null;
  if (r.vol.nm.journalEntries().length) return null; // fsck.f2fs and the kernel ignore them then
  const { bytes, blocks: nblocks } = natBitsSize(r.vol.geo.natBlocks);
  const blkaddr = r.vol.cp.base + BLOCKS_PER_SEG - nblocks;
  try {
    const parts: Buffer[] = [];
    for (let i = 0; i < nblocks; i++) parts.push(r.vol.dev.readBlock(blkaddr + i));
    const buf = Buffer.concat(parts);
    if (NatBitsHead.decode(buf).cp_ver_crc !== natBitsStamp(r.head.checkpoint_ver, r.vol.cp.crc)) return null; // stale: the kernel disables nat_bits
    r.stats.natBitsChecked = true;
    const at = NatBitsHead.size;
    return { full: buf.subarray(at, at + bytes), empty: buf.subarray(at + bytes, at + 2 * bytes), blkaddr };
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('NAT_BITS_MISMATCH', `nat_bits unreadable: ${errText(e)}`, { blkaddr });
    return null;
  }
}

export function checkOrphans(r: FsckRun): void {
  let inos: number[] = [];
  try {
    inos = r.vol.orphans();
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('ORPHAN_LIST', errText(e));
    return;
  }
  for (const ino of inos) {
    r.stats.orphans++;
    const path = `<orphan ${ino}>`;
    const drop = { kind: 'orphan-drop', ino } as const;
    const ref = claim(r, ino, 'inode', { path }, drop);
    if (!ref) continue;
    if (ref.again) {
      r.add('NODE_DUPLICATE', `orphan inode ${ino} is listed twice`, { ino, path });
      r.fix(drop);
      continue;
    }
    if (!processInode(r, ref, 'orphan', { path })) r.fix(drop);
  }
}
