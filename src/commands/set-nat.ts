// set-nat IMAGE NID FIELD VALUE: one field of a node's live NAT entry (journal slot or NAT block).

import { Args } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { parseNumber } from '../cli/args.js';
import { InjectCommand, fieldArgs, injectImageArg, listFlag } from '../cli/inject.js';
import { setTableEntry } from '../debugfs/inject.js';

export default class SetNat extends InjectCommand<typeof SetNat> {
  static override target = 'nat' as const;
  static override summary = 'Set one field of a NAT entry (fault injection, like inject.f2fs --nat).';
  static override description = "Edits the entry the kernel would read: the checkpoint's NAT journal slot when it holds the nid, else the current NAT block.";
  static override examples = ['<%= config.bin %> set-nat disk.img 4 block_addr 0', '<%= config.bin %> set-nat disk.img 4 ino 9'];
  static override args = { image: injectImageArg(), nid: Args.string({ description: 'node id' }), ...fieldArgs };
  static override flags = { list: listFlag };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setTableEntry(dev, 'nat', parseNumber(a.nid, 'nid'), a.field, a.value);
  }
}
