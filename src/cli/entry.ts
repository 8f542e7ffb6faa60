// The CLI entry: what esbuild bundles into dist/cli.cjs. It exports COMMANDS (oclif's "explicit" command
// strategy reads it) and run(); nothing runs at module top level, because `oclif manifest` and oclif itself
// load this module to find the commands.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run as oclifRun, settings, type Interfaces } from '@oclif/core';
import { reportError } from './errors.js';
import { setImporter } from './lazy.js';

export { COMMANDS } from '../commands/index.js';

export interface EntryOptions {
  /** Package root (the directory holding package.json). */
  root: string;
  /**
   * The module exporting COMMANDS, relative to root, as loaded by the caller: "./dist/cli.cjs" (bin/run.js,
   * already in require's cache so oclif gets the same instance) or "./src/cli/entry.ts" (bin/dev.js under tsx).
   */
  target: string;
  /** import() from a real module (bin/run.js), for packages loaded lazily (inquirer); see lazy.ts. */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** Runs the CLI on argv; resolves to the exit status (also left in process.exitCode). */
export async function run(argv: string[], opts: EntryOptions): Promise<number> {
  // The target is exact: never let oclif look for ts-node/tsx or remap dist/ to src/.
  settings.enableAutoTranspile = false;
  if (opts.importModule) setImporter(opts.importModule);
  // `autocomplete`: our commands are one word, so take the plugin's plain bash script. Its "topics with spaces" one
  // reads every word after the command as a subcommand: no flags after IMAGE, a sed error on any word with a '/'.
  process.env.OCLIF_AUTOCOMPLETE_TOPIC_SEPARATOR ??= 'colon';
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `f2fsdbg … | head`: the reader left; stop quietly.
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    const pjson = JSON.parse(readFileSync(path.join(opts.root, 'package.json'), 'utf8')) as Interfaces.PJSON;
    const commands = typeof pjson.oclif.commands === 'object' ? pjson.oclif.commands : undefined;
    pjson.oclif = { ...pjson.oclif, commands: { strategy: 'explicit', identifier: 'COMMANDS', ...commands, target: opts.target } };
    await oclifRun(argv, { root: opts.root, pjson });
  } catch (e) {
    // Errors outside a command (unknown command, broken install). Errors inside one are reported by its catch().
    process.exitCode = reportError(e, {
      json: argv.includes('--json'),
      stdout: (s) => void process.stdout.write(`${s}\n`),
      stderr: (s) => void process.stderr.write(`${s}\n`),
    });
  }
  return Number(process.exitCode ?? 0);
}
