// Field injection, as inject.f2fs and debugfs's set_super_value / set_inode_field / clri / freeb / zap_block do: one
// named field of one on-disk structure set to a value, checksums recomputed unless asked not to, nothing else written.
// Each edit reaches its structure with as little of the image as it needs (the superblock needs nothing, the
// checkpoint the superblock, NAT/SIT/SSA the checkpoint), so damaged images can be edited; only a FILESPEC given
// as a path needs a mountable volume.
import type { BlockDevice } from '../device/types.js';
import { during, fail } from '../errors.js';
import { currentPack, packStatuses, readCheckpoint, type Checkpoint } from '../fs/checkpoint.js';
import { packLayout } from './info.js';
import { parseInoSpec } from '../fs/namei.js';
import { NodeManager } from '../fs/node.js';
import { SegmentManager } from '../fs/segment.js';
import { geometryOf, readSuperblock, type Geometry } from '../fs/super.js';
import { Validator } from '../fs/validate.js';
import { Volume } from '../fs/volume.js';
import { CP_BITMAP_OFFSET, CP_CHKSUM_OFFSET, CheckpointHead, checkpointCrc } from '../fs/layout/checkpoint.js';
import { BLKSIZE, BLOCKS_PER_SEG, CursegType, NAT_ENTRY_PER_BLOCK, SIT_ENTRY_PER_BLOCK, SUPER_OFFSET } from '../fs/layout/constants.js';
import { DentryBlock, DirEntry, inlineDentryGeometry } from '../fs/layout/dentry.js';
import { listFields, locateField, readField, writeField, type FieldSlot } from '../fs/layout/field-path.js';
import { NatEntry, NatJournalEntry } from '../fs/layout/nat.js';
import { DirectNode, IndirectNode, Inode, InodeExtra, I_ADDR_OFFSET, NODE_FOOTER_OFFSET, NodeFooter, inodeChecksumSeed } from '../fs/layout/node.js';
import { SitEntry, SitJournalEntry, sitType, sitValidBlocks, sitVblocks } from '../fs/layout/sit.js';
import { bitMsb, type Struct } from '../util/struct.js';
import { Feature, SB_CRC_OFFSET, Superblock, superblockCrc } from '../fs/layout/superblock.js';
import { NatJournal, SitJournal, SummaryBlock, SummaryEntry, SummaryFooter } from '../fs/layout/summary.js';

/** One field written. `old` and `new` are decimal for numbers, hex for byte runs. */
export interface FieldChange {
  /** The structure edited: "superblock copy 0", "NAT entry of nid 7 (journal)", ... */
  what: string;
  blkaddr: number;
  field: string;
  type: string;
  /** Byte offset of the field in its block. */
  offset: number;
  size: number;
  old: string;
  new: string;
}

export interface InjectResult {
  changes: FieldChange[];
  notes: string[];
}

export interface InjectOptions {
  /** Leave checksums as they are (to inject a checksum fault along with the field, or alone). */
  keepCrc?: boolean;
}

/** A place in the image a struct lives: its block and byte offset, and what to call it. */
interface Place {
  what: string;
  blkaddr: number;
  at: number;
  structs: Struct<unknown>[];
}

const U32_AT = (offset: number): FieldSlot => ({ path: 'checksum', offset, size: 4, type: 'u32' });

const show = (v: bigint | Buffer) => (Buffer.isBuffer(v) ? v.toString('hex') : v.toString());

/** A VALUE for a field: a number (decimal, 0x, 0o, 0b, or negative for two's complement) or, for byte runs, 0xHEX or text. */
export function parseFieldValue(slot: FieldSlot, text: string): bigint | Buffer {
  if (slot.type === 'bytes') {
    const b = /^0x([0-9a-f]*)$/i.test(text) && text.length % 2 === 0 ? Buffer.from(text.slice(2), 'hex') : Buffer.from(text, 'utf8');
    if (b.length > slot.size) fail('USAGE', `${slot.path}: ${b.length} bytes do not fit in ${slot.size}`);
    return b;
  }
  let v: bigint;
  try {
    v = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  } catch {
    return fail('USAGE', `${slot.path}: '${text}' is not a number`);
  }
  const bits = BigInt(slot.size * 8);
  if (v >= 1n << bits || v < -(1n << (bits - 1n))) fail('USAGE', `${slot.path}: ${text} does not fit in ${slot.size * 8} bits`);
  return v;
}

