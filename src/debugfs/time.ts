// Inode times as the kernel reads them (le64 seconds into a signed time64_t, u32 nanoseconds), for display and for
// restoring on the host: any 64-bit value prints (exact seconds, a date when JavaScript can represent it), and a
// time the host cannot take is restored as the nearest one it can, with a warning.
import { locateField, readField } from '../fs/layout/field-path.js';
import { I_ADDR_OFFSET, Inode, InodeExtra } from '../fs/layout/node.js';
import { exactInteger } from '../util/struct.js';

/** The largest |seconds| a JavaScript Date holds (±8.64e15 ms). */
const DATE_LIMIT_SEC = 8.64e12;

export interface InodeTime {
  /** Seconds since the epoch, signed; a decimal string when beyond 2^53 (exact either way). */
  sec: number | string;
  nsec: number;
  /** ISO 8601, or null when outside the Date range. */
  iso: string | null;
}

const SLOTS = {
  i_atime: { s: Inode, at: 0 },
  i_ctime: { s: Inode, at: 0 },
  i_mtime: { s: Inode, at: 0 },
  i_crtime: { s: InodeExtra, at: I_ADDR_OFFSET },
} as const;

/** The exact signed seconds of one time field of an inode block. */
export function rawSeconds(raw: Buffer, field: keyof typeof SLOTS): bigint {
  const { s, at } = SLOTS[field];
  return BigInt.asIntN(64, readField(raw, at, locateField(s, field)!) as bigint);
}

/** ISO text of a time, or null outside the Date range. */
export function isoTime(sec: number, nsec = 0): string | null {
  const ms = sec * 1000 + Math.floor(nsec / 1e6);
  return Number.isFinite(ms) && Math.abs(ms) <= DATE_LIMIT_SEC * 1000 ? new Date(ms).toISOString() : null;
}

/** The signed seconds of one time field, exact (see InodeTime.sec). */
export const inodeSeconds = (raw: Buffer, field: keyof typeof SLOTS): number | string => exactInteger(rawSeconds(raw, field));

export function inodeTime(raw: Buffer, field: keyof typeof SLOTS, nsec: number): InodeTime {
  const sec = inodeSeconds(raw, field);
  return { sec, nsec, iso: isoTime(Number(sec), nsec) };
}

/** Seconds and nanoseconds as stat(1) prints them, `sec.nnnnnnnnn` (stat, set-times, diff, manifest --json). */
export const timeText = (t: Pick<InodeTime, 'sec' | 'nsec'>): string => `${t.sec}.${String(t.nsec).padStart(9, '0')}`;

/** `2024-01-02 03:04` (`…:05` with `seconds`) when representable, else `@SECONDS` (ls -l). */
export function shortTime(sec: number | string, seconds = false): string {
  return isoTime(Number(sec))?.slice(0, seconds ? 19 : 16).replace('T', ' ') ?? `@${sec}`;
}

/**
 * A time for fs.utimes: seconds (nanoseconds kept as far as a double does) or, before 1970, a Date (Node reads a
 * negative number as "now"); clamped to the Date range, `clamped` saying so.
 */
export function hostTime(raw: Buffer, field: 'i_atime' | 'i_mtime', nsec: number): { value: number | Date; clamped: boolean } {
  const n = Number(rawSeconds(raw, field));
  const sec = Math.max(-DATE_LIMIT_SEC, Math.min(DATE_LIMIT_SEC, n));
  const clamped = sec !== n;
  if (sec >= 0) return { value: sec + (clamped ? 0 : nsec / 1e9), clamped };
  return { value: new Date(sec * 1000 + (clamped ? 0 : Math.floor(nsec / 1e6))), clamped };
}
