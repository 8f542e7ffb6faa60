// orphans IMAGE: the orphan inodes recorded in the checkpoint (deleted at the next recovery or Linux mount).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { table } from '../cli/render.js';
import { sessions } from '../fs/atomic.js';
import type { Volume } from '../fs/volume.js';

interface OrphansResult {
  orphans: { ino: number; links: number; size: number; blocks: number; atomicFor: number | null }[];
}

export default class Orphans extends VolumeCommand<typeof Orphans, OrphansResult> {
  static override summary = 'List the orphan inodes of the checkpoint (unlinked but still referenced, e.g. atomic-write staging inodes).';
  static override examples = ['<%= config.bin %> orphans disk.img'];
  static override args = { image: imageArg() };

  protected async execute(vol: Volume): Promise<OrphansResult> {
    const cow = new Map(sessions(vol).map((s) => [s.cow, s.ino]));
    return {
      orphans: vol.orphanList().map((ino) => {
        const i = vol.inode(ino).inode;
        return { ino, links: i.i_links, size: i.i_size, blocks: i.i_blocks, atomicFor: cow.get(ino) ?? null };
      }),
    };
  }

  protected override render(r: OrphansResult): void {
    if (!r.orphans.length) this.out('no orphan inodes');
    else this.out(table(['ino', 'links', 'size', 'i_blocks', 'atomic write of'], r.orphans.map((o) => [o.ino, o.links, o.size, o.blocks, o.atomicFor ?? '-'])));
  }
}
