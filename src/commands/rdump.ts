// rdump IMAGE PATH HOSTDIR: copy a directory tree out of the image (dirs, files, symlinks, modes, times).

import path from 'node:path';
import { Args } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { humanSize } from '../cli/render.js';
import { rdump, treeEntries, type RdumpProgress, type RdumpStats } from '../debugfs/extract.js';
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
    'Writes HOSTDIR/<last name of PATH> (the root, or an <ino>, goes into HOSTDIR itself), made as needed. Regular files (sparse), symlinks and directories are recreated with their modes and times; hard links become copies; device nodes, fifos and sockets are skipped and listed. Progress is shown on a terminal.';
  static override examples = ['<%= config.bin %> rdump disk.img /etc ./out', '<%= config.bin %> rdump disk.img / ./whole-image'];
  static override args = {
    image: imageArg(),
    path: filespecArg('directory (or file) in the image, or <ino>'),
    hostdir: Args.string({ description: 'host directory to write into', required: true }),
  };

  protected async execute(vol: Volume): Promise<RdumpResult> {
    const r = resolveFile(vol, this.args.path, { follow: false });
    const name = r.name;
    const dest = name && r.ino !== vol.sb.root_ino ? path.join(this.args.hostdir, name) : this.args.hostdir;
    const srcPath = parseInoSpec(this.args.path) === null ? `/${splitPath(this.args.path).join('/')}` : `<${r.ino}>`;
    const bar = this.progress('dumping');
    try {
      const total = bar ? treeEntries(vol, r.ino) : 0;
      const progress = bar && ((p: RdumpProgress) => bar.update(p.entries, total, `${p.path}, ${humanSize(p.bytes)} written`));
      return { ino: r.ino, dest, ...rdump(vol, r.ino, dest, { srcPath, progress }) };
    } finally {
      bar?.end();
    }
  }

  protected override render(r: RdumpResult): void {
    this.out(`${r.dest}: ${r.dirs} directories, ${r.files} files (${humanSize(r.bytes)}), ${r.symlinks} symlinks`);
    for (const s of r.skipped) this.out(`skipped ${s.path}: ${s.why}`);
  }
}
