// release-cblocks IMAGE FILESPEC: F2FS_IOC_RELEASE_COMPRESS_BLOCKS on a compressed file.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { resolveFile } from '../debugfs/filespec.js';
import { releaseCompressBlocks } from '../fs/cblocks.js';
import type { Volume } from '../fs/volume.js';

export interface ReleaseCblocksResult {
  path: string;
  ino: number;
  /** Blocks released. */
  blocks: number;
}

export default class ReleaseCblocks extends MutatingCommand<typeof ReleaseCblocks, ReleaseCblocksResult> {
  static override summary = 'Give the blocks compression saved back to the volume (f2fs_io release_cblocks); the file then takes no writes until reserve-cblocks.';
  static override examples = ['<%= config.bin %> release-cblocks disk.img /data/log.txt'];
  static override args = { image: imageArg(), filespec: filespecArg('compressed file (path or <ino>)') };

  protected async mutate(vol: Volume, args: CmdArgs<typeof ReleaseCblocks>): Promise<ReleaseCblocksResult> {
    const { ino } = resolveFile(vol, args.filespec, { follow: true });
    return { path: args.filespec, ino, blocks: releaseCompressBlocks(vol, ino) };
  }

  protected override render(r: ReleaseCblocksResult): void {
    this.out(`${r.path} (ino ${r.ino}): ${r.blocks} blocks released`);
  }
}
