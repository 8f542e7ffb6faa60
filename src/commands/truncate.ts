// truncate IMAGE PATH SIZE: sets a file's size, freeing blocks past it or extending it with a hole.

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, parseSize } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { truncatePath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface TruncateResult {
  path: string;
  ino: number;
  oldSize: number;
  size: number;
}

export default class Truncate extends MutatingCommand<typeof Truncate, TruncateResult> {
  static override summary = 'Set the size of a file: shrinking frees the blocks past the end, growing leaves a hole.';
  static override examples = ['<%= config.bin %> truncate disk.img /var/log/big 0', '<%= config.bin %> truncate disk.img /img.raw 1G'];
  static override args = {
    image: imageArg(),
    path: filespecArg('regular file (path or <ino>)'),
    size: Args.string({ description: 'new size in bytes (K, M, G, T suffixes)', required: true }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Truncate>): Promise<TruncateResult> {
    const size = parseSize(args.size, 'SIZE');
    const ino = vol.resolve(args.path, { follow: true }).ino;
    const oldSize = vol.inode(ino).inode.i_size;
    truncatePath(vol, args.path, size);
    return { path: args.path, ino, oldSize, size: vol.inode(ino).inode.i_size };
  }

  protected override render(r: TruncateResult): void {
    this.out(`${r.path} (ino ${r.ino}): size ${r.oldSize} -> ${r.size}`);
  }
}
