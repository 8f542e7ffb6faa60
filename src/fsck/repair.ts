// fsck --fix (fsck.f2fs -f -y's repairs, through the library): each pass checks the volume, then
//   1. reconnects unreachable inodes in /lost+found, or else rebuilds the tables from the tree it checked: unreachable
//      NAT entries freed, every SIT entry made to hold exactly the blocks the tree references (a type matching what
//      they are), the checkpoint counts taken from the tree;
//   2. applies the repairs the checker recorded against a structure and index (state.ts Repair): dentries dropped or
//      corrected, bad node and data pointers cleared, inode fields (i_links, i_blocks, i_size, i_pino, i_extra_isize,
//      flags, checksum) corrected, NAT ino fixed from a consistent footer, SSA entries and footers rewritten, bad
//      orphan entries dropped;
//   3. writes a checkpoint (node blocks and dentry pages go out through the normal write path).
// What one pass drops (a dentry, a pointer) leaves objects unreachable; the next pass frees them. Passes stop when the
// check is clean, when a pass finds nothing it knows how to repair, or after MAX_PASSES.
import { writeCheckpoint } from '../fs/checkpoint.js';
import { pendingRollForward } from '../fs/recovery.js';
import { writePage } from '../fs/data.js';
import { addEntry, inlineArea, setLink } from '../fs/dir.js';
import { editInode, isDir, type InodeInfo } from '../fs/inode.js';
import { BLOCKS_PER_SEG, CUR_SEG_TYPES, CursegType, isNodeSegType } from '../fs/layout/constants.js';
import { FileType, blockArea, fileTypeOfMode, slotsFor, type DentryArea } from '../fs/layout/dentry.js';
import { I_ADDR_OFFSET, InodeExtra, NODE_FOOTER_OFFSET, NodeFooter, footerOfs, makeFooterFlag, writeSlot } from '../fs/layout/node.js';
import { sitVblocks } from '../fs/layout/sit.js';
import type { Volume } from '../fs/volume.js';
import { bitLsb, popcount } from '../util/struct.js';
import { checkVolume } from './fsck.js';
import { type FsckCode, type FsckOptions, type FsckReport } from './report.js';
import { FsckRun, isBadData, type Repair } from './state.js';
import { rebuildQuotaFiles } from './quota.js';

const MAX_PASSES = 8;
const LOST_FOUND = 'lost+found';
const QUOTA_CODES: readonly FsckCode[] = ['QUOTA_MISMATCH', 'QUOTA_FILE_CORRUPT', 'QUOTA_NEED_FSCK'];

export interface FsckFixReport extends FsckReport {
  /** What --fix repaired (empty: nothing needed it). */
  fixed: string[];
  /** Why the image is still not clean after --fix (null: it is). */
  unfixed: string | null;
}

/** Checks, repairs what the findings name, and checks again until clean (on a volume opened for writing). */
export function fsckFix(vol: Volume, opts: FsckOptions = {}): FsckFixReport {
  // A clean check but for quota_need_fsck (a warning) still rebuilds the quota files, as fsck.f2fs -a does.
  const needsFix = (rep: FsckReport) => !rep.ok || QUOTA_CODES.some((c) => rep.counts[c]);
  const fixed = new Map<string, number>();
  const list = () => [...fixed].map(([what, n]) => (n > 1 ? `${what} (${n} passes)` : what));
  for (let pass = 0; ; pass++) {
    const { run, report } = checkVolume(vol, opts);
    if (!needsFix(report)) return { ...report, fixed: list(), unfixed: null };
    if (pass === MAX_PASSES) return { ...report, fixed: list(), unfixed: `still damaged after ${MAX_PASSES} repair passes` };
    vol.requireWritable();
    // The checkpoints written below supersede a roll-forward chain: say so when it held fsynced data worth replaying.
    const pending = pass === 0 && !report.counts.FSYNC_CHAIN ? pendingRollForward(vol) : 0;
    if (pending) fixed.set(`${pending} fsynced node blocks waiting for roll-forward were dropped (run recover before --fix to keep them)`, 1);
    const done = repairPass(vol, run);
    if (!done.length) return { ...report, fixed: list(), unfixed: `no repair known for ${Object.keys(report.counts).join(', ')}` };
    for (const d of done) fixed.set(d, (fixed.get(d) ?? 0) + 1);
  }
}

