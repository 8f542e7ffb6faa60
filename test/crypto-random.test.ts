// Randomised write-path runs on an Android image (mkfs --android: encrypt, verity, quota, project quota): every
// operation lands inside a directory encrypted with set-policy's v2 policy and is written with the key, beside
// fs-verity files that the run must leave exactly as they were (writes and truncates on them are EPERM). The model
// (test/helpers/model.ts) predicts each result; every ~60 operations a checkpoint (sometimes a power cut first),
// then both fscks, a keyed comparison with the model, the verity digests and a key-less look (no-key names only).
//   Reproduce one run: CRYPTO_RANDOM_SEEDS=<seed> node --import tsx node_modules/uvu/bin.js test crypto-random
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F2fsError } from '../src/errors.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { writeFile } from '../src/fs/file.js';
import { FsverityDescriptorLocation } from '../src/fs/layout/verity.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { mkdir, writePath } from '../src/fs/ops.js';
import { setEncryptionPolicy } from '../src/fs/policy.js';
import { enableVerity, readVerity } from '../src/fs/verity.js';
import { Volume } from '../src/fs/volume.js';
import { tmpPath } from './helpers/images.js';
import { FSCRYPT_CONTEXT_ENTRY, Model } from './helpers/model.js';
import { Generator, Rng, Session, describeOp, type Op } from './helpers/workload.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KEY = fs.readFileSync(path.join(HERE, '..', 'fixtures', 'crypto', 'master.key'));
const OPS = Number(process.env.CRYPTO_RANDOM_OPS ?? 200);
const SEEDS = (process.env.CRYPTO_RANDOM_SEEDS ?? '31,32').split(',').map(Number);
const MiB = 1 << 20;
/** The "verity.v" entry (fsverity_descriptor_location) in the xattr area. */
const VERITY_ENTRY = (4 + 1 + FsverityDescriptorLocation.size + 3) & ~3;
const VERITY_FILES: [string, number][] = [
  ['/v/small', 100],
  ['/v/big', 200 * 4096 + 77], // two tree levels
];

const content = (seed: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff));

function run(seed: number): string {
  const t0 = performance.now();
  const img = tmpPath(`crypto-random-${seed}.img`);
  fs.rmSync(img, { force: true });
  mkfsImage(img, { sizeBytes: 128 * MiB, android: true, seed, timestamp: 1700000000 });
  const model = new Model({ extraAttr: true });
  // The encrypted tree and the verity files, through the library, mirrored in the model.
  const digests = new Map<string, string>();
  {
    const vol = Volume.open(img, { readOnly: false, keys: [KEY] });
    mkdir(vol, '/e');
    setEncryptionPolicy(vol, vol.resolve('/e').ino);
    const e = model.mkdir('/e');
    e.encrypted = true;
    e.hiddenXattrs.set('encryption.c', FSCRYPT_CONTEXT_ENTRY);
    mkdir(vol, '/v');
    model.mkdir('/v');
    for (const [p, n] of VERITY_FILES) {
      const data = content(n, n);
      const ino = writePath(vol, p, data).ino;
      digests.set(p, enableVerity(vol, ino).digest);
      const m = model.write(p, data);
      m.verity = true;
      m.hiddenXattrs.set('verity.v', VERITY_ENTRY);
    }
    writeCheckpoint(vol, { umount: true });
    vol.close();
  }
  const s = new Session(img, model, [KEY]);
  const gen = new Generator(s.model, seed, { base: '/e', budget: 12 * MiB, maxBig: 1 * MiB, maxSparse: 64 * MiB });
  const rng = new Rng(seed ^ 0x2545f491);
  const label = `seed ${seed}`;
  const die = (at: number, why: string): never => {
    const recent = s.log.slice(-12).map((o) => `  ${'path' in o || 'src' in o ? describeOp(o as Op) : o.op}`);
    throw new assert.Assertion({ operator: "crypto-random", generated: false, expects: "agreement", actual: why, message: `${label}: failed at operation ${at}:\n${why}\nlast operations:\n${recent.join('\n')}\nreproduce: CRYPTO_RANDOM_SEEDS=${seed} node --import tsx node_modules/uvu/bin.js test crypto-random` });
  };
  /** The verity files: same digest, EPERM on a write; a key-less open sees no plain name below /e. */
  const sideChecks = (at: number) => {
    const vol = Volume.open(img, { readOnly: true });
    try {
      for (const [p] of VERITY_FILES) {
        const info = vol.inode(vol.resolve(p).ino);
        if (readVerity(vol, info).digest !== digests.get(p)) die(at, `${p}: the verity digest changed`);
      }
      const plain = new Set([...s.model.resolve('/e').node.entries!.keys()]);
      for (const d of vol.dirs.entries(vol.inode(vol.resolve('/e').ino))) {
        const n = d.name.toString();
        if (n !== '.' && n !== '..' && plain.has(n)) die(at, `/e/${n} shows its plain name without the key`);
      }
    } finally {
      vol.close();
    }
    try {
      writeFile(s.vol, s.vol.resolve(VERITY_FILES[0]![0]).ino, 0, Buffer.from('x'));
      die(at, 'a write to a verity file succeeded');
    } catch (e) {
      if (!(e instanceof F2fsError) || e.code !== 'EPERM') throw e;
    }
  };
  try {
    let nextCp = 60 + rng.int(-10, 10);
    let nextCut = -1;
    for (let i = 0; i < OPS; i++) {
      const o = gen.next();
      const r = s.apply(o);
      if (!r.ok) die(i, `${describeOp(o)}: ${r.why}`);
      if (i === nextCut) {
        const problems = s.powerCut();
        gen.model = s.model;
        if (problems.length) die(i, `after a power cut:\n${problems.join('\n')}`);
      }
      if (i + 1 === nextCp || i === OPS - 1) {
        const problems = s.checkpoint(i === OPS - 1);
        if (problems.length) die(i, `after a checkpoint:\n${problems.join('\n')}`);
        sideChecks(i);
        nextCp = i + 1 + 60 + rng.int(-10, 10);
        nextCut = rng.chance(0.3) ? i + 1 + rng.int(10, 40) : -1;
      }
    }
  } finally {
    s.close();
    fs.rmSync(img, { force: true });
  }
  const errs = [...s.errors].filter(([k]) => k !== 'ok').map(([k, n]) => `${k}×${n}`).join(' ');
  return `${label}: ${OPS} ops in an encrypted directory, ${s.checks} checks, ${s.model.walk().length} entries at the end; expected errors ${errs}; ${Math.round(performance.now() - t0)} ms`;
}

for (const seed of SEEDS) {
  test(`random ops inside an encrypted directory beside verity files (mkfs --android), seed ${seed}`, () => {
    console.log(`\n  ${run(seed)}`);
  });
}

test.run();
