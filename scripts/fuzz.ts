// Structure-aware fuzzing of the commands on damaged images (issue 11): mutants of seed images (boundary values of the
// declared fields, bit flips and zapped blocks, truncations, node-chain and directory loops, hostile names) made with
// our injection library, then every read-only command (one read-only session, with dump and export-android writing into
// the mutant's host sandbox), dump-sb/dump-cp, `rdump` into the sandbox, `diff` against the seed or `sparse` (in turn),
// and `recover`, `fsck` and one mutating command on a copy.
//
// The commands run in-process, in a pool of worker threads (scripts/fuzz-worker.ts) through the same oclif command
// classes as the CLI, so a mutant costs milliseconds instead of a process start per command. Seeds are held in
// memory; each mutant is written (sparse) to a tmpfs file. Findings:
//   crash     exit 70 (an unexpected exception) or anything thrown out of a command run
//   hang      one command used 10 s of its thread's CPU time without finishing, or no CPU for 60 s (blocked): the
//             watchdog terminates the thread and starts a new one. CPU time, not wall time, so that a campaign under
//             `nice` on a busy machine judges the same (wall time where /proc gives no thread times)
//   memory    the thread hit its 1 GiB heap limit
//   ro-write  a read-only command changed the image file or tried to write (EROFS)
//   escape    a command left a host entry outside its target (rdump, dump, export-android, sparse: the sandbox)
// Each finding's mutant is kept in the work directory; `--from M --count 1` with the same --seed makes it again.
// --resume goes on with the campaign recorded in WORK/report.json (same seed, same seeds): from its next mutant, its
// counts carried on, so that a campaign spread over many runs has one report (mutants in flight when a run was
// stopped are skipped, never counted).
//
//   nice -n 10 npx tsx scripts/fuzz.ts [--count N] [--seed S] [--minutes M] [--workers W] [--from M | --resume] [--work DIR]
//                                      [--fixtures default,crypto,...]   (Linux-made seeds; '' for none)
// FUZZ_SLOW=MS logs every command run that took longer than MS. The report is also kept, and rewritten every 30 s,
// in WORK/report.json.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { walkTree } from '../src/debugfs/reverse.js';
import { walkChain } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { isDir } from '../src/fs/inode.js';
import { maxFileBlocks, walkNodeTree } from '../src/fs/node.js';
import { compressAttrs } from '../src/fs/compress.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { fixtureNames, loadFixture } from '../fixtures/load.js';
import { SANDBOX, type CommandResult, type SeedInfo, type Verdict, type WorkerInit, type WorkerMessage } from './fuzz-worker.js';

export type { Verdict } from './fuzz-worker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const LIMIT_MS = 10_000;
/** A command whose thread used no CPU for this long is blocked (a read of a FIFO, a lock): a hang too. */
const BLOCKED_MS = 60_000;
/** sysconf(_SC_CLK_TCK): the unit of /proc's thread times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms one thread of this process has used (utime + stime in /proc/PID/task/TID/stat), or undefined. */
function threadCpuMs(tid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}
const HEAP_MB = 1024;

export interface Finding {
  mutant: number;
  seed: string;
  mutation: string;
  command: string;
  verdict: Exclude<Verdict, 'ok'>;
  detail: string;
  image: string;
}
export interface FuzzReport {
  /** The campaign's seed (--seed). */
  campaign: number;
  /** The first mutant number not handed out yet: where --resume goes on. */
  next: number;
  /** Runs the report adds up (1 + each --resume). */
  runs: number;
  mutants: number;
  /** Mutants per kind of mutation (first word of its description). */
  kinds: Record<string, number>;
  /** Mutants per seed image. */
  seeds: Record<string, number>;
  /** Command runs judged. */
  commands: number;
  /** Milliseconds spent per command name (first word), over the campaign. */
  msPerCommand: Record<string, number>;
  /** Runs per command name: the mutants each command met (commands were added to the campaign as it went on). */
  runsPerCommand: Record<string, number>;
  /** Milliseconds spent per seed, over the campaign. */
  msPerSeed: Record<string, number>;
  counts: Record<Verdict, number>;
  findings: Finding[];
  ms: number;
  /** CPU time of this process (every thread) spent on the mutants, after the seeds were made: a rate independent of how busy the machine is. */
  cpuMs: number;
}

