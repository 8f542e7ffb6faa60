#!/usr/bin/env node
// Runs the uvu suites in test/ (TypeScript, through tsx) and closes with the line CI reads:
//   N passed, N failed[, N skipped]
// exiting non-zero when a test failed, uvu failed, or nothing ran (uvu alone exits 0 then).
//   node scripts/test.mjs               every test/**/*.test.ts
//   node scripts/test.mjs cli           files whose path matches /cli/i (e.g. test/cli.test.ts)
//   node scripts/test.mjs 'device|cli'  a regex; other arguments starting with "-" go to uvu (-b: bail)
// No global timeout: VM tests may run for minutes. A full run uses two uvu processes (see below).
import { spawn, spawnSync } from 'node:child_process';
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

// Two uvu processes side by side on a full run (F2FSDBG_TEST_JOBS=1 for one): the files that boot the qemu VM and the
// rest. A VM test spends its time in qemu (one core) while its node process waits, so the other core runs the rest.
// The VM's initramfs is built first, once, so the two never race to build it.
const jobs = Number(process.env.F2FSDBG_TEST_JOBS ?? 2);
const usesVm = (f) => /\brunInVm\b/.test(fs.readFileSync(path.join(testDir, f), 'utf8'));
const shards = jobs > 1 && !filter ? [selected.filter(usesVm), selected.filter((f) => !usesVm(f))].filter((g) => g.length) : [selected];
if (shards.length > 1) {
  // Where it cannot be built (no qemu, not root), the VM tests themselves say so.
  spawnSync('sh', [path.join(root, 'scripts/vm/build-initramfs.sh')], { stdio: 'ignore' });
}

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => children.forEach((c) => c.kill(sig)));

/** Runs uvu on `group`; resolves to its totals. With `live`, its output streams through, else it comes at the end. */
function runUvu(group, live) {
  // uvu takes one pattern tested against each path under test/: an exact alternation of the files.
  const escape = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = `^(${group.map(escape).join('|')})$`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern, ...(colour ? [] : ['--no-color']), ...uvuFlags],
    { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] },
  );
  children.add(child);
  let out = '';
  child.stdout.on('data', (chunk) => {
    if (live) process.stdout.write(chunk);
    out += chunk.toString('utf8');
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      if (!live) process.stdout.write(out);
      // eslint-disable-next-line no-control-regex
      const text = out.slice(-4096).replace(/\x1b\[[0-9;]*m/g, '');
      const last = (name) => {
        const all = [...text.matchAll(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'gm'))];
        return all.length ? Number(all[all.length - 1][1]) : undefined;
      };
      const total = last('Total');
      const passed = last('Passed');
      if (total === undefined || passed === undefined) {
        console.error(`test: uvu ended without totals (${signal ? `signal ${signal}` : `status ${code}`})`);
        return resolve({ total: 1, passed: 0, skipped: 0 });
      }
      if (code !== 0 && total === passed) {
        console.error(`test: uvu exited with ${signal ? `signal ${signal}` : `status ${code}`} although every test passed`);
        return resolve({ total: total + 1, passed, skipped: last('Skipped') ?? 0 });
      }
      resolve({ total, passed, skipped: last('Skipped') ?? 0 });
    }),
  );
}

const results = await Promise.all(shards.map((g, k) => runUvu(g, k === shards.length - 1)));
const sum = (k) => results.reduce((a, r) => a + r[k], 0);
const total = sum('total');
const failed = total - sum('passed');
if (total === 0) console.error('test: no test ran');
finish(sum('passed'), failed, sum('skipped'), failed > 0 || total === 0 ? 1 : 0);
