// xattr-list IMAGE FILESPEC: extended attribute names, sizes and values (inline area and xattr node).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { resolveFile } from '../debugfs/filespec.js';
import { decodedXattr } from '../debugfs/inode.js';
import type { Volume } from '../fs/volume.js';
import { xattrValueText } from './stat.js';

export interface XattrListResult {
  ino: number;
  /** `decoded`: the fscrypt context (encryption.c) or the verity descriptor location (verity.v). */
  xattrs: { name: string; index: number; size: number; value: Buffer; decoded?: Record<string, unknown> }[];
}

export default class XattrList extends VolumeCommand<typeof XattrList, XattrListResult> {
  static override summary = 'List the extended attributes of an inode with their sizes and values.';
  static override description = 'FILESPEC is a path or <ino> (a symlink itself). Values print as text when printable, else hex; --json gives them as hex.';
  static override examples = ['<%= config.bin %> xattr-list disk.img /xattr/small'];
  static override args = { image: imageArg(), filespec: filespecArg() };

  protected async execute(vol: Volume): Promise<XattrListResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: false });
    return {
      ino,
      xattrs: vol.xattrs(info).map((x) => {
        const decoded = decodedXattr(x);
        return { name: x.name, index: x.index, size: x.value.length, value: x.value, ...(decoded ? { decoded } : {}) };
      }),
    };
  }

  protected override render(r: XattrListResult): void {
    if (!r.xattrs.length) {
      this.out('(no extended attributes)');
      return;
    }
    const short = (v: Buffer) => {
      const t = xattrValueText(v);
      return t.length > 64 ? `${t.slice(0, 61)}...` : t;
    };
    const text = (x: XattrListResult['xattrs'][number]) =>
      x.decoded ? Object.entries(x.decoded).map(([k, v]) => `${k}=${typeof v === 'number' ? v : String(v)}`).join(' ') : short(x.value);
    this.out(columns(['name', 'size', 'value'], r.xattrs.map((x) => [x.name, x.size, text(x)]), { alignRight: [1] }));
  }
}
