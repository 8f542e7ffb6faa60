// The seeded CI subset of the fuzzing campaign (scripts/fuzz.ts): a few mutants of each kind through every
// read-only command, rdump, recover, fsck and a write; none may exit 70, hang, run out of memory, change the image
// from a read-only command or write outside the rdump target. Longer runs: `npx tsx scripts/fuzz.ts --minutes 60`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz } from '../scripts/fuzz.js';

test('fuzz: seeded mutants (seed 11) give no crash, hang, runaway memory, read-only write or escape', () => {
  const work = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'f2fsdbg-fuzz-ci-'));
  try {
    const r = fuzz({ count: 5, seed: 11, work });
    assert.is(r.mutants, 5);
    assert.equal(r.findings.map((f) => `${f.mutation}: ${f.command}: ${f.verdict}: ${f.detail}`), []);
    assert.is(r.counts.ok, r.processes);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
