// set-super IMAGE FIELD VALUE [--copy 0|1]: one superblock field in both copies (or one), crc recomputed.

import { Flags } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { InjectCommand, fieldArgs, injectImageArg, keepCrcFlag, listFlag } from '../cli/inject.js';
import { setSuper } from '../debugfs/inject.js';

export default class SetSuper extends InjectCommand<typeof SetSuper> {
  static override target = 'super' as const;
  static override summary = 'Set one superblock field (fault injection, like inject.f2fs --sb and debugfs set_super_value).';
  static override description =
    'Writes FIELD of struct f2fs_super_block in both copies (or the one --copy names) and, with the sb_checksum feature, the crc (unless --keep-crc). Works on any image: nothing but the two superblock blocks is read.';
  static override examples = ['<%= config.bin %> set-super disk.img magic 0', '<%= config.bin %> set-super disk.img segment_count_main 5 --copy 1', '<%= config.bin %> set-super --list'];
  static override args = { image: injectImageArg(), ...fieldArgs };
  static override flags = {
    copy: Flags.integer({ description: 'Only this copy (0: block 0, 1: block 1).', min: 0, max: 1 }),
    'keep-crc': keepCrcFlag,
    list: listFlag,
  };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setSuper(dev, a.field, a.value, { copy: this.flags.copy as 0 | 1 | undefined, keepCrc: this.flags['keep-crc'] });
  }
}
