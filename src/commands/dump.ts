// dump IMAGE FILESPEC HOSTFILE [-p]: copy one file out of the image to the host (holes stay sparse).

import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { humanSize } from '../cli/render.js';
import { dumpToHost, preserveMeta, requireContent } from '../debugfs/extract.js';
import { resolveFile } from '../debugfs/filespec.js';
import type { Volume } from '../fs/volume.js';

export interface DumpResult {
  ino: number;
  hostPath: string;
  bytes: number;
}

export default class Dump extends VolumeCommand<typeof Dump, DumpResult> {
  static override summary = 'Copy a file from the image to a host file.';
  static override description = 'FILESPEC is a path or <ino>; symlinks are followed. Holes are left sparse. -p also copies the mode bits and the times.';
  static override examples = ['<%= config.bin %> dump disk.img /etc/passwd ./passwd', '<%= config.bin %> dump disk.img "<28>" big.bin -p'];
  static override args = { image: imageArg(), filespec: filespecArg(), hostfile: Args.string({ description: 'host file to write', required: true }) };
  static override flags = { preserve: Flags.boolean({ char: 'p', description: 'Set the host file mode and atime/mtime from the inode.' }) };

  protected async execute(vol: Volume): Promise<DumpResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: true });
    requireContent(info, this.args.filespec);
    const bytes = dumpToHost(vol, info, this.args.hostfile);
    if (this.flags.preserve) for (const w of preserveMeta(this.args.hostfile, info)) this.note(`warning: ${w}`);
    return { ino, hostPath: this.args.hostfile, bytes };
  }

  protected override render(r: DumpResult): void {
    this.out(`wrote ${r.bytes} bytes (${humanSize(r.bytes)}) of inode ${r.ino} to ${r.hostPath}`);
  }
}
