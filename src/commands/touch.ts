// touch IMAGE PATH: creates an empty file, or sets the times of an existing one to now.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, pathExists, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { parseMode, pathArg } from '../cli/args.js';
import { touch, writePath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface TouchResult {
  path: string;
  ino: number;
  created: boolean;
}

export default class Touch extends MutatingCommand<typeof Touch, TouchResult> {
  static override summary = 'Create an empty file, or set the access and modification times of an existing one to now.';
  static override examples = ['<%= config.bin %> touch disk.img /var/log/empty'];
  static override args = { image: imageArg(), path: pathArg('file in the image') };
  static override flags = {
    mode: Flags.string({ description: 'Permission bits (octal) of a file this creates.', default: '644', helpValue: 'MODE' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Touch>, flags: CmdFlags<typeof Touch>): Promise<TouchResult> {
    const mode = parseMode(flags.mode, '--mode');
    const created = !pathExists(vol, args.path);
    const ino = created ? writePath(vol, args.path, Buffer.alloc(0), { mode }).ino : touch(vol, args.path);
    return { path: args.path, ino, created };
  }

  protected override render(r: TouchResult): void {
    this.out(`${r.created ? 'created' : 'touched'} ${r.path} (ino ${r.ino})`);
  }
}
