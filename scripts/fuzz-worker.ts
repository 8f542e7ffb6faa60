// One fuzz worker thread (scripts/fuzz.ts): makes mutants of the seed images in memory and runs the commands on them
// in this thread, through the same oclif command classes and Session as the CLI (`runWith`: the status is what the
// process would exit with). The parent's watchdog terminates a thread stuck in one command (a hang) and the thread's
// heap limit stops runaway memory; everything else is judged here, per command.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Config, settings } from '@oclif/core';
import { COMMANDS } from '../src/commands/index.js';
import { Session } from '../src/cli/session.js';
import { EXIT_INTERNAL, classifyError } from '../src/cli/errors.js';
import { MemDevice, type BlockDevice } from '../src/device/index.js';
import { fieldList, setCp, setDentry, setInode, setNode, setSsa, setTableEntry, setSuper, zapBlock, type InjectTarget } from '../src/debugfs/inject.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';

export type Verdict = 'ok' | 'crash' | 'hang' | 'memory' | 'ro-write' | 'escape';

/** Stands in a read line for the mutant's host sandbox (commands that write host files write only there). */
export const SANDBOX = '@SANDBOX@';
/** What the commands may leave in the sandbox: anything else there, or in canary/, is an escape. */
const SANDBOX_OUTPUTS = new Set(['out', 'canary', 'dumped', 'android', 'sparse.img']);

/** What a seed holds, for mutations that name things and for the command lines run on its mutants. */
export interface SeedInfo {
  name: string;
  image: string;
  /** fscrypt master key file given to every command (`--key`), if the seed has encrypted files. */
  key?: string;
  /** Inodes of the tree. */
  inos: number[];
  /** Inodes outside the tree (the quota files'). */
  sysInos: number[];
  /** Every node: the inodes', xattr, direct and indirect nodes. */
  nids: number[];
  /** The node and meta inode numbers: NAT entries without a node block. */
  sysNids: number[];
  dirs: { path: string; ino: number; names: string[] }[];
  chain: { nid: number; blkaddr: number }[];
  nodeBlocks: number[];
  dataBlocks: number[];
  cpBlkaddr: number;
  metaEnd: number;
  /** Read-only command lines (a `run --read-only` session), naming the seed's own files. */
  readLines: string[];
  /** Mutating command lines (argv after IMAGE); one of them runs on each mutant's copy. */
  writeLines: string[][];
}

export interface CommandResult {
  command: string;
  verdict: Verdict;
  detail: string;
  ms: number;
}

/** Worker → parent messages. */
export type WorkerMessage =
  /** `tid`: this thread's id in /proc/PID/task, where the parent's watchdog reads its CPU time. */
  | { type: 'ready'; tid?: number }
  | { type: 'begin'; m: number; seed: string; command: string; mutation: string }
  | { type: 'done'; m: number; mutation: string; seed: string; results: CommandResult[]; image: string };

export interface WorkerInit {
  entry: string;
  root: string;
  seeds: SeedInfo[];
  /** This worker's scratch directory (tmpfs when there is one). */
  dir: string;
  campaign: number;
}

