// import IMAGE HOSTDIR IMAGEPATH: copies a host directory tree into the image (like sload.f2fs, into a live image).

import fs from 'node:fs';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { applyCompressFlags, compressFlags } from '../cli/compress-flags.js';
import { pathArg } from '../cli/args.js';
import { F2fsError, fromHost } from '../errors.js';
import { importTree, type ImportStats } from '../debugfs/import.js';
import { AndroidImport } from '../debugfs/android.js';
import type { Volume } from '../fs/volume.js';

export interface ImportResult extends ImportStats {
  host: string;
  path: string;
  /** With --file-contexts: entries no spec labels (or labelled <<none>>), left without security.selinux. */
  unlabelled?: string[];
  /** With --product-out: entries no fs_config_dirs/fs_config_files rule names, given root 0755/0644. */
  defaulted?: string[];
}

/** Entries below `dir` (for the progress total; unreadable parts just count less). */
function countEntries(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      n++;
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return n;
}

export default class Import extends MutatingCommand<typeof Import, ImportResult> {
  static override summary = 'Copy a host directory tree into the image: files, directories, symlinks and special files.';
  static override description =
    'IMAGEPATH is created (with parents) if missing; existing directories are merged into, existing non-directories are skipped and ' +
    'listed. Modes, owners and times come from the host (times: --timestamp if given, as sload.f2fs -T). Progress is shown on a terminal. ' +
    'The Android options are sload.f2fs\'s: --fs-config (-C) sets owners, modes and capabilities (security.capability) of the new entries, ' +
    '--file-contexts (-s) their SELinux labels (security.selinux), both looked up under --mount-point (-t) as sload.f2fs does (src/debugfs/android.ts). Without --fs-config, --product-out (-p) ' +
    'takes them from the binary fs_config_dirs/fs_config_files of DIR\'s partitions as libcutils\' fs_config() does, then root 0755/0644 ' +
    '(libcutils\' built-in table is not applied: src/debugfs/fs-config.ts).';
  static override examples = ['<%= config.bin %> import disk.img ./rootfs /', '<%= config.bin %> import disk.img ./site /srv/www'];
  static override args = {
    image: imageArg(),
    hostdir: Args.string({ description: 'host directory to copy', required: true }),
    imagepath: pathArg('directory in the image to copy into (created with its parents if missing)'),
  };
  static override flags = {
    'fs-config': Flags.string({ char: 'C', description: 'Android fs_config file (lines "path uid gid mode [capabilities=0x...]"), as sload.f2fs -C.', helpValue: 'FILE' }),
    'file-contexts': Flags.string({ char: 's', description: 'SELinux file_contexts file for the security.selinux labels, as sload.f2fs -s.', helpValue: 'FILE' }),
    'product-out': Flags.string({
      char: 'p',
      description: 'Android product out directory: owners, modes and capabilities from its <partition>/etc/fs_config_dirs and fs_config_files, as sload.f2fs -p (not used with --fs-config).',
      helpValue: 'DIR',
    }),
    'mount-point': Flags.string({ char: 't', description: 'Where the image is mounted on the device: the prefix of the paths looked up in both files (sload.f2fs -t; default /).', helpValue: 'PATH' }),
    ...compressFlags,
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Import>, flags: CmdFlags<typeof Import>): Promise<ImportResult> {
    applyCompressFlags(vol, flags);
    const st = fromHost(() => fs.statSync(args.hostdir));
    if (!st.isDirectory()) throw new F2fsError('ENOTDIR', `${args.hostdir} is not a directory`);
    const android = AndroidImport.load({ fsConfig: flags['fs-config'], fileContexts: flags['file-contexts'], productOut: flags['product-out'], mountPoint: flags['mount-point'] });
    const bar = this.progress('importing');
    try {
      const total = bar ? countEntries(args.hostdir) : 0;
      let done = 0;
      const stats = importTree(vol, args.hostdir, args.imagepath, bar ? (p) => bar.update(++done, total, p) : undefined, android);
      return {
        host: args.hostdir,
        path: args.imagepath,
        ...stats,
        ...(flags['file-contexts'] ? { unlabelled: android!.unlabelled } : {}),
        ...(flags['product-out'] && !flags['fs-config'] ? { defaulted: android!.defaulted } : {}),
      };
    } finally {
      bar?.end();
    }
  }

  protected override render(r: ImportResult): void {
    this.out(
      `imported ${r.host} into ${r.path}: ${r.files} files (${r.bytes} bytes), ${r.dirs} directories, ${r.symlinks} symlinks, ${r.specials} special files`,
    );
    for (const s of r.skipped) this.out(`  skipped ${s.path}: ${s.why}`);
    for (const p of r.unlabelled ?? []) this.out(`  no SELinux label for ${p}`);
    if (r.defaulted?.length) this.out(`  ${r.defaulted.length} entries named by no fs_config_dirs/fs_config_files rule: root, 0755 or 0644 (--json lists them)`);
  }
}
