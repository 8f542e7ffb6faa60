/**
 * Shrinks a failing random-run log (written by test/random.test.ts to $TMPDIR/f2fsdbg-random-failures/) to a
 * minimal operation list that still fails the same way (ddmin over the operations; the failure's text with
 * numbers blanked out is its signature). Prints the minimal list as JSON.
 *
 *   node --import tsx test/helpers/shrink.ts /tmp/f2fsdbg-random-failures/ours-default-101.json
 */
import fs from 'node:fs';
import { Model } from './model.js';
import { makeImage, scratchPath, type FeatureSet, type Mkfs } from './scratch.js';
import { describeOp, replay, type LogEntry, type Op } from './workload.js';

interface Saved {
  config: { mkfs: Mkfs; features: FeatureSet; seed: number };
  log: LogEntry[];
}

const signature = (why: string) => why.split('\n')[0].replace(/\d+/g, 'N').replace(/\{.*\}: /, '');

export function shrink(saved: Saved, onProgress?: (n: number) => void): { log: LogEntry[]; why: string } | null {
  const { config } = saved;
  const extra = config.features === 'extra';
  let runs = 0;
  const attempt = (log: LogEntry[]) => {
    runs++;
    const img = makeImage(scratchPath(`shrink-${process.pid}.img`), { mkfs: config.mkfs, features: config.features, seed: config.seed });
    try {
      return replay(img, new Model({ lostFound: extra, extraAttr: extra }), log);
    } catch (e) {
      return { at: -1, why: `harness threw ${String(e)}` };
    } finally {
      fs.rmSync(img, { force: true });
    }
  };
  const first = attempt(saved.log);
  if (!first) return null;
  const sig = signature(first.why);
  let cur = saved.log.slice(0, first.at + 1);
  let why = first.why;
  const fails = (log: LogEntry[]) => {
    const r = attempt(log);
    if (r && signature(r.why) === sig) {
      why = r.why;
      return r;
    }
    return null;
  };
  let n = 2;
  while (cur.length >= 2) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < cur.length; i += chunk) {
      const candidate = [...cur.slice(0, i), ...cur.slice(i + chunk)];
      const r = fails(candidate);
      if (r) {
        cur = candidate.slice(0, r.at + 1);
        n = Math.max(n - 1, 2);
        reduced = true;
        onProgress?.(cur.length);
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  void runs;
  return { log: cur, why };
}

if (process.argv[1] && /shrink\.ts$/.test(process.argv[1])) {
  const saved = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Saved;
  const r = shrink(saved, (n) => process.stderr.write(`  ${n} ops\n`));
  if (!r) console.log('the log does not fail');
  else {
    console.log(`${r.log.length} operations (${saved.config.mkfs} image, ${saved.config.features} features):`);
    for (const e of r.log) console.log(`  ${'path' in e || 'src' in e ? describeOp(e as Op) : e.op}`);
    console.log(JSON.stringify(r.log));
    console.log(`fails with:\n${r.why}`);
  }
}
