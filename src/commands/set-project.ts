// set-project IMAGE PATH ID: sets the inode's project id (chattr -p), moving its quota charge to the new project.

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, parseNumber } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { setProjectPath } from '../fs/quota.js';
import type { Volume } from '../fs/volume.js';

export interface SetProjectResult {
  path: string;
  ino: number;
  projid: number;
}

export default class SetProject extends MutatingCommand<typeof SetProject, SetProjectResult> {
  static override summary = 'Set the project id of an inode (chattr -p); its quota charge moves to the new project.';
  static override description = 'Needs the project_quota feature and an inode with an extra attribute area reaching i_projid, as Linux does.';
  static override examples = ['<%= config.bin %> set-project disk.img /srv/data 42'];
  static override args = {
    image: imageArg(),
    path: filespecArg('path (symlinks followed) or <ino>'),
    id: Args.string({ description: 'project id (32-bit number)', required: true }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof SetProject>): Promise<SetProjectResult> {
    const projid = parseNumber(args.id, 'project id');
    return { path: args.path, ino: setProjectPath(vol, args.path, projid), projid };
  }

  protected override render(r: SetProjectResult): void {
    this.out(`${r.path} (ino ${r.ino}): project ${r.projid}`);
  }
}
