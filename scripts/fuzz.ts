// Structure-aware fuzzing of the CLI on damaged images (issue 11): mutants of seed images (boundary values of the
// declared fields, bit flips in metadata blocks, truncations, node-chain and directory loops, hostile names) made
// with our injection library, then every read-only command (one `run --read-only` session), dump-sb/dump-cp,
// `rdump` into a fresh directory, and `recover`, `fsck` and a `write` on a copy. Each process gets 10 s and a 1 GiB
// heap. Findings: exit 70 (an unexpected exception), hangs, out of memory, a read-only command that changed the
// image, a file written outside the rdump target. Each finding's mutant is kept in the work directory.
//
//   npx tsx scripts/fuzz.ts [--count N] [--seed S] [--minutes M] [--work DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDevice } from '../src/device/index.js';
import { fieldList, setCp, setDentry, setInode, setNode, setSsa, setTableEntry, setSuper, zapBlock, type InjectTarget } from '../src/debugfs/inject.js';
import { walkTree } from '../src/debugfs/reverse.js';
import { walkChain } from '../src/fs/recovery.js';
import { Volume } from '../src/fs/volume.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const LIMIT_MS = 10_000;
const HEAP_MB = 1024;

export type Verdict = 'ok' | 'crash' | 'hang' | 'memory' | 'ro-write' | 'escape';
export interface Finding {
  mutant: number;
  mutation: string;
  command: string;
  verdict: Exclude<Verdict, 'ok'>;
  detail: string;
  image: string;
}
export interface FuzzReport {
  mutants: number;
  /** Mutants per kind of mutation (first word of its description). */
  kinds: Record<string, number>;
  processes: number;
  counts: Record<Verdict, number>;
  findings: Finding[];
  ms: number;
}

/** Small deterministic PRNG (mulberry32): a seed reproduces a campaign. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, RUN, ...args], { input, encoding: 'utf8', timeout: LIMIT_MS, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

/** What a finished process says about the code: ok, or which kind of failure. */
function classify(r: ReturnType<typeof cli>): { verdict: Verdict; detail: string } {
  if (r.timedOut) return { verdict: 'hang', detail: `no exit within ${LIMIT_MS} ms` };
  if (r.signal || r.status === 134) return { verdict: /heap out of memory|Allocation failed/.test(r.stderr) || r.status === 134 ? 'memory' : 'crash', detail: `${r.signal ?? r.status}: ${r.stderr.slice(-300)}` };
  if (r.status === 70 || /INTERNAL/.test(r.stderr)) return { verdict: 'crash', detail: r.stderr.split('\n').filter((l) => /INTERNAL/.test(l)).slice(0, 3).join(' | ') || r.stderr.slice(-300) };
  return { verdict: 'ok', detail: '' };
}

const sha = (file: string) => crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');

/** Seed images: mkfs.f2fs (default features and the extra ones) with a tree exercising most structures, and an fsync chain. */
export function makeSeeds(dir: string): string[] {
  const seeds: string[] = [];
  const big = path.join(dir, 'big.bin');
  fs.writeFileSync(big, crypto.randomBytes(5 << 20));
  for (const [name, features] of [
    ['seed-default.img', ''],
    ['seed-extra.img', 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found'],
  ] as const) {
    const img = path.join(dir, name);
    fs.rmSync(img, { force: true });
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 64 << 20);
    execFileSync('mkfs.f2fs', ['-q', '-f', '-r', '-T', '1700000000', ...(features ? ['-O', features] : []), img], { stdio: 'pipe' });
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
      'ln /d/small /hard',
      ...Array.from({ length: 40 }, (_, i) => `touch /d/e/f${i}`),
    ].join('\n');
    const r = cli(['run', img, '-q'], script);
    if (r.status !== 0) throw new Error(`seed ${name}: ${r.stderr}`);
    // A roll-forward chain after the checkpoint (a direct node and its inode).
    const w = cli(['write', img, '/d/fsynced', '--from', big, '--sync', 'fsync']);
    if (w.status !== 0) throw new Error(`seed ${name}: ${w.stderr}`);
    seeds.push(img);
  }
  return seeds;
}

