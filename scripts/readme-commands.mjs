#!/usr/bin/env node
// Regenerates the command table of README.md (between <!-- commands:start --> and <!-- commands:end -->) from the
// COMMANDS map of the built CLI (dist/cli.cjs): one row per command not hidden, its usage line (args and own flags) and summary.
//   node scripts/readme-commands.mjs           rewrite README.md
//   node scripts/readme-commands.mjs --check   exit 1 if README.md is not up to date (prints nothing else)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist/cli.cjs');
const readme = path.join(root, 'README.md');
const START = '<!-- commands:start -->';
const END = '<!-- commands:end -->';

if (!fs.existsSync(bundle)) {
  console.error('readme-commands: dist/cli.cjs is missing: run `npm run build` first');
  process.exit(1);
}
const { COMMANDS } = createRequire(import.meta.url)(bundle);

/** `ls IMAGE [PATH] [-l]`: positional args (optional ones in brackets, variadic with ...), then the command's own flags. */
function usage(id, cmd) {
  const parts = [id.replaceAll(':', ' ')];
  for (const [name, arg] of Object.entries(cmd.args ?? {})) {
    const word = `${name.toUpperCase()}${arg.multiple ? '...' : ''}`;
    parts.push(arg.required ? word : `[${word}]`);
  }
  for (const [name, flag] of Object.entries(cmd.flags ?? {})) {
    if (flag.hidden) continue;
    const spelled = flag.char ? `-${flag.char}` : `--${name}`;
    if (flag.type === 'boolean') parts.push(`[${spelled}]`);
    else {
      const small = flag.min !== undefined && flag.max !== undefined && flag.max - flag.min <= 4;
      const choices = flag.options ?? (small ? Array.from({ length: flag.max - flag.min + 1 }, (_, i) => flag.min + i) : null);
      const value = flag.helpValue ?? (choices ? choices.join('\\|') : flag.min !== undefined || flag.max !== undefined ? 'N' : 'VALUE');
      parts.push(flag.required ? `${spelled} ${value}` : `[${spelled} ${value}]`);
    }
  }
  return parts.join(' ');
}

const rows = Object.entries(COMMANDS)
  .filter(([, cmd]) => !cmd.hidden)
  .map(([id, cmd]) => `| \`${usage(id, cmd)}\` | ${(cmd.summary ?? cmd.description ?? '').split('\n')[0].replaceAll('|', '\\|')} |`);
const table = ['| command | summary |', '|---|---|', ...rows].join('\n');

const text = fs.readFileSync(readme, 'utf8');
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a < 0 || b < a) {
  console.error(`readme-commands: README.md has no ${START} … ${END} markers`);
  process.exit(1);
}
const next = `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`;
if (process.argv.includes('--check')) process.exit(next === text ? 0 : 1);
if (next !== text) fs.writeFileSync(readme, next);
console.error(`readme-commands: ${rows.length} commands${next === text ? ' (unchanged)' : ''}`);
