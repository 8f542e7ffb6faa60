// sparse IMAGE OUT: the image as an Android sparse image, as img2simg writes it.

import { Args } from '@oclif/core';
import { F2fsCommand, imageArg, type CmdArgs } from '../cli/base.js';
import { kv } from '../cli/render.js';
import { F2fsError } from '../errors.js';
import { writeSparseImage, type SparseConversion } from '../device/index.js';

export interface SparseResult extends SparseConversion {
  image: string;
  out: string;
}

export default class Sparse extends F2fsCommand<typeof Sparse, SparseResult> {
  static override summary = 'Write the image as an Android sparse image (like img2simg).';
  static override description =
    'Block for block as img2simg (libsparse, 4096-byte blocks) writes it: a block of one repeated 32-bit word becomes a FILL chunk, ' +
    'any other a RAW chunk, adjacent chunks of a kind merged. A sparse IMAGE is read as its raw content. OUT is replaced atomically.';
  static override examples = ['<%= config.bin %> sparse disk.img disk.simg'];
  static override args = {
    image: imageArg(),
    out: Args.string({ description: 'sparse image file to write', required: true }),
  };

  protected async invoke(args: CmdArgs<typeof Sparse>): Promise<SparseResult> {
    if (this.ctx?.vol) throw new F2fsError('USAGE', 'sparse cannot run on an open volume');
    return { image: args.image, out: args.out, ...writeSparseImage(this.openDevice({ write: false }), args.out) };
  }

  protected override render(r: SparseResult): void {
    this.out(renderConversion(r));
  }
}

/** What sparse and unsparse print: the file written, its blocks, the chunks of the sparse side and the bytes written. */
export function renderConversion(r: SparseResult): string {
  return kv([
    ['wrote', r.out],
    ['blocks', r.blocks],
    ['chunks', `${r.chunks.raw} raw, ${r.chunks.fill} fill, ${r.chunks.dontCare} dont-care, ${r.chunks.crc32} crc32`],
    ['bytes', r.bytes],
  ]);
}
