// xattr-get IMAGE FILESPEC NAME [--hex]: one extended attribute's value.

import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { hexdump } from '../cli/render.js';
import { fail } from '../errors.js';
import { resolveFile } from '../debugfs/filespec.js';
import type { Volume } from '../fs/volume.js';

export interface XattrGetResult {
  ino: number;
  name: string;
  size: number;
  /** The value (hex in JSON). */
  value: Buffer;
}

export default class XattrGet extends VolumeCommand<typeof XattrGet, XattrGetResult> {
  static override summary = 'Print the value of one extended attribute.';
  static override description = 'NAME is the full name (user.foo). The value prints as text; --hex gives a hexdump. ENODATA when absent.';
  static override examples = ['<%= config.bin %> xattr-get disk.img /xattr/small user.color', '<%= config.bin %> xattr-get disk.img /f security.capability --hex'];
  static override args = { image: imageArg(), filespec: filespecArg(), name: Args.string({ description: 'attribute name, e.g. user.foo', required: true }) };
  static override flags = { hex: Flags.boolean({ description: 'Hexdump the value.' }) };

  protected async execute(vol: Volume): Promise<XattrGetResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: false });
    const x = vol.xattrs(info).find((a) => a.name === this.args.name);
    if (!x) return fail('ENODATA', `${this.args.filespec} has no attribute ${this.args.name}`, { ino, name: this.args.name });
    return { ino, name: x.name, size: x.value.length, value: x.value };
  }

  protected override render(r: XattrGetResult): void {
    if (this.flags.hex) {
      if (r.size) this.out(hexdump(r.value));
      return;
    }
    this.out(r.value.toString('utf8'));
  }
}