/** Collects block edits and writes each edited block once, then flushes. */
class Editor {
  private readonly blocks = new Map<number, Buffer>();
  readonly result: InjectResult = { changes: [], notes: [] };

  constructor(readonly dev: BlockDevice) {
    if (dev.readOnly) fail('EROFS', 'image is open read-only');
  }

  block(blkaddr: number): Buffer {
    if (!Number.isInteger(blkaddr) || blkaddr < 0 || blkaddr >= this.dev.blockCount) fail('CORRUPT', `block address ${blkaddr} is outside the image (${this.dev.blockCount} blocks)`);
    let b = this.blocks.get(blkaddr);
    if (!b) {
      b = Buffer.from(this.dev.readBlock(blkaddr));
      this.blocks.set(blkaddr, b);
    }
    return b;
  }

  /** Sets `field` of the struct at `place` to the value `text` names. */
  set(place: Place, field: string, text: string): FieldChange {
    const found = locate(place.structs, field);
    return this.setSlot(place, found.slot, found.type, parseFieldValue(found.slot, text));
  }

  setSlot(place: Place, slot: FieldSlot, type: string, value: bigint | Buffer): FieldChange {
    const block = this.block(place.blkaddr);
    if (place.at + slot.offset + slot.size > block.length) fail('CORRUPT', `${place.what}: ${slot.path} at byte ${place.at + slot.offset} runs past the block`);
    const old = readField(block, place.at, slot);
    writeField(block, place.at, slot, value);
    const change = { what: place.what, blkaddr: place.blkaddr, field: slot.path, type, offset: place.at + slot.offset, size: slot.size, old: show(old), new: show(readField(block, place.at, slot)) };
    this.result.changes.push(change);
    return change;
  }

  commit(): InjectResult {
    for (const [blkaddr, b] of this.blocks) this.dev.writeBlock(blkaddr, b, 'inject');
    this.dev.flush('inject');
    return this.result;
  }
}

function locate(structs: Struct<unknown>[], field: string): { slot: FieldSlot; type: string } {
  for (const s of structs) {
    const slot = locateField(s, field);
    if (slot) return { slot, type: slot.type === 'bytes' ? `u8[${slot.size}]` : slot.type === 'u64n' ? 'u64' : slot.type };
  }
  return fail('USAGE', `${structs.map((s) => s.name).join(' / ')} has no field '${field}' (see --list)`);
}

/** Fields a command accepts, with types and offsets in their struct, for `--list`. */
export function fieldList(target: InjectTarget): { struct: string; path: string; type: string; offset: number; size: number }[] {
  return TARGETS[target].flatMap((s) => listFields(s).map((f) => ({ struct: s.name, ...f })));
}

/** A USAGE error, before the image is read, when no struct of `target` has `field`. */
export function checkField(target: InjectTarget, field: string): void {
  locate(TARGETS[target], field);
}

const TARGETS = {
  super: [Superblock],
  cp: [CheckpointHead],
  nat: [NatEntry],
  sit: [SitEntry],
  ssa: [SummaryEntry, SummaryFooter],
  inode: [Inode, InodeExtra],
  node: [NodeFooter, DirectNode, IndirectNode],
  dentry: [DirEntry],
} satisfies Record<string, Struct<unknown>[]>;
export type InjectTarget = keyof typeof TARGETS;

/* ---- superblock and checkpoint: need nothing but the superblock ---- */

