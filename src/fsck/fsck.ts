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
import { F2fsError, fail } from '../errors.js';
import { WRITE_FEATURES, featureNames } from '../fs/layout/superblock.js';
import { encodingProblem } from '../fs/hash.js';
import { BLOCKS_PER_SEG } from '../fs/layout/constants.js';
import { Volume } from '../fs/volume.js';
import { walkChain } from '../fs/recovery.js';
import { type FsckFinding, type FsckOptions, type FsckReport, emptyStats, report } from './report.js';
import { FsckRun, errText, isBadData } from './state.js';
import { checkCursegs, checkOrphans, scanNat, scanSit } from './scan.js';
import { claim, processInode } from './tree.js';
import { checkQuotaFiles } from './quota.js';

export type { FsckCode, FsckFinding, FsckOptions, FsckReport, FsckStats } from './report.js';
export { fsckFix, type FsckFixReport } from './repair.js';

export function checkAll(r: FsckRun): void {
  for (const why of r.vol.sbChoice.problems) r.add('SUPERBLOCK_COPY', why, {}, 'warning');
  scanSit(r);
  checkCursegs(r);
  scanNat(r);
  const total = () => Math.max(r.head.valid_node_count, r.stats.nodes);
  // fsck.f2fs order: quota inodes, orphans, then the tree from the root.
  r.sb.qf_ino.forEach((qino, type) => {
    if (!qino) return;
    r.stats.quotaFiles++;
    const path = `<quota ${['user', 'group', 'project'][type]}>`;
    const ref = claim(r, qino, 'inode', { path });
    if (ref && !ref.again) processInode(r, ref, 'quota', { path });
  });
  checkOrphans(r);
  const root = r.sb.root_ino;
  const rootRef = claim(r, root, 'inode', { path: '/' });
  if (rootRef) {
    r.stats.dirs++;
    processInode(r, rootRef, 'dir', { path: '/', parent: root });
  }
  while (r.pending.length) {
    const d = r.pending.pop()!;
    // Claimed when its entry was seen; only the NAT version is needed again (for its data blocks' SSA entries).
    r.guard('CHECK_ABORTED', `directory ${d.ino}`, { ino: d.ino, path: d.path }, () => {
      const ne = r.vol.nm.getNat(d.ino);
      const ref = { nid: d.ino, blkaddr: ne.block_addr, raw: r.vol.dev.readBlock(ne.block_addr), version: ne.version, again: false };
      if (!processInode(r, ref, 'dir', { path: d.path, parent: d.parent })) r.fix(d.drop);
    });
  }
  r.opts.progress?.(r.stats.nodes, total());
  verify(r);
  checkChain(r);
  checkQuotaFiles(r);
}

export function verify(r: FsckRun): void {
  // allocated nids nothing reached
  for (const nid of r.natLive.ones()) {
    let desc = '';
    let blkaddr: number | undefined;
    let ino: number | undefined;
    try {
      const ne = r.vol.nm.getNat(nid);
      blkaddr = ne.block_addr;
      ino = ne.ino;
      desc = ` (ino ${ne.ino}, block ${ne.block_addr})`;
    } catch {
      // the entry was read once already; its details are only decoration
    }
    r.add('NAT_UNREACHABLE', `nid ${nid}${desc} is allocated but reached from no inode`, { nid, ino, blkaddr });
  }
  for (const [ino, h] of r.hardLinks) {
    if (h.found === h.links) continue;
    r.add('I_LINKS', `inode ${ino} has i_links ${h.links}, ${h.found} directory entries name it`, { ino, path: h.path });
    r.fix({ kind: 'inode', ino, field: 'i_links', value: h.found });
  }

  // SIT valid bits nothing references (the other direction was reported block by block)
  for (const i of r.sitMap.ones()) {
    if (r.mainMap.test(i)) continue;
    const blkaddr = r.mainBlkaddr + i;
    r.add('SIT_BLOCK_UNREFERENCED', `block ${blkaddr} is valid in the SIT but nothing references it`, { blkaddr, segno: Math.floor(i / BLOCKS_PER_SEG) });
  }

  const h = r.head;
  if (r.validBlocks !== h.valid_block_count) r.add('VALID_BLOCK_COUNT', `CP valid_block_count is ${h.valid_block_count}, the tree holds ${r.validBlocks}`);
  if (r.stats.nodes !== h.valid_node_count) r.add('VALID_NODE_COUNT', `CP valid_node_count is ${h.valid_node_count}, the tree holds ${r.stats.nodes} nodes`);
  if (r.natNodeCount !== h.valid_node_count) r.add('NAT_ENTRY_COUNT', `CP valid_node_count is ${h.valid_node_count}, the NAT has ${r.natNodeCount} allocated entries`);
  if (r.sitNodeBlocks !== h.valid_node_count) r.add('SIT_NODE_COUNT', `CP valid_node_count is ${h.valid_node_count}, node segments hold ${r.sitNodeBlocks} valid blocks`);
  if (r.stats.inodes !== h.valid_inode_count) r.add('VALID_INODE_COUNT', `CP valid_inode_count is ${h.valid_inode_count}, the tree holds ${r.stats.inodes} inodes`);
  if (r.stats.freeSegments !== h.free_segment_count) r.add('FREE_SEGMENT_COUNT', `CP free_segment_count is ${h.free_segment_count}, the SIT has ${r.stats.freeSegments} free segments`);
}

/**
 * The roll-forward chain Linux replays at mount (fsck.f2fs 1.15 does not look at it): a loop makes the kernel's
 * find_fsync_dnodes fail, and with it the mount.
 */
export function checkChain(r: FsckRun): void {
  r.guard('FSYNC_CHAIN', 'roll-forward chain', {}, () => {
    const chain = walkChain(r.vol);
    if (!chain.looped) return;
    r.add('FSYNC_CHAIN', `roll-forward chain from block ${chain.start}: ${chain.end.why} at block ${chain.end.blkaddr}`, { blkaddr: chain.end.blkaddr });
    r.fix({ kind: 'fsync-chain' });
  });
}

/** Features whose on-disk rules this checker knows; on an image with others it would report their structures as damage. */
const CHECKED_FEATURES = WRITE_FEATURES;

/** Checks an opened volume (read-only: nothing is written). Run it on a freshly opened volume: it reads the on-disk state. */
export function fsck(vol: Volume, opts: FsckOptions = {}): FsckReport {
  return checkVolume(vol, opts).report;
}

/** fsck with the run's state kept (fsck --fix repairs from it). */
export function checkVolume(vol: Volume, opts: FsckOptions): { run: FsckRun; report: FsckReport } {
  const unchecked = vol.sb.feature & ~CHECKED_FEATURES;
  if (unchecked) fail('UNSUPPORTED', `fsck cannot fully check this image yet: it does not know the on-disk rules of ${featureNames(unchecked).join(', ')}`, { feature: vol.sb.feature });
  const encoding = encodingProblem(vol.sb);
  if (encoding) fail('UNSUPPORTED', `fsck cannot check the casefolded names: ${encoding}`, { encoding: vol.sb.s_encoding });
  const t0 = performance.now();
  const r = new FsckRun(vol, opts);
  try {
    checkAll(r);
  } catch (e) {
    if (!isBadData(e)) throw e;
    r.add('CHECK_ABORTED', `check stopped: ${errText(e)}`);
  }
  return { run: r, report: report(r.errors, r.findings, r.truncated, r.counts, r.stats, t0) };
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
