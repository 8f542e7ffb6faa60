// The one clock and the one source of non-secret randomness the file system code asks, so that images can be
// reproducible: with SOURCE_DATE_EPOCH set (the reproducible-builds.org convention) or a time pinned by --timestamp,
// every time written is that time and every random-looking field is derived from the volume's uuid and the inode.
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../errors.js';

export interface Timespec {
  sec: number;
  nsec: number;
}

let pinned: number | undefined;

/** Pins the clock to `sec` (undefined: back to SOURCE_DATE_EPOCH or the real clock); returns the previous pin. */
export function pinTime(sec: number | undefined): number | undefined {
  if (sec !== undefined && !(Number.isInteger(sec) && sec >= 0 && sec <= 0xffffffff)) fail('USAGE', `timestamp must be epoch seconds in [0, 2^32), got ${sec}`);
  const before = pinned;
  pinned = sec;
  return before;
}

/** The pinned time, else SOURCE_DATE_EPOCH, else undefined (real time). */
export function fixedTime(): number | undefined {
  if (pinned !== undefined) return pinned;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === '') return undefined;
  // F2FS times written here are 32-bit in the CP and SIT; a value that does not fit is refused rather than wrapped.
  if (!/^\d{1,10}$/.test(env) || Number(env) > 0xffffffff) fail('USAGE', `SOURCE_DATE_EPOCH must be epoch seconds in [0, 2^32), got '${env}'`);
  return Number(env);
}

export function nowSeconds(): number {
  return fixedTime() ?? Math.floor(Date.now() / 1000);
}

export function now(): Timespec {
  const fixed = fixedTime();
  if (fixed !== undefined) return { sec: fixed, nsec: 0 };
  const ns = process.hrtime.bigint() % 1000000000n;
  return { sec: Math.floor(Date.now() / 1000), nsec: Number(ns) };
}

/** Random u32s like the kernel's get_random_u32, drawn from a pool to keep inode creation cheap. */
let pool = Buffer.alloc(0);
let poolPos = 0;
function randomU32(): number {
  if (poolPos + 4 > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  poolPos += 4;
  return pool.readUInt32LE(poolPos - 4);
}

/**
 * i_generation of a new inode: random, or when the clock is fixed, derived from the volume uuid, the ino and the
 * checkpoint version it is created under (so that an ino reused after a later checkpoint gets another generation).
 */
export function inodeGeneration(uuid: Buffer, ino: number, cpVersion: bigint): number {
  if (fixedTime() === undefined) return randomU32();
  return createHash('sha256').update(uuid).update(`i_generation ${ino} ${cpVersion}`).digest().readUInt32LE(0);
}
