#!/usr/bin/env node
// f2fsdbg benchmark: one table of measurements, each as our number, a reference measured in the same run, and the
// ratio ours/reference. See bench/README.md for what every line means.
//
//   npm run bench                    build, then run everything (several minutes)
//   node bench/run.mjs [options]     the built CLI (dist/) as it is
//     --quick            smaller workloads, 1 run of the heavy steps (a smoke test, not numbers to quote)
//     --only 1,3,6       run only these steps (1-8)
//     --runs N           runs of each start-up measurement (default 11)
//     --heavy-runs N     runs of each heavy measurement (default 3)
//     --tree DIR         host tree for step 2 (default: a generated tree of ~2,000 files / 100 MiB)
//     --import-tree DIR  host tree for step 4 (default: /usr/include, else the step-2 tree)
//     --scratch DIR      where images and copies go (default: /dev/shm if writable, else the OS temp dir)
//     --keep             leave the scratch directory in place
//
// Internal: `node --import tsx bench/run.mjs --child chain|atomic N` runs a library-level measurement (steps 5, 6)
// and prints one JSON line.

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const BIN = path.join(ROOT, 'bin/run.js');
const NODE = process.execPath;
const BLK = 4096;
const MiB = 1024 * 1024;

/* ------------------------------------------------------------------ children (library level, under tsx) */

