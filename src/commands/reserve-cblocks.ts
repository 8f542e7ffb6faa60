// reserve-cblocks IMAGE FILESPEC: F2FS_IOC_RESERVE_COMPRESS_BLOCKS on a compressed file.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { resolveFile } from '../debugfs/filespec.js';
import { reserveCompressBlocks } from '../fs/cblocks.js';
import type { Volume } from '../fs/volume.js';

export interface ReserveCblocksResult {
  path: string;
  ino: number;
  /** Blocks reserved. */
  blocks: number;
}

export default class ReserveCblocks extends MutatingCommand<typeof ReserveCblocks, ReserveCblocksResult> {
  static override summary = "Charge a released compressed file's saved blocks again (f2fs_io reserve_cblocks), making it writable.";
  static override examples = ['<%= config.bin %> reserve-cblocks disk.img /data/log.txt'];
  static override args = { image: imageArg(), filespec: filespecArg('compressed file (path or <ino>)') };

  protected async mutate(vol: Volume, args: CmdArgs<typeof ReserveCblocks>): Promise<ReserveCblocksResult> {
    const { ino } = resolveFile(vol, args.filespec, { follow: true });
    return { path: args.filespec, ino, blocks: reserveCompressBlocks(vol, ino) };
  }

  protected override render(r: ReserveCblocksResult): void {
    this.out(`${r.path} (ino ${r.ino}): ${r.blocks} blocks reserved`);
  }
}
