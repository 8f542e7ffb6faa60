// Formatter: lays out a fresh F2FS exactly as mkfs.f2fs 1.15 does by default (geometry, overprovisioning, log placement,
// root, the quota files and lost+found, NAT/SIT journals, compact summary, both CP packs with nat_bits, both superblocks).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { FileDevice } from '../device/file-device.js';
import type { BlockDevice } from '../device/types.js';
import { F2fsError, fail, fromHost, toF2fsError } from '../errors.js';
import { fixedTime, nowSeconds } from './clock.js';
import { CP_BITMAP_OFFSET, CP_CHKSUM_OFFSET, CheckpointHead, CpFlag, checkpointCrc, cpFlagNames, CpBlock, NatBitsHead, natBitsSize, natBitsStamp } from './layout/checkpoint.js';
import {
  BLKSIZE,
  BLOCKS_PER_SEG,
  CURSEG_NAMES,
  CUR_SEG_TYPES,
  CursegType,
  DEF_ADDRS_PER_INODE,
  DEF_NIDS_PER_INODE,
  ENTRIES_IN_SUM,
  LOG_BLOCKS_PER_SEG,
  MAX_SEGMENTS,
  META_INO,
  MIN_SEGMENTS,
  NAT_ENTRY_PER_BLOCK,
  NAT_JOURNAL_ENTRIES,
  NODE_INO,
  NR_DENTRY_IN_BLOCK,
  NULL_SEGNO,
  ROOT_INO,
  SIT_ENTRY_PER_BLOCK,
  SIT_JOURNAL_ENTRIES,
  SLOT_LEN,
  SUM_JOURNAL_SIZE,
  SUPER_OFFSET,
} from './layout/constants.js';
import { DentryBlock, FileType, S_IFDIR, S_IFREG, type DirEntry } from './layout/dentry.js';
import { dentryHash } from './layout/hash.js';
import { NatBlock, type NatEntry } from './layout/nat.js';
import { FsFlag, I_ADDR_OFFSET, InlineFlag, Inode, InodeExtra, NODE_FOOTER_OFFSET, NodeFooter, inodeChecksum, inodeChecksumSeed, makeFooterFlag } from './layout/node.js';
import { sitVblocks } from './layout/sit.js';
import { bitLsb, bitMsb } from '../util/struct.js';
import { COMPACT_FIRST_ENTRY_OFFSET, NatJournal, SitJournal, SUM_TYPE_NODE, SummaryBlock, SummaryEntry, type SitJournal as SitJournalT } from './layout/summary.js';
import { FEATURE_MKFS_NAMES, Feature, Superblock, featureNames, superblockCrc } from './layout/superblock.js';
import { MKFS_QUOTA_FILE_SIZE, mkfsQuotaFile } from './quota.js';
import { ENC_STRICT_MODE_FL, F2FS_ENC_UTF8_12_1 } from './hash.js';

/** The version this package writes into the superblock by default (keep in step with package.json; a test checks it). */
export const F2FSDBG_VERSION = '0.1.0';

export interface MkfsOptions {
  /** Bytes to format. For a missing image file: its size (required). Otherwise at most the device/file size; default: all of it. */
  sizeBytes?: number;
  /** mkfs.f2fs -O names (each entry may itself be a comma list). */
  features?: string[];
  /** -g android: mkfs.f2fs's Android defaults (ANDROID_FEATURES added to `features`, root owned by 0:0 as always here). */
  android?: boolean;
  /** -C: filename encoding for casefolding, "utf8" or "utf8:strict" (sets the casefold feature, as mkfs.f2fs does). */
  encoding?: string;
  /** -l: volume label (at most 512 UTF-16 units). */
  label?: string;
  /** -o: overprovision percent, in (0, 100). Default (or 0): mkfs 1.15's get_best_overprovision. */
  overprovision?: number;
  /** Like -r: the checkpoint version comes from glibc srand(seed)/rand() (seed 0 gives mkfs.f2fs -r's value), and the uuid derives from the seed unless given. Default: 0 when the time is fixed (timestamp or SOURCE_DATE_EPOCH), else random. */
  seed?: number;
  /** -U: volume uuid, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
  uuid?: string;
  /** -T: inode times (seconds, 0 .. 2^32-1; mkfs stores them as 32-bit values). Default: SOURCE_DATE_EPOCH, else now. */
  timestamp?: number;
  /** Kernel version string for the superblock's version/init_version (at most 252 bytes). Default "f2fsdbg <version>". */
  version?: string;
  /**
   * The device is known to read as zeros everywhere (an image file just created sparse, a new MemDevice): skip zeroing
   * the SIT and NAT copy-0 areas and set CP_TRIMMED, as mkfs.f2fs does after discarding the whole device.
   */
  zeroed?: boolean;
}

export interface MkfsCurseg {
  type: (typeof CURSEG_NAMES)[number];
  segno: number;
  blkoff: number;
}

export interface MkfsReport {
  sizeBytes: number; // formatted bytes (block_count × 4096)
  blockCount: number;
  segmentCount: number; // segments from segment0 to the end
  sectionCount: number;
  mainSegments: number;
  areas: { segment0: number; cp: number; sit: number; nat: number; ssa: number; main: number }; // block addresses
  areaSegments: { cp: number; sit: number; nat: number; ssa: number; main: number }; // SIT and NAT count both copies
  cpPayload: number;
  overprovisionPercent: number;
  reservedSegments: number;
  overprovisionSegments: number;
  freeSegments: number;
  userBlocks: number;
  validBlocks: number;
  validNodes: number;
  validInodes: number;
  nextFreeNid: number;
  cursegs: MkfsCurseg[]; // in curseg type order: hot/warm/cold data, hot/warm/cold node
  features: string[];
  featureBits: number;
  /** Casefolding encoding ("utf8", "utf8:strict"), null without casefold. */
  encoding: string | null;
  uuid: string;
  label: string;
  version: string;
  timestamp: number;
  checkpointVersion: number;
  cpFlags: string[];
  natBitsBlocks: number; // 0 when NAT_BITS is not set
  lostFoundIno: number | null;
  /** qf_ino[]: the user, group and project quota inodes (0: none). */
  quotaInos: number[];
  zeroedBlocks: number; // blocks of SIT/NAT copy 0 explicitly zeroed
  metadataBlocks: number; // blocks written for the file system itself
}

/* ---------------------------------------------------------------- options ---------------------------------------------------------------- */

const MiB = 1024 * 1024;
const SEG_BYTES = BLOCKS_PER_SEG * BLKSIZE;
const SECTORS_PER_BLOCK = 8; // image files: 512-byte sectors, as mkfs.f2fs uses for a regular file
const LOG_SECTORSIZE = 9;
const VERSION_LEN = 256;
const VERSION_NAME_LEN = 252; // VERSION_LEN - VERSION_TIMESTAMP_LEN: mkfs cuts the kernel version here
const MAX_VOLUME_NAME = 512;
const MAX_SIT_BITMAP_SIZE = Math.ceil(Math.ceil(MAX_SEGMENTS / SIT_ENTRY_PER_BLOCK) / BLOCKS_PER_SEG) * (BLOCKS_PER_SEG / 8); // 19072
const MAX_BITMAP_SIZE_IN_CKPT = CP_CHKSUM_OFFSET - CP_BITMAP_OFFSET; // 3900
const MAX_SIT_BITMAP_SIZE_IN_CKPT = MAX_BITMAP_SIZE_IN_CKPT - 64; // 3836 (MIN_NAT_BITMAP_SIZE 64)
const LPF = Buffer.from('lost+found');
/** Blocks of each quota file mkfs writes (QUOTA_DATA). */
const QUOTA_DATA = Math.ceil(MKFS_QUOTA_FILE_SIZE / BLKSIZE);

