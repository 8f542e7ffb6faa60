// Interactive prompts. inquirer is imported here, lazily, only when a question is actually asked.
// Prompts write to stderr (stdout stays machine-readable) and refuse to run without a terminal: with piped
// stdin inquirer swallows the rest of the input (see docs/toolchain-notes.md); pass an explicit flag instead.
import { F2fsError } from '../errors.js';
import { walkTree } from '../debugfs/reverse.js';
import type { Volume } from '../fs/volume.js';
import { lazyImport } from './lazy.js';

type Prompts = typeof import('@inquirer/prompts');

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Runs a prompt with the terminal: the shell's line editor lets go of it meanwhile (see lendTerminal). */
export type TerminalLender = <T>(prompt: () => Promise<T>) => Promise<T>;
let lender: TerminalLender | undefined;

/**
 * The interactive shell owns the terminal while it reads lines: it installs a lender for as long as it runs (undefined
 * when it stops). Commands it runs may then prompt; commands run by a script (`run`, piped stdin) never do.
 */
export function lendTerminal(lend: TerminalLender | undefined): void {
  lender = lend;
}

/** A command run by a session may prompt only inside the interactive shell. */
export function sessionCanPrompt(): boolean {
  return lender !== undefined && canPrompt();
}

function withTerminal<T>(prompt: () => Promise<T>): Promise<T> {
  return lender ? lender(prompt) : prompt();
}

/** Ctrl-C (or Ctrl-D) in an inquirer prompt: the question was cancelled. */
function cancelled(e: unknown): boolean {
  return (e as Error).name === 'ExitPromptError';
}

/** Yes/no question (Ctrl-C answers no); `assumeYes` (a --yes flag) answers without asking. */
export async function confirm(message: string, opts: { default?: boolean; assumeYes?: boolean } = {}): Promise<boolean> {
  if (opts.assumeYes) return true;
  if (!canPrompt()) throw new F2fsError('USAGE', `${message}: no terminal to ask on; pass --yes to confirm`);
  const { confirm: ask } = await lazyImport<Prompts>('@inquirer/prompts');
  try {
    return await withTerminal(() => ask({ message, default: opts.default ?? false }, { output: process.stderr }));
  } catch (e) {
    if (cancelled(e)) return false; // Ctrl-C: no
    throw e;
  }
}

/** One line of text (not empty); undefined when cancelled. */
export async function askText(message: string): Promise<string | undefined> {
  const { default: input } = await lazyImport<typeof import('@inquirer/input')>('@inquirer/input');
  try {
    return await withTerminal(() => input({ message, required: true }, { output: process.stderr }));
  } catch (e) {
    if (cancelled(e)) return undefined;
    throw e;
  }
}

/** Paths of the files of `vol` (directories left out), for pickPath. */
export function imageFiles(vol: Volume): string[] {
  const paths: string[] = [];
  walkTree(vol, (p, d) => {
    if (d.fileType !== 2) paths.push(p);
  });
  return paths;
}

/**
 * Fuzzy picker over `paths`; undefined when cancelled. What was typed is offered too, last, so that a name that does
 * not exist yet (write, mkdir) can be given.
 */
export async function pickPath(paths: string[], message: string): Promise<string | undefined> {
  const { default: search } = await lazyImport<typeof import('@inquirer/search')>('@inquirer/search');
  const source = (term: string | undefined) => {
    const t = term ?? '';
    const hits = paths.filter((p) => fuzzy(p.toLowerCase(), t.toLowerCase())).slice(0, 200);
    return [...hits, ...(t && !hits.includes(t) ? [t] : [])].map((p) => ({ name: p, value: p }));
  };
  try {
    return await withTerminal(() => search({ message, source }, { output: process.stderr }));
  } catch (e) {
    if (cancelled(e)) return undefined;
    throw e;
  }
}

/** Subsequence match: every character of `term` in order. */
function fuzzy(text: string, term: string): boolean {
  let i = 0;
  for (const c of text) if (c === term[i]) i++;
  return i >= term.length;
}
