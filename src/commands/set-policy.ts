// set-policy IMAGE PATH --key FILE: makes an empty directory encrypted (FS_IOC_SET_ENCRYPTION_POLICY, a v2 policy).

import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { filespecArg } from '../cli/args.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { setEncryptionPolicy } from '../fs/policy.js';
import type { Volume } from '../fs/volume.js';

export interface SetPolicyResult {
  path: string;
  ino: number;
  masterKeyIdentifier: string;
  padding: number;
}

export default class SetPolicy extends MutatingCommand<typeof SetPolicy, SetPolicyResult> {
  static override summary = 'Encrypt an empty directory with a v2 fscrypt policy under the --key master key, as FS_IOC_SET_ENCRYPTION_POLICY does.';
  static override description =
    'AES-256-XTS contents, AES-256-CTS-CBC names. Everything created below it afterwards (with --key) is encrypted as Linux encrypts it; Linux reads it once the key is added.';
  static override examples = ['<%= config.bin %> set-policy system.img /data/secret --key master.key'];
  static override args = { image: imageArg(), path: filespecArg('an empty directory (symlinks followed) or <ino>') };
  static override flags = {
    padding: Flags.integer({ description: 'Pad encrypted names to 4, 8, 16 or 32 bytes (the policy flags).', default: 32 }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof SetPolicy>, flags: CmdFlags<typeof SetPolicy>): Promise<SetPolicyResult> {
    const ino = vol.resolve(args.path, { follow: true }).ino;
    return { path: args.path, ...setEncryptionPolicy(vol, ino, { padding: flags.padding }) };
  }

  protected override render(r: SetPolicyResult): void {
    this.out(`${r.path} (ino ${r.ino}): encrypted, v2 policy, key ${r.masterKeyIdentifier}, names padded to ${r.padding}`);
  }
}
