// rdump IMAGE PATH HOSTDIR: copy a directory tree out of the image (dirs, files, symlinks, modes, times).

import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { humanSize } from '../cli/render.js';
import { treeEntries } from '../debugfs/extract.js';
import { rdump, type RdumpProgress, type RdumpStats } from '../debugfs/rdump.js';
import { resolveFile } from '../debugfs/filespec.js';
import { parseInoSpec, splitPath } from '../fs/namei.js';
import type { Volume } from '../fs/volume.js';

export interface RdumpResult extends RdumpStats {
  ino: number;
  /** Where the tree was written: HOSTDIR/<name of PATH>, or HOSTDIR itself for /. */
  dest: string;
}

export default class Rdump extends VolumeCommand<typeof Rdump, RdumpResult> {
  static override summary = 'Copy a directory tree from the image to a host directory.';
  static override description =
    "Writes HOSTDIR/<last name of PATH> (the root, or an <ino>, goes into HOSTDIR itself), made as needed. Directories, regular files (sparse), symlinks, fifos, sockets and device nodes are recreated with their modes and times (owners too when run as root), as tar -x does; a special file the host refuses, and an encrypted file without its --key, are listed and skipped. Hard links become copies. Every host entry is created new: nothing is written through a symlink or into an existing entry below HOSTDIR. Damaged entries (a name twice in one directory, '.', '..', '/' or NUL in a name, a directory cycle, an unreadable inode) stop the dump, or are listed and skipped with --keep-going. Progress is shown on a terminal.";
  static override examples = ['<%= config.bin %> rdump disk.img /etc ./out', '<%= config.bin %> rdump disk.img / ./whole-image'];
  static override args = {
    image: imageArg(),
    path: filespecArg('directory (or file) in the image, or <ino>'),
    hostdir: Args.string({ description: 'host directory to write into', required: true }),
  };
  static override flags = { 'keep-going': Flags.boolean({ description: 'Skip damaged entries (listed) instead of stopping at the first.' }) };

  protected async execute(vol: Volume): Promise<RdumpResult> {
    const r = resolveFile(vol, this.args.path, { follow: false });
    const name = r.name;
    const dest = name && r.ino !== vol.sb.root_ino ? path.join(this.args.hostdir, name) : this.args.hostdir;
    const srcPath = parseInoSpec(this.args.path) === null ? `/${splitPath(this.args.path).join('/')}` : `<${r.ino}>`;
    const bar = this.progress('dumping');
    try {
      const total = bar ? treeEntries(vol, r.ino) : 0;
      const progress = bar && ((p: RdumpProgress) => bar.update(p.entries, total, `${p.path}, ${humanSize(p.bytes)} written`));
      return { ino: r.ino, dest, ...rdump(vol, r.ino, dest, { srcPath, progress, keepGoing: this.flags['keep-going'] }) };
    } finally {
      bar?.end();
    }
  }

  protected override render(r: RdumpResult): void {
    this.out(`${r.dest}: ${r.dirs} directories, ${r.files} files (${humanSize(r.bytes)}), ${r.symlinks} symlinks, ${r.special} special files${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`);
    for (const s of r.skipped) this.out(`skipped ${s.path}: ${s.why}`);
    for (const w of r.warnings) this.note(`warning: ${w}`);
  }
}