/** set-super: both copies unless `copy` names one; the crc is recomputed when the sb_checksum feature is on. */
export function setSuper(dev: BlockDevice, field: string, value: string, opts: InjectOptions & { copy?: 0 | 1 } = {}): InjectResult {
  const ed = new Editor(dev);
  if (dev.blockCount < 2) fail('NOT_F2FS', `image is smaller than two 4 KiB blocks (${dev.blockCount} whole): too small for both superblock copies`);
  for (const copy of opts.copy === undefined ? [0, 1] : [opts.copy]) {
    const place: Place = { what: `superblock copy ${copy}`, blkaddr: copy, at: SUPER_OFFSET, structs: TARGETS.super };
    const change = ed.set(place, field, value);
    const sb = Superblock.view(ed.block(copy), SUPER_OFFSET);
    if (opts.keepCrc || change.field === 'crc' || !(sb.feature & Feature.SB_CHKSUM)) continue;
    const raw = ed.block(copy).subarray(SUPER_OFFSET, SUPER_OFFSET + Superblock.size);
    ed.setSlot({ ...place, what: `${place.what} crc` }, { path: 'crc', offset: SB_CRC_OFFSET, size: 4, type: 'u32' }, 'u32', BigInt(superblockCrc(raw)));
  }
  return ed.commit();
}

function superOf(dev: BlockDevice) {
  const { sb } = readSuperblock(dev);
  return { sb, geo: geometryOf(sb) };
}

/** Recomputes a CP block's crc at its checksum_offset (left alone when that offset is out of range: nowhere to put it). */
function fixCpCrc(ed: Editor, place: Place): void {
  const block = ed.block(place.blkaddr);
  const off = CheckpointHead.view(block).checksum_offset;
  if (off < CP_BITMAP_OFFSET || off > CP_CHKSUM_OFFSET) {
    ed.result.notes.push(`${place.what}: checksum_offset ${off} is out of range, crc not written`);
    return;
  }
  ed.setSlot({ ...place, what: `${place.what} crc` }, U32_AT(off), 'u32', BigInt(checkpointCrc(block, off)));
}

/**
 * set-cp: the head block of a pack (default: the pack in use, else pack 1) and its tail copy (the tail CP block
 * repeats the head: a pack whose two disagree is invalid), crcs recomputed.
 */
export function setCp(dev: BlockDevice, field: string, value: string, opts: InjectOptions & { pack?: 1 | 2 } = {}): InjectResult {
  const ed = new Editor(dev);
  const { geo } = superOf(dev);
  const pack = opts.pack ?? currentPack(packStatuses(dev, geo));
  const base = geo.cpBlkaddr + (pack === 2 ? BLOCKS_PER_SEG : 0);
  const total = CheckpointHead.view(ed.block(base)).cp_pack_total_block_count;
  const places: Place[] = [{ what: `checkpoint pack ${pack} head`, blkaddr: base, at: 0, structs: TARGETS.cp }];
  if (total > 2 && total <= BLOCKS_PER_SEG) places.push({ what: `checkpoint pack ${pack} tail`, blkaddr: base + total - 1, at: 0, structs: TARGETS.cp });
  else ed.result.notes.push(`cp_pack_total_block_count ${total} is out of range: the tail CP block was not written`);
  for (const place of places) {
    ed.set(place, field, value);
    if (!opts.keepCrc) fixCpCrc(ed, place);
  }
  return ed.commit();
}

/* ---- NAT, SIT, SSA: need the checkpoint ---- */

interface Tables {
  geo: Geometry;
  check: Validator;
  cp: Checkpoint;
  nm: NodeManager;
  sm: SegmentManager;
  /** Where the NAT and SIT journals are: block and byte offset. */
  natJournal: { blkaddr: number; at: number };
  sitJournal: { blkaddr: number; at: number };
  seed: number | null;
}

