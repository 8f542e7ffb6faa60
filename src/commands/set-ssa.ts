// set-ssa IMAGE BLKADDR FIELD VALUE: one field of a block's summary entry (or its SSA block's footer).

import { Args } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { parseNumber } from '../cli/args.js';
import { InjectCommand, fieldArgs, injectImageArg, listFlag } from '../cli/inject.js';
import { setSsa } from '../debugfs/inject.js';

export default class SetSsa extends InjectCommand<typeof SetSsa> {
  static override target = 'ssa' as const;
  static override summary = 'Set one field of a summary (SSA) entry (fault injection, like inject.f2fs --ssa).';
  static override description = "Fields nid, version, ofs_in_node of BLKADDR's entry, or entry_type / check_sum of its SSA block's footer.";
  static override examples = ['<%= config.bin %> set-ssa disk.img 4608 nid 77', '<%= config.bin %> set-ssa disk.img 4608 entry_type 1'];
  static override args = { image: injectImageArg(), blkaddr: Args.string({ description: 'main-area block address' }), ...fieldArgs };
  static override flags = { list: listFlag };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setSsa(dev, parseNumber(a.blkaddr, 'blkaddr'), a.field, a.value);
  }
}
