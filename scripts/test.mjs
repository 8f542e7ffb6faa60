#!/usr/bin/env node
// Runs the uvu suites in test/ (TypeScript, through tsx) and closes with the line CI reads:
//   N passed, N failed[, N skipped]
// exiting non-zero when a test failed, uvu failed, or nothing ran (uvu alone exits 0 then).
//   node scripts/test.mjs               every test/**/*.test.ts
//   node scripts/test.mjs cli           files whose path matches /cli/i (e.g. test/cli.test.ts)
//   node scripts/test.mjs 'device|cli'  a regex; other arguments starting with "-" go to uvu (-b: bail)
// No global timeout: VM tests may run for minutes. A full run runs the files two at a time (see below).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'test');
const argv = process.argv.slice(2);
const uvuFlags = argv.filter((a) => a.startsWith('-'));
const filter = argv.filter((a) => !a.startsWith('-')).join('|');

// Every test process gets a TMPDIR of its own, removed when it ends, even killed: test images and host trees left
// behind (a killed process runs no exit handler; some tests keep theirs) filled this machine's disk between runs.
// Sticky and world-writable, as /tmp is (a test drops privileges to `nobody`).
const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-tests-'));
fs.chmodSync(scratchRoot, 0o1777);
const dropScratch = () => fs.rmSync(scratchRoot, { recursive: true, force: true });

function finish(passed, failed, skipped, code) {
  dropScratch();
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

// A full run keeps two uvu processes busy (F2FSDBG_TEST_JOBS=1 for one), one test file each, taken from a queue
// longest first: each file's time is kept in fixtures/build/test-times.json after a run; a file without one goes by
// its size, the VM files first (they boot qemu for minutes). A VM test spends its time in qemu (one core) while its
// node process waits, so the other core runs another file. The VM's initramfs is built first, once, so no two files
// race to build it.
const jobs = Number(process.env.F2FSDBG_TEST_JOBS ?? 2);
const timesFile = path.join(root, 'fixtures/build/test-times.json');
const usesVm = (f) => /\brunInVm\b/.test(fs.readFileSync(path.join(testDir, f), 'utf8'));
if (jobs > 1 && !filter) {
  // Where it cannot be built (no qemu, not root), the VM tests themselves say so.
  spawnSync('sh', [path.join(root, 'scripts/vm/build-initramfs.sh')], { stdio: 'ignore' });
}
let times = {};
try {
  times = JSON.parse(fs.readFileSync(timesFile, 'utf8'));
} catch {
  // no run recorded yet
}
const weight = (f) => times[f] ?? (usesVm(f) ? 1e9 : 0) + fs.statSync(path.join(testDir, f)).size;
const queue = jobs > 1 && !filter ? [...selected].sort((a, b) => weight(b) - weight(a)).map((f) => [f]) : [selected];

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    children.forEach((c) => c.kill(sig));
    dropScratch();
    process.exit(130);
  });
}

/** Runs uvu on `group`; resolves to its totals. With `live`, its output streams through, else it comes at the end. */
function runUvu(group, live) {
  // uvu takes one pattern tested against each path under test/: an exact alternation of the files.
  const escape = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = `^(${group.map(escape).join('|')})$`;
  const scratch = fs.mkdtempSync(path.join(scratchRoot, 'f-'));
  fs.chmodSync(scratch, 0o1777);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern, ...(colour ? [] : ['--no-color']), ...uvuFlags],
    { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: scratch } },
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
      fs.rmSync(scratch, { recursive: true, force: true });
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

const results = [];
const spent = {};
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let group; (group = queue.shift()); ) {
      const t0 = Date.now();
      results.push(await runUvu(group, queue.length === 0 && results.length === 0));
      if (group.length === 1) spent[group[0]] = Date.now() - t0;
    }
  }),
);
if (Object.keys(spent).length) {
  fs.mkdirSync(path.dirname(timesFile), { recursive: true });
  fs.writeFileSync(timesFile, JSON.stringify({ ...times, ...spent }, null, 1) + '\n');
  const slowest = Object.entries(spent).sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(`slowest files: ${slowest.map(([f, ms]) => `${f} ${(ms / 1000).toFixed(0)} s`).join(', ')}`);
}
const sum = (k) => results.reduce((a, r) => a + r[k], 0);
const total = sum('total');
const failed = total - sum('passed');
if (total === 0) console.error('test: no test ran');
finish(sum('passed'), failed, sum('skipped'), failed > 0 || total === 0 ? 1 : 0);
