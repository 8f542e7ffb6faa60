// testb IMAGE BLKADDR: Say whether a main-area block is valid in its segment's SIT entry 

import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { sitBit, type InjectResult } from '../debugfs/inject.js';

export default class Testb extends F2fsCommand<typeof Testb, InjectResult & { valid: boolean }> {
  static override summary = "Say whether a main-area block is valid in its segment's SIT entry (debugfs testb).";
  static override description = "The live entry: the checkpoint's SIT journal slot, else the current SIT block.";
  static override examples = ['<%= config.bin %> testb disk.img 4608'];
  static override args = { image: imageArg(), blkaddr: numberArg({ description: 'main-area block address', required: true }) };

  protected async invoke(): Promise<InjectResult & { valid: boolean }> {
    return sitBit(this.openDevice({ write: false }), this.args.blkaddr, 'test');
  }

  protected override render(r: InjectResult & { valid: boolean }): void {
    this.out(`block ${this.args.blkaddr} is ${r.valid ? 'valid' : 'free'}`);
  }
}
