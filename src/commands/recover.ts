// recover IMAGE: what Linux 6.1 does at mount — orphans, then roll-forward of fsync'd dnodes, then a checkpoint.

import { Flags } from '@oclif/core';
import { VolumeCommand, imageArg, type CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { recover, type RecoveryReport } from '../fs/recovery.js';
import type { Volume } from '../fs/volume.js';

export default class Recover extends VolumeCommand<typeof Recover, RecoveryReport> {
  static override summary = 'Recover the image as Linux 6.1 does at mount: orphan inodes, roll-forward of fsync\'d files, a checkpoint.';
  static override description =
    'Walks the warm-node log from its next free block along next_blkaddr while footers carry this checkpoint\'s version (and crc), replays the inodes, dentries (DENT mark) and data blocks of every file with an FSYNC-marked dnode, detaching blocks from their previous owners through the SSA, then moves every log to a fresh segment and writes a checkpoint. --dry-run runs the same recovery on a copy-on-write view of the image and drops its writes: it reports exactly what the real run does.';
  static override examples = ['<%= config.bin %> recover disk.img', '<%= config.bin %> recover disk.img --dry-run --json'];
  static override args = { image: imageArg() };
  static override flags = { 'dry-run': Flags.boolean({ description: 'run the recovery on a copy-on-write view of the image and report it; write nothing' }) };

  protected override wantsWrite(flags: CmdFlags<typeof Recover>): boolean {
    return !flags['dry-run'];
  }

  protected async execute(vol: Volume, _args: unknown, flags: CmdFlags<typeof Recover>): Promise<RecoveryReport> {
    const bar = this.progress('recovering');
    try {
      return recover(vol, { dryRun: flags['dry-run'], progress: bar && ((phase, done, total) => bar.update(done, total, phase)) });
    } finally {
      bar?.end();
    }
  }

  protected override render(r: RecoveryReport): void {
    this.out(`orphans: ${r.orphans.length ? r.orphans.join(', ') : 'none'}`);
    this.out(`node chain: ${r.chain.length} recoverable block(s) from ${r.chain.start}, ended at ${r.chain.end.blkaddr}: ${r.chain.end.why}`);
    if (r.inodes.length)
      this.out(table(['ino', 'nodes', 'blocks', 'dentry', 'created', 'last fsync node'], r.inodes.map((i) => [i.ino, i.nodes, i.blocks, i.dentry ? 'yes' : '', i.created ? 'yes' : '', i.lastBlkaddr])));
    for (const s of r.skipped) this.out(`skipped ino ${s.ino} at ${s.blkaddr}: ${s.why}`);
    if (r.dryRun) this.out(`dry run: nothing written${r.checkpoint ? ` (the real run writes checkpoint ${r.checkpoint.version} to pack ${r.checkpoint.pack})` : ''}`);
    else this.out(r.checkpoint ? `checkpoint ${r.checkpoint.version} written to pack ${r.checkpoint.pack}` : 'nothing to recover: image unchanged');
  }
}
