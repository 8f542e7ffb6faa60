// Mutating commands: --sync (how a change ends: checkpoint, fsync, power cut, or kept in the session) and their base class.
import { Flags, type Command } from '@oclif/core';
import { F2fsError } from '../errors.js';
import type { Volume } from '../fs/volume.js';
import { guardWrites } from '../fs/writecheck.js';
import { VolumeCommand, forceFlag, globalFlags, modeFlag, timestampFlag, type CmdArgs, type CmdFlags } from './base.js';
import { BIN } from './errors.js';

/**
 * How a mutating command ends (--sync): one table. A new mode (issue 4: `fsync`) is one entry here and one case in
 * MutatingCommand.endWrite, which does not compile until every mode is handled.
 */
export const SYNC_MODES = {
  checkpoint: 'write a checkpoint after the operation, like an unmount: the next process sees the work',
  fsync: 'fsync the files the operation touched, as Linux would (no checkpoint), then stop like a power cut: they survive through roll-forward recovery',
  none: 'stop right after the operation, like a power cut: nothing since the last checkpoint reaches the image',
  keep: 'leave the work pending in memory for a later checkpoint, fsync or quit (the default in shell and run sessions; one-shot: like none)',
} as const;
export type SyncMode = keyof typeof SYNC_MODES;
/** Default of a one-shot command (a command may choose another: `static defaultSync`); sessions default to 'keep'. */
export const DEFAULT_SYNC: SyncMode = 'checkpoint';

/** Flags of every mutating command (shown as WRITE in help). */
export const writeFlags = {
  // No parse-time default: unset means the command's defaultSync, or 'keep' in a shell/run session.
  sync: Flags.option({
    options: Object.keys(SYNC_MODES) as SyncMode[],
    description: `How the command ends (default: checkpoint; in shell and run sessions: keep). ${Object.entries(SYNC_MODES)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
    helpGroup: 'WRITE',
  })(),
  timestamp: timestampFlag(),
  'fs-mode': modeFlag(),
  force: forceFlag(),
};

/** What `--sync` did, in every mutating command's result (`"sync"` in the JSON). */
export interface SyncOutcome {
  mode: SyncMode;
  /** The checkpoint written (version as a decimal string in JSON), or null when none was. */
  checkpoint: { version: bigint; pack: 1 | 2 } | null;
  /** --sync fsync: the inodes fsynced and how (a fallback checkpoint shows as 'checkpoint'). */
  fsynced?: { ino: number; method: string }[];
}

/**
 * A command that changes the image. The base opens IMAGE read-write (refusing a read-only file), runs `mutate`, then
 * ends the way --sync says (default: a checkpoint, like an unmount). If `mutate` throws, nothing is written: the queued
 * blocks are dropped and no checkpoint is taken, so the image stays exactly as it was at its last checkpoint.
 *
 * Under runWith() on a shared volume (the shell), `--sync none` leaves the work pending in that volume for its owner
 * to checkpoint or cut, and a failed `mutate` leaves the volume's in-memory state as the operation left it (the device
 * queue is not dropped either: blocks already handed to it may be referenced by that state). Reopen the image to be sure.
 */
export abstract class MutatingCommand<T extends typeof Command, R extends object = object> extends VolumeCommand<T, R & { sync: SyncOutcome }> {
  static override baseFlags = { ...globalFlags, ...writeFlags };
  static override write = true;
  /** How a one-shot run ends without --sync (fsync: 'none', a checkpoint afterwards would make it pointless). */
  static defaultSync: SyncMode = DEFAULT_SYNC;

  /** The operation; its result gains `sync`. */
  protected abstract mutate(vol: Volume, args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R>;

  protected override wantsWrite(): boolean {
    return true;
  }

  protected syncMode(): SyncMode {
    const explicit = (this.flags as { sync?: SyncMode }).sync;
    if (explicit) return explicit;
    if (this.ctx?.vol) return 'keep'; // a session: metadata stays in memory until checkpoint, fsync, commit or quit
    return (this.constructor as typeof MutatingCommand).defaultSync ?? DEFAULT_SYNC;
  }

  private isShared(vol: Volume): boolean {
    return this.ctx?.vol === vol;
  }

  /** Opening to write refuses an image damaged where writes rely on it, unless --force (a session checked at its open). */
  protected override openVolume(opts: { write: boolean; image?: string }): Volume {
    const vol = super.openVolume(opts);
    if (opts.write && !this.isShared(vol) && !(this.flags as { force?: boolean }).force) guardWrites(vol);
    return vol;
  }

  protected async execute(vol: Volume, args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R & { sync: SyncOutcome }> {
    let result: R;
    try {
      result = await this.mutate(vol, args, flags);
    } catch (e) {
      if (!this.isShared(vol)) vol.finish('none'); // drop every queued block; close() would too, this says it
      throw e;
    }
    return { ...result, sync: this.endWrite(vol, this.syncMode()) };
  }

  private endWrite(vol: Volume, mode: SyncMode): SyncOutcome {
    switch (mode) {
      case 'checkpoint':
        vol.finish('checkpoint');
        return { mode, checkpoint: { version: vol.cp.head.checkpoint_ver, pack: vol.cp.pack } };
      case 'fsync': {
        const done = this.isShared(vol) ? vol.fsyncTouched() : vol.finish('fsync');
        return { mode, checkpoint: null, fsynced: done.map((f) => ({ ino: f.ino, method: f.method })) };
      }
      case 'keep':
      case 'none':
        if (!this.isShared(vol)) {
          vol.finish('none');
          // Not for a command whose own ending is none (fsync): what it wrote did reach the image, and it says so.
          const own = (this.constructor as typeof MutatingCommand).defaultSync === 'none';
          if (!this.flags.json && mode === 'none' && !own) this.note(`${BIN}: --sync none: not checkpointed, the image is as it was at its last checkpoint`);
        }
        return { mode, checkpoint: null };
      default: {
        const unknown: never = mode;
        throw new F2fsError('USAGE', `--sync: unknown mode ${String(unknown)}`);
      }
    }
  }
}
