// fsck IMAGE: checks the image's consistency the way fsck.f2fs does (read-only); exit 0 clean, 1 with findings.

import { Flags } from '@oclif/core';
import { VolumeCommand, type CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { F2fsError } from '../errors.js';
import { fsck, fsckFix, fsckImage, type FsckReport } from '../fsck/fsck.js';
import type { Volume } from '../fs/volume.js';

/** With --fix, `fixed` lists the repairs made and `unfixed` why the image is still damaged. */
export type FsckResult = FsckReport & { fixed?: string[]; unfixed?: string | null };

/** Mount failures fsckImage turns into a MOUNT_FAILED finding; others (a missing file, usage) stay errors. */
const MOUNT_CODES = new Set(['NOT_F2FS', 'CORRUPT', 'UNSUPPORTED']);

export default class Fsck extends VolumeCommand<typeof Fsck, FsckResult> {
  static override summary = 'Check the consistency of the image like fsck.f2fs (read-only); exit 1 when anything is wrong.';
  static override description =
    'Walks the tree from the root and the orphan list and checks every node and block against the NAT, SIT, SSA and the checkpoint ' +
    'counts, and the quota files against the usage the tree holds. Prints the findings as a table (or the report with --json); warnings alone do not fail. An image that cannot be mounted ' +
    'is one MOUNT_FAILED finding.';
  static override examples = ['<%= config.bin %> fsck disk.img', '<%= config.bin %> fsck disk.img --json'];
  static override flags = {
    'max-findings': Flags.integer({ description: 'Findings kept in the report (the rest are only counted).', default: 1000, min: 0 }),
    fix: Flags.boolean({
      description:
        'Repair, then check again (as fsck.f2fs -f -y): tables rebuilt from the tree, bad entries and pointers removed, inode fields corrected, unreachable inodes reconnected in /lost+found, quota files rebuilt. See docs/fsck.md.',
      default: false,
    }),
  };

  protected override async invoke(_args: unknown, flags: CmdFlags<typeof Fsck>): Promise<FsckResult> {
    const opts = { maxFindings: flags['max-findings'] };
    let vol: Volume;
    try {
      vol = this.openVolume({ write: flags.fix });
    } catch (e) {
      if (e instanceof F2fsError && MOUNT_CODES.has(e.code) && !this.ctx?.vol) return fsckImage(this.imagePath(), opts);
      throw e;
    }
    return this.execute(vol, undefined as never, flags);
  }

  protected async execute(vol: Volume, _args: unknown, flags: CmdFlags<typeof Fsck>): Promise<FsckResult> {
    // The checker reads the on-disk structures through the volume: pending session work would look like damage.
    if (this.ctx?.vol === vol && vol.dirty) throw new F2fsError('EBUSY', 'this session has changes not yet checkpointed: run checkpoint first');
    const bar = this.progress('checking');
    try {
      const opts = { maxFindings: flags['max-findings'], progress: bar ? (done: number, total: number) => bar.update(done, total) : undefined };
      return flags.fix ? fsckFix(vol, opts) : fsck(vol, opts);
    } finally {
      bar?.end();
    }
  }

  protected override exitStatus(r: FsckResult): number {
    return r.ok ? 0 : 1;
  }

  protected override render(r: FsckResult): void {
    const s = r.stats;
    if (r.findings.length) {
      const where = (f: FsckResult['findings'][number]) =>
        [f.path, f.ino !== undefined ? `ino ${f.ino}` : '', f.nid !== undefined ? `nid ${f.nid}` : '', f.blkaddr !== undefined ? `blk ${f.blkaddr}` : '', f.segno !== undefined ? `seg ${f.segno}` : '']
          .filter(Boolean)
          .join(' ');
      this.out(table(['severity', 'code', 'where', 'message'], r.findings.map((f) => [f.severity, f.code, where(f), f.message])));
    }
    for (const f of r.fixed ?? []) this.out(`fixed: ${f}`);
    if (r.unfixed) this.out(`not fixed: ${r.unfixed}`);
    const errors = Object.values(r.counts).reduce((a, b) => a + (b ?? 0), 0);
    const warnings = r.findings.filter((f) => f.severity === 'warning').length;
    const more = r.truncated ? ` (${r.truncated} more not shown)` : '';
    const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
    this.out(
      `${r.ok ? 'clean' : 'NOT clean'}: ${n(errors, 'finding')}${warnings ? ` (${n(warnings, 'warning')})` : ''}${more}; ` +
        `${n(s.inodes, 'inode')} (${n(s.dirs, 'directory').replace(/ys$/, 'ies')}, ${n(s.files, 'file')}, ${n(s.symlinks, 'symlink')}, ` +
        `${s.specials} special), ${n(s.nodes, 'node')}, ${n(s.dataBlocks, 'data block')}, ${n(s.freeSegments, 'free segment')}; ${r.ms} ms`,
    );
  }
}