function cli(args: string[]): void {
  execFileSync(process.execPath, [RUN, ...args], { stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
}

/**
 * The tree written into the mkfs-made seeds: inline data and dentries, inline xattrs and an xattr node, a 4 MiB file
 * (direct nodes), sparse files reaching an indirect and a double-indirect node, links, special files, a multi-block
 * directory, and a pending atomic write (its staging inode an orphan).
 */
function populate(img: string, big: string): void {
  const script = [
    'mkdir /d',
    'mkdir /d/e',
    'write /d/small --data hello',
    `write /d/big --from ${big}`,
    'write /d/e/mid --data ' + 'm'.repeat(5000),
    'symlink /d/small /d/link',
    'symlink /outside/abs /d/abslink',
    'mknod /d/fifo p',
    'mknod /d/null c 1 3',
    'xattr-set /d/small user.k v',
    `xattr-set /d/small user.big ${'x'.repeat(2000)}`,
    'write /d/ind --data i --offset 16M',
    'write /d/dind --data d --offset 9G',
    'ln /d/small /hard',
    ...Array.from({ length: 40 }, (_, i) => `touch /d/e/f${i}`),
    'atomic-begin /d/e/mid',
    'write /d/e/mid --data staged',
  ];
  const file = `${img}.script`;
  fs.writeFileSync(file, script.join('\n') + '\n');
  cli(['run', img, '-q', '-f', file]);
  fs.rmSync(file);
  // A roll-forward chain after the checkpoint (a direct node and its inode).
  cli(['write', img, '/d/fsynced', '--data', 'f'.repeat(9000), '--sync', 'fsync']);
}

/**
 * Seed images: made by mkfs.f2fs (default features and the extra ones) and by our mkfs, each with the tree of
 * populate() and an fsync chain; and the Linux-made fixtures (fixtures/*.img.gz and the feature sets: crypto,
 * quota, compress, casefold). Made once per work directory.
 */
export async function makeSeeds(dir: string, opts: { fixtures?: string[] } = {}): Promise<SeedInfo[]> {
  const images: { name: string; image: string; key?: string }[] = [];
  const big = path.join(dir, 'big.bin');
  if (!fs.existsSync(big)) fs.writeFileSync(big, crypto.randomBytes(4 << 20));
  for (const [name, maker, features] of [
    ['mkfs.f2fs-default', 'mkfs.f2fs', ''],
    ['mkfs.f2fs-extra', 'mkfs.f2fs', 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found'],
    ['ours-extra', 'ours', 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum'],
  ] as const) {
    const img = path.join(dir, `seed-${name}.img`);
    if (!fs.existsSync(img)) {
      const tmp = `${img}.tmp`;
      fs.rmSync(tmp, { force: true });
      if (maker === 'mkfs.f2fs') {
        fs.writeFileSync(tmp, '');
        fs.truncateSync(tmp, 64 << 20);
        execFileSync('mkfs.f2fs', ['-q', '-f', '-r', '-T', '1700000000', ...(features ? ['-O', features] : []), tmp], { stdio: 'pipe' });
      } else {
        cli(['mkfs', tmp, '--size', '64M', '--timestamp', '1700000000', ...(features ? ['--features', features] : [])]);
      }
      populate(tmp, big);
      fs.renameSync(tmp, img);
    }
    images.push({ name, image: img });
  }
  for (const name of opts.fixtures ?? fixtureNames()) {
    const keyFile = path.join(ROOT, 'fixtures', name, 'master.key');
    const key = fs.existsSync(keyFile) ? keyFile : undefined;
    const img = path.join(dir, `seed-linux-${name}.img`);
    if (!fs.existsSync(img)) {
      // Smaller, so that a mutant costs little: without files of over 4 MiB of blocks (sparse ones stay: the 9 GiB
      // file is the Linux-made double-indirect node), and with 1 file in 8 kept in directories of over 40 entries
      // (their hash levels and blocks stay: multi-level directories remain, sparser).
      const tmp = `${img}.tmp`;
      fs.copyFileSync(await loadFixture(name), tmp);
      const vol = Volume.open(tmp, { readOnly: true, keys: key ? [fs.readFileSync(key)] : undefined });
      const drop: string[] = [];
      try {
        const names = new Map<number, number>();
        walkTree(vol, (_p, _d, parent) => void names.set(parent, (names.get(parent) ?? 0) + 1));
        const seen = new Map<number, number>();
        walkTree(vol, (p, d, parent) => {
          if (d.fileType !== 1) return;
          const i = seen.get(parent) ?? 0;
          seen.set(parent, i + 1);
          if (vol.inode(d.ino).inode.i_blocks * 512 > 4 << 20 || ((names.get(parent) ?? 0) > 40 && i % 8 !== 0)) drop.push(p);
        });
      } finally {
        vol.close();
      }
      if (drop.length) {
        const script = `${tmp}.script`;
        fs.writeFileSync(script, drop.map((p) => `rm ${JSON.stringify(p)}`).join('\n') + '\n');
        try {
          cli(['run', tmp, '-q', '-k', '-f', script, ...(key ? ['--key', key] : [])]);
        } catch {
          // a name the script cannot spell stays: the seed is only larger
        }
        fs.rmSync(script);
      }
      fs.renameSync(tmp, img);
    }
    images.push({ name: `linux-${name}`, image: img, key });
  }
  return images.map((s) => seedInfo(s.name, s.image, s.key));
}

/** What a seed holds (inodes, directories and entries, the chain, some node and data blocks) and the lines to run on it. */
export function seedInfo(name: string, image: string, key?: string): SeedInfo {
  const vol = Volume.open(image, { readOnly: true, keys: key ? [fs.readFileSync(key)] : undefined });
  try {
    const root = vol.sb.root_ino;
    const dirs = new Map<number, { path: string; ino: number; names: string[] }>([[root, { path: '/', ino: root, names: [] }]]);
    const inos = new Set<number>([root]);
    const files: string[] = [];
    const links: string[] = [];
    walkTree(vol, (p, d, parent) => {
      inos.add(d.ino);
      dirs.get(parent)?.names.push(d.name.toString());
      if (d.fileType === 2) dirs.set(d.ino, { path: p, ino: d.ino, names: [] });
      else if (d.fileType === 1) files.push(p);
      else if (d.fileType === 7) links.push(p);
    });
    // Every node block beyond the tree's inodes: the quota files' inodes, xattr nodes, direct and indirect nodes (and
    // their NAT entries), so that mutations reach them too, not only through a stray bit flip.
    const sysInos = (vol.sb.qf_ino as number[]).filter((i) => i !== 0);
    const nids = new Set<number>();
    for (const ino of [...inos, ...sysInos]) {
      const info = vol.inode(ino);
      nids.add(ino);
      if (info.inode.i_xattr_nid) nids.add(info.inode.i_xattr_nid);
      walkNodeTree(info, info.page, 0, maxFileBlocks(info), { node: (nid) => (nids.add(nid), vol.nm.readNode(nid, ino)), slot: () => {} });
    }
    const nodeBlocks = [...nids].map((i) => vol.nm.getNat(i).block_addr);
    const dataBlocks: number[] = [];
    for (const ino of [...inos].slice(0, 64)) {
      const info = vol.inode(ino);
      vol.data.walk(info, 0, Math.min(4, Math.ceil(info.inode.i_size / BLKSIZE)), (_bidx, blkaddr) => void (dataBlocks.length < 64 && vol.check.isValidBlkaddr(blkaddr, 'data') && dataBlocks.push(blkaddr)));
    }
    // A spread of the files: the first ones, the largest, and every 7th.
    const sized = files.map((f) => ({ f, size: vol.inode(vol.resolve(f).ino).inode.i_size })).filter((x) => x.size <= 8 << 20);
    const largest = [...sized].sort((a, b) => b.size - a.size).slice(0, 1).map((x) => x.f);
    const some = [...new Set([...sized.slice(0, 2).map((x) => x.f), ...largest, ...sized.filter((_, i) => i % 11 === 5).slice(0, 2).map((x) => x.f)])];
    const someDirs = [...dirs.values()].map((d) => d.path).slice(0, 4);
    const q = (p: string) => JSON.stringify(p);
    // A file with an xattr and a compressed file, when the seed has them (else the commands meet a file without).
    const withXattr = files.map((f) => ({ f, x: vol.xattrs(vol.inode(vol.resolve(f).ino))[0] })).find((e) => e.x) ?? { f: files[0] ?? '/', x: { name: 'user.k' } };
    const compressed = files.find((f) => compressAttrs(vol.inode(vol.resolve(f).ino))) ?? files[0] ?? '/';
    const readLines = [
      'info',
      ...someDirs.map((d) => `ls -l ${q(d)}`),
      // (cat only up to 256 KiB: rdump reads every file anyway.)
      ...some.flatMap((f) => [`stat ${q(f)}`, ...(sized.find((x) => x.f === f)!.size <= 256 << 10 ? [`cat ${q(f)}`] : []), `bmap ${q(f)}`, `xattr-list ${q(f)}`]),
      ...links.slice(0, 2).flatMap((l) => [`readlink ${q(l)}`, `stat ${q(l)}`]),
      `ncheck ${[...inos].slice(0, 8).join(' ')}`,
      `icheck ${[...nodeBlocks.slice(0, 3), ...dataBlocks.slice(0, 3)].join(' ')}`,
      'dump-nat --range 0~64',
      'dump-sit',
      'dump-ssa --range 0~8',
      `dump-node ${root}`,
      `block ${dataBlocks[0] ?? nodeBlocks[0]}`,
      'log',
      'orphans',
      'lsdel',
      `history <${vol.resolve(some[0] ?? '/').ino}>`,
      'heatmap',
      'atomic-status',
      'quota',
      `get-flags ${q(some[0] ?? '/')}`,
      `xattr-get ${q(withXattr.f)} ${q(withXattr.x.name)}`,
      `compress-stats ${q(compressed)}`,
      `get-cblocks ${q(compressed)}`,
      `sit-bit ${dataBlocks[0] ?? nodeBlocks[0]}`,
      // Content digests would hash the 9 GiB sparse files for seconds: dump, rdump and cat read content.
      'manifest --digest none',
      `dump ${q(some[0] ?? '/')} ${SANDBOX}/dumped`,
      `export-android ${SANDBOX}/android`,
    ];
    const victim = some[0] ?? '/nonexistent';
    const writeLines = [
      ['write', '/fuzz-new', '--data', 'x'],
      ['write', victim, '--data', 'y'.repeat(5000), '--append'],
      ['mkdir', `${someDirs[someDirs.length - 1] === '/' ? '' : someDirs[someDirs.length - 1]}/fuzz-dir`],
      ['rm', victim],
      ['mv', victim, '/fuzz-moved'],
      ['truncate', victim, '1'],
      ['xattr-set', victim, 'user.fuzz', 'v'],
      ['symlink', '/x', '/fuzz-link'],
    ];
    if (!isDir(vol.inode(root).inode.i_mode)) throw new Error(`seed ${name}: the root is not a directory`);
    return { name, image, key, inos: [...inos], sysInos, nids: [...nids], sysNids: [vol.sb.node_ino, vol.sb.meta_ino], dirs: [...dirs.values()], chain: walkChain(vol).nodes.map((n) => ({ nid: n.nid, blkaddr: n.blkaddr })), nodeBlocks, dataBlocks, cpBlkaddr: vol.geo.cpBlkaddr, metaEnd: vol.geo.mainBlkaddr, readLines, writeLines };
  } finally {
    vol.close();
  }
}

export interface FuzzOptions {
  count: number;
  seed: number;
  /** First mutant number (a finding's `mutant` with the same seed makes it again). */
  from?: number;
  /** Go on with the campaign in WORK/report.json (from its `next`, its counts carried on); `from` is then ignored. */
  resume?: boolean;
  minutes?: number;
  workers?: number;
  /** Fixture names to use as Linux-made seeds (default: all). */
  fixtures?: string[];
  work: string;
  log?: (s: string) => void;
}

/** Runs a campaign: mutants `from` … `from + count - 1` over a pool of worker threads. */
export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  fs.mkdirSync(opts.work, { recursive: true });
  const seeds = await makeSeeds(opts.work, { fixtures: opts.fixtures });
  const cpu0 = process.cpuUsage();
  const reportFile = path.join(opts.work, 'report.json');
  const report: FuzzReport = opts.resume
    ? resumed(reportFile, opts.seed)
    : { campaign: opts.seed, next: opts.from ?? 0, runs: 1, mutants: 0, kinds: {}, seeds: {}, commands: 0, msPerCommand: {}, runsPerCommand: {}, msPerSeed: {}, counts: { ok: 0, crash: 0, hang: 0, memory: 0, 'ro-write': 0, escape: 0 }, findings: [], ms: 0, cpuMs: 0 };
  const before = { ms: report.ms, cpuMs: report.cpuMs, mutants: report.mutants };
  const from = report.next;
  const end = from + opts.count;
  const deadline = opts.minutes !== undefined ? t0 + opts.minutes * 60_000 : Infinity;
  let next = from;
  let lastLog = Date.now();

  const found = (f: Omit<Finding, 'image'>, image: string) => {
    const keep = path.join(opts.work, `finding-${report.findings.length}-${f.verdict}-m${f.mutant}.img`);
    try {
      fs.copyFileSync(image, keep);
    } catch {
      // the image went with the thread's scratch directory: the mutant number still makes it again
    }
    report.findings.push({ ...f, image: keep });
    report.counts[f.verdict]++;
    opts.log?.(`mutant ${f.mutant} [${f.seed}] (${f.mutation}): ${f.command}: ${f.verdict}: ${f.detail.slice(0, 400)}`);
  };
  const tally = (m: number, seed: string, mutation: string) => {
    report.mutants++;
    const kind = mutation.split(/[: ]/)[0];
    report.kinds[kind] = (report.kinds[kind] ?? 0) + 1;
    report.seeds[seed] = (report.seeds[seed] ?? 0) + 1;
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      const s = (Date.now() - t0) / 1000;
      const run = report.mutants - before.mutants;
      opts.log?.(`${report.mutants} mutants (${run} in this run, up to ${m}), ${report.commands} commands, ${report.findings.length} findings, ${Math.round(s)} s, ${(run / s).toFixed(1)} mutants/s`);
      // A long campaign may be stopped at any time: what it has judged so far stays on record.
      const cpu = process.cpuUsage(cpu0);
      writeReport(reportFile, { ...report, next, ms: before.ms + Date.now() - t0, cpuMs: before.cpuMs + Math.round((cpu.user + cpu.system) / 1000) });
    }
  };

  await new Promise<void>((resolve, reject) => {
    let live = 0;
    const more = () => next < end && Date.now() < deadline;
    const start = (k: number) => {
      const dir = path.join(opts.work, `w${k}`);
      const entry = pathToFileURL(path.join(ROOT, 'scripts/fuzz-worker.ts')).href;
      const init: WorkerInit = { entry, root: ROOT, seeds, dir, campaign: opts.seed };
      const w = new Worker(path.join(ROOT, 'scripts/fuzz-boot.mjs'), { workerData: init, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stdout: true, stderr: true });
      // Output a command writes to the process streams directly (cat of binary data) is dropped.
      w.stdout.resume();
      w.stderr.resume();
      live++;
      /** The command this thread runs: since when (wall), the thread's CPU time then, and its last CPU progress. */
      let current: { m: number; command: string; mutation: string; since: number; cpu0?: number; progress: { at: number; cpu?: number } } | undefined;
      let tid: number | undefined;
      let seedOf = '';
      let stopped = false;
      const watchdog = setInterval(() => {
        if (!current) return;
        const now = Date.now();
        const cpu = tid === undefined ? undefined : threadCpuMs(tid);
        let why: string | undefined;
        if (cpu === undefined || current.cpu0 === undefined) {
          if (now - current.since > LIMIT_MS) why = `no end within ${LIMIT_MS} ms`;
        } else if (cpu - current.cpu0 > LIMIT_MS) why = `${Math.round(cpu - current.cpu0)} ms of CPU without an end`;
        else if (cpu - (current.progress.cpu ?? 0) >= 10) current.progress = { at: now, cpu };
        else if (now - current.progress.at > BLOCKED_MS) why = `blocked: no CPU used for ${BLOCKED_MS} ms`;
        if (!why) return;
        const c = current;
        current = undefined;
        found({ mutant: c.m, seed: seedOf, mutation: c.mutation, command: c.command, verdict: 'hang', detail: why }, path.join(dir, 'mutant.img'));
        report.commands++;
        tally(c.m, seedOf, c.mutation);
        replace();
      }, 250);
      const stop = () => {
        if (stopped) return;
        stopped = true;
        clearInterval(watchdog);
        void w.terminate();
        live--;
      };
      const replace = () => {
        stop();
        if (more()) start(k);
        else if (live === 0) resolve();
      };
      w.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'begin') {
          const cpu0 = tid === undefined ? undefined : threadCpuMs(tid);
          current = { m: msg.m, command: msg.command, mutation: msg.mutation, since: Date.now(), cpu0, progress: { at: Date.now(), cpu: cpu0 } };
          seedOf = msg.seed;
        } else if (msg.type === 'done') {
          current = undefined;
          for (const r of msg.results as CommandResult[]) {
            report.commands++;
            const name = r.command.split(' ')[0];
            report.msPerCommand[name] = Math.round((report.msPerCommand[name] ?? 0) + r.ms);
            report.runsPerCommand[name] = (report.runsPerCommand[name] ?? 0) + 1;
            report.msPerSeed[msg.seed] = Math.round((report.msPerSeed[msg.seed] ?? 0) + r.ms);
            if (process.env.FUZZ_SLOW && r.ms > Number(process.env.FUZZ_SLOW)) opts.log?.(`slow: ${Math.round(r.ms)} ms: mutant ${msg.m} [${msg.seed}] ${r.command}`);
            if (r.verdict === 'ok') report.counts.ok++;
            else found({ mutant: msg.m, seed: msg.seed, mutation: msg.mutation, command: r.command, verdict: r.verdict, detail: r.detail }, msg.image);
          }
          tally(msg.m, msg.seed, msg.mutation);
        } else if (msg.type === 'ready') {
          tid = msg.tid;
          if (next < end && Date.now() < deadline) w.postMessage({ type: 'mutant', m: next++ });
          else {
            stop();
            if (live === 0) resolve();
          }
        }
      });
      w.on('error', (e: Error & { code?: string }) => {
        if (stopped) return;
        const c = current;
        current = undefined;
        if (!c) {
          stop();
          reject(new Error(`fuzz worker ${k} failed outside a command: ${e.stack ?? e.message}`));
          return;
        }
        const verdict = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
        found({ mutant: c.m, seed: seedOf, mutation: c.mutation, command: c.command, verdict, detail: `${e.code ?? e.name}: ${e.message}` }, path.join(dir, 'mutant.img'));
        report.commands++;
        tally(c.m, seedOf, c.mutation);
        replace();
      });
      w.on('exit', () => {
        if (!stopped) replace();
      });
    };
    for (let k = 0; k < (opts.workers ?? 2); k++) start(k);
  });
  report.next = next;
  report.ms = before.ms + Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  report.cpuMs = before.cpuMs + Math.round((cpu.user + cpu.system) / 1000);
  writeReport(reportFile, report);
  return report;
}

