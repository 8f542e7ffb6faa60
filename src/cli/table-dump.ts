// The base of dump-nat, dump-sit and dump-ssa: one on-disk table read over a dump.f2fs-style --range of nids or segments.
import type { Command } from '@oclif/core';
import type { Volume } from '../fs/volume.js';
import { parseRange, rangeFlag, type TableRange } from './args.js';
import { VolumeCommand } from './base.js';

/** What --range counts. */
export type TableUnit = 'nid' | 'segment';

/** The --range flag of a table dump over `unit`s. */
export const tableRangeFlag = (unit: TableUnit) => rangeFlag(`${unit}s`);

export abstract class TableDumpCommand<T extends typeof Command, R extends object> extends VolumeCommand<T, R & { range: TableRange }> {
  protected abstract readonly unit: TableUnit;

  /** The table's entries for [start, last] (inclusive): the result besides `range`. */
  protected abstract dump(vol: Volume, start: number, last: number): R;

  protected async execute(vol: Volume): Promise<R & { range: TableRange }> {
    const limit = this.unit === 'nid' ? vol.geo.maxNid : vol.geo.mainSegments;
    const range = parseRange((this.flags as { range?: string }).range, limit, this.unit);
    return { range, ...this.dump(vol, range.start, range.end - 1) };
  }
}
