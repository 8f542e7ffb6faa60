// atomic-abort IMAGE PATH: F2FS_IOC_ABORT_ATOMIC_WRITE — the staged copy is dropped, the file stays as it was.

import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs } from '../cli/base.js';
import { atomicAbort, type AtomicSession } from '../fs/atomic.js';
import type { Volume } from '../fs/volume.js';

export default class AtomicAbort extends MutatingCommand<typeof AtomicAbort, AtomicSession & { path: string }> {
  static override summary = 'Abort an atomic write: the staged copy is dropped.';
  static override examples = ['<%= config.bin %> atomic-abort disk.img /app.db'];
  static override args = { image: imageArg(), path: filespecArg('file with an atomic write in progress') };

  protected async mutate(vol: Volume, args: CmdArgs<typeof AtomicAbort>) {
    return { path: args.path, ...atomicAbort(vol, vol.resolve(args.path, { follow: true }).ino) };
  }

  protected override render(r: AtomicSession & { path: string }): void {
    this.out(`${r.path} (ino ${r.ino}): atomic write aborted, ${r.stagedBlocks} staged block(s) dropped`);
  }
}
