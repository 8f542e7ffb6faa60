// The seeded CI subset of the fuzzing campaign (scripts/fuzz.ts): mutants of every seed (mkfs.f2fs, Linux fixtures
// and their feature sets, our mkfs) through every read-only command, rdump, recover, fsck and a mutating command, run
// in-process in worker threads like the long campaigns; none may exit 70, hang, run out of memory, change the image
// from a read-only command or write outside the rdump target. Longer runs: `nice -n 10 npx tsx scripts/fuzz.ts --minutes 60`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz } from '../scripts/fuzz.js';

test('fuzz: seeded mutants (seed 11) give no crash, hang, runaway memory, read-only write or escape', async () => {
  const work = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-fuzz-ci-'));
  try {
    const r = await fuzz({ count: 120, seed: 11, work, workers: 2 });
    assert.is(r.mutants, 120);
    assert.equal(r.findings.map((f) => `mutant ${f.mutant} [${f.seed}] ${f.mutation}: ${f.command}: ${f.verdict}: ${f.detail}`), []);
    assert.is(r.counts.ok, r.commands);
    assert.ok(Object.keys(r.seeds).length >= 8, `mutants of most seeds: ${Object.keys(r.seeds).join(' ')}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('fuzz --resume: a campaign stopped and taken up again adds up in one report, from the mutant after the last handed out', async () => {
  const work = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-fuzz-resume-'));
  try {
    const first = await fuzz({ count: 3, seed: 5, from: 10, work, workers: 1, fixtures: [] });
    assert.equal([first.mutants, first.next, first.runs], [3, 13, 1]);
    const again = await fuzz({ count: 2, seed: 5, resume: true, work, workers: 1, fixtures: [] });
    assert.equal([again.mutants, again.next, again.runs], [5, 15, 2]);
    assert.ok(again.commands > first.commands && again.ms > first.ms, 'the counts of the first run are carried on');
    assert.is(again.counts.ok, again.commands);
    const kept = JSON.parse(fs.readFileSync(path.join(work, 'report.json'), 'utf8'));
    assert.equal([kept.mutants, kept.next, kept.campaign], [5, 15, 5]);
    const other = await fuzz({ count: 1, seed: 6, resume: true, work, workers: 1, fixtures: [] }).then(
      () => 'resumed',
      (e: Error) => e.message,
    );
    assert.match(other, /campaign 5, not --seed 6/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