function tablesOf(dev: BlockDevice): Tables {
  const { sb, geo } = superOf(dev);
  const check = new Validator(geo);
  const cp = readCheckpoint(dev, sb, geo);
  const layout = packLayout(cp.head, cp.base, sb.cp_payload);
  const sums = layout.dataSummaries;
  if (sums.length < (layout.compact ? 1 : 3)) fail('CORRUPT', `checkpoint pack ${cp.pack} has ${sums.length} data summary blocks`);
  const natJournal = layout.compact ? { blkaddr: sums[0], at: 0 } : { blkaddr: sums[CursegType.HOT_DATA], at: SummaryBlock.offsets.journal };
  const sitJournal = layout.compact ? { blkaddr: sums[0], at: NatJournal.size } : { blkaddr: sums[CursegType.COLD_DATA], at: SummaryBlock.offsets.journal };
  const sm = new SegmentManager(dev, geo, check, () => cp);
  const seed = sb.feature & Feature.INODE_CHKSUM ? inodeChecksumSeed(sb.uuid) : null;
  const nm = new NodeManager(dev, geo, check, () => cp, sm.natJournal, seed);
  return { geo, check, cp, nm, sm, natJournal, sitJournal, seed };
}

/** A user-typed number naming something in [min, max). */
function userIndex(n: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < min || n >= max) fail('EINVAL', `${what} ${n} is out of range [${min}, ${max})`);
  return n;
}

/**
 * A journal's entry for `key` (a nid or segno): its byte offset in the journal block, or null. The journal is a count
 * (`n_nats` / `n_sits`, bounded by the array) then entries of `key` and the table entry (`ne` / `se`).
 */
function journalSlot(block: Buffer, at: number, journal: Struct<unknown>, entry: Struct<unknown>, key: number): { slot: number; at: number } | null {
  const [countField, entriesField] = journal.fields.map(([name]) => name);
  const [keyField, valueField] = entry.fields.map(([name]) => name);
  const arrayLen = (journal.fields[1][1] as { count: number }).count;
  const n = Math.min(Number(readField(block, at, locateField(journal, countField)!)), arrayLen);
  for (let i = 0; i < n; i++) {
    const e = at + (journal.offsets as Record<string, number>)[entriesField] + i * entry.size;
    if (Number(readField(block, e, locateField(entry, keyField)!)) === key) return { slot: i, at: e + (entry.offsets as Record<string, number>)[valueField] };
  }
  return null;
}

/** The NAT and the SIT: a table of fixed-size entries per block, current copy chosen by the checkpoint, and a journal. */
const TABLE = {
  nat: { what: (k: number) => `NAT entry of nid ${k}`, key: 'nid', limit: (t: Tables) => t.geo.maxNid, perBlock: NAT_ENTRY_PER_BLOCK, entry: NatEntry, journal: NatJournal, journalEntry: NatJournalEntry },
  sit: { what: (k: number) => `SIT entry of segment ${k}`, key: 'segment', limit: (t: Tables) => t.geo.mainSegments, perBlock: SIT_ENTRY_PER_BLOCK, entry: SitEntry, journal: SitJournal, journalEntry: SitJournalEntry },
};

/** The live entry `key` of a table: its journal slot when the checkpoint's journal holds it, else its slot in the current table block. */
function tablePlace(dev: BlockDevice, t: Tables, table: 'nat' | 'sit', key: number): Place {
  const d = TABLE[table];
  userIndex(key, 0, d.limit(t), d.key);
  const where = table === 'nat' ? t.natJournal : t.sitJournal;
  const j = journalSlot(dev.readBlock(where.blkaddr), where.at, d.journal, d.journalEntry, key);
  if (j) return { what: `${d.what(key)} (journal slot ${j.slot})`, blkaddr: where.blkaddr, at: j.at, structs: TARGETS[table] };
  const k = Math.floor(key / d.perBlock);
  const blkaddr = table === 'nat' ? t.nm.natBlockAddr(k) : t.sm.sitBlockAddr(k);
  return { what: d.what(key), blkaddr, at: (key % d.perBlock) * d.entry.size, structs: TARGETS[table] };
}

