// xattr-rm IMAGE PATH NAME: removes an extended attribute (ENODATA when there is none by that name).

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { xattrSetPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface XattrRmResult {
  path: string;
  ino: number;
  name: string;
}

export default class XattrRm extends MutatingCommand<typeof XattrRm, XattrRmResult> {
  static override summary = 'Remove an extended attribute.';
  static override examples = ['<%= config.bin %> xattr-rm disk.img /f user.comment'];
  static override args = {
    image: imageArg(),
    path: filespecArg('path (a symlink itself) or <ino>'),
    name: Args.string({ description: 'full name, e.g. user.comment', required: true }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof XattrRm>): Promise<XattrRmResult> {
    xattrSetPath(vol, args.path, args.name, null);
    return { path: args.path, ino: vol.resolve(args.path).ino, name: args.name };
  }

  protected override render(r: XattrRmResult): void {
    this.out(`${r.path} (ino ${r.ino}): removed ${r.name}`);
  }
}
