// export-android IMAGE OUTDIR: the fs_config and file_contexts of an image's tree, for sload.f2fs -C/-s (or import).

import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { kv } from '../cli/render.js';
import { exportAndroid, type AndroidExport } from '../debugfs/android.js';
import type { Volume } from '../fs/volume.js';

export default class ExportAndroid extends VolumeCommand<typeof ExportAndroid, AndroidExport> {
  static override summary = "Write the image tree's Android fs_config and file_contexts (for sload.f2fs -C/-s or import).";
  static override description =
    'OUTDIR/fs_config gets one line per entry, "path uid gid mode capabilities=0x..." (capabilities from security.capability), and ' +
    'OUTDIR/file_contexts one exact line per labelled entry (its security.selinux), both keyed as sload.f2fs looks them up under ' +
    '--mount-point. With `rdump IMAGE / DIR`, `sload.f2fs -f DIR -C OUTDIR/fs_config -s OUTDIR/file_contexts -t MOUNT` (or `import`) ' +
    'rebuilds the same owners, modes and labels. Paths with white space or control characters cannot be written and are listed.';
  static override examples = ['<%= config.bin %> export-android system.img ./meta --mount-point /system'];
  static override args = {
    image: imageArg(),
    outdir: Args.string({ description: 'host directory for fs_config and file_contexts (made if missing)', required: true }),
  };
  static override flags = {
    'mount-point': Flags.string({ char: 't', description: 'Where the image is mounted on the device (sload.f2fs -t; default /).', helpValue: 'PATH' }),
  };

  protected async execute(vol: Volume): Promise<AndroidExport> {
    return exportAndroid(vol, this.args.outdir, this.flags['mount-point']);
  }

  protected override render(r: AndroidExport): void {
    this.out(kv([
      ['fs_config', `${r.fsConfig} (${r.entries} entries, ${r.withCapabilities} with capabilities)`],
      ['file_contexts', `${r.fileContexts} (${r.labelled} labelled)`],
    ]));
    for (const s of r.skipped) this.out(`  skipped ${s.path}: ${s.why}`);
  }
}
