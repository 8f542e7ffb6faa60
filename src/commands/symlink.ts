// symlink IMAGE TARGET LINK: a symbolic link LINK whose content is TARGET (not checked: it may dangle).

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { pathArg } from '../cli/args.js';
import { symlink } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface SymlinkResult {
  target: string;
  link: string;
  ino: number;
}

export default class Symlink extends MutatingCommand<typeof Symlink, SymlinkResult> {
  static override summary = 'Make a symbolic link LINK pointing at TARGET (any text under 4096 bytes; it may dangle).';
  static override examples = ['<%= config.bin %> symlink disk.img ../lib/libc.so.6 /lib64/libc.so.6'];
  static override args = {
    image: imageArg(),
    target: Args.string({ description: 'what the link points at, stored as given', required: true }),
    link: pathArg('new name'),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Symlink>): Promise<SymlinkResult> {
    return { target: args.target, link: args.link, ino: symlink(vol, args.target, args.link) };
  }

  protected override render(r: SymlinkResult): void {
    this.out(`created symlink ${r.link} -> ${r.target} (ino ${r.ino})`);
  }
}
