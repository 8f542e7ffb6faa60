// xattr-set IMAGE PATH NAME VALUE [--hex]: sets an extended attribute (inline area first, then the xattr node).

import { Args, Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { F2fsError } from '../errors.js';
import { xattrSetPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface XattrSetResult {
  path: string;
  ino: number;
  name: string;
  /** Value length in bytes. */
  size: number;
  /** i_xattr_nid afterwards: 0 while every xattr fits the inline area. */
  xattrNid: number;
}

export default class XattrSet extends MutatingCommand<typeof XattrSet, XattrSetResult> {
  static override summary = 'Set an extended attribute (user., trusted., security., system.posix_acl_*; system.advise sets i_advise), replacing any old value.';
  static override examples = ['<%= config.bin %> xattr-set disk.img /f user.comment "hello"', '<%= config.bin %> xattr-set disk.img /f user.blob 00ff10 --hex'];
  static override args = {
    image: imageArg(),
    path: filespecArg('path (a symlink itself) or <ino>'),
    name: Args.string({ description: 'full name, e.g. user.comment', required: true }),
    value: Args.string({ description: 'value (UTF-8 text, or hex with --hex)', required: true }),
  };
  static override flags = {
    hex: Flags.boolean({ description: 'VALUE is hexadecimal bytes (e.g. 00ff10).' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof XattrSet>, flags: CmdFlags<typeof XattrSet>): Promise<XattrSetResult> {
    let value: Buffer;
    if (flags.hex) {
      const hex = args.value.replace(/^0x/i, '');
      if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new F2fsError('USAGE', `VALUE: '${args.value}' is not hex bytes (an even number of 0-9a-f digits)`);
      value = Buffer.from(hex, 'hex');
    } else value = Buffer.from(args.value, 'utf8');
    xattrSetPath(vol, args.path, args.name, value);
    const ino = vol.resolve(args.path).ino;
    return { path: args.path, ino, name: args.name, size: value.length, xattrNid: vol.inode(ino).inode.i_xattr_nid };
  }

  protected override render(r: XattrSetResult): void {
    this.out(`${r.path} (ino ${r.ino}): set ${r.name} (${r.size} bytes)${r.xattrNid ? `, xattr node ${r.xattrNid}` : ''}`);
  }
}
