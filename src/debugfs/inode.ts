// Per-inode inspection: stat, ls, bmap and a file's nodes, as plain objects (the commands' JSON).
import { during } from '../errors.js';
import { inodeSeconds, inodeTime } from './time.js';
import { exactInteger } from '../util/struct.js';
import { maxFileBlocks } from '../fs/node.js';
import { deviceNumber, gcFailures, hasInlineData, hasInlineDentry, inodeNids, inodeSize, inodeU64, isDir, isSymlink, modeString, type InodeInfo } from '../fs/inode.js';
import { BLKSIZE, COMPRESS_ADDR, NEW_ADDR, NULL_ADDR, bitNames } from '../fs/layout/constants.js';
import { compressAttrs } from '../fs/compress.js';
import { FILE_TYPE_NAMES, fileTypeOfMode } from '../fs/layout/dentry.js';
import { Advise, FsFlag, InlineFlag, NodeFlag, footerOfs } from '../fs/layout/node.js';
import { splitFooterCpVer } from '../fs/node.js';
import type { Volume } from '../fs/volume.js';
import { fileTypeName, userRange } from './filespec.js';
import { decodeContext, describeContext } from '../fs/crypto.js';
import { XATTR_INDEX_ENCRYPTION, XATTR_NAME_ENCRYPTION_CONTEXT } from '../fs/layout/crypto.js';
import { FsverityDescriptorLocation, XATTR_INDEX_VERITY, XATTR_NAME_VERITY } from '../fs/layout/verity.js';
import { isVerity, readVerity } from '../fs/verity.js';
import type { Xattr } from '../fs/xattr.js';


/* ------------------------------------------------------------------ stat / ls */

/** st_blocks as the kernel reports it: i_blocks minus the inode block, in 512-byte units, plus inline bytes. */
export function stBlocks(info: InodeInfo): number | string {
  const blocks = inodeU64(info, 'i_blocks');
  let sectors = (blocks > 0n ? blocks - 1n : 0n) * BigInt(BLKSIZE / 512);
  if ((fileTypeOfMode(info.inode.i_mode) === 1 && hasInlineData(info)) || hasInlineDentry(info)) sectors += (inodeU64(info, 'i_size') + 511n) / 512n;
  return exactInteger(sectors);
}

/** A footer's cp_ver as JSON: the version and, when the checkpoint has crc_recovery, the crc half apart. */
export function cpVerParts(cpVer: bigint, ckptFlags: number): { cp_version: string; cp_crc: number | null } {
  const { version, crc } = splitFooterCpVer(cpVer, ckptFlags);
  return { cp_version: version.toString(), cp_crc: crc };
}

export function statInode(vol: Volume, info: InodeInfo) {
  const i = info.inode;
  const e = info.extra;
  const f = info.page.footer;
  const dir = isDir(i.i_mode);
  const ft = fileTypeOfMode(i.i_mode);
  const devnum = ft === 3 || ft === 4 ? deviceNumber(info) : null;
  return {
    ino: info.ino,
    type: fileTypeName(i.i_mode),
    mode: i.i_mode,
    modeOctal: i.i_mode.toString(8).padStart(6, '0'),
    modeString: modeString(i.i_mode),
    uid: i.i_uid,
    gid: i.i_gid,
    links: i.i_links,
    size: inodeSize(info),
    blocks: exactInteger(inodeU64(info, 'i_blocks')),
    stBlocks: stBlocks(info),
    atime: inodeTime(info.page.raw, 'i_atime', i.i_atime_nsec),
    ctime: inodeTime(info.page.raw, 'i_ctime', i.i_ctime_nsec),
    mtime: inodeTime(info.page.raw, 'i_mtime', i.i_mtime_nsec),
    crtime: e && info.extraIsize >= 28 ? inodeTime(info.page.raw, 'i_crtime', e.i_crtime_nsec) : null,
    generation: i.i_generation,
    advise: i.i_advise,
    adviseNames: bitNames(i.i_advise, Advise),
    inline: i.i_inline,
    // F2FS_INLINE_XATTR/DATA/DENTRY/DOTS: the table drops the INLINE_ the kernel's names carry.
    inlineNames: bitNames(i.i_inline, InlineFlag).map((n) => (['xattr', 'data', 'dentry', 'dots'].includes(n) ? `inline_${n}` : n)),
    inlineData: hasInlineData(info),
    inlineDentry: hasInlineDentry(info),
    flags: i.i_flags,
    flagNames: bitNames(i.i_flags, FsFlag),
    xattrNid: i.i_xattr_nid,
    pino: i.i_pino,
    name: i.i_name.subarray(0, Math.min(i.i_namelen, 255)).toString(),
    currentDepth: dir ? i.i_current_depth : null,
    gcFailures: dir ? null : gcFailures(info),
    dirLevel: i.i_dir_level,
    extent: i.i_ext,
    extraIsize: info.extraIsize,
    inlineXattrSize: info.inlineXattrWords,
    projid: e && info.extraIsize >= 8 ? e.i_projid : null,
    checksum: e && info.extraIsize >= 12 ? { value: e.i_inode_checksum, ok: info.checksumOk } : null,
    addrsPerInode: info.addrsPerInode,
    /** A compressed file's i_compress_* fields; comprBlocks: the blocks compression saved (i_compr_blocks). */
    compression: compressAttrs(info),
    device: devnum,
    nids: inodeNids(info),
    node: {
      nid: info.page.nid,
      blkaddr: info.page.blkaddr,
      footer: { ...f, cp_ver: f.cp_ver.toString(), ...cpVerParts(f.cp_ver, vol.cp.head.ckpt_flags), cold: !!(f.flag & NodeFlag.COLD), fsync: !!(f.flag & NodeFlag.FSYNC), dent: !!(f.flag & NodeFlag.DENT), ofs: footerOfs(f.flag) },
    },
    symlink: isSymlink(i.i_mode) ? vol.readlink(info).toString() : null,
    xattrs: vol.xattrs(info).map((x) => ({ name: x.name, index: x.index, value: x.value })),
    encryption: encryptionOf(vol, info),
    verity: isVerity(info) ? readVerity(vol, info) : null,
  };
}