/** One pass over a finished check: tables, then the recorded repairs, then a checkpoint. Returns what it did. */
function repairPass(vol: Volume, r: FsckRun): string[] {
  const done = new Set<string>();
  // The quota files are counted from the tree: rebuilt once nothing else is wrong.
  const quotaOnly = r.repairs.length === 0 && r.errors === (r.counts.QUOTA_MISMATCH ?? 0) + (r.counts.QUOTA_FILE_CORRUPT ?? 0);
  if (quotaOnly) {
    if (!vol.quota) return [];
    rebuildQuotaFiles(vol);
    return ['quota files rebuilt from the usage the tree holds'];
  }
  // A repair below that makes an inode reachable again (its NAT entry, its extra size) leaves the tables alone this
  // pass: rebuilt now, they would free that inode's blocks, which new writes could then take.
  const revives = r.repairs.some((x) => x.kind === 'nat-ino' || (x.kind === 'inode' && x.field === 'i_extra_isize'));
  if (!revives && !reconnect(vol, r, done)) rebuildTables(vol, r, done);
  for (const x of r.repairs) {
    try {
      const what = apply(vol, x);
      if (what) done.add(what);
    } catch (e) {
      if (!isBadData(e)) throw e;
      // A repair whose structure cannot be reached any more (its parent was dropped): the next pass decides again.
    }
  }
  writeCheckpoint(vol, { umount: true, sitToBlocks: true });
  return [...done];
}

/**
 * fsck_reconnect_file: unreachable inodes that still make sense (a known file type, links left) get an entry "#ino" in
 * /lost+found, only the top of each unreachable subtree (not what an unreachable directory names). Their blocks are
 * not in this pass's tree, so the tables wait for the next pass. Returns whether any was reconnected.
 */
function reconnect(vol: Volume, r: FsckRun, done: Set<string>): boolean {
  const root = vol.inode(vol.sb.root_ino);
  const lf = vol.lookup(root, Buffer.from(LOST_FOUND));
  if (!lf || lf.fileType !== FileType.DIR) return false;
  const found: InodeInfo[] = [];
  for (const nid of r.natLive.ones()) {
    if (vol.nm.getNat(nid).ino !== nid || nid === lf.ino) continue;
    try {
      const info = vol.inode(nid);
      if (fileTypeOfMode(info.inode.i_mode) !== FileType.UNKNOWN && info.inode.i_links > 0 && !vol.orphanSet.has(nid)) found.push(info);
    } catch (e) {
      if (!isBadData(e)) throw e; // not an inode that can be read: freed as unreachable
    }
  }
  const named = new Set<number>();
  for (const info of found) {
    if (!isDir(info.inode.i_mode)) continue;
    try {
      for (const d of vol.dirs.rawEntries(info)) if (d.name.toString() !== '.' && d.name.toString() !== '..') named.add(d.ino);
    } catch (e) {
      if (!isBadData(e)) throw e;
    }
  }
  let n = 0;
  for (const info of found) {
    if (named.has(info.ino)) continue;
    const ft = fileTypeOfMode(info.inode.i_mode);
    addEntry(vol, lf.ino, Buffer.from(`#${info.ino}`), info.ino, ft);
    editInode(vol.nm.nodeForUpdate(info.ino), (i) => void (i.i_pino = lf.ino));
    if (ft === FileType.DIR) {
      const dd = vol.lookup(vol.inode(info.ino), Buffer.from('..'));
      if (dd) setLink(vol, info.ino, dd, lf.ino, FileType.DIR);
      editInode(vol.nm.nodeForUpdate(lf.ino), (i) => void i.i_links++);
    }
    n++;
  }
  if (n) done.add(`unreachable inodes reconnected in /${LOST_FOUND}`);
  return n > 0;
}

/** NAT, SIT, checkpoint counts and orphan list as the checked tree says they must be. */
function rebuildTables(vol: Volume, r: FsckRun, done: Set<string>): void {
  const want = r.mainMap;
  let freed = 0;
  for (const nid of r.natLive.ones()) {
    vol.nm.freeNode(nid, () => {}); // its block's SIT bit follows from `want`
    freed++;
  }
  if (freed) done.add('unreachable NAT entries freed');

  let sitFixed = 0;
  let free = 0;
  for (let segno = 0; segno < r.mainSegs; segno++) {
    const map = want.bytesAt(segno * BLOCKS_PER_SEG, BLOCKS_PER_SEG / 8);
    const valid = popcount(map);
    const cur = vol.sm.cursegOf(segno);
    const use = r.segUse[segno];
    let type = cur ? cur.type : r.segType[segno];
    if (!cur && (type >= CUR_SEG_TYPES || (use === 1 && !isNodeSegType(type)) || (use === 2 && isNodeSegType(type))))
      type = use === 1 ? CursegType.WARM_NODE : CursegType.WARM_DATA;
    const vblocks = sitVblocks(type, valid);
    let same = false;
    try {
      const se = vol.sm.getSit(segno);
      same = se.vblocks === vblocks && se.valid_map.equals(map);
    } catch (e) {
      if (!isBadData(e)) throw e;
    }
    if (!same) {
      vol.sm.replaceSit(segno, { vblocks, valid_map: Buffer.from(map), mtime: vol.sm.mtimeNow() });
      sitFixed++;
    }
    if (valid === 0 && !cur) free++;
  }
  if (sitFixed) done.add('SIT entries rebuilt from the tree');
  vol.sm.freeSegments = free;

  const h = r.head;
  const counts = { blocks: r.validBlocks, nodes: r.stats.nodes, inodes: r.stats.inodes };
  if (counts.blocks !== h.valid_block_count || counts.nodes !== h.valid_node_count || counts.inodes !== h.valid_inode_count || free !== h.free_segment_count)
    done.add('checkpoint counts taken from the tree');
  Object.assign(vol.counts, counts);
}

