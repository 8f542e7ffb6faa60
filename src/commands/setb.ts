// setb IMAGE BLKADDR: Mark a main-area block in use in its segment's SIT entry: valid_map bit set, valid count up 

import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { sitBit, type InjectResult } from '../debugfs/inject.js';

export default class Setb extends F2fsCommand<typeof Setb, InjectResult & { valid: boolean }> {
  static override summary = "Mark a main-area block in use in its segment's SIT entry: valid_map bit set, valid count up (debugfs setb).";
  static override description = "The live entry: the checkpoint's SIT journal slot, else the current SIT block.";
  static override examples = ['<%= config.bin %> setb disk.img 4608'];
  static override args = { image: imageArg(), blkaddr: numberArg({ description: 'main-area block address', required: true }) };

  protected async invoke(): Promise<InjectResult & { valid: boolean }> {
    return sitBit(this.openDevice({ write: true }), this.args.blkaddr, 'set');
  }

  protected override render(r: InjectResult & { valid: boolean }): void {
    renderInjection((s) => this.out(s), r);
  }
}
