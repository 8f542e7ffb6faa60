// set-node IMAGE NID FIELD VALUE: a node footer field, or addr[N] / nid[N] of a direct / indirect node.

import { Args, Flags } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { parseNumber } from '../cli/args.js';
import { InjectCommand, fieldArgs, injectImageArg, keepCrcFlag, listFlag } from '../cli/inject.js';
import { setNode } from '../debugfs/inject.js';

export default class SetNode extends InjectCommand<typeof SetNode> {
  static override target = 'node' as const;
  static override summary = 'Set one field of a node block: footer, or a direct/indirect slot (fault injection).';
  static override description =
    'Footer fields nid, ino, flag, cp_ver, next_blkaddr; addr[N] of a direct node; nid[N] of an indirect node. An inode block gets its checksum recomputed unless --keep-crc.';
  static override examples = ['<%= config.bin %> set-node disk.img 9 next_blkaddr 5000', '<%= config.bin %> set-node disk.img 12 nid[0] 12'];
  static override args = { image: injectImageArg(), nid: Args.string({ description: 'node id' }), ...fieldArgs };
  static override flags = {
    blkaddr: Flags.string({ description: "Edit the node block at this address instead of the one the NAT names (an fsynced copy in the node chain: see `log`)." }),
    'keep-crc': keepCrcFlag,
    list: listFlag,
  };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    const blkaddr = this.flags.blkaddr === undefined ? undefined : parseNumber(this.flags.blkaddr, 'blkaddr');
    return setNode(dev, parseNumber(a.nid, 'nid'), a.field, a.value, { keepCrc: this.flags['keep-crc'], blkaddr });
  }
}
