// dump-nat IMAGE [--range A~B] [--all]: NAT entries (journal and current copies), like dump.f2fs -n.

import { Flags } from '@oclif/core';
import type { TableRange } from '../cli/args.js';
import { TableDumpCommand, tableRangeFlag } from '../cli/table-dump.js';
import { columns } from '../cli/render.js';
import { dumpNat, type NatDumpEntry } from '../debugfs/tables.js';
import type { Volume } from '../fs/volume.js';

export interface DumpNatResult {
  /** nids [start, end). */
  range: TableRange;
  count: number;
  entries: NatDumpEntry[];
}

export default class DumpNat extends TableDumpCommand<typeof DumpNat, Omit<DumpNatResult, 'range'>> {
  static override summary = 'List NAT entries: nid, ino, block address, version, where the entry comes from.';
  static override description =
    'Like dump.f2fs -n: the current NAT copy of each block with the NAT journal applied, and the footer offset of each node block. Only allocated nids unless --all.';
  static override examples = ['<%= config.bin %> dump-nat disk.img', '<%= config.bin %> dump-nat disk.img --range 3~100 --json'];
  static override flags = {
    range: tableRangeFlag('nid'),
    all: Flags.boolean({ description: 'Also list free nids (block address 0).' }),
  };

  protected readonly unit = 'nid';

  protected dump(vol: Volume, start: number, last: number): Omit<DumpNatResult, 'range'> {
    const entries = dumpNat(vol, start, last, this.flags.all, { footers: true });
    return { count: entries.length, entries };
  }

  protected override render(r: DumpNatResult): void {
    this.out(
      columns(
        ['nid', 'ino', 'offset', 'blkaddr', 'version', 'source', 'pack'],
        r.entries.map((e) => [e.nid, e.ino, e.offset ?? '-', e.blkaddr, e.version, e.source, e.pack]),
        { alignRight: [0, 1, 2, 3, 4] },
      ),
    );
    this.out(`${r.count} entries`);
  }
}
