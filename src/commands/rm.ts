// rm IMAGE PATH [-r]: removes a name (a file's last name frees it); -r removes a directory tree.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { pathArg } from '../cli/args.js';
import { remove } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface RmResult {
  path: string;
  /** Names removed (1 for a file; with -r, every entry of the tree and the directory itself). */
  removed: number;
}

export default class Rm extends MutatingCommand<typeof Rm, RmResult> {
  static override summary = 'Remove a file, a symlink or a special file; with -r, a directory and everything below it.';
  static override examples = ['<%= config.bin %> rm disk.img /tmp/x', '<%= config.bin %> rm disk.img /srv/cache -r'];
  static override args = { image: imageArg(), path: pathArg('name to remove (a symlink itself, not its target)') };
  static override flags = {
    recursive: Flags.boolean({ char: 'r', description: 'Remove a directory and its whole tree.' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Rm>, flags: CmdFlags<typeof Rm>): Promise<RmResult> {
    return { path: args.path, removed: remove(vol, args.path, { recursive: flags.recursive }) };
  }

  protected override render(r: RmResult): void {
    this.out(`removed ${r.path}${r.removed > 1 ? ` (${r.removed} names)` : ''}`);
  }
}
