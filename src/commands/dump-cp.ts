// dump-cp IMAGE [--pack 1|2]: a checkpoint pack decoded — head fields, flags, crc, bitmaps, orphans, where the summaries are.

import { Flags } from '@oclif/core';
import { F2fsCommand, imageArg } from '../cli/base.js';
import { kv, table } from '../cli/render.js';
import { dumpCp, type DumpCpResult } from '../debugfs/info.js';
import { geometryOf, readSuperblock } from '../fs/super.js';

const list = (a: number[]) => (a.length === 0 ? '(none)' : a.length > 2 && a[a.length - 1] - a[0] === a.length - 1 ? `${a[0]}..${a[a.length - 1]}` : a.join(' '));

// Reads from the device (superblock + checkpoint area only), so it works where the volume would not mount.
export default class DumpCp extends F2fsCommand<typeof DumpCp, DumpCpResult> {
  static override summary = 'Show a checkpoint pack: head fields, flags, crc, bitmaps, orphans and summary locations.';
  static override description =
    'Without --pack, the pack the kernel would mount (the newer valid one). Both packs\' validity is always shown; an invalid pack is decoded anyway.';
  static override examples = ['<%= config.bin %> dump-cp disk.img', '<%= config.bin %> dump-cp disk.img --pack 1 --json'];
  static override args = { image: imageArg() };
  static override flags = {
    pack: Flags.integer({ description: 'Pack to show (1 or 2).', min: 1, max: 2 }),
  };

  protected async invoke(): Promise<DumpCpResult> {
    const dev = this.openDevice({ write: false });
    const { sb } = readSuperblock(dev);
    return dumpCp(dev, sb, geometryOf(sb), this.flags.pack as 1 | 2 | undefined);
  }

  protected override render(r: DumpCpResult): void {
    this.out(`Checkpoint pack ${r.pack} at blkaddr ${r.blkaddr}${r.chosen ? ' (in use)' : ''}: ${r.valid ? 'valid' : 'NOT valid'}`);
    for (const p of r.problems) this.out(`  note: ${p}`);
    this.out(
      table(
        ['pack', 'blkaddr', 'valid', 'checkpoint_ver', 'why'],
        r.packs.map((p) => [p.pack, p.blkaddr, p.valid ? 'yes' : 'no', p.checkpoint_ver ?? '', p.why ?? '']),
      ),
    );
    const h = r.head;
    const rows: [string, string | number][] = [['checkpoint_ver', h.checkpoint_ver]];
    for (const [k, v] of Object.entries(h)) {
      if (k === 'checkpoint_ver' || Array.isArray(v)) continue;
      rows.push([k, k === 'ckpt_flags' ? `0x${(v as number).toString(16)}  ${r.flags.join(' ') || '(none)'}` : (v as number)]);
    }
    rows.push(['crc', r.crc.stored === null ? `(checksum_offset ${r.crc.offset} out of range)` : `0x${r.crc.stored.toString(16).padStart(8, '0')} at ${r.crc.offset}, computed 0x${r.crc.computed!.toString(16).padStart(8, '0')}${r.crc.stored === r.crc.computed ? '' : '  MISMATCH'}`]);
    rows.push(['alloc_type', h.alloc_type.slice(0, 6).join(' ')]);
    this.out(kv(rows));
    this.out(table(['log', 'segno', 'blkoff', 'next blkaddr', 'alloc'], r.cursegs.map((c) => [c.type, c.segno, c.blkoff, c.blkaddr, c.alloc_type]), { alignRight: [1, 2, 3] }));
    const bm = (b: DumpCpResult['bitmaps']['sit']) => (b.set === null ? `${b.bytes} bytes` : `${b.bytes} bytes, ${b.set} bits set (${b.set} blocks on copy 2)`);
    this.out(
      kv([
        ['SIT version bitmap', bm(r.bitmaps.sit)],
        ['NAT version bitmap', bm(r.bitmaps.nat)],
        ['payload blocks', list(r.payload)],
        ['orphan blocks', list(r.orphans.blocks)],
        ['orphan inodes', r.orphans.inos === null ? (r.orphans.present ? '(unreadable)' : '(none)') : r.orphans.inos.join(' ') || '(none)'],
        ['data summaries', `${list(r.summaries.data)} (${r.summaries.form}, cp_pack_start_sum ${r.summaries.start})`],
        ['node summaries', r.summaries.node.length ? list(r.summaries.node) : '(none: rebuilt from the node logs at mount)'],
        ['tail CP block', r.tail],
        ['nat_bits', r.natBits ? `${r.natBits.blocks} block(s) at ${r.natBits.blkaddr}` : '(none)'],
      ]),
    );
  }
}
