// Randomised write-path test: seeded runs of >= 1,000 mixed operations applied both to an in-memory model and to an
// image through src/fs/ops.ts. Errors must match (same F2fsError code as the model predicts); every ~100 operations a
// checkpoint (or, sometimes, a power cut), then our fsck and fsck.f2fs --dry-run must pass and a freshly opened
// Volume must equal the model. Both feature sets, images from our mkfs and from mkfs.f2fs.
//
// Reproduce one run:   RANDOM_SEEDS=<seed> RANDOM_CONFIGS=<mkfs>/<features> node --import tsx node_modules/uvu/bin.js test random
// More seeds:          RANDOM_SEEDS=random (fresh seeds, printed) or a comma list; RANDOM_OPS=<n> ops per run.
// A failing run writes its whole operation log (JSON) to $TMPDIR/f2fsdbg-random-failures/ for replay().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Volume } from '../src/fs/volume.js';
import { Model, compareVolume } from './helpers/model.js';
import { makeImage, scratchPath, type FeatureSet, type Mkfs } from './helpers/scratch.js';
import { Generator, Rng, Session, describeOp, type LogEntry, type Op } from './helpers/workload.js';

interface Config {
  mkfs: Mkfs;
  features: FeatureSet;
  seed: number;
  /** Include one write bigger than the volume (ENOSPC), which costs a few seconds. */
  fill: boolean;
}

const OPS = Number(process.env.RANDOM_OPS ?? 1000);
const CP_EVERY = 100;

const ALL: { mkfs: Mkfs; features: FeatureSet }[] = [
  { mkfs: 'ours', features: 'default' },
  { mkfs: 'ours', features: 'extra' },
  { mkfs: 'mkfs.f2fs', features: 'default' },
  { mkfs: 'mkfs.f2fs', features: 'extra' },
  { mkfs: 'ours', features: 'quota' },
  { mkfs: 'mkfs.f2fs', features: 'quota' },
];

function configs(): Config[] {
  const wanted = process.env.RANDOM_CONFIGS?.split(',').map((s) => s.trim());
  const sets = wanted ? ALL.filter((c) => wanted.includes(`${c.mkfs}/${c.features}`)) : ALL;
  const env = process.env.RANDOM_SEEDS;
  const out: Config[] = [];
  sets.forEach((c, i) => {
    let seeds: number[];
    if (!env) seeds = [101 + i, 202 + i];
    else if (env === 'random') seeds = [0, 1].map(() => Math.floor(Math.random() * 2 ** 31));
    else seeds = env.split(',').map(Number);
    // The ENOSPC fill writes ~170 MiB: once per formatter is enough.
    seeds.forEach((seed, j) => out.push({ ...c, seed, fill: j === 0 && (i === 0 || i === 3 || !!wanted) }));
  });
  return out;
}

