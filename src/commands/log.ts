// log IMAGE: the warm-node chain after the checkpoint — what roll-forward recovery would walk.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { table } from '../cli/render.js';
import { walkChain, type Chain } from '../fs/recovery.js';
import type { Volume } from '../fs/volume.js';

export default class Log extends VolumeCommand<typeof Log, Chain> {
  static override summary = 'Walk the node chain after the checkpoint: address, nid, ino, offset, fsync/dentry marks.';
  static override examples = ['<%= config.bin %> log disk.img', '<%= config.bin %> log disk.img --json'];
  static override args = { image: imageArg() };

  protected async execute(vol: Volume): Promise<Chain> {
    return walkChain(vol);
  }

  protected override render(c: Chain): void {
    this.out(`chain from block ${c.start}: ${c.nodes.length} recoverable node block(s)`);
    if (c.nodes.length)
      this.out(table(['blkaddr', 'nid', 'ino', 'kind', 'ofs', 'marks', 'next'], c.nodes.map((n) => [n.blkaddr, n.nid, n.ino, n.kind, n.ofs, `${n.fsync ? 'FSYNC ' : ''}${n.dent ? 'DENT' : ''}`.trim() || '-', n.next])));
    this.out(`end at ${c.end.blkaddr}: ${c.end.why}`);
  }
}