/** mkfs 1.15's default extension lists (non-Android build): 36 cold, then 4 hot. */
const COLD_EXTENSIONS = 'mp wm og jp avi m4v m4p mkv mov webm wav m4a 3gp opus flac gif png svg webp jar deb iso gz xz zst pdf pyc ttc ttf exe apk cnt exo odex vdex so'.split(' ');
const HOT_EXTENSIONS = ['db', 'vmdk', 'vdi', 'qcow2'];

/** Features this formatter writes. The rest of mkfs's -O names need structures it cannot create. */
const WRITABLE: Partial<Record<string, number>> = {
  extra_attr: Feature.EXTRA_ATTR,
  inode_checksum: Feature.INODE_CHKSUM,
  flexible_inline_xattr: Feature.FLEXIBLE_INLINE_XATTR,
  inode_crtime: Feature.INODE_CRTIME,
  sb_checksum: Feature.SB_CHKSUM,
  lost_found: Feature.LOST_FOUND,
  quota: Feature.QUOTA_INO,
  project_quota: Feature.PRJQUOTA,
  compression: Feature.COMPRESSION, // the bit alone: mkfs.f2fs 1.15 lays nothing else out for it
  casefold: Feature.CASEFOLD,
  encrypt: Feature.ENCRYPT, // the bits alone too: policies and Merkle trees are per file, set later
  verity: Feature.VERITY,
};
/** -g android (add_default_options, CONF_ANDROID, a host build): encrypt, quota (kernel_version_over is false off-device), project_quota, extra_attr, verity. */
const ANDROID_FEATURES = Feature.ENCRYPT | Feature.QUOTA_INO | Feature.PRJQUOTA | Feature.EXTRA_ATTR | Feature.VERITY;
const WHY_NOT: Record<string, string> = {
  ro: 'the read-only layout is not supported',
  blkzoned: 'zoned devices are not supported',
  atomic_write: 'atomic_write is not an mkfs feature',
};
const NEEDS_EXTRA_ATTR = Feature.INODE_CHKSUM | Feature.FLEXIBLE_INLINE_XATTR | Feature.INODE_CRTIME | Feature.PRJQUOTA | Feature.COMPRESSION;

/** -O names over `bits` (what -g set); the extra_attr rule is checked after both, as f2fs_parse_options does. */
function parseFeatures(list: string[] | undefined, bits: number): number {
  for (const item of list ?? []) {
    if (typeof item !== 'string') fail('USAGE', `feature names must be strings, got ${typeof item}`);
    for (const name of item.split(/[ ,]+/).filter(Boolean)) {
      const bit = Object.hasOwn(WRITABLE, name) ? WRITABLE[name] : undefined;
      if (bit !== undefined) bits |= bit;
      else if (Object.hasOwn(WHY_NOT, name)) fail('UNSUPPORTED', `feature "${name}" cannot be formatted: ${WHY_NOT[name]}`, { feature: name });
      else fail('USAGE', `unknown feature "${name}" (known: ${Object.values(FEATURE_MKFS_NAMES).filter((n) => n !== 'atomic_write').join(', ')})`, { feature: name });
    }
  }
  if (bits & NEEDS_EXTRA_ATTR && !(bits & Feature.EXTRA_ATTR)) {
    const which = featureNames(bits & NEEDS_EXTRA_ATTR).join(', ');
    fail('USAGE', `${which} needs extra_attr (mkfs.f2fs refuses it without)`);
  }
  return bits;
}

/** -C ENCODING[:FLAG,...] → s_encoding, s_encoding_flags (f2fs_str2encoding, f2fs_str2encoding_flags). */
function parseEncoding(text: string | undefined, features: number): { encoding: number; flags: number } {
  if (text === undefined) {
    // mkfs.f2fs -O casefold alone writes encoding 0, which Linux refuses to mount.
    if (features & Feature.CASEFOLD) fail('USAGE', 'casefold needs --encoding utf8 (mkfs.f2fs -C utf8): Linux cannot mount a casefold image without an encoding');
    return { encoding: 0, flags: 0 };
  }
  if (typeof text !== 'string') fail('USAGE', 'encoding must be a string');
  const [name, flagList] = text.split(':', 2);
  if (name !== 'utf8') fail('USAGE', `unknown encoding "${name}": utf8 (utf8-12.1.0) is the only one`);
  let flags = 0;
  for (const f of (flagList ?? '').split(',').filter(Boolean)) {
    if (f === 'strict') flags |= ENC_STRICT_MODE_FL;
    else fail('USAGE', `unknown encoding flag "${f}": strict is the only one`);
  }
  return { encoding: F2FS_ENC_UTF8_12_1, flags };
}