/** One recorded repair through the library; returns what to report. */
function apply(vol: Volume, x: Repair): string | null {
  switch (x.kind) {
    case 'ssa-type':
      vol.sm.setSummaryType(x.segno, x.type);
      return 'SSA footers rewritten';
    case 'ssa':
      vol.sm.setSummary(x.blkaddr, x.entry);
      return 'SSA entries rewritten';
    case 'nat-ino':
      vol.nm.setNodeAddr(x.nid, x.ino, vol.nm.getNat(x.nid).block_addr);
      return 'NAT entry ino corrected from the node footer';
    case 'fsync-chain':
      return 'looped roll-forward chain discarded (the new checkpoint supersedes it)';
    case 'orphan-drop':
      vol.orphanSet.delete(x.ino);
      return 'bad orphan entries dropped';
    case 'node-ptr':
    case 'data-slot':
      writeSlot(vol.nm.nodeForUpdate(x.holder), x.off, 0);
      return x.kind === 'node-ptr' ? 'pointers to bad nodes cleared' : 'bad or shared block addresses cleared';
    case 'node-ofs': {
      const f = NodeFooter.view(vol.nm.nodeForUpdate(x.nid), NODE_FOOTER_OFFSET);
      f.flag = (f.flag & ~makeFooterFlag(footerOfs(f.flag), 0)) | makeFooterFlag(x.ofs, 0);
      return 'node footer offsets corrected';
    }
    case 'xattr-nid':
      editInode(vol.nm.nodeForUpdate(x.ino), (i) => void (i.i_xattr_nid = 0));
      return 'pointers to bad xattr nodes cleared';
    case 'inode': {
      const raw = vol.nm.nodeForUpdate(x.ino);
      if (x.field === 'i_extra_isize') InodeExtra.field('i_extra_isize').set(raw, x.value, I_ADDR_OFFSET);
      else {
        const field = x.field;
        editInode(raw, (i) => void (i[field] = x.value));
      }
      return `${x.field} corrected`;
    }
    case 'inode-flag':
      editInode(vol.nm.nodeForUpdate(x.ino), (i) => void (i.i_inline = (i.i_inline | x.set) & ~x.clear));
      return x.set ? 'missing dots: inline dots flag set' : 'inline dentry flag cleared on a non-directory';
    case 'inode-rewrite':
      vol.nm.nodeForUpdate(x.ino); // written again with its checksum
      return 'inode checksums rewritten';
    case 'dentry-drop':
    case 'dentry-set':
      editDentry(vol, x.dir, x.bidx, (area) => {
        if (x.kind === 'dentry-drop') {
          const de = area.entry(x.slot);
          const n = de.name_len > 0 && x.slot + slotsFor(de.name_len) <= area.slots ? slotsFor(de.name_len) : 1;
          for (let k = 0; k < n; k++) bitLsb.clear(area.bitmap, x.slot + k);
          return;
        }
        const de = area.entry(x.slot);
        area.setEntry(x.slot, { ...de, hash_code: x.hash ?? de.hash_code, ino: x.ino ?? de.ino, file_type: x.fileType ?? de.file_type });
      });
      return x.kind === 'dentry-drop' ? 'bad directory entries removed' : 'directory entries corrected';
  }
}

/** Edits one dentry area of a directory: the inline area in its inode, or block `bidx` written back as a new page. */
function editDentry(vol: Volume, dir: number, bidx: number | null, edit: (area: DentryArea) => void): void {
  const info = vol.inode(dir);
  if (bidx === null) {
    edit(inlineArea(info, vol.nm.nodeForUpdate(dir)));
    return;
  }
  const { blkaddr } = vol.data.bmap(info, bidx);
  const area = blockArea(Buffer.from(vol.data.blockData(dir, bidx, blkaddr)));
  edit(area);
  writePage(vol, info, bidx, area.raw);
}
