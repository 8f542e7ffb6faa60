// Test images made with the real mkfs.f2fs (fixed seed, time and uuid) in a per-run temp directory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Volume } from '../../src/fs/volume.js';

export const EXTRA_FEATURES = 'extra_attr,inode_checksum,flexible_inline_xattr,inode_crtime,sb_checksum,lost_found';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-test-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

export function tmpPath(name: string): string {
  return path.join(dir, name);
}

/** A fresh mkfs.f2fs image of `sizeMb` MiB; `features` as for -O. */
export function mkfsImage(name: string, sizeMb = 64, features?: string): string {
  const p = tmpPath(name);
  fs.rmSync(p, { force: true });
  fs.writeFileSync(p, '');
  fs.truncateSync(p, sizeMb * 1024 * 1024);
  const args = ['-q', '-f', '-r', '-T', '1700000000', '-U', '6f2a1c3e-1111-4222-8333-944455556666'];
  if (features) args.push('-O', features);
  execFileSync('mkfs.f2fs', [...args, p], { stdio: 'pipe' });
  return p;
}

export function sha256(file: string): string {
  return execFileSync('sha256sum', [file]).toString().split(' ')[0];
}

/** Runs `fn` on the image opened read-only, closing it after. */
export function withVol<T>(img: string, fn: (vol: Volume) => T): T {
  const vol = Volume.open(img, { readOnly: true });
  try {
    return fn(vol);
  } finally {
    vol.close();
  }
}