/** What a seed holds, for mutations that name things: inodes, directories and entries, the chain's nodes. */
interface SeedInfo {
  inos: number[];
  dirs: { path: string; ino: number; names: string[] }[];
  chain: { nid: number; blkaddr: number }[];
  nodeBlocks: number[];
  cpBlkaddr: number;
  metaEnd: number;
}

function seedInfo(img: string): SeedInfo {
  const vol = Volume.open(img, { readOnly: true });
  try {
    const dirs = new Map<number, { path: string; ino: number; names: string[] }>([[vol.sb.root_ino, { path: '/', ino: vol.sb.root_ino, names: [] }]]);
    const inos = new Set<number>([vol.sb.root_ino]);
    walkTree(vol, (p, d, parent) => {
      inos.add(d.ino);
      dirs.get(parent)?.names.push(d.name.toString());
      if (d.fileType === 2) dirs.set(d.ino, { path: p, ino: d.ino, names: [] });
    });
    const nodeBlocks = [...inos].map((i) => vol.nm.getNat(i).block_addr);
    return { inos: [...inos], dirs: [...dirs.values()], chain: walkChain(vol).nodes.map((n) => ({ nid: n.nid, blkaddr: n.blkaddr })), nodeBlocks, cpBlkaddr: vol.geo.cpBlkaddr, metaEnd: vol.geo.mainBlkaddr };
  } finally {
    vol.close();
  }
}

/** A boundary value for a field of `size` bytes. */
function boundary(r: ReturnType<typeof rng>, size: number): string {
  const max = (1n << BigInt(size * 8)) - 1n;
  return r.pick([0n, 1n, 2n, max, max - 1n, max >> 1n, (max >> 1n) + 1n, BigInt(r.int(4096)), BigInt(r.int(1 << 20))]).toString();
}

