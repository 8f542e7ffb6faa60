// rmdir IMAGE PATH: removes an empty directory.

import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { pathArg } from '../cli/args.js';
import { remove } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface RmdirResult {
  path: string;
}

export default class Rmdir extends MutatingCommand<typeof Rmdir, RmdirResult> {
  static override summary = 'Remove an empty directory.';
  static override examples = ['<%= config.bin %> rmdir disk.img /srv/old'];
  static override args = { image: imageArg(), path: pathArg('empty directory to remove') };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Rmdir>): Promise<RmdirResult> {
    remove(vol, args.path, { dir: true });
    return { path: args.path };
  }

  protected override render(r: RmdirResult): void {
    this.out(`removed directory ${r.path}`);
  }
}
