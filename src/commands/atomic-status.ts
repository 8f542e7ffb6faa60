// atomic-status IMAGE [PATH]: atomic writes in progress (their staging inodes on the orphan list).

import { Args } from '@oclif/core';
import { VolumeCommand, imageArg, type CmdArgs } from '../cli/base.js';
import { inImage } from '../cli/args.js';
import { table } from '../cli/render.js';
import { sessions, type AtomicSession } from '../fs/atomic.js';
import { ncheck } from '../debugfs/reverse.js';
import type { Volume } from '../fs/volume.js';

interface StatusResult {
  sessions: (AtomicSession & { paths: string[] })[];
}

export default class AtomicStatus extends VolumeCommand<typeof AtomicStatus, StatusResult> {
  static override summary = 'List atomic writes in progress (or the one on PATH).';
  static override examples = ['<%= config.bin %> atomic-status disk.img', '<%= config.bin %> atomic-status disk.img /app.db --json'];
  static override args = { image: imageArg(), path: inImage(Args.string({ description: 'only this file (path or <ino>)' })) };

  protected async execute(vol: Volume, args: CmdArgs<typeof AtomicStatus>): Promise<StatusResult> {
    const only = args.path === undefined ? null : vol.resolve(args.path, { follow: true }).ino;
    const list = sessions(vol).filter((s) => only === null || s.ino === only);
    const paths = ncheck(vol, list.map((s) => s.ino));
    return { sessions: list.map((s) => ({ ...s, paths: paths.get(s.ino) ?? [] })) };
  }

  protected override render(r: StatusResult): void {
    if (!r.sessions.length) {
      this.out('no atomic write in progress');
      return;
    }
    this.out(table(['file ino', 'path', 'staging ino', 'staged size', 'staged blocks'], r.sessions.map((s) => [s.ino, s.paths.join(' ') || '-', s.cow, s.stagedSize, s.stagedBlocks])));
  }
}