/** set-nat / set-sit: one field of a live NAT or SIT entry. */
export function setTableEntry(dev: BlockDevice, table: 'nat' | 'sit', key: number, field: string, value: string): InjectResult {
  const ed = new Editor(dev);
  ed.set(tablePlace(dev, tablesOf(dev), table, key), field, value);
  return ed.commit();
}

/** set-ssa: the summary entry of a main-area block in its SSA block (entry_type / check_sum: that block's footer). */
export function setSsa(dev: BlockDevice, blkaddr: number, field: string, value: string): InjectResult {
  const ed = new Editor(dev);
  const t = tablesOf(dev);
  userIndex(blkaddr, t.geo.mainBlkaddr, t.geo.mainEnd, 'main-area block address');
  const segno = t.sm.segnoOf(blkaddr);
  const off = blkaddr - t.sm.segBlkaddr(segno);
  const ssa = t.geo.ssaBlkaddr + segno;
  const entry = locateField(SummaryEntry, field) !== null;
  ed.set(
    entry
      ? { what: `SSA entry ${off} of segment ${segno}`, blkaddr: ssa, at: SummaryBlock.offsets.entries + off * SummaryEntry.size, structs: TARGETS.ssa }
      : { what: `SSA footer of segment ${segno}`, blkaddr: ssa, at: SummaryBlock.offsets.footer, structs: [SummaryFooter] },
    field,
    value,
  );
  if (t.sm.cursegOf(segno)) ed.result.notes.push(`segment ${segno} is a current log: the kernel reads its summary from the checkpoint pack, not this SSA block`);
  return ed.commit();
}

/** The block address of node `nid` as the NAT says, checked to be a block of the image. */
function nodeBlock(dev: BlockDevice, t: Tables, nid: number): number {
  userIndex(nid, 1, t.geo.maxNid, 'nid');
  const addr = t.nm.getNat(nid).block_addr;
  if (addr === 0) fail('ENOENT', `node ${nid} is not allocated (NAT block_addr 0)`);
  if (addr >= dev.blockCount) fail('CORRUPT', `NAT entry of node ${nid} points at block ${addr}, past the image (${dev.blockCount} blocks)`);
  return addr;
}

/** Recomputes an inode block's checksum as a write would (feature on, extra attributes big enough). */
function fixInodeChecksum(ed: Editor, t: Tables, blkaddr: number, what: string): void {
  if (t.seed === null) return;
  const block = ed.block(blkaddr);
  const before = Buffer.from(block);
  t.nm.setChecksum(block);
  const slot = locateField(InodeExtra, 'i_inode_checksum')!;
  const at = I_ADDR_OFFSET;
  const old = readField(before, at, slot);
  const now = readField(block, at, slot);
  if (old !== now) ed.result.changes.push({ what: `${what} checksum`, blkaddr, field: 'i_inode_checksum', type: 'u32', offset: at + slot.offset, size: 4, old: show(old), new: show(now) });
}

/** FILESPEC → ino: `<ino>` through the NAT alone; a path needs the image to mount (a read-only volume over the device). */
function inoOf(dev: BlockDevice, spec: string): number {
  const n = parseInoSpec(spec);
  if (n !== null) return n;
  return during(`while resolving ${spec} (a path needs an image that opens: name a damaged one's inode as <ino>)`, () => Volume.open(dev, { readOnly: true }).resolve(spec).ino);
}

export function setInode(dev: BlockDevice, spec: string, field: string, value: string, opts: InjectOptions = {}): InjectResult {
  const ino = inoOf(dev, spec);
  const ed = new Editor(dev);
  const t = tablesOf(dev);
  const blkaddr = nodeBlock(dev, t, ino);
  const inodeField = locateField(Inode, field) !== null;
  if (!inodeField && locateField(InodeExtra, field) === null) locate(TARGETS.inode, field);
  const place: Place = inodeField
    ? { what: `inode ${ino}`, blkaddr, at: 0, structs: [Inode] }
    : { what: `inode ${ino} extra attributes`, blkaddr, at: I_ADDR_OFFSET, structs: [InodeExtra] };
  const change = ed.set(place, field, value);
  if (!opts.keepCrc && change.field !== 'i_inode_checksum') fixInodeChecksum(ed, t, blkaddr, `inode ${ino}`);
  return ed.commit();
}

