// verity-enable IMAGE PATH [--salt HEX]: FS_IOC_ENABLE_VERITY (SHA-256, 4 KiB blocks): Merkle tree and descriptor past EOF.

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { fail } from '../errors.js';
import { enableVerity, type VerityInfo } from '../fs/verity.js';
import type { Volume } from '../fs/volume.js';

export interface VerityEnableResult extends VerityInfo {
  path: string;
  ino: number;
}

export default class VerityEnable extends MutatingCommand<typeof VerityEnable, VerityEnableResult> {
  static override summary = 'Make a file an fs-verity file as FS_IOC_ENABLE_VERITY does (SHA-256, 4 KiB blocks), so Linux verifies it.';
  static override description = 'Builds the Merkle tree and the descriptor past EOF, records their place and marks the inode; prints the digest `fsverity digest` would. The file is read-only afterwards. Not for encrypted files.';
  static override examples = ['<%= config.bin %> verity-enable disk.img /system/app.apk', '<%= config.bin %> verity-enable disk.img /data/f --salt 0011aabb'];
  static override args = { image: imageArg(), path: filespecArg('path (symlinks followed) or <ino>') };
  static override flags = {
    salt: Flags.string({ description: 'Salt prepended to every hashed block, in hex (at most 32 bytes).', helpValue: 'HEX' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof VerityEnable>, flags: CmdFlags<typeof VerityEnable>): Promise<VerityEnableResult> {
    const salt = flags.salt ?? '';
    if (!/^([0-9a-fA-F]{2})*$/.test(salt)) fail('USAGE', `--salt ${salt}: not a hex byte string`);
    const ino = vol.resolve(args.path, { follow: true }).ino;
    return { path: args.path, ino, ...enableVerity(vol, ino, Buffer.from(salt, 'hex')) };
  }

  protected override render(r: VerityEnableResult): void {
    this.out(`${r.path} (ino ${r.ino}): verity enabled, ${r.digest}`);
  }
}
