// Node block codecs: footer, inode (with its extra attribute area), direct and indirect nodes; node-offset classes (IS_DNODE),
// slot offsets, i_flags and i_advise bits; inode checksum.
import { f2fsCrc32 } from './crc.js';
import {
  ADDRS_PER_BLOCK,
  BLKSIZE,
  DEF_ADDRS_PER_INODE,
  DEF_NIDS_PER_INODE,
  NIDS_PER_BLOCK,
  OFFSET_BIT_SHIFT,
  XATTR_NODE_OFFSET,
} from './constants.js';
import { array, bytes, prefix, struct, type Of, type Struct } from '../../util/struct.js';

export const NODE_BODY_SIZE = 4072;

export const NodeFooter = struct('node_footer', [
  ['nid', 'u32'],
  ['ino', 'u32'],
  ['flag', 'u32'],
  ['cp_ver', 'u64'],
  ['next_blkaddr', 'u32'],
]);
export type NodeFooter = Of<typeof NodeFooter>;
export const NODE_FOOTER_OFFSET = NODE_BODY_SIZE;
/** Footer fields read one by one, without decoding the footer (node reads, scans of whole segments). */
export const footerField = { nid: NodeFooter.field('nid'), ino: NodeFooter.field('ino'), flag: NodeFooter.field('flag') };

export const NodeFlag = { COLD: 0x1, FSYNC: 0x2, DENT: 0x4 } as const;
export const footerOfs = (flag: number) => flag >>> OFFSET_BIT_SHIFT;
export const makeFooterFlag = (ofs: number, bits: number) => ((ofs << OFFSET_BIT_SHIFT) | bits) >>> 0;

export const Extent = struct('f2fs_extent', [
  ['fofs', 'u32'],
  ['blk', 'u32'],
  ['len', 'u32'],
]);

export const Inode = struct('f2fs_inode', [
  ['i_mode', 'u16'],
  ['i_advise', 'u8'],
  ['i_inline', 'u8'],
  ['i_uid', 'u32'],
  ['i_gid', 'u32'],
  ['i_links', 'u32'],
  ['i_size', 'u64n'],
  ['i_blocks', 'u64n'],
  ['i_atime', 'u64n'],
  ['i_ctime', 'u64n'],
  ['i_mtime', 'u64n'],
  ['i_atime_nsec', 'u32'],
  ['i_ctime_nsec', 'u32'],
  ['i_mtime_nsec', 'u32'],
  ['i_generation', 'u32'],
  ['i_current_depth', 'u32'], // union with le16 i_gc_failures for regular files
  ['i_xattr_nid', 'u32'],
  ['i_flags', 'u32'],
  ['i_pino', 'u32'],
  ['i_namelen', 'u32'],
  ['i_name', bytes(255)],
  ['i_dir_level', 'u8'],
  ['i_ext', Extent],
  ['i_addr', array('u32', DEF_ADDRS_PER_INODE)],
  ['i_nid', array('u32', DEF_NIDS_PER_INODE)],
]);
export type Inode = Of<typeof Inode>;

/** The fixed head of an inode (mode .. i_dir_level): what attribute edits touch, without the address arrays. */
export type InodeHead = Omit<Inode, 'i_ext' | 'i_addr' | 'i_nid'>;
export const InodeHead = prefix<InodeHead>(Inode as Struct<unknown>, 'i_ext');

/** Everything but the address arrays: what readers keep decoded (slots are read from the raw block when needed). */
export type InodeCore = Omit<Inode, 'i_addr' | 'i_nid'>;
export const InodeCore = prefix<InodeCore>(Inode as Struct<unknown>, 'i_addr');

/** The extra attribute area; it overlays the start of i_addr when i_inline has EXTRA_ATTR. */
export const InodeExtra = struct('f2fs_inode_extra', [
  ['i_extra_isize', 'u16'],
  ['i_inline_xattr_size', 'u16'],
  ['i_projid', 'u32'],
  ['i_inode_checksum', 'u32'],
  ['i_crtime', 'u64n'],
  ['i_crtime_nsec', 'u32'],
  ['i_compr_blocks', 'u64n'],
  ['i_compress_algorithm', 'u8'],
  ['i_log_cluster_size', 'u8'],
  ['i_compress_flag', 'u16'],
]);
export type InodeExtra = Of<typeof InodeExtra>;
export const I_ADDR_OFFSET = Inode.offsets.i_addr; // 360
export const MAX_EXTRA_ISIZE = InodeExtra.size; // 36
export const INODE_CHECKSUM_OFFSET = I_ADDR_OFFSET + InodeExtra.offsets.i_inode_checksum; // 368

/** Whether an extra field lies wholly inside i_extra_isize (F2FS_FITS_IN_INODE). */
export const extraFieldFits = (extraIsize: number, field: keyof InodeExtra, size: number) =>
  InodeExtra.offsets[field] + size <= extraIsize;

export const InlineFlag = {
  XATTR: 0x01,
  DATA: 0x02,
  DENTRY: 0x04,
  DATA_EXIST: 0x08,
  DOTS: 0x10,
  EXTRA_ATTR: 0x20,
  PIN_FILE: 0x40,
  COMPRESS_RELEASED: 0x80,
} as const;

