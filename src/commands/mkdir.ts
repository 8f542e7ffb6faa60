// mkdir IMAGE PATH [-p] [--mode]: creates a directory (with -p: its missing parents too, and no error if it exists).

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, pathExists, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { parseMode, pathArg } from '../cli/args.js';
import { F2fsError } from '../errors.js';
import { isDir } from '../fs/inode.js';
import { mkdir } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface MkdirResult {
  path: string;
  ino: number;
  /** False with -p when the directory was already there. */
  created: boolean;
}

export default class Mkdir extends MutatingCommand<typeof Mkdir, MkdirResult> {
  static override summary = 'Create a directory.';
  static override examples = ['<%= config.bin %> mkdir disk.img /srv', '<%= config.bin %> mkdir disk.img /a/b/c -p --mode 700'];
  static override args = { image: imageArg(), path: pathArg('directory to create') };
  static override flags = {
    parents: Flags.boolean({ char: 'p', description: 'Create missing parents too; no error if the directory exists.' }),
    mode: Flags.string({ description: 'Permission bits (octal) of the directories created.', default: '755', helpValue: 'MODE' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Mkdir>, flags: CmdFlags<typeof Mkdir>): Promise<MkdirResult> {
    const mode = parseMode(flags.mode, '--mode');
    let created = true;
    if (flags.parents && pathExists(vol, args.path)) {
      const ino = vol.resolve(args.path, { follow: true }).ino;
      if (!isDir(vol.inode(ino).inode.i_mode)) throw new F2fsError('EEXIST', `${args.path} exists and is not a directory`);
      created = false;
    }
    const ino = mkdir(vol, args.path, { parents: flags.parents, mode });
    return { path: args.path, ino, created };
  }

  protected override render(r: MkdirResult): void {
    this.out(r.created ? `created directory ${r.path} (ino ${r.ino})` : `${r.path} exists (ino ${r.ino})`);
  }
}
