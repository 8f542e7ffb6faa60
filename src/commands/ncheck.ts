// ncheck IMAGE INO...: the paths naming each inode (all hard links), by a walk of the tree.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { ncheck } from '../debugfs/reverse.js';
import type { Volume } from '../fs/volume.js';

export interface NcheckResult {
  inodes: { ino: number; paths: string[] }[];
}

export default class Ncheck extends VolumeCommand<typeof Ncheck, NcheckResult> {
  static override summary = 'Find the paths of inode numbers (every hard link), as debugfs ncheck.';
  static override description = 'Walks the whole directory tree once; an inode no directory names has no paths (an orphan, or a corrupt tree).';
  static override examples = ['<%= config.bin %> ncheck disk.img 51 28', '<%= config.bin %> ncheck disk.img 51 --json'];
  static override args = { image: imageArg(), ino: numberArg({ description: 'inode numbers', required: true, multiple: true }) };

  protected async execute(vol: Volume): Promise<NcheckResult> {
    const list = this.args.ino as unknown as number[] | number;
    const inos = Array.isArray(list) ? list : [list];
    const found = ncheck(vol, inos);
    return { inodes: inos.map((ino) => ({ ino, paths: found.get(ino) ?? [] })) };
  }

  protected override render(r: NcheckResult): void {
    const rows = r.inodes.flatMap((i) => (i.paths.length ? i.paths.map((p) => [i.ino, p]) : [[i.ino, '(no path found)']]));
    this.out(columns(['ino', 'path'], rows, { alignRight: [0] }));
  }
}
