// set-flags IMAGE PATH CHANGE [--clear]: sets or clears inode flags by f2fs_io's names (casefold), as FS_IOC_SETFLAGS.

import { Args, Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { fail } from '../errors.js';
import { SETTABLE_FLAGS, type SettableFlag } from '../fs/flags.js';
import { bitNames } from '../fs/layout/constants.js';
import { FsFlag } from '../fs/layout/node.js';
import { setFlagsPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface SetFlagsResult {
  path: string;
  ino: number;
  /** i_flags afterwards, and their names. */
  flags: number;
  flagNames: string[];
}

/** "casefold,+a,-b" → bits to set and to clear (a bare name is set, or cleared with --clear). */
function parseChange(text: string, clearBare: boolean): { set: number; clear: number } {
  let set = 0;
  let clear = 0;
  for (const item of text.split(',')) {
    const m = /^([+-]?)([a-z_]+)$/.exec(item.trim());
    const bit = m && Object.hasOwn(SETTABLE_FLAGS, m[2]) ? SETTABLE_FLAGS[m[2] as SettableFlag] : undefined;
    if (!m || bit === undefined) fail('USAGE', `CHANGE "${item}": expected FLAG, +FLAG or -FLAG, FLAG one of ${Object.keys(SETTABLE_FLAGS).join(', ')}`);
    if (m![1] === '-' || (m![1] === '' && clearBare)) clear |= bit!;
    else set |= bit!;
  }
  return { set, clear };
}

export default class SetFlags extends MutatingCommand<typeof SetFlags, SetFlagsResult> {
  static override summary = 'Set or clear inode flags (+casefold on an empty directory), as f2fs_io setflags / chattr.';
  static override examples = ['<%= config.bin %> set-flags disk.img /Music +casefold', '<%= config.bin %> set-flags disk.img /Music casefold --clear --json'];
  static override args = {
    image: imageArg(),
    path: filespecArg('path (symlinks followed) or <ino>'),
    change: Args.string({ description: `comma-separated FLAG / +FLAG / -FLAG (${Object.keys(SETTABLE_FLAGS).join(', ')}); -FLAG after --`, required: true }),
  };
  static override flags = { clear: Flags.boolean({ description: 'Clear the named flags (f2fs_io clearflags) instead of setting them.' }) };

  protected async mutate(vol: Volume, args: CmdArgs<typeof SetFlags>): Promise<SetFlagsResult> {
    const { set, clear } = parseChange(args.change, this.flags.clear);
    const { ino, flags } = setFlagsPath(vol, args.path, set, clear);
    return { path: args.path, ino, flags, flagNames: bitNames(flags, FsFlag) };
  }

  protected override render(r: SetFlagsResult): void {
    this.out(`${r.path} (ino ${r.ino}): flags 0x${r.flags.toString(16)}${r.flagNames.length ? ` ${r.flagNames.join(' ')}` : ''}`);
  }
}
