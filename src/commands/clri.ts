// clri IMAGE FILESPEC: zero an inode's body (debugfs clri).

import { F2fsCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { renderInjection } from '../cli/inject.js';
import { clri, type InjectResult } from '../debugfs/inject.js';

export default class Clri extends F2fsCommand<typeof Clri, InjectResult> {
  static override summary = "Zero an inode's body, keeping its node footer (debugfs clri).";
  static override description = 'The node stays reachable through the NAT, so fsck sees a damaged inode rather than a missing one. <ino> needs only the checkpoint and NAT.';
  static override examples = ['<%= config.bin %> clri disk.img /a', '<%= config.bin %> clri disk.img "<4>"'];
  static override args = { image: imageArg(), filespec: filespecArg() };

  protected async invoke(): Promise<InjectResult> {
    return clri(this.openDevice({ write: true }), this.args.filespec);
  }

  protected override render(r: InjectResult): void {
    renderInjection((s) => this.out(s), r);
  }
}
