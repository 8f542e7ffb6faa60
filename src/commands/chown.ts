// chown IMAGE UID[:GID] PATH: sets the owner and/or group (numeric).

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, parseOwner } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { setAttrPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface ChownResult {
  path: string;
  ino: number;
  /** Owner and group afterwards. */
  uid: number;
  gid: number;
}

export default class Chown extends MutatingCommand<typeof Chown, ChownResult> {
  static override summary = 'Set the owner (and group) of an inode: UID, UID:GID or :GID, numeric.';
  static override examples = ['<%= config.bin %> chown disk.img 1000:1000 /home/me', '<%= config.bin %> chown disk.img :100 /srv'];
  static override args = {
    image: imageArg(),
    owner: Args.string({ description: 'UID, UID:GID or :GID', required: true }),
    path: filespecArg('path (symlinks followed) or <ino>'),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Chown>): Promise<ChownResult> {
    const owner = parseOwner(args.owner);
    const ino = setAttrPath(vol, args.path, owner);
    const i = vol.inode(ino).inode;
    return { path: args.path, ino, uid: i.i_uid, gid: i.i_gid };
  }

  protected override render(r: ChownResult): void {
    this.out(`${r.path} (ino ${r.ino}): owner ${r.uid}:${r.gid}`);
  }
}
