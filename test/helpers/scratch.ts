/**
 * Scratch images for the write-path tests: a per-process directory on tmpfs (/dev/shm) when there is one — the
 * checkpoints fdatasync and a 256 MiB image is rewritten many times — removed at exit; and images made either by
 * our formatter (src/fs/mkfs.ts) or by the real mkfs.f2fs, with the two feature sets the tests use.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkfsImage as ourMkfs } from '../../src/fs/mkfs.js';

export const EXTRA_FEATURES = 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found';
export type FeatureSet = 'default' | 'extra' | 'quota';
/** -O features of each set: 'quota' adds user, group and project quota to the extra ones. */
const SET_FEATURES: Record<FeatureSet, string | null> = { default: null, extra: EXTRA_FEATURES, quota: `${EXTRA_FEATURES},quota,project_quota` };
export type Mkfs = 'ours' | 'mkfs.f2fs';

function base(): string {
  for (const d of [process.env.F2FSDBG_SCRATCH, '/dev/shm', os.tmpdir()]) {
    if (!d) continue;
    try {
      fs.accessSync(d, fs.constants.W_OK);
      return d;
    } catch {
      /* next */
    }
  }
  return os.tmpdir();
}

let dir: string | undefined;
/** A path in this process's scratch directory (on disk when `onDisk`, e.g. for images qemu attaches). */
export function scratchPath(name: string, onDisk = false): string {
  if (onDisk) {
    const d = path.join(os.tmpdir(), `f2fsdbg-disk-${process.pid}`);
    if (!fs.existsSync(d)) {
      fs.mkdirSync(d, { recursive: true });
      process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
    }
    return path.join(d, name);
  }
  if (!dir) {
    dir = fs.mkdtempSync(path.join(base(), 'f2fsdbg-rw-'));
    const d = dir;
    process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  }
  return path.join(dir, name);
}

export interface ImageSpec {
  mkfs: Mkfs;
  features: FeatureSet;
  sizeMb?: number;
  seed?: number;
}

/** A fresh image at `p` (replaced if present). */
export function makeImage(p: string, spec: ImageSpec): string {
  const sizeMb = spec.sizeMb ?? 256;
  fs.rmSync(p, { force: true });
  if (spec.mkfs === 'ours') {
    ourMkfs(p, { sizeBytes: sizeMb * 1024 * 1024, features: SET_FEATURES[spec.features]?.split(',') ?? [], seed: spec.seed ?? 1, timestamp: 1700000000 });
  } else {
    fs.writeFileSync(p, '');
    fs.truncateSync(p, sizeMb * 1024 * 1024);
    const args = ['-q', '-f', '-r', '-T', '1700000000', '-U', '6f2a1c3e-1111-4222-8333-944455556666'];
    const features = SET_FEATURES[spec.features];
    if (features) args.push('-O', features);
    execFileSync('mkfs.f2fs', [...args, p], { stdio: 'pipe' });
  }
  return p;
}
