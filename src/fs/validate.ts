// The one place that checks on-disk indexes (blkaddr, nid, segno, ino, dentry slots, lengths) before they are used:
// predicates that answer yes or no (as the kernel's f2fs_is_valid_blkaddr), and the throwing checks built on them.
import { fail } from '../errors.js';
import { BLOCKS_PER_SEG, COMPRESS_ADDR, MAX_NAME_LEN, NEW_ADDR, NULL_ADDR, RESERVED_NODE_NUM } from './layout/constants.js';
import type { Geometry } from './super.js';

/**
 * Where a block address may point: `main` a node or data block, `data` a data slot's value (NULL_ADDR, NEW_ADDR and
 * COMPRESS_ADDR too), `device` any block of the device, `cp`/`sit`/`nat`/`ssa` a block of that metadata area.
 */
export type BlkaddrKind = 'main' | 'data' | 'device' | 'cp' | 'sit' | 'nat' | 'ssa';

export class Validator {
  constructor(private readonly geo: Geometry) {}

  /* ---- yes or no ---- */

  isValidBlkaddr(blkaddr: number, kind: BlkaddrKind): boolean {
    const g = this.geo;
    if (!Number.isInteger(blkaddr)) return false;
    switch (kind) {
      case 'main':
        return blkaddr >= g.mainBlkaddr && blkaddr < g.mainEnd;
      case 'data':
        return blkaddr === NULL_ADDR || blkaddr === NEW_ADDR || blkaddr === COMPRESS_ADDR || this.isValidBlkaddr(blkaddr, 'main');
      case 'device':
        return blkaddr >= 0 && blkaddr < g.blockCount;
      case 'cp':
        return blkaddr >= g.cpBlkaddr && blkaddr < g.sitBlkaddr;
      case 'sit':
        return blkaddr >= g.sitBlkaddr && blkaddr < g.natBlkaddr;
      case 'nat':
        return blkaddr >= g.natBlkaddr && blkaddr < g.ssaBlkaddr;
      case 'ssa':
        return blkaddr >= g.ssaBlkaddr && blkaddr < g.mainBlkaddr;
    }
  }

  /** Any nid the NAT has an entry for but 0 (nids 1 and 2 are the node and meta inodes). */
  isValidNid(nid: number): boolean {
    return Number.isInteger(nid) && nid >= 1 && nid < this.geo.maxNid;
  }

  /** An inode number a user or a dentry names: nodes 1 and 2 are virtual and never files. */
  isValidIno(ino: number): boolean {
    return Number.isInteger(ino) && ino >= RESERVED_NODE_NUM && ino < this.geo.maxNid;
  }

  isValidSegno(segno: number): boolean {
    return Number.isInteger(segno) && segno >= 0 && segno < this.geo.mainSegments;
  }

  /** A block offset in a segment; BLOCKS_PER_SEG itself is allowed (a full log's next offset). */
  isValidBlkoff(off: number): boolean {
    return Number.isInteger(off) && off >= 0 && off <= BLOCKS_PER_SEG;
  }

  /** A count or length within [min, max]. */
  inRange(value: number, min: number, max: number): boolean {
    return Number.isInteger(value) && value >= min && value <= max;
  }

  /** A dentry at `slot` of `nameLen` bytes fits an area of `slots` slots. */
  isValidDentrySlot(slot: number, nameLen: number, slots: number): boolean {
    return nameLen >= 1 && nameLen <= MAX_NAME_LEN && slot + Math.ceil(nameLen / 8) <= slots;
  }

  /* ---- throwing checks: CORRUPT (EINVAL for device addresses, which users type) with what was being read ---- */

  /** A block address that must hold a main-area block (node or data). */
  mainBlkaddr(blkaddr: number, what: string): number {
    const g = this.geo;
    if (!this.isValidBlkaddr(blkaddr, 'main')) fail('CORRUPT', `${what}: block address ${blkaddr} is outside the main area [${g.mainBlkaddr}, ${g.mainEnd})`, { blkaddr });
    return blkaddr;
  }

  /** A data slot value: NULL_ADDR, NEW_ADDR, COMPRESS_ADDR, or a main-area block. */
  dataAddr(blkaddr: number, what: string): number {
    return this.isValidBlkaddr(blkaddr, 'data') ? blkaddr : this.mainBlkaddr(blkaddr, what);
  }

  /** Any device block (metadata areas included), e.g. for `block BLKADDR`. */
  deviceBlkaddr(blkaddr: number, what: string): number {
    if (!this.isValidBlkaddr(blkaddr, 'device')) fail('EINVAL', `${what}: block address ${blkaddr} is outside the device [0, ${this.geo.blockCount})`, { blkaddr });
    return blkaddr;
  }

  nid(nid: number, what: string): number {
    if (!this.isValidNid(nid)) fail('CORRUPT', `${what}: nid ${nid} is out of range [1, ${this.geo.maxNid})`, { nid });
    return nid;
  }

  ino(ino: number, what: string): number {
    if (!this.isValidIno(ino)) fail('CORRUPT', `${what}: inode number ${ino} is out of range [${RESERVED_NODE_NUM}, ${this.geo.maxNid})`, { ino });
    return ino;
  }

  segno(segno: number, what: string): number {
    if (!this.isValidSegno(segno)) fail('CORRUPT', `${what}: segment ${segno} is out of range [0, ${this.geo.mainSegments})`, { segno });
    return segno;
  }

  blkoff(off: number, what: string): number {
    if (!this.isValidBlkoff(off)) fail('CORRUPT', `${what}: block offset ${off} is out of range [0, ${BLOCKS_PER_SEG}]`);
    return off;
  }

  /** A count or length read from disk against its limit. */
  range(value: number, min: number, max: number, what: string): number {
    if (!this.inRange(value, min, max)) fail('CORRUPT', `${what} ${value} is out of range [${min}, ${max}]`);
    return value;
  }

  dentrySlot(slot: number, nameLen: number, slots: number, what: string): void {
    if (this.isValidDentrySlot(slot, nameLen, slots)) return;
    if (nameLen < 1 || nameLen > MAX_NAME_LEN) fail('CORRUPT', `${what}: dentry in slot ${slot} has name length ${nameLen}`);
    fail('CORRUPT', `${what}: dentry in slot ${slot} (${nameLen} bytes) runs past slot ${slots}`);
  }
}
