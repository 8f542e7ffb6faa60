// seti IMAGE NID BLKADDR: mark a nid in use as an inode at BLKADDR (debugfs seti).

import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { seti, type InjectResult } from '../debugfs/inject.js';

export default class Seti extends F2fsCommand<typeof Seti, InjectResult> {
  static override summary = 'Mark a nid in use as an inode stored at BLKADDR: its NAT entry becomes (ino NID, block_addr BLKADDR) (debugfs seti).';
  static override examples = ['<%= config.bin %> seti disk.img 4 4610'];
  static override args = {
    image: imageArg(),
    nid: numberArg({ description: 'node id', required: true }),
    blkaddr: numberArg({ description: 'block address of the inode block', required: true }),
  };

  protected async invoke(): Promise<InjectResult> {
    return seti(this.openDevice({ write: true }), this.args.nid, this.args.blkaddr);
  }

  protected override render(r: InjectResult): void {
    renderInjection((s) => this.out(s), r);
  }
}
