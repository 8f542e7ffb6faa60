// Runs the built CLI (bin/run.js) as a child process, the way users and scripts do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RUN = path.join(ROOT, 'bin/run.js');

export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Ran {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** cli() that must succeed (exit 0; the failure message shows the command and its stderr); returns stdout. */
export function cliOk(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): string {
  const r = cli(args, opts);
  if (r.status !== 0) throw new Error(`f2fsdbg ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
