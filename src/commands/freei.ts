// freei IMAGE NID: mark a node free in the NAT (debugfs freei).

import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { freei, type InjectResult } from '../debugfs/inject.js';

export default class Freei extends F2fsCommand<typeof Freei, InjectResult> {
  static override summary = "Mark an inode (or any node) free: its NAT entry's block_addr becomes 0 (debugfs freei).";
  static override description = 'The node block itself is left alone; its dentries now point at a free nid.';
  static override examples = ['<%= config.bin %> freei disk.img 4'];
  static override args = { image: imageArg(), nid: numberArg({ description: 'node id', required: true }) };

  protected async invoke(): Promise<InjectResult> {
    return freei(this.openDevice({ write: true }), this.args.nid);
  }

  protected override render(r: InjectResult): void {
    renderInjection((s) => this.out(s), r);
  }
}
