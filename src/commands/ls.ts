// ls IMAGE [PATH] [-l]: directory entries in storage order, with inode numbers; -l adds mode, links, owner, size, mtime.

import { shortTime } from '../debugfs/time.js';
import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { inImage } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { isDir } from '../fs/inode.js';
import { isCasefolded } from '../fs/hash.js';
import { resolveFile } from '../debugfs/filespec.js';
import { ls, lsSelf, type LsEntry } from '../debugfs/inode.js';
import type { Volume } from '../fs/volume.js';

export interface LsResult {
  path: string;
  /** Inode listed (the directory, or the file itself). */
  ino: number;
  directory: boolean;
  /** The directory folds names (+F on a casefold image): lookups in it are case-insensitive. */
  casefolded: boolean;
  entries: LsEntry[];
}


export default class Ls extends VolumeCommand<typeof Ls, LsResult> {
  static override summary = 'List a directory: inode number, type and name of each entry (-l: like ls -l).';
  static override description =
    "PATH (default /, or the current directory in a shell or script) is a path in the image or <ino>; symlinks on the way and at the end are followed. Entries come in storage order, '.' and '..' included; a non-directory lists itself.";
  static override examples = ['<%= config.bin %> ls disk.img', '<%= config.bin %> ls disk.img /etc -l', '<%= config.bin %> ls disk.img "<3>" --json'];
  static override args = { image: imageArg(), path: inImage(Args.string({ description: 'directory (path or <ino>)', default: '/' })) };
  static override flags = { long: Flags.boolean({ char: 'l', description: 'Long listing: mode, links, uid, gid, size, mtime (and symlink targets).' }) };

  protected async execute(vol: Volume): Promise<LsResult> {
    const path = this.args.path;
    const { ino, info, name } = resolveFile(vol, path, { follow: true });
    if (isDir(info.inode.i_mode)) return { path, ino, directory: true, casefolded: isCasefolded(vol.sb, info), entries: ls(vol, info, this.flags.long) };
    return { path, ino, directory: false, casefolded: false, entries: [lsSelf(vol, info, name ?? path, this.flags.long)] };
  }

  protected override render(r: LsResult): void {
    if (r.casefolded) this.out(`${r.path}: casefolded (names match case-insensitively)`);
    if (!this.flags.long) {
      this.out(columns(null, r.entries.map((e) => [e.ino, e.fileType, e.name]), { alignRight: [0] }));
      return;
    }
    const rows = r.entries.map((e) => [e.ino, e.modeString, e.links, e.uid, e.gid, e.device ? `${e.device.major}, ${e.device.minor}` : e.size, e.mtime === undefined ? '' : shortTime(e.mtime), e.target === undefined ? e.name : `${e.name} -> ${e.target}`]);
    this.out(columns(null, rows, { alignRight: [0, 2, 3, 4, 5] }));
  }
}
