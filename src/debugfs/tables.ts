// NAT, SIT and SSA table dumps over ranges, with journal and unflushed changes applied.
import { BLOCKS_PER_SEG, CURSEG_NAMES, NAT_ENTRY_PER_BLOCK, NULL_ADDR, SIT_ENTRY_PER_BLOCK, isNodeSegType } from '../fs/layout/constants.js';
import { NatEntry } from '../fs/layout/nat.js';
import { NODE_FOOTER_OFFSET, NodeFooter, footerOfs } from '../fs/layout/node.js';
import { bitMsb } from '../util/struct.js';
import { SUM_TYPE_NODE } from '../fs/layout/summary.js';
import type { Volume } from '../fs/volume.js';

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
        const raw = vol.check.isValidBlkaddr(a, 'main') ? (vol.nm.dirtyNodes.get(nid) ?? vol.dev.readBlock(a)) : vol.nm.dirtyNodes.get(nid);
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
