// dump-sit IMAGE [--range A~B]: SIT entries per main segment, like dump.f2fs -s.

import { Flags } from '@oclif/core';
import type { TableRange } from '../cli/args.js';
import { TableDumpCommand, tableRangeFlag } from '../cli/table-dump.js';
import { columns } from '../cli/render.js';
import { dumpSit, type DumpSitResult } from '../debugfs/tables.js';
import type { Volume } from '../fs/volume.js';

export interface DumpSitCmdResult extends DumpSitResult {
  /** Segments [start, end). */
  range: TableRange;
}

export default class DumpSit extends TableDumpCommand<typeof DumpSit, DumpSitResult> {
  static override summary = 'List SIT entries: valid blocks, segment type and valid map of each main segment.';
  static override description = 'Like dump.f2fs -s: the current SIT copy with the SIT journal applied; the valid map is MSB-first, one bit per block.';
  static override examples = ['<%= config.bin %> dump-sit disk.img', '<%= config.bin %> dump-sit disk.img --range 0~8 --brief'];
  static override flags = {
    range: tableRangeFlag('segment'),
    brief: Flags.boolean({ description: 'One line per segment, without the valid maps.' }),
  };

  protected readonly unit = 'segment';

  protected dump(vol: Volume, start: number, last: number): DumpSitResult {
    return dumpSit(vol, start, last);
  }

  protected override render(r: DumpSitCmdResult): void {
    const head = ['segno', 'vblocks', 'type', 'source', 'pack', 'log'];
    const row = (s: DumpSitResult['segments'][number]) => [s.segno, s.vblocks, `${s.type} ${s.typeName}`, s.source, s.pack, s.curseg ?? ''];
    if (this.flags.brief) {
      this.out(columns(head, r.segments.map(row), { alignRight: [0, 1] }));
    } else {
      for (const s of r.segments) {
        this.out(`segno ${s.segno}  vblocks ${s.vblocks}  type ${s.type} (${s.typeName})  ${s.source}, copy ${s.pack}${s.curseg ? `  current ${s.curseg} log` : ''}`);
        if (s.vblocks === 0) continue;
        for (let i = 0; i < s.validMap.length; i += 32) this.out(`  ${s.validMap.slice(i, i + 32).replace(/(..)(?!$)/g, '$1 ')}`);
      }
    }
    const t = r.totals;
    this.out(`valid blocks ${t.validBlocks}, segments with valid blocks ${t.validSegments}, empty segments ${t.freeSegments}`);
  }
}
