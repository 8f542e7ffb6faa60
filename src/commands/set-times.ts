// set-times IMAGE PATH [--atime T] [--mtime T]: sets access and/or modification times (ctime becomes now, as utimes does).

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg, parseTime } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { inodeTime, timeText, type InodeTime } from '../debugfs/time.js';
import { F2fsError } from '../errors.js';
import { setAttrPath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';


export interface SetTimesResult {
  path: string;
  ino: number;
  /** The inode's times afterwards. */
  atime: InodeTime;
  mtime: InodeTime;
  ctime: InodeTime;
}

export default class SetTimes extends MutatingCommand<typeof SetTimes, SetTimesResult> {
  static override summary = 'Set the access and/or modification time of an inode (epoch seconds or ISO 8601); ctime becomes now.';
  static override examples = [
    '<%= config.bin %> set-times disk.img /etc/hosts --mtime 1700000000',
    '<%= config.bin %> set-times disk.img /etc/hosts --atime 2024-01-02T03:04:05Z --mtime 2024-01-02T03:04:05.123456789Z',
  ];
  static override args = { image: imageArg(), path: filespecArg('path (symlinks followed) or <ino>') };
  static override flags = {
    atime: Flags.string({ description: 'Access time: epoch seconds (fraction allowed) or ISO 8601.', helpValue: 'T' }),
    mtime: Flags.string({ description: 'Modification time: epoch seconds (fraction allowed) or ISO 8601.', helpValue: 'T' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof SetTimes>, flags: CmdFlags<typeof SetTimes>): Promise<SetTimesResult> {
    if (flags.atime === undefined && flags.mtime === undefined) throw new F2fsError('USAGE', 'give --atime and/or --mtime (touch sets both to now)');
    const atime = flags.atime === undefined ? undefined : parseTime(flags.atime, '--atime');
    const mtime = flags.mtime === undefined ? undefined : parseTime(flags.mtime, '--mtime');
    const ino = setAttrPath(vol, args.path, { atime, mtime });
    const { inode: i, page } = vol.inode(ino);
    return {
      path: args.path,
      ino,
      atime: inodeTime(page.raw, 'i_atime', i.i_atime_nsec),
      mtime: inodeTime(page.raw, 'i_mtime', i.i_mtime_nsec),
      ctime: inodeTime(page.raw, 'i_ctime', i.i_ctime_nsec),
    };
  }

  protected override render(r: SetTimesResult): void {
    const t = (x: InodeTime) => `${timeText(x)} (${x.iso ?? 'outside the representable date range'})`;
    this.out(`${r.path} (ino ${r.ino}): atime ${t(r.atime)}, mtime ${t(r.mtime)}`);
  }
}
