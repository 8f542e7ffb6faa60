// block IMAGE BLKADDR [--hex]: which area a block is in and its content decoded by what it is.

import { Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { columns, hexdump, kv } from '../cli/render.js';
import { describeBlock } from '../debugfs/block.js';
import { type IcheckResult } from '../debugfs/reverse.js';
import { F2FS_MAGIC } from '../fs/layout/crc.js';
import type { Volume } from '../fs/volume.js';
import { decodeSuperblock, type DecodedSuperblock } from './dump-sb.js';
import { nodeLines } from './dump-node.js';

type Described = ReturnType<typeof describeBlock>;
type SuperblockBlock = Extract<Described, { kind: 'superblock' }>;

/** `block`'s result: the decoded block (a superblock in dump-sb's decoded form), and the raw bytes with --hex. */
export type BlockCmdResult =
  | (Omit<SuperblockBlock, 'superblock'> & { superblock: DecodedSuperblock; magicOk: boolean; hex?: string })
  | (Exclude<Described, { kind: 'superblock' }> & { hex?: string });

export default class Block extends VolumeCommand<typeof Block, BlockCmdResult> {
  static override summary = 'Decode one block: its area and content (superblock, CP, SIT, NAT, SSA, node, data or dentry block).';
  static override description =
    'A main-area block is shown with its owner (from the SSA, checked against the owning node); a data block of a directory is decoded as dentries. BLKADDR is decimal or 0x hex.';
  static override examples = ['<%= config.bin %> block disk.img 4096', '<%= config.bin %> block disk.img 0x1000 --hex'];
  static override args = { image: imageArg(), blkaddr: numberArg({ description: 'block address (4 KiB units)', required: true }) };
  static override flags = { hex: Flags.boolean({ description: 'Also hexdump the block (in --json: "hex", the raw bytes as hex).' }) };

  protected async execute(vol: Volume): Promise<BlockCmdResult> {
    const d = describeBlock(vol, this.args.blkaddr);
    const hex = this.flags.hex ? vol.dev.readBlock(d.blkaddr).toString('hex') : undefined;
    if (d.kind === 'superblock') return { ...d, superblock: decodeSuperblock(d.superblock), magicOk: d.superblock.magic === F2FS_MAGIC, hex };
    return { ...d, hex };
  }

  protected override render(r: BlockCmdResult): void {
    this.out(`block ${r.blkaddr} (byte ${r.byteOffset}): ${r.area} area, ${r.kind}`);
    switch (r.kind) {
      case 'superblock': {
        const s = r.superblock;
        this.out(kv([
          ['copy', `${r.copy}${r.inUse ? ' (in use)' : ''}`],
          ['magic', `0x${s.magic.toString(16)}${r.magicOk ? '' : '  BAD'}`],
          ['version', `${s.major_ver}.${s.minor_ver}`],
          ['block_count', s.block_count],
          ['segment_count', s.segment_count],
          ['main_blkaddr', s.main_blkaddr],
          ['features', s.features.join(' ') || '(none)'],
          ['uuid', s.uuid],
        ]));
        this.out('(all fields: f2fsdbg dump-sb)');
        break;
      }
      case 'checkpoint': {
        const c = r.cp;
        this.out(`pack ${c.pack} block ${c.index}: ${c.role}${c.packValid ? '' : ' (pack not valid)'}`);
        if ('checkpoint' in c) {
          const { flags, crcOk, ...fields } = c.checkpoint;
          const rows = Object.entries(fields).map(([k, v]): [string, string | number] => [k, k === 'ckpt_flags' ? `0x${(v as number).toString(16)}  ${flags.join(' ')}` : (v as string | number)]);
          this.out(kv([...rows, ['crc', crcOk ? 'ok' : 'BAD']], { indent: 2 }));
        }
        if ('why' in c) this.out(`  ${c.why}`);
        if ('orphan' in c) this.out(`  ${c.orphan.entry_count} orphan inodes (block ${c.orphan.blk_addr} of ${c.orphan.blk_count}): ${c.orphan.inos.join(' ')}`);
        if ('natJournal' in c) this.out(`  NAT journal ${c.natJournal} entries, SIT journal ${c.sitJournal} entries, then packed data summaries`);
        if ('summary' in c) this.summary(c.summary);
        break;
      }
      case 'sit':
        this.out(`SIT block ${r.sitBlock} (segments ${r.firstSegno}..${r.firstSegno + 54}), copy ${r.copy}, ${r.current ? 'current' : 'not current'}`);
        if (r.entries.length) this.out(columns(['segno', 'vblocks', 'type', 'mtime', 'valid map'], r.entries.map((e) => [e.segno, e.vblocks, e.type, e.mtime, e.validMap.replace(/(00)+$/, '…')]), { alignRight: [0, 1, 2, 3], indent: 2 }));
        break;
      case 'nat':
        this.out(`NAT block ${r.natBlock} (nids ${r.firstNid}..${r.firstNid + 454}), copy ${r.copy}, ${r.current ? 'current' : 'not current'}, ${r.entries.length} non-zero entries`);
        if (r.entries.length) this.out(columns(['nid', 'ino', 'blkaddr', 'version'], r.entries.map((e) => [e.nid, e.ino, e.blkaddr, e.version]), { alignRight: [0, 1, 2, 3], indent: 2 }));
        break;
      case 'ssa':
        this.out(`summary block of segment ${r.segno}`);
        if (r.stale) this.out(`note: ${r.stale}`);
        this.summary(r.summary);
        break;
      case 'node':
        this.owner(r.owner);
        for (const l of nodeLines(r.node)) this.out(l);
        break;
      case 'data':
      case 'free':
        this.owner(r.owner);
        if (r.zero) this.out('(all zeros)');
        if (r.dentries) {
          this.out(`dentry block of directory ${r.owner.ino}, ${r.dentries.length} entries:`);
          this.out(columns(['slot', 'ino', 'type', 'hash', 'name'], r.dentries.map((d) => [d.slot, d.ino, d.fileType, `0x${d.hash.toString(16).padStart(8, '0')}`, JSON.stringify(d.name)]), { alignRight: [0, 1], indent: 2 }));
        }
        break;
      default:
        break;
    }
    if (r.hex !== undefined) this.out(hexdump(Buffer.from(r.hex, 'hex'), r.byteOffset, { skipZero: true }));
  }

  private owner(o: IcheckResult): void {
    const where = `segment ${o.segno} offset ${o.offset} (${o.segType} segment), ${o.valid ? 'valid' : 'not valid'} in the SIT`;
    const e = o.summary;
    const sum = e ? `SSA entry: nid ${e.nid} version ${e.version} ofs_in_node ${e.ofs_in_node} (${o.summarySource})` : '';
    let who = '';
    if (o.kind === 'data') who = `inode ${o.ino ?? '?'}, node ${o.nid ?? '?'} slot ${o.ofsInNode ?? '?'}${o.bidx === null ? '' : ` = file block ${o.bidx}`}`;
    else if (o.kind === 'node') who = `inode ${o.ino ?? '?'}`;
    this.out(kv([['location', where], ['summary', sum], ['owner', `${who || '-'}${o.kind === 'free' ? '' : o.verified ? ' (verified)' : ` (NOT verified: ${o.why})`}`]]));
  }

  private summary(s: { entryType: string; entries: { offset: number; nid: number; version: number; ofs_in_node: number }[] }): void {
    this.out(`  ${s.entryType} summary, ${s.entries.length} non-zero entries`);
    if (s.entries.length) this.out(columns(['offset', 'nid', 'version', 'ofs_in_node'], s.entries.map((e) => [e.offset, e.nid, e.version, e.ofs_in_node]), { alignRight: [0, 1, 2, 3], indent: 2 }));
  }
}
