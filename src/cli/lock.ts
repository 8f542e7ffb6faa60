/*
 * Image locking between f2fsdbg processes: `IMAGE.lock` lists the holders, one `PID MODE` line each (MODE is
 * `exclusive` for a writer, `shared` for a reader). A writer needs no other live holder; a reader needs no live writer.
 * Holders whose pid is gone (kill(pid, 0) fails with ESRCH) are stale and ignored, so a crashed process never
 * blocks the image. The read-modify-write of the lock file is guarded by `IMAGE.lock.guard`, created with O_EXCL
 * (a guard older than 10 s is taken as left over by a killed process). Conflicts: EBUSY "image is in use by pid N",
 * or with `wait` a (blocking) poll every 100 ms until the image is free. Locks are released on close and at process exit.
 * F2FSDBG_NO_LOCK=1 disables locking (e.g. for images on read-only host directories).
 */
import fs from 'node:fs';
import { F2fsError, toF2fsError, withContext } from '../errors.js';

export interface ImageLock {
  release(): void;
  /** `underWriter` readers: the pid of the live writer they read beside (undefined when there is none). */
  writer?: number;
}

interface Holder {
  pid: number;
  mode: 'exclusive' | 'shared';
}

const NOOP: ImageLock = { release() {} };
const held = new Set<() => void>();
let exitHook = false;

/** Blocks the thread (a lock wait happens before anything else can run anyway). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolders(file: string): Holder[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Holder[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(exclusive|shared)\s*$/.exec(line.trim());
    if (m && alive(Number(m[1]))) out.push({ pid: Number(m[1]), mode: m[2] as Holder['mode'] });
  }
  return out;
}

function writeHolders(file: string, holders: Holder[]): void {
  if (holders.length === 0) fs.rmSync(file, { force: true });
  else fs.writeFileSync(file, holders.map((h) => `${h.pid} ${h.mode}\n`).join(''));
}

/** Runs `fn` holding the guard file (a few ms at most). */
function guarded<T>(file: string, fn: () => T): T {
  const guard = `${file}.guard`;
  for (let tries = 0; ; tries++) {
    try {
      fs.closeSync(fs.openSync(guard, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(guard).mtimeMs > 10_000) fs.rmSync(guard, { force: true });
      } catch {
        // gone meanwhile
      }
      if (tries > 2000) throw new F2fsError('EBUSY', `${guard}: lock guard held for too long`);
      sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Tries once: the conflicting holder, or null when the lock was taken (`writer`: the live writer a reader may share with). */
function tryLock(file: string, exclusive: boolean, underWriter: boolean): { blocker: Holder | null; writer?: number } {
  return guarded(file, () => {
    const holders = readHolders(file).filter((h) => h.pid !== process.pid || h.mode === 'exclusive');
    const blocker = holders.find((h) => h.pid !== process.pid && (exclusive || h.mode === 'exclusive'));
    if (blocker && !(underWriter && !exclusive)) return { blocker };
    writeHolders(file, [...holders, { pid: process.pid, mode: exclusive ? 'exclusive' : 'shared' }]);
    return { blocker: null, writer: blocker?.pid };
  });
}

/**
 * Takes the lock of `image` (exclusive for writers); waits for it with `wait`, else fails with EBUSY. `underWriter`:
 * a reader that can read the last durable checkpoint beside a live writer takes its shared lock anyway (`writer` set).
 */
export function acquireLock(image: string, opts: { exclusive: boolean; wait?: boolean; underWriter?: boolean }): ImageLock {
  if (process.env.F2FSDBG_NO_LOCK === '1') return NOOP;
  const file = `${image}.lock`;
  let writer: number | undefined;
  for (;;) {
    let blocker: Holder | null;
    try {
      ({ blocker, writer } = tryLock(file, opts.exclusive, Boolean(opts.underWriter && !opts.wait)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // No way to write a lock next to the image (read-only directory): a reader goes on without one.
      if (!opts.exclusive && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return NOOP;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // No lock file beside a missing image, or in a missing directory: the error is about the image.
        try {
          fs.statSync(image);
        } catch (missing) {
          throw toF2fsError(missing);
        }
      }
      throw withContext(toF2fsError(e), `while locking ${image}`);
    }
    if (!blocker) break;
    if (!opts.wait) {
      throw new F2fsError('EBUSY', `image is in use by pid ${blocker.pid} (${blocker.mode === 'exclusive' ? 'writing' : 'reading'}); pass --wait to queue behind it`, {
        pid: blocker.pid,
        lock: file,
      });
    }
    sleep(100);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(release);
    try {
      guarded(file, () => writeHolders(file, readHolders(file).filter((h) => h.pid !== process.pid)));
    } catch {
      // best effort: a stale entry is ignored by the next process anyway
    }
  };
  held.add(release);
  if (!exitHook) {
    exitHook = true;
    const releaseAll = () => {
      for (const r of [...held]) r();
    };
    process.on('exit', releaseAll);
    // A hang-up (terminal closed) or kill: release, then die of the signal as before.
    for (const sig of ['SIGHUP', 'SIGTERM'] as const) {
      process.once(sig, () => {
        releaseAll();
        process.kill(process.pid, sig);
      });
    }
  }
  return { release, writer };
}