/** Applies one random mutation to `img` (a copy of a seed); returns what it did. */
function mutate(img: string, info: SeedInfo, r: ReturnType<typeof rng>): string {
  const kind = r.pick(['field', 'field', 'field', 'flip', 'flip', 'truncate', 'loop', 'name'] as const);
  if (kind === 'truncate') {
    const size = fs.statSync(img).size;
    const to = r.pick([512, BLKSIZE, 2 * BLKSIZE, info.metaEnd * BLKSIZE, r.int(size), size - BLKSIZE]);
    fs.truncateSync(img, to);
    return `truncate to ${to}`;
  }
  const dev = openDevice(img, { readOnly: false, cacheMb: 0 });
  try {
    if (kind === 'flip') {
      const blk = r.pick([0, 1, info.cpBlkaddr, info.cpBlkaddr + 1, info.cpBlkaddr + 512, r.int(info.metaEnd), ...info.nodeBlocks, ...info.chain.map((c) => c.blkaddr)]);
      const bits = 1 + r.int(8);
      for (let i = 0; i < bits; i++) zapBlock(dev, blk, { flip: r.int(BLKSIZE * 8) });
      return `flip ${bits} bits of block ${blk}`;
    }
    if (kind === 'loop') {
      const c = info.chain.length ? r.pick(info.chain) : null;
      const dir = r.pick(info.dirs.filter((d) => d.names.length));
      const choice = r.int(3);
      if (choice === 0 && c) {
        setNode(dev, c.nid, 'next_blkaddr', String(r.pick(info.chain).blkaddr), { blkaddr: c.blkaddr });
        return `chain loop at ${c.blkaddr}`;
      }
      if (choice === 1) {
        const ino = r.pick(info.inos);
        setInode(dev, `<${ino}>`, `i_nid[${r.int(5)}]`, String(ino));
        return `i_nid loop in inode ${ino}`;
      }
      const name = r.pick(dir.names);
      setDentry(dev, dir.path, name, 'ino', String(r.pick(info.dirs).ino));
      return `dentry ${dir.path}/${name} -> a directory`;
    }
    if (kind === 'name') {
      const dir = r.pick(info.dirs.filter((d) => d.names.length));
      const name = r.pick(dir.names);
      const field = r.pick(['name_len', 'hash_code', 'file_type'] as const);
      const value = field === 'name_len' ? r.pick(['0', '1', '2', '255', '256', '65535']) : boundary(r, field === 'file_type' ? 1 : 4);
      setDentry(dev, dir.path, name, field, value);
      return `dentry ${dir.path}/${name} ${field}=${value}`;
    }
    const target = r.pick(['super', 'cp', 'cp', 'nat', 'sit', 'ssa', 'inode', 'inode', 'inode', 'node', 'dentry'] as const satisfies readonly InjectTarget[]);
    const fields = fieldList(target).filter((f) => !f.path.includes('..'));
    const f = r.pick(fields);
    // Arrays are listed once (i_addr u32[923]): pick an element.
    const arr = /\[(\d+)\]$/.exec(f.type);
    const field = arr ? `${f.path}[${r.int(Number(arr[1]))}]` : f.path;
    const size = arr ? f.size / Number(arr[1]) : f.size;
    const value = f.type.startsWith('u8[') && !arr ? '0x' + crypto.randomBytes(Math.min(size, 8)).toString('hex') : boundary(r, Math.min(size, 8));
    const ino = r.pick(info.inos);
    switch (target) {
      case 'super':
        setSuper(dev, field, value, { copy: r.pick([0, 1, undefined]) });
        break;
      case 'cp':
        setCp(dev, field, value, { pack: r.pick([1, 2, undefined]) });
        break;
      case 'nat':
        setTableEntry(dev, 'nat', ino, field, value);
        break;
      case 'sit':
        setTableEntry(dev, 'sit', r.int(24), field, value);
        break;
      case 'ssa':
        setSsa(dev, r.pick(info.nodeBlocks), field, value);
        break;
      case 'inode':
        setInode(dev, `<${ino}>`, field, value, { keepCrc: r.int(4) === 0 });
        break;
      case 'node':
        setNode(dev, ino, field, value);
        break;
      case 'dentry': {
        const dir = r.pick(info.dirs.filter((d) => d.names.length));
        setDentry(dev, dir.path, r.pick(dir.names), field, value);
        break;
      }
    }
    return `${target} ${field}=${value}`;
  } finally {
    dev.close();
  }
}

/** The read-only command lines run in one session (paths of the seed tree). */
const READ_SCRIPT = [
  'info',
  'ls -l /',
  'ls -l /d',
  'ls /d/e',
  'stat /d/small',
  'stat /d/big',
  'stat /d/link',
  'cat /d/small',
  'cat /d/e/mid',
  'readlink /d/link',
  'xattr-list /d/small',
  'bmap /d/big',
  'ncheck 4 5 6 7',
  'icheck 4096 4608 5632',
  'dump-nat --range 0~64',
  'dump-sit',
  'dump-ssa --range 0~8',
  'dump-node 4',
  'block 4608',
  'log',
  'orphans',
  'fsck',
  'heatmap',
].join('\n');

