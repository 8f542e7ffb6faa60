// fsck's findings: every code it can report, the report's shape and its statistics.

/** Every finding code this checker can report. */
export type FsckCode =
  // the image could not be mounted at all (fsckImage only)
  | 'MOUNT_FAILED'
  // an unexpected error stopped part of the check
  | 'CHECK_ABORTED'
  // metadata tables
  | 'SIT_ENTRY_CORRUPT' // vblocks disagrees with the valid map, > 512, or type >= 6
  | 'NAT_ENTRY_CORRUPT' // nid 0 in use, nid 1/2 not {blk 1}, allocated entry with ino 0
  | 'NAT_BITS_MISMATCH' // full/empty nat_bits disagree with a NAT block
  | 'CURSEG_TYPE' // SIT type or summary footer of a current segment is not its log's
  | 'CURSEG_NEXT_NOT_FREE' // next_blkoff (or, in LFS, a later block) of a current segment is valid
  | 'SEG_TYPE_MISMATCH' // a node block in a data segment or vice versa (SIT type class)
  | 'SSA_MISMATCH' // summary entry (nid/version/ofs_in_node) or summary footer type wrong
  // block accounting
  | 'BLOCK_NOT_IN_SIT' // a referenced block whose SIT valid bit is clear
  | 'SIT_BLOCK_UNREFERENCED' // a SIT valid bit no node or file references
  | 'DUPLICATE_BLOCK' // a data block referenced twice
  | 'BLKADDR_INVALID' // address outside the main area (or NEW_ADDR/COMPRESS_ADDR where not allowed)
  | 'VALID_BLOCK_COUNT'
  | 'VALID_NODE_COUNT'
  | 'NAT_ENTRY_COUNT' // allocated NAT entries vs CP valid_node_count
  | 'SIT_NODE_COUNT' // valid blocks of node segments vs CP valid_node_count
  | 'VALID_INODE_COUNT'
  | 'FREE_SEGMENT_COUNT'
  // nodes
  | 'NID_INVALID' // a referenced nid out of range or reserved
  | 'NODE_NOT_ALLOCATED' // a referenced nid that is free in the NAT
  | 'NODE_FOOTER_MISMATCH' // footer nid/ino disagree with the NAT or with the owning inode
  | 'NODE_TYPE_MISMATCH' // inode where a non-inode was expected or the reverse, xattr node with wrong ofs
  | 'NODE_OFFSET_MISMATCH' // footer ofs disagrees with the node's place in the tree
  | 'NODE_DUPLICATE' // a directory, xattr, direct or indirect node reached twice
  | 'NAT_UNREACHABLE' // allocated nid reached from nowhere
  // inodes
  | 'INODE_CORRUPT' // the inode block cannot be decoded (extra size, inline xattr size, ...)
  | 'INODE_MODE_INVALID'
  | 'INODE_CHECKSUM'
  | 'CASEFOLD_FLAG' // casefold flag on a non-directory or without the feature
  | 'EXTRA_ATTR' // EXTRA_ATTR flag without the feature
  | 'INLINE_XATTR_SIZE'
  | 'INLINE_DATA' // reserved slot nonzero, i_size too large, data without DATA_EXIST
  | 'INLINE_DENTRY' // reserved slot nonzero
  | 'EXTENT_MISMATCH'
  | 'I_BLOCKS'
  | 'I_COMPR_BLOCKS' // i_compr_blocks vs the COMPRESS_ADDR and reserved slots of compressed clusters
  | 'I_LINKS'
  | 'I_NAMELEN'
  | 'ORPHAN_LINKS' // an orphan inode with i_links != 0
  | 'ORPHAN_LIST' // orphan blocks unreadable
  | 'FSYNC_CHAIN' // the roll-forward chain after the checkpoint loops
  | 'SYMLINK_SIZE'
  | 'XATTR_CORRUPT'
  | 'GC_FAILURES' // warning: regular file with nonzero i_gc_failures
  | 'SUPERBLOCK_COPY' // warning: one superblock copy is invalid (the kernel rewrites it from the other)
  // quota
  | 'QUOTA_MISMATCH' // a quota record's usage differs from the tree's, or a charged id has no record
  | 'QUOTA_FILE_CORRUPT' // a quota file cannot be read as a v2 quota tree
  | 'QUOTA_NEED_FSCK' // warning: CP_QUOTA_NEED_FSCK_FLAG is set
  // directories
  | 'FILE_TYPE_MISMATCH' // dentry file_type vs the inode's mode
  | 'DENTRY_FILE_TYPE' // file_type outside 1..7
  | 'DENTRY_NAME_LEN' // 0, > 255, or running past the area
  | 'DENTRY_HASH'
  | 'DENTRY_HASH_UNCHECKED' // warning: an encrypted casefolded directory's hashes need its key (SipHash) to check
  | 'DENTRY_POSITION' // entry not in the bucket its hash selects at its level
  | 'DOTS_WRONG' // '.'/'..' naming the wrong inode, or not NUL padded
  | 'DOTS_MISSING'
  | 'DOTS_DUPLICATE';

export interface FsckFinding {
  code: FsckCode;
  message: string;
  /** 'warning' findings do not make the report fail. */
  severity: 'error' | 'warning';
  ino?: number;
  nid?: number;
  blkaddr?: number;
  segno?: number;
  path?: string;
}

export interface FsckStats {
  inodes: number; // inode blocks reached
  nodes: number; // node blocks reached (inodes, direct, indirect, xattr)
  dataBlocks: number; // data blocks referenced (NEW_ADDR excluded)
  newAddrBlocks: number; // reserved (NEW_ADDR) slots
  dirs: number;
  files: number; // regular files
  symlinks: number;
  specials: number; // device, fifo, socket
  orphans: number;
  quotaFiles: number;
  dentries: number; // entries checked, '.'/'..' excluded
  natEntries: number; // allocated NAT entries (nids 1 and 2 excluded)
  sitValidBlocks: number;
  freeSegments: number;
  /** Whether nat_bits were compared (NAT_BITS set, header current, NAT journal empty). */
  natBitsChecked: boolean;
}

export interface FsckReport {
  ok: boolean;
  findings: FsckFinding[];
  /** Findings beyond `maxFindings` that were counted but not kept. */
  truncated: number;
  /** How many findings of each code were seen (kept or not). */
  counts: Partial<Record<FsckCode, number>>;
  stats: FsckStats;
  ms: number;
}

export interface FsckOptions {
  progress?: (done: number, total: number) => void;
  /** Findings kept in the report (default 1000); the rest are only counted. */
  maxFindings?: number;
}

export function report(errors: number, findings: FsckFinding[], truncated: number, counts: Partial<Record<FsckCode, number>>, stats: FsckStats, t0: number): FsckReport {
  return { ok: errors === 0, findings, truncated, counts, stats, ms: Math.round(performance.now() - t0) };
}

export function emptyStats(): FsckStats {
  return {
    inodes: 0,
    nodes: 0,
    dataBlocks: 0,
    newAddrBlocks: 0,
    dirs: 0,
    files: 0,
    symlinks: 0,
    specials: 0,
    orphans: 0,
    quotaFiles: 0,
    dentries: 0,
    natEntries: 0,
    sitValidBlocks: 0,
    freeSegments: 0,
    natBitsChecked: false,
  };
}
