// set-sit IMAGE SEGNO FIELD VALUE: one field of a segment's live SIT entry (journal slot or SIT block).

import { Args } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { parseNumber } from '../cli/args.js';
import { InjectCommand, fieldArgs, injectImageArg, listFlag } from '../cli/inject.js';
import { setTableEntry } from '../debugfs/inject.js';

export default class SetSit extends InjectCommand<typeof SetSit> {
  static override target = 'sit' as const;
  static override summary = 'Set one field of a SIT entry (fault injection, like inject.f2fs --sit).';
  static override description =
    "Edits the entry the kernel would read: the checkpoint's SIT journal slot when it holds the segment, else the current SIT block. vblocks is raw (type << 10 | valid blocks); valid_map[N] is byte N of the MSB-first map.";
  static override examples = ['<%= config.bin %> set-sit disk.img 0 vblocks 0x0c05', '<%= config.bin %> set-sit disk.img 3 valid_map[0] 0xff'];
  static override args = { image: injectImageArg(), segno: Args.string({ description: 'main-area segment number' }), ...fieldArgs };
  static override flags = { list: listFlag };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setTableEntry(dev, 'sit', parseNumber(a.segno, 'segno'), a.field, a.value);
  }
}