/** The report a campaign left in its work directory, to go on with (--resume). */
function resumed(file: string, seed: number): FuzzReport {
  let r: FuzzReport & { mutantsPerSecond?: number; mutantsPerCpuSecond?: number };
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--resume: no campaign report to go on with (${(e as Error).message})`);
  }
  if (r.campaign !== seed || !Number.isInteger(r.next)) throw new Error(`--resume: ${file} is campaign ${r.campaign}, not --seed ${seed}`);
  delete r.mutantsPerSecond;
  delete r.mutantsPerCpuSecond;
  // Reports from before runsPerCommand was kept start it empty.
  return { ...r, runsPerCommand: r.runsPerCommand ?? {}, runs: (r.runs ?? 1) + 1 };
}

/** The report as printed and kept in the work directory: rates added, each finding's detail cut to 300 characters. */
export function reportJson(report: FuzzReport): string {
  const secs = report.ms / 1000;
  const rates = { mutantsPerSecond: Number((report.mutants / secs).toFixed(2)), mutantsPerCpuSecond: report.cpuMs ? Number((report.mutants / (report.cpuMs / 1000)).toFixed(2)) : undefined };
  return JSON.stringify({ ...report, ...rates, findings: report.findings.map((f) => ({ ...f, detail: f.detail.slice(0, 300) })) }, null, 2);
}

function writeReport(file: string, report: FuzzReport): void {
  fs.writeFileSync(`${file}.tmp`, reportJson(report) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const report = await fuzz({
    count: Number(arg('count', '1000000')),
    seed: Number(arg('seed', String(Date.now() % 100000))),
    from: Number(arg('from', '0')),
    resume: process.argv.includes('--resume'),
    minutes: process.argv.includes('--minutes') ? Number(arg('minutes', '0')) : undefined,
    fixtures: process.argv.includes('--fixtures') ? arg('fixtures', '').split(',').filter(Boolean) : undefined,
    workers: Number(arg('workers', String(Math.min(2, os.availableParallelism())))),
    work: arg('work', fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-fuzz-'))),
    log: (s) => console.error(s),
  });
  console.log(reportJson(report));
}
