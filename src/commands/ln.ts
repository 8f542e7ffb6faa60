// ln IMAGE TARGET LINK: a hard link, another name for an existing non-directory.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, pathArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { link } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface LnResult {
  target: string;
  link: string;
  ino: number;
  /** i_links of the inode afterwards. */
  links: number;
}

export default class Ln extends MutatingCommand<typeof Ln, LnResult> {
  static override summary = 'Make a hard link: LINK becomes another name of the inode TARGET names.';
  static override examples = ['<%= config.bin %> ln disk.img /etc/hosts /etc/hosts.bak'];
  static override args = {
    image: imageArg(),
    target: filespecArg('existing file (path or <ino>); not a directory'),
    link: pathArg('new name'),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Ln>): Promise<LnResult> {
    const ino = link(vol, args.target, args.link);
    return { target: args.target, link: args.link, ino, links: vol.inode(ino).inode.i_links };
  }

  protected override render(r: LnResult): void {
    this.out(`linked ${r.link} -> ino ${r.ino} (${r.links} links)`);
  }
}
