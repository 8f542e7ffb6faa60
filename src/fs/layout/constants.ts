// Fixed F2FS geometry and magic values (include/linux/f2fs_fs.h).

export const BLKSIZE = 4096;
/** A block of zeros (read-only by convention), and the test blank metadata blocks are skipped with. */
export const ZERO_BLOCK = Buffer.alloc(BLKSIZE);
export const isZeroBlock = (b: Buffer): boolean => b.equals(ZERO_BLOCK);
export const LOG_BLOCKS_PER_SEG = 9;
export const BLOCKS_PER_SEG = 512;
export const SUPER_OFFSET = 1024;
export const MIN_SEGMENTS = 9;
export const MAX_SEGMENTS = 8388608;

export const NULL_ADDR = 0x00000000;
export const NEW_ADDR = 0xffffffff;
export const COMPRESS_ADDR = 0xfffffffe;
export const NULL_SEGNO = 0xffffffff;

/** The name of a block address with a special meaning in a slot or the NAT (undefined for a real block). */
export function specialAddrName(addr: number): 'NULL_ADDR' | 'NEW_ADDR' | 'COMPRESS_ADDR' | undefined {
  return addr === NULL_ADDR ? 'NULL_ADDR' : addr === NEW_ADDR ? 'NEW_ADDR' : addr === COMPRESS_ADDR ? 'COMPRESS_ADDR' : undefined;
}

/** Names of the bits set in `bits` from a table of kernel flag names, lower case; unknown bits as one hex value. */
export function bitNames(bits: number, table: Record<string, number>): string[] {
  let rest = bits >>> 0;
  const names: string[] = [];
  for (const [name, bit] of Object.entries(table)) {
    if (!(bits & bit)) continue;
    names.push(name.toLowerCase());
    rest &= ~bit >>> 0;
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

export const ROOT_INO = 3;
export const NODE_INO = 1;
export const META_INO = 2;
export const RESERVED_NODE_NUM = 3;

export const NAT_ENTRY_PER_BLOCK = 455;
export const SIT_ENTRY_PER_BLOCK = 55;
export const ENTRIES_IN_SUM = 512;
export const NAT_JOURNAL_ENTRIES = 38;
export const SIT_JOURNAL_ENTRIES = 6;
export const SUM_JOURNAL_SIZE = 507;
export const ORPHANS_PER_BLOCK = 1020;

export const DEF_ADDRS_PER_INODE = 923;
export const ADDRS_PER_BLOCK = 1018;
export const NIDS_PER_BLOCK = 1018;
export const DEF_NIDS_PER_INODE = 5;
export const DEFAULT_INLINE_XATTR_ADDRS = 50;
export const MAX_INLINE_XATTR_SIZE_WORDS = 903;
export const XATTR_NODE_OFFSET = 0x1fffffff; // ((((unsigned int)-1) << OFFSET_BIT_SHIFT) >> OFFSET_BIT_SHIFT)
export const OFFSET_BIT_SHIFT = 3;

export const NR_DENTRY_IN_BLOCK = 214;
export const SIZE_OF_DIR_ENTRY = 11;
export const SLOT_LEN = 8;
export const MAX_NAME_LEN = 255;
/** The longest symlink target: a page less its NUL (page_symlink refuses longer, page_get_link cuts there). */
export const SYMLINK_MAX = 4095;
export const MAX_DIR_HASH_DEPTH = 63;

export const CUR_SEG_TYPES = 6;
export enum CursegType {
  HOT_DATA = 0,
  WARM_DATA = 1,
  COLD_DATA = 2,
  HOT_NODE = 3,
  WARM_NODE = 4,
  COLD_NODE = 5,
}
export const CURSEG_NAMES = ['hot-data', 'warm-data', 'cold-data', 'hot-node', 'warm-node', 'cold-node'] as const;
export const isNodeSegType = (t: number) => t >= CursegType.HOT_NODE;