/** Small deterministic PRNG (mulberry32): a campaign seed and a mutant number reproduce a mutant. */
export function rng(seed: number) {
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
type Rng = ReturnType<typeof rng>;

/** The PRNG of mutant `m` of campaign `campaign`. */
export const mutantRng = (campaign: number, m: number) => rng(Math.imul(campaign ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(m + 1, 0xc2b2ae35));

/** A boundary value for a field of `size` bytes. */
function boundary(r: Rng, size: number): string {
  const max = (1n << BigInt(size * 8)) - 1n;
  return r.pick([0n, 1n, 2n, max, max - 1n, max >> 1n, (max >> 1n) + 1n, BigInt(r.int(4096)), BigInt(r.int(1 << 20))]).toString();
}

/** A mutation: what it did, and the size to cut the image to (truncations). */
interface Mutation {
  desc: string;
  truncate?: number;
}

/** Applies one random mutation to `dev` (a copy of a seed). */
export function mutate(dev: BlockDevice, info: SeedInfo, r: Rng): Mutation {
  const kind = r.pick(['field', 'field', 'field', 'flip', 'flip', 'truncate', 'loop', 'name', 'zap'] as const);
  const size = dev.blockCount * BLKSIZE;
  if (kind === 'truncate') {
    const to = r.pick([0, 512, BLKSIZE, 2 * BLKSIZE, info.metaEnd * BLKSIZE, r.int(size), size - BLKSIZE, size - 1]);
    return { desc: `truncate to ${to}`, truncate: to };
  }
  const named = info.dirs.filter((d) => d.names.length);
  if (kind === 'flip' || kind === 'zap') {
    const blk = r.pick([0, 1, info.cpBlkaddr, info.cpBlkaddr + 1, info.cpBlkaddr + 512, r.int(info.metaEnd), ...info.nodeBlocks, ...info.chain.map((c) => c.blkaddr), ...info.dataBlocks]);
    if (kind === 'zap') {
      const pattern = r.pick([0, 0xff, r.int(256)]);
      zapBlock(dev, blk, { pattern });
      return { desc: `zap block ${blk} with 0x${pattern.toString(16)}` };
    }
    const bits = 1 + r.int(8);
    for (let i = 0; i < bits; i++) zapBlock(dev, blk, { flip: r.int(BLKSIZE * 8) });
    return { desc: `flip ${bits} bits of block ${blk}` };
  }
  if (kind === 'loop') {
    const c = info.chain.length ? r.pick(info.chain) : null;
    const choice = r.int(3);
    if (choice === 0 && c) {
      setNode(dev, c.nid, 'next_blkaddr', String(r.pick(info.chain).blkaddr), { blkaddr: c.blkaddr });
      return { desc: `loop: chain at ${c.blkaddr}` };
    }
    if (choice === 1 || !named.length) {
      const ino = r.pick([...info.inos, ...info.sysInos]);
      setInode(dev, `<${ino}>`, `i_nid[${r.int(5)}]`, String(r.pick([ino, ...info.nids])));
      return { desc: `loop: i_nid in inode ${ino}` };
    }
    const dir = r.pick(named);
    const name = r.pick(dir.names);
    setDentry(dev, dir.path, name, 'ino', String(r.pick(info.dirs).ino));
    return { desc: `loop: dentry ${dir.path}/${name} -> a directory` };
  }
  if (kind === 'name' && named.length) {
    const dir = r.pick(named);
    const name = r.pick(dir.names);
    const field = r.pick(['name_len', 'hash_code', 'file_type', 'ino'] as const);
    const value = field === 'name_len' ? r.pick(['0', '1', '2', '255', '256', '65535']) : boundary(r, field === 'file_type' ? 1 : 4);
    setDentry(dev, dir.path, name, field, value);
    return { desc: `name: dentry ${dir.path}/${name} ${field}=${value}` };
  }
  const target = r.pick(['super', 'cp', 'cp', 'nat', 'sit', 'ssa', 'inode', 'inode', 'inode', 'node', 'dentry'] as const satisfies readonly InjectTarget[]);
  const fields = fieldList(target).filter((f) => !f.path.includes('..'));
  const f = r.pick(fields);
  // Arrays are listed once (i_addr u32[923]): pick an element.
  const arr = /\[(\d+)\]$/.exec(f.type);
  const field = arr ? `${f.path}[${r.int(Number(arr[1]))}]` : f.path;
  const width = arr ? f.size / Number(arr[1]) : f.size;
  const value = f.type.startsWith('u8[') && !arr ? '0x' + crypto.randomBytes(Math.min(width, 8)).toString('hex') : boundary(r, Math.min(width, 8));
  const ino = r.pick([...info.inos, ...info.sysInos]);
  // Half of the node edits go to nodes that are not inodes (few beside a tree's inodes, and never reached otherwise).
  const inodes = new Set([...info.inos, ...info.sysInos]);
  const others = info.nids.filter((n) => !inodes.has(n));
  const nid = others.length && r.int(2) ? r.pick(others) : r.pick(info.nids);
  switch (target) {
    case 'super':
      setSuper(dev, field, value, { copy: r.pick([0, 1, undefined]) });
      break;
    case 'cp':
      setCp(dev, field, value, { pack: r.pick([1, 2, undefined]) });
      break;
    case 'nat':
      setTableEntry(dev, 'nat', r.pick([...info.nids, ...info.sysNids]), field, value);
      break;
    case 'sit':
      setTableEntry(dev, 'sit', r.int(Math.max(1, info.metaEnd >> 9) + 24), field, value);
      break;
    case 'ssa':
      setSsa(dev, r.pick([...info.nodeBlocks, ...info.dataBlocks]), field, value);
      break;
    case 'inode':
      setInode(dev, `<${ino}>`, field, value, { keepCrc: r.int(4) === 0 });
      break;
    case 'node':
      setNode(dev, nid, field, value);
      break;
    case 'dentry': {
      if (!named.length) break;
      const dir = r.pick(named);
      setDentry(dev, dir.path, r.pick(dir.names), field, value);
      break;
    }
  }
  return { desc: `field: ${target} ${field}=${value}` };
}

/** Makes mutant `m`: a mutated copy of one seed, in memory. */
export function makeMutant(seeds: SeedInfo[], devs: MemDevice[], campaign: number, m: number): { seed: number; dev: MemDevice; mutation: Mutation; r: Rng } {
  const r = mutantRng(campaign, m);
  const s = r.int(seeds.length);
  const dev = devs[s].clone();
  let mutation: Mutation;
  try {
    mutation = mutate(dev, seeds[s], r);
  } catch (e) {
    // The structure to edit was not reachable (the injection refused): flip a bit of a metadata block instead.
    dev.discardPending();
    const blk = r.int(seeds[s].metaEnd);
    zapBlock(dev, blk, { flip: r.int(BLKSIZE * 8) });
    mutation = { desc: `flip a bit of block ${blk} (after ${(e as Error).message.slice(0, 60)})` };
  }
  dev.flush();
  return { seed: s, dev, mutation, r };
}

/** Writes a mutant to an image file (zero blocks as holes), cut to its truncation. */
export function saveMutant(dev: MemDevice, mutation: Mutation, file: string): void {
  fs.rmSync(file, { force: true });
  dev.saveTo(file);
  if (mutation.truncate !== undefined) fs.truncateSync(file, mutation.truncate);
}

const stamp = (file: string) => {
  const st = fs.statSync(file, { bigint: true });
  return `${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
};

/** Host entries the commands left outside their targets (and the seeds' absolute symlink target). */
function outsideEntries(sandbox: string): string[] {
  const outside = fs
    .readdirSync(sandbox)
    .filter((x) => !SANDBOX_OUTPUTS.has(x))
    .concat(fs.readdirSync(path.join(sandbox, 'canary')).map((x) => `canary/${x}`));
  if (fs.existsSync('/outside')) outside.push('/outside');
  return outside;
}

async function main(init: WorkerInit): Promise<void> {
  process.env.F2FSDBG_DEBUG = '1'; // an internal error's stack goes to the captured stderr
  process.env.NO_COLOR = '1';
  settings.enableAutoTranspile = false;
  const pjson = JSON.parse(fs.readFileSync(path.join(init.root, 'package.json'), 'utf8'));
  // The command classes of this thread's own src/ (as bin/dev.js does), so a fix is fuzzed without a build.
  pjson.oclif = { ...pjson.oclif, plugins: [], commands: { strategy: 'explicit', identifier: 'COMMANDS', target: './src/cli/entry.ts' } };
  const config = await Config.load({ root: init.root, pjson });
  const devs = init.seeds.map((s) => MemDevice.fromFile(s.image, { cacheMb: 0 }));
  fs.mkdirSync(init.dir, { recursive: true });
  const mutantImg = path.join(init.dir, 'mutant.img');
  const copyImg = path.join(init.dir, 'copy.img');
  const sandbox = path.join(init.dir, 'sandbox');
  const port = parentPort!;
  const post = (msg: WorkerMessage) => port.postMessage(msg);
  let tid: number | undefined;
  try {
    tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
  } catch {
    // no /proc: the parent judges by wall time
  }

  async function runMutant(m: number): Promise<void> {
    const { seed, dev, mutation, r } = makeMutant(init.seeds, devs, init.campaign, m);
    const info = init.seeds[seed];
    const results: CommandResult[] = [];
    let err: string[] = [];
    const sink = () => {};
    const errSink = (s: string) => void (err.length < 200 && err.push(...s.split("\n")));
    const keyArgs = info.key ? ['--key', info.key] : [];
    const judge = (command: string, status: number, readOnly: boolean, message?: string) => {
      let verdict: Verdict = 'ok';
      let detail = '';
      if (status === EXIT_INTERNAL) {
        verdict = 'crash';
        detail = err.filter((l) => /INTERNAL|^\s+at /.test(l)).slice(0, 8).join(' | ') || (message ?? '');
      } else if (readOnly && /EROFS/.test(message ?? '')) {
        verdict = 'ro-write';
        detail = message ?? '';
      }
      results.push({ command, verdict, detail, ms: performance.now() - since });
      err = [];
    };
    let since = performance.now();
    const begin = (command: string) => {
      since = performance.now();
      post({ type: 'begin', m, seed: info.name, command, mutation: mutation.desc });
    };
    const oneShot = async (id: string, argv: string[], readOnly: boolean) => {
      const command = [id, ...argv.slice(1)].join(' ');
      begin(command);
      const cls = COMMANDS[id] as unknown as { runWith(ctx: object, argv: string[]): Promise<{ status: number; error?: { describe(): string } }> };
      try {
        const o = await cls.runWith({ config, stdout: sink, stderr: errSink }, argv);
        judge(command, o.status, readOnly, o.error?.describe());
      } catch (e) {
        // runWith reports command failures in its outcome: anything thrown out of it is a bug.
        judge(command, EXIT_INTERNAL, readOnly, `thrown out of runWith: ${classifyError(e).error.describe()}`);
      }
    };

    saveMutant(dev, mutation, mutantImg);
    const before = stamp(mutantImg);
    fs.rmSync(sandbox, { recursive: true, force: true });
    fs.mkdirSync(path.join(sandbox, 'canary'), { recursive: true });
    // The read-only commands: one session, as `run --read-only -k`.
    begin('run --read-only (open)');
    const session = new Session({ config, readOnly: true, quiet: true, keys: info.key ? [fs.readFileSync(info.key)] : undefined, stdout: sink, stderr: errSink });
    let opened = true;
    try {
      await session.open(mutantImg);
    } catch (e) {
      opened = false;
      const c = classifyError(e);
      judge('run --read-only (open)', c.status, true, c.error.describe());
    }
    if (opened) {
      try {
        for (const template of info.readLines) {
          const line = template.replaceAll(SANDBOX, sandbox);
          begin(line);
          const o = await session.execLine(line);
          if (o) judge(line, o.status, true, o.error?.describe());
        }
      } finally {
        session.close(false);
      }
    }
    await oneShot('dump-sb', [mutantImg], true);
    await oneShot('dump-cp', [mutantImg, '--pack', String(1 + r.int(2))], true);
    await oneShot('rdump', [mutantImg, '/', path.join(sandbox, 'out'), '--keep-going', ...keyArgs], true);
    // The two that read every block or every file of both images take turns: one of them per mutant.
    if (r.int(2)) await oneShot('diff', [mutantImg, info.image, ...keyArgs], true);
    else await oneShot('sparse', [mutantImg, path.join(sandbox, 'sparse.img')], true);
    const outside = outsideEntries(sandbox);
    if (outside.length) results.push({ command: 'host writes (rdump, dump, export-android, sparse)', verdict: 'escape', detail: `host entries outside the sandbox's targets: ${outside.join(' ')}`, ms: 0 });
    if (stamp(mutantImg) !== before) results.push({ command: 'read-only commands', verdict: 'ro-write', detail: 'the image file changed', ms: 0 });
    // recover, fsck and one mutating command on a copy.
    saveMutant(dev, mutation, copyImg);
    await oneShot('recover', [copyImg], false);
    await oneShot('fsck', [copyImg, ...keyArgs], false);
    const [id, ...args] = r.pick(info.writeLines);
    await oneShot(id, [copyImg, ...args, ...(r.int(2) ? ['--force'] : []), ...keyArgs], false);
    post({ type: 'done', m, mutation: mutation.desc, seed: info.name, results, image: mutantImg });
  }

  port.on('message', (msg: { type: 'mutant'; m: number }) => {
    runMutant(msg.m).then(
      () => post({ type: 'ready', tid }),
      (e) => {
        // A failure of the harness itself (not of a command): stop the thread; the parent reports it.
        throw e;
      },
    );
  });
  post({ type: 'ready', tid });
}

if (parentPort && workerData?.entry === import.meta.url) await main(workerData as WorkerInit);
