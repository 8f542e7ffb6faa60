// dump-ssa IMAGE [--range A~B] [--all]: segment summary entries, like dump.f2fs -a.

import { Flags } from '@oclif/core';
import type { TableRange } from '../cli/args.js';
import { TableDumpCommand, tableRangeFlag } from '../cli/table-dump.js';
import { columns } from '../cli/render.js';
import { dumpSsa, type DumpSsaResult } from '../debugfs/tables.js';
import type { Volume } from '../fs/volume.js';

export interface DumpSsaCmdResult {
  /** Segments [start, end). */
  range: TableRange;
  /** Per segment, all 512 entries (index = block offset in the segment). */
  segments: DumpSsaResult;
}

export default class DumpSsa extends TableDumpCommand<typeof DumpSsa, Omit<DumpSsaCmdResult, 'range'>> {
  static override summary = 'List segment summary entries (owner nid, version, slot of every block) per segment.';
  static override description =
    'Like dump.f2fs -a: the SSA block of each segment, or the log\'s own summary for the six current segments. Shows non-zero entries unless --all; --json always has all 512.';
  static override examples = ['<%= config.bin %> dump-ssa disk.img --range 3', '<%= config.bin %> dump-ssa disk.img --json'];
  static override flags = {
    range: tableRangeFlag('segment'),
    all: Flags.boolean({ description: 'Show all 512 entries of each segment, zeros included.' }),
  };

  protected readonly unit = 'segment';

  protected dump(vol: Volume, start: number, last: number): Omit<DumpSsaCmdResult, 'range'> {
    return { segments: dumpSsa(vol, start, last) };
  }

  protected override render(r: DumpSsaCmdResult): void {
    for (const s of r.segments) {
      const what = `${s.curseg ? 'current ' : ''}${s.entryType}`;
      const rows = s.entries.flatMap((e, i) => (this.flags.all || e.nid || e.version || e.ofs_in_node ? [[i, e.nid, e.version, s.entryType === 'node' ? '' : e.ofs_in_node]] : []));
      this.out(`segno ${s.segno} (0x${s.segno.toString(16)}): ${what} segment, ${s.source === 'curseg' ? `summary of the ${s.curseg} log` : 'SSA block'}, ${rows.length} ${this.flags.all ? '' : 'non-zero '}entries`);
      if (rows.length) this.out(columns(['offset', 'nid', 'version', 'ofs_in_node'], rows, { alignRight: [0, 1, 2, 3], indent: 2 }));
    }
  }
}
