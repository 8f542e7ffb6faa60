// The one place that checks on-disk indexes (blkaddr, nid, segno, ino, dentry slots, lengths) before they are used.
import { fail } from '../errors.js';
import { BLOCKS_PER_SEG, COMPRESS_ADDR, MAX_NAME_LEN, NEW_ADDR, NULL_ADDR, RESERVED_NODE_NUM } from './layout/constants.js';
import type { Geometry } from './super.js';

export class Validator {
  constructor(private readonly geo: Geometry) {}

  /** A block address that must hold a main-area block (node or data). */
  mainBlkaddr(blkaddr: number, what: string): number {
    const g = this.geo;
    if (!Number.isInteger(blkaddr) || blkaddr < g.mainBlkaddr || blkaddr >= g.mainEnd)
      fail('CORRUPT', `${what}: block address ${blkaddr} is outside the main area [${g.mainBlkaddr}, ${g.mainEnd})`, { blkaddr });
    return blkaddr;
  }

  /** A data slot value: NULL_ADDR, NEW_ADDR, COMPRESS_ADDR, or a main-area block. */
  dataAddr(blkaddr: number, what: string): number {
    if (blkaddr === NULL_ADDR || blkaddr === NEW_ADDR || blkaddr === COMPRESS_ADDR) return blkaddr;
    return this.mainBlkaddr(blkaddr, what);
  }

  /** Any device block (metadata areas included), e.g. for `block BLKADDR`. */
  deviceBlkaddr(blkaddr: number, what: string): number {
    if (!Number.isInteger(blkaddr) || blkaddr < 0 || blkaddr >= this.geo.blockCount)
      fail('EINVAL', `${what}: block address ${blkaddr} is outside the device [0, ${this.geo.blockCount})`, { blkaddr });
    return blkaddr;
  }

  nid(nid: number, what: string): number {
    if (!Number.isInteger(nid) || nid < 1 || nid >= this.geo.maxNid) fail('CORRUPT', `${what}: nid ${nid} is out of range [1, ${this.geo.maxNid})`, { nid });
    return nid;
  }

  /** An inode number a user or a dentry names: nodes 1 and 2 are virtual and never files. */
  ino(ino: number, what: string): number {
    if (!Number.isInteger(ino) || ino < RESERVED_NODE_NUM || ino >= this.geo.maxNid)
      fail('CORRUPT', `${what}: inode number ${ino} is out of range [${RESERVED_NODE_NUM}, ${this.geo.maxNid})`, { ino });
    return ino;
  }

  segno(segno: number, what: string): number {
    if (!Number.isInteger(segno) || segno < 0 || segno >= this.geo.mainSegments)
      fail('CORRUPT', `${what}: segment ${segno} is out of range [0, ${this.geo.mainSegments})`, { segno });
    return segno;
  }

  blkoff(off: number, what: string): number {
    if (!Number.isInteger(off) || off < 0 || off > BLOCKS_PER_SEG) fail('CORRUPT', `${what}: block offset ${off} is out of range [0, ${BLOCKS_PER_SEG}]`);
    return off;
  }

  /** A count or length read from disk against its limit. */
  range(value: number, min: number, max: number, what: string): number {
    if (!Number.isInteger(value) || value < min || value > max) fail('CORRUPT', `${what} ${value} is out of range [${min}, ${max}]`);
    return value;
  }

  /** A dentry at `slot` of `nameLen` bytes inside an area of `slots` slots. */
  dentrySlot(slot: number, nameLen: number, slots: number, what: string): void {
    if (nameLen < 1 || nameLen > MAX_NAME_LEN) fail('CORRUPT', `${what}: dentry in slot ${slot} has name length ${nameLen}`);
    if (slot + Math.ceil(nameLen / 8) > slots) fail('CORRUPT', `${what}: dentry in slot ${slot} (${nameLen} bytes) runs past slot ${slots}`);
  }
}
