// The freeb / setb / testb commands: one class shape, made per operation (each file exports one).

import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { sitBit, type InjectResult } from '../debugfs/inject.js';

type SitBitResult = InjectResult & { valid: boolean };

export function sitBitCommand(op: 'free' | 'set' | 'test', summary: string) {
  return class extends F2fsCommand<typeof F2fsCommand, SitBitResult> {
    static override summary = summary;
    static override description = "The live entry: the checkpoint's SIT journal slot, else the current SIT block.";
    static override examples = [`<%= config.bin %> ${op}b disk.img 4608`];
    static override args = { image: imageArg(), blkaddr: numberArg({ description: 'main-area block address', required: true }) };

    protected async invoke(): Promise<SitBitResult> {
      return sitBit(this.openDevice({ write: op !== 'test' }), (this.args as { blkaddr: number }).blkaddr, op);
    }

    protected override render(r: SitBitResult): void {
      if (op === 'test') this.out(`block ${(this.args as { blkaddr: number }).blkaddr} is ${r.valid ? 'valid' : 'free'}`);
      else renderInjection((s) => this.out(s), r);
    }
  };
}