/** The fscrypt policy of an encrypted inode, and whether a --key given unlocks it. */
function encryptionOf(vol: Volume, info: InodeInfo) {
  if (!vol.crypto.isEncrypted(info)) return null;
  const ctx = vol.crypto.context(info);
  return ctx ? { ...describeContext(ctx), keyAvailable: vol.crypto.hasKey(ctx) } : null;
}

/** What xattr-list shows decoded: the fscrypt context ("encryption.c") and the verity descriptor location ("verity.v"). */
export function decodedXattr(x: Xattr): Record<string, unknown> | null {
  const name = x.rawName.toString('latin1');
  if (x.index === XATTR_INDEX_ENCRYPTION && name === XATTR_NAME_ENCRYPTION_CONTEXT) return { ...describeContext(decodeContext(x.value)) };
  if (x.index === XATTR_INDEX_VERITY && name === XATTR_NAME_VERITY && x.value.length === FsverityDescriptorLocation.size) return FsverityDescriptorLocation.decode(x.value);
  return null;
}
export type StatResult = ReturnType<typeof statInode>;

export interface LsEntry {
  name: string;
  ino: number;
  fileType: string;
  hash: number;
  mode?: number;
  modeString?: string;
  links?: number;
  uid?: number;
  gid?: number;
  size?: number | string;
  /** Character and block devices: the device number (ls -l shows it instead of the size). */
  device?: { major: number; minor: number };
  mtime?: number | string;
  /** Symlink target (long listing). */
  target?: string;
}

function longFields(vol: Volume, c: InodeInfo): Partial<LsEntry> {
  const i = c.inode;
  return {
    mode: i.i_mode,
    modeString: modeString(i.i_mode),
    links: i.i_links,
    uid: i.i_uid,
    gid: i.i_gid,
    size: inodeSize(c),
    device: fileTypeOfMode(i.i_mode) === 3 || fileTypeOfMode(i.i_mode) === 4 ? deviceNumber(c) : undefined,
    mtime: inodeSeconds(c.page.raw, 'i_mtime'),
    target: isSymlink(i.i_mode) ? vol.readlink(c).toString() : undefined,
  };
}

/** Entries of a directory in storage order ('.' and '..' included); `long` adds each child's inode fields. */
export function ls(vol: Volume, dir: InodeInfo, long: boolean): LsEntry[] {
  const out: LsEntry[] = [];
  for (const d of vol.dirs.entries(dir)) {
    const e: LsEntry = { name: d.name.toString(), ino: d.ino, fileType: FILE_TYPE_NAMES[d.fileType] ?? `type${d.fileType}`, hash: d.hash };
    if (long) Object.assign(e, during(`while reading inode ${d.ino} (entry "${e.name}")`, () => longFields(vol, vol.inode(d.ino))));
    out.push(e);
  }
  return out;
}

