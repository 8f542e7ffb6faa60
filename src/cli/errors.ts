// What the user sees of a failure: anything thrown classified into a typed error and an exit status, then one line (or JSON).
import { Errors } from '@oclif/core';
import type { IoStats } from '../device/index.js';
import { F2fsError } from '../errors.js';
import { escapeControls, formatJson } from './render.js';
import { formatIo } from './trace.js';

export const BIN = 'f2fsdbg';
/** Exit status for an unexpected exception (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** One line from an oclif parse error ("Missing 1 required arg:\nimage  F2FS image file\nSee more help with --help"). */
function parseErrorLine(message: string): string {
  const lines = message
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    // "Note: --key allows multiple values...": wrong here, --key takes one value each time (multipleNonGreedy).
    .filter((l) => l && !/^See more help with --help$/.test(l) && !/^Alternatively, you can use/.test(l) && !/^Note: --\S+ allows multiple values/.test(l));
  if (lines.length <= 1) return lines[0] ?? 'invalid arguments';
  const [head, ...rest] = lines;
  const items = rest.map((l) => l.replace(/^(\S+)\s{2,}.*$/, '$1'));
  return `${head.replace(/:$/, '')}: ${items.join('; ')}`;
}

/**
 * Classifies anything thrown into what the user sees: an F2fsError (printed without a stack) and a status.
 * `internal` marks an unexpected exception (status 70; the stack goes out only with F2FSDBG_DEBUG=1).
 */
export function classifyError(e: unknown, commandId?: string): { error: F2fsError; status: number; internal?: Error; silent?: boolean } {
  if (e instanceof F2fsError) return { error: e, status: e.exitCode };
  if (e instanceof Errors.ExitError) {
    // this.exit(n): a deliberate exit, nothing to print.
    return { error: new F2fsError('USAGE', `exit ${e.oclif.exit}`), status: e.oclif.exit ?? 1, silent: true };
  }
  if (e instanceof Errors.CLIError) {
    const cli = e as Errors.CLIError & { parse?: unknown };
    const notFound = /^command (.+) not found$/.exec(cli.message);
    if (notFound) {
      // With topicSeparator ' ', oclif glues the following args into the id ("frob:disk.img"): keep the command words.
      const words = notFound[1].split(':');
      const n = words.findIndex((w) => !/^[a-z][a-z0-9-]*$/i.test(w));
      const id = (n <= 0 ? words.slice(0, 1) : words.slice(0, n)).join(' ');
      return { error: new F2fsError('USAGE', `unknown command '${id}' (see ${BIN} --help)`), status: 2 };
    }
    if (cli.parse !== undefined || /^(Parsing|Expected|Missing|Unexpected|Nonexistent)/.test(cli.message)) {
      const hint = commandId ? ` (see ${BIN} ${commandId.replaceAll(':', ' ')} --help)` : '';
      return { error: new F2fsError('USAGE', parseErrorLine(cli.message) + hint), status: 2 };
    }
    // this.error() from a command: a deliberate, user-facing message.
    return { error: new F2fsError('EINVAL', cli.message.replace(ANSI, '').split('\n')[0]), status: cli.oclif?.exit ?? 1 };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const wrapped = new F2fsError('EINVAL', `${err.name === 'Error' ? '' : `${err.name}: `}${err.message.split('\n')[0]}`);
  // Shown as "INTERNAL: …" (not one of the on-disk error codes; status 70).
  Object.defineProperty(wrapped, 'code', { value: 'INTERNAL' });
  return { error: wrapped, status: EXIT_INTERNAL, internal: err };
}

/** An error as its one line for humans, terminal controls escaped (its message may quote names from the image). */
export const errorLine = (error: F2fsError): string => `${BIN}: ${escapeControls(error.describe())}`;

/** Writes the error report (one line, or JSON) through `out`/`err`; returns the status. */
export function reportError(
  e: unknown,
  opts: { json: boolean; commandId?: string; io?: IoStats; stdout: (s: string) => void; stderr: (s: string) => void },
): number {
  const { error, status, internal, silent } = classifyError(e, opts.commandId);
  if (silent) return status;
  if (opts.json) {
    const body = error.toJSON();
    opts.stdout(formatJson(opts.io ? { ...body, io: opts.io } : body).trimEnd());
  } else {
    opts.stderr(errorLine(error));
    if (opts.io) opts.stderr(formatIo(opts.io));
  }
  if (internal && process.env.F2FSDBG_DEBUG === '1' && internal.stack) opts.stderr(internal.stack);
  return status;
}