function saveLog(cfg: Config, log: LogEntry[]): string {
  const dir = path.join(os.tmpdir(), 'f2fsdbg-random-failures');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${cfg.mkfs}-${cfg.features}-${cfg.seed}.json`);
  fs.writeFileSync(file, JSON.stringify({ config: cfg, log }, null, 0).replace(/\},\{/g, '},\n{'));
  return file;
}

function run(cfg: Config): string {
  const t0 = performance.now();
  const img = makeImage(scratchPath(`random-${cfg.mkfs}-${cfg.features}-${cfg.seed}.img`), { mkfs: cfg.mkfs, features: cfg.features, seed: cfg.seed });
  const extra = cfg.features !== 'default';
  const s = new Session(img, new Model({ lostFound: extra, extraAttr: extra }));
  const gen = new Generator(s.model, cfg.seed);
  const rng = new Rng(cfg.seed ^ 0x5bd1e995);
  const label = `seed ${cfg.seed} (${cfg.mkfs}, ${cfg.features})`;
  const die = (at: number, why: string): never => {
    const file = saveLog(cfg, s.log);
    const recent = s.log.slice(-15).map((o, k) => `  #${s.log.length - Math.min(15, s.log.length) + k}: ${'path' in o || 'src' in o ? describeOp(o as Op) : o.op}`);
    const msg = `${label}: failed at operation ${at}:\n${why}\nlast operations:\n${recent.join('\n')}\nfull log: ${file}\nreproduce: RANDOM_SEEDS=${cfg.seed} RANDOM_CONFIGS=${cfg.mkfs}/${cfg.features} node --import tsx node_modules/uvu/bin.js test random`;
    throw new assert.Assertion({ message: msg, operator: 'random', generated: false, expects: 'agreement', actual: why });
  };
  try {
    {
      const ro = Volume.open(img, { readOnly: true });
      const d = compareVolume(ro, s.model);
      ro.close();
      if (d.length) die(-1, `the fresh image differs from the empty model:\n${d.join('\n')}`);
    }
    const fillAt = cfg.fill ? 450 + rng.int(0, 100) : -1;
    // A checkpoint every ~100 operations; in some intervals also a power cut half-way (the ops since the last
    // checkpoint are lost on the image and in the model alike).
    let nextCp = CP_EVERY + rng.int(-20, 20);
    let nextCut = -1;
    for (let i = 0; i < OPS; i++) {
      if (i === fillAt) {
        // A write larger than the whole volume fails with ENOSPC, and removing the file gives every block back.
        const p = `/fill-${cfg.seed}`;
        const user = s.vol.cp.head.user_block_count;
        for (const o of [{ op: 'fill', path: p, data: { len: user * 4096, seed: 0 } }, { op: 'verify', path: p }, { op: 'rm', path: p }] as Op[]) {
          const r = s.apply(o);
          if (!r.ok) die(i, `${describeOp(o)}: ${r.why}`);
        }
      }
      const o = gen.next();
      let r;
      try {
        r = s.apply(o);
      } catch (e) {
        die(i, `${describeOp(o)}: the model threw ${String(e)}`);
      }
      if (!r!.ok) die(i, `${describeOp(o)}: ${r!.why}`);
      if (i === nextCut) {
        const problems = s.powerCut();
        gen.model = s.model;
        if (problems.length) die(i, `after a power cut:\n${problems.join('\n')}`);
      }
      if (i + 1 === nextCp || i === OPS - 1) {
        if (i === OPS - 1) {
          // the live volume (dirty pages, unwritten nodes) reads like the model too
          const d = compareVolume(s.vol, s.model);
          if (d.length) die(i, `the live volume differs from the model before the last checkpoint:\n${d.join('\n')}`);
        }
        const problems = s.checkpoint(i === OPS - 1);
        if (problems.length) die(i, `after a checkpoint:\n${problems.join('\n')}`);
        nextCp = i + 1 + CP_EVERY + rng.int(-20, 20);
        nextCut = rng.chance(0.25) ? i + 1 + rng.int(20, CP_EVERY - 30) : -1;
      }
    }
  } finally {
    try {
      s.close();
    } catch {
      /* closed */
    }
    fs.rmSync(img, { force: true });
  }
  const errs = [...s.errors].filter(([k]) => k !== 'ok').map(([k, n]) => `${k}×${n}`).join(' ');
  const t = s.times;
  const entries = s.model.walk().length;
  return `${label}: ${OPS} ops, ${s.checks} checks (${s.log.filter((e) => e.op === 'powercut').length} power cuts), ${entries} entries at the end; expected errors ${errs}; ${Math.round(performance.now() - t0)} ms (checkpoints ${Math.round(t.checkpoint)}, our fsck ${Math.round(t.fsckOurs)}, fsck.f2fs ${Math.round(t.fsckReal)}, compare ${Math.round(t.compare)})`;
}

for (const cfg of configs()) {
  test(`random ops: seed ${cfg.seed}, ${cfg.mkfs} image, ${cfg.features} features${cfg.fill ? ', with an ENOSPC fill' : ''}`, () => {
    console.log(`\n  ${run(cfg)}`);
  });
}

test.run();
