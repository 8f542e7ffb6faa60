// get-flags IMAGE FILESPEC: the inode flags by name (FS_IOC_GETFLAGS, as `f2fs_io getflags`).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { resolveFile } from '../debugfs/filespec.js';
import { flagNames } from '../fs/flags.js';
import type { Volume } from '../fs/volume.js';

export interface GetFlagsResult {
  ino: number;
  /** i_flags. */
  flags: number;
  names: string[];
}

export default class GetFlags extends VolumeCommand<typeof GetFlags, GetFlagsResult> {
  static override summary = 'Show the inode flags (compression, nocompression, immutable, append, casefold, ...), as f2fs_io getflags.';
  static override examples = ['<%= config.bin %> get-flags disk.img /data/log.txt'];
  static override args = { image: imageArg(), filespec: filespecArg('path (symlinks followed) or <ino>') };

  protected async execute(vol: Volume): Promise<GetFlagsResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: true });
    return { ino, flags: info.inode.i_flags, names: flagNames(info.inode.i_flags) };
  }

  protected override render(r: GetFlagsResult): void {
    this.out(`0x${r.flags.toString(16)}  ${r.names.join(',') || 'none'}`);
  }
}
