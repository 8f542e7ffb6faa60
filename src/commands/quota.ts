// quota IMAGE [--type user|group|project]: usage and limits per id from the quota files, like repquota.

import { Flags } from '@oclif/core';
import { VolumeCommand, imageArg, type CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { QUOTA_TYPES } from '../fs/layout/quota.js';
import { quotaReport, quotaTypes, type QuotaFileReport } from '../fs/quota.js';
import type { Volume } from '../fs/volume.js';

export interface QuotaResult {
  files: QuotaFileReport[];
}

/** repquota's grace column: time left past a soft limit, or '-'. */
function grace(deadline: number, nowSec: number): string {
  if (!deadline) return '-';
  const left = deadline - nowSec;
  if (left <= 0) return 'none';
  return left >= 86400 ? `${Math.ceil(left / 86400)}days` : `${String(Math.floor(left / 3600)).padStart(2, '0')}:${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}`;
}

export default class Quota extends VolumeCommand<typeof Quota, QuotaResult> {
  static override summary = 'Report quota usage and limits per user, group or project id, like repquota.';
  static override description =
    'Reads the quota files (the v2 quota tree in the quota inodes of an image made with the quota feature): blocks used in KiB ' +
    '(usage in bytes with --json), soft and hard block limits, grace, then the same for inodes. Charges of a session not yet ' +
    'checkpointed are included.';
  static override examples = ['<%= config.bin %> quota disk.img', '<%= config.bin %> quota disk.img --type project --json'];
  static override args = { image: imageArg() };
  static override flags = {
    type: Flags.string({ description: 'Only this quota type (default: every type the image keeps).', options: [...QUOTA_TYPES] }),
  };

  protected async execute(vol: Volume, _args: unknown, flags: CmdFlags<typeof Quota>): Promise<QuotaResult> {
    const types = flags.type ? [QUOTA_TYPES.indexOf(flags.type as (typeof QUOTA_TYPES)[number])] : quotaTypes(vol.sb);
    return { files: types.map((t) => quotaReport(vol, t)) };
  }

  protected override render(r: QuotaResult): void {
    if (!r.files.length) this.out('this image keeps no quota files');
    const nowSec = Math.floor(Date.now() / 1000);
    const kib = (bytes: number) => Math.ceil(bytes / 1024);
    for (const f of r.files) {
      this.out(`*** ${f.type} quota (inode ${f.ino}): block grace ${f.bgrace} s, inode grace ${f.igrace} s`);
      this.out(
        table(
          [f.type === 'user' ? 'uid' : f.type === 'group' ? 'gid' : 'projid', 'KiB used', 'soft', 'hard', 'grace', 'inodes', 'soft', 'hard', 'grace'],
          f.records.map((d) => [d.dqb_id, kib(d.dqb_curspace), d.dqb_bsoftlimit, d.dqb_bhardlimit, grace(d.dqb_btime, nowSec), d.dqb_curinodes, d.dqb_isoftlimit, d.dqb_ihardlimit, grace(d.dqb_itime, nowSec)]),
        ),
      );
    }
  }
}
