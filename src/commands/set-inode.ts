// set-inode IMAGE FILESPEC FIELD VALUE: one inode field (i_addr[N] and i_nid[N] included), inode checksum recomputed.

import { Args } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { InjectCommand, fieldArgs, injectImageArg, keepCrcFlag, listFlag } from '../cli/inject.js';
import { setInode } from '../debugfs/inject.js';

export default class SetInode extends InjectCommand<typeof SetInode> {
  static override target = 'inode' as const;
  static override summary = 'Set one inode field (fault injection, like debugfs set_inode_field and inject.f2fs --node).';
  static override description =
    "Fields of struct f2fs_inode (i_addr[N] indexes the raw array, extra attribute words included) and of its extra attribute area (i_extra_isize, i_inode_checksum, ...). The inode checksum is recomputed unless --keep-crc. FILESPEC <ino> needs only the checkpoint and NAT; a path needs an image that opens.";
  static override examples = ['<%= config.bin %> set-inode disk.img /a i_links 7', '<%= config.bin %> set-inode disk.img "<5>" i_addr[9] 0xffffffff', '<%= config.bin %> set-inode --list'];
  static override args = { image: injectImageArg(), filespec: Args.string({ description: 'path in the image, or <ino>' }), ...fieldArgs };
  static override flags = { 'keep-crc': keepCrcFlag, list: listFlag };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setInode(dev, a.filespec, a.field, a.value, { keepCrc: this.flags['keep-crc'] });
  }
}