if (process.argv[2] === '--child') {
  const [, , , what, nArg] = process.argv;
  const out = await (what === 'chain' ? childChain(Number(nArg)) : childAtomic(Number(nArg)));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

async function lib() {
  const src = (p) => import(path.join(ROOT, 'src', p));
  const [device, mkfsMod, volume, checkpoint, file, recovery, ops, atomic] = await Promise.all([
    src('device/index.ts'),
    src('fs/mkfs.ts'),
    src('fs/volume.ts'),
    src('fs/checkpoint.ts'),
    src('fs/file.ts'),
    src('fs/recovery.ts'),
    src('fs/ops.ts'),
    src('fs/atomic.ts'),
  ]);
  return { ...device, ...mkfsMod, ...volume, ...checkpoint, ...file, ...recovery, ...ops, ...atomic };
}

/**
 * Step 6: a warm-node chain of `n` node blocks on a 16 GiB in-memory image. FILES inline files are created and
 * checkpointed (so their fsyncs need no checkpoint fallback), then each fsync follows a 16-byte write inside the
 * inline area, so it writes exactly one node (the inode) to the chain. Pending writes are dropped (a power cut),
 * and `recover` is timed on independent clones of the device (`runs` times). The image is big enough that the
 * segments the chain leaves behind (every fsync invalidates the previous copy of the inode) stay under the 5%
 * prefree bound of a background checkpoint, which would start a new chain (balanceFs, as Linux does).
 */
async function childChain(n) {
  const L = await lib();
  const runs = Number(process.env.BENCH_CHAIN_RUNS ?? 1);
  const FILES = 300;
  const dev = new L.MemDevice((16 * 1024 * MiB) / BLK);
  L.mkfs(dev, { seed: 1, timestamp: 1700000000 });
  const vol = L.Volume.open(dev, { readOnly: false });
  L.mkdir(vol, '/d');
  const inos = [];
  for (let i = 0; i < FILES; i++) inos.push(L.writePath(vol, `/d/f${i}`, Buffer.from('x')).ino);
  L.writeCheckpoint(vol, { umount: false });
  const data = Buffer.alloc(16, 0x61);
  let nodes = 0;
  let fsyncs = 0;
  const t0 = performance.now();
  for (let k = 0; nodes < n; k++) {
    const ino = inos[k % FILES];
    L.writeFile(vol, ino, (Math.floor(k / FILES) * 16) % 3000, data);
    const r = L.fsyncFile(vol, ino);
    if (r.method !== 'nodes') throw new Error(`fsync of inode ${ino} fell back to a checkpoint: ${r.reason}`);
    nodes += r.nodes.length;
    fsyncs++;
  }
  const buildMs = performance.now() - t0;
  vol.dev.discardPending();
  const base = dev.clone();
  vol.close();
  const times = [];
  let report;
  for (let i = 0; i < runs; i++) {
    const v = L.Volume.open(base.clone(), { readOnly: false });
    const t = performance.now();
    report = L.recover(v);
    times.push(performance.now() - t);
    v.close();
  }
  return { nodes, fsyncs, buildMs, recoverMs: times, chain: report.chain.length, inodes: report.inodes.length, skipped: report.skipped.length };
}

/** Step 5 (library): atomic-begin + N staged block writes + commit in one volume, no checkpoint: blocks written. */
async function childAtomic(n) {
  const L = await lib();
  const dev = new L.MemDevice((256 * MiB) / BLK);
  L.mkfs(dev, { seed: 1, timestamp: 1700000000 });
  const vol = L.Volume.open(dev, { readOnly: false });
  const ino = L.writePath(vol, '/db', crypto.randomBytes(n * BLK)).ino;
  L.writeCheckpoint(vol, { umount: true });
  const before = { ...dev.stats };
  L.atomicBegin(vol, ino);
  L.writeStaged(vol, ino, 0, crypto.randomBytes(n * BLK));
  const r = L.atomicCommit(vol, ino);
  vol.dev.discardPending();
  const written = dev.stats.blocksWritten - before.blocksWritten;
  vol.close();
  return { written, moved: r.blocks, fsyncNodes: r.fsync.nodes.length, method: r.fsync.method };
}

/* ------------------------------------------------------------------ options */

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
const QUICK = argv.includes('--quick');
const KEEP = argv.includes('--keep');
const ONLY = opt('--only') ? new Set(opt('--only').split(',').map(Number)) : null;
const RUNS = Number(opt('--runs', QUICK ? 5 : 11));
const HEAVY = Number(opt('--heavy-runs', QUICK ? 1 : 3));
const TREE_FILES = QUICK ? 400 : 2000;
const TREE_BYTES = (QUICK ? 20 : 100) * MiB;
const BIG_MB = QUICK ? 64 : 256;
const ATOMIC_N = 1000;
const CHAIN_SMALL = QUICK ? 1000 : 10000;
const CHAIN_BIG = QUICK ? 10000 : 100000;
const BATCH_LINES = 10000;

function scratchBase() {
  const given = opt('--scratch');
  if (given) return given;
  for (const d of ['/dev/shm', os.tmpdir()]) {
    try {
      fs.accessSync(d, fs.constants.W_OK);
      return d;
    } catch {
      /* next */
    }
  }
  return os.tmpdir();
}
const SCRATCH = fs.mkdtempSync(path.join(scratchBase(), 'f2fsdbg-bench-'));
const sp = (...p) => path.join(SCRATCH, ...p);
process.on('exit', () => {
  if (!KEEP) fs.rmSync(SCRATCH, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/* ------------------------------------------------------------------ helpers */

const log = (s) => process.stderr.write(`bench: ${s}\n`);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * Runs a command, returns wall ms (spawn included, the same for both sides of a ratio), status and output.
 * opts: cwd, input, stdout: 'null' (to /dev/null) | 'pipe', rss: true to measure peak RSS (KiB) and CPU time (user +
 * system ms: what a busy machine does not inflate).
 */
function run(cmd, args, opts = {}) {
  let file = cmd;
  let list = args;
  const rssFile = opts.rss ? sp(`rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : null;
  if (rssFile && TIME) {
    file = TIME;
    list = ['-f', '%M %U %S', '-o', rssFile, cmd, ...args];
  } else if (rssFile && cmd === NODE) {
    // No /usr/bin/time: a preloaded module reports node's own peak RSS (KiB) and CPU seconds at exit.
    const hook = `import fs from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); fs.writeFileSync(${JSON.stringify(rssFile)}, [u.maxRSS, u.userCPUTime / 1e6, u.systemCPUTime / 1e6].join(' ')); });`;
    list = ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, ...args];
  }
  const stdoutFd = opts.stdout === 'null' ? fs.openSync('/dev/null', 'w') : 'pipe';
  const t = performance.now();
  const r = spawnSync(file, list, {
    cwd: opts.cwd ?? SCRATCH,
    input: opts.input,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', stdoutFd, 'pipe'],
    maxBuffer: 256 * MiB,
    env: { ...process.env, ...opts.env },
  });
  const ms = performance.now() - t;
  if (typeof stdoutFd === 'number') fs.closeSync(stdoutFd);
  if (r.error) throw r.error;
  let rss = null;
  let cpuMs = null;
  if (rssFile) {
    try {
      const [kib, user, sys] = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      rss = kib;
      cpuMs = (user + sys) * 1000;
      fs.rmSync(rssFile, { force: true });
    } catch {
      rss = null;
    }
  }
  return { ms, status: r.status, stdout: r.stdout ? r.stdout.toString() : '', stderr: r.stderr ? r.stderr.toString() : '', rss, cpuMs };
}

/** Like run(), but a non-zero status is an error naming the command and its stderr. */
function must(cmd, args, opts) {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    const what = `${path.basename(cmd) === path.basename(NODE) ? 'f2fsdbg' : path.basename(cmd)} ${args.filter((a) => a !== BIN).slice(0, 3).join(' ')}`;
    throw new Error(`${what}: exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ').slice(0, 200)}`);
  }
  return r;
}
const f2 = (args, opts) => must(NODE, [BIN, ...args], opts);
const f2json = (args, opts) => JSON.parse(f2([...args, '--json'], opts).stdout);

function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Writes `bytes` of random data to `file` in 1 MiB pieces. */
function randomFile(file, bytes) {
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(MiB, bytes - done);
      fs.writeSync(fd, crypto.randomBytes(n));
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A deterministic host tree: `files` files over ~files/40 directories, sizes log-uniform 256 B..2 MiB scaled to ~`bytes`, plus a few symlinks. */
function makeTree(dir, files, bytes) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const raw = Array.from({ length: files }, () => Math.exp(Math.log(256) + rnd() * (Math.log(2 * MiB) - Math.log(256))));
  const scale = bytes / raw.reduce((a, b) => a + b, 0);
  const dirs = Math.max(1, Math.round(files / 40));
  for (let d = 0; d < dirs; d++) fs.mkdirSync(path.join(dir, `d${String(d).padStart(3, '0')}`, d % 3 ? '' : 'sub'), { recursive: true });
  let total = 0;
  raw.forEach((r, i) => {
    const d = i % dirs;
    const sub = d % 3 === 0 && i % 2 ? 'sub' : '';
    const size = Math.max(1, Math.round(r * scale));
    fs.writeFileSync(path.join(dir, `d${String(d).padStart(3, '0')}`, sub, `f${i}.bin`), crypto.randomBytes(size));
    total += size;
  });
  for (let i = 0; i < 20; i++) fs.symlinkSync(`../d000/f${i * dirs}.bin`, path.join(dir, `d${String(i % dirs).padStart(3, '0')}`, `link${i}`));
  return total;
}

/** Files and bytes under a host directory (regular files only). */
function treeSize(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.lstatSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/* ------------------------------------------------------------------ the table */

const rows = [];
/** One line: ours and ref are numbers (or null), unit applies to both; ratio = ours / ref unless given. */
function row(step, name, ours, ref, unit, note = '', ratio) {
  const r = { step, name, ours, ref, unit, note, ratio: ratio ?? (ours != null && ref ? ours / ref : null) };
  rows.push(r);
  log(`${step} ${name}: ${fmt(ours, unit)} vs ${fmt(ref, unit)}${r.ratio != null ? ` (${fmtRatio(r.ratio)})` : ''}${note ? `  ${note}` : ''}`);
}
function errorRow(step, name, e) {
  rows.push({ step, name, error: String(e?.message ?? e).split('\n')[0] });
  log(`${step} ${name}: ERROR ${e?.message ?? e}`);
}
function fmt(v, unit) {
  if (v == null) return '-';
  if (unit === 'ms') return v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 100 ? 1 : 0)} ms`;
  if (unit === 'MiB') return `${v.toFixed(0)} MiB`;
  if (unit === 'us') return `${v.toFixed(1)} µs`;
  return `${Math.round(v * 100) / 100} ${unit}`.trim();
}

const fmtRatio = (r) => `x${r >= 0.095 ? r.toFixed(2) : r.toPrecision(2)}`;

function printTable() {
  const head = ['#', 'measurement', 'ours', 'reference', 'ratio', 'note'];
  const body = rows.map((r) =>
    r.error
      ? [String(r.step), r.name, 'ERROR', '-', '-', r.error]
      : [String(r.step), r.name, fmt(r.ours, r.unit), fmt(r.ref, r.unit), r.ratio != null ? fmtRatio(r.ratio) : '-', r.note],
  );
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const b of body) console.log(line(b));
}

async function step(n, name, fn) {
  if (ONLY && !ONLY.has(n)) return;
  const t = performance.now();
  log(`step ${n}: ${name}`);
  try {
    await fn();
  } catch (e) {
    errorRow(n, name, e);
  }
  log(`step ${n} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** Interleaved runs of several commands (a, b, a, b, ...), so load changes hit every side alike. */
function interleave(runs, fns) {
  const out = fns.map(() => []);
  for (let i = 0; i < runs; i++) fns.forEach((fn, k) => out[k].push(fn(i)));
  return out;
}

/* ------------------------------------------------------------------ the steps */

const started = performance.now();
if (!fs.existsSync(path.join(ROOT, 'dist/cli.cjs'))) {
  console.error('bench: dist/cli.cjs is missing: run `npm run build` first (or `npm run bench`)');
  process.exit(1);
}
log(`scratch ${SCRATCH}; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}; runs ${RUNS}, heavy runs ${HEAVY}${QUICK ? ' (quick)' : ''}`);

let treeDir = null;
let treeInfo = null;
function tree() {
  if (treeDir) return treeDir;
  const given = opt('--tree');
  if (given) {
    treeDir = path.resolve(given);
  } else {
    treeDir = sp('tree');
    fs.mkdirSync(treeDir);
    makeTree(treeDir, TREE_FILES, TREE_BYTES);
  }
  treeInfo = treeSize(treeDir);
  return treeDir;
}
/** An image size with room for `bytes` of files: 3x, at least 512 MiB, in 64 MiB steps. */
const imageSizeFor = (bytes) => Math.max(512 * MiB, Math.ceil((3 * bytes) / (64 * MiB)) * 64 * MiB);

await step(1, 'start-up', () => {
  const img64 = sp('s64.img');
  const img1t = sp('s1t.img');
  f2(['mkfs', img64, '--size', '64M']);
  f2(['mkfs', img1t, '--size', '1T']);
  f2(['stat', img64, '/']); // warm-up: writes the V8 code cache if this build has none yet
  const [bare, stat64, help, stat1t] = interleave(RUNS, [
    () => must(NODE, ['-e', '0']).ms,
    () => f2(['stat', img64, '/']).ms,
    () => f2(['--help']).ms,
    () => f2(['stat', img1t, '/']).ms,
  ]);
  const nodeMs = median(bare);
  const target = (ms) => `target < 150 ms: ${ms < 150 ? 'met' : 'missed'}; +${(ms - nodeMs).toFixed(0)} ms over node, best ${Math.min(...stat64).toFixed(0)} ms`;
  row(1, 'one-shot `stat IMG /` vs `node -e 0`', median(stat64), nodeMs, 'ms', target(median(stat64)));
  row(1, 'one-shot `--help` vs `node -e 0`', median(help), nodeMs, 'ms', `+${(median(help) - nodeMs).toFixed(0)} ms over node, best ${Math.min(...help).toFixed(0)} ms`);
  row(1, '`stat /` wall: 1 TiB vs 64 MiB image', median(stat1t), median(stat64), 'ms', `medians of ${RUNS} interleaved runs`);
  const io64 = f2json(['stat', img64, '/', '--io-stats']).io;
  const io1t = f2json(['stat', img1t, '/', '--io-stats']).io;
  row(1, '`stat /` blocks read: 1 TiB vs 64 MiB', io1t.blocksRead, io64.blocksRead, 'blocks', `cache hits ${io1t.cacheHits} vs ${io64.cacheHits}`);
  rmrf(img64);
  rmrf(img1t);
});

await step(2, 'rdump vs cp -a', () => {
  const src = tree();
  const img = sp('rdump.img');
  f2(['mkfs', img, '--size', String(imageSizeFor(treeInfo.bytes))]);
  f2(['import', img, src, '/']);
  const [ours, ref] = interleave(HEAVY, [
    (i) => {
      const out = sp(`rdump-out-${i}`);
      const r = f2(['rdump', img, '/', out]);
      const got = treeSize(out);
      if (got.files !== treeInfo.files || got.bytes !== treeInfo.bytes) throw new Error(`rdump copied ${got.files} files / ${got.bytes} bytes, expected ${treeInfo.files} / ${treeInfo.bytes}`);
      rmrf(out);
      return r.ms;
    },
    (i) => {
      const out = sp(`cp-out-${i}`);
      const r = must('cp', ['-a', src, out]);
      rmrf(out);
      return r.ms;
    },
  ]);
  row(2, '`rdump IMG / DIR` vs `cp -a`', median(ours), median(ref), 'ms', `${treeInfo.files} files, ${(treeInfo.bytes / MiB).toFixed(0)} MiB; median of ${HEAVY}; copy checked`);
  rmrf(img);
});

await step(3, 'cat of a large file vs dump.f2fs', () => {
  const dumpF2fs = which('dump.f2fs');
  const big = sp('big.bin');
  randomFile(big, BIG_MB * MiB);
  const img = sp('big.img');
  f2(['mkfs', img, '--size', `${Math.max(1024, BIG_MB * 3)}M`]);
  f2(['write', img, '/big.bin', '--from', big]);
  const { ino, md5 } = f2json(['cat', img, '/big.bin']);
  const want = crypto.createHash('md5').update(fs.readFileSync(big)).digest('hex');
  if (md5 !== want) throw new Error(`cat --json md5 ${md5} differs from the host file's ${want}`);
  rmrf(big);
  const wd = sp('dumpwd');
  fs.mkdirSync(wd);
  const out = sp('dump-out.bin');
  let checked = false;
  const fns = [
    () => f2(['cat', img, '/big.bin'], { stdout: 'null' }).ms,
    () => {
      const r = f2(['dump', img, '/big.bin', out]);
      rmrf(out);
      return r.ms;
    },
  ];
  if (dumpF2fs) {
    fns.push(() => {
      // dump.f2fs -i asks "Do you want to dump this file into ./lost_found/? [Y/N]" on stdin.
      const r = must(dumpF2fs, ['-i', `0x${ino.toString(16)}`, img], { cwd: wd, input: 'y\n', stdout: 'null' });
      const f = path.join(wd, 'lost_found', 'big.bin');
      if (!checked) {
        const st = fs.statSync(f);
        if (st.size !== BIG_MB * MiB) throw new Error(`dump.f2fs wrote ${st.size} bytes`);
        checked = true;
      }
      rmrf(path.join(wd, 'lost_found'));
      return r.ms;
    });
  }
  const [cat, dump, ref] = interleave(HEAVY, fns);
  const label = `${BIG_MB} MiB`;
  if (!dumpF2fs) {
    row(3, `\`cat IMG /big (${label})\` >/dev/null`, median(cat), null, 'ms', 'dump.f2fs not installed');
    return;
  }
  const mbps = (ms) => ((BIG_MB * 1000) / ms).toFixed(0);
  row(3, `\`cat\` ${label} >/dev/null vs \`dump.f2fs -i\``, median(cat), median(ref), 'ms', `${mbps(median(cat))} vs ${mbps(median(ref))} MiB/s; median of ${HEAVY}`);
  row(3, `\`dump\` ${label} to a host file vs \`dump.f2fs -i\``, median(dump), median(ref), 'ms', `both write a host file; ${mbps(median(dump))} MiB/s`);
  rmrf(img);
  rmrf(wd);
});

await step(4, 'import vs mkfs.f2fs + sload.f2fs', () => {
  const given = opt('--import-tree');
  const src = given ? path.resolve(given) : !QUICK && fs.existsSync('/usr/include') ? '/usr/include' : tree();
  const info = src === treeDir ? treeInfo : treeSize(src);
  const size = imageSizeFor(info.bytes);
  const mkfsF2fs = which('mkfs.f2fs');
  const sload = which('sload.f2fs');
  const results = { imp: [], mk: [], rss: [], sl: [], mkf: [], rssRef: [] };
  let stats = null;
  for (let i = 0; i < HEAVY; i++) {
    const img = sp(`imp-${i}.img`);
    results.mk.push(f2(['mkfs', img, '--size', String(size)]).ms);
    const r = f2(['import', img, src, '/', '--json'], { rss: true });
    results.imp.push(r.ms);
    results.rss.push(r.rss);
    stats = JSON.parse(r.stdout);
    rmrf(img);
    if (mkfsF2fs && sload) {
      const ref = sp(`sload-${i}.img`);
      const t = performance.now();
      fs.writeFileSync(ref, '');
      fs.truncateSync(ref, size);
      must(mkfsF2fs, ['-q', '-f', ref]);
      results.mkf.push(performance.now() - t);
      const s = must(sload, ['-f', src, ref], { rss: true });
      results.sl.push(s.ms);
      results.rssRef.push(s.rss);
      rmrf(ref);
    }
  }
  const what = `${src === '/usr/include' ? '/usr/include' : path.basename(src)}: ${stats.files} files, ${(stats.bytes / MiB).toFixed(0)} MiB, ${stats.dirs} dirs`;
  const ref = results.sl.length ? median(results.sl) : null;
  const verdict = ref ? (median(results.imp) < ref ? 'faster than sload' : 'SLOWER than sload') : 'sload.f2fs not installed';
  row(4, '`import` vs `sload.f2fs -f`', median(results.imp), ref, 'ms', `${verdict}; ${what}; ${(size / MiB).toFixed(0)} MiB images; median of ${HEAVY}`);
  row(4, '`mkfs` + `import` vs `mkfs.f2fs` + `sload.f2fs`', median(results.imp) + median(results.mk), ref && ref + median(results.mkf), 'ms', `mkfs ${median(results.mk).toFixed(0)} vs ${results.mkf.length ? median(results.mkf).toFixed(0) : '-'} ms`);
  const rss = results.rss.every((x) => x != null) ? median(results.rss) / 1024 : null;
  const rssRef = results.rssRef.length && results.rssRef.every((x) => x != null) ? median(results.rssRef) / 1024 : null;
  row(4, '`import` vs `sload.f2fs` peak RSS', rss, rssRef, 'MiB', TIME ? '/usr/bin/time %M' : 'process.resourceUsage');
});

await step(5, 'atomic commit of N staged blocks', () => {
  const N = ATOMIC_N;
  const img = sp('atomic.img');
  f2(['mkfs', img, '--size', '256M']);
  const a = sp('a.bin');
  const b = sp('b.bin');
  randomFile(a, N * BLK);
  randomFile(b, N * BLK);
  f2(['write', img, '/db', '--from', a]);
  const begin = f2json(['atomic-begin', img, '/db', '--io-stats']);
  const wr = f2json(['write', img, '/db', '--from', b, '--io-stats']);
  const commit = f2json(['atomic-commit', img, '/db', '--sync', 'none', '--io-stats']);
  const dn = Math.ceil(N / 1018) + 1;
  if (commit.blocks !== N) throw new Error(`atomic-commit moved ${commit.blocks} blocks, expected ${N}`);
  row(
    5,
    `\`atomic-commit\` of ${N} blocks: written vs ceil(N/1018)+1`,
    commit.io.blocksWritten,
    dn,
    'blocks',
    `${commit.fsync.method}: ${commit.fsync.nodes.length} node(s), ${commit.io.flushes} flushes; begin wrote ${begin.io.blocksWritten}, write ${wr.io.blocksWritten} (each with its checkpoint)`,
  );
  rmrf(img);
  rmrf(a);
  rmrf(b);
  const c = must(NODE, ['--import', 'tsx', SELF, '--child', 'atomic', String(N)], { cwd: ROOT });
  const r = JSON.parse(c.stdout.trim().split('\n').pop());
  row(5, `begin + ${N} writes + commit: written vs N+ceil(N/1018)+1`, r.written, N + dn, 'blocks', `library, one volume, no checkpoint; ${r.moved} moved, ${r.fsyncNodes} dnode(s) by ${r.method}`);
});

await step(6, 'recover on long node chains', () => {
  const child = (n, runs) => {
    const c = must(NODE, ['--import', 'tsx', '--max-old-space-size=4096', SELF, '--child', 'chain', String(n)], { cwd: ROOT, env: { BENCH_CHAIN_RUNS: String(runs) } });
    const r = JSON.parse(c.stdout.trim().split('\n').pop());
    if (r.chain !== r.nodes) throw new Error(`recover walked ${r.chain} of ${r.nodes} chain nodes`);
    if (r.skipped) throw new Error(`recover skipped ${r.skipped} nodes`);
    return r;
  };
  const small = child(CHAIN_SMALL, HEAVY);
  const big = child(CHAIN_BIG, QUICK ? 1 : Number(opt('--chain-runs', 1)));
  const ms = median(small.recoverMs);
  const msBig = median(big.recoverMs);
  row(6, `\`recover\`, ${CHAIN_SMALL.toLocaleString('en')}-node chain`, ms, null, 'ms', `${((ms / small.chain) * 1000).toFixed(1)} µs/node; ${small.inodes} inodes; median of ${small.recoverMs.length}; built by ${small.fsyncs} fsyncs in ${(small.buildMs / 1000).toFixed(1)} s`);
  row(
    6,
    `\`recover\`, ${CHAIN_BIG.toLocaleString('en')}-node chain vs linear`,
    msBig,
    (ms * big.chain) / small.chain,
    'ms',
    `ref = ${CHAIN_BIG / CHAIN_SMALL}x the ${CHAIN_SMALL.toLocaleString('en')}-node time, ratio = per-node time ratio; ${((msBig / big.chain) * 1000).toFixed(1)} µs/node; chain built by ${big.fsyncs} fsyncs in ${(big.buildMs / 1000).toFixed(1)} s`,
  );
});

await step(7, 'batch of small writes (`run -f`)', () => {
  const help = run(NODE, [BIN, 'run', '--help']);
  if (help.status !== 0) {
    rows.push({ step: 7, name: `\`run -f\`, ${BATCH_LINES.toLocaleString('en')} small writes`, ours: null, ref: null, unit: 'ms', ratio: null, note: 'not available (`run --help` failed)' });
    log('7: run command not available');
    return;
  }
  const img = sp('batch.img');
  f2(['mkfs', img, '--size', '512M']);
  const script = sp('batch.txt');
  const lines = ['mkdir /b'];
  let f0 = 0; // expected size of /b/f0, to check the batch did its work
  for (let i = 0; i < BATCH_LINES - 1; i++) {
    lines.push(`write /b/f${i % 200} --data line-${i}-abcdefgh --append`);
    if (i % 200 === 0) f0 += `line-${i}-abcdefgh`.length;
  }
  fs.writeFileSync(script, `${lines.join('\n')}\n`);
  const [one] = interleave(Math.min(RUNS, 5), [(i) => f2(['write', img, `/one${i}`, '--data', 'x']).ms]);
  const times = [];
  for (let i = 0; i < HEAVY; i++) {
    const copy = sp(`batch-${i}.img`);
    fs.copyFileSync(img, copy);
    times.push(f2(['run', copy, '-q', '-f', script]).ms);
    const size = f2json(['stat', copy, '/b/f0']).size;
    if (size !== f0) throw new Error(`after the batch /b/f0 has ${size} bytes, expected ${f0}`);
    rmrf(copy);
  }
  const perLine = median(times) / BATCH_LINES;
  row(7, `\`run -f\`, ${BATCH_LINES.toLocaleString('en')} writes: per line vs one-shot`, perLine, median(one), 'ms', `whole batch ${(median(times) / 1000).toFixed(1)} s (median of ${HEAVY})`);
  rmrf(img);
});

await step(8, 'import memory as the tree grows', () => {
  // Same-shaped trees (1 dir per 40 files, 256 B - 2 MiB, 8 KiB on average) at 1x and 8x the file count; the
  // smaller one already passes every buffer bound, so what grows between them is per-file bookkeeping only.
  const counts = QUICK ? [2000, 16000] : [10000, 80000];
  const rss = [];
  const ms = [];
  for (const files of counts) {
    const dir = sp(`grow-${files}`);
    fs.mkdirSync(dir);
    const bytes = makeTree(dir, files, files * 8 * 1024);
    const img = sp(`grow-${files}.img`);
    f2(['mkfs', img, '--size', String(imageSizeFor(bytes))]);
    const r = f2(['import', img, dir, '/', '--json'], { rss: true });
    const got = JSON.parse(r.stdout).files;
    if (got !== files) throw new Error(`imported ${got} files of ${files}`);
    rss.push(r.rss == null ? null : r.rss / 1024);
    ms.push(r.ms);
    rmrf(img);
    rmrf(dir);
  }
  const [small, big] = counts.map((n) => n.toLocaleString('en'));
  row(8, `\`import\` peak RSS: ${big} files vs ${small} files`, rss[1], rss[0], 'MiB', `same tree shape, 8 KiB files on average; ${(ms[0] / 1000).toFixed(1)} s and ${(ms[1] / 1000).toFixed(1)} s`);
});

await step(10, 'mkfs and fsck of 1 TiB and 16 TiB images vs mkfs.f2fs and fsck.f2fs -f', () => {
  // Empty sparse images: what both tools do here is bound by the metadata area they touch, not by data.
  const mkfsF2fs = which('mkfs.f2fs');
  const fsckF2fs = which('fsck.f2fs');
  if (!mkfsF2fs || !fsckF2fs) throw new Error('mkfs.f2fs / fsck.f2fs not found (apt-get install f2fs-tools)');
  for (const [label, size, runs] of [['1 TiB', '1T', HEAVY], ['16 TiB', '16T', 1]]) {
    const ours = sp(`big-${size}-ours.img`);
    const ref = sp(`big-${size}-ref.img`);
    const [mkOurs, mkRef] = interleave(runs, [
      () => {
        rmrf(ours);
        return f2(['mkfs', ours, '--size', size]).ms;
      },
      () => {
        rmrf(ref);
        must('truncate', ['-s', size, ref]);
        return must(mkfsF2fs, ['-q', '-f', ref], { stdout: 'null' }).ms;
      },
    ]);
    row(10, `mkfs ${label} vs mkfs.f2fs`, median(mkOurs), median(mkRef), 'ms', `median of ${runs}; ours includes node start-up`);
    const [fsOurs, fsRef] = interleave(runs, [() => f2(['fsck', ours], { rss: true }), () => must(fsckF2fs, ['-f', ref], { stdout: 'null', rss: true })]);
    const rss = (r) => (r.rss == null ? '?' : `${(r.rss / 1024).toFixed(0)} MiB`);
    row(10, `fsck ${label} vs fsck.f2fs -f`, median(fsOurs.map((r) => r.ms)), median(fsRef.map((r) => r.ms)), 'ms', `median of ${runs}; peak RSS ${rss(fsOurs[0])} vs ${rss(fsRef[0])}`);
    rmrf(ours);
    rmrf(ref);
  }
});

// Opt-in (--only 11): it runs for long.
if (ONLY?.has(11)) await step(11, 'a million files: import, churn with GC, fsck (linear cost, bounded memory)', () => {
  // Tiny files (inline data: the cost is all metadata), 500 per directory. Ours at 10x the files against ours at 1x, in
  // CPU time (a busy machine stretches wall time unevenly): a ratio near 10 is linear; the RSS shows what grows.
  const counts = QUICK ? [10_000, 100_000] : [100_000, 1_000_000];
  const per = { imp: [], churn: [], gc: [], fsck: [] };
  for (const files of counts) {
    const dir = sp(`million-${files}`);
    const dirs = Math.ceil(files / 500);
    for (let d = 0; d < dirs; d++) {
      fs.mkdirSync(path.join(dir, `d${d}`), { recursive: true });
      for (let i = d * 500; i < Math.min(files, (d + 1) * 500); i++) fs.writeFileSync(path.join(dir, `d${d}`, `f${i}`), `file ${i}\n`.repeat(1 + (i % 40)));
    }
    const img = sp(`million-${files}.img`);
    f2(['mkfs', img, '--size', String(Math.ceil((files * 12 * 1024) / (64 * MiB)) * 64 * MiB + 512 * MiB)]);
    const imp = f2(['import', img, dir, '/', '--json'], { rss: true });
    if (JSON.parse(imp.stdout).files !== files) throw new Error(`imported ${JSON.parse(imp.stdout).files} of ${files} files`);
    rmrf(dir);
    // Churn: a quarter of the files deleted, as many created, then GC over the segments the deletes left sparse.
    const script = sp(`million-${files}.run`);
    const lines = [];
    for (let i = 0; i < files; i += 4) lines.push(`rm /d${Math.floor(i / 500)}/f${i}`, `write /d${Math.floor(i / 500)}/n${i} --data new-${i}`);
    fs.writeFileSync(script, lines.join('\n') + '\n');
    const churn = f2(['run', img, '-q', '-f', script], { rss: true });
    const gc = f2(['gc', img, '--sections', String(Math.ceil(files / 4 / 512)), '--json'], { rss: true });
    const fsck = f2(['fsck', img, '--json'], { rss: true });
    const verdict = JSON.parse(fsck.stdout);
    if (!verdict.ok || verdict.stats.files !== files) throw new Error(`fsck after churn: ok ${verdict.ok}, ${verdict.stats.files} files of ${files}`);
    per.imp.push(imp);
    per.churn.push(churn);
    per.gc.push(gc);
    per.fsck.push(fsck);
    rmrf(img);
    rmrf(script);
  }
  const [small, big] = counts.map((n) => n.toLocaleString('en'));
  const mib = (r) => (r.rss == null ? null : r.rss / 1024);
  for (const [key, what] of [['imp', '`import`'], ['churn', 'churn (`run -f`: rm + write of a quarter)'], ['gc', '`gc`'], ['fsck', '`fsck`']]) {
    const [a, b] = per[key];
    row(11, `${what} CPU time: ${big} vs ${small} files`, b.cpuMs, a.cpuMs, 'ms', `linear is x10; wall ${(b.ms / 1000).toFixed(0)} s vs ${(a.ms / 1000).toFixed(1)} s; peak RSS ${mib(b)?.toFixed(0)} MiB vs ${mib(a)?.toFixed(0)} MiB`);
  }
});

console.log(`f2fsdbg bench — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, scratch ${path.dirname(SCRATCH)}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log('ratio = ours / reference (below 1: ours is faster or smaller)');
console.log('');
printTable();
