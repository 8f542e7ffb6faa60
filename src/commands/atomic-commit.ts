// atomic-commit IMAGE PATH: F2FS_IOC_COMMIT_ATOMIC_WRITE — staged blocks remapped into the file, then an atomic fsync.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { atomicCommit, type CommitResult } from '../fs/atomic.js';
import type { Volume } from '../fs/volume.js';

export default class AtomicCommit extends MutatingCommand<typeof AtomicCommit, CommitResult & { path: string }> {
  static override summary = 'Commit an atomic write: all of it becomes the file, durably, with no checkpoint needed.';
  static override description =
    'The staged blocks move into the file (their SSA owners rewritten), then the file\'s dnodes go to the warm-node log with the FSYNC mark on the last one only, behind a flush: `CP | D D D | FSYNC`. A power cut at any point leaves all or nothing; with `--sync none` the commit survives only through roll-forward recovery.';
  static override examples = ['<%= config.bin %> atomic-commit disk.img /app.db --sync none --trace-io'];
  static override args = { image: imageArg(), path: filespecArg('file with an atomic write in progress') };

  protected async mutate(vol: Volume, args: CmdArgs<typeof AtomicCommit>) {
    return { path: args.path, ...atomicCommit(vol, vol.resolve(args.path, { follow: true }).ino) };
  }

  protected override render(r: CommitResult & { path: string }): void {
    const how = r.fsync.method === 'checkpoint' ? `a checkpoint (${r.fsync.reason})` : `${r.fsync.nodes.length} dnode(s), the last marked FSYNC`;
    this.out(`${r.path} (ino ${r.ino}): committed ${r.blocks} staged block(s), size ${r.size}; made durable by ${how}`);
  }
}
