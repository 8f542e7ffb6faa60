// set-flags IMAGE FILESPEC FLAGS: sets (+name) and clears (-name) inode flags with Linux's rules (FS_IOC_SETFLAGS).

import { Args, Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { applyCompressFlags, compressFlags } from '../cli/compress-flags.js';
import { resolveFile } from '../debugfs/filespec.js';
import { flagNames, parseFlagChanges, setFlags } from '../fs/flags.js';
import type { Volume } from '../fs/volume.js';

export interface SetFlagsResult {
  path: string;
  ino: number;
  flags: number;
  names: string[];
}

export default class SetFlags extends MutatingCommand<typeof SetFlags, SetFlagsResult> {
  static override summary = 'Set or clear inode flags: +compression on an empty file or a directory, +casefold on an empty directory, +immutable, ...';
  static override description =
    'FLAGS is a comma-separated list of names, each with + (set, the default) or - (clear). +compression needs the compression ' +
    'feature and a regular file without data blocks (inline data is converted first) or a directory; +casefold the casefold feature and an empty directory; the file takes the ' +
    '--compress-* options (default lz4, 4-block clusters), as Linux takes its mount options. A list starting with - goes after --.';
  static override examples = ['<%= config.bin %> set-flags disk.img /logs +compression --compress-algorithm zstd', '<%= config.bin %> set-flags disk.img /etc/keep +immutable', '<%= config.bin %> set-flags disk.img /empty -- -compression'];
  static override args = {
    image: imageArg(),
    filespec: filespecArg('path (symlinks followed) or <ino>'),
    flags: Args.string({ description: 'flags to set (+name or name) and clear (-name), comma separated', required: true }),
  };
  static override flags = {
    ...compressFlags,
    clear: Flags.boolean({ description: 'Clear the flags named without a sign (f2fs_io clearflags) instead of setting them.' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof SetFlags>, flags: CmdFlags<typeof SetFlags>): Promise<SetFlagsResult> {
    applyCompressFlags(vol, flags);
    const { ino } = resolveFile(vol, args.filespec, { follow: true });
    const f = setFlags(vol, ino, parseFlagChanges(args.flags, flags.clear));
    return { path: args.filespec, ino, flags: f, names: flagNames(f) };
  }

  protected override render(r: SetFlagsResult): void {
    this.out(`${r.path} (ino ${r.ino}): 0x${r.flags.toString(16)}  ${r.names.join(',') || 'none'}`);
  }
}
