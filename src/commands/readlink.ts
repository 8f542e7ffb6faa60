// readlink IMAGE FILESPEC: a symbolic link's target.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { resolveFile } from '../debugfs/filespec.js';
import type { Volume } from '../fs/volume.js';

export interface ReadlinkResult {
  ino: number;
  target: string;
}

export default class Readlink extends VolumeCommand<typeof Readlink, ReadlinkResult> {
  static override summary = "Print a symbolic link's target.";
  static override description = 'FILESPEC is the link itself (a path or <ino>); EINVAL when it is not a symlink.';
  static override examples = ['<%= config.bin %> readlink disk.img /links/short'];
  static override args = { image: imageArg(), filespec: filespecArg('symbolic link (path or <ino>)') };

  protected async execute(vol: Volume): Promise<ReadlinkResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: false });
    return { ino, target: vol.readlink(info).toString() };
  }

  protected override render(r: ReadlinkResult): void {
    this.out(r.target);
  }
}
