// mv IMAGE SRC DST: renames within or across directories, over an existing name of the same kind, or into a directory.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, pathArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { move } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface MvResult {
  from: string;
  to: string;
  ino: number;
  /** A name that DST replaced, with its inode, or null. */
  replaced: number | null;
}

export default class Mv extends MutatingCommand<typeof Mv, MvResult> {
  static override summary = 'Rename or move a file or directory (replacing a file, or an empty directory, of the same kind).';
  static override description =
    'When DST is an existing directory and SRC is not a directory, SRC moves into it under its own name. A directory moves with its ' +
    'whole tree; it cannot move below itself.';
  static override examples = ['<%= config.bin %> mv disk.img /a.txt /b.txt', '<%= config.bin %> mv disk.img /a.txt /docs'];
  static override args = {
    image: imageArg(),
    src: filespecArg('existing name'),
    dst: pathArg('new name, or a directory to move into'),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Mv>): Promise<MvResult> {
    const ino = vol.resolve(args.src).ino;
    const existing = this.target(vol, args.dst, ino);
    move(vol, args.src, args.dst);
    return { from: args.src, to: existing.to, ino, replaced: existing.replaced };
  }

  /** Where SRC ends up and what it replaces (mirrors ops.move's choice: DST's last component is not followed). */
  private target(vol: Volume, dst: string, srcIno: number): { to: string; replaced: number | null } {
    const name = this.args.src.split('/').filter(Boolean).pop() ?? '';
    const lookup = (p: string): number | null => {
      try {
        return vol.resolve(p).ino;
      } catch {
        return null;
      }
    };
    const isDir = (ino: number) => (vol.inode(ino).inode.i_mode & 0o170000) === 0o040000;
    const other = (ino: number | null) => (ino === srcIno ? null : ino);
    if (!dst.split('/').some(Boolean)) return { to: `/${name}`, replaced: other(lookup(`/${name}`)) };
    const d = lookup(dst);
    if (d !== null && isDir(d) && !isDir(srcIno)) {
      const to = `${dst.replace(/\/+$/, '')}/${name}`;
      return { to, replaced: other(lookup(to)) };
    }
    return { to: dst, replaced: other(d) };
  }

  protected override render(r: MvResult): void {
    this.out(`renamed ${r.from} -> ${r.to}${r.replaced !== null ? ` (replaced ino ${r.replaced})` : ''}`);
  }
}
