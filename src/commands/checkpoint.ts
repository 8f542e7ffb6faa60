// checkpoint IMAGE: writes a checkpoint now (an unmount-style one) into the pack not in use.

import { VolumeCommand } from '../cli/base.js';
import { cpFlagNames } from '../fs/layout/checkpoint.js';
import type { Volume } from '../fs/volume.js';

export interface CheckpointResult {
  /** The checkpoint the image stood on before (version as a decimal string in JSON). */
  previous: { version: bigint; pack: 1 | 2 };
  /** The one written. */
  version: bigint;
  pack: 1 | 2;
  flags: string[];
  /** Whether anything was pending (always false from a fresh process; the shell may have work pending). */
  dirty: boolean;
}

export default class Checkpoint extends VolumeCommand<typeof Checkpoint, CheckpointResult> {
  static override summary = 'Write a checkpoint now: pending work becomes durable, the other pack takes version + 1.';
  static override examples = ['<%= config.bin %> checkpoint disk.img', '<%= config.bin %> checkpoint disk.img --json'];
  static override write = true;

  protected async execute(vol: Volume): Promise<CheckpointResult> {
    const previous = { version: vol.cp.head.checkpoint_ver, pack: vol.cp.pack };
    const dirty = vol.dirty;
    try {
      vol.finish('checkpoint');
    } catch (e) {
      if (this.ctx?.vol !== vol) vol.finish('none');
      throw e;
    }
    const h = vol.cp.head;
    return { previous, version: h.checkpoint_ver, pack: vol.cp.pack, flags: cpFlagNames(h.ckpt_flags), dirty };
  }

  protected override render(r: CheckpointResult): void {
    this.out(`checkpoint ${r.version} written to pack ${r.pack} (was ${r.previous.version} in pack ${r.previous.pack}); flags ${r.flags.join(' ')}`);
  }
}