/** set-node: the node block the NAT names, or (`blkaddr`) another copy of it, e.g. an fsynced one in the node chain. */
export function setNode(dev: BlockDevice, nid: number, field: string, value: string, opts: InjectOptions & { blkaddr?: number } = {}): InjectResult {
  const ed = new Editor(dev);
  const t = tablesOf(dev);
  const blkaddr = opts.blkaddr === undefined ? nodeBlock(dev, t, nid) : userIndex(opts.blkaddr, t.geo.mainBlkaddr, t.geo.mainEnd, 'main-area block address');
  // `nid` is a footer field; `nid[N]` an indirect node's slot.
  const footer = locateField(NodeFooter, field) !== null;
  ed.set({ what: `node ${nid}${footer ? ' footer' : ''}`, blkaddr, at: footer ? NODE_FOOTER_OFFSET : 0, structs: footer ? [NodeFooter] : [DirectNode, IndirectNode] }, field, value);
  const f = NodeFooter.view(ed.block(blkaddr), NODE_FOOTER_OFFSET);
  if (!footer && f.nid === f.ino) ed.result.notes.push(`node ${nid} is an inode: ${field} overlays its inode fields (set-inode names them)`);
  if (!opts.keepCrc) fixInodeChecksum(ed, t, blkaddr, `node ${nid}`);
  return ed.commit();
}

/** set-dentry: the entry NAME of directory DIR, in its dentry block or in the inode's inline area (checksum then fixed). */
export function setDentry(dev: BlockDevice, dirSpec: string, name: string, field: string, value: string, opts: InjectOptions = {}): InjectResult {
  const vol = Volume.open(dev, { readOnly: true });
  const dir = vol.inode(vol.resolve(dirSpec, { follow: true }).ino);
  const d = vol.lookup(dir, Buffer.from(name));
  if (!d) fail('ENOENT', `${dirSpec} has no entry '${name}'`);
  const ed = new Editor(dev);
  let place: Place;
  if (d!.bidx < 0) {
    const g = inlineDentryGeometry(dir.maxInlineData);
    place = { what: `inline dentry '${name}' of inode ${dir.ino} (slot ${d!.slot})`, blkaddr: dir.page.blkaddr, at: dir.inlineDataOffset + g.dentryOffset + d!.slot * DirEntry.size, structs: TARGETS.dentry };
  } else {
    const blkaddr = vol.data.bmap(dir, d!.bidx).blkaddr;
    place = { what: `dentry '${name}' in block ${d!.bidx} of inode ${dir.ino} (slot ${d!.slot})`, blkaddr, at: DentryBlock.offsets.dentry + d!.slot * DirEntry.size, structs: TARGETS.dentry };
  }
  ed.set(place, field, value);
  if (d!.bidx < 0 && !opts.keepCrc) fixInodeChecksum(ed, tablesOf(dev), dir.page.blkaddr, `inode ${dir.ino}`);
  return ed.commit();
}

/* ---- debugfs's block and inode commands ---- */

