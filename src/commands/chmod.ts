// chmod IMAGE MODE PATH: sets the permission bits (octal; the file type is kept).

import { Args } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, parseMode } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { setAttrPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface ChmodResult {
  path: string;
  ino: number;
  /** Permission bits set (a number; `modeOctal` is the same as text, e.g. "0755"). */
  mode: number;
  modeOctal: string;
}

export default class Chmod extends MutatingCommand<typeof Chmod, ChmodResult> {
  static override summary = 'Set the permission bits of an inode (octal MODE; setuid, setgid and sticky included).';
  static override examples = ['<%= config.bin %> chmod disk.img 755 /usr/bin/tool', '<%= config.bin %> chmod disk.img 1777 /tmp'];
  static override args = {
    image: imageArg(),
    mode: Args.string({ description: 'octal permission bits, e.g. 644 or 4755', required: true }),
    path: filespecArg('path (symlinks followed) or <ino>'),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Chmod>): Promise<ChmodResult> {
    const mode = parseMode(args.mode, 'MODE');
    const ino = setAttrPath(vol, args.path, { mode });
    return { path: args.path, ino, mode, modeOctal: mode.toString(8).padStart(4, '0') };
  }

  protected override render(r: ChmodResult): void {
    this.out(`${r.path} (ino ${r.ino}): mode ${r.modeOctal}`);
  }
}
