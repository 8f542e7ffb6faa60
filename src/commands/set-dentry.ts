// set-dentry IMAGE DIR NAME FIELD VALUE: one field of a directory entry (hash_code, ino, name_len, file_type).

import { Args } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { InjectCommand, fieldArgs, injectImageArg, keepCrcFlag, listFlag } from '../cli/inject.js';
import { setDentry } from '../debugfs/inject.js';

export default class SetDentry extends InjectCommand<typeof SetDentry> {
  static override target = 'dentry' as const;
  static override summary = 'Set one field of a directory entry (fault injection, like inject.f2fs --dent).';
  static override description = 'The entry NAME of directory DIR, in a dentry block or inline in the inode (whose checksum is then recomputed unless --keep-crc). Needs an image that opens.';
  static override examples = ['<%= config.bin %> set-dentry disk.img / a ino 3', '<%= config.bin %> set-dentry disk.img /d f hash_code 0'];
  static override args = {
    image: injectImageArg(),
    dir: Args.string({ description: 'directory in the image, or <ino>' }),
    name: Args.string({ description: 'entry name' }),
    ...fieldArgs,
  };
  static override flags = { 'keep-crc': keepCrcFlag, list: listFlag };

  protected inject(dev: BlockDevice, a: Record<string, string>) {
    return setDentry(dev, a.dir, a.name, a.field, a.value, { keepCrc: this.flags['keep-crc'] });
  }
}
