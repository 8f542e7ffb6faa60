// unsparse IMAGE OUT: the raw content of an Android sparse image, as simg2img writes it.

import { Args } from '@oclif/core';
import { F2fsCommand, type CmdArgs } from '../cli/base.js';
import { F2fsError } from '../errors.js';
import { expandSparseImage } from '../device/index.js';
import { renderConversion, type SparseResult } from './sparse.js';

export default class Unsparse extends F2fsCommand<typeof Unsparse, SparseResult> {
  static override summary = 'Expand an Android sparse image to a raw image (like simg2img).';
  static override description =
    'DONT_CARE chunks and zero FILL chunks become holes in OUT; unlike simg2img, CRC32 chunks are checked (a mismatch is CORRUPT). ' +
    'OUT is replaced atomically.';
  static override examples = ['<%= config.bin %> unsparse system.simg system.img'];
  static override args = {
    image: Args.string({ description: 'Android sparse image', required: true }),
    out: Args.string({ description: 'raw image file to write', required: true }),
  };

  protected async invoke(args: CmdArgs<typeof Unsparse>): Promise<SparseResult> {
    if (this.ctx?.vol) throw new F2fsError('USAGE', 'unsparse cannot run on an open volume');
    return { image: args.image, out: args.out, ...expandSparseImage(args.image, args.out) };
  }

  protected override render(r: SparseResult): void {
    this.out(renderConversion(r));
  }
}
