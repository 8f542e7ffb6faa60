#!/usr/bin/env node
// Runs the uvu suites in test/ (TypeScript, through tsx) and closes with the line CI reads:
//   N passed, N failed[, N skipped]
// exiting non-zero when a test failed, uvu failed, or nothing ran (uvu alone exits 0 then).
//   node scripts/test.mjs               every test/**/*.test.ts
//   node scripts/test.mjs cli           files whose path matches /cli/i (e.g. test/cli.test.ts)
//   node scripts/test.mjs 'device|cli'  a regex; other arguments starting with "-" go to uvu (-b: bail)
// No global timeout: VM tests may run for minutes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'test');
const argv = process.argv.slice(2);
const uvuFlags = argv.filter((a) => a.startsWith('-'));
const filter = argv.filter((a) => !a.startsWith('-')).join('|');

function finish(passed, failed, skipped, code) {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code);
}

// Test files, as uvu names them (relative to test/); helpers and fixtures are not *.test.*.
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.[mc]?[jt]s$/.test(e.name)) files.push(path.relative(testDir, p).split(path.sep).join('/'));
  }
})(testDir);

let re;
try {
  re = filter ? new RegExp(filter, 'i') : null;
} catch (e) {
  console.error(`test: bad filter: ${e.message}`);
  finish(0, 0, 0, 2);
}
const selected = files.filter((f) => !re || re.test(f)).sort();
if (selected.length === 0) {
  console.error(filter ? `test: no test file matches /${filter}/i (have: ${files.join(', ') || 'none'})` : 'test: no test files in test/');
  finish(0, 0, 0, 1);
}

// uvu takes one pattern tested against each path under test/: an exact alternation of the selected files.
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = `^(${selected.map(escape).join('|')})$`;
const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern, ...(colour ? [] : ['--no-color']), ...uvuFlags],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] },
);

// Pass uvu's output through as it comes, keeping the tail for its totals.
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));

child.on('close', (code, signal) => {
  // eslint-disable-next-line no-control-regex
  const text = tail.replace(/\x1b\[[0-9;]*m/g, '');
  const last = (name) => {
    const all = [...text.matchAll(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'gm'))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const total = last('Total');
  const passed = last('Passed');
  const skipped = last('Skipped') ?? 0;
  if (total === undefined || passed === undefined) {
    console.error(`test: uvu ended without totals (${signal ? `signal ${signal}` : `status ${code}`})`);
    finish(0, 1, 0, 1);
  }
  let failed = total - passed;
  if (code !== 0 && failed === 0) {
    console.error(`test: uvu exited with ${signal ? `signal ${signal}` : `status ${code}`} although every test passed`);
    failed = 1;
  }
  if (total === 0) console.error('test: no test ran');
  finish(passed, failed, skipped, failed > 0 || total === 0 ? 1 : 0);
});
