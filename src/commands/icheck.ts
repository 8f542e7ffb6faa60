// icheck IMAGE BLKADDR...: which inode (and node slot) owns each block, from the SSA, checked against the owner.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { icheck, type IcheckResult } from '../debugfs/reverse.js';
import type { Volume } from '../fs/volume.js';

export interface IcheckCmdResult {
  blocks: IcheckResult[];
}

export default class Icheck extends VolumeCommand<typeof Icheck, IcheckCmdResult> {
  static override summary = 'Find the inode owning each block address (data or node), as debugfs icheck.';
  static override description =
    "The block's SSA entry names its node; the answer is verified against that node's slot (data) or the NAT (node). Free and metadata blocks are reported as such.";
  static override examples = ['<%= config.bin %> icheck disk.img 4608 4609', '<%= config.bin %> icheck disk.img 0x1200 --json'];
  static override args = { image: imageArg(), blkaddr: numberArg({ description: 'block addresses (decimal or 0x hex)', required: true, multiple: true }) };

  protected async execute(vol: Volume): Promise<IcheckCmdResult> {
    const list = this.args.blkaddr as unknown as number[] | number;
    return { blocks: (Array.isArray(list) ? list : [list]).map((b) => icheck(vol, b)) };
  }

  protected override render(r: IcheckCmdResult): void {
    const rows = r.blocks.map((b) => {
      const note = b.kind === 'metadata' || b.kind === 'free' ? (b.why ?? '') : b.verified ? 'verified' : `NOT verified: ${b.why}`;
      return [b.blkaddr, b.kind, b.ino ?? '-', b.nid ?? '', b.ofsInNode ?? '', b.bidx ?? '', note];
    });
    this.out(columns(['blkaddr', 'kind', 'ino', 'nid', 'slot', 'file block', 'note'], rows, { alignRight: [0, 2, 3, 4, 5] }));
  }
}
