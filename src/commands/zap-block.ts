// zap-block IMAGE BLKADDR [--pattern P | --flip BIT]: overwrite a block with a byte, or flip one bit of it.

import { Flags } from '@oclif/core';
import { F2fsCommand, imageArg } from '../cli/base.js';
import { numberArg, parseNumber } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { zapBlock, type InjectResult } from '../debugfs/inject.js';
import { fail } from '../errors.js';

export default class ZapBlock extends F2fsCommand<typeof ZapBlock, InjectResult> {
  static override summary = 'Overwrite a block with a byte pattern, or flip one bit of it (debugfs zap_block).';
  static override description = 'Any block of the image, metadata included. Default: all zeros.';
  static override examples = ['<%= config.bin %> zap-block disk.img 512', '<%= config.bin %> zap-block disk.img 512 --pattern 0xff', '<%= config.bin %> zap-block disk.img 1 --flip 8192'];
  static override args = { image: imageArg(), blkaddr: numberArg({ description: 'block address (4 KiB units)', required: true }) };
  static override flags = {
    pattern: Flags.string({ description: 'Byte to fill the block with (0..255, decimal or 0x hex).', exclusive: ['flip'] }),
    flip: Flags.string({ description: 'Bit to flip, 0..32767 (bit 0 is the low bit of byte 0).', exclusive: ['pattern'] }),
  };

  protected async invoke(): Promise<InjectResult> {
    const pattern = this.flags.pattern === undefined ? undefined : parseNumber(this.flags.pattern, 'pattern');
    if (pattern !== undefined && pattern > 255) fail('USAGE', `pattern ${pattern} is not a byte`);
    const flip = this.flags.flip === undefined ? undefined : parseNumber(this.flags.flip, 'bit');
    return zapBlock(this.openDevice({ write: true }), this.args.blkaddr, { pattern, flip });
  }

  protected override render(r: InjectResult): void {
    renderInjection((s) => this.out(s), r);
  }
}
