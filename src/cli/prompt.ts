// Interactive prompts. @inquirer/prompts is imported here, lazily, only when a question is actually asked.
// Prompts write to stderr (stdout stays machine-readable) and refuse to run without a terminal: with piped
// stdin inquirer swallows the rest of the input (see docs/toolchain-notes.md); pass an explicit flag instead.
import { F2fsError } from '../errors.js';
import { lazyImport } from './lazy.js';

type Prompts = typeof import('@inquirer/prompts');

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Yes/no question; `assumeYes` (a --yes flag) answers without asking. */
export async function confirm(message: string, opts: { default?: boolean; assumeYes?: boolean } = {}): Promise<boolean> {
  if (opts.assumeYes) return true;
  if (!canPrompt()) throw new F2fsError('USAGE', `${message}: no terminal to ask on; pass --yes to confirm`);
  const { confirm: ask } = await lazyImport<Prompts>('@inquirer/prompts');
  return ask({ message, default: opts.default ?? false }, { output: process.stderr });
}
