// compress-stats IMAGE FILESPEC: a compressed file's clusters: compressed (blocks, clen, reserved slots) or plain.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { compressStats, type CompressStats } from '../debugfs/clusters.js';
import { resolveFile } from '../debugfs/filespec.js';
import type { Volume } from '../fs/volume.js';

export default class CompressStatsCmd extends VolumeCommand<typeof CompressStatsCmd, CompressStats> {
  static override summary = "List a compressed file's clusters: compressed (its blocks, clen, reserved slots) or plain, and the blocks saved.";
  static override examples = ['<%= config.bin %> compress-stats disk.img /data/log.txt'];
  static override args = { image: imageArg(), filespec: filespecArg('compressed file (path or <ino>)') };

  protected async execute(vol: Volume): Promise<CompressStats> {
    const { info } = resolveFile(vol, this.args.filespec, { follow: true });
    return compressStats(vol, info);
  }

  protected override render(r: CompressStats): void {
    const c = r.compression;
    this.out(
      `inode ${r.ino}: ${c.algorithmName}${c.level ? `:${c.level}` : ''}, clusters of ${c.clusterSize} blocks${c.chksum ? ', checksummed' : ''}; ` +
        `${r.compressed} compressed and ${r.plain} plain clusters, ${r.saved} blocks saved, i_compr_blocks ${c.comprBlocks}${c.released ? ' (released)' : ''}`,
    );
    if (r.clusters.length)
      this.out(columns(['cluster', 'file blocks', 'state', 'blocks', 'clen', 'reserved'], r.clusters.map((x) => [x.index, `${x.bidx}..${x.bidx + c.clusterSize - 1}`, x.state, x.blocks, x.clen ?? '-', x.reserved]), { alignRight: [0, 3, 4, 5] }));
  }
}
