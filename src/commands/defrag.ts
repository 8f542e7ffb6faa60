// defrag IMAGE [--range A~B | --start A --length L] [--target T] [--shrink]: move a block range as defrag.f2fs 1.15 does.

import { Flags } from '@oclif/core';
import { parseNumber, parseRange } from '../cli/args.js';
import { VolumeCommand, globalFlags, imageArg, timestampFlag, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { defragVolume, type DefragOptions, type DefragReport } from '../fs/defrag.js';
import type { Volume } from '../fs/volume.js';

export interface DefragResult extends DefragReport {
  ms: number;
}

const number = (what: string, text: string | undefined) => (text === undefined ? undefined : parseNumber(text, what));

export default class Defrag extends VolumeCommand<typeof Defrag, DefragResult> {
  static override summary = 'Move the valid blocks of a block range to free blocks from a target, as defrag.f2fs does.';
  static override description =
    'As defrag.f2fs 1.15 (-s, -l, -t, -i): every block of the range valid in the SIT moves to the first free block from the target upwards (--shrink: downwards from the block below it) in a segment of its own log type, or a free segment while more than the reserved ones plus one are left; ' +
    'data blocks through their node slot, nodes through the NAT, as GC moves them. The logs then move to the first room from the target, and a checkpoint ends it. ' +
    'Defaults: the first main segment, 512 blocks, the target just after the range (just before it with --shrink). Numbers are decimal or 0x hex. ' +
    'Refused, the image unchanged: a range or target outside the main area, a target inside the range, not enough room on the target\'s side (ENOSPC), a pinned file\'s block, changes not checkpointed or fsynced nodes waiting for recovery (EBUSY).';
  static override examples = [
    '<%= config.bin %> defrag disk.img',
    '<%= config.bin %> defrag disk.img --range 0x1000~0x1200 --target 0x3000',
    '<%= config.bin %> defrag disk.img --start 8192 --length 1024 --shrink --json',
  ];
  static override baseFlags = { ...globalFlags, timestamp: timestampFlag() };
  static override args = { image: imageArg() };
  static override flags = {
    range: Flags.string({ description: 'Blocks A to B (B excluded), like --start A --length B-A.', helpValue: 'A~B', exclusive: ['start', 'length'] }),
    start: Flags.string({ description: 'First block of the range (defrag.f2fs -s) [default: main_blkaddr].', helpValue: 'BLKADDR' }),
    length: Flags.string({ description: 'Blocks in the range (-l) [default: 512].', helpValue: 'N' }),
    target: Flags.string({ description: 'Block the search for free blocks starts from (-t) [default: just after the range, or before it with --shrink].', helpValue: 'BLKADDR' }),
    shrink: Flags.boolean({ description: 'Search downwards from the target (-i).' }),
  };
  static override write = true;

  protected async execute(vol: Volume, _args: CmdArgs<typeof Defrag>, flags: CmdFlags<typeof Defrag>): Promise<DefragResult> {
    const range = flags.range === undefined ? undefined : parseRange(flags.range, Number.MAX_SAFE_INTEGER, 'block');
    const opts: DefragOptions = {
      start: range?.start ?? number('--start', flags.start),
      length: range ? range.end - range.start : number('--length', flags.length),
      target: number('--target', flags.target),
      shrink: flags.shrink,
    };
    const t0 = performance.now();
    const report = defragVolume(vol, opts);
    return { ...report, ms: Math.round(performance.now() - t0) };
  }

  protected override render(r: DefragResult): void {
    const arrow = r.direction === 'shrink' ? 'down from' : 'up from';
    this.out(`[${r.start}, ${r.start + r.length}) -> ${arrow} ${r.target}: moved ${r.moved.data} data and ${r.moved.node} node blocks in ${r.ms} ms; checkpoint ${r.checkpointVersion}`);
    if (r.placed.length) this.out(table(['to', 'last', 'blocks'], r.placed.map((p) => [p.blkaddr, p.blkaddr + p.count - 1, p.count])));
    this.out(table(['log', 'segno', 'blkoff'], r.logs.map((l) => [l.type, l.segno, l.blkoff])));
  }
}
