// fsck's quota check (fsck.f2fs fsck_chk_quota_files): usage counted over the inodes the traversal reaches, compared
// with every quota file's records; and the one repair fsck --fix makes for now: quota files rebuilt from that usage.
import { F2fsError } from '../errors.js';
import { QUOTA_TYPES } from '../fs/layout/quota.js';
import { type Usage, quotaTypes, readQuotaFile } from '../fs/quota.js';
import { writeCheckpoint } from '../fs/checkpoint.js';
import { CpFlag } from '../fs/layout/checkpoint.js';
import type { Volume } from '../fs/volume.js';
import type { FsckRun } from './state.js';
import { errText, isBadData } from './state.js';

/** quota_compare_and_update: every record must carry the usage counted for its id, and every counted id needs a record. */
export function checkQuotaFiles(r: FsckRun): void {
  if (r.head.ckpt_flags & CpFlag.QUOTA_NEED_FSCK) r.add('QUOTA_NEED_FSCK', 'the checkpoint says quota needs fsck (quota_need_fsck): the kernel could not keep usage exact', {}, 'warning');
  for (const t of quotaTypes(r.sb)) {
    const ino = r.sb.qf_ino[t];
    const path = `<quota ${QUOTA_TYPES[t]}>`;
    const counted = r.quotaUsage[t];
    let records;
    try {
      records = readQuotaFile(r.vol, t).entries();
    } catch (e) {
      if (!isBadData(e)) throw e;
      r.add('QUOTA_FILE_CORRUPT', `${QUOTA_TYPES[t]} quota file: ${errText(e)}`, { ino, path });
      continue;
    }
    const seen = new Set<number>();
    for (const d of records) {
      const c: Usage = counted.get(d.dqb_id) ?? { space: 0, inodes: 0 };
      if (seen.has(d.dqb_id)) r.add('QUOTA_MISMATCH', `${QUOTA_TYPES[t]} quota: id ${d.dqb_id} has two records`, { ino, path });
      seen.add(d.dqb_id);
      if (c.space !== d.dqb_curspace || c.inodes !== d.dqb_curinodes)
        r.add('QUOTA_MISMATCH', `${QUOTA_TYPES[t]} quota of id ${d.dqb_id}: the file says ${d.dqb_curspace} bytes and ${d.dqb_curinodes} inodes, the tree holds ${c.space} bytes and ${c.inodes} inodes`, { ino, path });
    }
    for (const [id, c] of counted)
      if (!seen.has(id)) r.add('QUOTA_MISMATCH', `${QUOTA_TYPES[t]} quota of id ${id}: no record, the tree holds ${c.space} bytes and ${c.inodes} inodes`, { ino, path });
  }
}

/** fsck --fix: quota files rebuilt from the usage counted over the whole tree (limits and grace kept), then a checkpoint. */
export function rebuildQuotaFiles(vol: Volume): void {
  vol.requireWritable();
  if (!vol.quota) throw new F2fsError('EINVAL', 'this image keeps no quota files');
  vol.quota.recount = true;
  writeCheckpoint(vol, { umount: true });
}
