// What the field-injection commands (set-super ... set-dentry, zap-block, clri, freei/seti, freeb/setb) share: the
// FIELD VALUE args, --keep-crc and --list, the write open, and the rendering of what was written.
import { Args, Flags, type Command } from '@oclif/core';
import type { BlockDevice } from '../device/types.js';
import { fail } from '../errors.js';
import { checkField, fieldList, type InjectResult, type InjectTarget } from '../debugfs/inject.js';
import { F2fsCommand } from './base.js';
import { columns } from './render.js';

export type InjectCmdResult = InjectResult | { fields: ReturnType<typeof fieldList> };

/** IMAGE optional in the declaration (`--list` needs none); every arg is checked in `invoke` otherwise. */
export const injectImageArg = () => Args.string({ description: 'F2FS image file' });
export const fieldArgs = {
  field: Args.string({ description: "field name as the kernel's struct declares it (e.g. i_size, i_addr[5], footer.entry_type)" }),
  value: Args.string({ description: 'new value: a number (decimal, 0x hex, negative wraps), or for byte fields 0xHEX or text' }),
};
export const keepCrcFlag = Flags.boolean({ description: 'Do not recompute the checksum covering the field (inject a checksum fault too).' });

/** Renders what an injection wrote: one line per field, then notes. */
export function renderInjection(out: (s: string) => void, r: InjectResult): void {
  if (r.changes.length === 0) out('nothing written');
  for (const c of r.changes) out(`${c.what}: ${c.field} (${c.type} at blkaddr ${c.blkaddr} byte ${c.offset}) ${c.old} -> ${c.new}`);
  for (const n of r.notes) out(`note: ${n}`);
}

/** set-* commands: `--list` shows the fields of the target structs (no image needed); otherwise every arg is required. */
export abstract class InjectCommand<T extends typeof Command> extends F2fsCommand<T, InjectCmdResult> {
  static target: InjectTarget;

  protected abstract inject(dev: BlockDevice, args: Record<string, string | undefined>): InjectResult;

  protected async invoke(): Promise<InjectCmdResult> {
    const ctor = this.constructor as unknown as { target: InjectTarget; args: Record<string, unknown> };
    if ((this.flags as { list?: boolean }).list) return { fields: fieldList(ctor.target) };
    const args = this.args as Record<string, string | undefined>;
    const missing = Object.keys(ctor.args).filter((k) => args[k] === undefined && !(k === 'image' && this.ctx?.vol));
    if (missing.length) fail('USAGE', `missing ${missing.map((k) => k.toUpperCase()).join(' ')} (or --list for the fields)`);
    checkField(ctor.target, args.field!);
    return this.inject(this.openDevice({ write: true }), args);
  }

  protected override render(r: InjectCmdResult): void {
    if ('fields' in r) this.out(columns(['field', 'type', 'offset', 'struct'], r.fields.map((f) => [f.path, f.type, f.offset, f.struct]), { alignRight: [2] }));
    else renderInjection((s) => this.out(s), r);
  }
}

export const listFlag = Flags.boolean({ description: 'List the fields this command can set, with types and offsets.' });