function parseUuid(s: string): Buffer {
  if (typeof s !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) {
    fail('USAGE', `not a valid UUID: ${JSON.stringify(s)} (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  }
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

export function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A version-4 uuid derived from the seed, so seeded runs are fully repeatable. */
function seededUuid(seed: number): Buffer {
  const b = crypto.createHash('sha256').update(`f2fsdbg mkfs uuid ${seed}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return Buffer.from(b);
}

/** glibc's srand(seed); rand(): the additive feedback generator (TYPE_3). srand(0) behaves as srand(1). */
export function glibcRand(seed: number): number {
  const r = new Int32Array(344 + 1);
  r[0] = seed >>> 0 === 0 ? 1 : seed | 0;
  for (let i = 1; i < 31; i++) {
    // 16807 * r[i-1] % 2147483647 without overflow (Schrage), as glibc computes it on signed 32-bit words.
    const hi = Math.trunc(r[i - 1] / 127773);
    const lo = r[i - 1] % 127773;
    let word = 16807 * lo - 2836 * hi;
    if (word < 0) word += 2147483647;
    r[i] = word;
  }
  for (let i = 31; i < 34; i++) r[i] = r[i - 31];
  for (let i = 34; i <= 344; i++) r[i] = (r[i - 31] + r[i - 3]) | 0;
  return r[344] >>> 1;
}

function checkInt(v: number, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail('USAGE', `${what} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/* ---------------------------------------------------------------- geometry ---------------------------------------------------------------- */

export interface MkfsGeometry {
  blockCount: number;
  segmentCount: number;
  segment0: number;
  sitBlkaddr: number;
  natBlkaddr: number;
  ssaBlkaddr: number;
  mainBlkaddr: number;
  sitSegs: number; // one copy
  natSegs: number; // one copy
  ssaSegs: number;
  mainSegs: number;
  cpPayload: number;
  ovp: number;
  rsvd: number;
  ovpSegs: number;
  curseg: number[]; // indexed by CursegType
}

type GeoResult = { ok: true; geo: MkfsGeometry } | { ok: false; why: string };

/**
 * The metadata areas for `segmentCount` segments (mkfs's f2fs_prepare_super_block, resize's get_new_sb; no -i): one
 * SIT and one NAT copy in segments (the NAT capped by the room for its bitmap in the checkpoint, the SIT bitmap moving
 * to cp_payload blocks when too big), and the SSA, which with the rest fills whole zones of `segsPerZone`.
 */
export function metadataSegments(segmentCount: number, segsPerZone = 1): { sitSegs: number; natSegs: number; ssaSegs: number; cpPayload: number } {
  const ckptSegs = 2;
  const sitSegs = Math.ceil(Math.ceil(segmentCount / SIT_ENTRY_PER_BLOCK) / BLOCKS_PER_SEG);
  const blocksForNat = Math.ceil(((segmentCount - ckptSegs - 2 * sitSegs) * BLOCKS_PER_SEG) / NAT_ENTRY_PER_BLOCK);
  const sitBitmap = Math.min((sitSegs * BLOCKS_PER_SEG) / 8, MAX_SIT_BITMAP_SIZE);
  let maxNatBitmap: number;
  let cpPayload: number;
  if (sitBitmap > MAX_SIT_BITMAP_SIZE_IN_CKPT) {
    maxNatBitmap = MAX_BITMAP_SIZE_IN_CKPT;
    cpPayload = Math.ceil(sitBitmap / BLKSIZE);
  } else {
    maxNatBitmap = MAX_BITMAP_SIZE_IN_CKPT - sitBitmap;
    cpPayload = 0;
  }
  const natSegs = Math.min(Math.ceil(blocksForNat / BLOCKS_PER_SEG), (maxNatBitmap * 8) >> LOG_BLOCKS_PER_SEG);
  // One summary block per remaining segment, plus one (blocks_for_ssa), in whole segments.
  let ssaSegs = Math.ceil((segmentCount - ckptSegs - 2 * sitSegs - 2 * natSegs + 1) / BLOCKS_PER_SEG);
  const diff = (ckptSegs + 2 * sitSegs + 2 * natSegs + ssaSegs) % segsPerZone;
  if (diff) ssaSegs += segsPerZone - diff;
  return { sitSegs, natSegs, ssaSegs, cpPayload };
}

/** f2fs_prepare_super_block + the CP's ovp arithmetic for segs_per_sec = secs_per_zone = 1, start sector 0, no -i. */
function computeGeometry(blockCount: number, ovpOpt: number | undefined): GeoResult {
  const bytes = blockCount * BLKSIZE;
  const segment0 = BLOCKS_PER_SEG; // first 2 MiB boundary at or after byte 8192
  const segmentCount = bytes >= SEG_BYTES ? Math.floor((bytes - SEG_BYTES) / SEG_BYTES) : 0;
  if (segmentCount < MIN_SEGMENTS) return { ok: false, why: `only ${segmentCount} segments after the 2 MiB alignment gap (at least ${MIN_SEGMENTS})` };
  const ckptSegs = 2;
  const { sitSegs, natSegs, ssaSegs: ssa, cpPayload } = metadataSegments(segmentCount);
  const metaSegs = ckptSegs + 2 * sitSegs + 2 * natSegs + ssa;
  const mainSegs = segmentCount - metaSegs;
  if (mainSegs <= 0) return { ok: false, why: 'no room for a main area' };

  let ovp = ovpOpt ?? 0;
  if (ovp === 0) ovp = bestOverprovision(mainSegs);
  if (ovp === 0) return { ok: false, why: 'no overprovision ratio leaves any user space' };
  const rsvd = Math.trunc(2 * (100 / ovp + 1) + 6);
  if (mainSegs - 6 < rsvd) return { ok: false, why: `${mainSegs} main segments cannot hold 6 logs and ${rsvd} reserved segments` };
  if (mainSegs <= 6) return { ok: false, why: `${mainSegs} main segments: need more than 6` };
  const ovpSegs = Math.trunc(((mainSegs - rsvd) * ovp) / 100) + rsvd;
  if (mainSegs <= ovpSegs) return { ok: false, why: `${ovpSegs} overprovision segments leave nothing of ${mainSegs} main segments` };

  // Log placement (non-heap, non-zoned), then verify_cur_segs.
  const cur: number[] = new Array(CUR_SEG_TYPES);
  cur[CursegType.HOT_NODE] = 0;
  cur[CursegType.WARM_NODE] = 1;
  cur[CursegType.COLD_NODE] = 2;
  cur[CursegType.HOT_DATA] = 3;
  cur[CursegType.COLD_DATA] = Math.max((mainSegs >>> 2) - 1, cur[CursegType.HOT_DATA] + 1);
  cur[CursegType.WARM_DATA] = Math.max((mainSegs >>> 1) - 1, cur[CursegType.COLD_DATA] + 1);
  if (new Set(cur).size !== CUR_SEG_TYPES) for (let t = 0; t < CUR_SEG_TYPES; t++) cur[t] = t;

  const sitBlkaddr = segment0 + ckptSegs * BLOCKS_PER_SEG;
  const natBlkaddr = sitBlkaddr + 2 * sitSegs * BLOCKS_PER_SEG;
  const ssaBlkaddr = natBlkaddr + 2 * natSegs * BLOCKS_PER_SEG;
  const mainBlkaddr = ssaBlkaddr + ssa * BLOCKS_PER_SEG;
  return {
    ok: true,
    geo: { blockCount, segmentCount, segment0, sitBlkaddr, natBlkaddr, ssaBlkaddr, mainBlkaddr, sitSegs, natSegs, ssaSegs: ssa, mainSegs, cpPayload, ovp, rsvd, ovpSegs, curseg: cur },
  };
}

/** get_best_overprovision (one segment per section): the candidate percent leaving the most user space (doubles, as in C); 0 if none leaves any. */
export function bestOverprovision(mainSegs: number): number {
  let candidate: number, end: number, diff: number;
  if (mainSegs < 256) [candidate, end, diff] = [10, 95, 5];
  else [candidate, end, diff] = [0.01, 10, 0.01];
  let ovp = 0;
  let maxSpace = 0;
  for (; candidate <= end; candidate += diff) {
    const reserved = (2 * (100 / candidate + 1) + 6) * 1;
    const o = ((mainSegs - reserved) * candidate) / 100;
    const space = mainSegs - reserved - o;
    if (maxSpace < space) {
      maxSpace = space;
      ovp = candidate;
    }
  }
  return ovp;
}

/** The smallest size mkfs 1.15 accepts with this overprovision setting (52 MiB with the automatic ratio). */
export function minimumSizeBytes(overprovision?: number): number {
  for (let segs = MIN_SEGMENTS; segs < MAX_SEGMENTS; segs++) {
    const bytes = (segs + 1) * SEG_BYTES;
    if (computeGeometry(bytes / BLKSIZE, overprovision).ok) return bytes;
  }
  return Infinity;
}

/* ---------------------------------------------------------------- the plan ---------------------------------------------------------------- */

/** Everything mkfs decides before writing: validated options and geometry. */
export interface MkfsPlan {
  geo: MkfsGeometry;
  features: number;
  encoding: { encoding: number; flags: number };
  uuid: Buffer;
  label: string;
  volumeName: Buffer;
  version: string;
  versionBytes: Buffer;
  time: number;
  cpVersion: number;
  lpfIno: number | null;
  /** qf_ino[] per quota type (0: none): user and group with quota, project with project_quota; nids from 4. */
  qfInos: number[];
}

export function planMkfs(blockCount: number, opts: MkfsOptions = {}): MkfsPlan {
  const asked = parseFeatures(opts.features, opts.android ? ANDROID_FEATURES : 0);
  // f2fs_parse_options: quota brings the user and group quota inodes; project_quota its own, and the quota feature bit.
  const qfInos = quotaNids(asked);
  let features = asked & Feature.PRJQUOTA ? asked | Feature.QUOTA_INO : asked;
  if (opts.encoding !== undefined) features |= Feature.CASEFOLD;
  const encoding = parseEncoding(opts.encoding, features);
  let ovpOpt: number | undefined;
  if (opts.overprovision !== undefined && opts.overprovision !== 0) {
    const o = opts.overprovision;
    if (typeof o !== 'number' || !Number.isFinite(o) || o <= 0 || o >= 100) fail('USAGE', `overprovision must be a percentage in (0, 100), got ${o}`);
    ovpOpt = o;
  }
  const label = opts.label ?? '';
  if (typeof label !== 'string') fail('USAGE', 'label must be a string');
  const volumeName = Buffer.from(label, 'utf16le');
  if (volumeName.length / 2 > MAX_VOLUME_NAME) fail('USAGE', `label is ${volumeName.length / 2} UTF-16 units long; at most ${MAX_VOLUME_NAME}`);
  const version = opts.version ?? `f2fsdbg ${F2FSDBG_VERSION}`;
  if (typeof version !== 'string') fail('USAGE', 'version must be a string');
  const vbytes = Buffer.from(version.split('\n')[0], 'utf8');
  if (vbytes.length > VERSION_NAME_LEN) fail('USAGE', `version string is ${vbytes.length} bytes; at most ${VERSION_NAME_LEN}`);
  const versionBytes = Buffer.alloc(VERSION_LEN);
  vbytes.copy(versionBytes);
  // A fixed time (timestamp, SOURCE_DATE_EPOCH) asks for a reproducible image: nothing random, seed 0 unless given.
  const reproducible = opts.timestamp !== undefined || fixedTime() !== undefined;
  const seed = opts.seed !== undefined ? checkInt(opts.seed, 'seed', 0, 0xffffffff) : reproducible ? 0 : undefined;
  const time = opts.timestamp === undefined ? nowSeconds() >>> 0 : checkInt(opts.timestamp, 'timestamp', 0, 0xffffffff);
  const uuid = opts.uuid !== undefined ? parseUuid(opts.uuid) : seed !== undefined ? seededUuid(seed) : parseUuid(crypto.randomUUID());
  const cpVersion = (seed !== undefined ? glibcRand(seed) : crypto.randomInt(0, 0x80000000)) | 1;

  if (!Number.isInteger(blockCount) || blockCount < 0) fail('EINVAL', `bad block count ${blockCount}`);
  if (blockCount * BLKSIZE > MAX_SEGMENTS * SEG_BYTES) {
    fail('EINVAL', `${blockCount * BLKSIZE} bytes is too large: F2FS supports 16 TiB at most`, { sizeBytes: blockCount * BLKSIZE });
  }
  const r = computeGeometry(blockCount, ovpOpt);
  if (!r.ok) {
    const min = minimumSizeBytes(ovpOpt);
    return fail('ENOSPC', `${blockCount * BLKSIZE} bytes is too small for F2FS: ${r.why}; mkfs.f2fs 1.15 needs at least ${min} bytes (${min / MiB} MiB)${ovpOpt ? ` with ${ovpOpt}% overprovision` : ''}`, {
      sizeBytes: blockCount * BLKSIZE,
      minimumBytes: min,
    });
  }
  return {
    geo: r.geo,
    features,
    encoding,
    uuid,
    label,
    volumeName,
    version: vbytes.toString('utf8'),
    versionBytes,
    time,
    cpVersion,
    lpfIno: features & Feature.LOST_FOUND ? ROOT_INO + 1 + qfInos.filter(Boolean).length : null,
    qfInos,
  };
}

/** The nids mkfs gives the quota inodes, right after root, per quota type (0: no such quota), from the -O bits as given. */
function quotaNids(features: number): number[] {
  const bits = [features & Feature.QUOTA_INO, features & Feature.QUOTA_INO, features & Feature.PRJQUOTA];
  let next = ROOT_INO + 1;
  return bits.map((on) => (on ? next++ : 0));
}

/* ---------------------------------------------------------------- block builders ---------------------------------------------------------------- */

/** calc_extra_isize: the smallest extra area holding every field the features use. */
export function extraIsize(features: number): number {
  let end = InodeExtra.offsets.i_projid;
  if (features & Feature.PRJQUOTA) end = InodeExtra.offsets.i_inode_checksum;
  if (features & Feature.INODE_CHKSUM) end = InodeExtra.offsets.i_crtime;
  if (features & Feature.INODE_CRTIME) end = InodeExtra.offsets.i_compr_blocks;
  if (features & Feature.COMPRESSION) end = InodeExtra.size;
  return end;
}

interface DirInodeSpec {
  ino: number;
  mode: number;
  links: number;
  pino: number;
  name: Buffer;
  dataBlkaddr: number;
  nextBlkaddr: number;
}

/** A quota inode as mkfs 1.15 writes it: a regular file of QUOTA_DATA blocks, immutable, no crtime. */
interface QuotaInodeSpec extends Omit<DirInodeSpec, 'dataBlkaddr'> {
  dataBlkaddrs: number[];
  size: number;
  flags: number;
}

/** A directory inode as mkfs writes root and lost+found: one dentry block, depth 1, extra area per features. */
function dirInodeBlock(plan: MkfsPlan, s: DirInodeSpec | QuotaInodeSpec): Buffer {
  const f = plan.features;
  const hasExtra = (f & Feature.EXTRA_ATTR) !== 0;
  const isize = hasExtra ? extraIsize(f) : 0;
  const addrs = new Array<number>(DEF_ADDRS_PER_INODE).fill(0);
  const data = 'dataBlkaddrs' in s ? s.dataBlkaddrs : [s.dataBlkaddr];
  data.forEach((a, i) => (addrs[isize / 4 + i] = a));
  const isDirInode = !('dataBlkaddrs' in s);
  const t = plan.time;
  const block = Buffer.alloc(BLKSIZE);
  Inode.encode(
    {
      i_mode: s.mode,
      i_advise: 0,
      i_inline: hasExtra ? InlineFlag.EXTRA_ATTR : 0,
      i_uid: 0,
      i_gid: 0,
      i_links: s.links,
      i_size: isDirInode ? BLKSIZE : (s as QuotaInodeSpec).size,
      i_blocks: 1 + data.length,
      i_atime: t,
      i_ctime: t,
      i_mtime: t,
      i_atime_nsec: 0,
      i_ctime_nsec: 0,
      i_mtime_nsec: 0,
      i_generation: 0,
      i_current_depth: isDirInode ? 1 : 0,
      i_xattr_nid: 0,
      i_flags: isDirInode ? 0 : (s as QuotaInodeSpec).flags,
      i_pino: s.pino,
      i_namelen: s.name.length,
      i_name: s.name,
      i_dir_level: 0,
      i_ext: { fofs: 0, blk: 0, len: 0 },
      i_addr: addrs,
      i_nid: new Array<number>(DEF_NIDS_PER_INODE).fill(0),
    },
    block,
    0,
  );
  NodeFooter.encode({ nid: s.ino, ino: s.ino, flag: makeFooterFlag(0, 0), cp_ver: 1n, next_blkaddr: s.nextBlkaddr }, block, NODE_FOOTER_OFFSET);
  if (!hasExtra) return block;
  const extra: InodeExtra = {
    i_extra_isize: isize,
    i_inline_xattr_size: 0,
    i_projid: 0,
    i_inode_checksum: 0,
    i_crtime: f & Feature.INODE_CRTIME && isDirInode ? t : 0,
    i_crtime_nsec: 0,
    i_compr_blocks: 0,
    i_compress_algorithm: 0,
    i_log_cluster_size: 0,
    i_compress_flag: 0,
  };
  // The extra area overlays i_addr: only its first i_extra_isize bytes belong to it (the rest are address slots).
  const putExtra = () => InodeExtra.encode(extra).copy(block, I_ADDR_OFFSET, 0, isize);
  putExtra();
  if (f & Feature.INODE_CHKSUM) {
    extra.i_inode_checksum = inodeChecksum(inodeChecksumSeed(plan.uuid), block);
    putExtra();
  }
  return block;
}

/** A dentry block holding '.', '..' and the given extra entries in consecutive slots from 2. */
function dentryBlock(self: number, parent: number, more: { name: Buffer; ino: number; fileType: number }[]): Buffer {
  const bitmap = Buffer.alloc(Math.ceil(NR_DENTRY_IN_BLOCK / 8));
  const dentry: DirEntry[] = Array.from({ length: NR_DENTRY_IN_BLOCK }, () => ({ hash_code: 0, ino: 0, name_len: 0, file_type: 0 }));
  const filename = Buffer.alloc(NR_DENTRY_IN_BLOCK * SLOT_LEN);
  let slot = 0;
  const add = (name: Buffer, ino: number, fileType: number, hash: number) => {
    dentry[slot] = { hash_code: hash, ino, name_len: name.length, file_type: fileType };
    name.copy(filename, slot * SLOT_LEN);
    const slots = Math.ceil(name.length / SLOT_LEN);
    for (let i = 0; i < slots; i++) bitLsb.set(bitmap, slot + i);
    slot += slots;
  };
  add(Buffer.from('.'), self, FileType.DIR, 0);
  add(Buffer.from('..'), parent, FileType.DIR, 0);
  for (const e of more) add(e.name, e.ino, e.fileType, dentryHash(e.name));
  return DentryBlock.encode({ dentry_bitmap: bitmap, reserved: Buffer.alloc(3), dentry, filename }, Buffer.alloc(BLKSIZE), 0);
}

const emptyNat = (): NatEntry => ({ version: 0, ino: 0, block_addr: 0 });
const emptySum = () => ({ nid: 0, version: 0, ofs_in_node: 0 });

function extensionList(): Buffer {
  const list = Buffer.alloc(64 * 8);
  [...COLD_EXTENSIONS, ...HOT_EXTENSIONS].forEach((ext, i) => list.write(ext, i * 8, 'latin1'));
  return list;
}

function superblockBlock(plan: MkfsPlan): Buffer {
  const g = plan.geo;
  const sb: Superblock = {
    magic: 0xf2f52010,
    major_ver: 1,
    minor_ver: 15,
    log_sectorsize: LOG_SECTORSIZE,
    log_sectors_per_block: Math.log2(SECTORS_PER_BLOCK),
    log_blocksize: 12,
    log_blocks_per_seg: LOG_BLOCKS_PER_SEG,
    segs_per_sec: 1,
    secs_per_zone: 1,
    checksum_offset: plan.features & Feature.SB_CHKSUM ? Superblock.offsets.crc : 0,
    block_count: g.blockCount,
    section_count: g.mainSegs,
    segment_count: g.segmentCount,
    segment_count_ckpt: 2,
    segment_count_sit: 2 * g.sitSegs,
    segment_count_nat: 2 * g.natSegs,
    segment_count_ssa: g.ssaSegs,
    segment_count_main: g.mainSegs,
    segment0_blkaddr: g.segment0,
    cp_blkaddr: g.segment0,
    sit_blkaddr: g.sitBlkaddr,
    nat_blkaddr: g.natBlkaddr,
    ssa_blkaddr: g.ssaBlkaddr,
    main_blkaddr: g.mainBlkaddr,
    root_ino: ROOT_INO,
    node_ino: NODE_INO,
    meta_ino: META_INO,
    uuid: plan.uuid,
    volume_name: plan.volumeName,
    extension_count: COLD_EXTENSIONS.length,
    extension_list: extensionList(),
    cp_payload: g.cpPayload,
    version: plan.versionBytes,
    init_version: plan.versionBytes,
    feature: plan.features,
    encryption_level: 0,
    encrypt_pw_salt: Buffer.alloc(16),
    devs: Buffer.alloc(544),
    qf_ino: plan.qfInos,
    hot_ext_count: HOT_EXTENSIONS.length,
    s_encoding: plan.encoding.encoding,
    s_encoding_flags: plan.encoding.flags,
    s_stop_reason: Buffer.alloc(32),
    s_errors: Buffer.alloc(16),
    reserved: Buffer.alloc(258),
    crc: 0,
  };
  if (plan.features & Feature.SB_CHKSUM) sb.crc = superblockCrc(Superblock.encode(sb));
  return Superblock.encode(sb, Buffer.alloc(BLKSIZE), SUPER_OFFSET);
}

interface Write {
  blkaddr: number;
  data: Buffer;
  tag: string;
}

/** Everything mkfs writes after zeroing, in mkfs.f2fs's order, plus the derived counters for the report. */
function buildWrites(plan: MkfsPlan, trimmed: boolean) {
  const g = plan.geo;
  const cur = g.curseg;
  const segAddr = (segno: number) => g.mainBlkaddr + segno * BLOCKS_PER_SEG;
  const lpf = plan.lpfIno;
  const nLpf = lpf === null ? 0 : 1;
  const qf = plan.qfInos.map((ino, type) => ({ ino, type })).filter((q) => q.ino);
  const nQ = qf.length;
  const rootNode = segAddr(cur[CursegType.HOT_NODE]);
  const rootData = segAddr(cur[CursegType.HOT_DATA]);
  const lpfNode = rootNode + 1 + nQ;
  const lpfData = rootData + 1 + QUOTA_DATA * nQ;
  const writes: Write[] = [];

  // Root inode, then lost+found's dentry block and inode, then the roll-forward guard.
  writes.push({
    blkaddr: rootNode,
    tag: 'mkfs:root-inode',
    data: dirInodeBlock(plan, { ino: ROOT_INO, mode: S_IFDIR | 0o755, links: 2 + nLpf, pino: 0, name: Buffer.alloc(0), dataBlkaddr: rootData, nextBlkaddr: rootNode + 1 }),
  });
  // f2fs_write_qf_inode: each quota file's blocks (root's usage in id 0), then its inode.
  qf.forEach(({ ino, type }, k) => {
    const data = rootData + 1 + QUOTA_DATA * k;
    const file = Buffer.concat([mkfsQuotaFile(type, { space: BLKSIZE * (1 + nLpf), inodes: 1 + nLpf })], QUOTA_DATA * BLKSIZE);
    for (let i = 0; i < QUOTA_DATA; i++) writes.push({ blkaddr: data + i, tag: 'mkfs:quota-data', data: file.subarray(i * BLKSIZE, (i + 1) * BLKSIZE) });
    const node = rootNode + 1 + k;
    const dataBlkaddrs = Array.from({ length: QUOTA_DATA }, (_, i) => data + i);
    // mkfs 1.15 points the roll-forward guard by quota type, not by position (they differ without user/group quota).
    const nextBlkaddr = rootNode + 2 + type;
    const spec = { ino, mode: S_IFREG | 0o600, links: 1, pino: 0, name: Buffer.alloc(0), dataBlkaddrs, size: MKFS_QUOTA_FILE_SIZE, flags: FsFlag.IMMUTABLE, nextBlkaddr };
    writes.push({ blkaddr: node, tag: 'mkfs:quota-inode', data: dirInodeBlock(plan, spec) });
  });
  if (lpf !== null) {
    writes.push({ blkaddr: lpfData, tag: 'mkfs:lpf-dentry', data: dentryBlock(lpf, ROOT_INO, []) });
    writes.push({
      blkaddr: lpfNode,
      tag: 'mkfs:lpf-inode',
      data: dirInodeBlock(plan, { ino: lpf, mode: S_IFDIR | 0o700, links: 2, pino: ROOT_INO, name: LPF, dataBlkaddr: lpfData, nextBlkaddr: lpfNode + 1 }),
    });
  }
  // f2fs_discard_obsolete_dnode: the warm-node log's next free block must not look like a recoverable node.
  writes.push({ blkaddr: segAddr(cur[CursegType.WARM_NODE]), tag: 'mkfs:warm-node-guard', data: Buffer.alloc(BLKSIZE) });

  // NAT block 0, copy 0: the two virtual inodes, root and the quota inodes (lost+found lives only in the journal, as mkfs leaves it).
  const nat = Array.from({ length: NAT_ENTRY_PER_BLOCK }, emptyNat);
  nat[NODE_INO] = { version: 0, ino: NODE_INO, block_addr: 1 };
  nat[META_INO] = { version: 0, ino: META_INO, block_addr: 1 };
  nat[ROOT_INO] = { version: 0, ino: ROOT_INO, block_addr: rootNode };
  // The quota inodes are in NAT block 0 too (f2fs_update_nat_default), besides the journal.
  qf.forEach(({ ino }, k) => (nat[ino] = { version: 0, ino, block_addr: rootNode + 1 + k }));
  writes.push({ blkaddr: g.natBlkaddr, tag: 'mkfs:nat', data: NatBlock.encode({ entries: nat }, Buffer.alloc(BLKSIZE), 0) });

  writes.push({
    blkaddr: rootData,
    tag: 'mkfs:root-dentry',
    data: dentryBlock(ROOT_INO, ROOT_INO, lpf === null ? [] : [{ name: LPF, ino: lpf, fileType: FileType.DIR }]),
  });

  // Checkpoint head.
  const { bytes: natBitsBytes, blocks: natBitsBlocks } = natBitsSize(g.natSegs * BLOCKS_PER_SEG);
  const packTotal = 6 + g.cpPayload;
  let flags = CpFlag.UMOUNT | CpFlag.COMPACT_SUM;
  if (packTotal <= BLOCKS_PER_SEG - natBitsBlocks) flags |= CpFlag.NAT_BITS;
  if (trimmed) flags |= CpFlag.TRIMMED;
  const unused = [NULL_SEGNO, NULL_SEGNO, NULL_SEGNO, NULL_SEGNO, NULL_SEGNO];
  const validNodes = 1 + nQ + nLpf;
  const validBlocks = 2 + (1 + QUOTA_DATA) * nQ + 2 * nLpf;
  const hotNodeBlocks = 1 + nQ + nLpf;
  const hotDataBlocks = 1 + QUOTA_DATA * nQ + nLpf;
  const head: CheckpointHead = {
    checkpoint_ver: BigInt(plan.cpVersion),
    user_block_count: (g.mainSegs - g.ovpSegs) * BLOCKS_PER_SEG,
    valid_block_count: validBlocks,
    rsvd_segment_count: g.rsvd,
    overprov_segment_count: g.ovpSegs,
    free_segment_count: g.mainSegs - CUR_SEG_TYPES,
    cur_node_segno: [cur[CursegType.HOT_NODE], cur[CursegType.WARM_NODE], cur[CursegType.COLD_NODE], ...unused],
    cur_node_blkoff: [hotNodeBlocks, 0, 0, 0, 0, 0, 0, 0],
    cur_data_segno: [cur[CursegType.HOT_DATA], cur[CursegType.WARM_DATA], cur[CursegType.COLD_DATA], ...unused],
    cur_data_blkoff: [hotDataBlocks, 0, 0, 0, 0, 0, 0, 0],
    ckpt_flags: flags,
    cp_pack_total_block_count: packTotal,
    cp_pack_start_sum: 1 + g.cpPayload,
    valid_node_count: validNodes,
    valid_inode_count: validNodes,
    next_free_nid: ROOT_INO + 1 + nQ + nLpf,
    sit_ver_bitmap_bytesize: (g.sitSegs * BLOCKS_PER_SEG) / 8,
    nat_ver_bitmap_bytesize: (g.natSegs * BLOCKS_PER_SEG) / 8,
    checksum_offset: CP_CHKSUM_OFFSET,
    elapsed_time: 0,
    alloc_type: new Array<number>(16).fill(0),
  };
  const cpBlock = () => {
    const value = { head, bitmaps: Buffer.alloc(CP_CHKSUM_OFFSET - CP_BITMAP_OFFSET), crc: 0 };
    const block = CpBlock.encode(value);
    value.crc = checkpointCrc(block, CP_CHKSUM_OFFSET);
    return { block: CpBlock.encode(value), crc: value.crc };
  };
  const cp1 = cpBlock();

  // Compact data summary: NAT journal, SIT journal, then the hot-data entries.
  const sumBlock = Buffer.alloc(BLKSIZE);
  const natj = Array.from({ length: NAT_JOURNAL_ENTRIES }, () => ({ nid: 0, ne: emptyNat() }));
  natj[0] = { nid: ROOT_INO, ne: { version: 0, ino: ROOT_INO, block_addr: rootNode } };
  qf.forEach(({ ino }, k) => (natj[1 + k] = { nid: ino, ne: { version: 0, ino, block_addr: rootNode + 1 + k } }));
  if (lpf !== null) natj[1 + nQ] = { nid: lpf, ne: { version: 0, ino: lpf, block_addr: lpfNode } };
  NatJournal.encode({ n_nats: 1 + nQ + nLpf, entries: natj, reserved: Buffer.alloc(11) }, sumBlock, 0);
  const sitEntry = (type: number, segno: number, valid: number): SitJournalT['entries'][number] => {
    const map = Buffer.alloc(64);
    for (let i = 0; i < valid; i++) bitMsb.set(map, i);
    return { segno, se: { vblocks: sitVblocks(type, valid), valid_map: map, mtime: 0 } };
  };
  const sitj = [
    sitEntry(CursegType.HOT_NODE, cur[CursegType.HOT_NODE], hotNodeBlocks),
    sitEntry(CursegType.WARM_NODE, cur[CursegType.WARM_NODE], 0),
    sitEntry(CursegType.COLD_NODE, cur[CursegType.COLD_NODE], 0),
    sitEntry(CursegType.HOT_DATA, cur[CursegType.HOT_DATA], hotDataBlocks),
    sitEntry(CursegType.WARM_DATA, cur[CursegType.WARM_DATA], 0),
    sitEntry(CursegType.COLD_DATA, cur[CursegType.COLD_DATA], 0),
  ];
  SitJournal.encode({ n_sits: SIT_JOURNAL_ENTRIES, entries: sitj, reserved: Buffer.alloc(37) }, sumBlock, SUM_JOURNAL_SIZE);
  const hotNodes = [ROOT_INO, ...qf.map((q) => q.ino), ...(lpf === null ? [] : [lpf])];
  const hotData = [
    { nid: ROOT_INO, ofs: 0 },
    ...qf.flatMap((q) => Array.from({ length: QUOTA_DATA }, (_, i) => ({ nid: q.ino, ofs: i }))),
    ...(lpf === null ? [] : [{ nid: lpf, ofs: 0 }]),
  ];
  hotData.forEach(({ nid, ofs }, i) => SummaryEntry.encode({ nid, version: 0, ofs_in_node: ofs }, sumBlock, COMPACT_FIRST_ENTRY_OFFSET + i * SummaryEntry.size));

  const nodeSum = (nids: number[]) => {
    const entries = Array.from({ length: ENTRIES_IN_SUM }, emptySum);
    nids.forEach((nid, i) => (entries[i] = { nid, version: 0, ofs_in_node: 0 }));
    return SummaryBlock.encode({ entries, journal: Buffer.alloc(SUM_JOURNAL_SIZE), footer: { entry_type: SUM_TYPE_NODE, check_sum: 0 } });
  };

  // Pack 1: CP, payload (SIT version bitmap, all zero), compact summary, three node summaries, CP copy; nat_bits at the segment's end.
  const base1 = g.segment0;
  writes.push({ blkaddr: base1, tag: 'mkfs:cp1-head', data: cp1.block });
  for (let i = 1; i <= g.cpPayload; i++) writes.push({ blkaddr: base1 + i, tag: 'mkfs:cp1-payload', data: Buffer.alloc(BLKSIZE) });
  let b = base1 + 1 + g.cpPayload;
  writes.push({ blkaddr: b++, tag: 'mkfs:cp1-data-sum', data: sumBlock });
  writes.push({ blkaddr: b++, tag: 'mkfs:cp1-hot-node-sum', data: nodeSum(hotNodes) });
  writes.push({ blkaddr: b++, tag: 'mkfs:cp1-warm-node-sum', data: nodeSum([]) });
  writes.push({ blkaddr: b++, tag: 'mkfs:cp1-cold-node-sum', data: nodeSum([]) });
  writes.push({ blkaddr: b, tag: 'mkfs:cp1-tail', data: cp1.block });
  if (flags & CpFlag.NAT_BITS) {
    // Header: this CP's version and crc; full bits all clear; empty bits all set but NAT block 0's.
    const bits = Buffer.alloc(natBitsBlocks * BLKSIZE);
    NatBitsHead.encode({ cp_ver_crc: natBitsStamp(BigInt(plan.cpVersion), cp1.crc) }, bits, 0);
    const empty = bits.subarray(NatBitsHead.size + natBitsBytes, NatBitsHead.size + 2 * natBitsBytes);
    empty.fill(0xff);
    bitLsb.clear(empty, 0);
    const first = base1 + BLOCKS_PER_SEG - natBitsBlocks;
    for (let i = 0; i < natBitsBlocks; i++) writes.push({ blkaddr: first + i, tag: 'mkfs:nat-bits', data: bits.subarray(i * BLKSIZE, (i + 1) * BLKSIZE) });
  }

  // Pack 2: head and tail only, version 0, so pack 1 is the newer one.
  head.checkpoint_ver = 0n;
  const cp2 = cpBlock();
  const base2 = g.segment0 + BLOCKS_PER_SEG;
  writes.push({ blkaddr: base2, tag: 'mkfs:cp2-head', data: cp2.block });
  for (let i = 1; i <= g.cpPayload; i++) writes.push({ blkaddr: base2 + i, tag: 'mkfs:cp2-payload', data: Buffer.alloc(BLKSIZE) });
  writes.push({ blkaddr: base2 + packTotal - 1, tag: 'mkfs:cp2-tail', data: cp2.block });

  const sb = superblockBlock(plan);
  const superblocks: Write[] = [
    { blkaddr: 0, tag: 'mkfs:sb0', data: sb },
    { blkaddr: 1, tag: 'mkfs:sb1', data: sb },
  ];
  return { writes, superblocks, flags, natBitsBlocks: flags & CpFlag.NAT_BITS ? natBitsBlocks : 0, validBlocks, validNodes, nextFreeNid: head.next_free_nid, hotNodeBlocks, hotDataBlocks };
}

/** Blocks written for the file system itself (everything but zeroing). */
export function metadataBlocks(plan: MkfsPlan): number {
  const b = buildWrites(plan, false);
  return b.writes.length + b.superblocks.length;
}

/** SIT copy 0 and the NAT copy-0 segments: what mkfs zeroes before writing (runs of [blkaddr, blocks]). */
export function zeroRanges(plan: MkfsPlan): [number, number][] {
  const g = plan.geo;
  const runs: [number, number][] = [[g.sitBlkaddr, g.sitSegs * BLOCKS_PER_SEG]];
  for (let i = 0; i < g.natSegs; i++) runs.push([g.natBlkaddr + 2 * i * BLOCKS_PER_SEG, BLOCKS_PER_SEG]);
  return runs;
}

/* ---------------------------------------------------------------- writing ---------------------------------------------------------------- */

type Progress = (done: number, total: number) => void;

/** Pending zero blocks queued between flushes when zeroing through the device (bounds memory to 16 MiB). */
const ZERO_BATCH_BLOCKS = 4096;

function run(dev: BlockDevice, plan: MkfsPlan, how: { zeroThroughDevice: boolean; trimmed: boolean; zeroedBefore: number; progress?: Progress }): MkfsReport {
  const g = plan.geo;
  const built = buildWrites(plan, how.trimmed);
  const zero = how.zeroThroughDevice ? zeroRanges(plan) : [];
  const zeroBlocks = zero.reduce((n, [, len]) => n + len, 0);
  const metaBlocks = built.writes.length + built.superblocks.length;
  const total = how.zeroedBefore + zeroBlocks + metaBlocks;
  let done = how.zeroedBefore;
  const tick = (n: number) => {
    done += n;
    how.progress?.(done, total);
  };

  if (zeroBlocks) {
    const z = Buffer.alloc(BLKSIZE);
    let pending = 0;
    for (const [start, len] of zero) {
      for (let i = 0; i < len; i++) {
        dev.writeBlock(start + i, z, 'mkfs:zero');
        if (++pending === ZERO_BATCH_BLOCKS) {
          dev.flush('mkfs:zero');
          tick(pending);
          pending = 0;
        }
      }
    }
    dev.flush('mkfs:zero');
    tick(pending);
  }
  for (const w of built.writes) dev.writeBlock(w.blkaddr, w.data, w.tag);
  dev.flush('mkfs:metadata');
  tick(built.writes.length);
  // The superblocks go last, once everything they describe is durable.
  for (const w of built.superblocks) dev.writeBlock(w.blkaddr, w.data, w.tag);
  dev.flush('mkfs:superblock');
  tick(built.superblocks.length);

  const cur = g.curseg;
  return {
    sizeBytes: g.blockCount * BLKSIZE,
    blockCount: g.blockCount,
    segmentCount: g.segmentCount,
    sectionCount: g.mainSegs,
    mainSegments: g.mainSegs,
    areas: { segment0: g.segment0, cp: g.segment0, sit: g.sitBlkaddr, nat: g.natBlkaddr, ssa: g.ssaBlkaddr, main: g.mainBlkaddr },
    areaSegments: { cp: 2, sit: 2 * g.sitSegs, nat: 2 * g.natSegs, ssa: g.ssaSegs, main: g.mainSegs },
    cpPayload: g.cpPayload,
    overprovisionPercent: g.ovp,
    reservedSegments: g.rsvd,
    overprovisionSegments: g.ovpSegs,
    freeSegments: g.mainSegs - CUR_SEG_TYPES,
    userBlocks: (g.mainSegs - g.ovpSegs) * BLOCKS_PER_SEG,
    validBlocks: built.validBlocks,
    validNodes: built.validNodes,
    validInodes: built.validNodes,
    nextFreeNid: built.nextFreeNid,
    cursegs: CURSEG_NAMES.map((type, t) => ({ type, segno: cur[t], blkoff: t === CursegType.HOT_DATA ? built.hotDataBlocks : t === CursegType.HOT_NODE ? built.hotNodeBlocks : 0 })),
    features: featureNames(plan.features),
    featureBits: plan.features,
    encoding: plan.encoding.encoding ? `utf8${plan.encoding.flags & ENC_STRICT_MODE_FL ? ':strict' : ''}` : null,
    uuid: formatUuid(plan.uuid),
    label: plan.label,
    version: plan.version,
    timestamp: plan.time,
    checkpointVersion: plan.cpVersion,
    cpFlags: cpFlagNames(built.flags),
    natBitsBlocks: built.natBitsBlocks,
    lostFoundIno: plan.lpfIno,
    quotaInos: plan.qfInos,
    zeroedBlocks: how.zeroedBefore + zeroBlocks,
    metadataBlocks: metaBlocks,
  };
}

function blocksToFormat(available: number, sizeBytes: number | undefined, what: string): number {
  if (sizeBytes === undefined) return available;
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) fail('USAGE', `sizeBytes must be a non-negative integer, got ${sizeBytes}`);
  const blocks = Math.floor(sizeBytes / BLKSIZE);
  if (blocks > available) fail('EINVAL', `cannot format ${sizeBytes} bytes: ${what} has only ${available * BLKSIZE}`, { sizeBytes, available: available * BLKSIZE });
  return blocks;
}

/** Formats `dev` (the first `opts.sizeBytes` bytes, default all of it) and flushes; the device stays open. */
export function mkfs(dev: BlockDevice, opts: MkfsOptions = {}): MkfsReport {
  if (dev.readOnly) fail('EROFS', 'cannot format a read-only device');
  const plan = planMkfs(blocksToFormat(dev.blockCount, opts.sizeBytes, 'the device'), opts);
  return run(dev, plan, { zeroThroughDevice: !opts.zeroed, trimmed: !!opts.zeroed, zeroedBefore: 0 });
}

/** Largest single write used to zero SIT/NAT areas of an existing image file. */
const ZERO_CHUNK = 8 * MiB;

/**
 * Formats an image file. A missing file is created sparse with `sizeBytes` (nothing but metadata is written, and the CP
 * says TRIMMED as mkfs.f2fs's after its discard); an existing regular file keeps its size, its SIT and NAT copy-0 areas are
 * zeroed with large writes, and the rest of its old content is left in place (harmless, as with mkfs.f2fs -t 0).
 */
export function mkfsImage(path: string, opts: MkfsOptions & { progress?: Progress } = {}): MkfsReport {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toF2fsError(e);
  }
  if (!st) {
    if (opts.sizeBytes === undefined) fail('USAGE', `${path} does not exist: give sizeBytes to create it`);
    const plan = planMkfs(blocksToFormat(Number.MAX_SAFE_INTEGER, opts.sizeBytes, 'a new file'), opts);
    const fd = fromHost(() => fs.openSync(path, 'wx'));
    try {
      try {
        fs.ftruncateSync(fd, opts.sizeBytes);
      } finally {
        fs.closeSync(fd);
      }
      const dev = FileDevice.open(path, { readOnly: false, cacheMb: 0 });
      try {
        return run(dev, plan, { zeroThroughDevice: false, trimmed: true, zeroedBefore: 0, progress: opts.progress });
      } finally {
        dev.close();
      }
    } catch (e) {
      fs.rmSync(path, { force: true }); // we created it: leave nothing half-made behind
      throw e instanceof F2fsError ? e : toF2fsError(e);
    }
  }

  if (st.isDirectory()) fail('EISDIR', `${path} is a directory`);
  if (!st.isFile()) fail('UNSUPPORTED', `${path} is not a regular file`);
  const plan = planMkfs(blocksToFormat(Math.floor(st.size / BLKSIZE), opts.sizeBytes, path), opts);
  // Zero SIT copy 0 and the NAT copy-0 segments straight through the file, in large writes, before the device opens it.
  const ranges = zeroRanges(plan);
  const zeroTotal = ranges.reduce((n, [, len]) => n + len, 0);
  const total = zeroTotal + metadataBlocks(plan);
  let zeroed = 0;
  const fd = fromHost(() => fs.openSync(path, 'r+'));
  try {
    const chunk = Buffer.alloc(Math.min(ZERO_CHUNK, zeroTotal * BLKSIZE));
    for (const [start, len] of ranges) {
      let pos = start * BLKSIZE;
      let left = len * BLKSIZE;
      while (left > 0) {
        const n = fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length), pos);
        pos += n;
        left -= n;
        zeroed += Math.floor(n / BLKSIZE);
        opts.progress?.(zeroed, total);
      }
    }
    fs.fdatasyncSync(fd);
  } catch (e) {
    throw new F2fsError('IO', `zeroing the SIT/NAT areas of ${path}: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
  const dev = FileDevice.open(path, { readOnly: false, cacheMb: 0 });
  try {
    return run(dev, plan, { zeroThroughDevice: false, trimmed: false, zeroedBefore: zeroed, progress: opts.progress });
  } finally {
    dev.close();
  }
}
