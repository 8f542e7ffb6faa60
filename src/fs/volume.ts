// Volume: one opened F2FS image — superblock, chosen checkpoint, segment and node managers — and the read accessors built on them.
import { openDevice } from '../device/index.js';
import type { BlockDevice } from '../device/types.js';
import { during, fail, withContext } from '../errors.js';
import { readCheckpoint, readOrphans, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { fsyncFile, type FsyncResult } from './file.js';
import { NODE_FOOTER_OFFSET, NodeFooter, inodeChecksumSeed } from './layout/node.js';
import { DataReader, DirtyPages } from './data.js';
import { defaultCompressOptions, type CompressOptions } from './compress.js';
import { DirReader, type Dentry } from './dir.js';
import { isDir, isReg, isSymlink, readInodeInfo, type InodeInfo } from './inode.js';
import { Feature, WRITE_FEATURES, featureNames } from './layout/superblock.js';
import { encodingProblem, isCasefolded } from './hash.js';
import type { NatEntry } from './layout/nat.js';
import type { SitEntry } from './layout/sit.js';
import { BLKSIZE, BLOCKS_PER_SEG, CUR_SEG_TYPES, SYMLINK_MAX } from './layout/constants.js';
import { resolve, type NameOps, type Resolved } from './namei.js';
import { NodeManager, type NodePage } from './node.js';
import { SegmentManager } from './segment.js';
import { geometryOf, readSuperblock, type Geometry, type SuperblockChoice } from './super.js';
import { Validator } from './validate.js';
import { needSsr } from './gc.js';
import { trimOldest } from '../util/bounded-map.js';
import { listXattrs, type Xattr } from './xattr.js';
import { quotaChargesFor, type QuotaCharges } from './quota.js';
import { Fscrypt } from './crypto.js';

const INODE_CACHE_MAX = 4096;

export interface OpenOptions {
  readOnly: boolean;
  cacheMb?: number;
  /**
   * Linux's mount -o mode=: 'adaptive' (the default) rewrites data in place where the kernel does and fills dirty
   * segments (SSR) when free ones run short; 'lfs' always writes to fresh blocks of fresh segments.
   */
  mode?: 'adaptive' | 'lfs';
  /** fscrypt master keys (raw bytes, as `--key FILE` gives them). */
  keys?: Buffer[];
}

/** i_links, i_size and i_blocks of a sane root (f2fs_fill_super's root check). */
function checkRoot(root: InodeInfo): void {
  const i = root.inode;
  if (!isDir(i.i_mode) || !i.i_blocks || !i.i_size || !i.i_links) fail('CORRUPT', 'root inode is not a valid directory');
}

export class Volume implements NameOps {
  readonly sbChoice: SuperblockChoice;
  readonly geo: Geometry;
  readonly check: Validator;
  private cpState: Checkpoint;
  readonly sm: SegmentManager;
  readonly nm: NodeManager;
  readonly data: DataReader;
  readonly dirs: DirReader;
  readonly crypto: Fscrypt;
  /** Dirty file pages awaiting blocks (written back at checkpoint, fsync or when too many). */
  readonly pages = new DirtyPages();
  /** The compression mount options new compressed files take (commands set them from their flags). */
  compressOptions: CompressOptions = defaultCompressOptions();
  /** Orphan inodes (links 0, still referenced: atomic-write COW inodes); written into each checkpoint. */
  readonly orphanSet: Set<number>;
  /** valid_block_count / valid_node_count / valid_inode_count as changed since mount. */
  readonly counts: { blocks: number; nodes: number; inodes: number };
  /** Quota charges not yet in the quota files (null: the image keeps no quota). */
  readonly quota: QuotaCharges | null;

  private constructor(
    readonly dev: BlockDevice,
    readonly mode: 'adaptive' | 'lfs',
    keys: Buffer[] = [],
  ) {
    this.sbChoice = readSuperblock(dev);
    const unwritable = this.sbChoice.sb.feature & ~WRITE_FEATURES;
    if (unwritable && !dev.readOnly) {
      fail('UNSUPPORTED', `cannot write to this image: it uses features this tool cannot yet keep correct when writing (${featureNames(unwritable).join(', ')}); commands that only read work on it`, { feature: this.sbChoice.sb.feature });
    }
    const encoding = encodingProblem(this.sbChoice.sb);
    if (encoding && !dev.readOnly) fail('UNSUPPORTED', `cannot write to this image: ${encoding}; commands that only read work on it`, { encoding: this.sbChoice.sb.s_encoding });
    this.geo = geometryOf(this.sbChoice.sb);
    this.check = new Validator(this.geo);
    this.cpState = readCheckpoint(dev, this.sb, this.geo);
    this.sm = new SegmentManager(dev, this.geo, this.check, () => this.cpState);
    this.sm.needSsr = () => needSsr(this);
    const seed = this.sb.feature & Feature.INODE_CHKSUM ? inodeChecksumSeed(this.sb.uuid) : null;
    this.nm = new NodeManager(dev, this.geo, this.check, () => this.cpState, this.sm.natJournal, seed);
    this.counts = { blocks: this.cp.head.valid_block_count, nodes: this.cp.head.valid_node_count, inodes: this.cp.head.valid_inode_count };
    this.quota = quotaChargesFor(this.sb, this.cp.head.ckpt_flags);
    this.data = new DataReader(dev, this.nm, this.check, this.pages);
    this.crypto = new Fscrypt(keys, (info) => this.xattrs(info), this.sb.uuid);
    this.data.contentsCipher = (info) => this.crypto.contentsCipher(info);
    this.dirs = new DirReader(this.data, this.check, (dir) => this.crypto.nameView(dir), () => this.sb, (dir) => (isCasefolded(this.sb, dir) ? this.crypto.dirhashKey(dir) : null));
    during('while reading the root inode', () => checkRoot(this.inode(this.sb.root_ino)));
    this.orphanSet = new Set(this.orphans());
  }

  /** The checkpoint this volume stands on (replaced by each checkpoint it writes). */
  get cp(): Checkpoint {
    return this.cpState;
  }

  /** After a checkpoint is durable: it is the one current checkpoint, and the managers fold their dirty state into it. */
  checkpointDone(cp: Checkpoint, sitJournal: Map<number, SitEntry>, natJournal: Map<number, NatEntry>): void {
    this.cpState = cp;
    this.sm.checkpointDone(sitJournal);
    this.nm.checkpointDone(natJournal);
  }

  get sb() {
    return this.sbChoice.sb;
  }

  static open(image: string | BlockDevice, opts: OpenOptions): Volume {
    const dev = typeof image === 'string' ? openDevice(image, { readOnly: opts.readOnly, cacheMb: opts.cacheMb }) : image;
    try {
      return new Volume(dev, opts.mode ?? 'adaptive', opts.keys);
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  close(): void {
    this.dev.close();
  }

  private readonly checksumOk = (p: NodePage, extraIsize: number, hasExtra: boolean) => this.nm.checksumOk(p, extraIsize, hasExtra);
  /** Decoded inodes, reused until their block changes (node generations tell). */
  private readonly inodeCache = new Map<number, { gen: number; info: InodeInfo }>();

  inode(ino: number): InodeInfo {
    const hit = this.inodeCache.get(ino);
    if (hit && hit.gen === this.nm.generation(ino)) return hit.info;
    let info: InodeInfo;
    try {
      this.check.ino(ino, 'inode lookup');
      info = readInodeInfo(this.nm.readNode(ino), this.sb.feature, this.checksumOk);
    } catch (e) {
      throw withContext(e, `while reading inode ${ino}`);
    }
    this.inodeCache.set(ino, { gen: this.nm.generation(ino), info });
    trimOldest(this.inodeCache, INODE_CACHE_MAX);
    return info;
  }

  /** Whether `ino` names an allocated node in range (no exception for user-typed numbers). */
  inodeAllocated(ino: number): boolean {
    return this.check.isValidIno(ino) && this.nm.getNat(ino).block_addr !== 0;
  }

  /** A name as the user gives it (in an encrypted directory: decrypted, or the no-key name). */
  lookup(dir: InodeInfo, name: Buffer): Dentry | null {
    // With the key Linux looks a name up by hash: a casefolded directory's by SipHash of the folded plaintext, another's
    // by the hash of the name encrypted. Without it, by the no-key name ls shows.
    if (isCasefolded(this.sb, dir) && this.crypto.dirhashKey(dir)) return this.dirs.lookup(dir, name);
    const disk = isCasefolded(this.sb, dir) ? null : this.crypto.lookupName(dir, name);
    return disk ? this.dirs.lookup(dir, disk) : this.dirs.lookupUser(dir, name);
  }

  readlink(info: InodeInfo): Buffer {
    if (!isSymlink(info.inode.i_mode)) fail('EINVAL', `inode ${info.ino} is not a symbolic link`);
    // page_get_link: the first block only, the target cut at i_size or SYMLINK_MAX (a damaged i_size of 2^63 is not
    // a length to read) and, as a C string, at its first NUL; an encrypted target carries its own length inside.
    const encrypted = this.crypto.isEncrypted(info);
    const raw = this.data.read(info, 0, Math.min(info.inode.i_size, encrypted ? BLKSIZE : SYMLINK_MAX));
    if (encrypted) return this.crypto.symlinkTarget(info, raw);
    const nul = raw.indexOf(0);
    return nul < 0 ? raw : raw.subarray(0, nul);
  }

  /** '..' of a directory, as its dentry records it (root's is itself). */
  parentOf(dir: InodeInfo): number {
    if (dir.ino === this.sb.root_ino) return dir.ino;
    for (const d of this.dirs.entries(dir)) if (d.name.length === 2 && d.name.toString() === '..') return d.ino;
    return fail('CORRUPT', `directory ${dir.ino} has no '..' entry`);
  }

  resolve(spec: string, opts: { cwd?: number; follow?: boolean } = {}): Resolved {
    return during(`while resolving ${spec}`, () => resolve(this, spec, opts));
  }

  xattrs(info: InodeInfo): Xattr[] {
    return listXattrs(info, this.nm);
  }

  get readOnly(): boolean {
    return this.dev.readOnly;
  }

  requireWritable(): void {
    if (this.dev.readOnly) fail('EROFS', 'image is open read-only');
  }

  /** Free segments a checkpoint needs to write every dirty node and page (and `more` blocks), a fresh one per log included. */
  checkpointSegments(more = 0): number {
    return Math.ceil((this.nm.dirtyNodes.size + this.pages.size + more) / BLOCKS_PER_SEG) + CUR_SEG_TYPES;
  }

  /**
   * ENOSPC before an operation changes anything, when the `n` blocks it may need at most do not fit: GC (and the
   * checkpoint after it) can run as an operation proceeds, so one that is bound to fail must fail first.
   */
  requireSpace(n: number, what: string): void {
    const free = this.cp.head.user_block_count - this.counts.blocks;
    if (n > free) fail('ENOSPC', `no space left: ${what} needs up to ${n} blocks, ${free} of ${this.cp.head.user_block_count} are free`);
  }

  /** inc_valid_block_count: charges `n` blocks, refusing past user_block_count. */
  reserveBlocks(n: number): void {
    this.requireWritable();
    if (this.counts.blocks + n > this.cp.head.user_block_count) fail('ENOSPC', `no space left: ${this.counts.blocks} of ${this.cp.head.user_block_count} blocks in use`);
    // Free segments are the last limit (GC runs before they get this low): keep enough for a checkpoint to write every dirty node and page.
    if (this.sm.freeSegments < this.checkpointSegments(n)) fail('ENOSPC', `no free segment left for new blocks (${this.sm.freeSegments} free, garbage collection found nothing more to clean)`);
    this.counts.blocks += n;
  }

  /**
   * Ends a mutating operation the way the caller asked: 'checkpoint' makes everything durable like an unmount,
   * 'none' is a power cut right now (nothing unwritten survives).
   */
  finish(sync: 'checkpoint' | 'fsync' | 'none'): FsyncResult[] {
    if (this.dev.readOnly) return [];
    if (sync === 'checkpoint') writeCheckpoint(this, { umount: true });
    const fsyncs = sync === 'fsync' ? this.fsyncTouched() : [];
    // Whatever is still only in memory is lost, as at a power cut right after the command.
    this.dev.discardPending();
    return fsyncs;
  }

  /** Inodes changed since the last checkpoint (dirty node blocks or pages), linked ones only. */
  touchedInodes(): number[] {
    const inos = new Set<number>(this.pages.inodes());
    for (const raw of this.nm.dirtyNodes.values()) inos.add(NodeFooter.decode(raw, NODE_FOOTER_OFFSET).ino);
    return [...inos].filter((ino) => !this.orphanSet.has(ino) && this.nm.getNat(ino).block_addr !== 0).sort((a, b) => a - b);
  }

  /**
   * --sync fsync: the touched regular files are fsynced as Linux would (their parents are not: a user fsyncs files);
   * when only directories or special files changed, those are fsynced, which Linux turns into a checkpoint.
   * A session calls it alone (no power cut after it).
   */
  fsyncTouched(): FsyncResult[] {
    const out: FsyncResult[] = [];
    const touched = this.touchedInodes();
    const files = touched.filter((ino) => isReg(this.inode(ino).inode.i_mode));
    for (const ino of files.length ? files : touched) {
      if (!this.dirty) break; // an earlier fallback checkpoint made everything durable
      out.push(fsyncFile(this, ino));
    }
    return out;
  }

  /** Whether anything changed since the last checkpoint. */
  get dirty(): boolean {
    return this.nm.dirtyNodes.size > 0 || this.nm.natDirty.size > 0 || this.sm.sitDirty.size > 0 || this.pages.size > 0;
  }

  orphanList(): number[] {
    return [...this.orphanSet].sort((a, b) => a - b);
  }

  /** The orphan list stored in the current checkpoint pack. */
  orphans(): number[] {
    return readOrphans(this.dev, this.cp, this.sb.cp_payload);
  }
}