export function fuzz(opts: { count: number; seed: number; minutes?: number; work: string; log?: (s: string) => void }): FuzzReport {
  const t0 = Date.now();
  fs.mkdirSync(opts.work, { recursive: true });
  const seeds = makeSeeds(opts.work);
  const infos = seeds.map(seedInfo);
  const r = rng(opts.seed);
  const report: FuzzReport = { mutants: 0, kinds: {}, processes: 0, counts: { ok: 0, crash: 0, hang: 0, memory: 0, 'ro-write': 0, escape: 0 }, findings: [], ms: 0 };
  const mutantImg = path.join(opts.work, 'mutant.img');
  const copyImg = path.join(opts.work, 'copy.img');
  const sandbox = path.join(opts.work, 'sandbox');
  for (let m = 0; m < opts.count; m++) {
    if (opts.minutes !== undefined && Date.now() - t0 > opts.minutes * 60_000) break;
    const s = r.int(seeds.length);
    fs.copyFileSync(seeds[s], mutantImg);
    let mutation: string;
    try {
      mutation = mutate(mutantImg, infos[s], r);
    } catch (e) {
      // The structure to edit was not reachable: flip bits of a block instead.
      const blk = r.int(infos[s].metaEnd);
      const dev = openDevice(mutantImg, { readOnly: false, cacheMb: 0 });
      zapBlock(dev, blk, { flip: r.int(BLKSIZE * 8) });
      dev.close();
      mutation = `flip a bit of block ${blk} (after ${(e as Error).message.slice(0, 60)})`;
    }
    report.mutants++;
    const kind = mutation.split(' ')[0];
    report.kinds[kind] = (report.kinds[kind] ?? 0) + 1;
    const found = (command: string, verdict: Exclude<Verdict, 'ok'>, detail: string) => {
      const keep = path.join(opts.work, `finding-${report.findings.length}-${verdict}.img`);
      fs.copyFileSync(mutantImg, keep);
      report.findings.push({ mutant: m, mutation, command, verdict, detail, image: keep });
      opts.log?.(`mutant ${m} (${mutation}): ${command}: ${verdict}: ${detail}`);
    };
    const check = (command: string, res: ReturnType<typeof cli>) => {
      report.processes++;
      const c = classify(res);
      report.counts[c.verdict]++;
      if (c.verdict !== 'ok') found(command, c.verdict, c.detail);
    };
    const before = sha(mutantImg);
    check('run --read-only', cli(['run', mutantImg, '--read-only', '-k', '-q'], READ_SCRIPT));
    check('dump-sb', cli(['dump-sb', mutantImg]));
    const pack = String(1 + r.int(2));
    check(`dump-cp --pack ${pack}`, cli(['dump-cp', mutantImg, '--pack', pack]));
    fs.rmSync(sandbox, { recursive: true, force: true });
    fs.mkdirSync(path.join(sandbox, 'canary'), { recursive: true });
    check('rdump', cli(['rdump', mutantImg, '/', path.join(sandbox, 'out'), '--keep-going']));
    const outside = fs.readdirSync(sandbox).filter((x) => x !== 'out' && x !== 'canary').concat(fs.readdirSync(path.join(sandbox, 'canary')));
    if (outside.length || fs.existsSync('/outside')) {
      report.counts.escape++;
      found('rdump', 'escape', `host entries outside the target: ${outside.join(' ')}`);
    }
    if (sha(mutantImg) !== before) {
      report.counts['ro-write']++;
      found('read-only commands', 'ro-write', 'the image changed');
    }
    fs.copyFileSync(mutantImg, copyImg);
    check('recover', cli(['recover', copyImg]));
    check('fsck', cli(['fsck', copyImg]));
    check('write', cli(['write', copyImg, '/fuzz-new', '--data', 'x']));
    if ((m + 1) % 10 === 0) opts.log?.(`${m + 1} mutants, ${report.findings.length} findings, ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  report.ms = Date.now() - t0;
  return report;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const report = fuzz({
    count: Number(arg('count', '1000000')),
    seed: Number(arg('seed', String(Date.now() % 100000))),
    minutes: process.argv.includes('--minutes') ? Number(arg('minutes', '0')) : undefined,
    work: arg('work', fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-fuzz-'))),
    log: (s) => console.error(s),
  });
  console.log(JSON.stringify({ ...report, findings: report.findings.map((f) => ({ ...f, detail: f.detail.slice(0, 200) })) }, null, 2));
}
