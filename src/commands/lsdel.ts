// lsdel IMAGE: inodes deleted since their last copy was written, whose copies are still on disk (debugfs lsdel).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { columns } from '../cli/render.js';
import { lsdel, type CopySummary } from '../debugfs/history.js';
import type { Volume } from '../fs/volume.js';
import { COPY_HEAD, copyRows, indexWithProgress } from './history.js';

export interface LsdelResult {
  deleted: CopySummary[];
  scan: { blocksScanned: number; nodeBlocks: number; ms: number };
}

export default class Lsdel extends VolumeCommand<typeof Lsdel, LsdelResult> {
  static override summary = 'List deleted inodes whose last copy is still on disk, with how much of their content is intact.';
  static override description =
    'An inode is listed when its nid is free now (or names an inode of another generation) and a copy with links is still in the log. ' +
    '"blocks ok" counts data blocks nothing has been written over since (SIT and SSA checked); undel INO restores the content.';
  static override examples = ['<%= config.bin %> lsdel disk.img', '<%= config.bin %> lsdel disk.img --json'];
  static override args = { image: imageArg() };

  protected async execute(vol: Volume): Promise<LsdelResult> {
    const index = indexWithProgress(vol, this.progress('indexing node blocks'));
    return { deleted: lsdel(vol, index), scan: { blocksScanned: index.blocksScanned, nodeBlocks: index.nodeBlocks, ms: index.ms } };
  }

  protected override render(r: LsdelResult): void {
    if (r.deleted.length) this.out(columns(COPY_HEAD, copyRows(r.deleted), { alignRight: [0, 1, 2, 5, 6] }));
    this.out(`${r.deleted.length} deleted inodes found (scanned ${r.scan.blocksScanned} blocks, ${r.scan.nodeBlocks} node blocks, in ${r.scan.ms} ms)`);
  }
}