/** One entry describing a non-directory itself (`ls FILE`). */
export function lsSelf(vol: Volume, info: InodeInfo, name: string, long: boolean): LsEntry {
  const e: LsEntry = { name, ino: info.ino, fileType: fileTypeName(info.inode.i_mode), hash: 0 };
  if (long) Object.assign(e, longFields(vol, info));
  return e;
}

/* ------------------------------------------------------------------ bmap */

export interface BmapEntry {
  bidx: number;
  blkaddr: number;
  kind: 'block' | 'new' | 'compress';
  nid: number;
  ofsInNode: number;
}

/** Block map of a file: every allocated slot from file block `from` (inclusive) to `to` (exclusive). */
export function bmap(vol: Volume, info: InodeInfo, from = 0, to = Math.ceil(info.inode.i_size / BLKSIZE)): BmapEntry[] {
  const out: BmapEntry[] = [];
  if (hasInlineData(info) || hasInlineDentry(info)) return out;
  vol.data.walk(info, from, to, (bidx, blkaddr, owner) => out.push({ bidx, blkaddr, kind: blkaddr === NEW_ADDR ? 'new' : blkaddr === COMPRESS_ADDR ? 'compress' : 'block', nid: owner.nid, ofsInNode: owner.ofsInNode }));
  return out;
}

export interface BmapRun {
  /** First file block of the run. */
  bidx: number;
  /** Blocks in the run. */
  len: number;
  /** First block address ('new' runs: NEW_ADDR reservations, no block yet; 'compress': a compressed cluster's COMPRESS_ADDR). */
  blkaddr: number;
  kind: 'block' | 'new' | 'compress';
}

/** Compresses a block map into runs: consecutive file blocks at consecutive addresses (or consecutive reservations). */
export function bmapRuns(entries: BmapEntry[]): BmapRun[] {
  const runs: BmapRun[] = [];
  for (const e of entries) {
    const r = runs[runs.length - 1];
    if (r && r.kind === e.kind && r.bidx + r.len === e.bidx && (e.kind !== 'block' || r.blkaddr + r.len === e.blkaddr)) r.len++;
    else runs.push({ bidx: e.bidx, len: 1, blkaddr: e.blkaddr, kind: e.kind });
  }
  return runs;
}

/** bmap of one file block: its address (or hole/reservation/inline) and the node slot holding it. */
export function bmapOne(vol: Volume, info: InodeInfo, bidx: number) {
  userRange(bidx, 0, maxFileBlocks(info), 'file block');
  const size = info.inode.i_size;
  const pastEof = bidx * BLKSIZE >= size;
  if (hasInlineData(info) || hasInlineDentry(info))
    return { bidx, kind: 'inline' as const, blkaddr: null, nid: info.ino, ofsInNode: null, nodeBlkaddr: info.page.blkaddr, level: 0, pastEof };
  const r = vol.data.bmap(info, bidx);
  const kind = r.blkaddr === NULL_ADDR ? ('hole' as const) : r.blkaddr === NEW_ADDR ? ('new' as const) : r.blkaddr === COMPRESS_ADDR ? ('compress' as const) : ('block' as const);
  return { bidx, kind, blkaddr: kind === 'hole' ? null : r.blkaddr, nid: r.owner?.nid ?? null, ofsInNode: r.owner?.ofsInNode ?? null, nodeBlkaddr: r.owner?.nodeBlkaddr ?? null, level: r.level, pastEof };
}

/** Nodes of a file: inode, direct/indirect nodes and the xattr node. */
export function fileNodes(vol: Volume, info: InodeInfo) {
  const nodes: { nid: number; ofs: number; blkaddr: number }[] = [{ nid: info.ino, ofs: 0, blkaddr: info.page.blkaddr }];
  if (!hasInlineData(info) && !hasInlineDentry(info)) vol.data.walk(info, 0, Number.MAX_SAFE_INTEGER, () => {}, (nid, ofs, blkaddr) => nodes.push({ nid, ofs, blkaddr }));
  if (info.inode.i_xattr_nid) {
    const x = vol.nm.readNode(info.inode.i_xattr_nid, info.ino);
    nodes.push({ nid: x.nid, ofs: x.ofs, blkaddr: x.blkaddr });
  }
  return nodes;
}
