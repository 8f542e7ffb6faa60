// set-cp IMAGE FIELD VALUE [--pack 1|2]: one checkpoint head field (head and tail CP blocks), crc recomputed.

import { Flags } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { InjectCommand, fieldArgs, injectImageArg, keepCrcFlag, listFlag } from '../cli/inject.js';
import { setCp } from '../debugfs/inject.js';

export default class SetCp extends InjectCommand<typeof SetCp> {
  static override target = 'cp' as const;
  static override summary = 'Set one checkpoint field (fault injection, like inject.f2fs --cp).';
  static override description =
    'Writes FIELD of struct f2fs_checkpoint in the head CP block of a pack and in its tail copy, and their crcs (unless --keep-crc). Default pack: the one in use. Needs only a valid superblock.';
  static override examples = ['<%= config.bin %> set-cp disk.img cp_pack_total_block_count 0xffffffff --pack 2', '<%= config.bin %> set-cp disk.img cur_node_segno[1] 3'];
  static override args = { image: injectImageArg(), ...fieldArgs };
  static override flags = {
    pack: Flags.integer({ description: 'Pack to edit (1 or 2).', min: 1, max: 2 }),
    'keep-crc': keepCrcFlag,
    list: listFlag,
  };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setCp(dev, a.field, a.value, { pack: this.flags.pack as 1 | 2 | undefined, keepCrc: this.flags['keep-crc'] });
  }
}
