// fsync IMAGE PATH: the file's data, then its dnodes into the warm-node log with fsync marks — or a checkpoint where Linux takes one.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { fsyncFile, type FsyncResult } from '../fs/file.js';
import type { Volume } from '../fs/volume.js';

export default class Fsync extends MutatingCommand<typeof Fsync, FsyncResult & { path: string }> {
  static override summary = 'fsync a file as Linux 6.1 does: data, then its dnodes with FSYNC (and DENT) marks, no checkpoint.';
  static override description =
    'Linux falls back to a full checkpoint for non-regular files, hard-linked files, files whose parent is unknown (after a rename) and files in a directory not yet checkpointed; so does this command. Use --sync none to stop right after the fsync, as a power cut would: the file then survives only through roll-forward recovery (see `log` and `recover`).';
  static override examples = ['<%= config.bin %> fsync disk.img /data/app.db --sync none', '<%= config.bin %> fsync disk.img /data/app.db --sync none --trace-io'];
  static override args = { image: imageArg(), path: filespecArg('file to fsync (path or <ino>)') };
  /** One-shot default: stop right after the fsync (a checkpoint afterwards would make it pointless). */
  static override defaultSync = 'none' as const;
  static override flags = { atomic: Flags.boolean({ description: 'mark only the last dnode (the atomic-commit variant)' }) };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Fsync>, flags: CmdFlags<typeof Fsync>) {
    const ino = vol.resolve(args.path, { follow: true }).ino;
    return { path: args.path, ...fsyncFile(vol, ino, { atomic: flags.atomic }) };
  }

  protected override render(r: FsyncResult & { path: string }): void {
    if (r.method === 'checkpoint') this.out(`${r.path} (ino ${r.ino}): fell back to a checkpoint (${r.reason})`);
    else if (r.nodes.length === 0) this.out(`${r.path} (ino ${r.ino}): nothing to write: no node changed since the last checkpoint or fsync`);
    else this.out(`${r.path} (ino ${r.ino}): ${r.nodes.length} node block(s) written with fsync marks at ${r.nodes.join(', ')}`);
  }

}
