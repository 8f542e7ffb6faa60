// gc IMAGE [--sections N] [--background]: garbage collection by hand (F2FS_IOC_GARBAGE_COLLECT), reporting victims and moves.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import type { CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { gc, type GcReport } from '../fs/gc.js';
import type { Volume } from '../fs/volume.js';

export interface GcResult extends GcReport {
  ms: number;
}

export default class Gc extends MutatingCommand<typeof Gc, GcResult> {
  static override summary = 'Run garbage collection: move the live blocks out of victim segments so they can be reused.';
  static override description =
    'As Linux 6.1: victims are dirty segments (not current, not prefree), chosen greedily (fewest valid blocks) or with --background by cost-benefit (age from the SIT mtime); live data blocks move to the cold data log, nodes to their own logs; a block whose owner no longer points at it stays. Victims become free at the next checkpoint (the default --sync checkpoint takes it). Without --sections, it collects until free segments are above what the kernel reserves, at least one victim.';
  static override examples = ['<%= config.bin %> gc disk.img', '<%= config.bin %> gc disk.img --sections 4 --background --json'];
  static override flags = {
    sections: Flags.integer({ description: 'victims to collect (segments; one section is one segment)', min: 1 }),
    background: Flags.boolean({ description: 'choose victims as background GC does (cost-benefit) instead of greedily' }),
  };

  protected async mutate(vol: Volume, _args: unknown, flags: CmdFlags<typeof Gc>): Promise<GcResult> {
    const t0 = performance.now();
    const report = gc(vol, { sections: flags.sections ?? undefined, mode: flags.background ? 'background' : 'foreground' });
    return { ...report, ms: Math.round(performance.now() - t0) };
  }

  protected override render(r: GcResult): void {
    if (!r.victims.length) this.out('no victim: no segment is partly valid');
    else this.out(table(['segno', 'type', 'valid', 'moved', 'left'], r.victims.map((v) => [v.segno, v.kind, v.valid, v.moved, v.skipped])));
    this.out(`${r.mode} gc: ${r.victims.length} victim(s), moved ${r.moved.data} data and ${r.moved.node} node blocks in ${r.ms} ms; free segments ${r.freeBefore} -> ${r.freeAfter}, ${r.prefree} prefree until the checkpoint`);
  }
}
