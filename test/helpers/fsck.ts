/**
 * Both consistency checkers on one image file: ours (src/fs/fsck.ts, on a fresh read-only Volume) and the real
 * fsck.f2fs 1.15 in --dry-run mode (never writes; "n" answers its lost+found question). Clean means: our report
 * ok, fsck.f2fs exit 0, and no "[Fail]" or "[ASSERT]" anywhere in its output.
 */
import { spawnSync } from 'node:child_process';
import { fsck, type FsckReport } from '../../src/fsck/fsck.js';
import { Volume } from '../../src/fs/volume.js';

export interface BothFsck {
  ours: FsckReport | null;
  oursError?: string;
  real: { status: number; out: string };
  /** Human-readable reasons the image is not clean; [] when both checkers pass. */
  problems: string[];
  ms: { ours: number; real: number };
}

export function realFsck(img: string): { status: number; out: string } {
  const r = spawnSync('fsck.f2fs', ['--dry-run', img], { input: 'n\n', encoding: 'utf8', maxBuffer: 64 << 20 });
  // EPIPE: fsck.f2fs finished without reading its answer; its status and output still count.
  if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) throw r.error;
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Lines of fsck.f2fs output worth showing: failures, asserts and the like. */
export function realFsckComplaints(out: string): string[] {
  return out.split('\n').filter((l) => /\[Fail\]|\[ASSERT\]|Wrong|wrong|corrupt|Invalid|invalid|mismatch|not match|Error|error/.test(l));
}

export function fsckBoth(img: string): BothFsck {
  const problems: string[] = [];
  let ours: FsckReport | null = null;
  let oursError: string | undefined;
  const t0 = performance.now();
  try {
    const vol = Volume.open(img, { readOnly: true });
    try {
      ours = fsck(vol);
    } finally {
      vol.close();
    }
    if (!ours.ok) problems.push(`our fsck: ${ours.findings.filter((f) => f.severity === 'error').slice(0, 20).map((f) => `${f.code}: ${f.message}`).join('\n  ')}`);
  } catch (e) {
    oursError = (e as Error).message;
    problems.push(`our fsck threw: ${oursError}`);
  }
  const t1 = performance.now();
  const real = realFsck(img);
  const t2 = performance.now();
  const bad = real.out.split('\n').filter((l) => /\[Fail\]|\[ASSERT\]/.test(l));
  if (real.status !== 0 || bad.length) {
    problems.push(`fsck.f2fs --dry-run exited ${real.status}:\n  ${(bad.length ? bad : realFsckComplaints(real.out)).slice(0, 30).join('\n  ')}\n--- tail ---\n${real.out.split('\n').slice(-25).join('\n')}`);
  }
  return { ours, oursError, real, problems, ms: { ours: t1 - t0, real: t2 - t1 } };
}
