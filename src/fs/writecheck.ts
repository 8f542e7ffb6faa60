// What a write relies on, checked before a mutating command changes anything (issue 11): a damaged image is refused
// (CORRUPT) instead of made worse. Not fsck: only the metadata every write trusts, read once at open (the SIT, which
// the checkpoint's counts and the allocator's free segments come from, and the NAT journal), then each node the
// operation is about to rewrite or free, when it touches it.
import { fail } from '../errors.js';
import { NEW_ADDR, isNodeSegType } from './layout/constants.js';
import { ownerOf } from './segment.js';
import type { Volume } from './volume.js';

/** Damage found in what writes rely on; empty when the image may be written. */
export function writeProblems(vol: Volume): string[] {
  const problems: string[] = [];
  const h = vol.cp.head;
  let valid = 0;
  let nodeBlocks = 0;
  let free = 0;
  for (const run of vol.sm.sitRuns()) for (let segno = run.first; segno < run.end; segno++) {
    let segValid = 0; // a blank run's segments hold nothing
    if (!run.blank) {
      try {
        const se = vol.sm.getSit(segno);
        segValid = se.valid;
        if (isNodeSegType(se.type)) nodeBlocks += se.valid;
      } catch (e) {
        problems.push((e as Error).message);
        if (problems.length >= 8) return problems;
        continue;
      }
      valid += segValid;
    }
    if (vol.sm.isFreeSegment(segno, segValid)) free++;
  }
  // The checkpoint's counts agree with the SIT (f2fs's build_sit_entries, fsck.f2fs's fsck_chk_meta): a checkpoint
  // written from them would carry the disagreement on, and the allocator trusts free_segment_count. valid_block_count
  // may exceed the SIT's blocks (preallocated NEW_ADDR slots and compressed clusters count without a block), never
  // fall short of them.
  if (valid > h.valid_block_count) problems.push(`CP valid_block_count is ${h.valid_block_count}, the SIT has ${valid} valid blocks`);
  if (nodeBlocks !== h.valid_node_count) problems.push(`CP valid_node_count is ${h.valid_node_count}, node segments hold ${nodeBlocks} valid blocks`);
  if (free !== h.free_segment_count) problems.push(`CP free_segment_count is ${h.free_segment_count}, the SIT has ${free} free segments`);
  // The NAT journal (replayed into every NAT block the checkpoint writes) and the root's entry place live nodes.
  const nats = [...vol.nm.journalEntries()];
  if (!nats.some(([nid]) => nid === vol.sb.root_ino)) nats.push([vol.sb.root_ino, vol.nm.getNat(vol.sb.root_ino)]);
  for (const [nid, ne] of nats) {
    if (ne.block_addr === 0 || ne.block_addr === NEW_ADDR) continue;
    const why = nodeProblem(vol, nid, ne.block_addr);
    if (why) problems.push(why);
  }
  return problems;
}

/** Why node `nid` at `blkaddr` (its NAT entry's address) is not a live node block, or null when it is. */
function nodeProblem(vol: Volume, nid: number, blkaddr: number): string | null {
  if (!vol.check.isValidBlkaddr(blkaddr, 'main')) return `NAT entry of node ${nid} points at ${blkaddr}, outside the main area`;
  const owner = ownerOf(vol, blkaddr);
  if (owner.verdict !== 'valid' || owner.nid !== nid) return `NAT entry of node ${nid} points at block ${blkaddr}: ${owner.why ?? `its summary names node ${owner.nid}`}`;
  return null;
}

/**
 * Refuses (CORRUPT) an image whose write-relied metadata is damaged, then has the volume check each node a write
 * rewrites or frees before it does. `--force` skips both.
 */
export function guardWrites(vol: Volume): void {
  const problems = writeProblems(vol);
  if (problems.length) fail('CORRUPT', `the image is damaged where writes rely on it: ${problems.join('; ')} (fsck shows the damage; --force writes anyway)`, { problems });
  vol.nm.touchCheck = (nid, blkaddr) => {
    const why = nodeProblem(vol, nid, blkaddr);
    if (why) fail('CORRUPT', `not writing over damage: ${why} (--force writes anyway)`, { nid, blkaddr });
  };
}
