// Reverse maps: icheck (block → owner) and ncheck (inode → paths), and the tree walk they use.
import { fail } from '../errors.js';
import { type Dentry } from '../fs/dir.js';
import { CURSEG_NAMES } from '../fs/layout/constants.js';
import { type SummaryEntry } from '../fs/layout/summary.js';
import { ownerOf } from '../fs/segment.js';
import type { Volume } from '../fs/volume.js';
import { userRange } from './filespec.js';
import { areaOf, type Area } from './block.js';

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
  if (area !== 'main') {
    const none = { ino: null, nid: null, nodeOfs: null, ofsInNode: null, bidx: null };
    return { blkaddr, area, segno: null, offset: null, segType: null, valid: null, summarySource: null, summary: null, kind: 'metadata', ...none, verified: false, why: `block is in the ${area} area` };
  }
  const o = ownerOf(vol, blkaddr);
  const kind = !o.valid ? ('free' as const) : o.node ? ('node' as const) : ('data' as const);
  return {
    blkaddr,
    area,
    segno: o.segno,
    offset: o.offset,
    segType: CURSEG_NAMES[o.segType],
    valid: o.valid,
    summarySource: o.summarySource,
    summary: o.summary,
    kind,
    ino: o.ino,
    nid: o.nid,
    nodeOfs: o.nodeOfs,
    ofsInNode: o.ofsInNode,
    bidx: o.bidx,
    verified: o.verdict === 'valid',
    why: o.why,
  };
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