/** zap-block: fill a block with a byte pattern (default 0), or flip one bit of it. */
export function zapBlock(dev: BlockDevice, blkaddr: number, opts: { pattern?: number; flip?: number }): InjectResult {
  const ed = new Editor(dev);
  userIndex(blkaddr, 0, dev.blockCount, 'block address');
  const block = ed.block(blkaddr);
  const whole: FieldSlot = { path: 'block', offset: 0, size: BLKSIZE, type: 'bytes' };
  if (opts.flip !== undefined) {
    userIndex(opts.flip, 0, BLKSIZE * 8, 'bit');
    const byte: FieldSlot = { path: `byte ${opts.flip >> 3}`, offset: opts.flip >> 3, size: 1, type: 'u8' };
    ed.setSlot({ what: `block ${blkaddr} bit ${opts.flip}`, blkaddr, at: 0, structs: [] }, byte, 'u8', (readField(block, 0, byte) as bigint) ^ BigInt(1 << (opts.flip & 7)));
  } else {
    const change = ed.setSlot({ what: `block ${blkaddr}`, blkaddr, at: 0, structs: [] }, whole, 'u8[4096]', Buffer.alloc(BLKSIZE, opts.pattern ?? 0));
    // 8 KiB of hex says nothing: show the pattern.
    change.old = '(block)';
    change.new = `${BLKSIZE} x 0x${(opts.pattern ?? 0).toString(16).padStart(2, '0')}`;
  }
  return ed.commit();
}

/** clri: zeroes an inode's body (the footer stays, so the node is still found and its damage seen). */
export function clri(dev: BlockDevice, spec: string): InjectResult {
  const ino = inoOf(dev, spec);
  const ed = new Editor(dev);
  const blkaddr = nodeBlock(dev, tablesOf(dev), ino);
  const body: FieldSlot = { path: 'f2fs_inode', offset: 0, size: NODE_FOOTER_OFFSET, type: 'bytes' };
  const change = ed.setSlot({ what: `inode ${ino}`, blkaddr, at: 0, structs: [] }, body, `u8[${NODE_FOOTER_OFFSET}]`, Buffer.alloc(0));
  change.old = '(inode)';
  change.new = `${NODE_FOOTER_OFFSET} zero bytes`;
  return ed.commit();
}

/** freei: the NAT entry's block_addr becomes 0 (the nid reads as free; its node block stays where it was). */
export function freei(dev: BlockDevice, nid: number): InjectResult {
  return setTableEntry(dev, 'nat', nid, 'block_addr', '0');
}

/** seti: the NAT entry says node `nid` is an inode at `blkaddr` (ino = nid). */
export function seti(dev: BlockDevice, nid: number, blkaddr: number): InjectResult {
  const ed = new Editor(dev);
  const place = tablePlace(dev, tablesOf(dev), 'nat', nid);
  ed.set(place, 'ino', String(nid));
  ed.set(place, 'block_addr', String(blkaddr));
  return ed.commit();
}

/** testb / setb / freeb: a main-area block's bit in its segment's live SIT entry (and, for set/free, the valid count). */
export function sitBit(dev: BlockDevice, blkaddr: number, op: 'test' | 'set' | 'free'): InjectResult & { valid: boolean } {
  const t = tablesOf(dev);
  userIndex(blkaddr, t.geo.mainBlkaddr, t.geo.mainEnd, 'main-area block address');
  const segno = t.sm.segnoOf(blkaddr);
  const off = blkaddr - t.sm.segBlkaddr(segno);
  const place = tablePlace(dev, t, 'sit', segno);
  const se = SitEntry.view(dev.readBlock(place.blkaddr), place.at);
  const valid = bitMsb.test(se.valid_map, off);
  if (op === 'test' || valid === (op === 'set')) return { changes: [], notes: op === 'test' ? [] : [`block ${blkaddr} is already ${valid ? 'valid' : 'free'}`], valid };
  const ed = new Editor(dev);
  const map = Buffer.from(se.valid_map);
  if (op === 'set') bitMsb.set(map, off);
  else bitMsb.clear(map, off);
  const byte = off >> 3;
  ed.set({ ...place, what: `${place.what} valid_map` }, `valid_map[${byte}]`, String(map[byte]));
  const n = sitValidBlocks(se.vblocks) + (op === 'set' ? 1 : -1);
  ed.set(place, 'vblocks', String(sitVblocks(sitType(se.vblocks), Math.max(0, n))));
  ed.result.notes.push("the checkpoint's valid_block_count is left as it was");
  return { ...ed.commit(), valid: op === 'set' };
}
