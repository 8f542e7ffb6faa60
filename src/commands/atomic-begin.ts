// atomic-begin IMAGE PATH: F2FS_IOC_START_ATOMIC_WRITE — later writes and truncates of PATH go to a staged copy.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { atomicBegin, type AtomicSession } from '../fs/atomic.js';
import type { Volume } from '../fs/volume.js';

export default class AtomicBegin extends MutatingCommand<typeof AtomicBegin, AtomicSession & { path: string }> {
  static override summary = 'Start an atomic write on a file (F2FS_IOC_START_ATOMIC_WRITE).';
  static override description =
    'Staged blocks belong to a hidden copy-on-write inode with no links, kept on the orphan list: the session survives across processes through checkpoints, and a crash, `recover` or a Linux mount before `atomic-commit` discards it. `write`/`truncate` on the file go to the staged copy; `cat` shows the committed content, `cat --staged` the staged view.';
  static override examples = ['<%= config.bin %> atomic-begin disk.img /app.db', '<%= config.bin %> atomic-begin disk.img /app.db --replace'];
  static override args = { image: imageArg(), path: filespecArg('regular file (path or <ino>)') };
  static override flags = { replace: Flags.boolean({ description: 'start from an empty staged copy (truncate-and-start)' }) };

  protected async mutate(vol: Volume, args: CmdArgs<typeof AtomicBegin>, flags: CmdFlags<typeof AtomicBegin>) {
    return { path: args.path, ...atomicBegin(vol, vol.resolve(args.path, { follow: true }).ino, { replace: flags.replace }) };
  }

  protected override render(r: AtomicSession & { path: string }): void {
    this.out(`${r.path} (ino ${r.ino}): atomic write started, staging inode ${r.cow}, staged size ${r.stagedSize}`);
  }
}