/** i_flags bits (F2FS_*_FL, the values FS_IOC_GETFLAGS reports). */
export const FsFlag = {
  COMPR: 0x00000004,
  SYNC: 0x00000008,
  IMMUTABLE: 0x00000010,
  APPEND: 0x00000020,
  NODUMP: 0x00000040,
  NOATIME: 0x00000080,
  NOCOMP: 0x00000400,
  INDEX: 0x00001000,
  DIRSYNC: 0x00010000,
  PROJINHERIT: 0x20000000,
  CASEFOLD: 0x40000000,
} as const;

/**
 * The i_flags bits by the names f2fs_io setflags/getflags and lsattr use, and whether FS_IOC_SETFLAGS may change them
 * (F2FS_SETTABLE_FS_FL). The one table of flag names: each feature adds its own rules where the flag is set.
 */
export const FS_FLAG_NAMES: readonly { name: string; bit: number; settable: boolean }[] = [
  { name: 'compression', bit: FsFlag.COMPR, settable: true },
  { name: 'sync', bit: FsFlag.SYNC, settable: true },
  { name: 'immutable', bit: FsFlag.IMMUTABLE, settable: true },
  { name: 'append', bit: FsFlag.APPEND, settable: true },
  { name: 'nodump', bit: FsFlag.NODUMP, settable: true },
  { name: 'noatime', bit: FsFlag.NOATIME, settable: true },
  { name: 'nocompression', bit: FsFlag.NOCOMP, settable: true },
  { name: 'index', bit: FsFlag.INDEX, settable: false },
  { name: 'dirsync', bit: FsFlag.DIRSYNC, settable: true },
  { name: 'projinherit', bit: FsFlag.PROJINHERIT, settable: true },
  { name: 'casefold', bit: FsFlag.CASEFOLD, settable: true },
];

export const Advise = { COLD: 0x01, LOST_PINO: 0x02, ENCRYPT: 0x04, ENC_NAME: 0x08, KEEP_SIZE: 0x10, HOT: 0x20, VERITY: 0x40, TRUNC: 0x80 } as const;
/** FADVISE_MODIFIABLE_BITS: what the system.advise xattr may change. */
export const ADVISE_MODIFIABLE = Advise.COLD | Advise.HOT;

export const DirectNode = struct('direct_node', [['addr', array('u32', ADDRS_PER_BLOCK)]]);
export const IndirectNode = struct('indirect_node', [['nid', array('u32', NIDS_PER_BLOCK)]]);

/** Node offsets (footer ofs) of the inode's five child slots. */
export const NODE_IND1_OFS = 3;
export const NODE_IND2_OFS = 4 + NIDS_PER_BLOCK;
export const NODE_DIND_OFS = 5 + 2 * NIDS_PER_BLOCK;

/** IS_DNODE: does a node with this footer offset hold data addresses (inode, direct, xattr)? */
export function isDnodeOfs(ofs: number): boolean {
  if (ofs === NODE_IND1_OFS || ofs === NODE_IND2_OFS || ofs === NODE_DIND_OFS) return false;
  if (ofs >= 6 + 2 * NIDS_PER_BLOCK) return (ofs - 6 - 2 * NIDS_PER_BLOCK) % (NIDS_PER_BLOCK + 1) !== 0;
  return true;
}
export const isXattrOfs = (ofs: number) => ofs === XATTR_NODE_OFFSET;

/** Per-filesystem seed for inode checksums: crc32(~0, uuid). */
export const inodeChecksumSeed = (uuid: Buffer) => f2fsCrc32(0xffffffff, uuid);

/** Inode checksum over a whole node block (footer included), with the checksum field treated as zero. */
export function inodeChecksum(seed: number, block: Buffer): number {
  const word = Buffer.alloc(4);
  word.writeUInt32LE(block.readUInt32LE(NODE_FOOTER_OFFSET + NodeFooter.offsets.ino));
  let c = f2fsCrc32(seed, word);
  word.writeUInt32LE(block.readUInt32LE(Inode.offsets.i_generation));
  c = f2fsCrc32(c, word);
  c = f2fsCrc32(c, block.subarray(0, INODE_CHECKSUM_OFFSET));
  c = f2fsCrc32(c, Buffer.alloc(4));
  return f2fsCrc32(c, block.subarray(INODE_CHECKSUM_OFFSET + 4, BLKSIZE));
}

/** Byte offsets of the address/nid slots inside node blocks: the only place slot arithmetic lives. */
export const slotOffset = {
  /** i_addr slot of file block `i` in an inode whose extra area takes `extraWords` words. */
  inodeAddr: (extraWords: number, i: number) => I_ADDR_OFFSET + 4 * (extraWords + i),
  /** i_nid[k]. */
  inodeNid: (k: number) => Inode.offsets.i_nid + 4 * k,
  /** addr[i] of a direct node or nid[i] of an indirect node. */
  node: (i: number) => 4 * i,
};
export const readSlot = (raw: Buffer, off: number) => raw.readUInt32LE(off);
export const writeSlot = (raw: Buffer, off: number, value: number) => void raw.writeUInt32LE(value >>> 0, off);
