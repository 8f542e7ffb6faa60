// get-cblocks IMAGE FILESPEC: blocks saved by compression (i_compr_blocks, as `f2fs_io get_cblocks`).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { resolveFile } from '../debugfs/filespec.js';
import { getCompressBlocks } from '../fs/cblocks.js';
import type { Volume } from '../fs/volume.js';

export interface GetCblocksResult {
  ino: number;
  /** i_compr_blocks (0 once released). */
  blocks: number;
}

export default class GetCblocks extends VolumeCommand<typeof GetCblocks, GetCblocksResult> {
  static override summary = "Show a compressed file's saved blocks (i_compr_blocks), as f2fs_io get_cblocks.";
  static override examples = ['<%= config.bin %> get-cblocks disk.img /data/log.txt'];
  static override args = { image: imageArg(), filespec: filespecArg('compressed file (path or <ino>)') };

  protected async execute(vol: Volume): Promise<GetCblocksResult> {
    const { ino } = resolveFile(vol, this.args.filespec, { follow: true });
    return { ino, blocks: getCompressBlocks(vol, ino) };
  }

  protected override render(r: GetCblocksResult): void {
    this.out(String(r.blocks));
  }
}
